"""``python -m local_mode`` as a user runs it: bad settings fail fast, the printed principals sign
requests that work, Ctrl-C stops it cleanly.

Run as a subprocess: local mode sets its environment and imports the handler, which must not leak
into this test process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from botocore.credentials import ReadOnlyCredentials

from local_mode.principals import new_user, write_principals
from local_mode.signing import BotocoreSigV4

REPO_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_SECONDS = 60.0
_EXPORT = re.compile(
    r"export AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)(?: AWS_SESSION_TOKEN=(\S+))?"
)


def _run(
    port: str, *, principals: Path | None, cwd: Path = REPO_ROOT, **variables: str
) -> subprocess.Popen[str]:
    """Local mode as ``make run`` starts it; ``principals=None``: the default file under ``cwd``;
    ``variables`` added to its environment (without them the malware gate is off, whatever the shell
    says: these tests expect 201 answers)."""
    environ = {**os.environ, "PORT": port, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO_ROOT)}
    environ.pop("LOCAL_PRINCIPALS", None)
    environ.pop("LOCAL_MALWARE_SCAN", None)
    environ.update(variables)
    if principals is not None:
        environ["LOCAL_PRINCIPALS"] = str(principals)
    return subprocess.Popen(
        [sys.executable, "-m", "local_mode"],
        cwd=cwd,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def principals_file(tmp_path: Path) -> Path:
    path = tmp_path / "principals.json"
    write_principals(path, [new_user("alice")])
    return path


def test_invalid_port_exits_2_with_the_fix(principals_file: Path) -> None:
    process = _run("http", principals=principals_file)
    _, stderr = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 2
    assert "PORT must be a TCP port number from 1 to 65535" in stderr


def test_bad_port_and_malware_scan_settings_exit_2_with_both_fixes(principals_file: Path) -> None:
    process = _run("http", principals=principals_file, LOCAL_MALWARE_SCAN="true")
    _, stderr = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 2
    assert "PORT must be a TCP port number from 1 to 65535" in stderr
    assert "LOCAL_MALWARE_SCAN must be 1 (scan uploads with the emulated GuardDuty scanner) or 0" in stderr
    assert "got 'true'; for example: LOCAL_MALWARE_SCAN=1 make run" in stderr


@pytest.mark.parametrize(
    ("content", "problem"), [("{", "not valid JSON"), ('{"AKIAIOSFODNN7EXAMPLE": {}}', "missing 'arn'")]
)
def test_a_malformed_principals_file_exits_2_naming_the_file(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "principals.json"
    path.write_text(content)
    process = _run("0", principals=path)
    _, stderr = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 2
    assert f"local_mode: LOCAL_PRINCIPALS file {str(path)!r}: " in stderr
    assert problem in stderr


def test_an_unreadable_principals_file_exits_2_naming_the_file(tmp_path: Path) -> None:
    process = _run("0", principals=tmp_path / "absent.json")
    _, stderr = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 2
    assert f"LOCAL_PRINCIPALS file {str(tmp_path / 'absent.json')!r} cannot be read" in stderr


def test_port_in_use_exits_2_with_the_fix(principals_file: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _run(str(taken.getsockname()[1]), principals=principals_file)
        _, stderr = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 2
    assert "set PORT to a free port" in stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serves_the_printed_example_then_stops_cleanly(stop_signal: signal.Signals, tmp_path: Path) -> None:
    # First start without LOCAL_PRINCIPALS: the default file is created (here under tmp_path).
    process = _run("0", principals=None, cwd=tmp_path)
    assert process.stdout is not None
    try:
        banner = ""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "Press Ctrl-C" not in banner and time.monotonic() < deadline:
            banner += process.stdout.readline()
        match = re.search(r"serving the API on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        url = match.group(1)
        assert f"created with fresh random keys: {tmp_path / '.local' / 'principals.json'}" in banner
        assert 'curl -sS --aws-sigv4 "aws:amz:us-east-1:execute-api" ' in banner
        exports = _EXPORT.findall(banner)
        assert len(exports) == 3
        assert sum(bool(token) for _, _, token in exports) == 1
        # Unsigned: refused, like the deployed API.
        assert httpx.get(f"{url}/health").status_code == 403
        # Signed with each printed principal: served.
        for key, secret, token in exports:
            auth = BotocoreSigV4(ReadOnlyCredentials(key, secret, token or None), "us-east-1")
            assert httpx.get(f"{url}/health", auth=auth).json() == {"status": "ok"}
            upload = httpx.post(
                f"{url}/documents", content=b"hello", headers={"Content-Type": "text/plain"}, auth=auth
            )
            assert upload.status_code == 201
    finally:
        process.send_signal(stop_signal)
        stdout, _ = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 0
    assert "Local mode: stopping." in stdout
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health")


def test_an_object_put_into_the_emulator_is_catalogued_by_the_reconciler(tmp_path: Path) -> None:
    # The real wiring: local mode imports document_processor.reconciler with its environment, and the
    # event pump delivers the emulator's S3 events to it while the API serves.
    import base64
    import hashlib

    import boto3.session

    from document_processor import catalogue_schema as schema
    from document_processor.identity import normalise_principal
    from document_processor.ids import new_document_id

    process = _run("0", principals=None, cwd=tmp_path)
    assert process.stdout is not None
    try:
        banner = ""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "Press Ctrl-C" not in banner and time.monotonic() < deadline:
            banner += process.stdout.readline()
        match = re.search(
            r"AWS emulator \(moto, S3 \+ DynamoDB \+ SQS\): (http://127\.0\.0\.1:\d+), "
            r"bucket 'local-documents', catalogue table 'local-catalogue'",
            banner,
        )
        assert match, banner
        assert (
            "S3 events: queue 'local-document-events' -> document_processor.reconciler.lambda_handler"
            in banner
        )
        session = boto3.session.Session(
            aws_access_key_id="local-mode", aws_secret_access_key="local-mode", region_name="us-east-1"
        )
        s3 = session.client("s3", endpoint_url=match.group(1))
        dynamodb = session.client("dynamodb", endpoint_url=match.group(1))
        caller = normalise_principal("arn:aws:iam::000000000000:user/carol")
        document_id, body = new_document_id(), b"straight into the emulator"
        s3.put_object(
            Bucket="local-documents",
            Key=f"documents/{caller.owner_key}/{document_id}",
            Body=body,
            ContentType="text/plain; charset=utf-8",
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=base64.b64encode(hashlib.sha256(body).digest()).decode(),
            Metadata={"owner": caller.principal},
        )
        key = {
            schema.PARTITION_KEY: {"S": schema.owner_partition(caller.owner_key)},
            schema.SORT_KEY: {"S": schema.document_sort_key(document_id)},
        }
        found = None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while found is None and time.monotonic() < deadline:
            found = dynamodb.get_item(TableName="local-catalogue", Key=key, ConsistentRead=True).get("Item")
            time.sleep(0.1)
        assert found is not None
        assert found["sha256"] == {"S": hashlib.sha256(body).hexdigest()}
    finally:
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 0
    assert "Local mode: stopping." in stdout


def test_an_upload_completed_in_the_ingest_bucket_is_processed_into_the_vault(tmp_path: Path) -> None:
    # The real wiring of large uploads: local mode imports document_processor.processor with its
    # environment (INGEST_BUCKET...), and the second pump delivers the ingest bucket's events to it.
    import hashlib

    import boto3.session

    from document_processor.catalogue import Catalogue
    from document_processor.identity import normalise_principal
    from document_processor.ids import new_document_id
    from document_processor.uploads import UploadRequest, UploadStatus, ingest_key, new_session

    process = _run("0", principals=None, cwd=tmp_path)
    assert process.stdout is not None
    try:
        banner = ""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "Press Ctrl-C" not in banner and time.monotonic() < deadline:
            banner += process.stdout.readline()
        match = re.search(r"AWS emulator \(moto, S3 \+ DynamoDB \+ SQS\): (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        assert (
            "Large uploads: ingest bucket 'local-ingest'; its events: queue 'local-ingest-events' -> "
            "document_processor.processor.lambda_handler"
        ) in banner
        assert "does NOT verify presigned signatures or part checksums" in banner
        session = boto3.session.Session(
            aws_access_key_id="local-mode", aws_secret_access_key="local-mode", region_name="us-east-1"
        )
        s3 = session.client("s3", endpoint_url=match.group(1))
        catalogue = Catalogue(session.client("dynamodb", endpoint_url=match.group(1)), "local-catalogue")
        caller = normalise_principal("arn:aws:iam::000000000000:user/carol")
        upload_id, body = new_document_id(), b"straight into the ingest bucket\n"
        key = ingest_key(caller.owner_key, upload_id)
        multipart = s3.create_multipart_upload(Bucket="local-ingest", Key=key, ContentType="text/plain")
        request = UploadRequest("note.txt", "text/plain", len(body), hashlib.sha256(body).hexdigest())
        upload = new_session(
            upload_id,
            request,
            owner=caller.principal,
            multipart_upload_id=multipart["UploadId"],
            now=time.time(),
        )
        assert catalogue.create_session(caller.owner_key, upload)
        part = s3.upload_part(
            Bucket="local-ingest", Key=key, UploadId=multipart["UploadId"], PartNumber=1, Body=body
        )
        s3.complete_multipart_upload(
            Bucket="local-ingest",
            Key=key,
            UploadId=multipart["UploadId"],
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
        )
        found = catalogue.get_session(caller.owner_key, upload_id)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while found is not None and found.status is not UploadStatus.STORED and time.monotonic() < deadline:
            time.sleep(0.1)
            found = catalogue.get_session(caller.owner_key, upload_id)
        assert found is not None
        assert found.status is UploadStatus.STORED, found
        stored = s3.get_object(Bucket="local-documents", Key=f"documents/{caller.owner_key}/{upload_id}")
        assert stored["Body"].read() == body
    finally:
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 0
    assert "Local mode: stopping." in stdout


def test_the_printed_docapi_lines_upload_and_list(tmp_path: Path) -> None:
    # What a new user does: start local mode, paste alice's line and the DOCAPI_ENDPOINT line, run docapi.
    process = _run("0", principals=None, cwd=tmp_path)
    assert process.stdout is not None
    try:
        banner = ""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "Press Ctrl-C" not in banner and time.monotonic() < deadline:
            banner += process.stdout.readline()
        endpoint = re.search(r"^  export DOCAPI_ENDPOINT=(\S+)$", banner, re.MULTILINE)
        assert endpoint, banner
        assert "\n  .venv/bin/docapi upload FILE... --wait && .venv/bin/docapi ls\n" in banner
        key, secret, _ = _EXPORT.findall(banner)[0]  # alice, an IAM user
        document = tmp_path / "notes.txt"
        document.write_text("hello from the banner\n")
        docapi = str(Path(sys.executable).with_name("docapi"))  # what .venv/bin/docapi is
        environ = {
            **os.environ,
            "DOCAPI_ENDPOINT": endpoint.group(1),
            "AWS_ACCESS_KEY_ID": key,
            "AWS_SECRET_ACCESS_KEY": secret,
        }
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE"):
            environ.pop(name, None)
        upload = subprocess.run(
            [docapi, "upload", str(document), "--wait"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
        assert upload.returncode == 0, upload.stderr
        listing = subprocess.run(
            [docapi, "ls", "--json"],
            env=environ,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_SECONDS,
            check=False,
        )
        assert listing.returncode == 0, listing.stderr
        assert [item["filename"] for item in json.loads(listing.stdout)] == ["notes.txt"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=START_TIMEOUT_SECONDS)
