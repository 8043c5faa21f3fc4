"""Presigned part and download URLs: their SigV4 query parameters parsed, their signatures checked by an
independent verifier (moto 5.2.5 accepts any presigned URL: it checks neither signature nor expiry, nor a
part's x-amz-checksum-sha256 against its bytes), real part uploads through them into moto, and expiries
fitted to the signing credentials' own expiry."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import boto3
import pytest
import requests
from botocore.credentials import (
    CredentialProvider,
    CredentialResolver,
    Credentials,
    DeferredRefreshableCredentials,
    RefreshableCredentials,
)
from botocore.exceptions import CredentialRetrievalError
from botocore.session import Session as BotocoreSession

from document_processor.errors import ConfigurationError, ServiceError, StorageUnavailableError
from document_processor.filenames import content_disposition
from document_processor.presign import (
    MAX_DOWNLOAD_URL_SECONDS,
    MAX_PART_URL_SECONDS,
    create_presigning_client,
    presign_download,
    presign_part,
)
from document_processor.storage import create_s3_client
from document_processor.uploads import MIB, ingest_key

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

INGEST = "test-ingest-bucket"
OWNER_KEY = "c" * 64
UPLOAD_ID = "0190f0f0f0f0" + "ab" * 10
KEY = ingest_key(OWNER_KEY, UPLOAD_ID)
ACCESS_KEY, SECRET_KEY = "AKIDTESTPRESIGN", "presign-secret"
START = datetime.now(UTC).replace(microsecond=0)
PART = 5 * MIB
"""The length signed into the part URLs of tests that send no bytes."""
SENT = {"content-length": str(PART)}
"""What an HTTP client sends beside a URL's listed headers for a PART-byte body."""


# --- an independent SigV4 query-string verifier (AWS "Authenticating Requests: Using Query Parameters")


class Verdict(NamedTuple):
    ok: bool
    reason: str


def _encode(text: str) -> str:
    return quote(text, safe="-_.~")


