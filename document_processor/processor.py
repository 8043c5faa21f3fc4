"""The ingest processor (DESIGN §4.2): ``document_processor.processor.lambda_handler``, driven by the ingest
bucket's ``ObjectCreated`` events (the ``doc-ingest-<env>`` function of ``lib/ingest_stack.py``, invoked
asynchronously, its failures sent to an encrypted queue with an alarm) and, with the malware gate on
(``MALWARE_SCANNING=on``, DESIGN §4.3), by GuardDuty's scan-result events through an EventBridge rule.

For one object ``ingest/<owner key>/<upload id>`` it moves the upload session to its outcome:

1. load the session (consistently); an unknown key, another bucket or a terminal session ends here
   (a terminal session's leftover ingest object is deleted: nothing legitimate can be at its key);
2. ``awaiting-parts`` -> ``processing`` (conditional: the API's complete may have crashed after S3
   completed the upload, or its move is still on its way);
3. unless the vault already holds this document: stream the object once (``ingest_validation``) and
   copy it server-side into the vault under ``documents/<owner key>/<upload id>`` (``copy_into_vault``:
   conditional, never overwriting, multipart above 5 GiB with every part checked against the validated
   bytes before completing), with the metadata and SHA-256 checksum ``POST /documents`` writes (and the
   validated SHA-256 in the metadata of a multipart copy), so ``GET /documents/{id}`` and the reconciler
   read it unchanged;
4. the catalogue item, from the vault object exactly as the reconciler builds it (conditional);
5. the ingest object deleted; 6. the session ``stored`` with its ``documentId``.

A session ``processing`` whose ingest object and vault document are both gone (the quarantined copy
expired by the lifecycle before any attempt stored it, e.g. a failure-queue replay days later) is
rejected with ``processing_failed``. A document its owner deletes between this run's copy and its
catalogue item counts as stored, then deleted: no item, the session ``stored`` with its ``documentId``,
never copied again (see ``Processor._process`` for the one window that still re-copies).

S3 answers a read of a missing key with 403, not 404, unless the request is covered by ``s3:ListBucket``;
the role's is conditioned on ``s3:prefix``, which HeadObject and GetObject do not carry. Reads therefore
go through ``DocumentStore`` (or, for the streamed GetObject, the same listing of exactly the key), which
tells a missing object from a real denial.

With the malware gate on, an ``ObjectCreated`` record only moves the session to ``scanning`` (after
step 2): nothing is read or copied before GuardDuty's verdict. The scan-result event then decides:
``NO_THREATS_FOUND`` runs steps 3-6, but only if the object's own ``GuardDutyMalwareScanStatus`` tag
says so too (the ingest policy denies reading it otherwise; checking here holds the same line where no
policy is enforced, as in local mode); ``THREATS_FOUND`` rejects the upload ``malware_detected``;
``UNSUPPORTED``, ``ACCESS_DENIED`` and ``FAILED`` reject it ``scan_failed`` (fail closed). Results may
arrive before the ``ObjectCreated`` record (both are asynchronous), so either order ends the same way;
a session ``scanning`` for a day without a result reads ``expired`` and is never stored. The rejected
object is deleted, not kept under a quarantine prefix: nothing in this service reads a kept copy, and
the scan result event (with its threat names) and GuardDuty's findings record what was found.

A rejection moves the session to ``rejected`` with its code and message first, then deletes the ingest
object. Every step is idempotent and each one's effect is visible to the next attempt (the vault object,
the item, the missing ingest object, the status), so a crash after any step leaves a state that a retry
of the same event, or a duplicate or late one, finishes; two concurrent runs agree because every write
is conditional and validation is deterministic. Failures are logged and re-raised after the remaining
records ran, for Lambda's asynchronous retries and then the failure destination; settings are read once
per execution environment, as the reconciler does.
"""

from __future__ import annotations

import base64
import logging
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final, NamedTuple, cast

from botocore.exceptions import ClientError

