"""Requests and checks shared by the fault-injection tests (S3 and catalogue)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

from tests.robustness.checks import assert_error_body
from tests.unit.service.conftest import ALICE, make_event

if TYPE_CHECKING:
    from tests.robustness.conftest import Deployment
    from tests.robustness.fault_proxy import FaultProxy

TEXT = "Fault-injection document.\n" * 200


def call(deployment: Deployment, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """One request as alice."""
    return deployment.call(make_event(method, path, caller=ALICE, **kwargs))


def upload(deployment: Deployment, *, key: str | None = None, text: str = TEXT) -> dict[str, Any]:
    """Upload ``text`` as alice, with an Idempotency-Key when ``key`` is given."""
    headers = {"Content-Type": "text/plain"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return call(deployment, "POST", "/documents", headers=headers, body=text.encode())


def seed(deployment: Deployment, proxy: FaultProxy) -> str:
    """One document stored (and listed) without faults; the proxy's counts start from zero afterwards."""
    response = upload(deployment)
    assert response["statusCode"] == 201, response["body"]
    proxy.reset_counts()
    return str(json.loads(response["body"])["id"])


def assert_unavailable(response: dict[str, Any]) -> None:
    """503 ``storage_unavailable`` in the service's error shape."""
    assert response["statusCode"] == 503, response["body"]
    assert_error_body(response["body"], "storage_unavailable")


def assert_refused(response: dict[str, Any]) -> None:
    """502 ``storage_error`` in the service's error shape."""
    assert response["statusCode"] == 502, response["body"]
    assert_error_body(response["body"], "storage_error")


def assert_intact(deployment: Deployment, document_id: str, text: str = TEXT) -> None:
    """The document reads back whole: same bytes, same SHA-256 as stored, metadata consistent."""
    download = call(deployment, "GET", f"/documents/{document_id}/content")
    assert download["statusCode"] == 200, download["body"]
    assert base64.b64decode(download["body"]) == text.encode()
    described = json.loads(call(deployment, "GET", f"/documents/{document_id}")["body"])
    assert described["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert described["size"] == len(text.encode())


def assert_listed_as_described(deployment: Deployment, document_ids: list[str]) -> None:
    """The listing holds exactly ``document_ids``, each item equal to ``GET /documents/{id}``."""
    listed = deployment.listed()
    assert sorted(item["id"] for item in listed) == sorted(document_ids)
    for item in listed:
        described = call(deployment, "GET", f"/documents/{item['id']}")
        assert described["statusCode"] == 200, described["body"]
        assert json.loads(described["body"]) == item
