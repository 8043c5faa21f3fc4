"""``copy_into_vault`` against moto: a server-side copy the API's readers cannot tell from an upload,
conditional (never overwriting), idempotent, and multipart above the threshold (lowered here to MiBs).

moto 5.2.5 enforces ``IfNoneMatch`` on ``CompleteMultipartUpload`` but ignores it on ``CopyObject``; AWS
enforces both. So the requests are checked for the header, and S3's 412 for a key taken meanwhile is
played by a ``before-call`` hook that answers as S3 does (after writing the competing object).
"""

from __future__ import annotations

import base64
import hashlib
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.documents import Document, document_from_object
from document_processor.filenames import encode_for_metadata
from document_processor.storage import DocumentStore
from tests.unit.service.conftest import ALICE, BUCKET, INGEST

if TYPE_CHECKING:
    from types import ModuleType

SOURCE_KEY = "ingest/" + "a" * 64 + "/0190c0ffee0000000000000000000001"
VAULT_KEY = "documents/" + "a" * 64 + "/0190c0ffee0000000000000000000001"
MiB = 1024 * 1024


def processor_module() -> ModuleType:
    """``document_processor.processor``, imported inside a test: its import is the function's cold start."""
    import document_processor.processor as module

    return module


def metadata(**facts: str) -> dict[str, str]:
    return {"owner": ALICE, "filename": encode_for_metadata("Report ✓.pdf"), **facts}


def put_source(s3: Any, data: bytes) -> str:
    """The ingest object as a client's upload leaves it (no metadata of ours); its ETag."""
    return str(
        s3.put_object(Bucket=INGEST, Key=SOURCE_KEY, Body=data, ContentType="binary/octet-stream")["ETag"]
    )


