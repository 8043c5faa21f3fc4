"""The large-upload operations (DESIGN §4.2, issue 14), independent of HTTP: the six ``/uploads`` routes.

A session (``uploads.py``) lives in the caller's catalogue partition (``catalogue.py``), its bytes in
the quarantine ingest bucket under ``ingest/<owner key>/<upload id>``, uploaded by the client through
part URLs signed here just before use (``presign.py``). Nothing here reads or writes the vault: the
processor (``processor.py``) validates the completed object and copies it there.

Order of the writes, so a crash or a race between any two leaves a state the next request (or the
processor) finishes, and no request acts on a session that another one has moved:

- create: ``CreateMultipartUpload`` first, then the session (an S3 upload that no session names is
  removed by the bucket's lifecycle after a day);
- complete: ``CompleteMultipartUpload`` first, then ``awaiting-parts -> processing``. S3 finishing the
  upload fires the processor, which makes that same move itself when it is quicker; a retried complete
  whose first attempt did reach S3 gets ``NoSuchUpload`` and only makes the move;
- abort: ``awaiting-parts -> aborted`` first (so no complete can race it), then ``AbortMultipartUpload``
  and the ingest object's deletion; a repeated abort repeats the (idempotent) S3 clean-up.

Part lengths: each part URL signs that part's exact length under the session's plan (``_sign``,
``presign``), so S3 accepts no part of another length through it. The complete therefore does not list
the parts again to compare their sizes with the plan: that would be up to ten ``ListParts`` calls of the
complete's time budget for what S3 already refused, and the processor checks the whole object's size
(``size_mismatch``) in any case.

Every S3 and DynamoDB failure is the service's 502/503 (``storage.service_error``,
``catalogue.Catalogue``), naming no bucket or key. Time: ``CompleteMultipartUpload`` of thousands of
parts can take many seconds, so it has a client of its own with a longer read timeout
(``COMPLETE_READ_TIMEOUT_SECONDS``) and is only sent when it and the move after it fit in what is left
of the invocation (a 503 otherwise, before anything changed); ``ListParts`` pages likewise stop with a
503 rather than run into Lambda's timeout.
"""

from __future__ import annotations

import logging
import time
from contextlib import suppress
from functools import partial
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from botocore.exceptions import BotoCoreError, ClientError

from document_processor.clients import LazyClient
from document_processor.errors import (
    BadRequestError,
    ErrorCode,
    NotFoundError,
    ServiceError,
    StorageError,
    StorageUnavailableError,
)
from document_processor.idempotency import IdempotentRequest, fingerprint, keyed_request
from document_processor.idempotency import claim as idempotency_claim
from document_processor.idempotency import complete as idempotency_complete
from document_processor.ids import new_document_id
from document_processor.presign import presign_part
from document_processor.storage import (
    WORST_CALL_SECONDS,
    DocumentStore,
    ObjectExistsError,
    create_s3_client,
    error_code,
    service_error,
)
from document_processor.uploads import (
    SESSION_LIFETIME_SECONDS,
    InvalidUploadStateError,
    PartPlan,
    UploadRequest,
    UploadSession,
    UploadStatus,
    first_parts,
    ingest_key,
    list_parameters,
    new_session,
    parse_complete_request,
    parse_parts_request,
    parse_upload_request,
    part_length,
    rfc3339,
)
from document_processor.validation import encode_cursor

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mypy_boto3_s3 import S3Client

    from document_processor.catalogue import Catalogue
    from document_processor.documents import Upload
    from document_processor.identity import Caller
    from document_processor.settings import Settings
    from document_processor.uploads import CompletedPart, PartRequest

