"""Large uploads: the presigned multipart flow, parallel, streamed from disk, per-part retry, resumable.

The server plans the parts (``partSize``, ``partCount`` in its session); the client follows that plan
whatever it is, so it never has to agree with the server's rule, only check that the plan covers the
file within S3's 10,000 parts. Each part is read from disk in 1 MiB chunks while it is sent, so memory
stays at about one chunk per parallel part whatever the file's size. A part whose PUT fails (its URL
expired, a connection reset, a 5xx) is retried with a fresh URL from ``POST /uploads/{id}/parts``.

Resume: the session id is kept in a small state file (``$XDG_CACHE_HOME/docapi/uploads/``, keyed by
endpoint, path, size, mtime and SHA-256) from the moment the session exists until its complete is
accepted. A rerun finds it, asks ``GET /uploads/{id}`` which parts S3 already has (``partsReceived``:
number, ETag, size) and sends only the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from docapi._http import RetryPolicy, send_with_retries
from docapi.errors import ApiError, DocapiError, IntegrityError, TransportError, error_for

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from docapi.client import DocumentClient
    from docapi.models import CompletedPart, PartUrl, UploadSession

MIB = 1024 * 1024
MAX_PARTS = 10_000
"""S3's limit on parts per multipart upload."""
MAX_URLS_PER_REQUEST = 100
"""``POST /uploads/{id}/parts`` signs at most 100 part numbers per request."""
DEFAULT_CONCURRENCY = 8
CHUNK_SIZE = 256 * 1024
"""Bytes per read of a part, sent as it is read: memory per parallel part stays this small."""
HASH_CHUNK_SIZE = MIB
"""Bytes per read of the SHA-256 pass (one reused buffer)."""
URL_MAX_AGE_SECONDS = 10 * 60
"""Part URLs live at most 15 minutes (less if the signer's credentials expire sooner): re-sign older ones."""
PART_RETRY = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=10.0)
STATE_DIRECTORY_VARIABLE = "DOCAPI_STATE_DIR"


@dataclass(frozen=True)
class Part:
    """One part of the plan: 1-based number, byte offset, length."""

    number: int
    offset: int
    length: int


