"""The processor's state machine against moto: one ingest ``ObjectCreated`` record moves its upload
session to ``stored`` (document in the vault exactly as ``GET /documents/{id}`` and the listing show an
upload) or ``rejected`` (code and message recorded, ingest object deleted); duplicates, out-of-order and
concurrent records, and a crash after every step followed by a retry, all end in the same state.
"""

from __future__ import annotations

import hashlib
import json
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import pytest
from botocore.exceptions import ClientError

from document_processor.catalogue import Catalogue
from document_processor.documents import document_from_object
from document_processor.errors import ConfigurationError
from document_processor.identity import normalise_principal
from document_processor.settings import JPEG, PDF, PNG, SUPPORTED_CONTENT_TYPES, TEXT, load_settings
from document_processor.storage import DocumentStore
from document_processor.uploads import (
    UploadError,
    UploadRequest,
    UploadSession,
    UploadStatus,
    ingest_key,
    new_session,
)
from tests.unit.service.conftest import (
    ALICE,
    BUCKET,
    INGEST,
    TABLE,
    body_json,
    build_lambda,
    catalogue_items,
    make_event,
)
from tests.unit.service.samples import make_pdf, make_png
from tests.unit.service.test_processor_copy import s3_part_checksums

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

OWNER = normalise_principal(ALICE)
NOW = 1_796_000_000.0
UPLOAD_ID = "0190c0ffee0000000000000000000abc"
MiB = 1024 * 1024


def processor_module() -> ModuleType:
    """``document_processor.processor``, imported inside a test: its import is the function's cold start."""
    import document_processor.processor as module

    return module


class Crash(Exception):
    """An injected crash (the function died after a step took effect)."""


def make_processor(
    s3: Any, catalogue: Catalogue, *, allowed: frozenset[str] = SUPPORTED_CONTENT_TYPES, **options: Any
) -> Any:
    return processor_module().Processor(
        s3,
        catalogue,
        ingest_bucket=INGEST,
        vault_bucket=BUCKET,
        allowed_content_types=allowed,
        **{"clock": lambda: NOW, **options},
    )


