"""Local mode's emulated GuardDuty Malware Protection for S3 (``LOCAL_MALWARE_SCAN=1``, DESIGN §4.3).

The EICAR test file is recognised exactly as eicar.org defines it and nothing else is; the scanner, run
against the in-process emulator (moto), tags each object ``GuardDutyMalwareScanStatus`` and sends a
result event that ``document_processor.malware_scan``'s parser reads back; wired as ``serve`` wires it
(``malware_scan_pumps``), its events drive the real processor to ``stored`` or ``malware_detected``, and
the results it never produces (sent here by the test, the scanner not pumped) to ``scan_failed``. The
banner and the functions' environment say whether the gate is on.

The EICAR string is never in a file of this suite: it is ``local_mode.scanner.EICAR``, checked against
the published digests of eicar.com, and every variant is built from it in memory.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import pytest

from document_processor.catalogue import Catalogue
from document_processor.identity import normalise_principal
from document_processor.ids import new_document_id
from document_processor.ingest_validation import RejectionCode
from document_processor.malware_scan import (
    EVENT_DETAIL_TYPE,
    EVENT_SOURCE,
    SCAN_STATUS_TAG,
    ScanResult,
    ScanResultEvent,
    is_scan_result_event,
    parse_scan_result_event,
)
from document_processor.settings import TEXT
from document_processor.uploads import UploadRequest, UploadStatus, ingest_key, new_session
from local_mode.emulator import S3Emulator
from local_mode.errors import LocalModeError
from local_mode.event_pump import PROCESSOR_FUNCTION_NAME
from local_mode.scanner import (
    EICAR,
    EICAR_MAX_BYTES,
    EICAR_THREAT_NAME,
    SCANNER_FUNCTION_NAME,
    MalwareScanner,
    is_eicar,
    scan_result_event,
)
from local_mode.server import banner, handler_environment, malware_scan_lines, malware_scan_pumps
from tests.unit.local_mode.test_event_pump import processor_handler

if TYPE_CHECKING:
    from collections.abc import Iterator

    from document_processor.uploads import UploadSession
    from local_mode.event_pump import EventPump

CALLER = normalise_principal("arn:aws:iam::000000000000:user/alice")
EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
"""SHA-256 of eicar.com, the 68-byte test file, as eicar.org and every antivirus vendor publish it."""
EICAR_MD5 = "44d88612fea8a8f36de82e1278abb02f"
"""Its MD5, as published."""
CLEAN = b"quarterly figures, nothing to see here\n"
PUMP_WAIT_SECONDS = 5


def new_emulator(prefix: str, *, malware_scan: bool) -> S3Emulator:
    """An emulator with names of its own (moto's backends are process-wide: each emulator needs its own)."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    return S3Emulator(
        bucket=name,
        catalogue_table=name,
        events_queue=name,
        ingest_bucket=f"{name}-ingest",
        ingest_events_queue=f"{name}-ingest",
        malware_scan=malware_scan,
        scan_requests_queue=f"{name}-scan-requests",
        scan_results_queue=f"{name}-scan-results",
    )


@pytest.fixture(scope="module")
def emulator() -> Iterator[S3Emulator]:
    """An emulator with the scanner's queues (``LOCAL_MALWARE_SCAN=1``)."""
    with new_emulator("scan", malware_scan=True) as running:
        yield running


@pytest.fixture(scope="module")
def unscanned() -> Iterator[S3Emulator]:
    """An emulator as local mode starts by default: no scanner."""
    with new_emulator("noscan", malware_scan=False) as running:
        yield running


@pytest.fixture
def results(emulator: S3Emulator) -> str:
    """A result queue of this test's own, so no other test's event is read as this one's."""
    return emulator.sqs_client().create_queue(QueueName=f"results-{uuid.uuid4().hex[:12]}")["QueueUrl"]


@pytest.fixture
def said() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def scanner(emulator: S3Emulator, results: str, said: io.StringIO) -> MalwareScanner:
    return MalwareScanner(emulator.client(), emulator.sqs_client(), results, emulator.region, err=said)


