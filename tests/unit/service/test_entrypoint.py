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
from tests.unit.service.conftest import BUCKET, FakeContext, body_json, make_event
from tests.unit.service.samples import make_pdf

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import ModuleType

REPOSITORY_ROOT = Path(__file__).resolve().parents[3]
LOADED_MODULES = """
import json, sys
if sys.argv[1] == "floor":
    from document_processor.storage import create_s3_client  # standard library + botocore only
    create_s3_client()
else:
    import document_processor.handler
print(json.dumps(sorted(sys.modules)))
"""
"""Prints the modules a fresh interpreter holds after the floor (the S3 client) or the handler's import."""


@pytest.fixture
def reloaded(monkeypatch: pytest.MonkeyPatch, aws_credentials: None) -> Iterator[ModuleType]:
    """Re-import the handler module under the test's environment; restore it afterwards."""
    yield handler_module
    monkeypatch.undo()
    importlib.reload(handler_module)


def test_configured_module_serves_requests_through_lambda_handler(
    reloaded: ModuleType, monkeypatch: pytest.MonkeyPatch, s3: Any
) -> None:
    monkeypatch.setenv("DOCUMENTS_BUCKET", BUCKET)
    module = importlib.reload(reloaded)

    event = make_event("POST", "/documents", headers={"Content-Type": "application/pdf"}, body=make_pdf(1))
    response = module.lambda_handler(event, FakeContext())

    assert response["statusCode"] == 201
    assert body_json(response)["pageCount"] == 1


def test_missing_bucket_logs_once_at_import_and_answers_500_json(
    reloaded: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DOCUMENTS_BUCKET", raising=False)

    module = importlib.reload(reloaded)
    startup = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    health = module.lambda_handler(make_event("GET", "/health"), FakeContext())
    listing = module.lambda_handler(make_event("GET", "/documents"), FakeContext())

    assert startup[0]["level"] == "ERROR"
    assert startup[0]["problems"] == ["DOCUMENTS_BUCKET is not set: set it to the documents bucket's name."]
    assert health["statusCode"] == 200
    assert listing["statusCode"] == 500
    assert body_json(listing)["error"]["code"] == "configuration_error"
    assert "DOCUMENTS_BUCKET" not in listing["body"]


def test_client_creation_failure_is_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_client() -> Any:
        raise RuntimeError("no region")

    monkeypatch.setattr(handler_module, "create_s3_client", broken_client)

    app = Application.from_settings(load_settings({"DOCUMENTS_BUCKET": BUCKET}))

    assert app.service is None
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert logged[0]["message"] == "Could not create the S3 client: only /health will be served"
    assert "RuntimeError: no region" in logged[0]["exception"]
    response = app.handle(make_event("GET", "/documents"), FakeContext())
    assert body_json(response)["error"]["code"] == "configuration_error"


def test_every_declared_route_needs_an_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handler_module, "ROUTES", (*ROUTES, Route("GET", "/reports", "list_reports", "x")))

    with pytest.raises(RuntimeError, match="list_reports"):
        Application(load_settings({"DOCUMENTS_BUCKET": BUCKET}), None)


def test_every_route_in_the_table_is_served(lam: Any) -> None:
    assert {route.operation for route in ROUTES} == set(lam.app.operations)


def _modules_after(program: str) -> set[str]:
    environment = {
        "PATH": os.environ.get("PATH", ""),
        "DOCUMENTS_BUCKET": BUCKET,
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


def test_cold_start_imports_nothing_beyond_the_s3_client_and_the_package() -> None:
    # Cold start is a feature: pypdf, imagesize and any other module wait for the request that needs them.
    floor = _modules_after("floor")
    handler = _modules_after("handler")

    extra = handler - floor
    assert extra, "the handler program must import the handler"
    assert {name for name in extra if name.split(".")[0] != "document_processor"} == set()
    assert {"pypdf", "imagesize"}.isdisjoint(handler)
