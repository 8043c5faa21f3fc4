"""Fixtures: fake AWS credentials, a moto S3 bucket and catalogue table, the application wired to them, and
event builders."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pytest
from moto import mock_aws

from document_processor.catalogue import Catalogue, create_dynamodb_client
from document_processor.catalogue_schema import create_table_arguments
from document_processor.routes import match_path
from document_processor.settings import load_settings
from document_processor.storage import create_s3_client

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from document_processor.handler import Application

EVENTS_DIR = Path(__file__).parent / "events"
BUCKET = "test-documents-bucket"
TABLE = "test-catalogue"
INGEST = "test-ingest-bucket"
"""The ingest (quarantine) bucket of the processor and upload tests (fixture ``ingest``)."""
ALICE = "arn:aws:sts::111122223333:assumed-role/DocumentWriter/alice-session"
ALICE_OTHER_SESSION = "arn:aws:sts::111122223333:assumed-role/DocumentWriter/alice-laptop"
BOB = "arn:aws:iam::111122223333:user/bob"


def load_event(name: str) -> dict[str, Any]:
    """A fresh copy of a JSON event fixture."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / name).read_text())
    return event


@dataclass
class Lambda:
    """The application under test plus the per-request access/metric lines it wrote."""

    app: Application
    s3: Any
    dynamodb: Any
    request_lines: list[str] = field(default_factory=list)

    def call(self, event: dict[str, Any]) -> dict[str, Any]:
        return self.app.handle(event, FakeContext())

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.request_lines]


class FakeContext:
    """The attributes of the Lambda context object the handler reads."""

    aws_request_id = "0f5e8d4a-lambda-request"
    function_name = "doc-processor-test"

    def get_remaining_time_in_millis(self) -> int:
        return 25_000


