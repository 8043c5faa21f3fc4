"""S3 access for documents: one client per execution environment, bounded time per call, and every S3
failure translated into a service error that says nothing about buckets or keys.

Timeouts and retries are sized against the function's 25 s timeout: one call takes at most
``MAX_ATTEMPTS`` x (``CONNECT_TIMEOUT`` + ``READ_TIMEOUT``) plus standard-mode backoff (< 1 s for one
retry) = 9 s, and a request must make at most two S3 calls in sequence (a read's 403 is explained by
one listing; a retried upload's 412 by one HeadObject). With an Idempotency-Key an upload first makes
one catalogue call (4 s, ``catalogue.py``): 22 s in all, so a failing S3 ends a request with a 503
before Lambda would kill it (which API Gateway would report as an opaque 502/504). What follows a
stored object (the catalogue writes, and an idempotent upload's second look at S3) is skipped when less
time is left than it may take (``documents.py``). The one exception is an upload whose generated id is
found taken: it tries a fresh id, at most ``MAX_CREATE_ATTEMPTS`` times (see ``documents.py``), which
80 random bits per id make practically impossible.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    IncompleteReadError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from document_processor.clients import LazyClient
from document_processor.errors import StorageError, StorageUnavailableError
from document_processor.runtime_checks import require_s3_features

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from boto3.session import Session
    from mypy_boto3_s3 import S3Client

DEFAULT_CONNECT_TIMEOUT_SECONDS = 1.0
"""The S3 gateway endpoint is inside the VPC: a connection that takes longer than this is not coming."""
DEFAULT_READ_TIMEOUT_SECONDS = 3.0
"""Longest wait for one socket read; S3 answers a few-MB PUT/GET from inside the region well within it.

(4 s before the catalogue: its calls now share the function's 25 s with S3's.)"""
DEFAULT_MAX_ATTEMPTS = 2
"""Total attempts per call, the first included (standard mode retries throttling and transient errors)."""
WORST_CALL_SECONDS = (
    DEFAULT_MAX_ATTEMPTS * (DEFAULT_CONNECT_TIMEOUT_SECONDS + DEFAULT_READ_TIMEOUT_SECONDS) + 1
)
"""The longest one call can take with the defaults (the 1 s: standard mode's backoff before one retry)."""

NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
PRECONDITION_FAILED_CODES = frozenset({"PreconditionFailed", "412"})
DENIED_CODES = frozenset({"AccessDenied", "403", "Forbidden"})
UNAVAILABLE_CODES = frozenset(
    {
        "SlowDown",
        "ServiceUnavailable",
        "503",
        "RequestTimeout",
        "InternalError",
        "500",
        "ConditionalRequestConflict",
        "409",
        "ThrottlingException",
        "RequestTimeTooSkewed",
    }
)
TRANSPORT_ERRORS = (
    ConnectTimeoutError,
    ReadTimeoutError,
    EndpointConnectionError,
    ConnectionClosedError,
    # The connection broke while a body was read (after botocore's retry loop): as transient as a
    # reset before the answer, so the same 503. A body that arrives whole but wrong still fails
    # botocore's SHA-256 check (FlexibleChecksumError) and stays a 502.
    ResponseStreamingError,
    IncompleteReadError,
)

UNAVAILABLE_MESSAGE = "Storage is temporarily unavailable; retry later."
REFUSED_MESSAGE = "Storage refused the request."

LOGGER = logging.getLogger("document_processor.storage")
_T = TypeVar("_T")


class ObjectExistsError(Exception):
    """A conditional create found an object already at the key (nothing was written)."""


class StoredObject(NamedTuple):
    """What S3 says about one object (from HeadObject or GetObject)."""

    content_type: str
    size: int
    etag: str
    checksum_sha256: str | None
    """Base64 SHA-256 that S3 verified on upload (``None`` if the object was written without one)."""
    metadata: dict[str, str]
    """User metadata (keys lower case, values ASCII)."""


class ListedObject(NamedTuple):
    """One entry of a listing."""

    key: str
    size: int
    last_modified: datetime


def create_s3_client(
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_SECONDS,
    read_timeout: float = DEFAULT_READ_TIMEOUT_SECONDS,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    session: Session | None = None,
) -> S3Client:
    """The S3 client, with bounded timeouts and retries (region and endpoint from the standard AWS env).

    ``session``: default boto3's default session, which caches the credentials it resolved first; a
    client that must not reuse them (after a SnapStart restore) is made from a fresh one. Raises
    ``UnsupportedSdkError`` if the loaded SDK cannot send what this module sends.
    """
    import boto3  # boto3 is the cold-start floor; imported where the client is made
    from botocore.config import Config

    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        # total_max_attempts counts the first try; botocore's "max_attempts" key counts retries only.
        retries={"mode": "standard", "total_max_attempts": max_attempts},
    )
    client = boto3.client("s3", config=config) if session is None else session.client("s3", config=config)
    require_s3_features(client)
    return client


