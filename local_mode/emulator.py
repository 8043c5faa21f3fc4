"""The embedded AWS emulator: moto's threaded server on loopback (one port serves S3, DynamoDB and SQS),
with the documents bucket, the ingest bucket, the catalogue table and the S3 event queues set up like AWS.

The documents bucket gets what the deployed one has and moto implements: SSE-S3 default encryption,
versioning, all four public-access-block flags and ``BucketOwnerEnforced``. The ingest bucket (DESIGN
§4.2, the quarantine large uploads go to) gets the same encryption, public-access block and ownership,
no versioning, and its lifecycle rules (abort incomplete multipart uploads after 1 day, expire objects
after 2): moto stores lifecycle rules but never runs them, so locally nothing is cleaned up by age.
Neither bucket gets its bucket policy (TLS-only, VPC endpoint, our roles only, presigned-URL
conditions): moto stores bucket policies but does not evaluate their conditions, so the policy would
only suggest a protection that is not there.

The catalogue table is created from ``document_processor.catalogue_schema`` (the shape the Pulumi
component deploys). Where AWS invokes a function with S3 event notifications, the emulator sends the
same notifications to an SQS queue, whose message bodies are the ``{"Records": [...]}`` event AWS hands
to Lambda; ``local_mode.event_pump`` delivers them: ``s3:ObjectCreated:*`` and ``s3:ObjectRemoved:*``
under ``documents/`` of the documents bucket to the reconciler's queue, ``s3:ObjectCreated:*`` under
``ingest/`` of the ingest bucket to the processor's queue. A queue redrive (``EVENT_MAX_RECEIVES``) into
a failed-events queue plays each function's two asynchronous retries and its failure destination.

With ``malware_scan`` (``LOCAL_MALWARE_SCAN=1``) the ingest bucket's notifications also go to a
scan-request queue, which feeds the emulated GuardDuty scanner (``local_mode.scanner``), and a
scan-result queue stands for the EventBridge rule that invokes the processor with GuardDuty's result
events; both have the same redrive. (AWS would refuse two notification configurations for the same
events and prefix; GuardDuty needs none, it watches the bucket itself. moto accepts them and notifies
both queues.)

moto 5.2 sends no notification when ``DeleteObject`` on a versioned bucket creates a delete marker (AWS
sends ``ObjectRemoved:DeleteMarkerCreated``), and every delete of the API is one of those; it fails a
request that removes a key's last version when that is a delete marker, once notifications are on; it
sends an ``ObjectCreated:Put`` before the ``ObjectCreated:CompleteMultipartUpload`` of every completed
multipart upload (AWS sends only the latter); its records lack some of AWS's fields; and it answers
500 instead of 404 ``NoSuchUpload`` to a part or a complete of an upload no longer open. While an
emulator runs, ``_MotoGaps`` fills these gaps for the emulator's own buckets, so every record has AWS's
documented shape and AWS's events
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html). What moto
does not do at all is verify presigned URLs (signature, expiry, signed headers) or part checksums: any
URL to the emulator works, and local mode says so.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import quote_plus

import boto3
from moto.server import ThreadedMotoServer

from document_processor.catalogue_schema import create_table_arguments
from document_processor.documents import KEY_PREFIX
from document_processor.uploads import INGEST_PREFIX
from local_mode.errors import LocalModeError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from types import TracebackType

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.literals import EventType
    from mypy_boto3_sqs import SQSClient

LOOPBACK = "127.0.0.1"
DEFAULT_BUCKET_NAME = "local-documents"
"""Name of the local documents bucket."""
DEFAULT_INGEST_BUCKET = "local-ingest"
"""Name of the local ingest bucket (large uploads' quarantine)."""
DEFAULT_CATALOGUE_TABLE = "local-catalogue"
"""Name of the local catalogue table."""
DEFAULT_EVENTS_QUEUE = "local-document-events"
"""SQS queue receiving the bucket's event notifications (what invokes the reconciler when deployed)."""
DEFAULT_INGEST_EVENTS_QUEUE = "local-ingest-events"
"""SQS queue receiving the ingest bucket's notifications (what invokes the processor when deployed)."""
DEFAULT_SCAN_REQUESTS_QUEUE = "local-malware-scan-requests"
"""With ``malware_scan``: SQS queue receiving the ingest bucket's notifications for the emulated scanner
(GuardDuty watches the bucket itself when deployed)."""
DEFAULT_SCAN_RESULTS_QUEUE = "local-malware-scan-results"
"""With ``malware_scan``: SQS queue of the scan-result events (the EventBridge rule invoking the
processor when deployed)."""
FAILED_EVENTS_SUFFIX = "-failed"
"""Suffix of the queue events move to after ``EVENT_MAX_RECEIVES`` failed deliveries."""
EVENT_MAX_RECEIVES: Final = 3
"""Deliveries of one event before it moves to the failed queue: the first plus Lambda's 2 async retries."""
EVENT_VISIBILITY_TIMEOUT_SECONDS: Final = 5
"""How long a failed event stays hidden before the next delivery (Lambda backs off 1 min, then 2)."""
NOTIFIED_EVENTS: Final[tuple[EventType, ...]] = ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
"""The notifications the deployed bucket sends the reconciler (under ``documents/``)."""
INGEST_NOTIFIED_EVENTS: Final[tuple[EventType, ...]] = ("s3:ObjectCreated:*",)
"""The notifications the deployed ingest bucket sends the processor (under ``ingest/``)."""
INGEST_ABORT_INCOMPLETE_UPLOADS_DAYS: Final = 1
"""DESIGN §4.2: abandoned multipart uploads are aborted after a day (stored; moto never runs it)."""
INGEST_EXPIRE_OBJECTS_DAYS: Final = 2
"""DESIGN §4.2: objects left in the ingest bucket expire after two days (stored; moto never runs it)."""
DEFAULT_REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local-mode",
    "AWS_SECRET_ACCESS_KEY": "local-mode",
}
"""Credentials the emulator accepts; set so boto3 never searches for (or sends) real ones."""
DELETE_MARKER_CREATED = "s3:ObjectRemoved:DeleteMarkerCreated"
OBJECT_CREATED_PUT = "s3:ObjectCreated:Put"
OWNER_PRINCIPAL = "LOCALMODE"
"""Stands for the canonical user / principal ids AWS puts in event records."""
LOGGER = logging.getLogger("local_mode.emulator")


