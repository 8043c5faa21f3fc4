"""Fixtures: one S3 emulator (moto's server) per session, a fresh bucket and application per test.

The handler runs against moto over real HTTP (not moto's in-process mock), so the same client,
timeouts and retries as in Lambda are exercised, and a fault-injecting proxy can sit in between.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.settings import load_settings
from document_processor.storage import create_s3_client
from local_mode.emulator import FAKE_CREDENTIALS, S3Emulator, create_documents_bucket
from tests.robustness.bucket import bucket_versions

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_s3 import S3Client

    from document_processor.handler import Application

REGION = "us-east-1"


class FakeContext:
    """The attributes of the Lambda context object the handler reads."""

    aws_request_id = "robustness-lambda-request"
    function_name = "doc-processor-robustness"

    def get_remaining_time_in_millis(self) -> int:
        return 25_000


@dataclass
class Deployment:
    """The application under test, its bucket, and an inspection client that bypasses the handler."""

    app: Application
    bucket: str
    inspector: S3Client
    log_lines: list[str] = field(default_factory=list)

    def call(self, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke the handler as Lambda would."""
        return self.app.handle(event, FakeContext())

    def snapshot(self) -> list[tuple[str, str, bool]]:
        """Every version and delete marker in the bucket: (key, version id, is delete marker)."""
        return bucket_versions(self.inspector, self.bucket)


@pytest.fixture(scope="session")
def emulator() -> Iterator[S3Emulator]:
    """moto's S3 server on a loopback port for the whole session."""
    with S3Emulator(region=REGION) as running:
        yield running


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch, emulator: S3Emulator) -> str:
    """Fake credentials and the emulator's endpoint in the standard variables; returns the endpoint."""
    for name, value in {**FAKE_CREDENTIALS, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", emulator.endpoint_url)
    return emulator.endpoint_url


def fresh_bucket(emulator: S3Emulator) -> str:
    """A new bucket configured like the deployed one (so tests never see each other's objects)."""
    bucket = f"robustness-{uuid.uuid4().hex[:16]}"
    create_documents_bucket(emulator.client(), bucket)
    return bucket


def deploy(emulator: S3Emulator, bucket: str, *, client: S3Client | None = None) -> Deployment:
    """The application with default settings on ``bucket``, using the real client factory."""
    # Imported here, not at the top: importing the handler module is the function's cold start (it
    # reads the environment and logs what is missing), which at conftest import would run outside
    # any test, unconfigured, and print a configuration error during collection.
    from document_processor.handler import Application

    lines: list[str] = []
    settings = load_settings({"DOCUMENTS_BUCKET": bucket})
    app = Application.from_settings(
        settings, client=client if client is not None else create_s3_client(), request_log_sink=lines.append
    )
    return Deployment(app=app, bucket=bucket, inspector=emulator.client(), log_lines=lines)


@pytest.fixture
def deployment(aws_environment: str, emulator: S3Emulator) -> Deployment:
    """The application wired to a fresh bucket in the emulator."""
    return deploy(emulator, fresh_bucket(emulator))
