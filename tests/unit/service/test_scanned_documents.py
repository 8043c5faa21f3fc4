"""``POST /documents`` behind the malware gate (``MALWARE_SCANNING=on``, DESIGN §4.3) against moto: the
same validation answers as without it, then 202 with an upload session and nothing in the vault; the
processor stores it only after a clean scan result; Idempotency-Key replays the session.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.malware_scan import ScanResult
from document_processor.uploads import UploadStatus, ingest_key
from tests.unit.service.conftest import INGEST, body_json, build_lambda, catalogue_items, make_event
from tests.unit.service.samples import make_pdf
from tests.unit.service.test_processor import OWNER, make_processor, processor_module, record, vault_keys
from tests.unit.service.test_processor_malware_scan import scan_event

if TYPE_CHECKING:
    from document_processor.catalogue import Catalogue
    from tests.unit.service.conftest import Lambda


def gated_api(s3: Any, dynamodb: Any) -> Lambda:
    return build_lambda(s3, dynamodb, INGEST_BUCKET=INGEST, MALWARE_SCANNING="on")


def post(api: Lambda, data: bytes, **headers: str) -> dict[str, Any]:
    return api.call(
        make_event(
            "POST",
            "/documents",
            headers={
                "content-type": "application/pdf",
                "content-disposition": 'attachment; filename="a.pdf"',
                **headers,
            },
            body=data,
        )
    )


def ingest_objects(s3: Any) -> list[str]:
    return [entry["Key"] for entry in s3.list_objects_v2(Bucket=INGEST).get("Contents", [])]


def test_an_upload_is_quarantined_with_a_session_and_is_readable_only_once_scanned_clean(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    api = gated_api(ingest, dynamodb)
    data = make_pdf(3)
    answer = post(api, data)
    assert answer["statusCode"] == 202
    session = body_json(answer)
    assert answer["headers"]["Location"] == f"/dev/uploads/{session['id']}"  # the event's stage
    assert {name: session[name] for name in ("status", "filename", "contentType", "size", "sha256")} == {
        "status": "processing",
        "filename": "a.pdf",
        "contentType": "application/pdf",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    key = ingest_key(OWNER.owner_key, session["id"])
    assert ingest_objects(ingest) == [key]
    assert vault_keys(ingest) == []
    assert catalogue_items(dynamodb) == []
    assert api.call(make_event("GET", f"/documents/{session['id']}"))["statusCode"] == 404
    assert body_json(api.call(make_event("GET", f"/uploads/{session['id']}")))["status"] == "processing"

    processor = make_processor(ingest, catalogue, malware_scanning=True)
    upload_id = session["id"]
    assert processor.process_record(record(upload_id)) is processor_module().Outcome.SCANNING
    assert api.call(make_event("GET", f"/documents/{upload_id}"))["statusCode"] == 404
    ingest.put_object_tagging(
        Bucket=INGEST,
        Key=key,
        Tagging={"TagSet": [{"Key": "GuardDutyMalwareScanStatus", "Value": "NO_THREATS_FOUND"}]},
    )
    outcome = processor.process_scan_result(scan_event(ScanResult.NO_THREATS_FOUND, key=key))
    assert outcome is processor_module().Outcome.STORED
    described = body_json(api.call(make_event("GET", f"/documents/{upload_id}")))
    assert (described["filename"], described["pageCount"], described["sha256"]) == (
        "a.pdf",
        3,
        hashlib.sha256(data).hexdigest(),
    )
    content = api.call(make_event("GET", f"/documents/{upload_id}/content"))
    assert content["statusCode"] == 200
    assert body_json(api.call(make_event("GET", f"/uploads/{upload_id}")))["status"] == "stored"


@pytest.mark.parametrize(
    ("headers", "body", "code"),
    [
        ({"content-type": "application/zip"}, b"PK\x03\x04", "unsupported_content_type"),
        ({"content-type": "application/pdf"}, b"not a pdf at all", "content_type_mismatch"),
        (
            {"content-type": "application/pdf"},
            b"%PDF-1.4\n garbage with no objects",
            "malformed_document",
        ),
        ({"content-type": "application/pdf"}, b"", "empty_body"),
    ],
    ids=["not allowed", "magic bytes", "unreadable", "empty"],
)
def test_bad_input_gets_the_same_answer_as_without_the_gate_and_writes_nothing(
    ingest: Any, dynamodb: Any, headers: dict[str, str], body: bytes, code: str
) -> None:
    plain = build_lambda(ingest, dynamodb, INGEST_BUCKET=INGEST)
    expected = plain.call(make_event("POST", "/documents", headers=headers, body=body))
    answer = gated_api(ingest, dynamodb).call(make_event("POST", "/documents", headers=headers, body=body))
    assert 400 <= answer["statusCode"] < 500
    assert body_json(answer)["error"]["code"] == code
    assert (answer["statusCode"], body_json(answer)) == (expected["statusCode"], body_json(expected))
    assert ingest_objects(ingest) == []
    assert vault_keys(ingest) == []
    assert catalogue_items(dynamodb, prefix="") == []


def test_an_idempotency_key_replays_the_session_and_refuses_another_body(ingest: Any, dynamodb: Any) -> None:
    api = gated_api(ingest, dynamodb)
    data = make_pdf(1)
    first = post(api, data, **{"idempotency-key": "scan-me-once-0001"})
    again = post(api, data, **{"idempotency-key": "scan-me-once-0001"})
    assert (first["statusCode"], again["statusCode"]) == (202, 202)
    assert body_json(again)["id"] == body_json(first)["id"]
    assert again["headers"]["Idempotent-Replayed"] == "true"
    assert len(ingest_objects(ingest)) == 1
    other = post(api, make_pdf(2), **{"idempotency-key": "scan-me-once-0001"})
    assert other["statusCode"] == 422
    assert len(ingest_objects(ingest)) == 1


def test_a_key_used_without_the_gate_is_not_replayed_as_a_session(ingest: Any, dynamodb: Any) -> None:
    data = make_pdf(1)
    stored = post(
        build_lambda(ingest, dynamodb, INGEST_BUCKET=INGEST), data, **{"idempotency-key": "k-0000000001"}
    )
    assert stored["statusCode"] == 201
    gated = post(gated_api(ingest, dynamodb), data, **{"idempotency-key": "k-0000000001"})
    assert gated["statusCode"] == 422
    assert ingest_objects(ingest) == []


def test_a_session_of_an_inline_upload_lists_as_any_other(ingest: Any, dynamodb: Any) -> None:
    api = gated_api(ingest, dynamodb)
    session = body_json(post(api, make_pdf(1)))
    listed = body_json(api.call(make_event("GET", "/uploads")))
    assert [item["id"] for item in listed["items"]] == [session["id"]]
    assert listed["items"][0]["status"] == str(UploadStatus.PROCESSING)
    assert (listed["items"][0]["partCount"], listed["items"][0]["partChecksums"]) == (1, False)


def test_a_document_sent_without_a_filename_is_stored_without_one(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    api = gated_api(ingest, dynamodb)
    data = make_pdf(1)
    answer = api.call(
        make_event("POST", "/documents", headers={"content-type": "application/pdf"}, body=data)
    )
    upload_id = body_json(answer)["id"]
    key = ingest_key(OWNER.owner_key, upload_id)
    ingest.put_object_tagging(
        Bucket=INGEST,
        Key=key,
        Tagging={"TagSet": [{"Key": "GuardDutyMalwareScanStatus", "Value": "NO_THREATS_FOUND"}]},
    )
    processor = make_processor(ingest, catalogue, malware_scanning=True)
    assert (
        processor.process_scan_result(scan_event(ScanResult.NO_THREATS_FOUND, key=key))
        is processor_module().Outcome.STORED
    )
    plain = body_json(
        build_lambda(ingest, dynamodb).call(
            make_event("POST", "/documents", headers={"content-type": "application/pdf"}, body=data)
        )
    )
    described = body_json(api.call(make_event("GET", f"/documents/{upload_id}")))
    assert described["filename"] is None
    assert plain["filename"] is None
    assert set(described) == set(plain)