def create_documents_bucket(client: S3Client, bucket: str) -> None:
    """Create ``bucket`` with the deployed bucket's encryption, versioning and public-access settings."""
    _create_private_bucket(client, bucket)
    client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})


def create_ingest_bucket(client: S3Client, bucket: str) -> None:
    """Create the ingest bucket as deployed, as far as moto goes: encryption, public-access block and
    ownership like the vault, not versioned (a quarantine keeps no history), and its lifecycle rules,
    which moto stores but never applies."""
    _create_private_bucket(client, bucket)
    client.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "abort-incomplete-multipart-uploads",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "AbortIncompleteMultipartUpload": {
                        "DaysAfterInitiation": INGEST_ABORT_INCOMPLETE_UPLOADS_DAYS
                    },
                },
                {
                    "ID": "expire-quarantined-objects",
                    "Status": "Enabled",
                    "Filter": {"Prefix": ""},
                    "Expiration": {"Days": INGEST_EXPIRE_OBJECTS_DAYS},
                },
            ]
        },
    )


def _create_private_bucket(client: S3Client, bucket: str) -> None:
    """A bucket with SSE-S3 default encryption, every public-access-block flag and no ACLs."""
    client.create_bucket(Bucket=bucket, ObjectOwnership="BucketOwnerEnforced")
    client.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    client.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def create_events_queue(client: SQSClient, name: str) -> tuple[str, str]:
    """The event queue (with its failed-events redrive queue); returns the queue's URL and ARN."""
    failed_url = client.create_queue(QueueName=f"{name}{FAILED_EVENTS_SUFFIX}")["QueueUrl"]
    failed_arn = _queue_arn(client, failed_url)
    url = client.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(EVENT_VISIBILITY_TIMEOUT_SECONDS),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": failed_arn, "maxReceiveCount": EVENT_MAX_RECEIVES}
            ),
        },
    )["QueueUrl"]
    return url, _queue_arn(client, url)