def upload(
    s3: Any,
    catalogue: Catalogue,
    data: bytes,
    *,
    content_type: str = PDF,
    filename: str = "Quarterly report.pdf",
    declared_size: int | None = None,
    declared_sha256: str | None = None,
    status: UploadStatus = UploadStatus.PROCESSING,
    upload_id: str = UPLOAD_ID,
) -> UploadSession:
    """A session as ``POST /uploads`` creates it, its parts uploaded and completed (one multipart upload)
    to its ingest key, and (by default) moved to ``processing`` as ``POST /uploads/{id}/complete`` does."""
    key = ingest_key(OWNER.owner_key, upload_id)
    multipart = s3.create_multipart_upload(Bucket=INGEST, Key=key)["UploadId"]
    part = s3.upload_part(Bucket=INGEST, Key=key, UploadId=multipart, PartNumber=1, Body=data)
    request = UploadRequest(
        filename=filename,
        content_type=content_type,
        size=declared_size if declared_size is not None else len(data),
        sha256=declared_sha256 or hashlib.sha256(data).hexdigest(),
    )
    session = new_session(
        upload_id, request, owner=OWNER.principal, multipart_upload_id=multipart, now=NOW - 60
    )
    assert catalogue.create_session(OWNER.owner_key, session)
    s3.complete_multipart_upload(
        Bucket=INGEST,
        Key=key,
        UploadId=multipart,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    if status is not UploadStatus.AWAITING_PARTS:
        session = catalogue.transition_session(
            OWNER.owner_key, upload_id, [UploadStatus.AWAITING_PARTS], UploadStatus.PROCESSING, now=NOW - 30
        )
    if status not in (UploadStatus.AWAITING_PARTS, UploadStatus.PROCESSING):
        extras: dict[str, Any] = {}
        if status is UploadStatus.REJECTED:
            extras["error"] = UploadError("checksum_mismatch", "earlier")
        if status is UploadStatus.STORED:
            extras["document_id"] = upload_id
        session = catalogue.transition_session(
            OWNER.owner_key, upload_id, [UploadStatus.PROCESSING], status, now=NOW - 20, **extras
        )
    return session


def record(
    upload_id: str = UPLOAD_ID,
    *,
    bucket: str = INGEST,
    event_name: str = "ObjectCreated:CompleteMultipartUpload",
    key: str | None = None,
) -> dict[str, Any]:
    """An ``ObjectCreated`` record in AWS's documented shape (the key form-encoded)."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2026-12-04T00:00:00.000Z",
        "eventName": event_name,
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {
                "key": quote_plus(key or ingest_key(OWNER.owner_key, upload_id)),
                "size": 1,
                "sequencer": "0A1B",
            },
        },
    }


def session_now(catalogue: Catalogue, upload_id: str = UPLOAD_ID) -> UploadSession:
    found = catalogue.get_session(OWNER.owner_key, upload_id)
    assert found is not None
    return found


def ingest_keys(s3: Any) -> list[str]:
    return [entry["Key"] for entry in s3.list_objects_v2(Bucket=INGEST).get("Contents", [])]


def vault_keys(s3: Any) -> list[str]:
    return [entry["Key"] for entry in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def assert_stored(s3: Any, dynamodb: Any, catalogue: Catalogue, data: bytes, facts: dict[str, int]) -> None:
    """The end state of a stored upload, read through the API: GET, the listing, the bytes."""
    session = session_now(catalogue)
    assert session.status is UploadStatus.STORED
    assert session.document_id == UPLOAD_ID
    assert ingest_keys(s3) == []
    assert vault_keys(s3) == [f"documents/{OWNER.owner_key}/{UPLOAD_ID}"]
    lam = build_lambda(s3, dynamodb)
    got = lam.call(make_event("GET", f"/documents/{UPLOAD_ID}"))
    assert got["statusCode"] == 200
    expected = {
        "id": UPLOAD_ID,
        "contentType": PDF,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "filename": "Quarterly report.pdf",
        **facts,
    }
    described = body_json(got)
    assert {name: described[name] for name in expected} == expected
    listed = body_json(lam.call(make_event("GET", "/documents")))
    assert listed["items"] == [described]
    assert len(catalogue_items(dynamodb)) == 1
    content = lam.call(make_event("GET", f"/documents/{UPLOAD_ID}/content"))
    assert content["statusCode"] == 200


# --- the outcomes ---------------------------------------------------------------------------------------


def test_a_valid_upload_is_stored_as_an_upload_through_the_api_would_be(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    data = make_pdf(4)
    upload(ingest, catalogue, data)
    assert make_processor(ingest, catalogue).process_record(record()) is processor_module().Outcome.STORED
    assert_stored(ingest, dynamodb, catalogue, data, {"pageCount": 4})


def test_text_and_images_are_stored_with_their_facts(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    cases = [
        (TEXT, "notes.txt", b"caf\xc3\xa9 au lait\n", {}),
        (PNG, "p.png", make_png(9, 7), {"width": 9, "height": 7}),
    ]
    for index, (media_type, name, data, facts) in enumerate(cases):
        upload_id = f"0190c0ffee000000000000000000000{index}"
        upload(ingest, catalogue, data, content_type=media_type, filename=name, upload_id=upload_id)
        assert (
            make_processor(ingest, catalogue).process_record(record(upload_id))
            is processor_module().Outcome.STORED
        )
        got = body_json(build_lambda(ingest, dynamodb).call(make_event("GET", f"/documents/{upload_id}")))
        assert got["contentType"] == media_type
        assert got["filename"] == name
        assert {key: got[key] for key in facts} == facts


REJECTIONS: list[tuple[str, bytes, dict[str, Any], frozenset[str]]] = [
    ("size_mismatch", make_pdf(1), {"declared_size": 10}, SUPPORTED_CONTENT_TYPES),
    (
        "checksum_mismatch",
        make_pdf(1),
        {"declared_sha256": hashlib.sha256(b"other").hexdigest()},
        SUPPORTED_CONTENT_TYPES,
    ),
    ("content_type_mismatch", make_png(2, 2), {}, SUPPORTED_CONTENT_TYPES),
    ("unsupported_content_type", make_pdf(1), {}, frozenset({TEXT, JPEG})),
    (
        "invalid_text_encoding",
        b"caf\xe9",
        {"content_type": TEXT, "filename": "t.txt"},
        SUPPORTED_CONTENT_TYPES,
    ),
    ("malformed_document", b"%PDF-1.7 not a real pdf", {}, SUPPORTED_CONTENT_TYPES),
]


@pytest.mark.parametrize(
    ("code", "data", "declared", "allowed"), REJECTIONS, ids=[case[0] for case in REJECTIONS]
)
def test_a_bad_upload_is_rejected_with_its_code_and_deleted(
    ingest: Any,
    dynamodb: Any,
    catalogue: Catalogue,
    code: str,
    data: bytes,
    declared: dict[str, Any],
    allowed: frozenset[str],
) -> None:
    upload(ingest, catalogue, data, **declared)
    outcome = make_processor(ingest, catalogue, allowed=allowed).process_record(record())
    assert outcome is processor_module().Outcome.REJECTED
    session = session_now(catalogue)
    assert session.status is UploadStatus.REJECTED
    assert session.error is not None
    assert session.error.code == code
    assert session.error.message
    assert session.document_id is None
    assert ingest_keys(ingest) == []
    assert vault_keys(ingest) == []
    assert catalogue_items(dynamodb) == []
    # What GET /uploads/{id} will show.
    assert session.to_json(now=NOW)["error"] == {"code": code, "message": session.error.message}


def test_a_size_mismatch_is_decided_from_the_object_length_without_reading_it(
    monkeypatch: pytest.MonkeyPatch, ingest: Any, catalogue: Catalogue
) -> None:
    data = make_pdf(1)
    upload(ingest, catalogue, data, declared_size=len(data) + 1)
    module = processor_module()
    reads: list[object] = []
    monkeypatch.setattr(module, "validate_stream", lambda *args, **kwargs: reads.append(args))
    assert make_processor(ingest, catalogue).process_record(record()) is module.Outcome.REJECTED
    assert reads == []
    expected = f"The upload has {len(data)} bytes; {len(data) + 1} were declared."
    assert session_now(catalogue).error == UploadError("size_mismatch", expected)


# --- duplicates, late and out-of-order records ---------------------------------------------------------


def test_a_duplicate_record_changes_nothing(ingest: Any, dynamodb: Any, catalogue: Catalogue) -> None:
    data = make_pdf(2)
    upload(ingest, catalogue, data)
    processor = make_processor(ingest, catalogue)
    assert processor.process_record(record()) is processor_module().Outcome.STORED
    before = session_now(catalogue)
    assert processor.process_record(record()) is processor_module().Outcome.ALREADY_DONE
    assert session_now(catalogue) == before
    assert len(ingest.list_object_versions(Bucket=BUCKET)["Versions"]) == 1
    assert_stored(ingest, dynamodb, catalogue, data, {"pageCount": 2})


def test_a_duplicate_of_a_rejected_upload_stays_rejected(ingest: Any, catalogue: Catalogue) -> None:
    upload(ingest, catalogue, make_png(2, 2))  # declared PDF
    processor = make_processor(ingest, catalogue)
    assert processor.process_record(record()) is processor_module().Outcome.REJECTED
    assert processor.process_record(record()) is processor_module().Outcome.ALREADY_DONE
    assert session_now(catalogue).status is UploadStatus.REJECTED


def test_a_record_before_the_apis_own_move_to_processing_is_processed(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    data = make_pdf(1)
    upload(ingest, catalogue, data, status=UploadStatus.AWAITING_PARTS)
    assert make_processor(ingest, catalogue).process_record(record()) is processor_module().Outcome.STORED
    assert_stored(ingest, dynamodb, catalogue, data, {"pageCount": 1})


@pytest.mark.parametrize("status", [UploadStatus.STORED, UploadStatus.REJECTED])
def test_a_late_record_for_a_finished_session_removes_only_the_leftover_object(
    ingest: Any, catalogue: Catalogue, status: UploadStatus
) -> None:
    upload(ingest, catalogue, make_pdf(1), status=status)
    before = session_now(catalogue)
    assert (
        make_processor(ingest, catalogue).process_record(record()) is processor_module().Outcome.ALREADY_DONE
    )
    assert session_now(catalogue) == before
    assert ingest_keys(ingest) == []
    assert vault_keys(ingest) == []


def test_a_session_with_the_malware_gate_is_left_to_it(ingest: Any, catalogue: Catalogue) -> None:
    upload(ingest, catalogue, make_pdf(1))
    catalogue.transition_session(
        OWNER.owner_key, UPLOAD_ID, [UploadStatus.PROCESSING], UploadStatus.SCANNING, now=NOW
    )
    assert make_processor(ingest, catalogue).process_record(record()) is processor_module().Outcome.SCANNING
    assert session_now(catalogue).status is UploadStatus.SCANNING
    assert len(ingest_keys(ingest)) == 1


def test_a_record_whose_object_is_gone_for_a_session_awaiting_parts_is_skipped(
    ingest: Any, catalogue: Catalogue
) -> None:
    upload(ingest, catalogue, make_pdf(1), status=UploadStatus.AWAITING_PARTS)
    ingest.delete_object(Bucket=INGEST, Key=ingest_key(OWNER.owner_key, UPLOAD_ID))
    assert make_processor(ingest, catalogue).process_record(record()) is processor_module().Outcome.SKIPPED
    assert session_now(catalogue).status is UploadStatus.AWAITING_PARTS


def test_a_processing_session_whose_object_expired_is_rejected_as_processing_failed(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    """A failure-queue replay days later: the lifecycle removed the quarantined copy before any attempt
    stored it. The session ends instead of staying ``processing`` forever."""
    upload(ingest, catalogue, make_pdf(1))
    ingest.delete_object(Bucket=INGEST, Key=ingest_key(OWNER.owner_key, UPLOAD_ID))
    processor = make_processor(ingest, catalogue)
    assert processor.process_record(record()) is processor_module().Outcome.MISSING
    session = session_now(catalogue)
    assert session.status is UploadStatus.REJECTED
    assert session.document_id is None
    assert session.to_json(now=NOW)["error"] == {
        "code": "processing_failed",
        "message": "The upload could not be validated before its quarantined copy expired; upload it again.",
    }
    assert vault_keys(ingest) == []
    assert catalogue_items(dynamodb) == []
    assert processor.process_record(record()) is processor_module().Outcome.ALREADY_DONE
    assert session_now(catalogue) == session


def denied(operation: str) -> ClientError:
    """S3's answer to a read of a key the caller may not list (HeadObject has no body: code ``403``)."""
    code, message = ("403", "Forbidden") if operation == "HeadObject" else ("AccessDenied", "Access Denied")
    response: Any = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 403}}
    return ClientError(response, operation)


