"""openapi.yaml is a valid OpenAPI 3 document and cannot drift from the route table or the service."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
import yaml
from openapi_spec_validator import validate

from document_processor.documents import FACT_KEYS, Document, DocumentService
from document_processor.errors import ErrorCode
from document_processor.identity import normalise_principal
from document_processor.ids import new_document_id
from document_processor.routes import ROUTES
from document_processor.settings import SUPPORTED_CONTENT_TYPES
from document_processor.storage import ListedObject
from document_processor.validation import MAX_PAGE_LIMIT, encode_cursor

if TYPE_CHECKING:
    from document_processor.storage import DocumentStore

OPENAPI_PATH = Path(__file__).resolve().parents[3] / "openapi.yaml"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(OPENAPI_PATH.read_text())
    return loaded


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def test_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


def test_operations_are_exactly_the_route_table(document: dict[str, Any]) -> None:
    operations = _operations(document)
    assert set(operations) == {(route.method, route.path) for route in ROUTES}
    for route in ROUTES:
        operation = operations[(route.method, route.path)]
        assert operation["operationId"] == route.operation
        assert operation["summary"] == route.summary


def test_every_operation_documents_api_gateways_403(document: dict[str, Any]) -> None:
    for key, operation in _operations(document).items():
        assert "403" in operation["responses"], key


def test_document_id_pattern_accepts_what_the_service_generates(document: dict[str, Any]) -> None:
    pattern = _schema(document, "DocumentId")["pattern"]
    assert re.fullmatch(pattern, new_document_id())
    assert not re.fullmatch(pattern, new_document_id().upper())


def test_cursor_pattern_accepts_what_the_service_generates(document: dict[str, Any]) -> None:
    assert re.fullmatch(_schema(document, "Cursor")["pattern"], encode_cursor(new_document_id()))


def test_limit_bounds_match_the_service(document: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in document["paths"]["/documents"]["get"]["parameters"]}
    assert parameters["limit"]["schema"]["maximum"] == MAX_PAGE_LIMIT
    assert parameters["limit"]["schema"]["minimum"] == 1


def test_error_codes_are_the_services(document: dict[str, Any]) -> None:
    codes = _schema(document, "Error")["properties"]["error"]["properties"]["code"]["enum"]
    assert set(codes) == {str(code) for code in ErrorCode}


def test_upload_and_download_media_types_are_the_supported_ones(document: dict[str, Any]) -> None:
    upload = document["paths"]["/documents"]["post"]["requestBody"]["content"]
    download = document["paths"]["/documents/{id}/content"]["get"]["responses"]["200"]["content"]
    assert set(upload) == set(SUPPORTED_CONTENT_TYPES)
    assert set(download) == set(SUPPORTED_CONTENT_TYPES)
    assert set(_schema(document, "Document")["properties"]["contentType"]["enum"]) == SUPPORTED_CONTENT_TYPES


def test_document_schemas_have_exactly_the_fields_the_service_returns(document: dict[str, Any]) -> None:
    every_fact = dict.fromkeys(FACT_KEYS, 1)  # a document carrying every type-specific fact there is
    returned = Document("0" * 32, "application/pdf", 1, None, None, every_fact).to_json()
    schema = _schema(document, "Document")
    assert set(schema["properties"]) == set(returned)
    assert set(schema["required"]) == set(returned) - set(FACT_KEYS)


class _OneObjectStore:
    """Stands in for S3's listing only: one document under whatever prefix is asked for."""

    def list_page(
        self, prefix: str, *, start_after: str | None, limit: int
    ) -> tuple[list[ListedObject], bool]:
        return [ListedObject(f"{prefix}{'0' * 32}", 1, datetime.now(UTC))], False


def test_list_item_schema_has_exactly_the_fields_the_service_returns(document: dict[str, Any]) -> None:
    service = DocumentService(cast("DocumentStore", _OneObjectStore()), allowed_content_types=frozenset())
    (item,), _ = service.list_page(
        normalise_principal("arn:aws:iam::111122223333:user/alice"), limit=1, after=None
    )
    summary = _schema(document, "DocumentSummary")
    assert set(summary["properties"]) == set(summary["required"]) == set(item)
