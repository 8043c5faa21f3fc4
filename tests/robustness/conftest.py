"""Fixtures: one AWS emulator (moto's server: S3 and DynamoDB) per session, a fresh bucket, catalogue
table and application per test.

The handler runs against moto over real HTTP (not moto's in-process mock), so the same clients,
timeouts and retries as in Lambda are exercised, and a fault-injecting proxy can sit in between.
moto's state is process-wide, so every deployment gets a bucket and a table of its own (random names):
tests never see each other's documents or items.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from botocore.retries import standard

from document_processor.catalogue import create_dynamodb_client
from document_processor.catalogue_schema import create_table_arguments
from document_processor.settings import load_settings
from document_processor.storage import create_s3_client
from local_mode.emulator import FAKE_CREDENTIALS, S3Emulator, create_documents_bucket
from tests.robustness.bucket import bucket_events, bucket_versions, table_keys
from tests.robustness.fault_proxy import FaultProxy
from tests.unit.service.conftest import ALICE, make_event

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

    from document_processor.handler import Application

REGION = "us-east-1"
TEST_READ_TIMEOUT_SECONDS = 0.3
"""The fault tests' client read timeout: a stalled call costs a fraction of a second."""


class FakeContext:
    """The attributes of the Lambda context object the handler reads."""

    aws_request_id = "robustness-lambda-request"
    function_name = "doc-processor-robustness"

    def get_remaining_time_in_millis(self) -> int:
        return 25_000


@dataclass
class Deployment:
    """The application under test, its bucket and table, and inspection clients that bypass the handler."""

    app: Application
    bucket: str
    table: str
    inspector: S3Client
    catalogue: DynamoDBClient
    """Reads (and the reconciler's writes) straight to moto, never through a fault proxy."""
    log_lines: list[str] = field(default_factory=list)

    def call(self, event: dict[str, Any]) -> dict[str, Any]:
        """Invoke the handler as Lambda would."""
        return self.app.handle(event, FakeContext())

    def snapshot(self) -> list[tuple[str, str, bool]]:
        """Every version and delete marker in the bucket: (key, version id, is delete marker)."""
        return bucket_versions(self.inspector, self.bucket)

    def items(self) -> list[tuple[str, str]]:
        """Every item's key in the catalogue table (documents and idempotency records)."""
        return table_keys(self.catalogue, self.table)

    def stored_ids(self) -> list[str]:
        """The ids of the documents that exist in S3 now (the source of truth), sorted."""
        latest = bucket_events(self.inspector, self.bucket)["Records"]
        return sorted(
            record["s3"]["object"]["key"].rsplit("/", 1)[1]
            for record in latest
            if record["eventName"].startswith("ObjectCreated")
        )

    def listed(self, caller: str = ALICE) -> list[dict[str, Any]]:
        """Every item ``GET /documents`` lists for ``caller``, all pages followed (100 per page)."""
        items: list[dict[str, Any]] = []
        query = {"limit": "100"}
        while True:
            response = self.call(make_event("GET", "/documents", caller=caller, query=query))
            assert response["statusCode"] == 200, response["body"]
            page = json.loads(response["body"])
            items += page["items"]
            if page["nextCursor"] is None:
                return items
            query = {"limit": "100", "cursor": page["nextCursor"]}

    def listed_ids(self, caller: str = ALICE) -> list[str]:
        """The ids ``GET /documents`` lists for ``caller`` (newest first)."""
        return [str(item["id"]) for item in self.listed(caller)]

    def reconcile(self) -> dict[str, int]:
        """Run the reconciler on the bucket's events (every key it ever held); return its outcome counts.

        The reconciler's own code path (``reconciler.run`` with a ``Reconciler``), with clients that go
        straight to moto: it runs after the fault, as Lambda's asynchronous invocation would.
        """
        from document_processor.catalogue import Catalogue
        from document_processor.reconciler import Reconciler, run
        from document_processor.storage import DocumentStore

        reconciler = Reconciler(
            DocumentStore(self.inspector, self.bucket),
            Catalogue(self.catalogue, self.table),
            bucket=self.bucket,
        )
        result = run(
            reconciler,
            bucket_events(self.inspector, self.bucket),
            FakeContext(),
            settings=self.app.settings,
            sink=self.log_lines.append,
        )
        outcomes: dict[str, int] = result["outcomes"]
        return outcomes