def notify_queue(
    client: S3Client,
    bucket: str,
    queue_arn: str,
    *,
    events: tuple[EventType, ...] = NOTIFIED_EVENTS,
    prefix: str = KEY_PREFIX,
    configuration_id: str = "reconciler",
    also: Mapping[str, str] | None = None,
) -> None:
    """Send the bucket's ``events`` under ``prefix`` to ``queue_arn`` (by default: what the documents
    bucket sends the reconciler), and the same events to each queue ARN of ``also``, by configuration id
    (the emulated malware scanner's queue)."""
    targets = {configuration_id: queue_arn, **(also or {})}
    client.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": target_id,
                    "QueueArn": arn,
                    "Events": list(events),
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                }
                for target_id, arn in targets.items()
            ]
        },
    )


def _queue_arn(client: SQSClient, url: str) -> str:
    attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return attributes["QueueArn"]


@dataclass
class S3Emulator:
    """moto's server on a free loopback port, holding the documents and ingest buckets, the catalogue
    table and the two event queues; a context manager. (Named for what it first emulated; it serves every
    service moto has.)

    moto's backends are process-wide: two emulators in one process need names of their own.
    """

    bucket: str = DEFAULT_BUCKET_NAME
    """Documents bucket to create."""
    region: str = DEFAULT_REGION
    """Region the clients sign for."""
    catalogue_table: str = DEFAULT_CATALOGUE_TABLE
    """Catalogue table to create."""
    events_queue: str = DEFAULT_EVENTS_QUEUE
    """Queue receiving the documents bucket's event notifications (the reconciler's)."""
    ingest_bucket: str = DEFAULT_INGEST_BUCKET
    """Ingest bucket to create."""
    ingest_events_queue: str = DEFAULT_INGEST_EVENTS_QUEUE
    """Queue receiving the ingest bucket's event notifications (the processor's)."""
    malware_scan: bool = False
    """Also create the emulated malware scanner's queues (``LOCAL_MALWARE_SCAN=1``): the ingest bucket's
    notifications go to ``scan_requests_queue`` too; scan results go to ``scan_results_queue``. The
    functions then run with ``MALWARE_SCANNING=on`` (``local_mode.server.handler_environment``)."""
    scan_requests_queue: str = DEFAULT_SCAN_REQUESTS_QUEUE
    """With ``malware_scan``: the scanner's queue of the ingest bucket's notifications."""
    scan_results_queue: str = DEFAULT_SCAN_RESULTS_QUEUE
    """With ``malware_scan``: the queue of scan-result events for the processor."""
    _server: ThreadedMotoServer | None = field(default=None, init=False, repr=False)
    _endpoint_url: str | None = field(default=None, init=False, repr=False)
    _queue_url: str | None = field(default=None, init=False, repr=False)
    _ingest_queue_url: str | None = field(default=None, init=False, repr=False)
    _scan_requests_url: str | None = field(default=None, init=False, repr=False)
    _scan_results_url: str | None = field(default=None, init=False, repr=False)

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running emulator."""
        return self._running(self._endpoint_url)

    @property
    def events_queue_url(self) -> str:
        """URL of the documents bucket's event queue of the running emulator."""
        return self._running(self._queue_url)

    @property
    def ingest_events_queue_url(self) -> str:
        """URL of the ingest bucket's event queue of the running emulator."""
        return self._running(self._ingest_queue_url)

    @property
    def scan_requests_queue_url(self) -> str:
        """URL of the emulated scanner's request queue (``malware_scan`` only)."""
        return self._scanning(self._scan_requests_url)

    @property
    def scan_results_queue_url(self) -> str:
        """URL of the scan-result queue the processor is fed from (``malware_scan`` only)."""
        return self._scanning(self._scan_results_url)

    def _scanning(self, value: str | None) -> str:
        self._running(self._endpoint_url)
        if value is None:
            raise LocalModeError("this emulator runs without malware_scan: it has no scanner queues")
        return value

    @staticmethod
    def _running(value: str | None) -> str:
        if value is None:
            raise LocalModeError("the AWS emulator is not running; call start() first")
        return value

    def client(self) -> S3Client:
        """An S3 client for the emulator, with the fake credentials."""
        client: S3Client = self._client("s3")
        return client

    def dynamodb_client(self) -> DynamoDBClient:
        """A DynamoDB client for the emulator, with the fake credentials."""
        client: DynamoDBClient = self._client("dynamodb")
        return client

    def sqs_client(self) -> SQSClient:
        """An SQS client for the emulator, with the fake credentials."""
        client: SQSClient = self._client("sqs")
        return client

    def _client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def start(self) -> str:
        """Start the server on a free port, create buckets, table and queues, return the endpoint URL."""
        server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
        server.start()
        self._server = server
        _MotoGaps.acquire(self._buckets)
        host, port = server.get_host_and_port()
        self._endpoint_url = f"http://{host}:{port}"
        try:
            s3, sqs = self.client(), self.sqs_client()
            create_documents_bucket(s3, self.bucket)
            create_ingest_bucket(s3, self.ingest_bucket)
            self.dynamodb_client().create_table(**create_table_arguments(self.catalogue_table))
            self._queue_url, queue_arn = create_events_queue(sqs, self.events_queue)
            notify_queue(s3, self.bucket, queue_arn)
            self._ingest_queue_url, ingest_arn = create_events_queue(sqs, self.ingest_events_queue)
            scanner: dict[str, str] = {}  # configuration id -> queue ARN
            if self.malware_scan:
                self._scan_requests_url, requests_arn = create_events_queue(sqs, self.scan_requests_queue)
                self._scan_results_url, _ = create_events_queue(sqs, self.scan_results_queue)
                scanner["malware-scanner"] = requests_arn
            notify_queue(
                s3,
                self.ingest_bucket,
                ingest_arn,
                events=INGEST_NOTIFIED_EVENTS,
                prefix=INGEST_PREFIX,
                configuration_id="processor",
                also=scanner,
            )
        except Exception:
            self.stop()
            raise
        return self._endpoint_url

    def stop(self) -> None:
        """Stop the server (idempotent); the documents, items and events it held are gone."""
        if self._server is not None:
            self._server.stop()
            self._server = None
            self._endpoint_url = None
            self._queue_url = None
            self._ingest_queue_url = None
            self._scan_requests_url = None
            self._scan_results_url = None
            _MotoGaps.release(self._buckets)

    @property
    def _buckets(self) -> frozenset[str]:
        return frozenset({self.bucket, self.ingest_bucket})

    def __enter__(self) -> S3Emulator:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _MotoGaps:
    """Fills the gaps in moto's S3 notifications and multipart uploads while emulators run.

    Notifications: moto 5.2 sends nothing when ``DeleteObject`` on a versioned bucket creates a delete
    marker (AWS sends ``ObjectRemoved:DeleteMarkerCreated``), fails the request (``AttributeError``) when
    removing a key's last version that is itself a delete marker (AWS sends ``ObjectRemoved:Delete``),
    sends an ``ObjectCreated:Put`` for every ``CompleteMultipartUpload`` (it stores the assembled object
    with its own ``put_object``) before the ``ObjectCreated:CompleteMultipartUpload`` AWS sends alone, and
    leaves out fields of the records it does send (``userIdentity``, ``requestParameters``,
    ``responseElements``, the bucket's ``ownerIdentity``, the object's ``versionId`` and ``sequencer``; it
    also encodes "/" in keys). Multipart uploads: ``UploadPart`` and ``CompleteMultipartUpload`` of an
    upload that was aborted or completed fail with a 500 (a ``KeyError``) where AWS answers 404
    ``NoSuchUpload`` (the API treats a ``NoSuchUpload`` on complete as an earlier complete's success).

    moto's backends are process-wide (an in-process ``mock_aws`` shares them), so the fix wraps three
    ``S3Backend`` methods and two functions of ``moto.s3.notifications`` for as long as at least one
    emulator runs, acts only on the buckets running emulators created (anyone else's moto keeps moto's
    behaviour), and puts moto back when the last emulator stops.
    """

    _lock = threading.Lock()
    _users = 0
    buckets: frozenset[str] = frozenset()
    """Buckets of the running emulators: the only ones whose behaviour is completed."""
    _originals: dict[tuple[Any, str], Any] | None = None

    @classmethod
    def acquire(cls, buckets: frozenset[str]) -> None:
        from moto.s3 import notifications
        from moto.s3.models import S3Backend

        wrappers: dict[tuple[Any, str], Callable[[Any], Any]] = {
            (S3Backend, "delete_object"): _with_delete_marker_event,
            (S3Backend, "upload_part"): _no_such_upload,
            (S3Backend, "complete_multipart_upload"): _no_such_upload,
            (notifications, "send_event"): _as_aws_sends,
            (notifications, "_get_s3_event"): _completed_records,
        }
        with cls._lock:
            cls.buckets |= buckets
            if cls._users == 0:
                cls._originals = {}
                for (owner, name), wrap in wrappers.items():
                    original = getattr(owner, name)
                    cls._originals[owner, name] = original
                    setattr(owner, name, wrap(original))
            cls._users += 1

    @classmethod
    def release(cls, buckets: frozenset[str]) -> None:
        with cls._lock:
            cls.buckets -= buckets
            cls._users -= 1
            if cls._users == 0 and cls._originals is not None:
                for (owner, name), original in cls._originals.items():
                    setattr(owner, name, original)
                cls._originals = None


