"""Fixtures of the client's tests: local mode started once for the module's session, and callers.

Every client signs as a fresh local principal (``tests/e2e/signing.py``'s pool), so each test sees an
empty document list; the CLI gets the same principal through the environment, exactly as a user who
pasted local mode's ``export`` line would, with no AWS config file to interfere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest
from botocore.credentials import Credentials
from click.testing import CliRunner

from docapi import DocumentClient, RetryPolicy
from docapi.cli import cli
from tests.e2e.targets import local_mode

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from click.testing import Result

    from local_mode.principals import Principal
    from tests.e2e.targets import Target

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture(scope="session")
def local() -> Iterator[Target]:
    """Local mode for the whole run of tests/client."""
    with local_mode() as running:
        yield running


@dataclass
class Caller:
    """One local principal: an SDK client factory and the CLI, both signing as it."""

    target: Target
    principal: Principal
    state_dir: Path

    def credentials(self) -> Credentials:
        return Credentials(self.principal.access_key_id, self.principal.secret_access_key)

    def client(self, **kwargs: object) -> DocumentClient:
        options: dict[str, object] = {"retry": FAST_RETRY, "state_dir": self.state_dir}
        options.update(kwargs)
        return DocumentClient(self.target.api_url, credentials=self.credentials(), **options)  # type: ignore[arg-type]

    def env(self, *, secret: str | None = None) -> dict[str, str | None]:
        return {
            "DOCAPI_ENDPOINT": self.target.api_url,
            "DOCAPI_STATE_DIR": str(self.state_dir),
            "AWS_ACCESS_KEY_ID": self.principal.access_key_id,
            "AWS_SECRET_ACCESS_KEY": secret or self.principal.secret_access_key,
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_PROFILE": None,
            "AWS_DEFAULT_PROFILE": None,
            "AWS_SESSION_TOKEN": None,
            "DOCAPI_STACK_OUTPUTS": None,
            "DOCAPI_INLINE_LIMIT": None,
            "AWS_REGION": self.target.region,
        }

    def run(self, *args: str, secret: str | None = None, **env: str) -> Result:
        """``docapi ARGS`` as this caller (stdout and stderr kept apart), with extra ``env``."""
        environment = {**self.env(secret=secret), **env}
        return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)


@pytest.fixture(scope="session")
def gated_local() -> Iterator[Target]:
    """Local mode with the malware gate on (``LOCAL_MALWARE_SCAN=1``), started by the first test that
    asks, for the rest of the run."""
    with local_mode(malware_scan=True) as running:
        yield running


@pytest.fixture
def gated_caller(gated_local: Target, tmp_path: Path) -> Caller:
    """A fresh caller of the gated local mode."""
    assert gated_local.principals is not None
    return Caller(gated_local, gated_local.principals.user(), tmp_path / "state")


@pytest.fixture
def caller(local: Target, tmp_path: Path) -> Caller:
    """A caller nobody else signed as."""
    assert local.principals is not None
    state = tmp_path / "state"
    return Caller(local, local.principals.user(), state)