def verify_sigv4_url(
    method: str, url: str, sent_headers: dict[str, str], *, secret: str, now: datetime
) -> Verdict:
    """What S3 checks of a presigned request: signature over method, path, query and signed headers,
    and ``now`` within ``X-Amz-Date`` + ``X-Amz-Expires``. Written from the specification, not botocore."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    if params.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return Verdict(False, "not SigV4")
    access_key, date, region, service, terminator = params["X-Amz-Credential"].split("/")
    signed_at = datetime.strptime(params["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    expires = int(params["X-Amz-Expires"])
    if not 1 <= expires <= 604_800:
        return Verdict(False, "expiry out of range")
    if now > signed_at + timedelta(seconds=expires):
        return Verdict(False, "expired")
    headers = {name.lower(): value.strip() for name, value in sent_headers.items()}
    headers["host"] = parts.netloc
    signed = params["X-Amz-SignedHeaders"].split(";")
    if any(name not in headers for name in signed):
        return Verdict(False, "a signed header was not sent")
    canonical_query = "&".join(
        f"{_encode(name)}={_encode(value)}" for name, value in sorted(query) if name != "X-Amz-Signature"
    )
    canonical_request = "\n".join(
        [
            method,
            quote(unquote(parts.path), safe="/~"),
            canonical_query,
            "".join(f"{name}:{headers[name]}\n" for name in signed),
            ";".join(signed),
            "UNSIGNED-PAYLOAD",
        ]
    )
    scope = f"{date}/{region}/{service}/{terminator}"
    string_to_sign = "\n".join(
        [
            "AWS4-HMAC-SHA256",
            params["X-Amz-Date"],
            scope,
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )
    key = f"AWS4{secret}".encode()
    for step in (date, region, service, terminator):
        key = hmac.new(key, step.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, params.get("X-Amz-Signature", "")):
        return Verdict(False, "signature does not match")
    return Verdict(True, access_key)


def headers_sent(request: requests.PreparedRequest) -> dict[str, str]:
    """The headers ``requests`` will send with ``request`` (``Content-Length`` from the body included)."""
    return {
        name: value if isinstance(value, str) else value.decode("latin-1")
        for name, value in request.headers.items()
    }


def replace_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = [
        (key, value if key == name else old) for key, old in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return parts._replace(query="&".join(f"{_encode(k)}={_encode(v)}" for k, v in query)).geturl()


# --- fixtures -----------------------------------------------------------------------------------------------


class FixedProvider(CredentialProvider):
    """A credential chain that yields one given credentials object."""

    METHOD = "test-fixed"
    CANONICAL_NAME = "TestFixed"

    def __init__(self, credentials: Credentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> Credentials:
        return self._credentials


def client_with(
    credentials: Credentials, *, region: str = "us-east-1", endpoint_url: str | None = None
) -> Any:
    core = BotocoreSession()
    core.register_component("credential_provider", CredentialResolver([FixedProvider(credentials)]))
    return create_presigning_client(
        session=boto3.Session(botocore_session=core, region_name=region), endpoint_url=endpoint_url
    )


def refreshable(
    seconds_left: float,
    *,
    refresh: Callable[[], dict[str, str]] | None = None,
    timeouts: tuple[int, int] | None = None,
) -> RefreshableCredentials:
    def failing() -> dict[str, str]:
        raise CredentialRetrievalError(provider="test", error_msg="refresh refused")

    extra: dict[str, Any] = {}
    if timeouts is not None:
        extra = {"advisory_timeout": timeouts[0], "mandatory_timeout": timeouts[1]}
    return RefreshableCredentials(
        ACCESS_KEY,
        SECRET_KEY,
        "session-token",
        START + timedelta(seconds=seconds_left),
        refresh or failing,
        "test",
        time_fetcher=lambda: START,
        **extra,
    )


def at_start() -> datetime:
    return START


@pytest.fixture
def ingest(_moto: None, aws_credentials: None) -> Iterator[Any]:
    """The moto ingest bucket and one multipart upload in it (its S3 upload id)."""
    s3 = create_s3_client()
    s3.create_bucket(Bucket=INGEST)
    upload = s3.create_multipart_upload(Bucket=INGEST, Key=KEY)
    yield s3, upload["UploadId"]
    s3.abort_multipart_upload(Bucket=INGEST, Key=KEY, UploadId=upload["UploadId"])
    for entry in s3.list_objects_v2(Bucket=INGEST).get("Contents", []):
        s3.delete_object(Bucket=INGEST, Key=entry["Key"])
    s3.delete_bucket(Bucket=INGEST)


@pytest.fixture
def signer(_moto: None, aws_credentials: None) -> Any:
    return client_with(Credentials(ACCESS_KEY, SECRET_KEY, "session-token"))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# --- part URLs ----------------------------------------------------------------------------------------------


def test_a_part_url_is_sigv4_query_auth_for_that_part_on_the_regional_endpoint(signer: Any) -> None:
    part = presign_part(signer, INGEST, KEY, "mpu-id", 7, content_length=PART, expires_in=900)

    parts = urlsplit(part["url"])
    query = query_of(part["url"])
    assert (part["partNumber"], part["headers"]) == (7, {})
    assert (parts.scheme, parts.netloc, unquote(parts.path)) == (
        "https",
        f"{INGEST}.s3.us-east-1.amazonaws.com",
        f"/{KEY}",
    )
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Expires"] == "900"
    assert query["X-Amz-SignedHeaders"] == "content-length;host"
    assert (query["partNumber"], query["uploadId"]) == ("7", "mpu-id")
    assert query["X-Amz-Credential"].split("/")[0] == ACCESS_KEY
    assert query["X-Amz-Credential"].endswith("/us-east-1/s3/aws4_request")
    assert query["X-Amz-Security-Token"] == "session-token"
    assert verify_sigv4_url("PUT", part["url"], SENT, secret=SECRET_KEY, now=datetime.now(UTC)).ok


@pytest.mark.parametrize(
    ("sent", "verdict"),
    [
        ({"content-length": str(PART)}, (True, ACCESS_KEY)),
        ({"content-length": str(PART - 1)}, (False, "signature does not match")),
        ({"content-length": str(PART + 1)}, (False, "signature does not match")),
        ({"content-length": str(10 * 1024**3)}, (False, "signature does not match")),
        ({"transfer-encoding": "chunked"}, (False, "a signed header was not sent")),
    ],
)
def test_a_part_url_admits_exactly_its_length(signer: Any, sent: dict[str, str], verdict: Verdict) -> None:
    """What S3 answers a PUT through the URL (SignatureDoesNotMatch, 403): only the signed length goes."""
    part = presign_part(signer, INGEST, KEY, "mpu-id", 1, content_length=PART)

    assert verify_sigv4_url("PUT", part["url"], sent, secret=SECRET_KEY, now=datetime.now(UTC)) == verdict


@pytest.mark.parametrize("content_length", [0, -1, 5 * 1024**3 + 1, True])
def test_a_part_length_outside_s3s_part_sizes_is_refused(signer: Any, content_length: int) -> None:
    with pytest.raises(ValueError, match="content_length"):
        presign_part(signer, INGEST, KEY, "mpu-id", 1, content_length=content_length)


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_a_part_url_that_does_not_sign_its_length_is_not_handed_out() -> None:
    """``_check`` is exact: an SDK that stopped signing ``Content-Length`` would issue any-size URLs."""
    real = client_with(Credentials(ACCESS_KEY, SECRET_KEY))

    class DropsTheLength:
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def generate_presigned_url(self, operation: str, *, Params: dict[str, Any], **kwargs: Any) -> str:
            return str(
                real.generate_presigned_url(
                    operation, Params={k: v for k, v in Params.items() if k != "ContentLength"}, **kwargs
                )
            )

    with pytest.raises(ConfigurationError):
        presign_part(DropsTheLength(), INGEST, KEY, "mpu-id", 1, content_length=PART)  # type: ignore[arg-type]


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_another_region_signs_for_its_own_endpoint() -> None:
    client = client_with(Credentials(ACCESS_KEY, SECRET_KEY), region="eu-west-1")

    url = presign_part(client, INGEST, KEY, "mpu-id", 1, content_length=PART)["url"]

    assert urlsplit(url).netloc == f"{INGEST}.s3.eu-west-1.amazonaws.com"
    assert "/eu-west-1/s3/" in query_of(url)["X-Amz-Credential"]


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_an_emulator_endpoint_gets_path_style_urls() -> None:
    client = client_with(Credentials(ACCESS_KEY, SECRET_KEY), endpoint_url="http://127.0.0.1:4566")

    url = presign_part(client, INGEST, KEY, "mpu-id", 1, content_length=PART)["url"]

    parts = urlsplit(url)
    assert (parts.netloc, unquote(parts.path)) == ("127.0.0.1:4566", f"/{INGEST}/{KEY}")
    assert query_of(url)["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"


def test_a_part_goes_up_through_its_url(ingest: tuple[Any, str]) -> None:
    s3, upload_id = ingest
    data = bytes(range(256)) * (5 * MIB // 256)
    part = presign_part(create_presigning_client(), INGEST, KEY, upload_id, 1, content_length=len(data))
    request = requests.Request("PUT", part["url"], data=data, headers=part["headers"]).prepare()

    assert verify_sigv4_url(
        "PUT", part["url"], headers_sent(request), secret="testing", now=datetime.now(UTC)
    ).ok
    response = requests.Session().send(request, timeout=30)

    assert response.status_code == 200
    [listed] = s3.list_parts(Bucket=INGEST, Key=KEY, UploadId=upload_id)["Parts"]
    assert (listed["PartNumber"], listed["Size"]) == (1, len(data))
    assert listed["ETag"] == response.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'


def test_a_checksum_is_signed_in_and_its_headers_returned(ingest: tuple[Any, str]) -> None:
    _, upload_id = ingest
    data = b"part bytes" * 1000
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    client = create_presigning_client()

    part = presign_part(client, INGEST, KEY, upload_id, 2, content_length=len(data), checksum_sha256=checksum)

    assert part["headers"] == {"x-amz-checksum-sha256": checksum, "x-amz-sdk-checksum-algorithm": "SHA256"}
    assert (
        query_of(part["url"])["X-Amz-SignedHeaders"]
        == "content-length;host;x-amz-checksum-sha256;x-amz-sdk-checksum-algorithm"
    )
    assert requests.put(part["url"], data=data, headers=part["headers"], timeout=30).status_code == 200


def test_the_verifier_binds_the_checksum_header(signer: Any) -> None:
    checksum = base64.b64encode(hashlib.sha256(b"a").digest()).decode()
    other = base64.b64encode(hashlib.sha256(b"b").digest()).decode()
    part = presign_part(signer, INGEST, KEY, "mpu-id", 1, content_length=PART, checksum_sha256=checksum)
    now = datetime.now(UTC)

    assert verify_sigv4_url("PUT", part["url"], {**part["headers"], **SENT}, secret=SECRET_KEY, now=now).ok
    changed = {**part["headers"], **SENT, "x-amz-checksum-sha256": other}
    assert verify_sigv4_url("PUT", part["url"], changed, secret=SECRET_KEY, now=now) == (
        False,
        "signature does not match",
    )
    assert verify_sigv4_url("PUT", part["url"], SENT, secret=SECRET_KEY, now=now) == (
        False,
        "a signed header was not sent",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("partNumber", "2"),
        ("uploadId", "another-upload"),
        ("X-Amz-Expires", "3600"),
        ("X-Amz-Date", "20300101T000000Z"),
        ("X-Amz-Security-Token", "another-token"),
        ("X-Amz-SignedHeaders", "content-length;host;x-amz-meta-x"),
        ("X-Amz-SignedHeaders", "host"),  # the length dropped from what the signature covers
    ],
)
def test_a_tampered_url_fails_verification(signer: Any, name: str, value: str) -> None:
    url = presign_part(signer, INGEST, KEY, "mpu-id", 1, content_length=PART)["url"]
    tampered = replace_param(url, name, value)
    headers = {**SENT, "x-amz-meta-x": "1"} if name == "X-Amz-SignedHeaders" else SENT

    assert tampered != url
    verdict = verify_sigv4_url("PUT", tampered, headers, secret=SECRET_KEY, now=datetime.now(UTC))
    assert verdict == (False, "signature does not match")


def test_a_tampered_key_signature_or_method_fails_verification(signer: Any) -> None:
    url = presign_part(signer, INGEST, KEY, "mpu-id", 1, content_length=PART)["url"]
    now = datetime.now(UTC)
    signature = query_of(url)["X-Amz-Signature"]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]

    refused = Verdict(False, "signature does not match")
    assert verify_sigv4_url("PUT", url, SENT, secret=SECRET_KEY, now=now).ok
    assert (
        verify_sigv4_url("PUT", url.replace(OWNER_KEY, "d" * 64), SENT, secret=SECRET_KEY, now=now) == refused
    )
    assert (
        verify_sigv4_url(
            "PUT", replace_param(url, "X-Amz-Signature", flipped), SENT, secret=SECRET_KEY, now=now
        )
        == refused
    )
    assert verify_sigv4_url("GET", url, SENT, secret=SECRET_KEY, now=now) == refused
    assert verify_sigv4_url("PUT", url, SENT, secret="another-secret", now=now) == refused


def test_a_url_fails_verification_once_expired(signer: Any) -> None:
    url = presign_part(signer, INGEST, KEY, "mpu-id", 1, content_length=PART, expires_in=120)["url"]
    signed_at = datetime.strptime(query_of(url)["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    assert verify_sigv4_url("PUT", url, SENT, secret=SECRET_KEY, now=signed_at + timedelta(seconds=120)).ok
    assert verify_sigv4_url("PUT", url, SENT, secret=SECRET_KEY, now=signed_at + timedelta(seconds=121)) == (
        False,
        "expired",
    )


@pytest.mark.parametrize("part_number", [0, 10_001])
def test_part_numbers_outside_s3s_range_are_refused(signer: Any, part_number: int) -> None:
    with pytest.raises(ValueError, match="part_number"):
        presign_part(signer, INGEST, KEY, "mpu-id", part_number, content_length=PART)


@pytest.mark.parametrize("expires_in", [0, -1, MAX_PART_URL_SECONDS + 1])
def test_part_url_lifetimes_beyond_15_minutes_are_refused(signer: Any, expires_in: int) -> None:
    with pytest.raises(ValueError, match="expires_in"):
        presign_part(signer, INGEST, KEY, "mpu-id", 1, content_length=PART, expires_in=expires_in)


@pytest.mark.parametrize(
    "checksum",
    [
        "",
        "ab" * 32,  # hex, not base64
        base64.b64encode(b"x" * 31).decode(),
        base64.b64encode(b"x" * 33).decode(),
        base64.urlsafe_b64encode(b"\xfb" * 32).decode(),  # the URL-safe alphabet
        base64.b64encode(b"x" * 32).decode().rstrip("="),  # unpadded
        base64.b64encode(b"x" * 32).decode()[:-2] + "Z=",  # non-zero padding bits
        " " + base64.b64encode(b"x" * 32).decode(),
    ],
)
def test_a_checksum_that_is_not_base64_sha256_is_400(signer: Any, checksum: str) -> None:
    with pytest.raises(ServiceError) as raised:
        presign_part(signer, INGEST, KEY, "mpu-id", 1, content_length=PART, checksum_sha256=checksum)

    assert (raised.value.status, str(raised.value.code)) == (400, "invalid_part")


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_the_services_default_client_would_sign_sigv2_and_is_refused() -> None:
    """Why presigning has its own client: botocore presigns S3 with SigV2 unless told s3v4 explicitly."""
    client = create_s3_client()
    assert "Signature=" in client.generate_presigned_url("get_object", Params={"Bucket": INGEST, "Key": KEY})

    with pytest.raises(ConfigurationError):
        presign_part(client, INGEST, KEY, "mpu-id", 1, content_length=PART)


# --- expiry fitted to the credentials ---------------------------------------------------------------------


def expires_of(client: Any, **kwargs: Any) -> int:
    return int(
        query_of(
            presign_part(client, INGEST, KEY, "mpu-id", 1, content_length=PART, now=at_start, **kwargs)["url"]
        )["X-Amz-Expires"]
    )


@pytest.mark.usefixtures("_moto", "aws_credentials")
@pytest.mark.parametrize(
    ("seconds_left", "asked", "expected"),
    [
        (3600, 900, 900),  # plenty left: what was asked
        (3600, 60, 60),
        (930, 900, 900),  # exactly the margin more than asked
        (929, 900, 899),
        (700, 900, 670),  # inside botocore's advisory window, its refresh failed: end 30 s before them
        (700, 600, 600),
    ],
)
def test_a_part_url_ends_30_s_before_its_credentials(seconds_left: int, asked: int, expected: int) -> None:
    assert expires_of(client_with(refreshable(seconds_left)), expires_in=asked) == expected


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_credentials_due_for_refresh_are_refreshed_before_the_expiry_is_read() -> None:
    def renewed() -> dict[str, str]:
        return {
            "access_key": "AKIDRENEWED",
            "secret_key": "renewed-secret",
            "token": "renewed-token",
            "expiry_time": (START + timedelta(hours=1)).isoformat(),
        }

    client = client_with(refreshable(700, refresh=renewed))

    part = presign_part(client, INGEST, KEY, "mpu-id", 1, content_length=PART, now=at_start)

    query = query_of(part["url"])
    assert query["X-Amz-Expires"] == "900"
    assert query["X-Amz-Credential"].startswith("AKIDRENEWED/")
    assert query["X-Amz-Security-Token"] == "renewed-token"
    assert verify_sigv4_url("PUT", part["url"], SENT, secret="renewed-secret", now=datetime.now(UTC)).ok


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_deferred_credentials_are_fetched_then_bounded() -> None:
    def fetch() -> dict[str, str]:
        return {
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "token": "t",
            "expiry_time": (START + timedelta(seconds=2000)).isoformat(),
        }

    credentials = DeferredRefreshableCredentials(fetch, "test", time_fetcher=lambda: START)

    assert expires_of(client_with(credentials)) == 900
    assert credentials.access_key == ACCESS_KEY


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_a_failed_mandatory_refresh_is_503_not_a_url() -> None:
    client = client_with(refreshable(500))  # inside botocore's 10-minute mandatory window, refresh fails

    with pytest.raises(StorageUnavailableError) as raised:
        presign_part(client, INGEST, KEY, "mpu-id", 1, content_length=PART, now=at_start)

    assert raised.value.status == 503


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_credentials_about_to_expire_give_no_url() -> None:
    client = client_with(refreshable(89, timeouts=(0, 0)))  # no refresh attempted; 59 s would be left

    with pytest.raises(StorageUnavailableError):
        presign_part(client, INGEST, KEY, "mpu-id", 1, content_length=PART, now=at_start)
    assert expires_of(client_with(refreshable(90, timeouts=(0, 0)))) == 60


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_credentials_without_an_expiry_give_what_was_asked() -> None:
    assert expires_of(client_with(Credentials(ACCESS_KEY, SECRET_KEY, "token")), expires_in=900) == 900


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_unreadable_signing_credentials_fail_closed() -> None:
    class RenamedExpiry(RefreshableCredentials):  # a botocore that keeps the expiry under another name
        def refresh_needed(self, refresh_in: float | None = None) -> bool:
            return False

    credentials = RenamedExpiry(ACCESS_KEY, SECRET_KEY, "t", START + timedelta(hours=1), dict, "test")
    client = client_with(credentials)
    delattr(credentials, "_expiry_time")

    with pytest.raises(ConfigurationError):
        presign_part(client, INGEST, KEY, "mpu-id", 1, content_length=PART)

    class NoCredentials:
        def generate_presigned_url(self, *args: Any, **kwargs: Any) -> str:
            raise AssertionError("must not sign")

    with pytest.raises(ConfigurationError):
        presign_part(NoCredentials(), INGEST, KEY, "mpu-id", 1, content_length=PART)  # type: ignore[arg-type]


# --- download URLs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["Q3 Ärger.pdf", 'quote" and ;.txt', None])
def test_a_download_url_signs_an_attachment_disposition(signer: Any, filename: str | None) -> None:
    url = presign_download(signer, INGEST, KEY, filename)

    query = query_of(url)
    assert query["response-content-disposition"] == content_disposition(filename)
    assert query["X-Amz-Expires"] == "300"
    assert query["X-Amz-SignedHeaders"] == "host"
    now = datetime.now(UTC)
    assert verify_sigv4_url("GET", url, {}, secret=SECRET_KEY, now=now).ok
    inline = replace_param(url, "response-content-disposition", "inline")
    assert verify_sigv4_url("GET", inline, {}, secret=SECRET_KEY, now=now) == (
        False,
        "signature does not match",
    )


def test_an_object_downloads_through_its_url_as_an_attachment(ingest: tuple[Any, str]) -> None:
    s3, _ = ingest
    s3.put_object(Bucket=INGEST, Key="documents/x/y", Body=b"%PDF-1.7 bytes", ContentType="application/pdf")

    url = presign_download(create_presigning_client(), INGEST, "documents/x/y", "Q3 Ärger.pdf", expires_in=60)
    response = requests.get(url, timeout=30)

    assert response.status_code == 200
    assert response.content == b"%PDF-1.7 bytes"
    assert response.headers["Content-Disposition"] == content_disposition("Q3 Ärger.pdf")
    assert query_of(url)["X-Amz-Expires"] == "60"


@pytest.mark.parametrize("expires_in", [0, MAX_DOWNLOAD_URL_SECONDS + 1])
def test_download_url_lifetimes_beyond_5_minutes_are_refused(signer: Any, expires_in: int) -> None:
    with pytest.raises(ValueError, match="expires_in"):
        presign_download(signer, INGEST, KEY, None, expires_in=expires_in)


@pytest.mark.usefixtures("_moto", "aws_credentials")
def test_a_download_url_ends_30_s_before_its_credentials() -> None:
    url = presign_download(client_with(refreshable(200, timeouts=(0, 0))), INGEST, KEY, None, now=at_start)

    assert query_of(url)["X-Amz-Expires"] == "170"