def drain(emulator: S3Emulator, queue_url: str) -> list[dict[str, Any]]:
    """Every message body queued so far, removed."""
    sqs = emulator.sqs_client()
    bodies: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def put(emulator: S3Emulator, data: bytes, *, key: str | None = None, tagging: str | None = None) -> str:
    """``data`` as a new object in the ingest bucket (at a fresh ingest key by default); its key."""
    key = key or ingest_key(CALLER.owner_key, new_document_id())
    if tagging is None:
        emulator.client().put_object(Bucket=emulator.ingest_bucket, Key=key, Body=data)
    else:
        emulator.client().put_object(Bucket=emulator.ingest_bucket, Key=key, Body=data, Tagging=tagging)
    return key


def tags_of(emulator: S3Emulator, key: str) -> dict[str, str]:
    tag_set = emulator.client().get_object_tagging(Bucket=emulator.ingest_bucket, Key=key)["TagSet"]
    return {tag["Key"]: tag["Value"] for tag in tag_set}


def notification_of(emulator: S3Emulator, key: str) -> dict[str, Any]:
    """The ``ObjectCreated`` notification the ingest bucket sent the scan-request queue for ``key``
    (others queued meanwhile are removed)."""
    sqs = emulator.sqs_client()
    deadline = time.monotonic() + PUMP_WAIT_SECONDS
    while time.monotonic() < deadline:
        response = sqs.receive_message(
            QueueUrl=emulator.scan_requests_queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in response.get("Messages", []):
            sqs.delete_message(
                QueueUrl=emulator.scan_requests_queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
            event: dict[str, Any] = json.loads(message["Body"])
            records = event.get("Records", [])
            if records and unquote_plus(records[0]["s3"]["object"]["key"]) == key:
                return event
    pytest.fail(f"no notification for {key!r} on the scan-request queue")


# --- is_eicar -------------------------------------------------------------------------------------------


def test_the_eicar_constant_is_the_published_test_file() -> None:
    assert len(EICAR) == 68
    assert hashlib.sha256(EICAR).hexdigest() == EICAR_SHA256
    assert hashlib.md5(EICAR, usedforsecurity=False).hexdigest() == EICAR_MD5
    assert EICAR[2:3] == b"O"  # the letter O, not the digit zero


@pytest.mark.parametrize(
    "data",
    [
        EICAR,
        EICAR + b"\n",
        EICAR + b"\r\n",
        EICAR + b" \t\x1a",
        EICAR + b" " * (EICAR_MAX_BYTES - len(EICAR)),
    ],
    ids=["exact", "LF", "CRLF", "space tab ctrl-z", "padded to 128 bytes"],
)
def test_the_test_file_is_recognised_with_its_allowed_trailing_whitespace(data: bytes) -> None:
    assert is_eicar(data)


@pytest.mark.parametrize(
    "data",
    [
        EICAR + b" " * (EICAR_MAX_BYTES - len(EICAR) + 1),
        b" " + EICAR,
        b"%PDF-1.7\n" + EICAR,
        EICAR + b"x",
        EICAR + b"\n" + b"more text",
        EICAR + b"\x00",
        EICAR[:2] + b"0" + EICAR[3:],
        EICAR[:-1],
        b"",
        CLEAN,
    ],
    ids=[
        "129 bytes",
        "after whitespace",
        "after other bytes",
        "followed by a letter",
        "followed by more lines",
        "followed by NUL",
        "digit zero for the letter O",
        "truncated",
        "empty",
        "clean text",
    ],
)
def test_anything_else_is_not_the_test_file(data: bytes) -> None:
    assert not is_eicar(data)


# --- the scanner against moto ---------------------------------------------------------------------------


def test_the_test_file_is_tagged_threats_found_and_reported_in_guarddutys_shape(
    emulator: S3Emulator, scanner: MalwareScanner, results: str, said: io.StringIO
) -> None:
    key = put(emulator, EICAR + b"\r\n")
    head = emulator.client().head_object(Bucket=emulator.ingest_bucket, Key=key)

    assert scanner.scan(emulator.ingest_bucket, key) is ScanResult.THREATS_FOUND

    assert tags_of(emulator, key) == {SCAN_STATUS_TAG: "THREATS_FOUND"}
    [event] = drain(emulator, results)
    assert is_scan_result_event(event)  # what routes it to process_scan_result
    assert (event["source"], event["detail-type"]) == (EVENT_SOURCE, EVENT_DETAIL_TYPE)
    assert parse_scan_result_event(event) == ScanResultEvent(
        bucket=emulator.ingest_bucket, key=key, result=ScanResult.THREATS_FOUND, threats=(EICAR_THREAT_NAME,)
    )
    detail = event["detail"]
    assert detail["scanStatus"] == "COMPLETED"
    assert detail["resourceType"] == "S3_OBJECT"
    assert detail["s3ObjectDetails"]["eTag"] == head["ETag"].strip('"')
    assert detail["scanResultDetails"]["threats"] == [{"name": EICAR_THREAT_NAME}]
    assert event["region"] == emulator.region
    assert f"{key}: THREATS_FOUND ({EICAR_THREAT_NAME})" in said.getvalue()
    assert emulator.client().head_object(Bucket=emulator.ingest_bucket, Key=key)["ETag"] == head["ETag"]


@pytest.mark.parametrize(
    "data",
    [CLEAN, b"%PDF-1.7\n" + EICAR, EICAR + b" " * (EICAR_MAX_BYTES - len(EICAR) + 1), EICAR * 100],
    ids=["clean text", "EICAR inside a file", "EICAR over 128 bytes", "large"],
)
def test_every_other_object_is_tagged_and_reported_clean(
    emulator: S3Emulator, scanner: MalwareScanner, results: str, data: bytes
) -> None:
    key = put(emulator, data)

    assert scanner.scan(emulator.ingest_bucket, key) is ScanResult.NO_THREATS_FOUND

    assert tags_of(emulator, key) == {SCAN_STATUS_TAG: "NO_THREATS_FOUND"}
    [event] = drain(emulator, results)
    assert parse_scan_result_event(event) == ScanResultEvent(
        bucket=emulator.ingest_bucket, key=key, result=ScanResult.NO_THREATS_FOUND, threats=()
    )
    assert event["detail"]["scanResultDetails"]["threats"] is None
    assert event["detail"]["scanStatus"] == "COMPLETED"


def test_the_objects_other_tags_are_kept_and_a_stale_status_replaced(
    emulator: S3Emulator, scanner: MalwareScanner
) -> None:
    key = put(emulator, EICAR, tagging=f"project=alpha&{SCAN_STATUS_TAG}=NO_THREATS_FOUND&owner=finance")

    scanner.scan(emulator.ingest_bucket, key)

    assert tags_of(emulator, key) == {
        "project": "alpha",
        "owner": "finance",
        SCAN_STATUS_TAG: "THREATS_FOUND",
    }


def test_an_object_deleted_before_its_scan_gets_no_result(
    emulator: S3Emulator, scanner: MalwareScanner, results: str, said: io.StringIO
) -> None:
    key = put(emulator, EICAR)
    emulator.client().delete_object(Bucket=emulator.ingest_bucket, Key=key)

    assert scanner.scan(emulator.ingest_bucket, key) is None

    assert drain(emulator, results) == []
    assert f"{key}: gone before it was scanned; no result sent" in said.getvalue()


def test_the_ingest_buckets_own_notification_is_scanned(
    emulator: S3Emulator, scanner: MalwareScanner, results: str
) -> None:
    # A key S3 URL-encodes in the notification ("a+b"): the scanner reads the object it names.
    key = put(emulator, EICAR, key=f"ingest/{CALLER.owner_key}/an upload {uuid.uuid4().hex}")
    notification = notification_of(emulator, key)

    scanner.handle(notification, None)

    assert tags_of(emulator, key) == {SCAN_STATUS_TAG: "THREATS_FOUND"}
    [event] = drain(emulator, results)
    parsed = parse_scan_result_event(event)
    assert parsed is not None
    assert (parsed.bucket, parsed.key, parsed.result) == (
        emulator.ingest_bucket,
        key,
        ScanResult.THREATS_FOUND,
    )


def test_records_other_than_object_created_are_ignored(
    emulator: S3Emulator, scanner: MalwareScanner, results: str
) -> None:
    key = put(emulator, EICAR)
    notification = notification_of(emulator, key)
    removed = json.loads(json.dumps(notification))
    removed["Records"][0]["eventName"] = "ObjectRemoved:Delete"

    scanner.handle(removed, None)
    scanner.handle({"Service": "Amazon S3", "Event": "s3:TestEvent"}, None)

    assert tags_of(emulator, key) == {}
    assert drain(emulator, results) == []


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (ScanResult.NO_THREATS_FOUND, "COMPLETED"),
        (ScanResult.THREATS_FOUND, "COMPLETED"),
        (ScanResult.UNSUPPORTED, "SKIPPED"),
        (ScanResult.ACCESS_DENIED, "SKIPPED"),
        (ScanResult.FAILED, "FAILED"),
    ],
)
def test_every_result_event_reads_back_with_its_scan_status(result: ScanResult, status: str) -> None:
    threats = ("Trojan.Example",) if result is ScanResult.THREATS_FOUND else ()
    event = scan_result_event(
        bucket="b",
        key="ingest/o/k",
        etag="abc",
        version_id=None,
        result=result,
        region="eu-west-1",
        threats=threats,
    )
    assert event["detail"]["scanStatus"] == status
    assert event["resources"] == [
        "arn:aws:guardduty:eu-west-1:123456789012:malware-protection-plan/localmodeplan"
    ]
    assert parse_scan_result_event(event) == ScanResultEvent("b", "ingest/o/k", result, threats)


