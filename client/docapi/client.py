"""``DocumentClient``: a typed method per route of the API, plus whole-file upload and download.

Every API call is SigV4-signed (service ``execute-api``) with credentials from botocore's standard
chain, refreshed as they near expiry; presigned S3 URLs (part PUTs, the 303 of a large download) are
fetched by a second, unsigned client: the URL is the credential, and S3 refuses a request that also
carries an ``Authorization`` header.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

import httpx

from docapi import config
from docapi._http import DEFAULT_TIMEOUT, ApiSession, RetryPolicy
from docapi.errors import (
    ConfigurationError,
    ConflictError,
    IntegrityError,
    InvalidArgumentError,
    NotFoundError,
    RejectedError,
)
from docapi.models import TERMINAL_STATUSES
from docapi.uploader import (
    DEFAULT_CONCURRENCY,
    MultipartUploader,
    ResumeState,
    download_to,
    file_sha256,
    plan_parts,
    state_directory,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    import botocore.session
    from botocore.credentials import Credentials

    from docapi.models import (
        CompletedPart,
        Document,
        DocumentPage,
        PartUrl,
        UploadSession,
        UploadSessionPage,
    )

DEFAULT_INLINE_LIMIT = 4_500_000
"""Largest document sent in one ``POST /documents`` (the service's default ``MAX_DOCUMENT_BYTES``)."""
INLINE_LIMIT_VARIABLE = "DOCAPI_INLINE_LIMIT"
STORAGE_TIMEOUT = httpx.Timeout(120.0, connect=10.0)
"""Part PUTs and downloads from S3: two minutes without a byte moving, 10 s to connect."""
DEFAULT_WAIT_TIMEOUT = 900.0
"""Seconds ``wait`` follows a session (the processor's own limit is one 15-minute invocation)."""
CONTENT_TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".txt": "text/plain",
    ".text": "text/plain",
    ".md": "text/plain",
    ".csv": "text/plain",
    ".log": "text/plain",
}
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def guess_content_type(path: Path) -> str:
    """The media type of a file: by its extension, else by its first bytes (PDF, PNG, JPEG)."""
    by_name = CONTENT_TYPES.get(path.suffix.lower())
    if by_name:
        return by_name
    with path.open("rb") as source:
        head = source.read(8)
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    raise InvalidArgumentError(
        f"cannot tell the type of {str(path)!r}: name it .pdf, .png, .jpg or .txt, or pass a content type"
    )


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII ``filename`` and, for other names, RFC 8187 ``filename*``."""
    fallback = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename) or "document"
    header = f'attachment; filename="{fallback}"'
    if fallback != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


HTTP_PAYLOAD_TOO_LARGE = 413


class DocumentClient:
    """The Secure Document API, signed, retried, verified.

    ``endpoint``: argument > ``DOCAPI_ENDPOINT`` > ``stack_outputs`` (``pulumi stack output --json``,
    key ``apiUrl``; or ``DOCAPI_STACK_OUTPUTS``). ``credentials``: given, else botocore's chain for
    ``profile`` (else ``AWS_PROFILE``). ``region``: given, else the endpoint's host, local mode's on
    loopback, ``AWS_REGION``, the profile, us-east-1.
    ``inline_limit``: the largest file sent in one ``POST /documents`` (default 4,500,000 bytes or
    ``DOCAPI_INLINE_LIMIT``); a file the service refuses as too large there (413: its
    ``MAX_DOCUMENT_BYTES`` is lower) goes through ``/uploads`` instead.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        stack_outputs: Path | str | None = None,
        profile: str | None = None,
        region: str | None = None,
        credentials: Credentials | None = None,
        session: botocore.session.Session | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        inline_limit: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        state_dir: Path | None = None,
        transport: httpx.BaseTransport | None = None,
        storage_transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.endpoint = config.resolve_endpoint(endpoint, stack_outputs=stack_outputs)
        if credentials is None:
            session = session or config.new_session(profile)
            credentials = config.resolve_credentials(session)
        self.region = config.resolve_region(self.endpoint, region, session=session)
        self.inline_limit = inline_limit or int(os.environ.get(INLINE_LIMIT_VARIABLE) or DEFAULT_INLINE_LIMIT)
        if concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {concurrency!r}")
        self.concurrency = concurrency
        self.state_dir = state_dir or state_directory()
        self.retry = retry or RetryPolicy()
        # One TLS context (certificate verification on, certifi's CAs) for both clients: loading the CA
        # bundle is the slowest part of building a client.
        tls = httpx.create_ssl_context()
        self._api = ApiSession(
            self.endpoint,
            credentials,
            self.region,
            timeout=timeout,
            retry=self.retry,
            transport=transport,
            ssl_context=tls,
        )
        limits = httpx.Limits(
            max_connections=max(10, concurrency), max_keepalive_connections=max(10, concurrency)
        )
        self.storage_http = httpx.Client(
            timeout=STORAGE_TIMEOUT, limits=limits, transport=storage_transport, verify=tls
        )
        """Unsigned client for presigned S3 URLs."""

    def close(self) -> None:
        """Close both connection pools."""
        self._api.close()
        self.storage_http.close()

    def __enter__(self) -> DocumentClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- documents --------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """``GET /health``."""
        return cast("dict[str, Any]", self._api.request("GET", "/health").json())

    def create_document(
        self,
        data: bytes,
        content_type: str,
        *,
        filename: str | None = None,
        idempotency_key: str | None = None,
    ) -> Document | UploadSession:
        """``POST /documents``: at most the inline limit; retried, under an ``Idempotency-Key``.

        The stored document (201); or, when the service's malware gate is on, the upload session the
        scan decides (202, ``status`` ``processing``): follow it with ``wait_for_upload``.
        """
        headers = {"Content-Type": content_type, "Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        if filename:
            headers["Content-Disposition"] = content_disposition(filename)
        response = self._api.request("POST", "/documents", content=data, headers=headers, expected=(201, 202))
        if response.status_code == 202:
            return cast("UploadSession", response.json())
        return cast("Document", response.json())

    def list_documents(
        self,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        order: str | None = None,
        content_type: str | None = None,
        prefix: str | None = None,
    ) -> DocumentPage:
        """``GET /documents``: one page (``order`` newest|oldest, ``content_type``, filename ``prefix``)."""
        params: dict[str, str | int] = {}
        for name, value in (
            ("limit", limit),
            ("cursor", cursor),
            ("order", order),
            ("contentType", content_type),
        ):
            if value is not None:
                params[name] = value
        if prefix is not None:
            params["q"] = prefix
        return cast("DocumentPage", self._api.request("GET", "/documents", params=params).json())

    def iter_documents(
        self, *, order: str | None = None, content_type: str | None = None, prefix: str | None = None
    ) -> Iterator[Document]:
        """Every document of the caller, following ``nextCursor`` to the end."""
        cursor: str | None = None
        while True:
            page = self.list_documents(
                limit=100, cursor=cursor, order=order, content_type=content_type, prefix=prefix
            )
            yield from page["items"]
            cursor = page["nextCursor"]
            if cursor is None:
                return

    def get_document(self, document_id: str) -> Document:
        """``GET /documents/{id}``."""
        return cast("Document", self._api.request("GET", f"/documents/{_id(document_id)}").json())

    def download_link(self, document_id: str) -> str:
        """``GET /documents/{id}/content?redirect=true``: a presigned URL (a few minutes) at any size."""
        response = self._api.request(
            "GET", f"/documents/{_id(document_id)}/content", params={"redirect": "true"}, expected=(303,)
        )
        return str(response.headers["Location"])

    def delete_document(self, document_id: str) -> None:
        """``DELETE /documents/{id}`` (204)."""
        self._api.request("DELETE", f"/documents/{_id(document_id)}", expected=(204,))

    def download(
        self,
        document_id: str,
        target: Path | str,
        *,
        progress: Callable[[int], None] | None = None,
        document: Document | None = None,
    ) -> Path:
        """Download to ``target`` (a directory, or a path ending in ``/``: the document's filename in
        it, the directory made if missing), verified, atomically.

        Follows the 303 of a large document to S3 without the API's signature; streams to a temporary
        file beside the target and renames it only once size and SHA-256 match ``GET /documents/{id}``
        (size only for a document the service recorded no SHA-256 for: ``document["sha256"]`` is
        ``None``). The file gets the usual mode for new files (``0o666`` less the umask).
        ``document``: its ``GET /documents/{id}`` answer, if the caller has it already (one request less).
        """
        if document is None or document["id"] != document_id:
            document = self.get_document(document_id)
        path = Path(target)
        if path.is_dir() or str(target).endswith(("/", os.sep)):
            path.mkdir(parents=True, exist_ok=True)
            name = Path(document["filename"] or "").name  # never a directory part, whatever the service says
            path = path / (name if name not in ("", ".", "..") else document["id"])
        response = self._api.request(
            "GET", f"/documents/{document['id']}/content", expected=(200, 303), stream=True
        )
        location = response.headers.get("Location") if response.status_code == 303 else None
        download_to(
            self.storage_http,
            response,
            location,
            path,
            expected_size=document["size"],
            expected_sha256=document["sha256"],
            retry=self.retry,
            progress=progress,
        )
        return path

    # -- upload sessions --------------------------------------------------------------------------

    def create_upload(
        self,
        *,
        filename: str,
        content_type: str,
        size: int,
        sha256: str,
        idempotency_key: str | None = None,
    ) -> UploadSession:
        """``POST /uploads`` (201): the session and its first part URLs, retried under an Idempotency-Key."""
        body = {"filename": filename, "contentType": content_type, "size": size, "sha256": sha256}
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        response = self._api.request("POST", "/uploads", json_body=body, headers=headers, expected=(201,))
        return cast("UploadSession", response.json())

    def sign_upload_parts(self, upload_id: str, part_numbers: Sequence[int]) -> list[PartUrl]:
        """``POST /uploads/{id}/parts``: fresh URLs for up to 100 parts."""
        response = self._api.request(
            "POST", f"/uploads/{_id(upload_id)}/parts", json_body={"partNumbers": list(part_numbers)}
        )
        return cast("list[PartUrl]", response.json()["parts"])

    def get_upload(self, upload_id: str) -> UploadSession:
        """``GET /uploads/{id}``, with ``partsReceived``."""
        return cast("UploadSession", self._api.request("GET", f"/uploads/{_id(upload_id)}").json())

    def complete_upload(self, upload_id: str, parts: Sequence[CompletedPart]) -> UploadSession:
        """``POST /uploads/{id}/complete`` (202); a retried complete is harmless (the service says so)."""
        response = self._api.request(
            "POST", f"/uploads/{_id(upload_id)}/complete", json_body={"parts": list(parts)}, expected=(202,)
        )
        return cast("UploadSession", response.json())

    def abort_upload(self, upload_id: str) -> None:
        """``DELETE /uploads/{id}`` (204; repeating it is 204 too)."""
        self._api.request("DELETE", f"/uploads/{_id(upload_id)}", expected=(204,))

    def list_uploads(self, *, limit: int | None = None, cursor: str | None = None) -> UploadSessionPage:
        """``GET /uploads``: one page of the caller's sessions, newest first."""
        params: dict[str, str | int] = {}
        if limit is not None:
            params["limit"] = limit
        if cursor is not None:
            params["cursor"] = cursor
        return cast("UploadSessionPage", self._api.request("GET", "/uploads", params=params).json())

    def wait_for_upload(
        self, upload_id: str, *, timeout: float = DEFAULT_WAIT_TIMEOUT, poll: float = 0.5
    ) -> UploadSession:
        """Poll ``GET /uploads/{id}`` until it is ``stored``; ``RejectedError`` with the code if rejected."""
        deadline = time.monotonic() + timeout
        delay = poll
        while True:
            session = self.get_upload(upload_id)
            status = session["status"]
            if status == "stored":
                return session
            if status == "rejected":
                error = session.get("error") or {"code": "rejected", "message": "the upload was rejected"}
                raise RejectedError(0, error["code"], error["message"], None)
            if status in TERMINAL_STATUSES:
                raise ConflictError(0, "invalid_upload_state", f"the upload session is {status!r}", None)
            if time.monotonic() + delay > deadline:
                raise ConflictError(
                    0, "timeout", f"upload {upload_id} still {status!r} after {timeout:.0f} s", None
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    # -- whole files ------------------------------------------------------------------------------

    def upload_file(
        self,
        path: Path | str,
        *,
        content_type: str | None = None,
        filename: str | None = None,
        wait: bool = False,
        concurrency: int | None = None,
        progress: Callable[[int], None] | None = None,
        on_part: Callable[[int], None] | None = None,
    ) -> UploadResult:
        """Upload one file: one ``POST /documents`` up to the inline limit, ``/uploads`` above it.

        The SHA-256 is computed first (one streaming pass): the service verifies it, and the client
        verifies what the service stored. A large upload resumes a session a previous run of the same
        file (same endpoint, path, size, mtime, SHA-256) left unfinished, sending only missing parts.
        ``wait``: follow the session to ``stored`` (``RejectedError`` if rejected). ``progress`` gets
        byte counts as they are sent (negative when a failed part is sent again); ``on_part`` each
        part number S3 accepted.
        """
        source = Path(path)
        stat = source.stat()
        size = stat.st_size
        if size < 1:
            raise InvalidArgumentError(f"{str(source)!r} is empty: the service stores no empty documents")
        content_type = content_type or guess_content_type(source)
        name = filename or source.name
        sha256 = file_sha256(source)
        if size <= self.inline_limit:
            try:
                answer = self.create_document(source.read_bytes(), content_type, filename=name)
            except RejectedError as error:
                # 413: the stack's maxDocumentBytes is below this client's inline limit; /uploads
                # takes any size up to its own limit, so the file goes that way instead
                if error.status != HTTP_PAYLOAD_TOO_LARGE:
                    raise
            else:
                if progress:
                    progress(size)
                if "status" not in answer:  # stored at once (201); a session (202) waits for the scan
                    _verify(answer, sha256, size)
                    return UploadResult(path=source, sha256=sha256, size=size, document=answer, session=None)
                return self._settled(
                    source, sha256, size, cast("UploadSession", answer), wait=wait, multipart=False
                )
        state = ResumeState(
            self.state_dir,
            endpoint=self.endpoint,
            path=source,
            size=size,
            mtime_ns=stat.st_mtime_ns,
            sha256=sha256,
        )
        session, received = self._resumable_session(state, name, content_type, size, sha256)
        if session["status"] == "awaiting-parts":
            if progress:
                progress(
                    sum(
                        part.length
                        for part in plan_parts(size, session["partSize"])
                        if part.number in received
                    )
                )
            uploader = MultipartUploader(
                self,
                source,
                session,
                received=received,
                concurrency=concurrency or self.concurrency,
                progress=progress,
                on_part=on_part,
            )
            completed = uploader.run()
            state.remove()
            session = {**session, "status": completed["status"]}
        elif progress:
            progress(size)
        return self._settled(source, sha256, size, session, wait=wait, multipart=True)

    def _settled(
        self, source: Path, sha256: str, size: int, session: UploadSession, *, wait: bool, multipart: bool
    ) -> UploadResult:
        """The result of an upload that went through a session; with ``wait``, once it is stored (its
        document verified) or rejected (``RejectedError``)."""
        document: Document | None = None
        if wait:
            session = self.wait_for_upload(session["id"])
            document = self.get_document(session.get("documentId") or session["id"])
            _verify(document, sha256, size)
        return UploadResult(
            path=source, sha256=sha256, size=size, document=document, session=session, multipart=multipart
        )

    def _resumable_session(
        self, state: ResumeState, filename: str, content_type: str, size: int, sha256: str
    ) -> tuple[UploadSession, dict[int, str]]:
        """The unfinished session of this file, with the parts S3 holds; else a new session."""
        upload_id = state.load()
        if upload_id:
            try:
                session = self.get_upload(upload_id)
            except NotFoundError:
                session = None
            if session and session["size"] == size and session["sha256"] == sha256:
                if session["status"] == "awaiting-parts" and not session["partChecksums"]:
                    plan = {part.number: part.length for part in plan_parts(size, session["partSize"])}
                    received = {
                        part["partNumber"]: part["etag"]
                        for part in session.get("partsReceived", [])
                        if plan.get(part["partNumber"]) == part["size"]
                    }
                    return session, received
                if session["status"] in ("processing", "scanning", "stored"):
                    state.remove()
                    return session, {}
            state.remove()
        session = self.create_upload(filename=filename, content_type=content_type, size=size, sha256=sha256)
        state.save(session["id"])
        return session, {}


class UploadResult:
    """What ``upload_file`` did: the document (direct upload, or after ``wait``) and/or the session."""

    def __init__(
        self,
        *,
        path: Path,
        sha256: str,
        size: int,
        document: Document | None,
        session: UploadSession | None,
        multipart: bool = False,
    ) -> None:
        self.multipart = multipart
        """Sent in parts through ``/uploads`` (else one ``POST /documents``)."""
        self.path = path
        self.sha256 = sha256
        self.size = size
        self.document = document
        """The stored document: always for a direct upload, after ``wait`` for a large one."""
        self.session = session
        """The upload session (large files, and every file when the service's malware gate is on)."""

    @property
    def id(self) -> str:
        """The document id (a session's id is its document's id)."""
        if self.document is not None:
            return self.document["id"]
        assert self.session is not None
        return self.session["id"]

    def as_json(self) -> Mapping[str, Any]:
        """A stable JSON shape for ``--json``."""
        status = "stored" if self.session is None else self.session["status"]
        return {
            "file": str(self.path),
            "id": self.id,
            "size": self.size,
            "sha256": self.sha256,
            "status": status,
            "multipart": self.multipart,
            "document": self.document,
        }


def _id(value: str) -> str:
    """Ids go into the path verbatim: refuse anything that is not 32 lowercase hex digits."""
    if len(value) != 32 or any(c not in "0123456789abcdef" for c in value):
        raise InvalidArgumentError(f"{value!r} is not a document or upload id (32 lowercase hex digits)")
    return value


def _verify(document: Document, sha256: str, size: int) -> None:
    if document["size"] != size or (document["sha256"] is not None and document["sha256"] != sha256):
        raise IntegrityError(
            f"document {document['id']} was stored as {document['size']} bytes with SHA-256 "
            f"{document['sha256']}, but the file has {size} bytes and {sha256}"
        )
