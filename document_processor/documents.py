"""The document operations, independent of HTTP: upload, describe, download, delete and list one
caller's documents. Object-level authorization lives here, in how keys (and catalogue partitions)
are built.

S3 holds the bytes and is the source of truth; the catalogue (``catalogue.py``) lists them with full
metadata. An upload writes the object, then the item; a delete removes the object, then the item. If
the second write fails the request still succeeds (it happened in S3), is logged and counted as
``CatalogueWriteFailures``, and the reconciler, driven by S3's events, heals the catalogue.

Storage layout: ``documents/<owner-key>/<id>``. The owner key is derived from the caller on every
call, so a caller can only ever address keys under their own prefix; the owner is also recorded on
the object and checked on read as a second, independent guard. A document that exists under another
owner is reported exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from document_processor.content_types import media_type_of, parse_content_type, verify_content
from document_processor.errors import ConfigurationError, NotFoundError, ServiceError, StorageError
from document_processor.filenames import (
    decode_from_metadata,
    encode_for_metadata,
    filename_from_content_disposition,
)
from document_processor.idempotency import claim as idempotency_claim
from document_processor.idempotency import complete as idempotency_complete
from document_processor.ids import created_at, new_document_id
from document_processor.metadata import describe
from document_processor.observability import count_metric
from document_processor.storage import WORST_CALL_SECONDS as WORST_S3_CALL_SECONDS
from document_processor.storage import ObjectExistsError

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_s3 import S3Client

    from document_processor.catalogue import Catalogue
    from document_processor.clients import LazyClient
    from document_processor.idempotency import IdempotentRequest
    from document_processor.identity import Caller
    from document_processor.storage import DocumentStore, StoredObject
    from document_processor.validation import ListQuery

KEY_PREFIX = "documents/"
MAX_CREATE_ATTEMPTS = 3
"""Fresh ids tried when a conditional create finds the key taken (80 random bits: practically never)."""
SHA256_BYTES = 32
META_OWNER = "owner"
META_FILENAME = "filename"
META_SHA256 = "sha256"
"""The whole file's SHA-256 (hex), written by the processor on a multipart copy into the vault: S3 keeps
only a composite checksum of the parts for those, and the processor has validated the whole file."""
FACT_KEYS: dict[str, str] = {"pageCount": "page-count", "width": "width", "height": "height"}
"""Type-specific facts and the user-metadata keys they are stored under."""
TIME_MARGIN_SECONDS = 1.0
"""Kept free after the last catalogue write, for the answer (and a slow end of the request)."""
CATALOGUE_WRITE_FAILURES = "CatalogueWriteFailures"
"""Metric: a document was stored or deleted but its catalogue item could not follow (the reconciler heals)."""

LOGGER = logging.getLogger("document_processor.documents")


class Document(NamedTuple):
    """A document's metadata as the API returns it."""

    id: str
    content_type: str
    size: int
    sha256: str | None
    filename: str | None
    facts: dict[str, int]
    """Type-specific facts (``pageCount``, ``width``, ``height``); empty for text."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object of ``POST /documents`` and ``GET /documents/{id}``."""
        return {
            "id": self.id,
            "contentType": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "filename": self.filename,
            "createdAt": created_at(self.id),
            **self.facts,
        }


class Download(NamedTuple):
    """A document's bytes with what a download response needs, or a link to them."""

    document: Document
    content_type: str
    """The stored ``Content-Type`` (text carries ``; charset=utf-8``)."""
    etag: str
    body: bytes | None
    """``None`` when the download is a redirect (``url``)."""
    url: str | None = None
    """A presigned ``GetObject`` URL of the document (an ``attachment``), instead of the bytes."""
    expires_in: int = 0
    """Seconds the ``url`` stays valid."""


class Upload(NamedTuple):
    """A validated upload, ready to store."""

    content_type: str
    """What the object is stored with (text gets ``; charset=utf-8``)."""
    filename: str | None
    data: bytes
    sha256: bytes
    """SHA-256 of ``data``, computed once (S3's checksum, the catalogue, an Idempotency-Key fingerprint)."""


def object_key(caller: Caller, document_id: str) -> str:
    """``documents/<owner-key>/<id>``: the only way this service names an object."""
    return f"{owner_prefix(caller)}{document_id}"


def owner_prefix(caller: Caller) -> str:
    """The prefix holding every document of ``caller`` and nobody else's."""
    return f"{KEY_PREFIX}{caller.owner_key}/"