@pytest.fixture(scope="session")
def emulator() -> Iterator[S3Emulator]:
    """moto's server (S3, DynamoDB, SQS) on a loopback port for the whole session."""
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
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", emulator.endpoint_url)
    return emulator.endpoint_url


def fresh_bucket(emulator: S3Emulator) -> str:
    """A new bucket configured like the deployed one (so tests never see each other's objects)."""
    bucket = f"robustness-{uuid.uuid4().hex[:16]}"
    create_documents_bucket(emulator.client(), bucket)
    return bucket


def fresh_table(emulator: S3Emulator) -> str:
    """A new catalogue table of the declared shape (so tests never see each other's items)."""
    table = f"robustness-{uuid.uuid4().hex[:16]}"
    emulator.dynamodb_client().create_table(**create_table_arguments(table))
    return table


def deploy(
    emulator: S3Emulator,
    bucket: str,
    table: str,
    *,
    client: S3Client | None = None,
    dynamodb: DynamoDBClient | None = None,
) -> Deployment:
    """The application with default settings on ``bucket`` and ``table``, using the real client factories."""
    # Imported here, not at the top: importing the handler module is the function's cold start (it
    # reads the environment and logs what is missing), which at conftest import would run outside
    # any test, unconfigured, and print a configuration error during collection.
    from document_processor.handler import Application

    lines: list[str] = []
    settings = load_settings({"DOCUMENTS_BUCKET": bucket, "CATALOGUE_TABLE": table})
    app = Application.from_settings(
        settings,
        client=client if client is not None else create_s3_client(),
        dynamodb=dynamodb if dynamodb is not None else create_dynamodb_client(),
        request_log_sink=lines.append,
    )
    return Deployment(
        app=app,
        bucket=bucket,
        table=table,
        inspector=emulator.client(),
        catalogue=emulator.dynamodb_client(),
        log_lines=lines,
    )


@pytest.fixture
def deployment(aws_environment: str, emulator: S3Emulator) -> Deployment:
    """The application wired to a fresh bucket and catalogue table in the emulator."""
    return deploy(emulator, fresh_bucket(emulator), fresh_table(emulator))


@pytest.fixture
def proxy(emulator: S3Emulator) -> Iterator[FaultProxy]:
    """A fault proxy in front of the emulator (S3 and DynamoDB both), stalling longer than the timeout."""
    with FaultProxy(emulator.endpoint_url, stall_seconds=TEST_READ_TIMEOUT_SECONDS * 4) as running:
        yield running


@pytest.fixture
def faulty(
    monkeypatch: pytest.MonkeyPatch, aws_environment: str, emulator: S3Emulator, proxy: FaultProxy
) -> Deployment:
    """The application whose S3 and DynamoDB clients go through the proxy (inspection goes straight to moto).

    The clients are the service's own (``create_s3_client``, ``create_dynamodb_client``: standard retry
    mode, their ``DEFAULT_MAX_ATTEMPTS``), with a short read timeout. Standard mode's random backoff is
    set to zero: the number of attempts is under test, the jitter would only add wall time.
    """
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0)
    bucket, table = fresh_bucket(emulator), fresh_table(emulator)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", proxy.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.url)
    return deploy(
        emulator,
        bucket,
        table,
        client=create_s3_client(read_timeout=TEST_READ_TIMEOUT_SECONDS),
        dynamodb=create_dynamodb_client(read_timeout=TEST_READ_TIMEOUT_SECONDS),
    )
