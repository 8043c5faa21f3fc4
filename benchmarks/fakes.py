"""An in-memory stand-in for ``DocumentStore`` (S3 stubbed out), shared by the warm-path benchmarks."""

from __future__ import annotations

from datetime import UTC, datetime

from document_processor.storage import ListedObject, ObjectExistsError, StoredObject


class MemoryStore:
    """The ``DocumentStore`` interface over a dict: no network, no botocore, constant-time calls."""

    def __init__(self) -> None:
        self.objects: dict[str, tuple[StoredObject, bytes]] = {}

    def put_new(
        self, key: str, body: bytes, *, content_type: str, checksum_sha256: str, metadata: dict[str, str]
    ) -> None:
        if key in self.objects:
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

    def get(self, key: str) -> tuple[StoredObject, bytes] | None:
        return self.objects.get(key)

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
        self, key: str, body: bytes, *, content_type: str, checksum_sha256: str, metadata: dict[str, str]
    ) -> None:
        return None