COMPLETE_CONNECT_TIMEOUT_SECONDS: Final = 1.0
"""As the API's S3 client: the gateway endpoint is inside the VPC."""
COMPLETE_READ_TIMEOUT_SECONDS: Final = 14.0
"""Longest wait for one socket read of ``CompleteMultipartUpload``: S3 assembles thousands of parts in
seconds, answering once done (it may send whitespace meanwhile). One attempt only: a retry would find
the upload completed (``NoSuchUpload``), which the client's own retry of the request handles."""
COMPLETE_WORST_CALL_SECONDS: Final = COMPLETE_CONNECT_TIMEOUT_SECONDS + COMPLETE_READ_TIMEOUT_SECONDS
"""One attempt: with a consistent read before (4 s) and the move after (4 s), 23 s of the function's 25."""
TIME_MARGIN_SECONDS: Final = 1.0
"""Kept free after the last call, for the answer."""
LIST_PARTS_PAGE: Final = 1000
"""S3's largest ``ListParts`` page: 10,000 parts take 10 calls."""
IDEMPOTENCY_KIND: Final = "POST /uploads"
"""First part of a session request's fingerprint (``POST /documents`` fingerprints have no such part)."""
SCANNED_DOCUMENT_KIND: Final = "POST /documents scanned"
"""First part of a ``POST /documents`` fingerprint with scanning on: a key used with scanning off (a stored
document) and then on (a session) is a 422, never a mix of the two answers."""
NO_SUCH_UPLOAD: Final = "NoSuchUpload"
PART_ERRORS: Final[Mapping[str, str]] = {
    "InvalidPart": (
        "S3 has no part with that number and ETag: upload every part, then list each part's ETag exactly "
        "as S3 answered its PUT (and its checksum, if one was signed in)."
    ),
    "InvalidPartOrder": "The parts must be listed in ascending order of their part numbers.",
    "EntityTooSmall": (
        "A part other than the last is smaller than S3's 5 MiB minimum: upload each part with exactly "
        "partSize bytes."
    ),
    "BadDigest": "A part's checksum does not match the bytes S3 received for it.",
}
"""S3's refusals of ``CompleteMultipartUpload`` that are the client's to fix: 400 ``invalid_part``."""
NOT_CONFIGURED_MESSAGE: Final = "Large uploads are not configured (INGEST_BUCKET is not set)."
NO_SUCH_SESSION: Final = "No such upload session."
EXPIRES_TOO_SOON_MESSAGE: Final = (
    "The upload session expires too soon to be completed (its deadline is closer than the longest a "
    "complete can take); start a new upload."
)
UNAVAILABLE_MESSAGE: Final = "Storage is temporarily unavailable; retry later."
COMPLETED_STATUSES: Final = frozenset({UploadStatus.PROCESSING, UploadStatus.SCANNING, UploadStatus.STORED})
"""A complete finding its session here answers 202 with it: an earlier complete succeeded."""
AFTER_COMPLETE_STATUSES: Final = COMPLETED_STATUSES | {UploadStatus.REJECTED}
"""Where a complete's own move may find its session already: the processor was quicker (and maybe done)."""

LOGGER = logging.getLogger("document_processor.upload_service")


class CreateOutcome(NamedTuple):
    """What ``POST /uploads`` answers: the 201 body, and whether it repeats an earlier request's."""

    body: dict[str, Any]
    replayed: bool
    """An Idempotency-Key named an earlier request: its session as it is now."""


def unbounded() -> float:
    """The time left when nothing limits it (outside Lambda, and the default)."""
    return float("inf")


def create_completion_client(*, session: Any = None) -> S3Client:
    """The S3 client of ``CompleteMultipartUpload``: the API's, with a longer read timeout and one attempt."""
    return create_s3_client(
        connect_timeout=COMPLETE_CONNECT_TIMEOUT_SECONDS,
        read_timeout=COMPLETE_READ_TIMEOUT_SECONDS,
        max_attempts=1,
        session=session,
    )