def copy(s3: Any, data: bytes, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "source_bucket": INGEST,
        "source_key": SOURCE_KEY,
        "vault_bucket": BUCKET,
        "vault_key": VAULT_KEY,
        "size": len(data),
        "content_type": "application/pdf",
        "metadata": metadata(**{"page-count": "3"}),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    arguments.update(overrides)
    return processor_module().copy_into_vault(s3, **arguments)


def calls(s3: Any, operation: str) -> list[dict[str, Any]]:
    """Record the parameters of every ``operation`` call made with ``s3`` from now on."""
    seen: list[dict[str, Any]] = []
    s3.meta.events.register(
        f"provide-client-params.s3.{operation}", lambda params, **_: seen.append(dict(params))
    )
    return seen


def answer_412_after(s3: Any, operation: str, competitor: bytes, competitor_metadata: dict[str, str]) -> None:
    """Play S3's conditional write: another writer stores ``competitor`` first, then S3 answers 412."""

    def refuse(**_: Any) -> tuple[Any, dict[str, Any]]:
        writer = processor_module().create_s3_client()
        writer.put_object(
            Bucket=BUCKET,
            Key=VAULT_KEY,
            Body=competitor,
            ContentType="application/pdf",
            Metadata=competitor_metadata,
            ChecksumAlgorithm="SHA256",
        )
        error = {
            "Error": {
                "Code": "PreconditionFailed",
                "Message": "At least one of the pre-conditions you specified did not hold",
            }
        }
        return SimpleNamespace(status_code=412), {**error, "ResponseMetadata": {"HTTPStatusCode": 412}}

    s3.meta.events.register(f"before-call.s3.{operation}", refuse)


def test_the_copy_reads_back_as_get_documents_describes_an_upload(ingest: Any) -> None:
    data = b"%PDF-1.7 pretend" * 100
    etag = put_source(ingest, data)
    sent = calls(ingest, "CopyObject")
    assert copy(ingest, data, source_etag=etag) is processor_module().CopyOutcome.COPIED
    stored = DocumentStore(ingest, BUCKET).head(VAULT_KEY)
    assert stored is not None
    assert document_from_object("0190c0ffee0000000000000000000001", stored) == Document(
        id="0190c0ffee0000000000000000000001",
        content_type="application/pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        filename="Report ✓.pdf",
        facts={"pageCount": 3},
    )
    assert stored.metadata == metadata(**{"page-count": "3"})
    assert stored.checksum_sha256 == base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert ingest.get_object(Bucket=BUCKET, Key=VAULT_KEY)["Body"].read() == data
    (request,) = sent
    assert request["IfNoneMatch"] == "*"
    assert request["CopySourceIfMatch"] == etag
    assert request["MetadataDirective"] == "REPLACE"
    assert request["ChecksumAlgorithm"] == "SHA256"


def test_text_keeps_its_stored_content_type(ingest: Any) -> None:
    data = b"plain text"
    put_source(ingest, data)
    copy(ingest, data, content_type="text/plain; charset=utf-8", metadata=metadata())
    assert ingest.head_object(Bucket=BUCKET, Key=VAULT_KEY)["ContentType"] == "text/plain; charset=utf-8"


def test_this_document_already_in_the_vault_is_not_copied_again(ingest: Any) -> None:
    data = b"%PDF-1.7 once"
    put_source(ingest, data)
    copy(ingest, data)
    sent = calls(ingest, "CopyObject")
    assert copy(ingest, data) is processor_module().CopyOutcome.ALREADY_THERE
    assert sent == []
    assert len(ingest.list_object_versions(Bucket=BUCKET)["Versions"]) == 1


@pytest.mark.parametrize(
    ("other", "other_metadata"),
    [
        (b"%PDF-1.7 another document", metadata(**{"page-count": "3"})),  # other bytes
        (b"%PDF-1.7 once", {"owner": "arn:aws:iam::111122223333:user/bob"}),  # another owner
    ],
)
def test_another_object_at_the_vault_key_is_never_overwritten(
    ingest: Any, other: bytes, other_metadata: dict[str, str]
) -> None:
    ingest.put_object(
        Bucket=BUCKET,
        Key=VAULT_KEY,
        Body=other,
        ContentType="application/pdf",
        Metadata=other_metadata,
        ChecksumAlgorithm="SHA256",
    )
    data = b"%PDF-1.7 once"
    put_source(ingest, data)
    with pytest.raises(processor_module().VaultConflictError):
        copy(ingest, data)
    assert ingest.get_object(Bucket=BUCKET, Key=VAULT_KEY)["Body"].read() == other
    assert len(ingest.list_object_versions(Bucket=BUCKET)["Versions"]) == 1


def test_a_concurrent_run_that_copied_first_counts_as_done(ingest: Any) -> None:
    data = b"%PDF-1.7 raced"
    put_source(ingest, data)
    answer_412_after(ingest, "CopyObject", data, metadata(**{"page-count": "3"}))
    assert copy(ingest, data) is processor_module().CopyOutcome.ALREADY_THERE


def test_a_key_taken_meanwhile_by_another_object_is_a_conflict(ingest: Any) -> None:
    data = b"%PDF-1.7 raced"
    put_source(ingest, data)
    answer_412_after(ingest, "CopyObject", b"%PDF-1.7 something else", metadata(**{"page-count": "3"}))
    with pytest.raises(processor_module().VaultConflictError):
        copy(ingest, data)


def test_a_source_gone_before_the_copy_is_retried_not_stored(ingest: Any) -> None:
    data = b"%PDF-1.7 vanishing"
    with pytest.raises(processor_module().CopySourceChangedError):
        copy(ingest, data)
    assert "Versions" not in ingest.list_object_versions(Bucket=BUCKET)


def test_a_copy_whose_checksum_is_not_the_validated_one_is_refused_and_never_deleted(ingest: Any) -> None:
    # moto ignores CopySourceIfMatch, so the bytes replaced after validation are copied; S3 enforces it.
    data = b"%PDF-1.7 validated"
    replaced = b"%PDF-1.7 replaced after validation"
    etag = put_source(ingest, data)
    put_source(ingest, replaced)
    deletes = calls(ingest, "DeleteObject")
    with pytest.raises(processor_module().CopyIntegrityError):
        copy(ingest, data, size=len(replaced), source_etag=etag)
    assert deletes == []  # the processor's role has no s3:DeleteObject on the vault
    assert ingest.get_object(Bucket=BUCKET, Key=VAULT_KEY)["Body"].read() == replaced
    # Every later attempt refuses what is at the key; none counts it as this document.
    with pytest.raises(processor_module().VaultConflictError):
        copy(ingest, data, size=len(replaced), source_etag=etag)
    assert len(ingest.list_object_versions(Bucket=BUCKET)["Versions"]) == 1


# --- multipart copy above the threshold ----------------------------------------------------------------


def test_above_the_threshold_the_copy_is_multipart_with_the_same_bytes_and_metadata(ingest: Any) -> None:
    data = bytes(range(256)) * (12 * MiB // 256) + b"tail"
    put_source(ingest, data)
    parts = calls(ingest, "UploadPartCopy")
    completes = calls(ingest, "CompleteMultipartUpload")
    single = calls(ingest, "CopyObject")
    outcome = copy(ingest, data, multipart_threshold=6 * MiB, part_bytes=5 * MiB)
    assert outcome is processor_module().CopyOutcome.COPIED
    assert single == []
    assert [part["CopySourceRange"] for part in parts] == [
        f"bytes=0-{5 * MiB - 1}",
        f"bytes={5 * MiB}-{10 * MiB - 1}",
        f"bytes={10 * MiB}-{len(data) - 1}",
    ]
    assert completes[0]["IfNoneMatch"] == "*"
    head = ingest.head_object(Bucket=BUCKET, Key=VAULT_KEY)
    # S3 has only a composite checksum for a multipart object: the validated SHA-256 is recorded.
    assert head["Metadata"] == metadata(**{"page-count": "3", "sha256": hashlib.sha256(data).hexdigest()})
    stored = DocumentStore(ingest, BUCKET).head(VAULT_KEY)
    assert stored is not None
    # As S3 reports it (``<base64>-<parts>``; moto leaves the suffix out), GET shows the recorded one.
    as_s3 = stored._replace(checksum_sha256=f"{stored.checksum_sha256}-3")
    assert document_from_object("0190c0ffee0000000000000000000001", as_s3).sha256 == (
        hashlib.sha256(data).hexdigest()
    )
    assert head["ContentType"] == "application/pdf"
    assert (
        hashlib.sha256(ingest.get_object(Bucket=BUCKET, Key=VAULT_KEY)["Body"].read()).digest()
        == hashlib.sha256(data).digest()
    )
    # Idempotent: the multipart document is recognised by size, type and metadata (its SHA-256 too).
    assert (
        copy(ingest, data, multipart_threshold=6 * MiB, part_bytes=5 * MiB)
        is processor_module().CopyOutcome.ALREADY_THERE
    )
    other = hashlib.sha256(b"another file").hexdigest()
    with pytest.raises(processor_module().VaultConflictError):
        copy(ingest, data, multipart_threshold=6 * MiB, part_bytes=5 * MiB, sha256=other)


def test_a_single_part_copy_records_no_sha256_metadata(ingest: Any) -> None:
    data = b"%PDF-1.7 small"
    put_source(ingest, data)
    copy(ingest, data)
    assert "sha256" not in ingest.head_object(Bucket=BUCKET, Key=VAULT_KEY)["Metadata"]


def test_a_multipart_copy_that_finds_the_key_taken_is_aborted_and_overwrites_nothing(ingest: Any) -> None:
    data = b"%PDF" + b"x" * (7 * MiB)
    put_source(ingest, data)

    def competitor(**_: Any) -> None:
        processor_module().create_s3_client().put_object(
            Bucket=BUCKET, Key=VAULT_KEY, Body=b"%PDF-1.7 other", Metadata={"owner": ALICE}
        )

    ingest.meta.events.register("before-call.s3.CompleteMultipartUpload", competitor)
    with pytest.raises(processor_module().VaultConflictError):
        copy(ingest, data, multipart_threshold=6 * MiB, part_bytes=5 * MiB)
    assert ingest.get_object(Bucket=BUCKET, Key=VAULT_KEY)["Body"].read() == b"%PDF-1.7 other"
    assert ingest.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


def s3_part_checksums(s3: Any, copied_bytes: bytes) -> None:
    """Answer each ``UploadPartCopy`` with the ``ChecksumSHA256`` S3 reports for the part (moto reports
    none): the SHA-256 of the range of ``copied_bytes``, the bytes the copy actually read."""
    ranges: list[str] = []
    s3.meta.events.register(
        "provide-client-params.s3.UploadPartCopy",
        lambda params, **_: ranges.append(params["CopySourceRange"]),
    )

    def add_checksum(parsed: dict[str, Any], **_: Any) -> None:
        start, end = (int(bound) for bound in ranges[-1].removeprefix("bytes=").split("-"))
        digest = hashlib.sha256(copied_bytes[start : end + 1]).digest()
        parsed["CopyPartResult"]["ChecksumSHA256"] = base64.b64encode(digest).decode()

    s3.meta.events.register("after-call.s3.UploadPartCopy", add_checksum)


def part_checksums(data: bytes, part: int) -> list[str]:
    return [
        base64.b64encode(hashlib.sha256(data[start : start + part]).digest()).decode()
        for start in range(0, len(data), part)
    ]


def test_a_multipart_copy_is_checked_part_by_part_and_completed_with_the_validated_checksums(
    ingest: Any,
) -> None:
    data = b"%PDF" + bytes(range(256)) * (11 * MiB // 256)
    etag = put_source(ingest, data)
    s3_part_checksums(ingest, data)
    completes = calls(ingest, "CompleteMultipartUpload")
    checksums = part_checksums(data, 5 * MiB)
    outcome = copy(
        ingest,
        data,
        source_etag=etag,
        multipart_threshold=6 * MiB,
        part_bytes=5 * MiB,
        part_checksums=checksums,
    )
    assert outcome is processor_module().CopyOutcome.COPIED
    sent = [part["ChecksumSHA256"] for part in completes[0]["MultipartUpload"]["Parts"]]
    assert sent == checksums


def test_a_multipart_copy_of_changed_bytes_is_aborted_and_leaves_nothing(ingest: Any) -> None:
    # S3 enforces CopySourceIfMatch on every part; moto does not, so the replaced bytes are copied.
    data = b"%PDF" + b"v" * (11 * MiB)
    changed = b"%PDF" + b"v" * (6 * MiB) + b"X" + b"v" * (5 * MiB - 1)
    etag = put_source(ingest, data)
    put_source(ingest, changed)
    s3_part_checksums(ingest, changed)
    completes = calls(ingest, "CompleteMultipartUpload")
    with pytest.raises(processor_module().CopyIntegrityError):
        copy(
            ingest,
            data,
            source_etag=etag,
            multipart_threshold=6 * MiB,
            part_bytes=5 * MiB,
            part_checksums=part_checksums(data, 5 * MiB),
        )
    assert completes == []
    assert DocumentStore(ingest, BUCKET).head(VAULT_KEY) is None
    assert ingest.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []
