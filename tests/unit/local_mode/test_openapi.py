"""openapi.yaml is a valid OpenAPI 3 document and cannot drift from the route table or the service."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from document_processor.documents import FACT_KEYS, Document
from document_processor.errors import BadRequestError, ErrorCode
from document_processor.ids import new_document_id
from document_processor.ingest_validation import RejectionCode
from document_processor.presign import MAX_DOWNLOAD_URL_SECONDS
from document_processor.routes import ROUTES
from document_processor.settings import SUPPORTED_CONTENT_TYPES
from document_processor.uploads import (
    COMPLETE_PART_FIELDS,
    MAX_ETAG_LENGTH,
    MAX_PARTS,
    MAX_PARTS_PER_REQUEST,
    SESSION_LIST_PARAMETERS,
    UPLOAD_OPTIONAL_FIELDS,
    UPLOAD_REQUEST_FIELDS,
    UploadError,
    UploadRequest,
    UploadSession,
    UploadStatus,
    new_session,
    session_cursor_binding,
)
from document_processor.validation import (
    CURSOR_LENGTH,
    DEFAULT_PAGE_LIMIT,
    DOWNLOAD_QUERY_PARAMETERS,
    LIST_QUERY_PARAMETERS,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_NAME_PREFIX_LENGTH,
    MAX_PAGE_LIMIT,
    ORDER_NEWEST,
    ORDERS,
    REDIRECT_VALUES,
    cursor_binding,
    encode_cursor,
    idempotency_key,
    list_parameters,
)

OWNER_KEY = hashlib.sha256(b"arn:aws:iam::111122223333:user/alice").hexdigest()
PROBED_CHARACTERS = [chr(code) for code in (*range(0x300), 0x2028, 0x202E, 0xFEFF, 0x1F642)]
"""Every ASCII and Latin-1 character and then some: where a schema pattern and the service could disagree."""
SURROGATES = [chr(0xD800), chr(0xDBFF), chr(0xDC00), chr(0xDFFF)]
"""Refused by the service, but left out of the prefix pattern: no UTF-8 query string can carry one."""

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
    pattern = _schema(document, "Cursor")["pattern"]
    for order in ORDERS:
        for content_type in (None, *SUPPORTED_CONTENT_TYPES):
            for prefix in (None, "report", "stra\u00dfe"):
                cursor = encode_cursor(
                    new_document_id(), cursor_binding(OWNER_KEY, order, content_type, prefix)
                )
                assert len(cursor) == CURSOR_LENGTH
                assert re.fullmatch(pattern, cursor), cursor


def _list_parameters(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in document["paths"]["/documents"]["get"]["parameters"]}


def test_list_parameters_are_exactly_the_services(document: dict[str, Any]) -> None:
    parameters = _list_parameters(document)
    assert set(parameters) == LIST_QUERY_PARAMETERS
    assert all(p["in"] == "query" and not p.get("required", False) for p in parameters.values())


def test_limit_bounds_match_the_service(document: dict[str, Any]) -> None:
    limit = _list_parameters(document)["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT)


def test_order_and_content_type_enums_match_the_service(document: dict[str, Any]) -> None:
    parameters = _list_parameters(document)
    assert set(parameters["order"]["schema"]["enum"]) == ORDERS
    assert parameters["order"]["schema"]["default"] == ORDER_NEWEST
    assert set(parameters["contentType"]["schema"]["enum"]) == SUPPORTED_CONTENT_TYPES


def _service_accepts_prefix(value: str) -> bool:
    """Whether the service takes ``q=value`` (a refusal must be ``invalid_query_parameter``)."""
    code = None
    try:
        list_parameters({"q": [value]}, owner_key=OWNER_KEY)
    except BadRequestError as error:
        code = error.code
    assert code in (None, ErrorCode.INVALID_QUERY_PARAMETER)
    return code is None


def test_filename_prefix_schema_is_the_services_rule(document: dict[str, Any]) -> None:
    schema = _schema(document, "FilenamePrefix")
    assert (schema["minLength"], schema["maxLength"]) == (1, MAX_NAME_PREFIX_LENGTH)
    assert _list_parameters(document)["q"]["schema"] == {"$ref": "#/components/schemas/FilenamePrefix"}
    for character in PROBED_CHARACTERS:
        in_schema = re.fullmatch(schema["pattern"], character) is not None
        assert in_schema == _service_accepts_prefix(character), repr(character)
    assert not any(_service_accepts_prefix(surrogate) for surrogate in SURROGATES)
    assert _service_accepts_prefix("x" * MAX_NAME_PREFIX_LENGTH)
    assert not _service_accepts_prefix("x" * (MAX_NAME_PREFIX_LENGTH + 1))
    assert not _service_accepts_prefix("")


def _service_accepts_key(value: str) -> bool:
    """Whether the service takes the header value (a refusal must be ``invalid_idempotency_key``)."""
    code = None
    try:
        idempotency_key(value)
    except BadRequestError as error:
        code = error.code
    assert code in (None, ErrorCode.INVALID_IDEMPOTENCY_KEY)
    return code is None


def test_idempotency_key_schema_is_the_services_rule(document: dict[str, Any]) -> None:
    schema = _schema(document, "IdempotencyKey")
    upload = {p["name"]: p for p in document["paths"]["/documents"]["post"]["parameters"]}
    assert upload["Idempotency-Key"]["in"] == "header"
    assert upload["Idempotency-Key"]["schema"] == {"$ref": "#/components/schemas/IdempotencyKey"}
    assert (schema["minLength"], schema["maxLength"]) == (1, MAX_IDEMPOTENCY_KEY_LENGTH)
    for character in PROBED_CHARACTERS:
        in_schema = re.fullmatch(schema["pattern"], character) is not None
        assert in_schema == _service_accepts_key(character), repr(character)
    assert not any(_service_accepts_key(surrogate) for surrogate in SURROGATES)
    assert _service_accepts_key("~" * MAX_IDEMPOTENCY_KEY_LENGTH)
    assert not _service_accepts_key("~" * (MAX_IDEMPOTENCY_KEY_LENGTH + 1))
    assert not _service_accepts_key("")


def test_upload_declares_the_replay_header_and_the_reused_key_answer(document: dict[str, Any]) -> None:
    responses = document["paths"]["/documents"]["post"]["responses"]
    assert responses["201"]["headers"]["Idempotent-Replayed"]["schema"]["enum"] == ["true"]
    assert responses["422"] == {"$ref": "#/components/responses/UnprocessableEntity"}
    unprocessable = document["components"]["responses"]["UnprocessableEntity"]
    assert unprocessable["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


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


def test_list_items_are_the_document_schema(document: dict[str, Any]) -> None:
    """A listing item is exactly what ``GET /documents/{id}`` returns (``Document.to_json``)."""
    page = _schema(document, "DocumentPage")
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Document"}
    assert page["properties"]["items"]["maxItems"] == MAX_PAGE_LIMIT
    assert "DocumentSummary" not in document["components"]["schemas"]


def _parameter_names(document: dict[str, Any], path: str, method: str) -> set[str]:
    item = document["paths"][path]
    declared = [*item.get("parameters", []), *item[method].get("parameters", [])]
    resolved = [
        document["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
        for p in declared
    ]
    return {p["name"] for p in resolved if p["in"] == "path"}


def test_every_operation_declares_exactly_its_path_parameters(document: dict[str, Any]) -> None:
    for route in ROUTES:
        template = {segment[1:-1] for segment in route.segments if segment.startswith("{")}
        assert _parameter_names(document, route.path, route.method.lower()) == template, route


def test_every_operation_on_one_resource_documents_its_404_and_the_invalid_id(
    document: dict[str, Any],
) -> None:
    for route in ROUTES:
        responses = _operations(document)[(route.method, route.path)]["responses"]
        if "{id}" in route.path:
            assert {"400", "404"} <= set(responses), route


def test_upload_request_schema_is_the_services_body(document: dict[str, Any]) -> None:
    schema = _schema(document, "UploadRequest")
    assert set(schema["required"]) == set(UPLOAD_REQUEST_FIELDS)
    assert set(schema["properties"]) == set(UPLOAD_REQUEST_FIELDS) | set(UPLOAD_OPTIONAL_FIELDS)
    assert schema["properties"]["partChecksums"] == {
        **schema["properties"]["partChecksums"],
        "type": "boolean",
    }
    assert schema["additionalProperties"] is False
    create = document["paths"]["/uploads"]["post"]
    assert create["responses"]["415"] == {"$ref": "#/components/responses/UnsupportedMediaType"}
    assert create["responses"]["413"] == {"$ref": "#/components/responses/PayloadTooLarge"}
    assert {p["name"] for p in create["parameters"]} == {"Idempotency-Key"}


def _session(status: UploadStatus, **changes: Any) -> UploadSession:
    request = UploadRequest(
        filename="a.pdf", content_type="application/pdf", size=6 * 1024 * 1024, sha256="a" * 64
    )
    session = new_session(
        new_document_id(), request, owner="arn:aws:iam::1:user/a", multipart_upload_id="m", now=1
    )
    return session._replace(status=status, **changes)


def test_upload_session_schema_has_exactly_the_fields_the_service_returns(document: dict[str, Any]) -> None:
    schema = _schema(document, "UploadSession")
    plain = _session(UploadStatus.AWAITING_PARTS).to_json(now=0)
    stored = _session(UploadStatus.STORED, document_id="0" * 32).to_json(now=0)
    rejected = _session(UploadStatus.REJECTED, error=UploadError("size_mismatch", "m")).to_json(now=0)
    assert set(schema["required"]) == set(plain)
    assert set(schema["properties"]) == set(plain) | set(stored) | set(rejected)
    assert set(_schema(document, "UploadStatus")["enum"]) == {str(status) for status in UploadStatus}
    assert set(_schema(document, "UploadRejection")["properties"]["code"]["enum"]) == {
        str(code) for code in RejectionCode
    }
    assert set(schema["properties"]["contentType"]["enum"]) == SUPPORTED_CONTENT_TYPES


def test_part_limits_are_the_services(document: dict[str, Any]) -> None:
    parts = _schema(document, "PartsRequest")["properties"]
    assert parts["partNumbers"]["maxItems"] == parts["checksums"]["maxItems"] == MAX_PARTS_PER_REQUEST
    assert _schema(document, "PartNumber")["maximum"] == MAX_PARTS
    assert _schema(document, "PartUrls")["properties"]["parts"]["maxItems"] == MAX_PARTS_PER_REQUEST
    complete = _schema(document, "CompleteRequest")["properties"]["parts"]
    assert complete["maxItems"] == MAX_PARTS
    assert set(complete["items"]["properties"]) == set(COMPLETE_PART_FIELDS)
    assert complete["items"]["properties"]["etag"]["maxLength"] == MAX_ETAG_LENGTH
    checksum = base64.b64encode(hashlib.sha256(b"part").digest()).decode()
    assert re.fullmatch(_schema(document, "Sha256Base64")["pattern"], checksum)


def test_session_listing_parameters_are_the_services(document: dict[str, Any]) -> None:
    parameters = {p["name"]: p for p in document["paths"]["/uploads"]["get"]["parameters"]}
    assert set(parameters) == SESSION_LIST_PARAMETERS
    limit = parameters["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, MAX_PAGE_LIMIT, DEFAULT_PAGE_LIMIT)
    cursor = encode_cursor(new_document_id(), session_cursor_binding(OWNER_KEY))
    assert re.fullmatch(_schema(document, "Cursor")["pattern"], cursor)
    page = _schema(document, "UploadSessionPage")["properties"]["items"]
    assert page == {
        "type": "array",
        "maxItems": MAX_PAGE_LIMIT,
        "items": {"$ref": "#/components/schemas/UploadSession"},
    }


def test_download_declares_the_redirect_parameter_and_the_303(document: dict[str, Any]) -> None:
    download = document["paths"]["/documents/{id}/content"]["get"]
    parameters = {p["name"]: p for p in download["parameters"]}
    assert set(parameters) == DOWNLOAD_QUERY_PARAMETERS
    assert set(parameters["redirect"]["schema"]["enum"]) == set(REDIRECT_VALUES)
    see_other = download["responses"]["303"]
    assert see_other["headers"]["Location"]["required"] is True
    link = _schema(document, "DownloadLink")
    assert set(link["properties"]) == set(link["required"]) == {"url", "expiresIn"}
    assert link["properties"]["expiresIn"]["maximum"] == MAX_DOWNLOAD_URL_SECONDS