class UploadService:
    """Upload sessions for authenticated callers: S3 multipart uploads on the ingest bucket, their sessions
    in the ``Catalogue``, part URLs from the presigning client."""

    def __init__(
        self,
        s3: S3Client | LazyClient[S3Client],
        presigner: S3Client | LazyClient[S3Client],
        catalogue: Catalogue,
        settings: Settings,
        *,
        completer: S3Client | LazyClient[S3Client] | None = None,
        id_factory: Callable[[], str] = new_document_id,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if settings.ingest_bucket is None:
            raise ValueError("UploadService needs settings.ingest_bucket")
        self._s3 = _lazy(s3, "s3")
        self._presigner = _lazy(presigner, "s3-presign")
        self._completer = self._s3 if completer is None else _lazy(completer, "s3-complete")
        self._catalogue = catalogue
        self._bucket = settings.ingest_bucket
        self._allowed = settings.allowed_content_types
        self._max_size = settings.max_upload_bytes
        self._new_id = id_factory
        self._clock = clock
        """Epoch seconds: session deadlines and Idempotency-Key records are read against it."""

    # --- POST /uploads ---------------------------------------------------------------------------------

    def create(
        self,
        caller: Caller,
        body: str | bytes | None,
        *,
        idempotency_key: str | None = None,
        time_left: Callable[[], float] = unbounded,
    ) -> CreateOutcome:
        """Validate the request, start the S3 multipart upload, record the session, sign its first parts.

        Everything is validated before any call (a 415 or 413 starts no upload and uses up no key). With
        an ``idempotency_key`` the key's record decides the id: a fresh one reserved for this request, or
        an earlier request's, whose session is answered as it is now (``replayed``; fresh part URLs while
        it awaits parts); an earlier attempt that crashed before its session was written is finished.
        """
        request = parse_upload_request(body, allowed=self._allowed, max_size=self._max_size)
        if idempotency_key is None:
            session = self._start(caller, request, self._new_id(), time_left)
            if session is None:  # 80 random bits: practically never
                LOGGER.error("Generated upload id already taken")
                raise StorageError("Storage refused the request.")
            return CreateOutcome(self._with_parts(session, caller), replayed=False)
        keyed = session_request(idempotency_key, request)
        claimed = idempotency_claim(
            self._catalogue, caller.owner_key, keyed, document_id=self._new_id(), now=int(self._clock())
        )
        session = (
            self._catalogue.get_session(caller.owner_key, claimed.document_id) if claimed.resumed else None
        )
        replayed = session is not None
        if session is None:
            if claimed.replay is not None:  # completed, yet its session is gone (expired and deleted)
                raise NotFoundError(NO_SUCH_SESSION)
            session = self._start(caller, request, claimed.document_id, time_left)
            if session is None:  # a concurrent attempt under the same key wrote it first
                session = self._catalogue.get_session(caller.owner_key, claimed.document_id)
                if session is None:
                    raise StorageError("Storage refused the request.")
                replayed = True
        answer = self._with_parts(session, caller)
        if claimed.replay is None:
            self._complete_key(caller, keyed, session, time_left)
        return CreateOutcome(answer, replayed=replayed or claimed.resumed)

    def _start(
        self, caller: Caller, request: UploadRequest, upload_id: str, time_left: Callable[[], float]
    ) -> UploadSession | None:
        """``CreateMultipartUpload``, then the session; ``None`` (S3's upload aborted) if the id is taken.

        A session write that fails is not followed by an abort: it may have landed (a timeout after the
        write, then botocore's retry refused by the condition), and a retry under the same key resumes
        that session with its S3 upload; an S3 upload no session names is the lifecycle's after a day.
        A refused write is looked at: the session found is this call's own when it names this S3 upload.
        """
        key = ingest_key(caller.owner_key, upload_id)
        arguments: dict[str, Any] = {"Bucket": self._bucket, "Key": key, "ContentType": request.content_type}
        if request.part_checksums:  # uploads.PART_CHECKSUMS_FACT: all parts carry one, or none may
            arguments["ChecksumAlgorithm"] = "SHA256"
        response = self._call(
            "CreateMultipartUpload", lambda: self._s3.get().create_multipart_upload(**arguments)
        )
        multipart_upload_id = str(response["UploadId"])
        session = new_session(
            upload_id,
            request,
            owner=caller.principal,
            multipart_upload_id=multipart_upload_id,
            now=self._clock(),
        )
        if self._catalogue.create_session(caller.owner_key, session):
            return session
        existing = self._catalogue.get_session(caller.owner_key, upload_id)
        if existing is not None and existing.multipart_upload_id == multipart_upload_id:
            LOGGER.warning("Session write refused as already done: it was this request's own")
            return existing
        self._abort_quietly(key, multipart_upload_id, time_left)
        return None

    def _complete_key(
        self, caller: Caller, keyed: IdempotentRequest, session: UploadSession, time_left: Callable[[], float]
    ) -> None:
        """Mark the key's record completed (best effort: a pending record is resumed by a retry)."""
        if time_left() < self._catalogue.worst_call_seconds + TIME_MARGIN_SECONDS:
            LOGGER.warning("Not enough time left to complete the Idempotency-Key record")
            return
        idempotency_complete(
            self._catalogue,
            caller.owner_key,
            keyed,
            document_id=session.id,
            body={"id": session.id, "status": str(session.status)},
        )

    def _with_parts(self, session: UploadSession, caller: Caller) -> dict[str, Any]:
        """The session and its first part URLs (none once it no longer awaits parts)."""
        now = self._clock()
        body = session.to_json(now=now)
        awaiting = session.status_at(now) is UploadStatus.AWAITING_PARTS
        body["parts"] = self._sign(caller, session, first_parts(session)) if awaiting else []
        return body

    # --- POST /documents with malware scanning on ----------------------------------------------------

    def accept_document(
        self,
        caller: Caller,
        upload: Upload,
        *,
        idempotency: IdempotentRequest | None = None,
        time_left: Callable[[], float] = unbounded,
    ) -> CreateOutcome:
        """Quarantine a validated ``POST /documents`` body for the malware scan; the 202's session.

        One ``PutObject`` to ``ingest_key(owner key, id)`` (conditional, SHA-256 checked by S3, as
        ``DocumentStore.put_new`` writes the vault), then the session, already ``processing``: a single
        PUT (``part_size`` = size, ``part_count`` = 1, ``multipart_upload_id`` = ``""``). The processor
        takes it from there exactly as a completed large upload. A session write that fails after the
        object landed is the service's 503: the unnamed object is removed by the ingest lifecycle.
        With ``idempotency`` the key's record decides the id; a replay answers the session as it is now.
        A document ``POST /documents`` could not describe (422) is refused first, before any write.
        """
        from document_processor.content_types import media_type_of
        from document_processor.metadata import describe

        describe(media_type_of(upload.content_type), upload.data)
        if idempotency is None:
            for _ in range(3):  # a taken id (80 random bits): practically never
                upload_id = self._new_id()
                try:
                    return CreateOutcome(self._quarantine(caller, upload, upload_id, False, time_left), False)
                except ObjectExistsError:
                    LOGGER.warning("Generated upload id already taken; trying another")
            raise StorageError("Storage refused the request.")
        claimed = idempotency_claim(
            self._catalogue, caller.owner_key, idempotency, document_id=self._new_id(), now=int(self._clock())
        )
        session = (
            self._catalogue.get_session(caller.owner_key, claimed.document_id) if claimed.resumed else None
        )
        if session is not None:
            return CreateOutcome(session.to_json(now=self._clock()), replayed=True)
        if claimed.replay is not None:  # completed, yet its session is gone (expired and deleted)
            raise NotFoundError(NO_SUCH_SESSION)
        try:
            body = self._quarantine(caller, upload, claimed.document_id, True, time_left)
        except ObjectExistsError:
            LOGGER.error("Another object holds the id an Idempotency-Key reserved")
            raise StorageError("Storage refused the request.") from None
        if time_left() >= self._catalogue.worst_call_seconds + TIME_MARGIN_SECONDS:
            idempotency_complete(
                self._catalogue,
                caller.owner_key,
                idempotency,
                document_id=claimed.document_id,
                body={"id": claimed.document_id, "status": body["status"]},
            )
        return CreateOutcome(body, replayed=claimed.resumed)

    def _quarantine(
        self,
        caller: Caller,
        upload: Upload,
        upload_id: str,
        same_write_ok: bool,
        time_left: Callable[[], float],
    ) -> dict[str, Any]:
        """``PutObject`` of the bytes, then the ``processing`` session; the session's JSON."""
        import base64

        from document_processor.content_types import media_type_of
        from document_processor.documents import META_OWNER

        DocumentStore(self._s3, self._bucket).put_new(
            ingest_key(caller.owner_key, upload_id),
            upload.data,
            content_type=upload.content_type,
            checksum_sha256=base64.b64encode(upload.sha256).decode("ascii"),
            metadata={META_OWNER: caller.principal},
            same_write_ok=same_write_ok,
        )
        now = self._clock()
        session = UploadSession(
            id=upload_id,
            owner=caller.principal,
            filename=upload.filename or "",
            content_type=media_type_of(upload.content_type),
            size=len(upload.data),
            sha256=upload.sha256.hex(),
            part_size=len(upload.data),
            part_count=1,
            multipart_upload_id="",
            status=UploadStatus.PROCESSING,
            expires_at=int(now) + SESSION_LIFETIME_SECONDS,
            updated_at=rfc3339(now),
        )
        if not _fits(time_left, self._catalogue.worst_call_seconds, "No time left for the session"):
            raise StorageUnavailableError(UNAVAILABLE_MESSAGE)
        if not self._catalogue.create_session(caller.owner_key, session):
            existing = self._catalogue.get_session(caller.owner_key, upload_id)
            if existing is None or not same_write_ok:
                raise StorageError("Storage refused the request.")
            session = existing  # a concurrent attempt under the same key wrote it first
        return session.to_json(now=self._clock())

    # --- POST /uploads/{id}/parts --------------------------------------------------------------------

    def sign_parts(self, caller: Caller, upload_id: str, body: str | bytes | None) -> list[dict[str, Any]]:
        """Fresh URLs for the parts asked for (their checksums signed in when given); 409 unless the
        session awaits parts (one past its deadline reads ``expired``)."""
        session = self._owned(caller, upload_id)
        parts = parse_parts_request(
            body, part_count=session.part_count, part_checksums=session.part_checksums
        )
        _require(session, UploadStatus.AWAITING_PARTS, now=self._clock())
        return self._sign(caller, session, parts)

    def _sign(self, caller: Caller, session: UploadSession, parts: list[PartRequest]) -> list[dict[str, Any]]:
        """One URL per part, each signing that part's exact length under the session's plan, so S3
        refuses a ``PUT`` of any other (``presign``: why a part URL signs its length)."""
        client = self._presigner.get()
        key = ingest_key(caller.owner_key, session.id)
        plan = PartPlan(part_size=session.part_size, part_count=session.part_count)
        return [
            presign_part(
                client,
                self._bucket,
                key,
                session.multipart_upload_id,
                part.part_number,
                content_length=part_length(plan, session.size, part.part_number),
                checksum_sha256=part.checksum_sha256,
            )
            for part in parts
        ]

    # --- GET /uploads/{id} ---------------------------------------------------------------------------

    def get(
        self, caller: Caller, upload_id: str, *, time_left: Callable[[], float] = unbounded
    ) -> dict[str, Any]:
        """The session, with the parts S3 has received while it awaits them (``ListParts``, every page)."""
        session = self._owned(caller, upload_id)
        now = self._clock()
        body = session.to_json(now=now)
        awaiting = session.status_at(now) is UploadStatus.AWAITING_PARTS
        body["partsReceived"] = self._received(caller, session, time_left) if awaiting else []
        return body

    def _received(
        self, caller: Caller, session: UploadSession, time_left: Callable[[], float]
    ) -> list[dict[str, Any]]:
        key = ingest_key(caller.owner_key, session.id)
        received: list[dict[str, Any]] = []
        marker = 0
        while True:
            if time_left() < WORST_CALL_SECONDS + TIME_MARGIN_SECONDS:
                LOGGER.warning("Not enough time left to list the rest of the parts")
                raise StorageUnavailableError(UNAVAILABLE_MESSAGE)
            arguments: dict[str, Any] = {
                "Bucket": self._bucket,
                "Key": key,
                "UploadId": session.multipart_upload_id,
                "MaxParts": LIST_PARTS_PAGE,
            }
            if marker:
                arguments["PartNumberMarker"] = marker
            try:
                page = self._call(
                    "ListParts", partial(self._s3.get().list_parts, **arguments), passed={NO_SUCH_UPLOAD}
                )
            except _Refused:  # completed (by a request whose move is on its way) or aborted meanwhile
                return []
            received.extend(
                {"partNumber": int(part["PartNumber"]), "etag": str(part["ETag"]), "size": int(part["Size"])}
                for part in page.get("Parts", [])
            )
            following = int(page.get("NextPartNumberMarker", 0) or 0)
            if not page.get("IsTruncated") or following <= marker:
                return received
            marker = following

    # --- POST /uploads/{id}/complete -----------------------------------------------------------------

    def complete(
        self,
        caller: Caller,
        upload_id: str,
        body: str | bytes | None,
        *,
        time_left: Callable[[], float] = unbounded,
    ) -> dict[str, Any]:
        """Complete the S3 upload, then move the session to ``processing``; the session as it is then.

        A session already processing (or further along) is answered as it is: a retried complete is
        harmless. Rejected, expired and aborted sessions are 409, and so is one whose deadline is
        closer than the complete's own worst case (``complete_worst_seconds``): S3 might otherwise
        build the object, and the move after it find the session expired (the object would then be
        the processor's to delete, and the client would have a 409 for an upload S3 accepted).
        """
        session = self._owned(caller, upload_id)
        parts = parse_complete_request(
            body, part_count=session.part_count, part_checksums=session.part_checksums
        )
        if session.status_at(self._clock()) in COMPLETED_STATUSES:
            return session.to_json(now=self._clock())
        now = self._clock()
        _require(session, UploadStatus.AWAITING_PARTS, now=now)
        if session.expires_at - now <= self.complete_worst_seconds:
            LOGGER.warning("Session expires before a complete could finish", extra={"uploadId": upload_id})
            raise InvalidUploadStateError(
                UploadStatus.AWAITING_PARTS,
                [UploadStatus.AWAITING_PARTS],
                session=session,
                message=EXPIRES_TOO_SOON_MESSAGE,
            )
        needed = self.complete_worst_seconds + TIME_MARGIN_SECONDS
        if time_left() < needed:
            LOGGER.warning(
                "Not enough time left to complete the multipart upload", extra={"uploadId": upload_id}
            )
            raise StorageUnavailableError(UNAVAILABLE_MESSAGE)
        self._complete_multipart(caller, session, parts)
        try:
            moved = self._catalogue.transition_session(
                caller.owner_key,
                upload_id,
                [UploadStatus.AWAITING_PARTS],
                UploadStatus.PROCESSING,
                now=self._clock(),
            )
        except InvalidUploadStateError as refused:
            found = refused.session
            # The processor got there first (and maybe further), or a DELETE / the deadline did.
            if found is None or found.status_at(self._clock()) not in AFTER_COMPLETE_STATUSES:
                raise
            moved = found
        return moved.to_json(now=self._clock())

    @property
    def complete_worst_seconds(self) -> float:
        """The longest a complete takes from its decision on: ``CompleteMultipartUpload`` (one attempt,
        the completion client's timeouts) and the move after it (the catalogue's worst call)."""
        return COMPLETE_WORST_CALL_SECONDS + self._catalogue.worst_call_seconds

    def _complete_multipart(self, caller: Caller, session: UploadSession, parts: list[CompletedPart]) -> None:
        """``CompleteMultipartUpload``; ``NoSuchUpload`` here is read as an earlier complete of ours.

        The session was read awaiting parts before its deadline, and through the API only a complete,
        an abort (which moves the session first) or the lifecycle (a day: after the deadline) end an S3
        upload. The reading is not checked: whether the object exists would take a ``HeadObject`` of
        the ingest key, and the API role has no ``s3:GetObject`` there, by design (it never reads
        quarantined bytes). The residual case is an upload aborted *outside* the API (an operator's
        ``AbortMultipartUpload``, a lifecycle rule shortened below the session's lifetime): it too is
        ``NoSuchUpload``, the session moves to ``processing`` with no object behind it, and no S3 event
        follows. It stays ``processing`` until the processor meets its key again (a late or replayed
        event: no ingest object and no document, so ``rejected`` with ``processing_failed``) or its
        record's expiry a day after the move; the client sees ``processing`` and that ``expiresAt``.
        """
        listed: list[dict[str, Any]] = []
        for part in parts:
            entry: dict[str, Any] = {"PartNumber": part.part_number, "ETag": part.etag}
            if part.checksum_sha256 is not None:
                entry["ChecksumSHA256"] = part.checksum_sha256
            listed.append(entry)
        key = ingest_key(caller.owner_key, session.id)
        try:
            self._call(
                "CompleteMultipartUpload",
                lambda: self._completer.get().complete_multipart_upload(
                    Bucket=self._bucket,
                    Key=key,
                    UploadId=session.multipart_upload_id,
                    MultipartUpload={"Parts": listed},  # type: ignore[typeddict-item]
                ),
                passed={NO_SUCH_UPLOAD, *PART_ERRORS},
            )
        except _Refused as refused:
            if refused.code != NO_SUCH_UPLOAD:
                raise BadRequestError(PART_ERRORS[refused.code], code=ErrorCode.INVALID_PART) from None
            LOGGER.warning(
                "Multipart upload already completed; moving the session on", extra={"uploadId": session.id}
            )

    # --- DELETE /uploads/{id} ------------------------------------------------------------------------

    def abort(self, caller: Caller, upload_id: str, *, time_left: Callable[[], float] = unbounded) -> None:
        """Move the session to ``aborted``, then abort S3's upload and delete the ingest object.

        Aborting an aborted session repeats the S3 clean-up (an earlier abort may have stopped after its
        move); any other state but awaiting parts is a 409. The deletion only matters for an upload
        that S3 completed before the move (the processor deletes the object of an aborted session too,
        and the lifecycle after two days), so it is skipped when it no longer fits in the invocation.
        """
        session = self._owned(caller, upload_id)
        if session.status_at(self._clock()) is not UploadStatus.ABORTED:
            _require(session, UploadStatus.AWAITING_PARTS, UploadStatus.ABORTED, now=self._clock())
            try:
                self._catalogue.transition_session(
                    caller.owner_key,
                    upload_id,
                    [UploadStatus.AWAITING_PARTS],
                    UploadStatus.ABORTED,
                    now=self._clock(),
                )
            except InvalidUploadStateError as refused:
                if refused.current is not UploadStatus.ABORTED:
                    raise
        key = ingest_key(caller.owner_key, upload_id)
        with suppress(_Refused):  # already aborted, or completed before the move (its object goes next)
            self._call(
                "AbortMultipartUpload",
                lambda: self._s3.get().abort_multipart_upload(
                    Bucket=self._bucket, Key=key, UploadId=session.multipart_upload_id
                ),
                passed={NO_SUCH_UPLOAD},
            )
        if not _fits(time_left, WORST_CALL_SECONDS, "Not enough time left to delete the ingest object"):
            return
        self._call("DeleteObject", lambda: self._s3.get().delete_object(Bucket=self._bucket, Key=key))

    # --- GET /uploads ---------------------------------------------------------------------------------

    def list_page(self, caller: Caller, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """One page of the caller's sessions, newest first: ``{"items", "nextCursor"}``."""
        listing = list_parameters(query, owner_key=caller.owner_key)
        sessions, last = self._catalogue.list_sessions(
            caller.owner_key, limit=listing.limit, after_id=listing.after
        )
        now = self._clock()
        return {
            "items": [session.to_json(now=now) for session in sessions],
            "nextCursor": encode_cursor(last, listing.binding) if last else None,
        }

    # --- shared ---------------------------------------------------------------------------------------

    def _owned(self, caller: Caller, upload_id: str) -> UploadSession:
        """The caller's session (from the caller's own partition); 404 for any other."""
        session = self._catalogue.get_session(caller.owner_key, upload_id)
        if session is None:
            raise NotFoundError(NO_SUCH_SESSION)
        if session.owner != caller.principal:
            LOGGER.warning("Session in the caller's partition records another owner")
            raise NotFoundError(NO_SUCH_SESSION)
        return session

    def _abort_quietly(self, key: str, multipart_upload_id: str, time_left: Callable[[], float]) -> None:
        """Abort an S3 upload no session names (best effort: the lifecycle removes it otherwise)."""
        if not _fits(time_left, WORST_CALL_SECONDS, "Not enough time left to abort an unused upload"):
            return
        try:
            self._call(
                "AbortMultipartUpload",
                lambda: self._s3.get().abort_multipart_upload(
                    Bucket=self._bucket, Key=key, UploadId=multipart_upload_id
                ),
            )
        except ServiceError:
            LOGGER.warning("Could not abort an unused multipart upload; the lifecycle will")

    @staticmethod
    def _call(
        operation: str, call: Callable[[], Any], *, passed: frozenset[str] | set[str] = frozenset()
    ) -> Any:
        """Run one S3 call; S3 codes in ``passed`` raise ``_Refused``, every other failure a 502/503."""
        try:
            return call()
        except ClientError as error:
            code = error_code(error)
            if code in passed:
                raise _Refused(code) from None
            raise service_error(operation, error) from error
        except BotoCoreError as error:
            raise service_error(operation, error) from error


class _Refused(Exception):  # internal signal, never escapes this module
    """S3 refused a call with a code the caller handles."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def session_request(key: str, request: UploadRequest) -> IdempotentRequest:
    """The Idempotency-Key record of a ``POST /uploads``: its fingerprint is the parsed request (sanitised
    filename, bare media type, size, SHA-256), so bodies that differ only in spelling are the same
    request, and nothing of a ``POST /documents`` fingerprint can equal it."""
    return keyed_request(
        key,
        fingerprint(
            IDEMPOTENCY_KIND,
            request.filename,
            request.content_type,
            str(request.size),
            request.sha256,
            "partChecksums" if request.part_checksums else None,
        ),
    )


def scanned_document_request(
    key: str, *, content_type_header: str | None, content_disposition_header: str | None, body_sha256: bytes
) -> IdempotentRequest:
    """The Idempotency-Key record of a ``POST /documents`` with scanning on: today's fingerprint parts
    (the headers, the body's SHA-256) behind their own kind (``SCANNED_DOCUMENT_KIND``)."""
    return keyed_request(
        key,
        fingerprint(SCANNED_DOCUMENT_KIND, content_type_header, content_disposition_header, body_sha256),
    )


def _fits(time_left: Callable[[], float], seconds: float, skipped: str) -> bool:
    """Whether a call of ``seconds`` still fits in the invocation; if not, log ``skipped``."""
    if time_left() >= seconds + TIME_MARGIN_SECONDS:
        return True
    LOGGER.warning(skipped)
    return False


def _require(session: UploadSession, *statuses: UploadStatus, now: float) -> None:
    """409 ``invalid_upload_state`` (naming what the request needs) unless the session is in ``statuses``."""
    current = session.status_at(now)
    if current not in statuses:
        raise InvalidUploadStateError(current, statuses, session=session)


def _lazy(client: S3Client | LazyClient[S3Client], name: str) -> LazyClient[S3Client]:
    return client if isinstance(client, LazyClient) else LazyClient(lambda: client, name=name)