from document_processor.catalogue import Catalogue, create_dynamodb_client
from document_processor.documents import (
    FACT_KEYS,
    KEY_PREFIX,
    META_FILENAME,
    META_OWNER,
    META_SHA256,
    document_from_object,
)
from document_processor.errors import NotFoundError
from document_processor.event_batch import BatchReport, run_batch, s3_record_key
from document_processor.filenames import encode_for_metadata
from document_processor.ingest_validation import (
    PROCESSING_FAILED_MESSAGE,
    Rejected,
    RejectionCode,
    Validated,
    validate_stream,
)
from document_processor.malware_scan import (
    FAILED_SCAN_RESULTS,
    SCAN_STATUS_TAG,
    ScanResult,
    is_scan_result_event,
    parse_scan_result_event,
)
from document_processor.observability import configure_logging, write_line
from document_processor.settings import ENV_INGEST_BUCKET, Settings, load_settings
from document_processor.storage import (
    DENIED_CODES,
    NOT_FOUND_CODES,
    PRECONDITION_FAILED_CODES,
    DocumentStore,
    create_s3_client,
    error_code,
)
from document_processor.uploads import (
    TERMINAL_STATUSES,
    InvalidUploadStateError,
    UploadError,
    UploadSession,
    UploadStatus,
    ingest_key,
    parse_ingest_key,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import BinaryIO

    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import GetObjectOutputTypeDef

    from document_processor.storage import StoredObject

__all__ = [
    "CopyIntegrityError",
    "CopyOutcome",
    "Outcome",
    "Processor",
    "Rejected",
    "RejectionCode",
    "Validated",
    "copy_into_vault",
    "validate_stream",
]

MAX_COPY_OBJECT_BYTES = 5 * 1024 * 1024 * 1024
"""Largest object one ``CopyObject`` copies (5 GiB = 5,368,709,120 bytes); above it, ``UploadPartCopy``."""
COPY_PART_BYTES = 512 * 1024 * 1024
"""Part size of a multipart copy (S3: 5 MiB to 5 GiB, at most 10,000 parts; 5 TiB fits in 10,000)."""
MAX_PARTS = 10_000
MIN_PART_BYTES = 5 * 1024 * 1024
READ_TIMEOUT_SECONDS = 60.0
"""The processor's S3 read timeout (the API's 3 s is sized for small objects and a 25 s function).

It bounds each wait for bytes on the socket, not a whole transfer: a 5 GiB GetObject streams 1 MiB
reads that each arrive in milliseconds, so it only ends a stalled stream. A ``CopyObject`` of up to
5 GiB answers ``200`` at once and keeps the connection alive while S3 copies (its API reference: the
response is chunk-encoded and the body must be read to the end to learn the outcome), and each
``UploadPartCopy`` of a multipart copy moves at most ``COPY_PART_BYTES``; both stay within 60 s per
read. Budget for 5 GiB inside the function's 900 s: one streamed read at the tens to ~100 MB/s one
Lambda connection gets from S3 (about 1-2 minutes; hashing and the checks run in the same pass, see
``benchmarks/processor.py``), the server-side copy (S3's own throughput, typically a minute or two),
a few small requests; a stall costs at most ``MAX_ATTEMPTS`` x 60 s on a request before the record fails
and Lambda retries the event. ``settings.MAX_UPLOAD_BYTES_CEILING`` (20 GiB) comes from the same budget."""
SESSION_WRITE_GRACE_SECONDS: Final = 120
"""How long after its ``LastModified`` an ingest object without a session is retried rather than
skipped: a live ``POST /documents`` writes the session within its 25 s invocation; Lambda's retries of
an asynchronous event come after about one and three minutes, so a real orphan (the session write
failed, the caller got a 5xx) is retried once and then skipped, not sent to the failure queue."""
MAX_ATTEMPTS = 3
"""Attempts per S3 request, the first included (botocore's standard mode: throttling, 5xx, connection
errors; a retried copy that finds its own earlier copy done gets 412 and counts it as done). A read
failing mid-stream is not retried by botocore: the record fails and the whole event is retried."""

LOGGER = logging.getLogger("document_processor.processor")


class CopyOutcome(StrEnum):
    """What ``copy_into_vault`` did."""

    COPIED = "copied"
    ALREADY_THERE = "already_there"
    """This very document was already at the vault key (an earlier or concurrent run copied it)."""


class Outcome(StrEnum):
    """What processing one record did (counted on the invocation's log line)."""

    STORED = "stored"
    REJECTED = "rejected"
    ALREADY_DONE = "already_done"
    """The session was already terminal (a duplicate or late event); any leftover ingest object deleted."""
    SCANNING = "scanning"
    """The session waits for the malware gate's verdict (moved to, or already, ``scanning``)."""
    MALWARE_DETECTED = "malware_detected"
    """GuardDuty found a threat: the session is ``rejected`` (``malware_detected``), the object deleted."""
    SCAN_FAILED = "scan_failed"
    """GuardDuty gave no verdict: the session is ``rejected`` (``scan_failed``), the object deleted."""
    MISSING = "missing"
    """The session was processing but neither the ingest object nor the document exists (logged: an
    ingest object expired by the lifecycle before any attempt succeeded); the session is now
    ``rejected`` with ``processing_failed``."""
    SKIPPED = "skipped"
    """Not a record this function handles (another bucket or event, not an ingest key, no session, a
    scan result with the gate off or for an object whose tag does not say it is clean)."""


class VaultConflictError(Exception):
    """An object at the vault key is not this document; it is never overwritten (practically impossible:
    the key's id is the session's fresh id)."""


class CopyIntegrityError(VaultConflictError):
    """The copy S3 made does not hash to the validated bytes (the ingest object changed between the
    validation and the copy, with the source condition not enforced).

    A multipart copy is aborted before it is completed: nothing is left, and the retry validates the
    ingest object as it is then. A single ``CopyObject`` is only known to be wrong once it is in place,
    and it stays at its vault key: the processor's role has no ``s3:DeleteObject`` on the vault. Every
    later attempt for the session finds an object there that is not the validated document and raises
    ``VaultConflictError`` (the session stays ``processing``, the ingest object is kept, the event ends
    in the failure destination with its alarm); it is never recorded as stored. An operator removes the
    vault object (and its catalogue item, if the reconciler listed it) and redrives the event.
    """


class CopySourceChangedError(Exception):
    """The ingest object was gone or changed when copied, and the vault does not hold the document;
    a retry validates again whatever is there."""


class ProcessError(Exception):
    """Some records of an event could not be processed; raised so Lambda retries the event."""


class SessionNotWrittenYetError(ProcessError):
    """An event for a fresh ingest object whose session is not in the catalogue yet: ``POST /documents``
    with the gate on puts the object a moment before it writes the session, and the object's events can
    win that race. Raised so Lambda delivers the event again (its first retry comes about a minute
    later); past ``SESSION_WRITE_GRACE_SECONDS`` an object without a session is left to the lifecycle."""


class IngestKey(NamedTuple):
    """An ingest key, split."""

    key: str
    owner_key: str
    upload_id: str


def vault_key(owner_key: str, upload_id: str) -> str:
    """``documents/<owner key>/<upload id>``: the document the session becomes (its id is the upload id)."""
    return f"{KEY_PREFIX}{owner_key}/{upload_id}"


def document_metadata(session: UploadSession, facts: Mapping[str, int]) -> dict[str, str]:
    """The user metadata ``POST /documents`` writes for this document (``DocumentService.store``); no
    filename when there is none (a gated ``POST /documents`` without ``Content-Disposition``)."""
    metadata = {META_OWNER: session.owner}
    if session.filename:
        metadata[META_FILENAME] = encode_for_metadata(session.filename)
    metadata.update({FACT_KEYS[name]: str(value) for name, value in facts.items()})
    return metadata


def checksum_of(sha256_hex: str) -> str:
    """S3's base64 form of a hex SHA-256."""
    return base64.b64encode(bytes.fromhex(sha256_hex)).decode("ascii")


def copy_part_bytes(size: int, part_bytes: int = COPY_PART_BYTES) -> int:
    """The part size of a multipart copy of ``size`` bytes: ``part_bytes``, more if 10,000 would not do."""
    return max(part_bytes, MIN_PART_BYTES, -(-size // MAX_PARTS))


def vault_metadata(metadata: Mapping[str, str], sha256: str, *, multipart: bool) -> dict[str, str]:
    """``metadata`` plus, on a multipart copy, the validated whole-file SHA-256 hex (``META_SHA256``).

    S3 keeps only a composite checksum (of the parts' checksums) for a multipart object, so without it
    ``GET /documents/{id}`` could show no SHA-256; ``documents.document_from_object`` reads it then. A
    single-part copy carries S3's own full SHA-256 and needs no copy of it.
    """
    described = dict(metadata)
    if multipart:
        described[META_SHA256] = sha256.lower()
    return described


def copy_into_vault(
    s3: S3Client,
    *,
    source_bucket: str,
    source_key: str,
    vault_bucket: str,
    vault_key: str,
    size: int,
    content_type: str,
    metadata: Mapping[str, str],
    sha256: str,
    source_etag: str | None = None,
    multipart_threshold: int = MAX_COPY_OBJECT_BYTES,
    part_bytes: int = COPY_PART_BYTES,
    part_checksums: Sequence[str] | None = None,
) -> CopyOutcome:
    """Copy the validated ingest object into the vault server-side, never overwriting.

    ``CopyObject`` with ``IfNoneMatch="*"`` (S3 refuses with 412 if any object is at the key), no tags
    (``CreateMultipartUpload`` of a multipart copy carries none either) and a full SHA-256 computed by
    S3 (``ChecksumAlgorithm``), compared with the validated one. Above
    ``multipart_threshold``: ``CreateMultipartUpload`` + ``UploadPartCopy`` ranges +
    ``CompleteMultipartUpload`` with ``IfNoneMatch="*"``; S3 then keeps a composite SHA-256 (of the
    parts' checksums: S3 has no full-object SHA-256 for multipart objects), so the validated SHA-256 is
    written into the user metadata (``META_SHA256``), which ``GET /documents/{id}`` shows.
    ``source_etag`` (the validated object's ETag) makes every copy request conditional on the source
    being the bytes validated. A HeadObject first makes a retry cheap and is the only guard where the
    conditional header is not enforced (moto 5.2.5 ignores ``IfNoneMatch`` and ``CopySourceIfMatch`` on
    ``CopyObject``; AWS enforces both). An identical object already at the key counts as done; any other
    raises ``VaultConflictError``; a source gone or changed raises ``CopySourceChangedError``; a copy
    that S3 hashes to another SHA-256 than the validated one raises ``CopyIntegrityError`` and is left
    where it is (the processor may not delete from the vault; see that error). ``part_checksums`` (base64
    SHA-256 of each ``copy_part_bytes`` range, ``Validated.part_sha256``) make the same check on a
    multipart copy before it is completed: a part S3 hashes otherwise aborts it, so nothing is visible.
    """
    vault = DocumentStore(s3, vault_bucket)
    multipart = size > multipart_threshold
    metadata = vault_metadata(metadata, sha256, multipart=multipart)
    expected = _Expected(size, content_type, metadata, checksum_of(sha256), multipart)
    existing = vault.head(vault_key)
    if existing is not None:
        return _already_there(existing, expected, vault_key)
    source: dict[str, Any] = {"Bucket": source_bucket, "Key": source_key}
    conditions: dict[str, Any] = {"CopySourceIfMatch": source_etag} if source_etag else {}
    try:
        if expected.multipart:
            _multipart_copy(
                s3, source, conditions, vault_bucket, vault_key, expected, part_bytes, part_checksums
            )
        else:
            response = s3.copy_object(
                Bucket=vault_bucket,
                Key=vault_key,
                CopySource=source,  # type: ignore[arg-type]  # the dict form of CopySourceTypeDef
                MetadataDirective="REPLACE",
                ContentType=content_type,
                Metadata=dict(metadata),
                # CopyObject copies the source's tags by default (x-amz-tagging-directive COPY, S3 API
                # reference); REPLACE with no x-amz-tagging gives the document none: the ingest
                # object's GuardDutyMalwareScanStatus means nothing in the vault.
                TaggingDirective="REPLACE",
                ChecksumAlgorithm="SHA256",
                IfNoneMatch="*",
                **conditions,
            )
            copied = response.get("CopyObjectResult", {}).get("ChecksumSHA256")
            if copied is not None and copied != expected.checksum:
                # Unreachable while S3 enforces CopySourceIfMatch on the validated ETag. No DeleteObject
                # on the vault: the role may not delete documents. Every attempt from now on finds
                # this object at the key and refuses it (never stored), until an operator removes it.
                LOGGER.error(
                    "Copied object does not hash to the validated SHA-256; left in the vault, "
                    "the upload stays processing until an operator removes it",
                    extra={"vaultKey": vault_key, "copiedChecksum": copied, "validated": expected.checksum},
                )
                raise CopyIntegrityError(vault_key)
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        if code not in NOT_FOUND_CODES | PRECONDITION_FAILED_CODES:
            raise
        # 412: an object is at the key (or the source changed); 404: the source is gone. Either way
        # a concurrent run may have copied this very document: look once more.
        found = vault.head(vault_key)
        if found is None:
            raise CopySourceChangedError(source_key) from None
        return _already_there(found, expected, vault_key)
    return CopyOutcome.COPIED


class _Expected(NamedTuple):
    size: int
    content_type: str
    metadata: dict[str, str]
    checksum: str
    multipart: bool


def _matches(stored: StoredObject, expected: _Expected, *, with_facts: bool = True) -> bool:
    """Whether the vault object is this document (size, type, owner and filename, SHA-256 if single part)."""
    wanted = {name.lower(): value for name, value in expected.metadata.items()}
    metadata = stored.metadata
    if not with_facts:
        facts = set(FACT_KEYS.values())
        wanted = {name: value for name, value in wanted.items() if name not in facts}
        metadata = {name: value for name, value in metadata.items() if name not in facts}
    # A multipart copy's checksum is S3's composite of its parts (``<base64>-<parts>``; moto computes yet
    # another): the key is the session's own, so size, type, owner, filename and the recorded SHA-256
    # (``META_SHA256``, part of the metadata compared) identify the document.
    checksum_ok = expected.multipart or stored.checksum_sha256 == expected.checksum
    return (
        stored.size == expected.size
        and stored.content_type == expected.content_type
        and metadata == wanted
        and checksum_ok
    )


def _already_there(existing: StoredObject, expected: _Expected, key: str) -> CopyOutcome:
    if _matches(existing, expected):
        LOGGER.info("The vault already holds this document")
        return CopyOutcome.ALREADY_THERE
    LOGGER.error("Another object is at the vault key; not overwritten")
    raise VaultConflictError(key)


def _multipart_copy(
    s3: S3Client,
    source: dict[str, Any],
    conditions: dict[str, Any],
    bucket: str,
    key: str,
    expected: _Expected,
    part_bytes: int,
    part_checksums: Sequence[str] | None = None,
) -> None:
    """``UploadPartCopy`` in ranges, completed only if nothing is at the key; aborted on any failure.

    With ``part_checksums``, each part S3 copied must hash (S3's ``ChecksumSHA256`` of the part) to the
    validated bytes' range, and ``CompleteMultipartUpload`` is given those checksums for S3 to check.
    """
    part = copy_part_bytes(expected.size, part_bytes)
    upload_id = s3.create_multipart_upload(
        Bucket=bucket,
        Key=key,
        ContentType=expected.content_type,
        Metadata=expected.metadata,
        ChecksumAlgorithm="SHA256",
    )["UploadId"]
    try:
        parts: list[dict[str, Any]] = []
        for number, start in enumerate(range(0, expected.size, part), start=1):
            end = min(start + part, expected.size) - 1
            result = s3.upload_part_copy(
                Bucket=bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=number,
                CopySource=source,  # type: ignore[arg-type]
                CopySourceRange=f"bytes={start}-{end}",
                **conditions,
            )["CopyPartResult"]
            entry: dict[str, Any] = {"PartNumber": number, "ETag": result["ETag"]}
            copied = result.get("ChecksumSHA256")
            validated = part_checksums[number - 1] if part_checksums else None
            if copied and validated and copied != validated:
                LOGGER.error(
                    "A copied part does not hash to the validated bytes; the multipart copy is aborted",
                    extra={"vaultKey": key, "partNumber": number},
                )
                raise CopyIntegrityError(key)
            if validated or copied:
                entry["ChecksumSHA256"] = validated or copied
            parts.append(entry)
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},  # type: ignore[typeddict-item]
            IfNoneMatch="*",
        )
    except BaseException:
        try:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError:
            LOGGER.warning("Could not abort a failed multipart copy (the bucket's lifecycle removes it)")
        raise


class Processor:
    """Moves upload sessions to their outcome for the ingest objects named by S3 event records."""

    def __init__(
        self,
        s3: S3Client,
        catalogue: Catalogue,
        *,
        ingest_bucket: str,
        vault_bucket: str,
        allowed_content_types: frozenset[str],
        clock: Callable[[], float] = time.time,
        multipart_threshold: int = MAX_COPY_OBJECT_BYTES,
        part_bytes: int = COPY_PART_BYTES,
        malware_scanning: bool = False,
    ) -> None:
        self._s3 = s3
        self._catalogue = catalogue
        self._ingest_bucket = ingest_bucket
        self._vault_bucket = vault_bucket
        self._vault = DocumentStore(s3, vault_bucket)
        self._ingest = DocumentStore(s3, ingest_bucket)
        self._allowed = allowed_content_types
        self._clock = clock
        self._multipart_threshold = multipart_threshold
        self._part_bytes = part_bytes
        self._malware_scanning = malware_scanning

    def process_record(self, record: object) -> Outcome:
        """Process the ingest object one event record names; skip (warned) records that are not ours."""
        located = self._ingest_key(record)
        if located is None:
            return Outcome.SKIPPED
        return self.process_key(located)

    def process_key(self, located: IngestKey) -> Outcome:
        """Move the session of ``located`` as far as the objects in S3 allow (see the module docstring);
        with the malware gate on, no further than ``scanning``."""
        session = self._active_session(located)
        if isinstance(session, Outcome):
            return session
        if session.status is UploadStatus.SCANNING:
            return Outcome.SCANNING
        if self._malware_scanning:
            moved = self._move(located, session, UploadStatus.SCANNING)
            if moved.status_at(self._clock()) in TERMINAL_STATUSES:  # its scan result came first
                self._delete_ingest(located)
                return Outcome.ALREADY_DONE
            return Outcome.SCANNING
        return self._process(located, session)

    def process_scan_result(self, event: object) -> Outcome:
        """Act on one GuardDuty scan-result event (see the module docstring); skip (warned) one that is
        not for an ingest object of ours, or any while the gate is off (S3 events drive processing)."""
        if not self._malware_scanning:
            LOGGER.warning("Skipping a malware scan result: malware scanning is off")
            return Outcome.SKIPPED
        scan = parse_scan_result_event(event) if isinstance(event, dict) else None
        if scan is None:
            LOGGER.warning("Skipping a scan-result event without a bucket, key or known result")
            return Outcome.SKIPPED
        if scan.bucket != self._ingest_bucket:
            LOGGER.warning("Skipping a scan result for another bucket")
            return Outcome.SKIPPED
        located = self._located(scan.key, event_name=f"scan result {scan.result}")
        if located is None:
            return Outcome.SKIPPED
        session = self._active_session(located)
        if isinstance(session, Outcome):
            return session
        if scan.result is ScanResult.THREATS_FOUND:
            threats = ", ".join(scan.threats) or "threat name not reported"
            LOGGER.warning(
                "Malware found in an upload", extra={"uploadId": located.upload_id, "threats": threats}
            )
            message = f"GuardDuty found malware ({threats}); the upload was deleted."
            self._reject(located, session, Rejected(RejectionCode.MALWARE_DETECTED, message))
            return Outcome.MALWARE_DETECTED
        if scan.result in FAILED_SCAN_RESULTS:
            message = (
                f"The malware scan gave no verdict ({scan.result}); the upload was deleted unscanned. "
                "Upload it again, or as another format if the scanner does not support this one."
            )
            self._reject(located, session, Rejected(RejectionCode.SCAN_FAILED, message))
            return Outcome.SCAN_FAILED
        if not self._tagged_clean(located):
            return Outcome.SKIPPED
        return self._process(located, session)

    def _active_session(self, located: IngestKey) -> UploadSession | Outcome:
        """The session of ``located``, moved out of ``awaiting-parts``, or what to report when there is
        nothing to do: no session (skipped), its object gone while awaiting parts (skipped), or already
        terminal (its leftover ingest object deleted)."""
        session = self._catalogue.get_session(located.owner_key, located.upload_id)
        if session is None:
            written = self._ingest_written_at(located)
            if written is not None and self._clock() - written < SESSION_WRITE_GRACE_SECONDS:
                raise SessionNotWrittenYetError("An ingest object's session is not written yet; retrying")
            LOGGER.warning("No upload session for an ingest object; left to the lifecycle")
            return Outcome.SKIPPED
        status = session.status_at(self._clock())
        if status is UploadStatus.AWAITING_PARTS:
            if not self._ingest_exists(located):  # a late record for an object since removed
                LOGGER.warning("Session awaits parts and its ingest object is gone; nothing to do")
                return Outcome.SKIPPED
            session = self._move(located, session, UploadStatus.PROCESSING)
            status = session.status_at(self._clock())
        if status in TERMINAL_STATUSES:
            self._delete_ingest(located)
            return Outcome.ALREADY_DONE
        return session

    def _tagged_clean(self, located: IngestKey) -> bool:
        """Whether the ingest object's own scan tag says ``NO_THREATS_FOUND`` (or the object is gone:
        then ``_process`` decides from the vault, as for any retry). Any other tag, or none, is skipped
        with a warning: the event and the object disagree, and only the object's tag opens the read."""
        try:
            tags = self._s3.get_object_tagging(Bucket=self._ingest_bucket, Key=located.key)["TagSet"]
        except ClientError as error:
            code = error_code(error)
            if code in NOT_FOUND_CODES or (code in DENIED_CODES and not self._ingest_exists(located)):
                return True
            raise
        status = next((tag["Value"] for tag in tags if tag["Key"] == SCAN_STATUS_TAG), None)
        if status != ScanResult.NO_THREATS_FOUND:
            LOGGER.warning(
                "A clean scan result for an object not tagged clean; not promoted",
                extra={"uploadId": located.upload_id, "scanStatusTag": status},
            )
            return False
        return True

    def _process(self, located: IngestKey, session: UploadSession) -> Outcome:
        """Validate and copy unless the vault holds the document, then catalogue it and finish.

        No vault object right after this run's copy (or its finding of a concurrent run's) means its
        owner deleted it (``DELETE /documents/{id}``: the id is the upload id): that delete stands, the
        session is ``stored`` and no later record copies it again. One window remains: a crash after the
        copy, the owner's delete, then the retry finds the ingest object and no document and copies it
        again. Telling that from "never copied" needs the vault key's version history
        (``s3:ListBucketVersions``), which the role does not have.
        """
        key = vault_key(located.owner_key, located.upload_id)
        stored = self._vault.head(key)
        copied = False
        if stored is None:
            try:
                validated = self._validate_and_copy(located, session)
            except Rejected as rejected:
                return self._reject(located, session, rejected)
            # Looked at again also when there was no ingest object: a concurrent run may have copied
            # the document and deleted the ingest object since the first look.
            stored = self._vault.head(key)
            if stored is None:
                if validated is None:
                    return self._missing(located, session)
                return self._deleted_by_owner(located, session)
            copied = validated is not None
        if not copied and not _matches(stored, self._expected(session), with_facts=False):
            LOGGER.error("Another object is at the vault key; not overwritten")
            raise VaultConflictError(key)
        document = document_from_object(located.upload_id, stored)
        if self._catalogue.put_document(located.owner_key, document, owner=session.owner) and (
            self._vault.head(key) is None
        ):
            # Deleted between the copy and the item (the reconciler's second look, for the same race).
            self._catalogue.delete_document(located.owner_key, located.upload_id)
        self._delete_ingest(located)
        self._move(located, session, UploadStatus.STORED, document_id=located.upload_id)
        return Outcome.STORED

    def _missing(self, located: IngestKey, session: UploadSession) -> Outcome:
        """Neither the ingest object nor the document: the quarantined copy expired before any attempt
        stored it. Nothing can validate it any more, so the session ends (``processing_failed``)."""
        LOGGER.error(
            "Session is processing but neither its ingest object nor its document exists; rejected",
            extra={"uploadId": located.upload_id},
        )
        self._reject(located, session, Rejected(RejectionCode.PROCESSING_FAILED, PROCESSING_FAILED_MESSAGE))
        return Outcome.MISSING

    def _deleted_by_owner(self, located: IngestKey, session: UploadSession) -> Outcome:
        """The document was in the vault (this run copied it or found it copied) and is gone: its owner
        deleted it. The delete stands: no catalogue item (a concurrent run may have written one), the
        ingest object deleted so no retry copies it again, the session ``stored`` with its id."""
        LOGGER.warning(
            "The document was deleted by its owner right after the copy; recorded as stored, then deleted",
            extra={"uploadId": located.upload_id},
        )
        self._catalogue.delete_document(located.owner_key, located.upload_id)
        self._delete_ingest(located)
        self._move(located, session, UploadStatus.STORED, document_id=located.upload_id)
        return Outcome.STORED

    def _expected(self, session: UploadSession, facts: Mapping[str, int] | None = None) -> _Expected:
        from document_processor.content_types import STORED_TEXT_CONTENT_TYPE
        from document_processor.settings import TEXT

        stored_type = STORED_TEXT_CONTENT_TYPE if session.content_type == TEXT else session.content_type
        multipart = session.size > self._multipart_threshold
        return _Expected(
            session.size,
            stored_type,
            vault_metadata(document_metadata(session, facts or {}), session.sha256, multipart=multipart),
            checksum_of(session.sha256),
            multipart,
        )

    def _validate_and_copy(self, located: IngestKey, session: UploadSession) -> Validated | None:
        """Stream the ingest object through validation and copy it; ``None`` when there is none."""
        response = self._open_ingest(located)
        if response is None:
            return None
        body = response["Body"]
        try:
            length = int(response.get("ContentLength", -1))
            if length != session.size:  # cheaper than reading it: S3 knows the size
                raise Rejected(
                    RejectionCode.SIZE_MISMATCH,
                    f"The upload has {length} bytes; {session.size} were declared.",
                )
            multipart = session.size > self._multipart_threshold
            validated = validate_stream(
                cast("BinaryIO", body),  # StreamingBody: read(amt) and close()
                declared_size=session.size,
                declared_content_type=session.content_type,
                declared_sha256=session.sha256,
                allowed=self._allowed,
                part_bytes=copy_part_bytes(session.size, self._part_bytes) if multipart else None,
            )
        finally:
            body.close()
        copy_into_vault(
            self._s3,
            source_bucket=self._ingest_bucket,
            source_key=located.key,
            vault_bucket=self._vault_bucket,
            vault_key=vault_key(located.owner_key, located.upload_id),
            size=validated.size,
            content_type=validated.content_type,
            metadata=document_metadata(session, validated.facts),
            sha256=validated.sha256,
            source_etag=str(response.get("ETag", "")) or None,
            multipart_threshold=self._multipart_threshold,
            part_bytes=self._part_bytes,
            part_checksums=validated.part_sha256 or None,
        )
        return validated

    def _reject(self, located: IngestKey, session: UploadSession, rejected: Rejected) -> Outcome:
        """Record the rejection first, then delete the object (a crash between leaves a terminal session
        whose leftover object the next attempt deletes)."""
        LOGGER.warning(
            "Upload rejected", extra={"uploadId": located.upload_id, "rejectionCode": str(rejected.code)}
        )
        error = UploadError(code=str(rejected.code), message=rejected.message)
        self._move(located, session, UploadStatus.REJECTED, error=error)
        self._delete_ingest(located)
        return Outcome.REJECTED

    def _move(
        self,
        located: IngestKey,
        session: UploadSession,
        to_status: UploadStatus,
        *,
        error: UploadError | None = None,
        document_id: str | None = None,
    ) -> UploadSession:
        """The conditional move; a session another run already moved there (or beyond) is fine."""
        sources = {
            UploadStatus.PROCESSING: (UploadStatus.AWAITING_PARTS,),
            UploadStatus.SCANNING: (UploadStatus.PROCESSING,),
            UploadStatus.STORED: (UploadStatus.PROCESSING, UploadStatus.SCANNING),
            UploadStatus.REJECTED: (UploadStatus.PROCESSING, UploadStatus.SCANNING),
        }[to_status]
        try:
            return self._catalogue.transition_session(
                located.owner_key,
                located.upload_id,
                sources,
                to_status,
                now=self._clock(),
                error=error,
                document_id=document_id,
            )
        except InvalidUploadStateError as refused:
            found = refused.session
            if found is None:
                raise
            current = found.status_at(self._clock())
            already = current is to_status or _beyond(current, to_status)
            if not already:
                LOGGER.error(
                    "Upload session moved elsewhere meanwhile",
                    extra={"uploadId": located.upload_id, "status": str(current), "wanted": str(to_status)},
                )
                raise
            return found
        except NotFoundError:
            LOGGER.error("Upload session vanished while processing", extra={"uploadId": located.upload_id})
            raise

    def _open_ingest(self, located: IngestKey) -> GetObjectOutputTypeDef | None:
        """GetObject of the ingest object, its body unread (streamed by the caller); ``None`` if absent.

        ``DocumentStore.get`` reads the body into memory, so the streamed read is made here, with the
        same test of a 403 (S3's answer to a missing key outside the role's prefix-conditioned
        ``s3:ListBucket``): a listing of exactly the key, which that grant admits. No such key: absent.
        A key that is there: the 403 was a real denial, raised for Lambda's retries.
        """
        try:
            return self._s3.get_object(Bucket=self._ingest_bucket, Key=located.key)
        except ClientError as error:
            code = error_code(error)
            if code in NOT_FOUND_CODES:
                return None
            if code not in DENIED_CODES:
                raise
            if self._ingest_exists(located):
                LOGGER.error("S3 refused to read an ingest object that exists")
                raise
            return None

    def _ingest_exists(self, located: IngestKey) -> bool:
        """Whether the ingest object exists."""
        return self._ingest_written_at(located) is not None

    def _ingest_written_at(self, located: IngestKey) -> float | None:
        """When the ingest object was written (epoch seconds), ``None`` when there is none: a listing of
        exactly its key, not HeadObject, which the ingest policy denies for an object not yet scanned
        clean when the malware gate is on (and which would answer 403 for a missing key anyway)."""
        listed, _ = self._ingest.list_page(located.key, start_after=None, limit=1)
        return next((e.last_modified.timestamp() for e in listed if e.key == located.key), None)

    def _delete_ingest(self, located: IngestKey) -> None:
        """Delete the ingest object (deleting one that is gone is not an error in S3)."""
        self._s3.delete_object(Bucket=self._ingest_bucket, Key=located.key)

    def _ingest_key(self, record: object) -> IngestKey | None:
        """The ingest key of an ``ObjectCreated`` record of our bucket, or ``None`` (warned)."""
        key = s3_record_key(record, bucket=self._ingest_bucket, logger=LOGGER, event_prefix="ObjectCreated:")
        if key is None:
            return None
        return self._located(key, event_name=str(cast("dict[str, Any]", record).get("eventName", "")))

    @staticmethod
    def _located(key: str, *, event_name: str) -> IngestKey | None:
        """``key`` split, if ``ingest_key`` could have built it; else ``None`` (warned)."""
        parsed = parse_ingest_key(key)
        if parsed is None or ingest_key(*parsed) != key:
            LOGGER.warning(
                "Skipping a record for a key that is not an ingest key", extra={"eventName": event_name}
            )
            return None
        return IngestKey(key=key, owner_key=parsed[0], upload_id=parsed[1])


PROGRESS: Final[Mapping[UploadStatus, int]] = {
    UploadStatus.AWAITING_PARTS: 0,
    UploadStatus.PROCESSING: 1,
    UploadStatus.SCANNING: 2,
}
"""How far along the non-terminal statuses are (every terminal status is beyond them all)."""


def _beyond(current: UploadStatus, wanted: UploadStatus) -> bool:
    """Whether a session at ``current`` is already past the intermediate status ``wanted`` (another
    run, or the other of the two events, moved it further): a refused move there is no failure."""
    if wanted not in PROGRESS:
        return False
    return current in TERMINAL_STATUSES or PROGRESS.get(current, -1) > PROGRESS[wanted]


RUN_REPORT = BatchReport(
    function="processor",
    outcomes=Outcome,
    done_message="Event processed",
    record_failed_message="Could not process a record; the event will be retried",
    failure_metric="ProcessFailures",
    error=ProcessError,
    outcome_metrics={
        Outcome.REJECTED: "UploadsRejected",
        Outcome.STORED: "UploadsStored",
        Outcome.MALWARE_DETECTED: "MalwareDetected",
        Outcome.SCAN_FAILED: "MalwareScanFailures",
    },
)
"""How an invocation reports (``event_batch.run_batch``): one line, stored/rejected/failed and the
malware gate's verdicts as metrics (the stack alarms on ``MalwareScanFailures``)."""


def run(
    processor: Processor | None,
    event: object,
    context: object,
    *,
    settings: Settings,
    sink: Callable[[str], None] = write_line,
) -> dict[str, Any]:
    """Process every record of ``event``; write one log line with counts; raise if any record failed.

    A GuardDuty scan-result event (one per EventBridge invocation) is run as a batch of one record, so
    it is reported, counted and retried exactly as an S3 event is."""
    handle: Callable[[object], Outcome] | None = None if processor is None else processor.process_record
    if is_scan_result_event(event):
        handle = None if processor is None else processor.process_scan_result
        event = {"Records": [event]}
    return run_batch(
        handle,
        event,
        context,
        report=RUN_REPORT,
        settings=settings,
        logger=LOGGER,
        sink=sink,
    )


def build(settings: Settings) -> Processor | None:
    """The processor for ``settings`` (``ingest_bucket`` too); ``None`` (logged here) when misconfigured."""
    ingest = settings.ingest_bucket
    problems = list(settings.problems)
    if not ingest:
        problems.append(f"{ENV_INGEST_BUCKET} is not set: set it to the ingest bucket's name.")
    bucket, table = settings.documents_bucket, settings.catalogue_table
    if problems or ingest is None or bucket is None or table is None:
        LOGGER.error("Configuration is invalid: every event will fail", extra={"problems": problems})
        return None
    try:
        s3 = create_s3_client(read_timeout=READ_TIMEOUT_SECONDS, max_attempts=MAX_ATTEMPTS)
        catalogue = Catalogue(create_dynamodb_client(), table)
    except Exception:
        LOGGER.exception("Could not create the AWS clients: every event will fail")
        return None
    return Processor(
        s3,
        catalogue,
        ingest_bucket=ingest,
        vault_bucket=bucket,
        allowed_content_types=settings.allowed_content_types,
        malware_scanning=settings.malware_scanning,
    )


SETTINGS = load_settings()
configure_logging(SETTINGS)
PROCESSOR = build(SETTINGS)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """AWS Lambda entry point for the ingest bucket's event notifications and, with the malware gate on,
    GuardDuty's scan-result events (both invoked asynchronously)."""
    return run(PROCESSOR, event, context, settings=SETTINGS)