def deny_ingest_reads(client: Any, *, only_missing: bool = True) -> list[str]:
    """Make ``client``'s HeadObject/GetObject in the ingest bucket answer 403 as S3 does for the role:
    its ``s3:ListBucket`` is conditioned on ``s3:prefix``, which a read request does not carry, so S3
    answers a missing key with 403, not 404 (``only_missing``); otherwise every read is denied. A listing
    with ``Prefix`` is within the grant and answers truthfully. Returns the operations denied."""
    looker = processor_module().create_s3_client()
    answered: list[str] = []

    def deny(params: dict[str, Any], model: Any, **_: Any) -> None:
        if params.get("Bucket") != INGEST:
            return
        listed = looker.list_objects_v2(Bucket=INGEST, Prefix=params["Key"]).get("Contents", [])
        if not only_missing or all(entry["Key"] != params["Key"] for entry in listed):
            answered.append(model.name)
            raise denied(model.name)

    for operation in ("HeadObject", "GetObject"):
        client.meta.events.register(f"before-parameter-build.s3.{operation}", deny)
    return answered


def test_a_403_for_a_gone_ingest_object_of_a_session_awaiting_parts_is_a_missing_object(
    ingest: Any, catalogue: Catalogue
) -> None:
    upload(ingest, catalogue, make_pdf(1), status=UploadStatus.AWAITING_PARTS)
    ingest.delete_object(Bucket=INGEST, Key=ingest_key(OWNER.owner_key, UPLOAD_ID))
    answered = deny_ingest_reads(ingest)
    assert make_processor(ingest, catalogue).process_record(record()) is processor_module().Outcome.SKIPPED
    # existence is a listing of exactly the key, which no read deny reaches (nor the gate's tag deny)
    assert answered == []
    assert session_now(catalogue).status is UploadStatus.AWAITING_PARTS


def test_a_403_for_a_gone_ingest_object_of_a_processing_session_is_a_missing_object(
    ingest: Any, catalogue: Catalogue
) -> None:
    upload(ingest, catalogue, make_pdf(1))
    ingest.delete_object(Bucket=INGEST, Key=ingest_key(OWNER.owner_key, UPLOAD_ID))
    answered = deny_ingest_reads(ingest)
    assert make_processor(ingest, catalogue).process_record(record()) is processor_module().Outcome.MISSING
    assert answered == ["GetObject"]
    session = session_now(catalogue)
    assert session.status is UploadStatus.REJECTED
    assert session.error is not None
    assert session.error.code == "processing_failed"


def test_a_403_for_an_ingest_object_that_exists_is_a_real_denial_and_changes_nothing(
    ingest: Any, catalogue: Catalogue
) -> None:
    upload(ingest, catalogue, make_pdf(1))
    deny_ingest_reads(ingest, only_missing=False)
    with pytest.raises(ClientError) as raised:  # S3's own error, for the log line and Lambda's retries
        make_processor(ingest, catalogue).process_record(record())
    assert raised.value.response["Error"]["Code"] == "AccessDenied"
    assert session_now(catalogue).status is UploadStatus.PROCESSING
    assert ingest_keys(ingest) == [ingest_key(OWNER.owner_key, UPLOAD_ID)]
    assert vault_keys(ingest) == []