def _no_such_upload(original: Callable[..., Any]) -> Callable[..., Any]:
    """An ``S3Backend`` method taking ``(bucket_name, multipart_id, ...)``: ``NoSuchUpload`` (404, as AWS
    answers) instead of moto's ``KeyError`` (500) for an upload that is no longer open."""

    @functools.wraps(original)
    def call(backend: Any, bucket_name: str, multipart_id: str, *args: Any, **kwargs: Any) -> Any:
        ours = bucket_name in _MotoGaps.buckets
        if ours and multipart_id not in backend.get_bucket(bucket_name).multiparts:
            from moto.s3.exceptions import NoSuchUpload

            raise NoSuchUpload(upload_id=multipart_id)
        return original(backend, bucket_name, multipart_id, *args, **kwargs)

    return call


def _with_delete_marker_event(
    original: Callable[..., tuple[bool, dict[str, Any]]],
) -> Callable[..., tuple[bool, dict[str, Any]]]:
    @functools.wraps(original)
    def delete_object(
        backend: Any, bucket_name: str, key_name: str, version_id: str | None = None, bypass: bool = False
    ) -> tuple[bool, dict[str, Any]]:
        deleted, meta = original(backend, bucket_name, key_name, version_id, bypass)
        ours = bucket_name in _MotoGaps.buckets
        if ours and version_id is None and meta.get("delete-marker") == "true":
            _notify(
                backend.account_id, backend.get_bucket(bucket_name), key_name, DELETE_MARKER_CREATED, meta
            )
        return deleted, meta

    return delete_object