def plan_parts(size: int, part_size: int, part_count: int | None = None) -> list[Part]:
    """The parts of a ``size``-byte file cut at ``part_size`` bytes (the server's plan).

    Every part but the last has ``part_size`` bytes. ``part_count``, when the server states it, must
    agree: a plan the client would cut differently is refused rather than uploaded wrong.
    """
    if size < 1 or part_size < 1:
        raise ValueError(f"size and part_size must be positive, got {size!r} and {part_size!r}")
    count = -(-size // part_size)
    if count > MAX_PARTS:
        raise ValueError(f"{size} bytes in parts of {part_size} make {count} parts, above S3's {MAX_PARTS}")
    if part_count is not None and part_count != count:
        raise ValueError(
            f"the session plans {part_count} parts of {part_size} bytes, but {size} bytes make {count}"
        )
    return [
        Part(number, (number - 1) * part_size, min(part_size, size - (number - 1) * part_size))
        for number in range(1, count + 1)
    ]


def file_sha256(path: Path, progress: Callable[[int], None] | None = None) -> str:
    """SHA-256 (hex) of a file, in one streaming pass of 1 MiB reads."""
    digest = hashlib.sha256()
    buffer = bytearray(HASH_CHUNK_SIZE)
    view = memoryview(buffer)
    with path.open("rb", buffering=0) as source:
        while count := source.readinto(buffer):
            digest.update(view[:count])
            if progress:
                progress(count)
    return digest.hexdigest()


def state_directory() -> Path:
    """``$DOCAPI_STATE_DIR``, else ``$XDG_CACHE_HOME/docapi/uploads``, else ``~/.cache/docapi/uploads``."""
    explicit = os.environ.get(STATE_DIRECTORY_VARIABLE)
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "docapi" / "uploads"


class ResumeState:
    """The upload id of one file's unfinished session, in a small JSON file (mode 0600)."""

    def __init__(
        self, directory: Path, *, endpoint: str, path: Path, size: int, mtime_ns: int, sha256: str
    ) -> None:
        identity = json.dumps([endpoint, str(path.resolve()), size, mtime_ns, sha256])
        self.file = directory / f"{hashlib.sha256(identity.encode()).hexdigest()[:40]}.json"
        self._record = {"endpoint": endpoint, "path": str(path.resolve()), "size": size, "sha256": sha256}

    def load(self) -> str | None:
        """The saved upload id, if any (an unreadable file counts as none)."""
        try:
            saved = json.loads(self.file.read_text())
        except (OSError, ValueError):
            return None
        upload_id = saved.get("uploadId") if isinstance(saved, dict) else None
        return upload_id if isinstance(upload_id, str) and re.fullmatch(r"[0-9a-f]{32}", upload_id) else None

    def save(self, upload_id: str) -> None:
        """Write atomically (a crash leaves the old file or the new one, never half of one)."""
        self.file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temporary = self.file.with_suffix(f".{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as out:
            json.dump({**self._record, "uploadId": upload_id}, out)
        temporary.replace(self.file)

    def remove(self) -> None:
        """Forget the session (completed, or no longer resumable)."""
        self.file.unlink(missing_ok=True)


class _Stopped(DocapiError):
    """Internal: another part failed or the user interrupted; in-flight parts stop sending."""


_S3_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")
RETRIED_PART_CODES = frozenset({"RequestTimeout", "ExpiredToken"})
"""400s that say "send it again": ``RequestTimeout`` (S3 read nothing from the connection for too long,
e.g. on a saturated uplink) and ``ExpiredToken`` (the URL's signing session ended: a fresh URL fixes
it). Every other 4xx but 403 is final."""


def _storage_error(response: httpx.Response) -> ApiError:
    match = _S3_CODE.search(response.content[:4096])
    code = match.group(1).decode(errors="replace") if match else None
    return error_for(response.status_code, code, f"storage refused the part PUT ({code or 'no code'})", None)


class MultipartUploader:
    """One file through ``/uploads``: parts ``concurrency`` at a time, then complete."""

    def __init__(
        self,
        client: DocumentClient,
        path: Path,
        session: UploadSession,
        *,
        received: dict[int, str],
        concurrency: int,
        progress: Callable[[int], None] | None = None,
        on_part: Callable[[int], None] | None = None,
    ) -> None:
        self._client = client
        self._path = path
        self._session = session
        self._id = session["id"]
        self._parts = plan_parts(session["size"], session["partSize"], session["partCount"])
        self._etags: dict[int, str] = dict(received)
        self._concurrency = max(1, concurrency)
        self._progress = progress
        self._on_part = on_part
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._urls: dict[int, tuple[PartUrl, float]] = {}
        now = time.monotonic()
        for url in session.get("parts", []):
            self._urls[url["partNumber"]] = (url, now)

    @property
    def missing(self) -> list[Part]:
        """Parts S3 does not hold yet."""
        return [part for part in self._parts if part.number not in self._etags]

    def run(self) -> UploadSession:
        """Send every missing part, then complete; the session as ``complete`` answered it (202)."""
        pending = self.missing
        if pending:
            with ThreadPoolExecutor(max_workers=min(self._concurrency, len(pending))) as executor:
                futures = [executor.submit(self._send_part, part) for part in pending]
                try:
                    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
                    for future in done:
                        future.result()  # the first failure, if any
                except BaseException:
                    self._stop.set()
                    for future in futures:
                        future.cancel()
                    raise
        parts: list[CompletedPart] = [
            {"partNumber": part.number, "etag": self._etags[part.number]} for part in self._parts
        ]
        return self._client.complete_upload(self._id, parts)

    def _url_for(self, number: int, *, fresh: bool) -> PartUrl:
        with self._lock:
            known = self._urls.get(number)
            if known and not fresh and time.monotonic() - known[1] < URL_MAX_AGE_SECONDS:
                return known[0]
            # Sign this part and the next ones still without a usable URL, up to 100 at once.
            now = time.monotonic()
            batch = [
                number,
                *[
                    part.number
                    for part in self._parts
                    if part.number > number
                    and part.number not in self._etags
                    and (
                        part.number not in self._urls
                        or now - self._urls[part.number][1] >= URL_MAX_AGE_SECONDS
                    )
                ][: MAX_URLS_PER_REQUEST - 1],
            ]
            for url in self._client.sign_upload_parts(self._id, batch):
                self._urls[url["partNumber"]] = (url, time.monotonic())
            return self._urls[number][0]

    def _chunks(self, descriptor: int, part: Part, sent: list[int]) -> Iterator[bytes]:
        position = 0
        while position < part.length:
            if self._stop.is_set():
                raise _Stopped("upload stopped")
            chunk = os.pread(descriptor, min(CHUNK_SIZE, part.length - position), part.offset + position)
            if not chunk:
                raise IntegrityError(f"{self._path} shrank while it was uploaded (part {part.number})")
            position += len(chunk)
            sent[0] += len(chunk)
            if self._progress:
                self._progress(len(chunk))
            yield chunk

    def _send_part(self, part: Part) -> None:
        storage = self._client.storage_http
        descriptor = os.open(self._path, os.O_RDONLY)
        try:
            for attempt in range(1, PART_RETRY.max_attempts + 1):
                url = self._url_for(part.number, fresh=attempt > 1)
                sent = [0]
                headers = {**url["headers"], "Content-Length": str(part.length)}
                try:
                    response = storage.put(
                        url["url"], content=self._chunks(descriptor, part, sent), headers=headers
                    )
                except httpx.TransportError as error:
                    failure: DocapiError = TransportError(f"part {part.number}: {error!r}")
                else:
                    etag = response.headers.get("ETag")
                    if response.status_code == 200 and etag:
                        with self._lock:
                            self._etags[part.number] = etag
                        if self._on_part:
                            self._on_part(part.number)
                        return
                    failure = _storage_error(response)
                    # 403: the URL expired (or its credentials did); 5xx/429: S3 busy; two 400s (above)
                    # mean the same. Other 4xx are final.
                    if not (
                        response.status_code == 403
                        or RetryPolicy.retryable_status(response.status_code)
                        or failure.code in RETRIED_PART_CODES
                    ):
                        raise failure
                if self._progress and sent[0]:
                    self._progress(-sent[0])  # this part's bytes go again
                if attempt == PART_RETRY.max_attempts or self._stop.is_set():
                    raise failure
                time.sleep(PART_RETRY.delay(attempt))
        finally:
            os.close(descriptor)


def _body(response: httpx.Response) -> Iterator[bytes]:
    try:
        yield from response.iter_bytes(CHUNK_SIZE)
    except httpx.TransportError as error:
        raise TransportError(f"the download was interrupted: {error!r}") from error


def _new_file_mode() -> int:
    """``0o666`` less the process's umask: the mode ``open()`` would have given the file. (The umask
    can only be read by setting it; the lock keeps two downloads from reading each other's 0.)"""
    with _UMASK_LOCK:
        umask = os.umask(0o077)
        os.umask(umask)
    return 0o666 & ~umask


_UMASK_LOCK = threading.Lock()


def download_to(
    storage: httpx.Client,
    response: httpx.Response,
    location: str | None,
    target: Path,
    *,
    expected_size: int,
    expected_sha256: str | None,
    retry: RetryPolicy,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Stream a document to a temporary file beside ``target``, verify it, rename it into place.

    ``response`` is the API's streamed answer: its body (200) or, with ``location`` (303), nothing;
    the presigned URL is then fetched without the API's signature (S3 refuses both at once). Nothing
    is ever left under ``target`` unless size and SHA-256 match.
    """
    import tempfile

    if location is not None:
        response.close()
        response = send_with_retries(
            lambda: storage.send(storage.build_request("GET", location), stream=True), retry
        )
        if response.status_code != 200:
            response.read()
            response.close()
            raise _storage_error(response)
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".docapi-partial", dir=target.parent
    )
    temporary = Path(name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(descriptor, "wb") as out:
            for chunk in _body(response):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                if progress:
                    progress(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        if size != expected_size:
            raise IntegrityError(f"download of {target.name}: {size} bytes, expected {expected_size}")
        if expected_sha256 is not None and digest.hexdigest() != expected_sha256:
            raise IntegrityError(
                f"download of {target.name}: SHA-256 {digest.hexdigest()}, expected {expected_sha256}; "
                "nothing was written"
            )
        temporary.chmod(_new_file_mode())  # mkstemp's 0600 is for the partial file only
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    finally:
        response.close()
