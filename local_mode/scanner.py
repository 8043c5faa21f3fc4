"""Local mode's emulated malware scanner (``LOCAL_MALWARE_SCAN=1``, DESIGN §4.3): GuardDuty Malware
Protection for S3 as far as the processor can tell, and no further.

When deployed, GuardDuty scans every new object under ``ingest/`` of the protected ingest bucket, tags
it ``GuardDutyMalwareScanStatus`` = the result and publishes a "GuardDuty Malware Protection Object
Scan Result" event on the default EventBridge bus, which a rule sends to the processor. Locally the
ingest bucket's ``ObjectCreated`` notifications also go to a scan-request queue; an ``EventPump`` hands
each to ``MalwareScanner.handle`` (a failure is retried like a Lambda's), which reads the object, tags
it and sends the result event, in GuardDuty's documented shape, to the scan-result queue, whose pump
invokes the processor's ``lambda_handler``. The tag, the event's source and detail-type and the results
are ``document_processor.malware_scan``'s, the names the processor and the stack's rule use.

**Detection is the standard EICAR anti-malware test file and nothing else**
(https://www.eicar.org/download-anti-malware-testfile/): a file that starts with the 68-character
EICAR string, optionally followed by whitespace (space, tab, LF, CR, Ctrl-Z only), 128 bytes at most.
The string inside a larger file, after other bytes, or followed by anything but that whitespace is not
the test file. Every other object is ``NO_THREATS_FOUND``: this is not a malware scanner, and no
content makes it report ``UNSUPPORTED``, ``ACCESS_DENIED`` or ``FAILED`` (the end-to-end tests reach
those by sending the result event themselves). moto does not evaluate bucket policies, so the deployed
ingest policy's tag-based read deny is not enforced locally: the processor's own check of the tag
before it promotes an object is what holds the line here.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TextIO
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

from document_processor.malware_scan import EVENT_DETAIL_TYPE, EVENT_SOURCE, SCAN_STATUS_TAG, ScanResult

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import TagTypeDef
    from mypy_boto3_sqs import SQSClient

EICAR: Final = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
"""The 68-byte EICAR test string (the third character is the letter O, not the digit zero)."""
EICAR_MAX_BYTES: Final = 128
"""The EICAR file, trailing whitespace included, is at most this long."""
EICAR_TRAILING_WHITESPACE: Final = frozenset(b" \t\n\r\x1a")
"""The only bytes allowed after the string: space, tab, LF, CR, Ctrl-Z."""
EICAR_THREAT_NAME: Final = "EICAR-Test-File (not a virus)"
"""The threat name the emulation reports for the EICAR file (the processor quotes it to the caller)."""
SCAN_STATUS_OF_RESULT: Final = {
    ScanResult.NO_THREATS_FOUND: "COMPLETED",
    ScanResult.THREATS_FOUND: "COMPLETED",
    ScanResult.UNSUPPORTED: "SKIPPED",
    ScanResult.ACCESS_DENIED: "SKIPPED",
    ScanResult.FAILED: "FAILED",
}
"""``detail.scanStatus`` of each result: a scan completed, was skipped, or failed
(https://docs.aws.amazon.com/guardduty/latest/ug/monitoring-malware-protection-s3-scans-gdu.html)."""
LOCAL_ACCOUNT: Final = "123456789012"
"""moto's account id, the ``account`` of the event and of the plan's ARN."""
LOCAL_PLAN_ID: Final = "localmodeplan"
"""Id of the (emulated) malware protection plan, in the event's ``resources``."""
SCANNER_FUNCTION_NAME: Final = "guardduty-malware-scan-local"
"""What the scanner's pump calls itself in its messages (GuardDuty is no function when deployed)."""
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


def is_eicar(data: bytes) -> bool:
    """Whether ``data`` is the EICAR test file: the string first, then only the allowed whitespace,
    ``EICAR_MAX_BYTES`` in all at most."""
    return (
        len(data) <= EICAR_MAX_BYTES
        and data.startswith(EICAR)
        and all(byte in EICAR_TRAILING_WHITESPACE for byte in data[len(EICAR) :])
    )


def scan_result_event(
    *,
    bucket: str,
    key: str,
    etag: str,
    version_id: str | None,
    result: ScanResult,
    region: str,
    threats: tuple[str, ...] = (),
    now: datetime | None = None,
) -> dict[str, Any]:
    """The EventBridge event GuardDuty publishes for one scanned object, in its documented shape
    (https://docs.aws.amazon.com/guardduty/latest/ug/monitor-with-eventbridge-s3-malware-protection.html):
    ``threats`` is a list of ``{"name"}`` objects with ``THREATS_FOUND``, ``null`` otherwise."""
    at = now or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": EVENT_DETAIL_TYPE,
        "source": EVENT_SOURCE,
        "account": LOCAL_ACCOUNT,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:guardduty:{region}:{LOCAL_ACCOUNT}:malware-protection-plan/{LOCAL_PLAN_ID}"],
        "detail": {
            "schemaVersion": "1.0",
            "scanStatus": SCAN_STATUS_OF_RESULT[result],
            "resourceType": "S3_OBJECT",
            "s3ObjectDetails": {
                "bucketName": bucket,
                "objectKey": key,
                "eTag": etag,
                "versionId": version_id,
                "s3Throttled": False,
            },
            "scanResultDetails": {
                "scanResultStatus": str(result),
                "threats": [{"name": name} for name in threats] if threats else None,
            },
        },
    }