class DocumentStore:
    """Object operations on the documents bucket, with S3 errors mapped to service errors."""

    def __init__(self, client: S3Client | LazyClient[S3Client], bucket: str) -> None:
        self._clients = client if isinstance(client, LazyClient) else LazyClient(lambda: client, name="s3")
        self._bucket = bucket

    @property
    def _client(self) -> S3Client:
        return self._clients.get()

    def replace_client(self, client: S3Client) -> None:
        """Use ``client`` from now on (after a SnapStart restore: fresh connections and credentials)."""
        self._clients.replace(client)

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
        """Create the object in one PutObject (body, metadata and checksum together), never overwriting.

        ``IfNoneMatch="*"`` makes S3 refuse the write if any object exists at ``key``; S3 rejects the
        body if it does not hash to ``checksum_sha256``. Either way nothing partial is stored.

        ``same_write_ok``: an object already at ``key`` with this checksum and metadata counts as stored,
        even if this call sent the write once. The idempotent upload path sets it: the key's id was
        reserved for exactly this request, so such an object is an earlier attempt's (crashed, or
        running concurrently), never another document.
        """
        try:
            self._call(
                "PutObject",
                lambda: self._client.put_object(
                    Bucket=self._bucket,
                    Key=key,
                    Body=body,
                    ContentType=content_type,
                    ChecksumAlgorithm="SHA256",
                    ChecksumSHA256=checksum_sha256,
                    Metadata=metadata,
                    IfNoneMatch="*",
                ),
            )
        except _Precondition as precondition:
            if (precondition.retried or same_write_ok) and self._holds(key, checksum_sha256, metadata):
                # An earlier attempt of this very write was stored but its answer was lost (timeout,
                # reset, a crashed request), so the retry found "an object": this upload, not an id
                # collision.
                LOGGER.warning("PutObject found this very write already stored")
                return
            raise ObjectExistsError(key) from None

    def _holds(self, key: str, checksum_sha256: str, metadata: dict[str, str]) -> bool:
        """Whether the object at ``key`` is exactly this write: same SHA-256, same user metadata.

        The 412 proved that an object is there, so a 403 to this HeadObject is a real denial (502), not
        a missing key to be told apart by a listing, which would be a third S3 call in the request.
        """
        try:
            stored = self._head(key, denial_may_mean_missing=False)
        except _Missing:  # deleted since the 412: whatever it was, it is not this write
            return False
        return stored.checksum_sha256 == checksum_sha256 and stored.metadata == {
            name.lower(): value for name, value in metadata.items()
        }

    def head(self, key: str) -> StoredObject | None:
        """The object's description, or ``None`` when there is no object at ``key``."""
        try:
            return self._head(key, denial_may_mean_missing=True)
        except _Missing:
            return None
        except _Denied:
            self._raise_unless_absent(key, "HeadObject")
            return None

    def _head(self, key: str, *, denial_may_mean_missing: bool) -> StoredObject:
        response = self._call(
            "HeadObject",
            lambda: self._client.head_object(Bucket=self._bucket, Key=key, ChecksumMode="ENABLED"),
            denial_may_mean_missing=denial_may_mean_missing,
        )
        return _stored_object(response)

    @property
    def bucket(self) -> str:
        """The bucket's name (for presigned URLs; never shown to a client)."""
        return self._bucket

    def get(self, key: str, *, read_up_to: int | None = None) -> tuple[StoredObject, bytes | None] | None:
        """The object's description and bytes, or ``None`` when there is no object at ``key``.

        ``read_up_to``: an object larger than this (by GetObject's ``ContentLength``) is not read; its
        body is closed unread and ``None`` stands for the bytes (a large download is redirected, and
        reading gigabytes into the function would fail anyway).
        """

        def read() -> tuple[dict[str, Any], bytes | None]:
            response = self._client.get_object(Bucket=self._bucket, Key=key, ChecksumMode="ENABLED")
            body = response["Body"]
            if read_up_to is not None and int(response.get("ContentLength", 0)) > read_up_to:
                body.close()
                return dict(response), None
            return dict(response), body.read()

        try:
            response, body = self._call("GetObject", read, denial_may_mean_missing=True)
        except _Missing:
            return None
        except _Denied:
            self._raise_unless_absent(key, "GetObject")
            return None
        return _stored_object(response), body

    def delete(self, key: str) -> None:
        """Delete the object (a delete marker in a versioned bucket; earlier versions are kept)."""
        self._call("DeleteObject", lambda: self._client.delete_object(Bucket=self._bucket, Key=key))

    def list_page(
        self, prefix: str, *, start_after: str | None, limit: int
    ) -> tuple[list[ListedObject], bool]:
        """Up to ``limit`` objects under ``prefix`` after ``start_after``, and whether more follow."""
        arguments: dict[str, Any] = {"Bucket": self._bucket, "Prefix": prefix, "MaxKeys": limit}
        if start_after is not None:
            arguments["StartAfter"] = start_after
        response = self._call("ListObjectsV2", lambda: self._client.list_objects_v2(**arguments))
        items = [
            ListedObject(key=entry["Key"], size=entry["Size"], last_modified=entry["LastModified"])
            for entry in response.get("Contents", [])
        ]
        return items, bool(response.get("IsTruncated"))

    def _raise_unless_absent(self, key: str, operation: str) -> None:
        """Tell a missing object from a real denial after S3 answered 403 to a read.

        S3 answers 403 rather than 404 for a missing key unless the caller may list the bucket, and the
        role may list only under ``documents/`` (an ``s3:prefix`` condition). Listing exactly ``key``
        is within that grant: no such key means absent (a 404); a key that exists means the 403 was real.
        """
        response = self._call(
            "ListObjectsV2",
            lambda: self._client.list_objects_v2(Bucket=self._bucket, Prefix=key, MaxKeys=1),
        )
        if any(entry["Key"] == key for entry in response.get("Contents", [])):
            LOGGER.warning("S3 call failed", extra={"operation": operation, "s3ErrorCode": "AccessDenied"})
            raise StorageError("Storage refused the request.")

    def _call(self, operation: str, call: Callable[[], _T], *, denial_may_mean_missing: bool = False) -> _T:
        try:
            return call()
        except ClientError as error:
            code = error_code(error)
            if code in NOT_FOUND_CODES:
                raise _Missing from None
            if code in PRECONDITION_FAILED_CODES:
                raise _Precondition(retried=_retried(error)) from None
            if denial_may_mean_missing and code in DENIED_CODES:
                raise _Denied from None
            raise service_error(operation, error) from error
        except BotoCoreError as error:
            raise service_error(operation, error) from error