def test_a_403_for_an_ingest_object_that_exists_awaiting_parts_is_a_real_denial(
    ingest: Any, catalogue: Catalogue
) -> None:
    # the listing finds the object, so the upload is complete (processing); the read is then refused
    upload(ingest, catalogue, make_pdf(1), status=UploadStatus.AWAITING_PARTS)
    answered = deny_ingest_reads(ingest, only_missing=False)
    with pytest.raises(ClientError):
        make_processor(ingest, catalogue).process_record(record())
    assert answered == ["GetObject"]
    assert session_now(catalogue).status is UploadStatus.PROCESSING
    assert vault_keys(ingest) == []


@pytest.mark.parametrize(
    "bad",
    [
        record(bucket="another-bucket"),
        record(event_name="ObjectRemoved:Delete"),
        record(key="ingest/not-hex/0190c0ffee0000000000000000000abc"),
        record(key=f"ingest/{OWNER.owner_key}/{UPLOAD_ID}/extra"),
        record(key=f"documents/{OWNER.owner_key}/{UPLOAD_ID}"),
        {"eventSource": "aws:sqs"},
        "not a record",
    ],
)
def test_records_that_are_not_ours_are_skipped_and_touch_nothing(
    ingest: Any, catalogue: Catalogue, bad: object
) -> None:
    upload(ingest, catalogue, make_pdf(1))
    assert make_processor(ingest, catalogue).process_record(bad) is processor_module().Outcome.SKIPPED
    assert session_now(catalogue).status is UploadStatus.PROCESSING
    assert len(ingest_keys(ingest)) == 1


def written_at(s3: Any, key: str) -> float:
    """The ingest object's ``LastModified`` (moto's clock is the real one, not the tests' ``NOW``)."""
    return float(s3.head_object(Bucket=INGEST, Key=key)["LastModified"].timestamp())


def test_an_object_with_no_session_is_left_alone(ingest: Any, catalogue: Catalogue) -> None:
    key = ingest_key(OWNER.owner_key, UPLOAD_ID)
    ingest.put_object(Bucket=INGEST, Key=key, Body=make_pdf(1))
    later = written_at(ingest, key) + processor_module().SESSION_WRITE_GRACE_SECONDS
    processor = make_processor(ingest, catalogue, clock=lambda: later)
    assert processor.process_record(record()) is processor_module().Outcome.SKIPPED
    assert ingest_keys(ingest) == [key]
    assert vault_keys(ingest) == []


def test_a_fresh_object_whose_session_is_not_written_yet_is_retried_then_stored(
    ingest: Any, catalogue: Catalogue
) -> None:
    # POST /documents (gate on) puts the object a moment before it writes the session
    data = make_pdf(1)
    key = ingest_key(OWNER.owner_key, UPLOAD_ID)
    ingest.put_object(Bucket=INGEST, Key=key, Body=data)
    soon = written_at(ingest, key) + 5
    processor = make_processor(ingest, catalogue, clock=lambda: soon)
    with pytest.raises(processor_module().SessionNotWrittenYetError):
        processor.process_record(record())
    ingest.delete_object(Bucket=INGEST, Key=key)
    upload(ingest, catalogue, data)  # the session, and the same object again
    assert processor.process_record(record()) is processor_module().Outcome.STORED