# --- wired as serve wires it: the scanner's events drive the real processor -----------------------------


@pytest.fixture
def pumps(emulator: S3Emulator) -> tuple[EventPump, EventPump]:
    """The scanner's pump and the processor's result pump, queues emptied of earlier tests' events."""
    drain(emulator, emulator.scan_requests_queue_url)
    drain(emulator, emulator.scan_results_queue_url)
    scan, deliver = malware_scan_pumps(emulator, processor_handler(emulator, malware_scanning=True))
    return scan, deliver


def uploaded(emulator: S3Emulator, data: bytes) -> UploadSession:
    """A session for ``data`` and its object in the ingest bucket (what ``POST /uploads``, the parts
    and the complete leave behind)."""
    upload_id = new_document_id()
    request = UploadRequest("note.txt", TEXT, len(data), hashlib.sha256(data).hexdigest())
    session = new_session(upload_id, request, owner=CALLER.principal, multipart_upload_id="", now=time.time())
    assert Catalogue(emulator.dynamodb_client(), emulator.catalogue_table).create_session(
        CALLER.owner_key, session
    )
    put(emulator, data, key=ingest_key(CALLER.owner_key, upload_id))
    return session


def session_of(emulator: S3Emulator, upload_id: str) -> UploadSession:
    found = Catalogue(emulator.dynamodb_client(), emulator.catalogue_table).get_session(
        CALLER.owner_key, upload_id
    )
    assert found is not None
    return found