def _as_aws_sends(original: Callable[..., None]) -> Callable[..., None]:
    """``send_event`` for our buckets: a delete marker removed for good is notified (moto would fail),
    and the ``Put`` of an assembled multipart upload is not (its ``CompleteMultipartUpload`` follows)."""

    @functools.wraps(original)
    def send_event(account_id: str, event_name: Any, bucket: Any, key: Any) -> None:
        ours = getattr(bucket, "name", None) in _MotoGaps.buckets
        name = str(getattr(event_name, "value", event_name))
        if ours and name == OBJECT_CREATED_PUT and getattr(key, "multipart", None) is not None:
            return  # moto's put_object inside complete_multipart_upload: AWS sends no Put for it
        if ours and key is not None and not hasattr(key, "etag"):  # a delete marker, removed for good
            _notify(
                account_id,
                bucket,
                key.name,
                name,
                {"version-id": getattr(key, "version_id", None)},
            )
            return
        original(account_id, event_name, bucket, key)

    return send_event


def _completed_records(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    @functools.wraps(original)
    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        if bucket.name not in _MotoGaps.buckets:
            return event
        for record in event.get("Records", []):
            record.update(_request_fields())
            record["s3"]["bucket"]["ownerIdentity"] = {"principalId": OWNER_PRINCIPAL}
            target = record["s3"]["object"]
            target["key"] = quote_plus(key.name, safe="/")
            if getattr(key, "version_id", None) and bucket.is_versioned:
                target["versionId"] = str(key.version_id)
            target["sequencer"] = _sequencer()
        return event

    return get_s3_event


def _request_fields() -> dict[str, Any]:
    """The request-describing fields of an S3 event record (who, from where, which request)."""
    return {
        "userIdentity": {"principalId": f"AWS:{OWNER_PRINCIPAL}"},
        "requestParameters": {"sourceIPAddress": LOOPBACK},
        "responseElements": {
            "x-amz-request-id": secrets.token_hex(8).upper(),
            "x-amz-id-2": secrets.token_urlsafe(48),
        },
    }


def _sequencer() -> str:
    """Hex that grows with time, like S3's per-key sequencer."""
    return f"{time.time_ns():016X}"


def _notify(account_id: str, bucket: Any, key: str, event_name: str, meta: dict[str, Any]) -> None:
    """Queue a delete notification; like S3's (asynchronous), a failure never fails the request."""
    try:
        _send_delete_event(account_id, bucket, key, event_name, str(meta.get("version-id") or ""))
    except Exception:
        LOGGER.exception("Could not send an S3 delete notification")


def delete_event(
    *,
    bucket: str,
    region: str,
    key: str,
    version_id: str,
    configuration_id: str,
    event_name: str = DELETE_MARKER_CREATED,
) -> dict[str, Any]:
    """The notification S3 sends for a delete (AWS's documented shape: no size or eTag on a delete)."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                "eventName": event_name.removeprefix("s3:"),
                **_request_fields(),
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": configuration_id,
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": OWNER_PRINCIPAL},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    # The key is URL-encoded, "/" kept.
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "versionId": version_id,
                        "sequencer": _sequencer(),
                    },
                },
            }
        ]
    }


def _send_delete_event(account_id: str, bucket: Any, key: str, event_name: str, version_id: str) -> None:
    """Queue the notification for every queue configuration of ``bucket`` that asks for it."""
    configuration = bucket.notification_configuration
    if configuration is None:
        return
    from moto.sqs.models import sqs_backends

    for notification in configuration.queue:
        if not notification.matches(event_name, key):
            continue
        _, _, _, region, account, queue_name = notification.arn.split(":", 5)
        body = delete_event(
            bucket=bucket.name,
            region=bucket.region_name,
            key=key,
            version_id=version_id,
            configuration_id=notification.id,
            event_name=event_name,
        )
        sqs_backends[account or account_id][region].send_message(
            queue_name=queue_name, message_body=json.dumps(body)
        )
