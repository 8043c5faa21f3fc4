"""The catalogue beside S3: the item an upload writes, conditional writes that never overwrite, deletes
object-first, and what a failing catalogue does to each request (S3 stays the source of truth)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from document_processor.catalogue import Catalogue, create_dynamodb_client, document_from_item
from document_processor.catalogue_schema import type_key
from document_processor.documents import Document, object_key
from document_processor.identity import normalise_principal
from document_processor.storage import create_s3_client
from tests.unit.service.conftest import (
    ALICE,
    BOB,
    TABLE,
    Lambda,
    body_json,
    catalogue_items,
    make_event,
    object_versions,
)
from tests.unit.service.samples import make_pdf
from tests.unit.service.test_storage_failures import CATALOGUE_FAILURES, Fault, client_error

ROLE = "arn:aws:iam::111122223333:role/DocumentWriter"


def upload(lam: Lambda, body: bytes = b"some words", headers: dict[str, str] | None = None) -> dict[str, Any]:
    event = make_event(
        "POST", "/documents", headers={"Content-Type": "text/plain", **(headers or {})}, body=body
    )
    return lam.call(event)


def test_an_upload_writes_one_item_of_the_declared_shape(lam: Lambda) -> None:
    pdf = make_pdf(3)
    response = upload(
        lam,
        pdf,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": "attachment; filename*=UTF-8''Q3%20%C3%84rger.pdf",
        },
    )
    document = body_json(response)
    owner_key = normalise_principal(ALICE).owner_key

    [item] = catalogue_items(lam.dynamodb)

    assert item == {
        "pk": {"S": f"OWNER#{owner_key}"},
        "sk": {"S": f"DOC#{document['id']}"},
        "id": {"S": document["id"]},
        "owner": {"S": ROLE},
        "filename": {"S": "Q3 Ärger.pdf"},
        "filenameLower": {"S": "q3 ärger.pdf"},
        "contentType": {"S": "application/pdf"},
        "size": {"N": str(len(pdf))},
        "sha256": {"S": hashlib.sha256(pdf).hexdigest()},
        "createdAt": {"S": document["createdAt"]},
        "facts": {"M": {"pageCount": {"N": "3"}}},
        "status": {"S": "stored"},
        "typeKey": {"S": type_key(owner_key, "application/pdf")},
    }
    assert document_from_item(item).to_json() == document


def test_a_text_item_has_no_facts_and_no_filename_attributes_when_unnamed(lam: Lambda) -> None:
    upload(lam)

    [item] = catalogue_items(lam.dynamodb)

    assert item["facts"] == {"M": {}}
    assert item["contentType"] == {"S": "text/plain"}  # the media type, without the stored charset
    assert "filename" not in item
    assert "filenameLower" not in item


def test_put_document_never_overwrites(dynamodb: Any) -> None:
    catalogue = Catalogue(dynamodb, TABLE)
    original = Document("0" * 32, "text/plain", 1, None, "a.txt", {})

    assert catalogue.put_document("k" * 64, original, owner=ROLE) is True
    assert catalogue.put_document("k" * 64, original._replace(size=99, filename="b.txt"), owner=ROLE) is False

    [item] = catalogue_items(dynamodb)
    assert document_from_item(item) == original


def test_delete_document_is_idempotent(dynamodb: Any) -> None:
    catalogue = Catalogue(dynamodb, TABLE)
    catalogue.put_document("k" * 64, Document("0" * 32, "text/plain", 1, None, None, {}), owner=ROLE)

    catalogue.delete_document("k" * 64, "0" * 32)
    catalogue.delete_document("k" * 64, "0" * 32)

    assert catalogue_items(dynamodb) == []


def test_a_delete_removes_the_object_then_the_item(lam: Lambda) -> None:
    document_id = body_json(upload(lam))["id"]
    order: list[str] = []
    for client in (lam.s3, lam.dynamodb):
        prefix = client.meta.service_model.endpoint_prefix
        client.meta.events.register(f"before-call.{prefix}", lambda model, **_: order.append(model.name))

    response = lam.call(make_event("DELETE", f"/documents/{document_id}"))

    assert response["statusCode"] == 204
    assert order == ["HeadObject", "DeleteObject", "DeleteItem"]
    assert catalogue_items(lam.dynamodb) == []
    assert body_json(lam.call(make_event("GET", "/documents"))) == {"items": [], "nextCursor": None}


def test_another_callers_delete_touches_neither_object_nor_item(lam: Lambda) -> None:
    document_id = body_json(upload(lam))["id"]

    response = lam.call(make_event("DELETE", f"/documents/{document_id}", caller=BOB))

    assert response["statusCode"] == 404
    assert len(catalogue_items(lam.dynamodb)) == 1
    assert len(object_versions(lam.s3)) == 1


# --- a failing catalogue ----------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "status", "code"), CATALOGUE_FAILURES)
def test_a_catalogue_failure_after_put_object_still_answers_201(
    lam: Lambda, error: Exception, status: int, code: str, capsys: pytest.CaptureFixture[str]
) -> None:
    fault = Fault(lam.dynamodb, "PutItem", error)

    response = upload(lam)

    assert response["statusCode"] == 201
    document = body_json(response)
    fault.stop()
    assert catalogue_items(lam.dynamodb) == []  # missing until the reconciler adds it
    assert len(object_versions(lam.s3)) == 1
    assert body_json(lam.call(make_event("GET", f"/documents/{document['id']}"))) == document
    assert any(line.get("CatalogueWriteFailures") == 1 for line in lam.lines())
    logged = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    warning = next(
        entry for entry in logged if entry["message"].startswith("Document stored but not catalogued")
    )
    assert warning["level"] == "WARNING"
    assert warning["documentId"] == document["id"]
    assert TABLE not in json.dumps(logged)


@pytest.mark.parametrize(("error", "status", "code"), CATALOGUE_FAILURES)
def test_a_catalogue_failure_after_delete_object_still_answers_204(
    lam: Lambda, error: Exception, status: int, code: str
) -> None:
    document_id = body_json(upload(lam))["id"]
    fault = Fault(lam.dynamodb, "DeleteItem", error)

    response = lam.call(make_event("DELETE", f"/documents/{document_id}"))

    assert response["statusCode"] == 204
    fault.stop()
    assert lam.call(make_event("GET", f"/documents/{document_id}"))["statusCode"] == 404
    key = object_key(normalise_principal(ALICE), document_id)
    assert all(version["Key"] != key or not version["IsLatest"] for version in object_versions(lam.s3))
    assert len(catalogue_items(lam.dynamodb)) == 1  # the orphan the reconciler removes
    assert any(line.get("CatalogueWriteFailures") == 1 for line in lam.lines())


@pytest.mark.parametrize(("error", "status", "code"), CATALOGUE_FAILURES)
def test_an_idempotent_upload_whose_claim_fails_stores_nothing(
    lam: Lambda, error: Exception, status: int, code: str
) -> None:
    Fault(lam.dynamodb, "PutItem", error)

    response = upload(lam, headers={"Idempotency-Key": "k-1"})

    assert response["statusCode"] == status
    assert body_json(response)["error"]["code"] == code
    assert TABLE not in response["body"]
    assert "IDEM#" not in response["body"]
    assert object_versions(lam.s3) == []


def test_a_catalogue_the_role_may_not_use_is_a_502_that_names_nothing(lam: Lambda) -> None:
    Fault(lam.dynamodb, "Query", client_error("AccessDeniedException", 400))

    response = lam.call(make_event("GET", "/documents"))

    assert response["statusCode"] == 502
    assert body_json(response)["error"] == {
        "code": "storage_error",
        "message": "Storage refused the request.",
        "requestId": body_json(response)["error"]["requestId"],
    }


def test_a_missing_table_is_a_502(s3: Any, dynamodb: Any) -> None:
    from tests.unit.service.conftest import build_lambda

    lam = build_lambda(s3, dynamodb, CATALOGUE_TABLE="no-such-table")

    response = lam.call(make_event("GET", "/documents"))

    assert response["statusCode"] == 502
    assert "no-such-table" not in response["body"]


def test_the_catalogue_client_has_bounded_timeouts(aws_credentials: None) -> None:
    config: Any = create_dynamodb_client().meta.config

    assert (config.connect_timeout, config.read_timeout) == (0.5, 1.0)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}


def test_the_catalogue_honours_the_standard_endpoint_variable(
    aws_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Local mode points AWS_ENDPOINT_URL_DYNAMODB at its emulator; the service has no branch for it.
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:4566")

    assert create_dynamodb_client().meta.endpoint_url == "http://127.0.0.1:4566"
    assert create_s3_client().meta.endpoint_url != "http://127.0.0.1:4566"


def test_a_listing_page_reads_only_what_an_item_shows(lam: Lambda) -> None:
    upload(lam, headers={"Content-Disposition": 'attachment; filename="a.txt"'})
    sent: list[dict[str, Any]] = []
    lam.dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.Query", lambda params, **_: sent.append(dict(params))
    )

    page = body_json(lam.call(make_event("GET", "/documents", query={"q": "a"})))

    [params] = sent
    names = params["ExpressionAttributeNames"]
    projected = {names[name.strip()] for name in params["ProjectionExpression"].split(",")}
    assert projected == {"id", "contentType", "size", "sha256", "filename", "facts"}
    assert [item["filename"] for item in page["items"]] == ["a.txt"]


@pytest.mark.parametrize(
    ("query", "consistent"),
    [({}, True), ({"q": "a"}, True), ({"order": "oldest"}, True), ({"contentType": "text/plain"}, None)],
)
def test_listings_of_the_table_read_consistently_and_the_index_cannot(
    lam: Lambda, query: dict[str, str], consistent: bool | None
) -> None:
    """A document is listed as soon as its upload answered; DynamoDB refuses consistent index reads."""
    upload(lam, headers={"Content-Disposition": 'attachment; filename="a.txt"'})
    sent: list[dict[str, Any]] = []
    lam.dynamodb.meta.events.register(
        "before-parameter-build.dynamodb.Query", lambda params, **_: sent.append(dict(params))
    )

    page = body_json(lam.call(make_event("GET", "/documents", query=query)))

    [params] = sent
    assert params.get("ConsistentRead") is consistent
    assert ("IndexName" in params) is (consistent is None)
    assert len(page["items"]) == 1


def alter_crc32(client: Any, *, times: int) -> list[int]:
    """The next ``times`` Query answers arrive with a body that no longer matches their CRC32."""
    seen: list[int] = []

    def hook(response_dict: dict[str, Any], **_: Any) -> None:
        seen.append(1)
        if len(seen) <= times:
            response_dict["headers"]["x-amz-crc32"] = "1"  # the headers botocore's checks read too

    client.meta.events.register("before-parse.dynamodb.Query", hook, unique_id="alter-crc32")
    return seen


def test_a_listing_whose_every_answer_fails_its_crc32_is_a_502(lam: Lambda) -> None:
    upload(lam)
    attempts = alter_crc32(lam.dynamodb, times=99)

    response = lam.call(make_event("GET", "/documents"))

    assert response["statusCode"] == 502
    assert body_json(response)["error"]["code"] == "storage_error"
    assert len(attempts) == 2  # botocore retried it once, then the service refused the last answer


def test_one_answer_that_fails_its_crc32_is_retried(lam: Lambda) -> None:
    document = body_json(upload(lam))
    attempts = alter_crc32(lam.dynamodb, times=1)

    page = body_json(lam.call(make_event("GET", "/documents")))

    assert page["items"] == [document]
    assert len(attempts) == 2