def test_concurrent_duplicate_records_store_the_document_once(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    data = make_pdf(3)
    upload(ingest, catalogue, data)
    outcomes: list[Any] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            outcomes.append(make_processor(ingest, Catalogue(dynamodb, TABLE)).process_record(record()))
        except BaseException as error:  # a run that lost a race may fail; its retry must then finish
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    module = processor_module()
    assert set(outcomes) <= {module.Outcome.STORED, module.Outcome.ALREADY_DONE}
    if errors:  # Lambda would retry the failed event
        assert make_processor(ingest, catalogue).process_record(record()) is module.Outcome.ALREADY_DONE
    assert_stored(ingest, dynamodb, catalogue, data, {"pageCount": 3})


# --- the copy into the vault ---------------------------------------------------------------------------


def test_a_multipart_copy_shows_the_validated_sha256_through_the_api(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    data = ("A line of a long report ✓\n" * 300_000).encode()  # ~8 MiB, above the lowered threshold
    upload(ingest, catalogue, data, content_type=TEXT, filename="report.txt")
    processor = make_processor(ingest, catalogue, multipart_threshold=6 * MiB, part_bytes=5 * MiB)
    assert processor.process_record(record()) is processor_module().Outcome.STORED
    key = f"documents/{OWNER.owner_key}/{UPLOAD_ID}"
    stored = DocumentStore(ingest, BUCKET).head(key)
    assert stored is not None
    assert stored.metadata["sha256"] == hashlib.sha256(data).hexdigest()
    # S3 reports a multipart object's SHA-256 as a composite (``<base64 of the parts' digests>-<parts>``),
    # which GET /documents/{id} cannot show; moto reports that digest without the suffix, as if it were
    # the whole file's. Read as S3 reports it, the document shows the SHA-256 the processor validated:
    composite = f"{stored.checksum_sha256}-2"
    described_as_s3 = document_from_object(UPLOAD_ID, stored._replace(checksum_sha256=composite))
    assert described_as_s3.sha256 == hashlib.sha256(data).hexdigest()
    lam = build_lambda(ingest, dynamodb)
    described = body_json(lam.call(make_event("GET", f"/documents/{UPLOAD_ID}")))
    assert (described["size"], described["contentType"]) == (len(data), TEXT)
    assert body_json(lam.call(make_event("GET", "/documents")))["items"] == [described]
    # A duplicate record recognises the multipart document (its recorded SHA-256 included).
    assert processor.process_record(record()) is processor_module().Outcome.ALREADY_DONE


def test_an_object_changed_between_validation_and_copy_is_never_stored(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    """Unreachable on S3 (the copy is conditional on the validated ETag; moto ignores the condition):
    the wrong copy stays in the vault (no DeleteObject there), every retry refuses it, the session stays
    processing with its ingest object, until an operator removes the copy and redrives the event."""
    module = processor_module()
    data = make_pdf(2)
    replaced = data[:100] + bytes([data[100] ^ 1]) + data[101:]  # same size, still a PDF signature
    upload(ingest, catalogue, data)
    key = ingest_key(OWNER.owner_key, UPLOAD_ID)
    swapped: list[bool] = []

    def swap(**_: Any) -> None:
        if not swapped:
            swapped.append(True)
            module.create_s3_client().put_object(Bucket=INGEST, Key=key, Body=replaced)

    deleted_from: list[str] = []
    ingest.meta.events.register("before-call.s3.CopyObject", swap)
    ingest.meta.events.register(
        "provide-client-params.s3.DeleteObject", lambda params, **_: deleted_from.append(params["Bucket"])
    )
    processor = make_processor(ingest, catalogue)
    with pytest.raises(module.CopyIntegrityError):
        processor.process_record(record())
    for _ in range(2):  # Lambda's two asynchronous retries, then the failure destination
        with pytest.raises(module.VaultConflictError):
            processor.process_record(record())
    assert BUCKET not in deleted_from
    assert session_now(catalogue).status is UploadStatus.PROCESSING
    assert catalogue_items(dynamodb) == []
    assert ingest_keys(ingest) == [key]
    # The operator removes the copy (with rights the processor does not have) and redrives the event.
    for version in ingest.list_object_versions(Bucket=BUCKET)["Versions"]:
        ingest.delete_object(Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"])
    assert processor.process_record(record()) is module.Outcome.REJECTED
    session = session_now(catalogue)
    assert session.error is not None
    assert session.error.code == "checksum_mismatch"
    assert vault_keys(ingest) == []


def test_a_multipart_copy_of_bytes_changed_after_validation_leaves_nothing_and_the_retry_rejects(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    module = processor_module()
    data = ("A line of a long report \u2713\n" * 300_000).encode()
    at = data.index(b"A", 6 * MiB)  # an ASCII letter in the second part: still UTF-8, another SHA-256
    changed = data[:at] + b"B" + data[at + 1 :]
    upload(ingest, catalogue, data, content_type=TEXT, filename="report.txt")
    key = ingest_key(OWNER.owner_key, UPLOAD_ID)
    swapped: list[bool] = []

    def swap(**_: Any) -> None:  # after validation, before the parts are copied
        if not swapped:
            swapped.append(True)
            module.create_s3_client().put_object(Bucket=INGEST, Key=key, Body=changed)

    ingest.meta.events.register("before-call.s3.CreateMultipartUpload", swap)
    s3_part_checksums(ingest, changed)  # what S3 reports for parts copied from the changed object
    processor = make_processor(ingest, catalogue, multipart_threshold=6 * MiB, part_bytes=5 * MiB)
    with pytest.raises(module.CopyIntegrityError):
        processor.process_record(record())
    assert vault_keys(ingest) == []
    assert ingest.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
    assert processor.process_record(record()) is module.Outcome.REJECTED
    session = session_now(catalogue)
    assert session.error is not None
    assert session.error.code == "checksum_mismatch"
    assert catalogue_items(dynamodb) == []


def test_a_document_its_owner_deletes_right_after_the_copy_is_stored_then_deleted_never_copied_again(
    ingest: Any, dynamodb: Any, catalogue: Catalogue
) -> None:
    """``DELETE /documents/{id}`` between this run's copy and its catalogue item: the owner's delete
    stands (no item, no second copy on any later record) and the session records the document it was."""
    module = processor_module()
    data = make_pdf(2)
    upload(ingest, catalogue, data)
    key = f"documents/{OWNER.owner_key}/{UPLOAD_ID}"
    owner = build_lambda(module.create_s3_client(), dynamodb)
    deleted: list[int] = []

    def owner_deletes(**_: Any) -> None:
        if not deleted:
            deleted.append(owner.call(make_event("DELETE", f"/documents/{UPLOAD_ID}"))["statusCode"])

    ingest.meta.events.register("after-call.s3.CopyObject", owner_deletes)
    processor = make_processor(ingest, catalogue)
    assert processor.process_record(record()) is module.Outcome.STORED
    assert deleted == [204]
    session = session_now(catalogue)
    assert (session.status, session.document_id) == (UploadStatus.STORED, UPLOAD_ID)
    assert ingest_keys(ingest) == []
    assert catalogue_items(dynamodb) == []
    assert vault_keys(ingest) == []
    for _ in range(2):  # a duplicate and a retried record: nothing is copied again
        assert processor.process_record(record()) is module.Outcome.ALREADY_DONE
    versions = ingest.list_object_versions(Bucket=BUCKET)
    assert [entry["Key"] for entry in versions["Versions"]] == [key]
    assert [entry["Key"] for entry in versions["DeleteMarkers"]] == [key]
    assert owner.call(make_event("GET", f"/documents/{UPLOAD_ID}"))["statusCode"] == 404


# --- a crash after each step, then a retry -------------------------------------------------------------


def crash_once_after(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str, when: Callable[..., bool]
) -> list[str]:
    """Make ``target.name`` do its work and then crash, the first time ``when(*args, **kwargs)`` holds."""
    original = getattr(target, name)
    crashed: list[str] = []

    def step(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        if not crashed and when(*args, **kwargs):
            crashed.append(name)
            raise Crash(name)
        return result

    monkeypatch.setattr(target, name, step)
    return crashed


def to_status(status: UploadStatus) -> Callable[..., bool]:
    return lambda *args, **kwargs: args[3] is status


def always(*_: Any, **__: Any) -> bool:
    return True


STORE_STEPS = [
    ("moved to processing", "catalogue", "transition_session", to_status(UploadStatus.PROCESSING)),
    ("copied into the vault", "module", "copy_into_vault", always),
    ("catalogued", "catalogue", "put_document", always),
    ("ingest object deleted", "s3", "delete_object", always),
    ("session stored", "catalogue", "transition_session", to_status(UploadStatus.STORED)),
]


@pytest.mark.parametrize(
    ("step", "where", "name", "when"), STORE_STEPS, ids=[step[0] for step in STORE_STEPS]
)
def test_a_crash_after_any_step_of_storing_is_finished_by_a_retry(
    monkeypatch: pytest.MonkeyPatch,
    ingest: Any,
    dynamodb: Any,
    catalogue: Catalogue,
    step: str,
    where: str,
    name: str,
    when: Callable[..., bool],
) -> None:
    data = make_pdf(2)
    upload(ingest, catalogue, data, status=UploadStatus.AWAITING_PARTS)
    processor = make_processor(ingest, catalogue)
    target = {"catalogue": catalogue, "s3": processor._s3, "module": processor_module()}[where]
    crashed = crash_once_after(monkeypatch, target, name, when)
    with pytest.raises(Crash):
        processor.process_record(record())
    assert crashed == [name], step
    outcome = processor.process_record(record())
    assert outcome in {processor_module().Outcome.STORED, processor_module().Outcome.ALREADY_DONE}
    assert processor.process_record(record()) is processor_module().Outcome.ALREADY_DONE
    assert_stored(ingest, dynamodb, catalogue, data, {"pageCount": 2})
    assert len(ingest.list_object_versions(Bucket=BUCKET)["Versions"]) == 1


REJECT_STEPS = [
    ("session rejected", "catalogue", "transition_session", to_status(UploadStatus.REJECTED)),
    ("ingest object deleted", "s3", "delete_object", always),
]


@pytest.mark.parametrize(
    ("step", "where", "name", "when"), REJECT_STEPS, ids=[step[0] for step in REJECT_STEPS]
)
def test_a_crash_after_any_step_of_rejecting_is_finished_by_a_retry(
    monkeypatch: pytest.MonkeyPatch,
    ingest: Any,
    dynamodb: Any,
    catalogue: Catalogue,
    step: str,
    where: str,
    name: str,
    when: Callable[..., bool],
) -> None:
    upload(ingest, catalogue, make_png(3, 3))  # declared PDF: content_type_mismatch
    processor = make_processor(ingest, catalogue)
    target = {"catalogue": catalogue, "s3": processor._s3}[where]
    crash_once_after(monkeypatch, target, name, when)
    with pytest.raises(Crash):
        processor.process_record(record())
    processor.process_record(record())
    session = session_now(catalogue)
    assert session.status is UploadStatus.REJECTED, step
    assert session.error is not None
    assert session.error.code == "content_type_mismatch"
    assert ingest_keys(ingest) == []
    assert vault_keys(ingest) == []
    assert catalogue_items(dynamodb) == []


# --- the Lambda entry point -----------------------------------------------------------------------------


def test_run_processes_every_record_and_raises_after_if_one_failed(
    monkeypatch: pytest.MonkeyPatch, ingest: Any, catalogue: Catalogue
) -> None:
    module = processor_module()
    upload(ingest, catalogue, make_pdf(1))
    processor = make_processor(ingest, catalogue)
    crash_once_after(monkeypatch, catalogue, "put_document", always)
    lines: list[str] = []
    settings = load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE})
    event = {"Records": [record(), record(bucket="another-bucket")]}
    with pytest.raises(module.ProcessError):
        module.run(processor, event, None, settings=settings, sink=lines.append)
    line = json.loads(lines[-1])
    assert (line["records"], line["failed"], line["skipped"]) == (2, 1, 1)
    assert module.run(processor, event, None, settings=settings, sink=lines.append)["outcomes"]["stored"] == 1


def test_an_unconfigured_processor_fails_every_event(ingest: Any, caplog: pytest.LogCaptureFixture) -> None:
    module = processor_module()
    settings = load_settings({"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE})
    with caplog.at_level("ERROR", logger="document_processor.processor"):
        assert module.build(settings) is None  # no INGEST_BUCKET
    [logged] = [entry for entry in caplog.records if entry.name == "document_processor.processor"]
    assert logged.getMessage() == "Configuration is invalid: every event will fail"
    assert logged.__dict__["problems"] == ["INGEST_BUCKET is not set: set it to the ingest bucket's name."]
    with pytest.raises(ConfigurationError):
        module.run(None, {"Records": [record()]}, None, settings=settings, sink=lambda _: None)
    configured = load_settings(
        {"DOCUMENTS_BUCKET": BUCKET, "CATALOGUE_TABLE": TABLE, "INGEST_BUCKET": INGEST}
    )
    assert module.build(configured) is not None
