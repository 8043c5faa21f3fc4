"""Fixtures of the end-to-end suite: the target (local mode or a deployed stack) and its callers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.targets import (
    SECOND_PROFILE_VARIABLE,
    STACK_OUTPUTS_VARIABLE,
    ApiClient,
    Target,
    load_stack_outputs,
    local_mode,
    make_client,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    """The deployed stack named by ``E2E_STACK_OUTPUTS``, else local mode started for this session."""
    outputs = os.environ.get(STACK_OUTPUTS_VARIABLE)
    if outputs:
        yield load_stack_outputs(Path(outputs))
        return
    with local_mode() as running:  # without the malware gate, whatever the shell says (201 answers)
        yield running


@pytest.fixture(scope="session")
def scanning_target() -> Iterator[Target]:
    """A second local mode, started once for the session (by the first test that asks), with
    ``LOCAL_MALWARE_SCAN=1``: the malware gate on and the emulated GuardDuty scanner deciding every upload.

    Local mode even when the suite targets a deployed stack: its tests hold the scanner, send GuardDuty's
    result events themselves and look into the emulator, which only local mode allows."""
    with local_mode(malware_scan=True) as running:
        yield running


@pytest.fixture
def alice(target: Target) -> Iterator[ApiClient]:
    """The primary caller (the default credential chain when deployed)."""
    client = make_client(target, "alice")
    yield client
    client.delete_created()
    client.http.close()


@pytest.fixture
def bob(target: Target) -> Iterator[ApiClient]:
    """A second, different caller (``E2E_SECOND_AWS_PROFILE`` when deployed)."""
    profile = os.environ.get(SECOND_PROFILE_VARIABLE)
    if target.deployed and not profile:
        pytest.skip(f"needs a second principal against a deployed stack: set {SECOND_PROFILE_VARIABLE}")
    client = make_client(target, "bob", profile=profile)
    yield client
    client.delete_created()
    client.http.close()