def unbounded() -> float:
    """The time left when nothing limits it (outside Lambda, and the default)."""
    return float("inf")


class StoreOutcome(NamedTuple):
    """What ``POST /documents`` answers: the 201 body, and whether it repeats an earlier request's."""

    body: dict[str, Any]
    replayed: bool
    """An Idempotency-Key named an earlier request: its document (stored by it, or finished now)."""


class DocumentService:
    """Document operations for authenticated callers: bytes in a ``DocumentStore`` (the source of truth),
    listings from a ``Catalogue`` kept beside it."""

    def __init__(
        self,
        store: DocumentStore,
        catalogue: Catalogue,
        *,
        allowed_content_types: frozenset[str],
        id_factory: Callable[[], str] = new_document_id,
        clock: Callable[[], float] = time.time,
        presigner: LazyClient[S3Client] | None = None,
    ) -> None:
        self._store = store
        self._catalogue = catalogue
        self._presigner = presigner
        """The presigning client (``presign.create_presigning_client``) of large downloads."""
        self._allowed = allowed_content_types
        self._new_id = id_factory
        self._clock = clock
        """Epoch seconds; Idempotency-Key records expire against it (tests move it)."""

    def prepare_upload(
        self, data: bytes, *, content_type_header: str | None, content_disposition_header: str | None
    ) -> Upload:
        """Check type, content and filename; raise the specific 4xx error on the first problem."""
        declared, parameters = parse_content_type(content_type_header)
        stored_type = verify_content(declared, parameters, data, allowed=self._allowed)
        filename = filename_from_content_disposition(content_disposition_header)
        return Upload(
            content_type=stored_type, filename=filename, data=data, sha256=hashlib.sha256(data).digest()
        )

    def store(
        self,
        caller: Caller,
        upload: Upload,
        *,
        idempotency: IdempotentRequest | None = None,
        time_left: Callable[[], float] = unbounded,
    ) -> StoreOutcome:
        """Describe, hash and store a validated upload, then catalogue it; return the 201 body.

        Without ``idempotency`` the document gets a fresh id. With it, the key's record decides (see
        ``idempotency``): a fresh id reserved for this request, an earlier completed answer replayed,
        or an earlier attempt's id resumed. Describing happens first: a document the service cannot
        describe is refused before any key is used up. ``time_left`` (seconds until the function
        times out): the catalogue writes after the object is stored are skipped when less time is
        left than one may take, so a slow S3 never turns a stored document into a Lambda timeout.
        """
        media_type = media_type_of(upload.content_type)
        facts = describe(media_type, upload.data)
        digest = upload.sha256
        metadata = {META_OWNER: caller.principal}
        if upload.filename is not None:
            metadata[META_FILENAME] = encode_for_metadata(upload.filename)
        metadata.update({FACT_KEYS[name]: str(value) for name, value in facts.items()})
        checksum = base64.b64encode(digest).decode("ascii")

        def document(document_id: str) -> Document:
            return Document(
                id=document_id,
                content_type=media_type,
                size=len(upload.data),
                sha256=digest.hex(),
                filename=upload.filename,
                facts=facts,
            )

        def put(document_id: str, *, same_write_ok: bool) -> None:
            self._store.put_new(
                object_key(caller, document_id),
                upload.data,
                content_type=upload.content_type,
                checksum_sha256=checksum,
                metadata=metadata,
                same_write_ok=same_write_ok,
            )

        if idempotency is None:
            stored = document(self._put_under_fresh_id(put))
            self._catalogue_put(caller, stored, time_left)
            return StoreOutcome(body=stored.to_json(), replayed=False)
        claimed = idempotency_claim(
            self._catalogue,
            caller.owner_key,
            idempotency,
            document_id=self._new_id(),
            now=int(self._clock()),
        )
        if claimed.replay is not None:
            return StoreOutcome(body=claimed.replay, replayed=True)
        try:
            # The id is reserved for this request: an identical object there is an earlier attempt's.
            put(claimed.document_id, same_write_ok=True)
        except ObjectExistsError:
            LOGGER.error(
                "Another object holds the id an Idempotency-Key reserved",
                extra={"documentId": claimed.document_id},
            )
            raise StorageError("Storage refused the request.") from None
        stored = document(claimed.document_id)
        if self._catalogue_put(caller, stored, time_left):
            self._unlist_if_deleted_meanwhile(caller, stored.id, time_left)
        body = stored.to_json()
        if self._time_for_catalogue(time_left, "Not enough time left to complete the Idempotency-Key record"):
            idempotency_complete(
                self._catalogue, caller.owner_key, idempotency, document_id=stored.id, body=body
            )
        return StoreOutcome(body=body, replayed=claimed.resumed)

    def _put_under_fresh_id(self, put: Callable[..., None]) -> str:
        """Store under a fresh id; a taken id (80 random bits: practically never) gets another."""
        for _ in range(MAX_CREATE_ATTEMPTS):
            document_id = self._new_id()
            try:
                put(document_id, same_write_ok=False)
            except ObjectExistsError:
                LOGGER.warning(
                    "Generated id already taken; trying another", extra={"documentId": document_id}
                )
                continue
            return document_id
        raise StorageError("Storage refused the request.")

    def _time_for_catalogue(self, time_left: Callable[[], float], skipped: str) -> bool:
        """Whether one more catalogue call fits in the time left; if not, log ``skipped``."""
        if time_left() >= self._catalogue.worst_call_seconds + TIME_MARGIN_SECONDS:
            return True
        LOGGER.warning(skipped)
        return False

    def _catalogue_put(self, caller: Caller, document: Document, time_left: Callable[[], float]) -> bool:
        """Catalogue a stored document; whether this call created its item.

        A failure leaves the document stored (S3 is the truth) for the reconciler to catalogue.
        """
        if not self._time_for_catalogue(time_left, "Not enough time left to catalogue the document"):
            count_metric(CATALOGUE_WRITE_FAILURES)
            return False
        try:
            return self._catalogue.put_document(caller.owner_key, document, owner=caller.principal)
        except ServiceError:
            LOGGER.warning(
                "Document stored but not catalogued; the reconciler will add it",
                extra={"documentId": document.id},
            )
            count_metric(CATALOGUE_WRITE_FAILURES)
            return False

    def _unlist_if_deleted_meanwhile(
        self, caller: Caller, document_id: str, time_left: Callable[[], float]
    ) -> None:
        """Remove the item just created if the document was deleted before it landed.

        Under an Idempotency-Key the id is known before this request answers: a same-key retry can
        answer it, and the client delete the document (both writes and their S3 events done), while
        this request's item write is still on its way. Created after the delete, that item would have
        no event left to remove it, so the writer takes the second look the reconciler takes (when a
        HeadObject and the item's removal still fit in the invocation; if not, it says so in the log).
        """
        needed = WORST_S3_CALL_SECONDS + self._catalogue.worst_call_seconds + TIME_MARGIN_SECONDS
        if time_left() < needed:
            LOGGER.warning(
                "Not enough time left to check the document after cataloguing it",
                extra={"documentId": document_id},
            )
            return
        try:
            if self._store.head(object_key(caller, document_id)) is None:
                LOGGER.warning(
                    "Document deleted while its item was written; removing the item",
                    extra={"documentId": document_id},
                )
                self._catalogue.delete_document(caller.owner_key, document_id)
        except ServiceError:
            LOGGER.warning(
                "Could not check the document after cataloguing it", extra={"documentId": document_id}
            )
            count_metric(CATALOGUE_WRITE_FAILURES)

    def get(self, caller: Caller, document_id: str) -> Document:
        """The caller's document's metadata; 404 when absent or not the caller's."""
        stored = self._store.head(object_key(caller, document_id))
        return document_from_object(document_id, self._owned(caller, stored))

    def download(
        self, caller: Caller, document_id: str, *, max_inline_bytes: int | None = None, redirect: bool = False
    ) -> Download:
        """The caller's document with its bytes, or a presigned link to them; 404 when absent or not the
        caller's.

        ``redirect`` asks for the link whatever the size: the object is only looked at (``HeadObject``,
        the owner check on its answer), never opened. Otherwise the size is unknown until S3 answers,
        so it is one ``GetObject``: after the owner check on its answer, a body larger than
        ``max_inline_bytes`` (by its ``ContentLength``) is closed unread and the link answered instead.
        The link is a ``GetObject`` URL of at most 5 minutes with an ``attachment`` disposition
        (``presign.presign_download``), signed by the function's own role.
        """
        key = object_key(caller, document_id)
        if redirect:
            stored = self._owned(caller, self._store.head(key))
            return self._link(key, document_from_object(document_id, stored), stored)
        found = self._store.get(key, read_up_to=max_inline_bytes)
        if found is None:
            raise NotFoundError("No such document.")
        stored, body = found
        self._owned(caller, stored)
        document = document_from_object(document_id, stored)
        if body is not None:
            return Download(document, content_type=stored.content_type, etag=stored.etag, body=body)
        return self._link(key, document, stored)

    def _link(self, key: str, document: Document, stored: StoredObject) -> Download:
        """The 303's download: a presigned ``GetObject`` URL of the caller's document, no bytes."""
        if self._presigner is None:
            raise ConfigurationError("Large downloads are not configured.")
        from document_processor.presign import presign_download, url_expires_in

        url = presign_download(self._presigner.get(), self._store.bucket, key, document.filename)
        return Download(
            document,
            content_type=stored.content_type,
            etag=stored.etag,
            body=None,
            url=url,
            expires_in=url_expires_in(url),
        )

    def delete(self, caller: Caller, document_id: str, *, time_left: Callable[[], float] = unbounded) -> None:
        """Delete the caller's document, object first, then its item; 404 when absent or not the caller's.

        Once the object is gone the document is deleted, whatever the catalogue says: a failure to
        remove the item is logged and counted, and the reconciler removes the orphan.
        """
        key = object_key(caller, document_id)
        self._owned(caller, self._store.head(key))
        self._store.delete(key)
        if not self._time_for_catalogue(time_left, "Not enough time left to remove the catalogue item"):
            count_metric(CATALOGUE_WRITE_FAILURES)
            return
        try:
            self._catalogue.delete_document(caller.owner_key, document_id)
        except ServiceError:
            LOGGER.warning(
                "Document deleted but still catalogued; the reconciler will remove it",
                extra={"documentId": document_id},
            )
            count_metric(CATALOGUE_WRITE_FAILURES)

    def list_page(self, caller: Caller, listing: ListQuery) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the caller's documents from one catalogue query, and the id the next page follows.

        Each item is exactly what ``GET /documents/{id}`` answers for that document. The partition
        is the caller's own, whatever the cursor says: the cursor only carries a position within it.
        """
        documents, last = self._catalogue.query_documents(
            caller.owner_key,
            limit=listing.limit,
            newest_first=listing.newest_first,
            content_type=listing.content_type,
            name_prefix=listing.name_prefix,
            after_id=listing.after,
        )
        return [document.to_json() for document in documents], last

    def _owned(self, caller: Caller, stored: StoredObject | None) -> StoredObject:
        if stored is None:
            raise NotFoundError("No such document.")
        if stored.metadata.get(META_OWNER) != caller.principal:
            LOGGER.warning("Object under the caller's prefix records another owner")
            raise NotFoundError("No such document.")
        return stored


def _sha256_hex(checksum: str | None) -> str | None:
    """Hex of S3's base64 full-object SHA-256; ``None`` when absent or not one (e.g. multipart composite)."""
    if not checksum:
        return None
    try:
        digest = base64.b64decode(checksum, validate=True)
    except ValueError:
        return None
    return digest.hex() if len(digest) == SHA256_BYTES else None


def _recorded_sha256(value: str | None) -> str | None:
    """The processor's recorded SHA-256 hex (``META_SHA256``), if it is one; never trusted otherwise."""
    if value is None or len(value) != 2 * SHA256_BYTES or value.strip("0123456789abcdef"):
        return None
    return value


def document_from_object(document_id: str, stored: StoredObject) -> Document:
    """The ``Document`` an S3 object describes: ``GET /documents/{id}``, and the reconciler's items."""
    facts = {
        name: int(stored.metadata[key])
        for name, key in FACT_KEYS.items()
        if stored.metadata.get(key, "").isdigit()
    }
    raw_name = stored.metadata.get(META_FILENAME)
    return Document(
        id=document_id,
        content_type=media_type_of(stored.content_type),
        size=stored.size,
        # The processor's recorded SHA-256 first: it writes one only on a multipart copy, after hashing
        # the whole file, and an emulator (moto) reports a multipart object's composite checksum as if
        # it were the whole file's. Everything else has S3's own full-object checksum.
        sha256=_recorded_sha256(stored.metadata.get(META_SHA256)) or _sha256_hex(stored.checksum_sha256),
        filename=decode_from_metadata(raw_name) if raw_name else None,
        facts=facts,
    )
