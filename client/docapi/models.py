"""The JSON shapes of the API (``openapi.yaml``), as the SDK returns them: plain dicts, typed."""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

UploadStatus = Literal["awaiting-parts", "processing", "scanning", "stored", "rejected", "expired", "aborted"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"stored", "rejected", "expired", "aborted"})
"""Session states nothing moves out of."""


class Document(TypedDict):
    """``GET /documents/{id}``: one document's metadata."""

    id: str
    contentType: str
    size: int
    sha256: str | None
    filename: str | None
    createdAt: str
    pageCount: NotRequired[int]
    width: NotRequired[int]
    height: NotRequired[int]


class DocumentPage(TypedDict):
    """``GET /documents``: one page; ``nextCursor`` is ``None`` on the last."""

    items: list[Document]
    nextCursor: str | None


class Rejection(TypedDict):
    """Why the processor rejected an upload."""

    code: str
    message: str


class PartUrl(TypedDict):
    """A presigned ``UploadPart`` URL and the headers its ``PUT`` must carry."""

    partNumber: int
    url: str
    headers: dict[str, str]


class ReceivedPart(TypedDict):
    """A part S3 already holds."""

    partNumber: int
    etag: str
    size: int


class UploadSession(TypedDict):
    """``GET /uploads/{id}`` (``partsReceived`` only there), ``POST /uploads`` (``parts`` only there)."""

    id: str
    status: UploadStatus
    filename: str
    contentType: str
    size: int
    sha256: str
    partSize: int
    partCount: int
    partChecksums: bool
    createdAt: str
    expiresAt: str
    documentId: NotRequired[str]
    error: NotRequired[Rejection]
    parts: NotRequired[list[PartUrl]]
    partsReceived: NotRequired[list[ReceivedPart]]


class UploadSessionPage(TypedDict):
    """``GET /uploads``: one page of sessions, newest first."""

    items: list[UploadSession]
    nextCursor: str | None


class CompletedPart(TypedDict):
    """One entry of ``POST /uploads/{id}/complete``."""

    partNumber: int
    etag: str