def ingest_object_exists(emulator: S3Emulator, upload_id: str) -> bool:
    key = ingest_key(CALLER.owner_key, upload_id)
    listed = emulator.client().list_objects_v2(Bucket=emulator.ingest_bucket, Prefix=key).get("Contents", [])
    return any(entry["Key"] == key for entry in listed)


def test_the_pumps_carry_the_scanners_and_the_processors_names(pumps: tuple[EventPump, EventPump]) -> None:
    scan, deliver = pumps
    assert (scan.function_name, scan.label) == (SCANNER_FUNCTION_NAME, "the emulated malware scanner")
    assert (deliver.function_name, deliver.label, deliver.events) == (
        PROCESSOR_FUNCTION_NAME,
        "the processor",
        "malware scan results",
    )


def test_the_test_file_is_rejected_as_malware_and_deleted(
    emulator: S3Emulator, pumps: tuple[EventPump, EventPump]
) -> None:
    scan, deliver = pumps
    session = uploaded(emulator, EICAR + b"\n")

    assert scan.pump_once(wait_seconds=PUMP_WAIT_SECONDS) == 1
    assert deliver.pump_once(wait_seconds=PUMP_WAIT_SECONDS) == 1

    final = session_of(emulator, session.id)
    assert final.status is UploadStatus.REJECTED
    assert final.error is not None
    assert final.error.code == RejectionCode.MALWARE_DETECTED
    assert EICAR_THREAT_NAME in final.error.message
    assert not ingest_object_exists(emulator, session.id)
    vault = f"documents/{CALLER.owner_key}/{session.id}"
    assert emulator.client().list_objects_v2(Bucket=emulator.bucket, Prefix=vault).get("KeyCount") == 0


