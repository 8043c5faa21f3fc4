"""In-memory stand-ins for ``DocumentStore`` (S3) and ``Catalogue`` (DynamoDB), shared by the warm-path
benchmarks: no network, no botocore, constant-time calls, so what is measured is the service's own code."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from document_processor.storage import ListedObject, ObjectExistsError, StoredObject

if TYPE_CHECKING:
    from document_processor.catalogue import IdempotencyRecord
    from document_processor.documents import Document


class MemoryStore:
    """The ``DocumentStore`` interface over a dict: no network, no botocore, constant-time calls."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[StoredObject, bytes]] = {}

    def put_new(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        checksum_sha256: str,
        metadata: dict[str, str],
        same_write_ok: bool = False,
    ) -> None:
        if key in self.objects:
            if same_write_ok and self.objects[key][0].checksum_sha256 == checksum_sha256:
                return
            raise ObjectExistsError(key)
        stored = StoredObject(
            content_type=content_type,
            size=len(body),
            etag='"0123456789abcdef"',
            checksum_sha256=checksum_sha256,
            metadata=dict(metadata),
        )
        self.objects[key] = (stored, body)

    def head(self, key: str) -> StoredObject | None:
        found = self.objects.get(key)
        return found[0] if found else None

    @property
    def bucket(self) -> str:
        """A name for presigned download URLs (signing is local: no request is made)."""
        return "benchmark-documents"

    def get(self, key: str, *, read_up_to: int | None = None) -> tuple[StoredObject, bytes | None] | None:
        """As ``DocumentStore.get``: an object larger than ``read_up_to`` comes back without its bytes."""
        found = self.objects.get(key)
        if found is not None and read_up_to is not None and found[0].size > read_up_to:
            return found[0], None
        return found

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def list_page(
        self, prefix: str, *, start_after: str | None, limit: int
    ) -> tuple[list[ListedObject], bool]:
        keys = sorted(
            key
            for key in self.objects
            if key.startswith(prefix) and (start_after is None or key > start_after)
        )
        now = datetime.now(UTC)
        page = [
            ListedObject(key=key, size=self.objects[key][0].size, last_modified=now) for key in keys[:limit]
        ]
        return page, len(keys) > limit


class DiscardingStore(MemoryStore):
    """Accepts every write and keeps nothing: an upload's bytes are freed as they would be after a request."""

    def put_new(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        checksum_sha256: str,
        metadata: dict[str, str],
        same_write_ok: bool = False,
    ) -> None:
        return None


class MemoryCatalogue:
    """The ``Catalogue`` interface over dicts: one sorted list of documents per owner."""

    worst_call_seconds = 0.0

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Document]] = {}

    def put_document(self, owner_key: str, document: Document, *, owner: str) -> bool:
        owned = self.documents.setdefault(owner_key, {})
        if document.id in owned:
            return False
        owned[document.id] = document
        return True

    def delete_document(self, owner_key: str, document_id: str) -> None:
        self.documents.get(owner_key, {}).pop(document_id, None)

    def query_documents(
        self,
        owner_key: str,
        *,
        limit: int,
        newest_first: bool,
        content_type: str | None,
        name_prefix: str | None,
        after_id: str | None,
    ) -> tuple[list[Document], str | None]:
        ids = sorted(self.documents.get(owner_key, {}), reverse=newest_first)
        if after_id is not None:
            ids = [i for i in ids if (i < after_id if newest_first else i > after_id)]
        found = [self.documents[owner_key][i] for i in ids]
        found = [
            d
            for d in found
            if (content_type is None or d.content_type == content_type)
            and (name_prefix is None or (d.filename or "").casefold().startswith(name_prefix))
        ]
        return found[:limit], (found[limit - 1].id if len(found) > limit else None)

    def claim_idempotency(
        self, owner_key: str, key_digest: str, *, fingerprint: str, document_id: str, now: int
    ) -> IdempotencyRecord | None:
        return None

    def complete_idempotency(
        self, owner_key: str, key_digest: str, *, document_id: str, response: str
    ) -> None:
        return None