@dataclass
class MalwareScanner:
    """Scans the objects the ingest bucket's ``ObjectCreated`` events name; an ``EventPump`` handler.

    ``result_queue_url`` is the queue scan-result events go to (locally what the EventBridge rule is);
    one line per scan goes to ``err``, so the terminal shows each verdict.
    """

    s3: S3Client
    sqs: SQSClient
    result_queue_url: str
    region: str
    err: TextIO = field(default=sys.stderr)

    def handle(self, event: dict[str, Any], context: Any) -> None:
        """Scan every object the S3 event names; an error raises, so the pump delivers the event again."""
        for record in event.get("Records", []):
            if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
                continue
            self.scan(record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"]))

    def scan(self, bucket: str, key: str) -> ScanResult | None:
        """Read, judge, tag and report one object; ``None`` when it is gone already (nothing to scan:
        GuardDuty then reports nothing the processor would act on)."""
        try:
            head = self.s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _MISSING:
                self._say(f"{key}: gone before it was scanned; no result sent")
                return None
            raise
        etag = head["ETag"]
        # Nothing longer than EICAR_MAX_BYTES can be the test file: larger objects are not read at all.
        data = b""
        if head["ContentLength"] <= EICAR_MAX_BYTES:
            data = self.s3.get_object(Bucket=bucket, Key=key, IfMatch=etag)["Body"].read()
        threats = (EICAR_THREAT_NAME,) if is_eicar(data) else ()
        result = ScanResult.THREATS_FOUND if threats else ScanResult.NO_THREATS_FOUND
        self._tag(bucket, key, result)
        event = scan_result_event(
            bucket=bucket,
            key=key,
            etag=etag.strip('"'),
            version_id=head.get("VersionId"),
            result=result,
            region=self.region,
            threats=threats,
        )
        self.sqs.send_message(QueueUrl=self.result_queue_url, MessageBody=json.dumps(event))
        self._say(f"{key}: {result}" + (f" ({', '.join(threats)})" if threats else ""))
        return result

    def _tag(self, bucket: str, key: str, result: ScanResult) -> None:
        """Set ``SCAN_STATUS_TAG`` = ``result``, keeping the object's other tags, as GuardDuty does."""
        tags: list[TagTypeDef] = [
            {"Key": tag["Key"], "Value": tag["Value"]}
            for tag in self.s3.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
            if tag["Key"] != SCAN_STATUS_TAG
        ]
        tags.append({"Key": SCAN_STATUS_TAG, "Value": str(result)})
        self.s3.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": tags})

    def _say(self, text: str) -> None:
        print(f"Local mode: emulated malware scan (EICAR test file only): {text}", file=self.err, flush=True)
