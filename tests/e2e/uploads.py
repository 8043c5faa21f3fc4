"""Driving large uploads (``/uploads``, DESIGN §4.2) over HTTP as a client would, and, in local mode, the
emulator behind them.

A client declares the file, PUTs its parts straight to the presigned URLs the API hands out (in parallel,
without any credentials of its own: the URL is the credential), completes, and polls the session until
the processor has decided. ``LocalIngest`` reaches local mode's emulator for what only local mode can do:
look at the ingest bucket, re-deliver an S3 event to the processor, move a session's deadline.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote_plus

import boto3
import httpx
import pytest

from local_mode.emulator import DEFAULT_INGEST_EVENTS_QUEUE, FAILED_EVENTS_SUFFIX, FAKE_CREDENTIALS
from tests.e2e.targets import DEFAULT_TIMEOUT_SECONDS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

    from tests.e2e.targets import ApiClient, Target

MIB: Final = 1024 * 1024
PARALLEL_PARTS: Final = 8
"""Parts in flight at once, as a client uploading a large file would send them."""
FINAL_STATUSES: Final = frozenset({"stored", "rejected"})
"""What the processor leaves a completed session in (``scanning`` only with the malware gate on)."""
PROCESSING_TIMEOUT_SECONDS: Final = 120.0
"""How long a completed upload may take to be decided (seconds for 100 MiB locally; generous for CI)."""
PART_TIMEOUT_SECONDS: Final = 120.0
_LINE: Final = "00000000 Grüße aus dem Dokumentenspeicher: eine große Datei, Zeile für Zeile.\n"


def sha256_hex(data: bytes) -> str:
    """The whole-file SHA-256 a session declares (64 lowercase hex digits)."""
    return hashlib.sha256(data).hexdigest()


def sha256_base64(data: bytes) -> str:
    """A part's checksum as S3 (and ``POST /uploads/{id}/parts``) spell it."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def large_text(size: int) -> bytes:
    """``size`` bytes of valid UTF-8 text (non-ASCII characters, no NUL), cheap to build at any size.

    Blocks of whole lines, each block starting with its own number, so no two parts are alike (a part
    put under the wrong number would change the file's SHA-256) and no character is cut in two.
    """
    template = (_LINE * (64 * 1024 // len(_LINE.encode()))).encode("utf-8")
    blocks = [f"{number:08d}".encode() + template[8:] for number in range(-(-size // len(template)))]
    data = b"".join(blocks)
    cut = data.rfind(b"\n", 0, size) + 1  # end on a whole line, then pad with ASCII to the exact size
    return data[:cut] + b"." * (size - cut - 1) + b"\n" if cut < size else data[:size]


def declaration(
    data: bytes,
    content_type: str,
    *,
    filename: str = "large file.txt",
    size: int | None = None,
    sha256: str | None = None,
    part_checksums: bool | None = None,
) -> dict[str, Any]:
    """The ``POST /uploads`` body for ``data`` (``size``/``sha256`` override what is declared;
    ``part_checksums`` sends the optional ``partChecksums``)."""
    body: dict[str, Any] = {
        "filename": filename,
        "contentType": content_type,
        "size": len(data) if size is None else size,
        "sha256": sha256_hex(data) if sha256 is None else sha256,
    }
    if part_checksums is not None:
        body["partChecksums"] = part_checksums
    return body


def part_bytes(data: bytes, session: dict[str, Any], part_number: int) -> bytes:
    """Part ``part_number`` of ``data`` under the session's plan (``partSize`` each, the last shorter)."""
    size = int(session["partSize"])
    return data[(part_number - 1) * size : part_number * size]


@dataclass
class Uploader:
    """One caller's large uploads: the API client for ``/uploads``, a plain HTTP client for the parts."""

    api: ApiClient
    parts_http: httpx.Client

    @classmethod
    def of(cls, api: ApiClient) -> Uploader:
        """An uploader for ``api``'s caller (close it with ``close``)."""
        return cls(api=api, parts_http=httpx.Client(timeout=PART_TIMEOUT_SECONDS))

    def close(self) -> None:
        """Close the part client."""
        self.parts_http.close()

    def create(self, body: dict[str, Any], **headers: str) -> httpx.Response:
        """``POST /uploads``."""
        return self.api.request("POST", "/uploads", json=body, headers=headers)

    def start(self, data: bytes, content_type: str, **declared: Any) -> dict[str, Any]:
        """A new session for ``data`` (asserting the 201 and its shape); its JSON with the first parts."""
        response = self.create(declaration(data, content_type, **declared))
        assert response.status_code == 201, response.text
        session: dict[str, Any] = response.json()
        assert session["status"] == "awaiting-parts"
        assert response.headers["location"].endswith(f"/uploads/{session['id']}")
        return session

    def put_part(self, part: dict[str, Any], data: bytes) -> httpx.Response:
        """PUT one part to its presigned URL with exactly the headers the API said to send."""
        return self.parts_http.put(part["url"], content=data, headers=part["headers"])

    def put_parts(
        self, session: dict[str, Any], data: bytes, parts: Iterable[dict[str, Any]] | None = None
    ) -> list[dict[str, Any]]:
        """Upload every part of ``data`` in parallel (``PARALLEL_PARTS`` at a time); the complete body's
        ``parts``: each part's number and the ETag S3 answered, ascending."""
        urls = {int(part["partNumber"]): part for part in (session["parts"] if parts is None else parts)}
        assert sorted(urls) == list(range(1, int(session["partCount"]) + 1)), "a URL for every part"

        def put(number: int) -> dict[str, Any]:
            response = self.put_part(urls[number], part_bytes(data, session, number))
            assert response.status_code == 200, response.text
            return {"partNumber": number, "etag": response.headers["etag"]}

        with ThreadPoolExecutor(max_workers=PARALLEL_PARTS) as pool:
            return list(pool.map(put, sorted(urls)))

    def sign(self, upload_id: str, body: dict[str, Any]) -> httpx.Response:
        """``POST /uploads/{id}/parts``."""
        return self.api.request("POST", f"/uploads/{upload_id}/parts", json=body)

    def complete(self, upload_id: str, parts: list[dict[str, Any]]) -> httpx.Response:
        """``POST /uploads/{id}/complete``."""
        return self.api.request("POST", f"/uploads/{upload_id}/complete", json={"parts": parts})

    def get(self, upload_id: str) -> httpx.Response:
        """``GET /uploads/{id}``."""
        return self.api.request("GET", f"/uploads/{upload_id}")

    def abort(self, upload_id: str) -> httpx.Response:
        """``DELETE /uploads/{id}``."""
        return self.api.request("DELETE", f"/uploads/{upload_id}")

    def wait(self, upload_id: str, *, timeout: float = PROCESSING_TIMEOUT_SECONDS) -> dict[str, Any]:
        """Poll ``GET /uploads/{id}`` until the processor has decided; a stored document is remembered
        for clean-up."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(upload_id)
            assert response.status_code == 200, response.text
            session: dict[str, Any] = response.json()
            if session["status"] in FINAL_STATUSES:
                if session.get("documentId"):
                    self.api.created.append(session["documentId"])
                return session
            if time.monotonic() > deadline:
                pytest.fail(f"upload {upload_id} still {session['status']!r} after {timeout} s")
            time.sleep(0.2)

    def upload(self, data: bytes, content_type: str, **declared: Any) -> dict[str, Any]:
        """The whole flow: start, put every part, complete (202), wait; the final session."""
        session = self.start(data, content_type, **declared)
        completed = self.complete(session["id"], self.put_parts(session, data))
        assert completed.status_code == 202, completed.text
        assert completed.json()["status"] in {"processing", *FINAL_STATUSES}
        return self.wait(session["id"])


def multipart_etag(parts: list[dict[str, Any]]) -> str:
    """The ETag S3 gives a completed multipart object: MD5 of the parts' MD5s, then ``-<part count>``."""
    digests = b"".join(bytes.fromhex(str(part["etag"]).strip('"')) for part in parts)
    return f"{hashlib.md5(digests, usedforsecurity=False).hexdigest()}-{len(parts)}"


def require_local(target: Target, why: str) -> LocalIngest:
    """The emulator behind local mode; skips (saying ``why`` the test needs it) against a deployed stack."""
    if target.deployed or target.s3_endpoint_url is None:
        pytest.skip(f"local mode only: {why}")
    return LocalIngest(target)


class LocalIngest:
    """Local mode's emulator as the large-upload tests inspect it (fake credentials, loopback)."""

    def __init__(self, target: Target) -> None:
        if target.ingest_bucket is None or target.catalogue_table is None:
            raise ValueError("a local-mode target names its ingest bucket and catalogue table")
        self.bucket = target.ingest_bucket
        self.table = target.catalogue_table
        self.s3: S3Client = self._client("s3", target)
        self.sqs: SQSClient = self._client("sqs", target)
        self.dynamodb: DynamoDBClient = self._client("dynamodb", target)
        self.queue_url = self.sqs.get_queue_url(QueueName=DEFAULT_INGEST_EVENTS_QUEUE)["QueueUrl"]
        self.failed_queue_url = self.sqs.get_queue_url(
            QueueName=f"{DEFAULT_INGEST_EVENTS_QUEUE}{FAILED_EVENTS_SUFFIX}"
        )["QueueUrl"]

    @staticmethod
    def _client(service: str, target: Target) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=target.s3_endpoint_url,
            region_name=target.region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def ingest_key(self, upload_id: str) -> str:
        """The session's key in the ingest bucket, found from S3's open multipart uploads (while the
        session awaits parts: the test never computes owner keys itself)."""
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        [key] = {entry["Key"] for entry in uploads if entry["Key"].endswith(f"/{upload_id}")}
        return key

    def multipart_upload_open(self, key: str) -> bool:
        """Whether S3 still has an unfinished multipart upload at ``key``."""
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        return any(entry["Key"] == key for entry in uploads)

    def object_exists(self, key: str) -> bool:
        """Whether the ingest bucket holds an object at ``key``."""
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key).get("Contents", [])
        return any(entry["Key"] == key for entry in listed)

    def session_item_key(self, upload_id: str) -> dict[str, Any]:
        """The catalogue key of the session item of ``upload_id`` (found by scanning the local table)."""
        items = self.dynamodb.scan(
            TableName=self.table,
            FilterExpression="#id = :id AND begins_with(sk, :upload)",
            ExpressionAttributeNames={"#id": "id"},
            ExpressionAttributeValues={":id": {"S": upload_id}, ":upload": {"S": "UPLOAD#"}},
        )["Items"]
        [item] = items
        return {"pk": item["pk"], "sk": item["sk"]}

    def move_deadline(self, upload_id: str, expires_at: int) -> None:
        """Rewrite the session's ``expiresAt`` (its deadline while awaiting parts), as time passing would."""
        self.dynamodb.update_item(
            TableName=self.table,
            Key=self.session_item_key(upload_id),
            UpdateExpression="SET expiresAt = :at",
            ExpressionAttributeValues={":at": {"N": str(expires_at)}},
        )

    def redeliver(self, key: str, *, size: int, etag: str, times: int = 1) -> None:
        """Queue ``times`` copies of the ``ObjectCreated:CompleteMultipartUpload`` event of ``key`` for the
        processor (what S3's at-least-once delivery or a retry of the function hands it again)."""
        body = json.dumps(created_event(self.bucket, key, size=size, etag=etag))
        for _ in range(times):
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def wait_until_delivered(self, timeout: float = PROCESSING_TIMEOUT_SECONDS) -> None:
        """Until the processor's pump has handled (and deleted) every queued event."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            if set(attributes.values()) == {"0"}:
                return
            time.sleep(0.2)
        pytest.fail(f"the ingest events were not delivered within {timeout} s")

    def failed_events(self) -> int:
        """Events the processor failed on three times (its failure destination)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.failed_queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])


def created_event(bucket: str, key: str, *, size: int, etag: str) -> dict[str, Any]:
    """An ``ObjectCreated:CompleteMultipartUpload`` event in AWS's documented shape
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html)."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "eventName": "ObjectCreated:CompleteMultipartUpload",
                "userIdentity": {"principalId": "AWS:LOCALMODE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "E2E0REDELIVERED0", "x-amz-id-2": "e2e"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "processor",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "LOCALMODE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": size,
                        "eTag": etag,
                        "sequencer": f"{time.time_ns():016X}",
                    },
                },
            }
        ]
    }


def follow_download(api: ApiClient, document_id: str, **params: str) -> tuple[httpx.Response, httpx.Response]:
    """``GET /documents/{id}/content`` expecting a 303, then the redirect followed as ``curl -L`` would
    (a plain GET of ``Location``, none of the API's credentials); both responses."""
    redirect = api.request("GET", f"/documents/{document_id}/content", params=params)
    assert redirect.status_code == 303, redirect.text
    downloaded = httpx.get(redirect.headers["location"], timeout=DEFAULT_TIMEOUT_SECONDS)
    return redirect, downloaded
