"""The document operations, independent of HTTP: upload, describe, download, delete and list one
caller's documents. Object-level authorization lives here, in how keys are built.

Storage layout: ``documents/<owner-key>/<id>``. The owner key is derived from the caller on every
call, so a caller can only ever address keys under their own prefix; the owner is also recorded on
the object and checked on read as a second, independent guard. A document that exists under another
owner is reported exactly like one that does not exist.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import TYPE_CHECKING, Any, NamedTuple

from document_processor.content_types import media_type_of, parse_content_type, verify_content
from document_processor.errors import NotFoundError, StorageError
from document_processor.filenames import (
    decode_from_metadata,
    encode_for_metadata,
    filename_from_content_disposition,
)
from document_processor.ids import created_at, is_valid_document_id, new_document_id
from document_processor.metadata import describe
from document_processor.storage import ObjectExistsError

if TYPE_CHECKING:
    from collections.abc import Callable

    from document_processor.identity import Caller
    from document_processor.storage import DocumentStore, StoredObject

KEY_PREFIX = "documents/"
MAX_CREATE_ATTEMPTS = 3
"""Fresh ids tried when a conditional create finds the key taken (80 random bits: practically never)."""
SHA256_BYTES = 32
META_OWNER = "owner"
META_FILENAME = "filename"
FACT_KEYS: dict[str, str] = {"pageCount": "page-count", "width": "width", "height": "height"}
"""Type-specific facts and the user-metadata keys they are stored under."""

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
    """A document's bytes with what a download response needs."""

    document: Document
    content_type: str
    """The stored ``Content-Type`` (text carries ``; charset=utf-8``)."""
    etag: str
    body: bytes


class Upload(NamedTuple):
    """A validated upload, ready to store."""

    content_type: str
    """What the object is stored with (text gets ``; charset=utf-8``)."""
    filename: str | None
    data: bytes


def object_key(caller: Caller, document_id: str) -> str:
    """``documents/<owner-key>/<id>``: the only way this service names an object."""
    return f"{owner_prefix(caller)}{document_id}"


def owner_prefix(caller: Caller) -> str:
    """The prefix holding every document of ``caller`` and nobody else's."""
    return f"{KEY_PREFIX}{caller.owner_key}/"


class DocumentService:
    """Document operations for authenticated callers, on top of a ``DocumentStore``."""

    def __init__(
        self,
        store: DocumentStore,
        *,
        allowed_content_types: frozenset[str],
        id_factory: Callable[[], str] = new_document_id,
    ) -> None:
        self._store = store
        self._allowed = allowed_content_types
        self._new_id = id_factory

    def prepare_upload(
        self, data: bytes, *, content_type_header: str | None, content_disposition_header: str | None
    ) -> Upload:
        """Check type, content and filename; raise the specific 4xx error on the first problem."""
        declared, parameters = parse_content_type(content_type_header)
        stored_type = verify_content(declared, parameters, data, allowed=self._allowed)
        filename = filename_from_content_disposition(content_disposition_header)
        return Upload(content_type=stored_type, filename=filename, data=data)

    def store(self, caller: Caller, upload: Upload) -> Document:
        """Describe, hash and store a validated upload under a fresh id; return its metadata."""
        media_type = media_type_of(upload.content_type)
        facts = describe(media_type, upload.data)
        digest = hashlib.sha256(upload.data).digest()
        metadata = {META_OWNER: caller.principal}
        if upload.filename is not None:
            metadata[META_FILENAME] = encode_for_metadata(upload.filename)
        metadata.update({FACT_KEYS[name]: str(value) for name, value in facts.items()})
        checksum = base64.b64encode(digest).decode("ascii")
        for _ in range(MAX_CREATE_ATTEMPTS):
            document_id = self._new_id()
            try:
                self._store.put_new(
                    object_key(caller, document_id),
                    upload.data,
                    content_type=upload.content_type,
                    checksum_sha256=checksum,
                    metadata=metadata,
                )
            except ObjectExistsError:
                LOGGER.warning(
                    "Generated id already taken; trying another", extra={"documentId": document_id}
                )
                continue
            return Document(
                id=document_id,
                content_type=media_type,
                size=len(upload.data),
                sha256=digest.hex(),
                filename=upload.filename,
                facts=facts,
            )
        raise StorageError("Storage refused the request.")

    def get(self, caller: Caller, document_id: str) -> Document:
        """The caller's document's metadata; 404 when absent or not the caller's."""
        stored = self._store.head(object_key(caller, document_id))
        return document_from_object(document_id, self._owned(caller, stored))

    def download(self, caller: Caller, document_id: str) -> Download:
        """The caller's document with its bytes; 404 when absent or not the caller's."""
        found = self._store.get(object_key(caller, document_id))
        if found is None:
            raise NotFoundError("No such document.")
        stored, body = found
        self._owned(caller, stored)
        return Download(
            document=document_from_object(document_id, stored),
            content_type=stored.content_type,
            etag=stored.etag,
            body=body,
        )

    def delete(self, caller: Caller, document_id: str) -> None:
        """Delete the caller's document; 404 when absent or not the caller's."""
        key = object_key(caller, document_id)
        self._owned(caller, self._store.head(key))
        self._store.delete(key)

    def list_page(
        self, caller: Caller, *, limit: int, after: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of the caller's documents, oldest first, and the id the next page starts after.

        Items carry what the listing itself returns (id, size, createdAt): one S3 call per page, with
        no per-item HeadObject fan-out; ``GET /documents/{id}`` has the full metadata.
        """
        prefix = owner_prefix(caller)
        entries, truncated = self._store.list_page(
            prefix, start_after=f"{prefix}{after}" if after else None, limit=limit
        )
        items: list[dict[str, Any]] = []
        for entry in entries:
            document_id = entry.key[len(prefix) :]
            if not is_valid_document_id(document_id):
                LOGGER.warning("Skipping an object that is not a document", extra={"objectSize": entry.size})
                continue
            items.append({"id": document_id, "size": entry.size, "createdAt": created_at(document_id)})
        # The cursor is the last *document* id: keys that are not documents (only this service writes
        # under documents/, so there should be none) are skipped, never handed back as positions.
        last = items[-1]["id"] if items else None
        return items, (last if truncated else None)

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
        sha256=_sha256_hex(stored.checksum_sha256),
        filename=decode_from_metadata(raw_name) if raw_name else None,
        facts=facts,
    )