def test_a_clean_upload_is_stored_and_a_late_threat_result_changes_nothing(
    emulator: S3Emulator, pumps: tuple[EventPump, EventPump]
) -> None:
    scan, deliver = pumps
    session = uploaded(emulator, CLEAN)
    assert scan.pump_once(wait_seconds=PUMP_WAIT_SECONDS) == 1
    assert deliver.pump_once(wait_seconds=PUMP_WAIT_SECONDS) == 1
    assert session_of(emulator, session.id).status is UploadStatus.STORED
    key = ingest_key(CALLER.owner_key, session.id)
    stored = emulator.client().get_object(
        Bucket=emulator.bucket, Key=f"documents/{CALLER.owner_key}/{session.id}"
    )
    assert stored["Body"].read() == CLEAN

    late = scan_result_event(
        bucket=emulator.ingest_bucket,
        key=key,
        etag="0" * 32,
        version_id=None,
        result=ScanResult.THREATS_FOUND,
        region=emulator.region,
        threats=("Late.Verdict",),
    )
    emulator.sqs_client().send_message(QueueUrl=emulator.scan_results_queue_url, MessageBody=json.dumps(late))
    assert deliver.pump_once(wait_seconds=PUMP_WAIT_SECONDS) == 1

    final = session_of(emulator, session.id)
    assert (final.status, final.error, final.document_id) == (UploadStatus.STORED, None, session.id)
    assert emulator.client().head_object(
        Bucket=emulator.bucket, Key=f"documents/{CALLER.owner_key}/{session.id}"
    )


def send_result(emulator: S3Emulator, key: str, result: ScanResult, etag: str = "0" * 32) -> None:
    """GuardDuty's result event for ``key``, onto the scan-result queue (as the scanner would send it)."""
    event = scan_result_event(
        bucket=emulator.ingest_bucket,
        key=key,
        etag=etag,
        version_id=None,
        result=result,
        region=emulator.region,
    )
    emulator.sqs_client().send_message(
        QueueUrl=emulator.scan_results_queue_url, MessageBody=json.dumps(event)
    )


@pytest.mark.parametrize("result", [ScanResult.UNSUPPORTED, ScanResult.ACCESS_DENIED, ScanResult.FAILED])
def test_no_verdict_fails_closed_as_scan_failed(
    emulator: S3Emulator, pumps: tuple[EventPump, EventPump], result: ScanResult
) -> None:
    # The scanner never says this: its pump is not run, the test sends GuardDuty's event itself.
    _, deliver = pumps
    session = uploaded(emulator, CLEAN)
    head = emulator.client().head_object(
        Bucket=emulator.ingest_bucket, Key=ingest_key(CALLER.owner_key, session.id)
    )
    send_result(emulator, ingest_key(CALLER.owner_key, session.id), result, etag=head["ETag"].strip('"'))

    assert deliver.pump_once(wait_seconds=PUMP_WAIT_SECONDS) == 1

    final = session_of(emulator, session.id)
    assert final.status is UploadStatus.REJECTED
    assert final.error is not None
    assert final.error.code == RejectionCode.SCAN_FAILED
    assert str(result) in final.error.message
    assert not ingest_object_exists(emulator, session.id)