def error_code(error: ClientError) -> str:
    """S3's error code of ``error`` (``NoSuchKey``, ``SlowDown``, ...; ``""`` when it has none)."""
    return str(error.response.get("Error", {}).get("Code", ""))


def service_error(
    operation: str, error: BotoCoreError | ClientError
) -> StorageError | StorageUnavailableError:
    """The service error an S3 failure answers (logged here, with the operation and S3's code only).

    503 ``storage_unavailable`` when a retry may succeed (throttling, S3's 5xx, transport errors), else
    502 ``storage_error``. The message never names a bucket or key: callers raise it ``from`` ``error``.
    """
    if isinstance(error, ClientError):
        code = error_code(error)
        LOGGER.warning("S3 call failed", extra={"operation": operation, "s3ErrorCode": code})
        if code in UNAVAILABLE_CODES:
            return StorageUnavailableError(UNAVAILABLE_MESSAGE)
        return StorageError(REFUSED_MESSAGE)
    if isinstance(error, TRANSPORT_ERRORS):
        LOGGER.warning(
            "S3 call did not complete", extra={"operation": operation, "s3ErrorCode": type(error).__name__}
        )
        return StorageUnavailableError(UNAVAILABLE_MESSAGE)
    LOGGER.warning("S3 call failed", extra={"operation": operation, "s3ErrorCode": type(error).__name__})
    return StorageError(REFUSED_MESSAGE)


class _Missing(Exception):  # internal signal, never escapes this module
    """No object at the key."""


class _Denied(Exception):
    """S3 answered 403 to a read: a missing key or a real denial (see ``_raise_unless_absent``)."""


class _Precondition(Exception):  # internal signal, never escapes this module
    """The conditional write found an existing object."""

    def __init__(self, *, retried: bool) -> None:
        super().__init__()
        self.retried = retried
        """Whether botocore sent the write more than once (an earlier attempt may have stored it)."""


def _retried(error: ClientError) -> bool:
    """Whether botocore retried the call that ended in ``error`` (``RetryAttempts`` counts retries)."""
    return bool(error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0))


def _stored_object(response: Any) -> StoredObject:
    return StoredObject(
        content_type=str(response.get("ContentType", "application/octet-stream")),
        size=int(response.get("ContentLength", 0)),
        etag=str(response.get("ETag", "")),
        checksum_sha256=response.get("ChecksumSHA256"),
        metadata={str(k).lower(): str(v) for k, v in response.get("Metadata", {}).items()},
    )
