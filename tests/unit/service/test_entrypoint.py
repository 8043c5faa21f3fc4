"""The module-level entry point: configured once at import, never crash-looping on bad configuration."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import document_processor.handler as handler_module
from document_processor.handler import Application
from document_processor.routes import ROUTES, Route
from document_processor.settings import load_settings
from tests.unit.service.conftest import BUCKET, TABLE, FakeContext, body_json, make_event
from tests.unit.service.samples import make_pdf

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
LOADED_MODULES = """
import json, sys
if sys.argv[1] == "floor":
    import boto3  # the two clients the function uses, and nothing of the package
    boto3.client("s3")
    boto3.client("dynamodb")
else:
    import document_processor.handler
print(json.dumps(sorted(sys.modules)))
"""
"""Prints the modules a fresh interpreter holds after the floor (boto3's S3 and DynamoDB clients) or the
handler's import."""


@pytest.fixture
def reloaded(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> Iterator[ModuleType]:
    """Re-import the handler module under the test's environment; restore it afterwards."""
    yield handler_module
    monkeypatch.undo()
    importlib.reload(handler_module)


def test_configured_module_serves_requests_through_lambda_handler(
    reloaded: ModuleType, monkeypatch: pytest.MonkeyPatch, s3: Any, dynamodb: Any
) -> None:
    monkeypatch.setenv("DOCUMENTS_BUCKET", BUCKET)
    monkeypatch.setenv("CATALOGUE_TABLE", TABLE)
    module = importlib.reload(reloaded)

    event = make_event("POST", "/documents", headers={"Content-Type": "application/pdf"}, body=make_pdf(1))
    response = module.lambda_handler(event, FakeContext())
    listing = module.lambda_handler(make_event("GET", "/documents"), FakeContext())

    assert response["statusCode"] == 201
    assert body_json(response)["pageCount"] == 1
    assert body_json(listing)["items"] == [body_json(response)]


def test_importing_the_handler_makes_no_client(
    reloaded: ModuleType, monkeypatch: pytest.MonkeyPatch, s3: Any, dynamodb: Any
) -> None:
    monkeypatch.setenv("DOCUMENTS_BUCKET", BUCKET)
    monkeypatch.setenv("CATALOGUE_TABLE", TABLE)

    module = importlib.reload(reloaded)

    service = module.APP.service
    assert service is not None
    assert (service._store._clients.created, service._catalogue._clients.created) == (False, False)


@pytest.mark.parametrize(
    ("method", "path", "s3_made", "dynamodb_made"),
    [
        ("GET", "/health", False, False),
        ("GET", "/documents", False, True),
        ("GET", f"/documents/{'a' * 32}", True, False),
        ("GET", f"/documents/{'a' * 32}/content", True, False),
    ],
)
def test_each_route_makes_only_the_clients_it_needs(
    s3: Any, dynamodb: Any, method: str, path: str, s3_made: bool, dynamodb_made: bool
) -> None:
    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE}))
    assert app.service is not None

    response = app.handle(make_event(method, path), FakeContext())

    assert response["statusCode"] in (200, 404)
    assert (app.service._store._clients.created, app.service._catalogue._clients.created) == (
        s3_made,
        dynamodb_made,
    )


def test_an_upload_makes_both_clients(s3: Any, dynamodb: Any) -> None:
    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE}))
    assert app.service is not None
    event = make_event("POST", "/documents", headers={"Content-Type": "text/plain"}, body=b"both")

    assert app.handle(event, FakeContext())["statusCode"] == 201
    assert app.service._store._clients.created
    assert app.service._catalogue._clients.created


@pytest.mark.parametrize(
    ("missing", "problem"),
    [
        ("DOCUMENTS_BUCKET", "DOCUMENTS_BUCKET is not set: set it to the documents bucket's name."),
        ("CATALOGUE_TABLE", "CATALOGUE_TABLE is not set: set it to the catalogue table's name."),
    ],
)
def test_missing_setting_logs_once_at_import_and_answers_500_json(
    reloaded: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    missing: str,
    problem: str,
) -> None:
    monkeypatch.setenv("DOCUMENTS_BUCKET", BUCKET)
    monkeypatch.setenv("CATALOGUE_TABLE", TABLE)
    monkeypatch.delenv(missing)

    module = importlib.reload(reloaded)
    startup = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    health = module.lambda_handler(make_event("GET", "/health"), FakeContext())
    listing = module.lambda_handler(make_event("GET", "/documents"), FakeContext())

    assert startup[0]["level"] == "ERROR"
    assert startup[0]["problems"] == [problem]
    assert health["statusCode"] == 200
    assert listing["statusCode"] == 500
    assert body_json(listing)["error"]["code"] == "configuration_error"
    assert missing not in listing["body"]


@pytest.mark.parametrize(
    ("factory", "client", "path"),
    [
        ("create_s3_client", "s3", f"/documents/{'a' * 32}"),
        ("create_dynamodb_client", "dynamodb", "/documents"),
    ],
)
def test_client_creation_failure_is_logged_and_answered_as_configuration_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], factory: str, client: str, path: str
) -> None:
    def broken_client(**_: Any) -> Any:
        raise RuntimeError("no region")

    monkeypatch.setattr(handler_module, factory, broken_client)
    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE}))

    response = app.handle(make_event("GET", path), FakeContext())

    assert body_json(response)["error"]["code"] == "configuration_error"
    assert "no region" not in response["body"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    failure = next(entry for entry in logged if entry.get("client") == client)
    assert failure["message"] == "Could not create a client"
    assert "RuntimeError: no region" in failure["exception"]
    assert body_json(app.handle(make_event("GET", "/health"), FakeContext())) == {"status": "ok"}


def test_every_declared_route_needs_an_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handler_module, "ROUTES", (*ROUTES, Route("GET", "/reports", "list_reports", "x")))

    with pytest.raises(RuntimeError, match="list_reports"):
        Application(load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE}), None)


def test_every_route_in_the_table_is_served(lam: Any) -> None:
    assert {route.operation for route in ROUTES} == set(lam.app.operations)


def _modules_after(program: str) -> set[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DOCUMENTS_BUCKET": BUCKET,
        "CATALOGUE_TABLE": TABLE,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": str(REPOSITORY_ROOT),
    }
    completed = subprocess.run(
        [sys.executable, "-c", LOADED_MODULES, program],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(completed.stdout.splitlines()[-1]))


def test_cold_start_imports_nothing_beyond_the_clients_and_the_package() -> None:
    # Cold start is a feature: pypdf, imagesize and any other module wait for the request that needs them.
    floor = _modules_after("floor")
    handler = _modules_after("handler")

    extra = handler - floor
    assert extra, "the handler program must import the handler"
    assert {name for name in extra if name.split(".")[0] != "document_processor"} == set()
    assert {"pypdf", "imagesize"}.isdisjoint(handler)