def make_event(
    method: str,
    path: str,
    *,
    version: str = "1.0",
    caller: str | None = ALICE,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | list[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    base64_body: bool = True,
) -> dict[str, Any]:
    """A REST (v1) or function-URL (v2) event for ``method path``, built from the JSON fixtures."""
    pairs = list(query.items()) if isinstance(query, dict) else list(query or [])
    if isinstance(body, bytes):
        body_text: str | None = base64.b64encode(body).decode() if base64_body else body.decode("utf-8")
    else:
        body_text = body
    if version == "2.0":
        event = load_event("function_url_v2.json")
        event["rawPath"] = path
        event["rawQueryString"] = urlencode(pairs)
        event["requestContext"]["http"]["method"] = method
        event["requestContext"]["http"]["path"] = path
        event["headers"].update({name.lower(): value for name, value in (headers or {}).items()})
        if caller is None:
            del event["requestContext"]["authorizer"]
        else:
            event["requestContext"]["authorizer"]["iam"]["userArn"] = caller
            event["requestContext"]["authorizer"]["iam"]["accountId"] = caller.split(":")[4]
    else:
        event = load_event("rest_api_v1.json")
        # API Gateway names the resource it matched; a path the table lacks stands for a resource the
        # deployed API has but the function does not (API Gateway itself never forwards unknown paths).
        route = match_path(path)
        event["resource"] = route.path if route else path
        event["pathParameters"] = (route.path_parameters or None) if route else None
        event["requestContext"]["resourcePath"] = event["resource"]
        event["httpMethod"] = method
        event["path"] = path
        event["requestContext"]["httpMethod"] = method
        event["requestContext"]["path"] = f"/dev{path}"
        event["headers"].update(headers or {})
        event["multiValueHeaders"].update({name: [value] for name, value in (headers or {}).items()})
        if pairs:
            multi: dict[str, list[str]] = {}
            for name, value in pairs:
                multi.setdefault(name, []).append(value)
            event["multiValueQueryStringParameters"] = multi
            event["queryStringParameters"] = {name: values[-1] for name, values in multi.items()}
        if caller is None:
            event["requestContext"]["identity"]["userArn"] = None
        else:
            event["requestContext"]["identity"]["userArn"] = caller
            event["requestContext"]["identity"]["accountId"] = caller.split(":")[4]
    event["body"] = body_text
    event["isBase64Encoded"] = body_text is not None and base64_body
    return copy.deepcopy(event)


@pytest.fixture
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region: nothing may reach real AWS."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture(scope="session")
def _moto() -> Iterator[None]:
    """One moto backend (S3, DynamoDB) for the session (starting and stopping moto dominates test cost)."""
    with mock_aws():
        yield


@pytest.fixture
def s3(_moto: None, aws_credentials: None) -> Iterator[Any]:
    """A fresh client (so event hooks a test registers die with it) and an empty versioned bucket."""
    client = create_s3_client()
    client.create_bucket(Bucket=BUCKET)
    client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    yield client
    cleaner = create_s3_client()
    listing = cleaner.list_object_versions(Bucket=BUCKET)
    for entry in [*listing.get("Versions", []), *listing.get("DeleteMarkers", [])]:
        cleaner.delete_object(Bucket=BUCKET, Key=entry["Key"], VersionId=entry["VersionId"])
    cleaner.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def dynamodb(_moto: None, aws_credentials: None) -> Iterator[Any]:
    """A fresh client and an empty catalogue table of the declared shape (``catalogue_schema``)."""
    client = create_dynamodb_client()
    client.create_table(**create_table_arguments(TABLE))
    yield client
    create_dynamodb_client().delete_table(TableName=TABLE)


@pytest.fixture
def lam(s3: Any, dynamodb: Any) -> Lambda:
    """The application configured with defaults and wired to the moto bucket and table."""
    return build_lambda(s3, dynamodb)


def build_lambda(
    s3: Any, dynamodb: Any, *, clock: Callable[[], float] | None = None, **environ: str
) -> Lambda:
    """An application from ``environ`` (plus the bucket and table), recording its metric lines."""
    # Imported here, not at the top: importing the handler module is the function's cold start (it
    # reads the environment and logs what is missing), which at conftest import would run outside
    # any test, unconfigured, and print a configuration error during collection.
    from document_processor.handler import Application

    lines: list[str] = []
    settings = load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE, **environ})
    app = Application.from_settings(settings, client=s3, dynamodb=dynamodb, request_log_sink=lines.append)
    if clock is not None and app.service is not None:
        app.service._clock = clock
    return Lambda(app=app, s3=s3, dynamodb=dynamodb, request_lines=lines)


@pytest.fixture
def ingest(s3: Any) -> Iterator[Any]:
    """An empty (unversioned) ingest bucket beside the versioned vault; emptied (uploads aborted) after."""
    s3.create_bucket(Bucket=INGEST)
    yield s3
    for entry in s3.list_objects_v2(Bucket=INGEST).get("Contents", []):
        s3.delete_object(Bucket=INGEST, Key=entry["Key"])
    for upload in s3.list_multipart_uploads(Bucket=INGEST).get("Uploads", []):
        s3.abort_multipart_upload(Bucket=INGEST, Key=upload["Key"], UploadId=upload["UploadId"])
    s3.delete_bucket(Bucket=INGEST)


@pytest.fixture
def catalogue(dynamodb: Any) -> Catalogue:
    """The catalogue over the test table."""
    return Catalogue(dynamodb, TABLE)


def body_json(response: dict[str, Any]) -> Any:
    """The decoded JSON body of a proxy response."""
    assert response["isBase64Encoded"] is False
    return json.loads(response["body"])


def object_versions(s3: Any) -> list[dict[str, Any]]:
    """Every object version in the bucket (delete markers excluded)."""
    versions: list[dict[str, Any]] = s3.list_object_versions(Bucket=BUCKET).get("Versions", [])
    return versions


def catalogue_items(dynamodb: Any, prefix: str = "DOC#") -> list[dict[str, Any]]:
    """Every item of the catalogue table whose sort key starts with ``prefix`` (a test-side scan)."""
    items: list[dict[str, Any]] = dynamodb.scan(TableName=TABLE).get("Items", [])
    return [item for item in items if item["sk"]["S"].startswith(prefix)]
