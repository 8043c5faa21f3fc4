"""Presigned S3 URLs (DESIGN §4.2): one ``UploadPart`` URL per part of a large upload, and short-lived
``GetObject`` URLs for large downloads. Signing is local (no network call); the URL is the credential.

Why a client of its own (``create_presigning_client``): without an explicit ``signature_version="s3v4"``
botocore still presigns S3 URLs with Signature Version 2 (``AWSAccessKeyId``/``Signature``/``Expires``)
in regions that accept it, even though the client's ``meta.config.signature_version`` reads ``s3v4``;
the ingest bucket's policy admits only ``s3:signatureversion = AWS4-HMAC-SHA256``. It also addresses
buckets virtual-host style on the *regional* endpoint (``<bucket>.s3.<region>.amazonaws.com``): botocore
would otherwise presign for the global ``s3.amazonaws.com``, which may answer for a bucket in another
region that is less than a day old with a 307 redirect, and a client's PUT of a large part does not
follow that well.
Every URL built here is checked before it is returned: SigV4, the expiry asked for, exactly the signed
headers expected (``host``, a part's ``content-length``, and the headers the caller is told to send).
Anything else is refused rather than handed out.

Why a part URL signs its length
-------------------------------
A part URL signs ``Content-Length`` = that part's exact length (``uploads.part_length``: ``partSize``,
the last part the rest), so S3 refuses (``SignatureDoesNotMatch``, 403) a ``PUT`` of any other length:
whoever holds the URL can neither park gigabytes in the quarantine bucket under one part nor make a
part that the plan (and the processor's size check) did not foresee. The length is *not* listed in the
part's ``headers``: every HTTP client sends ``Content-Length`` for a body whose length it knows (curl
``-T``, requests, httpx, boto3; browsers compute it themselves and refuse to let a script set it), so
a client that sends exactly the part's bytes sends exactly the signed value. A client that streams
with ``Transfer-Encoding: chunked`` sends none and is refused: S3 takes no chunked presigned ``PUT``
anyway.

How an expiry never outlives the signing credentials
----------------------------------------------------
A presigned URL signed with temporary credentials stops working when their session token expires,
whatever its ``X-Amz-Expires`` says, and S3 then answers ``ExpiredToken``: a URL must not promise more.
botocore holds the function's credentials as a ``botocore.credentials.Credentials`` object on the
client's request signer (``client._get_credentials()``; botocore marks it private, so it is read
defensively and its absence fails closed). Two kinds occur:

- ``RefreshableCredentials`` (and ``DeferredRefreshableCredentials``): credentials that know their
  expiry, e.g. the container credentials Lambda provides when SnapStart is on
  (``AWS_CONTAINER_CREDENTIALS_FULL_URI``), assumed roles, or ``AWS_CREDENTIAL_EXPIRATION``. Before
  reading the expiry, ``get_frozen_credentials()`` is called, exactly as the signer does: it refreshes
  the credentials when fewer than 15 minutes are left (botocore's advisory window; inside 10 minutes a
  failed refresh raises). The expiry (``_expiry_time``, a timezone-aware ``datetime``) is then read, and
  the URL's expiry is ``min(asked, 900 s (15 min), expiry - now - 30 s)``; the 30 s absorb clock skew
  between this function and S3. A refresh between that read and the signature can only replace the
  credentials with later-expiring ones, so the bound stays true. Under 60 s left means the refresh
  failed: the request is answered 503 (retry) instead of with a URL that dies in flight.
- Plain ``Credentials``: long-term keys (a developer's IAM user in local mode) or a session token
  whose expiry the environment does not state. Lambda without SnapStart passes its role credentials as
  ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN`` with no expiry, so neither the
  SDK nor this module can see one, and the asked-for expiry (at most 15 min) is used. That is the one
  case where the bound rests on Lambda (which issues and renews those credentials) rather than on a
  number this code compares; with SnapStart on, or ``AWS_CREDENTIAL_EXPIRATION`` set, it is checked.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import parse_qs, urlsplit

from document_processor.errors import ConfigurationError, StorageUnavailableError
from document_processor.filenames import content_disposition
from document_processor.uploads import MAX_PART_SIZE, MAX_PARTS, require_sha256_base64

if TYPE_CHECKING:
    from collections.abc import Callable

    from boto3.session import Session
    from mypy_boto3_s3 import S3Client

MAX_PART_URL_SECONDS: Final = 900
"""Longest life of a part URL (DESIGN §4.2: at most 15 minutes): signed just before use."""
MAX_DOWNLOAD_URL_SECONDS: Final = 300
"""Longest life of a download URL (DESIGN §4.2: at most 5 minutes)."""
CREDENTIAL_MARGIN_SECONDS: Final = 30
"""Kept between a URL's end and its credentials' end (clock skew between this function and S3)."""
MIN_URL_SECONDS: Final = 60
"""Shortest URL worth issuing; less left on the credentials means their refresh failed."""
SIGV4_ALGORITHM: Final = "AWS4-HMAC-SHA256"
CHECKSUM_HEADER: Final = "x-amz-checksum-sha256"
CHECKSUM_ALGORITHM_HEADER: Final = "x-amz-sdk-checksum-algorithm"
LENGTH_HEADER: Final = "content-length"
"""Signed into every part URL (the part's exact length) but not listed in its ``headers``: HTTP clients
send it themselves (module docstring)."""
SHORT_CREDENTIALS_MESSAGE: Final = "Upload and download links cannot be signed right now; retry in a moment."

LOGGER = logging.getLogger("document_processor.presign")


def create_presigning_client(*, session: Session | None = None, endpoint_url: str | None = None) -> S3Client:
    """An S3 client for presigning only: SigV4, regional virtual-host URLs (path style on an emulator).

    ``endpoint_url`` (or ``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL``, which botocore reads itself)
    points URLs at local mode's emulator; its host cannot carry bucket names, so those are path style.
    ``session``: as in ``storage.create_s3_client`` (a fresh one after a SnapStart restore).
    """
    import os

    import boto3
    from botocore.config import Config

    emulated = bool(
        endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    )
    config = Config(
        signature_version="s3v4",
        s3={
            "addressing_style": "path" if emulated else "virtual",
            "us_east_1_regional_endpoint": "regional",
        },
    )
    factory: Any = boto3 if session is None else session
    client: S3Client = factory.client("s3", config=config, endpoint_url=endpoint_url)
    return client


def presign_part(
    client: S3Client,
    bucket: str,
    key: str,
    multipart_upload_id: str,
    part_number: int,
    *,
    content_length: int,
    expires_in: int = MAX_PART_URL_SECONDS,
    checksum_sha256: str | None = None,
    now: Callable[[], datetime] | None = None,
) -> dict[str, Any]:
    """``{"partNumber", "url", "headers"}``: a SigV4 query-string URL to ``PUT`` one part of the upload.

    ``content_length`` (the part's exact length, ``uploads.part_length``) is signed in: S3 refuses a
    ``PUT`` of another length (module docstring). ``headers`` are the headers the signature covers
    besides ``Host`` and ``Content-Length`` (which every HTTP client sends itself): the client must
    send them exactly. With ``checksum_sha256`` (base64 of the part's 32-byte SHA-256) the checksum is
    signed in, so S3 refuses (``BadDigest``) a part whose bytes differ and no one holding the URL can
    send others. ``expires_in`` 1..900 s, shortened to fit the signing credentials (module docstring).
    """
    if not 1 <= part_number <= MAX_PARTS:
        raise ValueError(f"part_number must be 1..{MAX_PARTS}, got {part_number!r}")
    if not multipart_upload_id:
        raise ValueError("multipart_upload_id is required")
    if isinstance(content_length, bool) or not 1 <= content_length <= MAX_PART_SIZE:
        raise ValueError(f"content_length must be 1..{MAX_PART_SIZE} bytes, got {content_length!r}")
    params: dict[str, Any] = {
        "Bucket": bucket,
        "Key": key,
        "UploadId": multipart_upload_id,
        "PartNumber": part_number,
        "ContentLength": content_length,
    }
    headers: dict[str, str] = {}
    if checksum_sha256 is not None:
        require_sha256_base64(checksum_sha256)
        params["ChecksumAlgorithm"] = "SHA256"
        params["ChecksumSHA256"] = checksum_sha256
        headers = {CHECKSUM_HEADER: checksum_sha256, CHECKSUM_ALGORITHM_HEADER: "SHA256"}
    seconds = url_lifetime(client, expires_in, ceiling=MAX_PART_URL_SECONDS, now=now)
    url = client.generate_presigned_url("upload_part", Params=params, ExpiresIn=seconds, HttpMethod="PUT")
    _check(url, seconds, {LENGTH_HEADER, *headers})
    return {"partNumber": part_number, "url": url, "headers": headers}


def presign_download(
    client: S3Client,
    bucket: str,
    key: str,
    filename: str | None,
    *,
    expires_in: int = MAX_DOWNLOAD_URL_SECONDS,
    now: Callable[[], datetime] | None = None,
) -> str:
    """A SigV4 ``GET`` URL for the object that S3 answers as an ``attachment`` named ``filename``.

    The disposition is ``filenames.content_disposition`` (the ASCII fallback plus RFC 6266
    ``filename*``), the same header an inline download carries; it is signed in, so it cannot be
    changed into ``inline`` by whoever holds the URL. ``expires_in`` 1..300 s, fitted to the credentials.
    """
    seconds = url_lifetime(client, expires_in, ceiling=MAX_DOWNLOAD_URL_SECONDS, now=now)
    url = client.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": key, "ResponseContentDisposition": content_disposition(filename)},
        ExpiresIn=seconds,
        HttpMethod="GET",
    )
    _check(url, seconds, set())
    return url


def url_expires_in(url: str) -> int:
    """The lifetime in seconds a URL built here was signed for (its ``X-Amz-Expires``, checked by
    ``_check`` to be the one asked for), for answers that tell the client how long a link lasts."""
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


def url_lifetime(
    client: S3Client, asked: int, *, ceiling: int, now: Callable[[], datetime] | None = None
) -> int:
    """``asked`` seconds, at most ``ceiling``, ending 30 s before the signing credentials do (if known)."""
    if not 1 <= asked <= ceiling:
        raise ValueError(f"expires_in must be 1..{ceiling} seconds, got {asked!r}")
    left = credentials_seconds_left(client, now=now)
    if left is None:
        return asked
    fitted = math.floor(left - CREDENTIAL_MARGIN_SECONDS)
    if fitted < min(asked, MIN_URL_SECONDS):
        LOGGER.warning("Signing credentials expire too soon to presign", extra={"secondsLeft": round(left)})
        raise StorageUnavailableError(SHORT_CREDENTIALS_MESSAGE)
    return min(asked, fitted)


def credentials_seconds_left(client: S3Client, *, now: Callable[[], datetime] | None = None) -> float | None:
    """Seconds until the client's signing credentials expire, after a refresh if one is due; ``None``
    when they state no expiry. Fails closed (500) when the SDK no longer exposes what this reads."""
    from botocore.credentials import RefreshableCredentials
    from botocore.exceptions import BotoCoreError

    getter = getattr(client, "_get_credentials", None)
    credentials = (
        getter()
        if callable(getter)
        else getattr(getattr(client, "_request_signer", None), "_credentials", None)
    )
    if credentials is None:
        LOGGER.error("The S3 client has no readable signing credentials")
        raise ConfigurationError("The service is not configured correctly.")
    try:
        credentials.get_frozen_credentials()  # refresh first, as the signer will
    except BotoCoreError as error:  # a refresh inside botocore's mandatory window failed
        LOGGER.warning(
            "Signing credentials could not be refreshed", extra={"errorType": type(error).__name__}
        )
        raise StorageUnavailableError(SHORT_CREDENTIALS_MESSAGE) from error
    if not isinstance(credentials, RefreshableCredentials):
        return None
    expiry = getattr(credentials, "_expiry_time", _MISSING)
    if not isinstance(expiry, datetime):
        LOGGER.error("Refreshable credentials without a readable expiry")
        raise ConfigurationError("The service is not configured correctly.")
    moment = now() if now is not None else datetime.now(UTC)
    return (expiry - moment).total_seconds()


_MISSING: Final = object()


def _check(url: str, seconds: int, signed_headers: set[str]) -> None:
    """Refuse a URL that is not what the ingest and vault policies admit (SigV4 query auth, this expiry,
    exactly ``host`` + ``signed_headers`` signed): a changed SDK default must not issue weaker URLs
    (a part URL that no longer signs its length), nor ones needing headers the client is not told of."""
    query = {
        name: values[0] for name, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()
    }
    signed = query.get("X-Amz-SignedHeaders", "").split(";")
    if (
        query.get("X-Amz-Algorithm") != SIGV4_ALGORITHM
        or query.get("X-Amz-Expires") != str(seconds)
        or sorted(signed) != sorted({"host", *signed_headers})
        or not query.get("X-Amz-Signature")
    ):
        LOGGER.error("Presigned URL is not SigV4 query auth as required")
        raise ConfigurationError("The service is not configured correctly.")
