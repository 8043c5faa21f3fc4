"""The handler end to end against moto: every route and status, both payload versions, ownership."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.documents import object_key
from document_processor.identity import normalise_principal
from document_processor.validation import cursor_binding, encode_cursor
from tests.unit.service.conftest import (
    ALICE,
    ALICE_OTHER_SESSION,
    BOB,
    BUCKET,
    Lambda,
    body_json,
    build_lambda,
    make_event,
    object_versions,
)
from tests.unit.service.samples import make_jpeg, make_pdf, make_png

if TYPE_CHECKING:
    from document_processor.storage import StoredObject

VERSIONS = ["1.0", "2.0"]


def upload(
    lam: Lambda,
    data: bytes,
    content_type: str = "application/pdf",
    *,
    version: str = "1.0",
    caller: str = ALICE,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    event = make_event(
        "POST",
        "/documents",
        version=version,
        caller=caller,
        headers={"Content-Type": content_type, **(headers or {})},
        body=data,
    )
    return lam.call(event)


def uploaded_id(lam: Lambda, data: bytes, content_type: str = "application/pdf", **kwargs: Any) -> str:
    response = upload(lam, data, content_type, **kwargs)
    assert response["statusCode"] == 201, response["body"]
    return str(body_json(response)["id"])


def assert_error(response: dict[str, Any], status: int, code: str) -> dict[str, Any]:
    assert response["statusCode"] == status, response["body"]
    assert response["headers"]["Content-Type"] == "application/json"
    error = body_json(response)["error"]
    assert error["code"] == code
    assert set(error) == {"code", "message", "requestId"}
    return dict(error)


# --- health and routing ---------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_health_answers_without_identity_or_s3_call(lam: Lambda, version: str) -> None:
    calls: list[str] = []
    lam.s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))

    response = lam.call(make_event("GET", "/health", version=version, caller=None))

    assert response["statusCode"] == 200
    assert body_json(response) == {"status": "ok"}
    assert calls == []


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "path", ["/nope", "/documents/", "/documents/a/b", "/", "/uploads/", "/uploads/a/b", "/uploads/a/parts/1"]
)
def test_unknown_path_is_404_json(lam: Lambda, version: str, path: str) -> None:
    assert_error(lam.call(make_event("GET", path, version=version)), 404, "route_not_found")


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/documents", "GET, POST"),
        ("PATCH", "/documents/0123456789abcdef0123456789abcdef", "DELETE, GET"),
        ("POST", "/health", "GET"),
        ("DELETE", "/documents/0123456789abcdef0123456789abcdef/content", "GET"),
        ("PUT", "/uploads", "GET, POST"),
        ("POST", "/uploads/0123456789abcdef0123456789abcdef", "DELETE, GET"),
        ("GET", "/uploads/0123456789abcdef0123456789abcdef/parts", "POST"),
        ("DELETE", "/uploads/0123456789abcdef0123456789abcdef/complete", "POST"),
    ],
)
def test_wrong_method_is_405_with_allow(
    lam: Lambda, version: str, method: str, path: str, allow: str
) -> None:
    response = lam.call(make_event(method, path, version=version))

    assert_error(response, 405, "method_not_allowed")
    assert response["headers"]["Allow"] == allow


def test_an_event_that_is_not_http_is_a_400(lam: Lambda) -> None:
    assert_error(lam.call({"detail-type": "Scheduled Event"}), 400, "invalid_request")


def rest_event(
    method: str, path: str, resource: str, path_parameters: dict[str, str] | None
) -> dict[str, Any]:
    """A REST event whose ``resource``/``pathParameters`` are given as they are, whatever ``path`` says."""
    event = make_event(method, path)
    event["resource"] = event["requestContext"]["resourcePath"] = resource
    event["pathParameters"] = path_parameters
    return event


def test_a_rest_event_is_served_for_the_route_api_gateway_matched(lam: Lambda) -> None:
    document_id = uploaded_id(lam, b"matched", "text/plain")

    response = lam.call(
        rest_event("GET", f"/documents/{document_id}/content", "/documents/{id}/content", {"id": document_id})
    )

    assert response["statusCode"] == 200
    assert base64.b64decode(response["body"]) == b"matched"


@pytest.mark.parametrize(
    ("path", "resource", "parameters"),
    [
        # the path names the metadata route, the gateway matched (and authorised) the bytes
        ("/documents/{document}", "/documents/{id}/content", {"id": "{document}"}),
        # and the other way round
        ("/documents/{document}/content", "/documents/{id}", {"id": "{document}"}),
        # the path names another document than the gateway's parameter
        ("/documents/{other}", "/documents/{id}", {"id": "{document}"}),
        # the gateway matched the collection, the path names one document
        ("/documents/{document}", "/documents", None),
        # parameters that are not the template's
        ("/documents/{document}", "/documents/{id}", None),
        ("/documents/{document}", "/documents/{id}", {"id": "{document}", "extra": "x"}),
        ("/documents/{document}", "/documents/{id}", {"documentId": "{document}"}),
        # a stage or base path left in ``path``
        ("/dev/documents/{document}", "/documents/{id}", {"id": "{document}"}),
    ],
)
def test_a_rest_event_whose_path_disagrees_with_its_route_is_refused(
    lam: Lambda, path: str, resource: str, parameters: dict[str, str] | None
) -> None:
    document_id = uploaded_id(lam, b"mine", "text/plain")
    other_id = uploaded_id(lam, b"also mine", "text/plain")
    ids = {"document": document_id, "other": other_id}
    filled = {name: value.format(**ids) for name, value in (parameters or {}).items()}
    calls: list[str] = []
    lam.s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))

    event = rest_event("GET", path.format(**ids), resource, filled if parameters is not None else None)
    error = assert_error(lam.call(event), 400, "invalid_request")

    assert error["message"] == "The event's path does not match the route API Gateway matched."
    assert calls == []


def test_a_rest_event_without_a_resource_is_refused(lam: Lambda) -> None:
    event = make_event("GET", "/documents")
    del event["resource"]

    assert_error(lam.call(event), 400, "invalid_request")


@pytest.mark.parametrize("parameters", [["id"], {"id": 7}, "id=abc"])
def test_path_parameters_that_are_not_a_map_of_strings_are_refused(lam: Lambda, parameters: object) -> None:
    event = make_event("GET", f"/documents/{'a' * 32}")
    event["pathParameters"] = parameters

    assert_error(lam.call(event), 400, "invalid_request")


@pytest.mark.parametrize("resource", ["/{proxy+}", "/documents/{id}/versions", "/nope"])
def test_a_resource_the_function_does_not_declare_is_404_whatever_the_path(
    lam: Lambda, resource: str
) -> None:
    event = rest_event("GET", "/documents", resource, None)

    assert_error(lam.call(event), 404, "route_not_found")


@pytest.mark.parametrize("document_id", ["..%2F..%2Fetc", "../../etc"])
def test_an_encoded_or_decoded_parameter_agrees_with_its_encoded_path(lam: Lambda, document_id: str) -> None:
    event = rest_event("GET", "/documents/..%2F..%2Fetc", "/documents/{id}", {"id": document_id})

    assert_error(lam.call(event), 400, "invalid_id")


def test_function_url_events_route_by_raw_path(lam: Lambda) -> None:
    event = make_event("GET", "/health", version="2.0")
    event.update(resource="/documents/{id}", pathParameters={"id": "a" * 32})

    assert body_json(lam.call(event)) == {"status": "ok"}


# --- upload ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_upload_pdf_returns_201_metadata_and_location(lam: Lambda, version: str) -> None:
    pdf = make_pdf(3)

    response = upload(
        lam, pdf, version=version, headers={"Content-Disposition": 'attachment; filename="Q3 report.pdf"'}
    )

    assert response["statusCode"] == 201
    document = body_json(response)
    assert document["contentType"] == "application/pdf"
    assert document["size"] == len(pdf)
    assert document["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert document["filename"] == "Q3 report.pdf"
    assert document["pageCount"] == 3
    expected_prefix = "/dev/documents/" if version == "1.0" else "/documents/"
    assert response["headers"]["Location"] == expected_prefix + document["id"]


@pytest.mark.parametrize(
    ("data", "content_type", "facts"),
    [
        (make_png(640, 480), "image/png", {"width": 640, "height": 480}),
        (make_jpeg(33, 17), "image/jpeg", {"width": 33, "height": 17}),
        ("héllo, wörld\n".encode(), "text/plain; charset=UTF-8", {}),
    ],
)
def test_upload_records_type_specific_facts(
    lam: Lambda, data: bytes, content_type: str, facts: dict[str, int]
) -> None:
    document_id = uploaded_id(lam, data, content_type)

    document = body_json(lam.call(make_event("GET", f"/documents/{document_id}")))

    assert {key: document[key] for key in facts} == facts
    assert not {"pageCount", "width", "height"} - set(facts) & set(document)
    assert document["contentType"] == content_type.split(";")[0]


def test_upload_stores_one_object_with_checksum_owner_and_encoded_filename(lam: Lambda) -> None:
    pdf = make_pdf(1)
    document_id = uploaded_id(
        lam, pdf, headers={"Content-Disposition": "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"}
    )

    key = object_key(normalise_principal(ALICE), document_id)
    head = lam.s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")

    assert key.startswith("documents/")
    assert key.endswith("/" + document_id)
    assert ALICE not in key
    assert "DocumentWriter" not in key
    assert head["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(pdf).digest()).decode()
    assert head["ContentType"] == "application/pdf"
    assert head["Metadata"]["owner"] == "arn:aws:iam::111122223333:role/DocumentWriter"
    assert head["Metadata"]["filename"] == "r%C3%A9sum%C3%A9.pdf"
    assert head["Metadata"]["page-count"] == "1"
    assert [version["Key"] for version in object_versions(lam.s3)] == [key]


def test_text_body_that_arrived_unencoded_is_accepted(lam: Lambda) -> None:
    event = make_event(
        "POST", "/documents", headers={"Content-Type": "text/plain"}, body=b"plain words", base64_body=False
    )

    response = lam.call(event)

    assert response["statusCode"] == 201
    assert body_json(response)["size"] == len(b"plain words")


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({"Content-Type": "application/pdf"}, b"", 400, "empty_body"),
        ({"Content-Type": "application/pdf"}, b"%PDF-" + b"x" * 2000, 413, "document_too_large"),
        ({}, make_pdf(1), 415, "missing_content_type"),
        ({"Content-Type": "application/zip"}, b"PK\x03\x04", 415, "unsupported_content_type"),
        ({"Content-Type": "not a type"}, make_pdf(1), 415, "unsupported_content_type"),
        ({"Content-Type": "image/png"}, make_pdf(1), 415, "content_type_mismatch"),
        ({"Content-Type": "application/pdf"}, make_png(2, 2), 415, "content_type_mismatch"),
        ({"Content-Type": "text/plain"}, make_pdf(1), 415, "content_type_mismatch"),
        ({"Content-Type": "text/plain"}, b"caf\xe9", 415, "invalid_text_encoding"),
        ({"Content-Type": "text/plain"}, b"nul\x00byte", 415, "invalid_text_encoding"),
        ({"Content-Type": "text/plain; charset=latin-1"}, b"plain", 415, "invalid_text_encoding"),
        ({"Content-Type": "application/pdf"}, b"%PDF-1.7 not really a pdf", 415, "malformed_document"),
        ({"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\x00" * 4, 415, "malformed_document"),
        (
            {"Content-Type": "application/pdf", "Content-Disposition": "form-data-x; filename=a.pdf"},
            make_pdf(1),
            400,
            "invalid_content_disposition",
        ),
    ],
)
def test_upload_rejections_store_nothing(
    s3: Any, dynamodb: Any, headers: dict[str, str], body: bytes, status: int, code: str
) -> None:
    lam = build_lambda(s3, dynamodb, MAX_DOCUMENT_BYTES="1500")
    event = make_event("POST", "/documents", headers=headers, body=body)
    if not body:
        event["body"] = ""

    assert_error(lam.call(event), status, code)

    assert object_versions(s3) == []
    rejection = [line for line in lam.lines() if "Rejections" in line]
    assert rejection
    assert rejection[0]["Reason"] == code


@pytest.mark.parametrize(
    "body",
    [
        "not base64!",
        "QUJD=",
        "QUJDRA",
        "QUJDRA==QUJD",
        "ÿÿÿÿ",
        "QUJD====",
        "QU==QUJD",
        "QUJ\nRA==",
        "aGVsbG9=",
    ],
)
def test_malformed_base64_is_400(lam: Lambda, body: str) -> None:
    event = make_event("POST", "/documents", headers={"Content-Type": "text/plain"}, body=body)
    event["isBase64Encoded"] = True

    assert_error(lam.call(event), 400, "invalid_base64")


def test_oversized_base64_is_refused_before_decoding(s3: Any, dynamodb: Any) -> None:
    lam = build_lambda(s3, dynamodb, MAX_DOCUMENT_BYTES="30")
    too_long = base64.b64encode(b"x" * 31).decode()
    # Not base64 at all: a decode attempt would answer 400 invalid_base64, so a 413 proves none was made.
    undecodable = "!" * len(too_long)

    for body in (too_long, undecodable):
        event = make_event("POST", "/documents", headers={"Content-Type": "text/plain"}, body=body)
        event["isBase64Encoded"] = True
        assert_error(lam.call(event), 413, "document_too_large")


def test_document_of_exactly_the_limit_is_accepted(s3: Any, dynamodb: Any) -> None:
    lam = build_lambda(s3, dynamodb, MAX_DOCUMENT_BYTES="30")

    assert upload(lam, b"y" * 30, "text/plain")["statusCode"] == 201


def test_type_outside_the_configured_allow_list_is_415(s3: Any, dynamodb: Any) -> None:
    lam = build_lambda(s3, dynamodb, ALLOWED_CONTENT_TYPES="application/pdf")

    assert_error(upload(lam, make_png(1, 1), "image/png"), 415, "unsupported_content_type")


def test_body_with_lone_surrogate_is_400(lam: Lambda) -> None:
    event = make_event(
        "POST", "/documents", headers={"Content-Type": "text/plain"}, body="\ud800", base64_body=False
    )

    assert_error(lam.call(event), 400, "invalid_request")


def test_conditional_create_never_overwrites_and_retries_with_a_new_id(lam: Lambda) -> None:
    taken, fresh = "0" * 31 + "1", "0" * 31 + "2"
    key = object_key(normalise_principal(ALICE), taken)
    lam.s3.put_object(Bucket=BUCKET, Key=key, Body=b"original", Metadata={"owner": "someone"})
    ids = iter([taken, fresh])
    lam.app.service._new_id = lambda: next(ids)  # type: ignore[union-attr]

    response = upload(lam, b"new text", "text/plain")

    assert response["statusCode"] == 201
    assert body_json(response)["id"] == fresh
    assert lam.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"original"
    assert len(object_versions(lam.s3)) == 2


def test_conditional_create_gives_up_after_bounded_attempts(lam: Lambda) -> None:
    taken = "0" * 31 + "1"
    lam.s3.put_object(Bucket=BUCKET, Key=object_key(normalise_principal(ALICE), taken), Body=b"original")
    lam.app.service._new_id = lambda: taken  # type: ignore[union-attr]

    assert_error(upload(lam, b"new text", "text/plain"), 502, "storage_error")
    assert len(object_versions(lam.s3)) == 1


# --- get, download, delete --------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_binary_round_trip_is_byte_for_byte(lam: Lambda, version: str) -> None:
    data = make_png(31, 7) + bytes(range(256))
    document_id = uploaded_id(
        lam,
        data,
        "image/png",
        version=version,
        headers={"Content-Disposition": 'attachment; filename="../../etc/pass\u202ewd.png"'},
    )

    response = lam.call(make_event("GET", f"/documents/{document_id}/content", version=version))

    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == data
    assert response["headers"]["Content-Type"] == "image/png"
    assert response["headers"]["ETag"].startswith('"')
    assert response["headers"]["Content-Disposition"] == (
        "attachment; filename=\"passwd.png\"; filename*=UTF-8''passwd.png"
    )


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (b"<html><script>alert(document.domain)</script></html>", "text/plain"),
        (make_pdf(1), "application/pdf"),
        (make_png(2, 2), "image/png"),
    ],
    ids=["text", "pdf", "png"],
)
def test_downloads_can_neither_run_content_nor_be_framed(
    lam: Lambda, version: str, data: bytes, content_type: str
) -> None:
    document_id = uploaded_id(lam, data, content_type, version=version)

    headers = lam.call(make_event("GET", f"/documents/{document_id}/content", version=version))["headers"]

    directives = [directive.strip() for directive in headers["Content-Security-Policy"].split(";")]
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; sandbox")
    assert directives == ["default-src 'none'", "sandbox", "frame-ancestors 'none'"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Disposition"].startswith("attachment")


def test_text_download_declares_utf8(lam: Lambda) -> None:
    document_id = uploaded_id(lam, "naïve\n".encode(), "text/plain")

    response = lam.call(make_event("GET", f"/documents/{document_id}/content"))

    assert response["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    assert response["headers"]["Content-Disposition"] == "attachment"
    assert base64.b64decode(response["body"]) == "naïve\n".encode()


@pytest.mark.parametrize("version", VERSIONS)
def test_get_returns_the_stored_metadata(lam: Lambda, version: str) -> None:
    upload_response = upload(
        lam, make_pdf(2), version=version, headers={"Content-Disposition": 'attachment; filename="a.pdf"'}
    )
    created = body_json(upload_response)

    response = lam.call(make_event("GET", f"/documents/{created['id']}", version=version))

    assert response["statusCode"] == 200
    assert body_json(response) == created


@pytest.mark.parametrize("version", VERSIONS)
def test_delete_is_204_then_404(lam: Lambda, version: str) -> None:
    document_id = uploaded_id(lam, make_pdf(1), version=version)

    first = lam.call(make_event("DELETE", f"/documents/{document_id}", version=version))
    second = lam.call(make_event("DELETE", f"/documents/{document_id}", version=version))

    assert first["statusCode"] == 204
    assert first["body"] == ""
    assert_error(second, 404, "not_found")
    assert_error(lam.call(make_event("GET", f"/documents/{document_id}", version=version)), 404, "not_found")
    assert any(line.get("DocumentsDeleted") == 1 for line in lam.lines())


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("GET", "/content"), ("DELETE", "")])
def test_absent_document_is_404(lam: Lambda, version: str, suffix: str, method: str) -> None:
    response = lam.call(make_event(method, f"/documents/{'a' * 32}{suffix}", version=version))

    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    "bad_id",
    [
        "..",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "A" * 32,
        "0123456789ABCDEF0123456789abcdef",
        "0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0",
        "".join(chr(0x0660 + int(c)) for c in "0123456789") + "abcdef0123456789abcdef",  # Arabic-Indic
        "0123456789abcdef0123456789abcdeg",
        "".join(chr(0xFEE0 + ord(c)) for c in "0123456789abcdef") + "0123456789abcdef",  # full-width
        "*",
    ],
)
@pytest.mark.parametrize("suffix", ["", "/content"])
def test_bad_id_formats_are_400_before_any_s3_call(lam: Lambda, bad_id: str, suffix: str) -> None:
    calls: list[str] = []
    lam.s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))

    assert_error(lam.call(make_event("GET", f"/documents/{bad_id}{suffix}")), 400, "invalid_id")
    assert calls == []


# --- identity and ownership -------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/documents"),
        ("GET", "/documents"),
        ("GET", f"/documents/{'a' * 32}"),
        ("DELETE", f"/documents/{'a' * 32}"),
        ("GET", f"/documents/{'a' * 32}/content"),
    ],
)
def test_request_without_identity_is_refused(lam: Lambda, version: str, method: str, path: str) -> None:
    event = make_event(method, path, version=version, caller=None, headers={"X-Local-Caller": BOB})

    assert_error(lam.call(event), 403, "missing_identity")


@pytest.mark.parametrize(
    "user_arn",
    [
        "",
        "bob",
        "arn:aws:s3:::bucket",
        "arn:aws:iam::123:user/x",
        "arn:aws:sts::111122223333:assumed-role/OnlyRole",
        "arn:aws-evil:iam::111122223333:user/bob",
        "arn:aws:iam::111122223333:user/" + "b" * 65,
        "arn:aws:iam::111122223333:user/" + "b" * 10_000,
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_unusable_identity_is_refused_like_a_missing_one(lam: Lambda, user_arn: str, version: str) -> None:
    missing = assert_error(
        lam.call(make_event("GET", "/documents", version=version, caller=None)), 403, "missing_identity"
    )
    event = make_event("GET", "/documents", version=version)
    context = event["requestContext"]
    (context.get("identity") or context["authorizer"]["iam"])["userArn"] = user_arn

    refused = assert_error(lam.call(event), 403, "missing_identity")

    assert refused["message"] == missing["message"]


def test_identity_with_inconsistent_account_is_refused(lam: Lambda) -> None:
    event = make_event("GET", "/documents")
    event["requestContext"]["identity"]["accountId"] = "999999999999"

    assert_error(lam.call(event), 403, "missing_identity")


def test_another_callers_document_is_indistinguishable_from_absent(lam: Lambda) -> None:
    document_id = uploaded_id(lam, make_pdf(1), caller=ALICE)
    absent_id = "f" * 32

    for method, suffix in [("GET", ""), ("GET", "/content"), ("DELETE", "")]:
        foreign = lam.call(make_event(method, f"/documents/{document_id}{suffix}", caller=BOB))
        absent = lam.call(make_event(method, f"/documents/{absent_id}{suffix}", caller=BOB))
        assert foreign["statusCode"] == absent["statusCode"] == 404
        assert body_json(foreign)["error"]["message"] == body_json(absent)["error"]["message"]

    assert body_json(lam.call(make_event("GET", "/documents", caller=BOB)))["items"] == []
    assert lam.call(make_event("GET", f"/documents/{document_id}", caller=ALICE))["statusCode"] == 200


def test_every_session_of_a_role_is_one_owner(lam: Lambda) -> None:
    document_id = uploaded_id(lam, make_pdf(1), caller=ALICE)

    response = lam.call(make_event("GET", f"/documents/{document_id}", caller=ALICE_OTHER_SESSION))

    assert response["statusCode"] == 200


def test_in_session_scope_each_session_of_a_role_is_its_own_owner(s3: Any, dynamodb: Any) -> None:
    lam = build_lambda(s3, dynamodb, OWNER_SCOPE="session")
    document_id = uploaded_id(lam, make_pdf(1), caller=ALICE)

    for method, suffix in [("GET", ""), ("GET", "/content"), ("DELETE", "")]:
        response = lam.call(
            make_event(method, f"/documents/{document_id}{suffix}", caller=ALICE_OTHER_SESSION)
        )
        assert_error(response, 404, "not_found")
    assert body_json(lam.call(make_event("GET", "/documents", caller=ALICE_OTHER_SESSION)))["items"] == []
    assert lam.call(make_event("GET", f"/documents/{document_id}", caller=ALICE))["statusCode"] == 200
    [stored] = object_versions(s3)
    assert stored["Key"] == f"documents/{hashlib.sha256(ALICE.encode()).hexdigest()}/{document_id}"
    assert s3.head_object(Bucket=BUCKET, Key=stored["Key"])["Metadata"]["owner"] == ALICE


def test_in_role_scope_the_key_is_the_roles(lam: Lambda) -> None:
    document_id = uploaded_id(lam, make_pdf(1), caller=ALICE)

    [stored] = object_versions(lam.s3)
    role = "arn:aws:iam::111122223333:role/DocumentWriter"
    assert stored["Key"] == f"documents/{hashlib.sha256(role.encode()).hexdigest()}/{document_id}"


def test_an_unknown_owner_scope_serves_only_health(s3: Any, dynamodb: Any) -> None:
    lam = build_lambda(s3, dynamodb, OWNER_SCOPE="per-user")

    assert lam.call(make_event("GET", "/health"))["statusCode"] == 200
    assert_error(lam.call(make_event("GET", "/documents")), 500, "configuration_error")


def test_object_recording_another_owner_is_not_served(lam: Lambda) -> None:
    document_id = "0" * 32
    key = object_key(normalise_principal(ALICE), document_id)
    lam.s3.put_object(Bucket=BUCKET, Key=key, Body=b"%PDF-", Metadata={"owner": BOB})

    for method, suffix in [("GET", ""), ("GET", "/content"), ("DELETE", "")]:
        assert_error(lam.call(make_event(method, f"/documents/{document_id}{suffix}")), 404, "not_found")
    assert len(object_versions(lam.s3)) == 1


# --- listing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_pagination_walks_every_document_once_newest_first(lam: Lambda, version: str) -> None:
    created = [uploaded_id(lam, f"document {n}".encode(), "text/plain", version=version) for n in range(7)]
    uploaded_id(lam, b"bob's", "text/plain", caller=BOB)

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = body_json(lam.call(make_event("GET", "/documents", version=version, query=query)))
        pages += 1
        assert len(page["items"]) <= 3
        seen.extend(item["id"] for item in page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            break

    assert pages == 3
    assert seen == sorted(created, reverse=True)


def test_list_items_are_exactly_what_get_answers(lam: Lambda) -> None:
    document_id = uploaded_id(
        lam, make_pdf(2), headers={"Content-Disposition": 'attachment; filename="Q3 report.pdf"'}
    )
    described = body_json(lam.call(make_event("GET", f"/documents/{document_id}")))

    page = body_json(lam.call(make_event("GET", "/documents")))

    assert page == {"items": [described], "nextCursor": None}
    assert described["filename"] == "Q3 report.pdf"
    assert described["pageCount"] == 2


def test_default_page_size_is_20(lam: Lambda) -> None:
    for n in range(21):
        uploaded_id(lam, f"doc {n}".encode(), "text/plain")

    page = body_json(lam.call(make_event("GET", "/documents")))

    assert len(page["items"]) == 20
    assert page["nextCursor"] is not None


def test_a_forged_cursor_only_positions_within_the_callers_own_documents(lam: Lambda) -> None:
    # A cursor bound to bob's own listing but naming alice's id: well formed, so it is a position,
    # and positions only ever select within bob's partition.
    bob_ids = [uploaded_id(lam, f"bob {n}".encode(), "text/plain", caller=BOB) for n in range(2)]
    alice_id = uploaded_id(lam, b"alice's", "text/plain", caller=ALICE)
    binding = cursor_binding(normalise_principal(BOB).owner_key, "newest", None, None)

    pages = [
        body_json(lam.call(make_event("GET", "/documents", query={"cursor": cursor}, caller=BOB)))
        for cursor in (encode_cursor(alice_id, binding), encode_cursor("f" * 32, binding))
    ]

    for page in pages:
        assert [item["id"] for item in page["items"]] == sorted(bob_ids, reverse=True)
        assert page["nextCursor"] is None


def test_another_callers_cursor_is_refused(lam: Lambda) -> None:
    for n in range(2):
        uploaded_id(lam, f"alice {n}".encode(), "text/plain", caller=ALICE)
    first = body_json(lam.call(make_event("GET", "/documents", query={"limit": "1"}, caller=ALICE)))

    replayed = lam.call(make_event("GET", "/documents", query={"cursor": first["nextCursor"]}, caller=BOB))

    error = assert_error(replayed, 400, "invalid_cursor")
    assert "another listing" in error["message"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"limit": "0"}, "invalid_limit"),
        ({"limit": "101"}, "invalid_limit"),
        ({"limit": "-1"}, "invalid_limit"),
        ({"limit": "ten"}, "invalid_limit"),
        ({"limit": "\u0661\u0660"}, "invalid_limit"),  # Arabic-Indic "10"
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"cursor": "Li4vLi4vZXRjL3Bhc3N3ZA=="}, "invalid_cursor"),
        ({"cursor": "Li4vLi4vZXRjL3Bhc3N3ZA/"}, "invalid_cursor"),
        ({"cursor": ""}, "invalid_cursor"),
        ({"cursor": "AAAAAAAAAAAAAAAAAAAAAA"}, "invalid_cursor"),  # an id-only cursor of before
        ({"order": "random"}, "invalid_query_parameter"),
        ({"contentType": "image/gif"}, "invalid_query_parameter"),
        ({"q": ""}, "invalid_query_parameter"),
        ({"offset": "3"}, "invalid_query_parameter"),
        ([("limit", "1"), ("limit", "2")], "invalid_query_parameter"),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_invalid_listing_parameters_are_400(lam: Lambda, query: Any, code: str, version: str) -> None:
    response = lam.call(make_event("GET", "/documents", version=version, query=query))

    assert_error(response, 400, code)


def test_the_listing_reads_the_catalogue_not_s3(lam: Lambda) -> None:
    # An object only S3 knows (the reconciler has not seen it yet) is not listed; no S3 call is made.
    document_id = uploaded_id(lam, b"real", "text/plain")
    key = object_key(normalise_principal(ALICE), "0" * 32)
    lam.s3.put_object(
        Bucket=BUCKET, Key=key, Body=b"x", Metadata={"owner": normalise_principal(ALICE).principal}
    )
    calls: list[str] = []
    lam.s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))

    page = body_json(lam.call(make_event("GET", "/documents")))

    assert [item["id"] for item in page["items"]] == [document_id]
    assert calls == []


# --- errors never leak ----------------------------------------------------------------------------


def test_unexpected_exception_is_a_generic_500_that_leaks_nothing(
    lam: Lambda, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode(*_: object, **__: object) -> None:
        raise RuntimeError(f"boom in {BUCKET} at documents/secret")

    lam.app.service.get = explode  # type: ignore[union-attr, method-assign]

    response = lam.call(make_event("GET", f"/documents/{'a' * 32}"))

    error = assert_error(response, 500, "internal_error")
    assert error["message"] == "An internal error occurred."
    assert BUCKET not in response["body"]
    assert "boom" not in response["body"]
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert any("RuntimeError" in entry.get("exception", "") for entry in logged)


def test_error_carries_the_gateway_request_id(lam: Lambda) -> None:
    event = make_event("GET", "/nope")

    error = assert_error(lam.call(event), 404, "route_not_found")

    assert error["requestId"] == event["requestContext"]["requestId"]


def test_responses_are_never_cached_or_sniffed(lam: Lambda) -> None:
    response = lam.call(make_event("GET", "/health"))

    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"


def test_v2_response_has_the_function_url_shape(lam: Lambda) -> None:
    response = lam.call(make_event("GET", "/health", version="2.0"))

    assert set(response) == {"statusCode", "headers", "body", "isBase64Encoded", "cookies"}


@pytest.mark.parametrize(
    "checksum", ["not base64!", "AAAA", "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=-3"]
)
def test_a_checksum_that_is_not_a_full_object_sha256_is_reported_as_null(lam: Lambda, checksum: str) -> None:
    document_id = uploaded_id(lam, b"text", "text/plain")
    original = lam.app.service._store.head  # type: ignore[union-attr]

    def head_with_checksum(key: str) -> StoredObject:
        found = original(key)
        assert found is not None
        return found._replace(checksum_sha256=checksum)

    lam.app.service._store.head = head_with_checksum  # type: ignore[union-attr, method-assign]

    document = body_json(lam.call(make_event("GET", f"/documents/{document_id}")))

    assert document["sha256"] is None
    assert document["size"] == 4


# --- documents the processor copied ----------------------------------------------------------------------


def _stored(checksum: str | None, metadata: dict[str, str]) -> StoredObject:
    from document_processor.storage import StoredObject

    return StoredObject("application/pdf", 10, '"etag"', checksum, {"owner": ALICE, **metadata})


def test_a_documents_sha256_is_the_processors_record_first_then_s3s_full_checksum() -> None:
    from document_processor.documents import document_from_object

    whole = hashlib.sha256(b"whole file").hexdigest()
    composite = base64.b64encode(hashlib.sha256(b"part digests").digest()).decode()  # as moto reports one
    full = base64.b64encode(hashlib.sha256(b"put").digest()).decode()

    assert document_from_object("0" * 32, _stored(composite, {"sha256": whole})).sha256 == whole
    assert document_from_object("0" * 32, _stored(composite + "-3", {"sha256": whole})).sha256 == whole
    assert document_from_object("0" * 32, _stored(full, {})).sha256 == hashlib.sha256(b"put").hexdigest()
    assert document_from_object("0" * 32, _stored(composite + "-3", {})).sha256 is None
    for unusable in ("ABC", whole.upper(), whole[:-1], whole + "0"):  # never trusted unless exact hex
        assert document_from_object("0" * 32, _stored(full, {"sha256": unusable})).sha256 == (
            hashlib.sha256(b"put").hexdigest()
        )