def test_a_result_for_an_unknown_session_is_skipped(
    emulator: S3Emulator, pumps: tuple[EventPump, EventPump]
) -> None:
    # no session and no object (an upload aborted, or long gone): nothing to wait for
    _, deliver = pumps
    upload_id = new_document_id()
    key = ingest_key(CALLER.owner_key, upload_id)
    send_result(emulator, key, ScanResult.FAILED)

    assert deliver.pump_once(wait_seconds=PUMP_WAIT_SECONDS) == 1  # handled, not failed (no redelivery)

    catalogue = Catalogue(emulator.dynamodb_client(), emulator.catalogue_table)
    assert catalogue.get_session(CALLER.owner_key, upload_id) is None
    assert not ingest_object_exists(emulator, upload_id)


def test_a_result_for_a_fresh_object_whose_session_is_not_written_yet_is_delivered_again(
    emulator: S3Emulator, pumps: tuple[EventPump, EventPump]
) -> None:
    # POST /documents (gate on) puts the object a moment before the session: the result may win
    _, deliver = pumps
    upload_id = new_document_id()
    key = put(emulator, CLEAN, key=ingest_key(CALLER.owner_key, upload_id))
    send_result(emulator, key, ScanResult.FAILED)

    assert deliver.pump_once(wait_seconds=PUMP_WAIT_SECONDS) == 0  # failed: SQS delivers it again
    assert ingest_object_exists(emulator, upload_id)


# --- what local mode tells the functions and the user ---------------------------------------------------


def test_the_functions_run_with_the_gate_exactly_when_the_scanner_runs(
    emulator: S3Emulator, unscanned: S3Emulator
) -> None:
    assert handler_environment(emulator)["MALWARE_SCANNING"] == "on"
    assert handler_environment(unscanned)["MALWARE_SCANNING"] == "off"


def test_only_an_emulator_with_the_scanner_has_its_queues(unscanned: S3Emulator) -> None:
    for attribute in ("scan_requests_queue_url", "scan_results_queue_url"):
        with pytest.raises(LocalModeError, match="without malware_scan"):
            getattr(unscanned, attribute)


def test_with_the_scanner_the_ingest_bucket_notifies_the_processor_and_the_scanner(
    emulator: S3Emulator,
) -> None:
    configuration = emulator.client().get_bucket_notification_configuration(Bucket=emulator.ingest_bucket)
    sqs = emulator.sqs_client()
    arns = {
        url: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for url in (emulator.ingest_events_queue_url, emulator.scan_requests_queue_url)
    }
    by_id = {queue["Id"]: queue for queue in configuration["QueueConfigurations"]}
    assert sorted(by_id) == ["malware-scanner", "processor"]
    assert by_id["processor"]["QueueArn"] == arns[emulator.ingest_events_queue_url]
    assert by_id["malware-scanner"]["QueueArn"] == arns[emulator.scan_requests_queue_url]
    assert by_id["malware-scanner"]["Events"] == by_id["processor"]["Events"]
    assert by_id["malware-scanner"]["Filter"] == by_id["processor"]["Filter"]


def test_the_banner_says_the_gate_is_off_and_how_to_turn_it_on(unscanned: S3Emulator) -> None:
    text = banner(
        "http://127.0.0.1:8080", unscanned, principals_file=Path("p.json"), principals=[], created=False
    )
    [line] = [line for line in text.splitlines() if line.startswith("Malware scanning")]
    assert line.startswith("Malware scanning: off")
    assert "LOCAL_MALWARE_SCAN=1 make run" in line
    assert "EICAR test file only" in line


def test_the_banner_says_the_gate_is_on_for_eicar_only_and_names_both_queues(emulator: S3Emulator) -> None:
    text = banner(
        "http://127.0.0.1:8080", emulator, principals_file=Path("p.json"), principals=[], created=False
    )
    [line] = [line for line in text.splitlines() if line.startswith("Malware scanning")]
    assert line == malware_scan_lines(emulator)[0]
    assert line.startswith(
        "Malware scanning: ON (LOCAL_MALWARE_SCAN=1: both functions run with MALWARE_SCANNING=on)"
    )
    assert "flags the standard EICAR test file" in line
    assert "NOTHING else" in line
    assert repr(emulator.scan_requests_queue) in line
    assert repr(emulator.scan_results_queue) in line
    assert "POST /documents answers 202" in line
    assert "tag-based read deny is NOT enforced locally" in line
