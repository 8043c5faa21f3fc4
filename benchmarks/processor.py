"""The ingest processor on large objects (issue 14 item 6): peak memory and throughput, in local mode's
emulator, as ratios measured in one run.

Three processes, so that each figure belongs to what it measures:

- the **emulator** (local mode's ``S3Emulator``: moto's threaded server with the documents bucket, the
  catalogue table and, created here if that version of local mode lacks it, the ingest bucket). moto
  keeps every object in its own memory; in the measured process it would be most of the RSS;
- the **processor** child: ``import document_processor.processor`` (settings, logging and both clients,
  as a cold start does), then the baseline (``VmRSS``; the peak mark ``VmHWM`` is reset to it), then
  ``lambda_handler`` with one ``ObjectCreated`` record: the session read and moved, the object streamed
  once through ``validate_stream``, the server-side copy into the vault, the catalogue item, the ingest
  object deleted, the session stored. Its peak RSS after the event (``VmHWM``) minus the baseline is what
  the event cost; the time of ``copy_into_vault`` is taken apart (``CopyObject`` is S3's work in AWS and
  moto's here, not the function's);
- the **floor** child: the same imports and a client with the processor's configuration
  (``READ_TIMEOUT_SECONDS``, ``MAX_ATTEMPTS``), then one ``GetObject`` of the same bytes streamed in
  ``CHUNK_BYTES`` reads into SHA-256: the least any validation of that object can cost.

The parent uploads each object once (a real PDF: a page tree and one large stream of random bytes, so
a 64 MiB one is page-counted by pypdf like any PDF within the PDF budget and larger ones are not), then
for every round copies it to a fresh ingest key with a fresh ``processing`` session, and runs the two
children in alternating order. Goals: the processor's peak stays under its baseline + 96 MiB at every
size (memory independent of the object), and its throughput is >= 0.8x the floor's (the median of the
per-round ratios). Both ratios are printed with the server-side copy left out (the goal) and with it in.

Usage: ``python -m benchmarks.processor [--sizes 64,256,1024] [--rounds 3] [--text-mib 256]`` (MiB; also
part of ``python -m benchmarks`` with the defaults). Needs about 4x the largest size in free memory for
the emulator (the object, its copy in the vault, moto's transient copies).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from benchmarks._timing import Result, median

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024
GOAL_RATIO = 0.8
GOAL_EXTRA_MIB = 96.0
DEFAULT_SIZES_MIB = (64, 256, 1024)
DEFAULT_TEXT_MIB = 256
DEFAULT_ROUNDS = 3
UPLOAD_PART_BYTES = 64 * MiB
RANDOM_BLOCK_BYTES = 16 * MiB
REPOSITORY = Path(__file__).resolve().parent.parent
INGEST_BUCKET = "local-ingest"
SOURCE_PREFIX = "benchmark-sources/"
"""Where each object is uploaded once (outside ``ingest/``: no processor event for it)."""
FLOOR_PREFIX = "benchmark-floor/"
OWNER = "arn:aws:iam::111122223333:user/benchmark"
REGION = "us-east-1"
START_TIMEOUT_SECONDS = 60.0

_STATUS = """
def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))

def reset_peak():
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # VmHWM := the current RSS
"""

_PROCESSOR_CHILD = (
    _STATUS
    + """
import json, sys, time
import document_processor.processor as module  # the cold start: settings, logging, S3 and DynamoDB clients
if module.PROCESSOR is None:
    raise SystemExit("the processor is not configured")
event = json.loads(sys.argv[1])
copies = []
copy_into_vault = module.copy_into_vault
def timed_copy(*args, **kwargs):
    started = time.perf_counter()
    try:
        return copy_into_vault(*args, **kwargs)
    finally:
        copies.append(time.perf_counter() - started)
module.copy_into_vault = timed_copy
imports_peak = status("VmHWM")
reset_peak()
baseline = status("VmRSS")
started = time.perf_counter()
result = module.lambda_handler(event, None)
elapsed = time.perf_counter() - started
print("RESULT " + json.dumps({
    "seconds": elapsed, "copy_seconds": sum(copies), "baseline_kib": baseline, "peak_kib": status("VmHWM"),
    "imports_peak_kib": imports_peak, "outcomes": result["outcomes"],
}))
"""
)
"""The processor child: imports and clients, baseline, one event through ``lambda_handler``."""

_FLOOR_CHILD = (
    _STATUS
    + """
import hashlib, json, sys, time
import document_processor.processor as module  # the same imports as the processor child
from document_processor.ingest_validation import CHUNK_BYTES
s3 = module.create_s3_client(read_timeout=module.READ_TIMEOUT_SECONDS, max_attempts=module.MAX_ATTEMPTS)
bucket, key = sys.argv[1], sys.argv[2]
s3.head_bucket(Bucket=bucket)  # the connection and credentials ready, as the processor's are
imports_peak = status("VmHWM")
reset_peak()
baseline = status("VmRSS")
started = time.perf_counter()
body = s3.get_object(Bucket=bucket, Key=key)["Body"]
hasher = hashlib.sha256()
while chunk := body.read(CHUNK_BYTES):
    hasher.update(chunk)
elapsed = time.perf_counter() - started
print("RESULT " + json.dumps({
    "seconds": elapsed, "copy_seconds": 0.0, "baseline_kib": baseline, "peak_kib": status("VmHWM"),
    "imports_peak_kib": imports_peak, "sha256": hasher.hexdigest(),
}))
"""
)
"""The floor child: the same imports, a client configured as the processor's, one streamed GET + SHA-256."""

_EMULATOR_CHILD = """
import sys
from local_mode.emulator import S3Emulator
emulator = S3Emulator()
emulator.start()
print("EMULATOR", emulator.endpoint_url, emulator.bucket, emulator.catalogue_table, flush=True)
sys.stdin.read()  # until the parent closes it
emulator.stop()
"""
"""Local mode's emulator in its own process: objects held by moto never count in a measured child."""


@dataclass(frozen=True)
class Emulator:
    """The running emulator process and what it serves."""

    process: subprocess.Popen[str]
    endpoint_url: str
    documents_bucket: str
    catalogue_table: str

    def peak_mib(self) -> float:
        """The emulator's own peak RSS so far (what the measured children were spared)."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        return kib / 1024


@dataclass(frozen=True)
class Source:
    """One object uploaded once, copied to a fresh ingest key for every processor round."""

    key: str
    size: int
    sha256: str
    content_type: str
    filename: str
    floor_key: str
    """A server-side copy of it, what the floor reads (as the processor reads its round's copy)."""


@dataclass(frozen=True)
class Sample:
    """What one child measured."""

    seconds: float
    copy_seconds: float
    baseline_mib: float
    peak_mib: float

    @property
    def extra_mib(self) -> float:
        """Peak RSS above the baseline: what the work cost in memory."""
        return self.peak_mib - self.baseline_mib


def child_environment(emulator: Emulator) -> dict[str, str]:
    """The service's settings for local mode's emulator, whatever the caller's shell holds."""
    from local_mode.emulator import FAKE_CREDENTIALS

    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "PYTHONPYCACHEPREFIX"}
    environ = {name: value for name, value in os.environ.items() if name in keep}
    environ.update(
        FAKE_CREDENTIALS,
        PYTHONPATH=str(REPOSITORY),
        AWS_ENDPOINT_URL=emulator.endpoint_url,
        AWS_DEFAULT_REGION=REGION,
        DOCUMENTS_BUCKET=emulator.documents_bucket,
        CATALOGUE_TABLE=emulator.catalogue_table,
        INGEST_BUCKET=INGEST_BUCKET,
        LOG_LEVEL="WARNING",
    )
    return environ


def start_emulator(stderr: Any) -> Emulator:
    """Start local mode's emulator in a child process; raise if it prints no endpoint in time."""
    process = subprocess.Popen(
        [sys.executable, "-c", _EMULATOR_CHILD],
        cwd=REPOSITORY,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("EMULATOR "):
            _, url, bucket, table = line.split()
            return Emulator(process=process, endpoint_url=url, documents_bucket=bucket, catalogue_table=table)
        if not line and process.poll() is not None:
            break
    process.kill()
    raise RuntimeError("the emulator did not start")


def stop_emulator(emulator: Emulator) -> None:
    """Close its stdin (it stops itself), then make sure it is gone."""
    assert emulator.process.stdin is not None
    emulator.process.stdin.close()
    try:
        emulator.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        emulator.process.kill()
        emulator.process.wait()


def _client(service: str, emulator: Emulator) -> Any:
    import boto3
    from botocore.config import Config

    from local_mode.emulator import FAKE_CREDENTIALS

    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=emulator.endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(read_timeout=300, retries={"mode": "standard", "total_max_attempts": 1}),
    )


def pdf_parts(size: int, part_bytes: int = UPLOAD_PART_BYTES) -> Iterator[bytes]:
    """A valid one-page PDF of exactly ``size`` bytes, in ``part_bytes`` pieces: catalogue, page tree,
    page, then one unreferenced stream of random bytes (what pypdf never needs to read to count pages)."""
    head_objects = (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>\nendobj\n",
    )
    offsets = [sum(len(part) for part in head_objects[:index]) for index in range(1, len(head_objects) + 1)]
    head = b"".join(head_objects)
    stream_end = b"\nendstream\nendobj\n"
    length = size  # fixed point: the digits of /Length and of startxref depend on the length itself
    for _ in range(4):
        stream_head = f"4 0 obj\n<< /Length {length} >>\nstream\n".encode()
        xref_at = len(head) + len(stream_head) + length + len(stream_end)
        entries = [b"0000000000 65535 f \n"] + [f"{offset:010d} 00000 n \n".encode() for offset in offsets]
        tail = (
            b"xref\n0 5\n"
            + b"".join(entries)
            + f"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
        )
        length = size - len(head) - len(stream_head) - len(stream_end) - len(tail)
    stream_head = f"4 0 obj\n<< /Length {length} >>\nstream\n".encode()
    if len(head) + len(stream_head) + length + len(stream_end) + len(tail) != size or length < 0:
        raise ValueError(f"cannot lay out a PDF of {size} bytes")
    yield from _parts(head + stream_head, length, stream_end + tail, part_bytes)


def text_parts(size: int, part_bytes: int = UPLOAD_PART_BYTES) -> Iterator[bytes]:
    """UTF-8 text of exactly ``size`` bytes: hex lines with a multibyte character each, newline padded."""
    line = (os.urandom(60).hex() + " \u2713\n").encode()
    block = line * (RANDOM_BLOCK_BYTES // len(line))
    whole_lines = size // len(line)

    def pieces() -> Iterator[bytes]:
        left = whole_lines
        while left:
            take = min(left, len(block) // len(line))
            yield block[: take * len(line)]
            left -= take
        yield b"\n" * (size - whole_lines * len(line))

    return _recut(pieces(), part_bytes)


def _parts(prefix: bytes, random_bytes: int, suffix: bytes, part_bytes: int) -> Iterator[bytes]:
    """``prefix`` + ``random_bytes`` random bytes + ``suffix``, in ``part_bytes`` pieces."""
    block = os.urandom(RANDOM_BLOCK_BYTES)

    def pieces() -> Iterator[bytes]:
        yield prefix
        left = random_bytes
        while left:
            take = min(left, len(block))
            yield block[:take]
            left -= take
        yield suffix

    return _recut(pieces(), part_bytes)


def _recut(pieces: Iterator[bytes], part_bytes: int) -> Iterator[bytes]:
    """The same bytes in pieces of ``part_bytes`` (the last one shorter)."""
    pending = bytearray()
    for piece in pieces:
        pending += piece
        while len(pending) >= part_bytes:
            yield bytes(pending[:part_bytes])
            del pending[:part_bytes]
    if pending:
        yield bytes(pending)


def upload_source(s3: S3Client, key: str, parts: Iterator[bytes]) -> tuple[int, str]:
    """Upload the pieces as one multipart object (as a client's parts arrive); its size and SHA-256."""
    hasher = hashlib.sha256()
    size = 0
    upload_id = s3.create_multipart_upload(Bucket=INGEST_BUCKET, Key=key)["UploadId"]
    done = []
    for number, data in enumerate(parts, start=1):
        hasher.update(data)
        size += len(data)
        etag = s3.upload_part(Bucket=INGEST_BUCKET, Key=key, UploadId=upload_id, PartNumber=number, Body=data)
        done.append({"PartNumber": number, "ETag": etag["ETag"]})
    s3.complete_multipart_upload(
        Bucket=INGEST_BUCKET,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": done},  # type: ignore[typeddict-item]
    )
    return size, hasher.hexdigest()


def ensure_ingest_bucket(s3: S3Client) -> None:
    """The ingest bucket, unless local mode's emulator already made it."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=INGEST_BUCKET)
    except ClientError:
        s3.create_bucket(Bucket=INGEST_BUCKET)


def new_round(s3: S3Client, dynamodb: Any, table: str, source: Source) -> dict[str, Any]:
    """A fresh ingest object (a server-side copy of ``source``) and its ``processing`` session; the event."""
    from document_processor.catalogue import Catalogue
    from document_processor.identity import normalise_principal
    from document_processor.ids import new_document_id
    from document_processor.uploads import UploadRequest, UploadStatus, ingest_key, new_session

    owner = normalise_principal(OWNER)
    upload_id = new_document_id()
    key = ingest_key(owner.owner_key, upload_id)
    s3.copy_object(Bucket=INGEST_BUCKET, Key=key, CopySource={"Bucket": INGEST_BUCKET, "Key": source.key})
    catalogue = Catalogue(dynamodb, table)
    request = UploadRequest(
        filename=source.filename, content_type=source.content_type, size=source.size, sha256=source.sha256
    )
    now = time.time()
    session = new_session(upload_id, request, owner=owner.principal, multipart_upload_id="benchmark", now=now)
    catalogue.create_session(owner.owner_key, session)
    catalogue.transition_session(
        owner.owner_key, upload_id, [UploadStatus.AWAITING_PARTS], UploadStatus.PROCESSING, now=now
    )
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventName": "ObjectCreated:CompleteMultipartUpload",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": INGEST_BUCKET, "arn": f"arn:aws:s3:::{INGEST_BUCKET}"},
            "object": {"key": quote_plus(key), "size": source.size},
        },
    }
    return {"Records": [record]}


def empty_vault(s3: S3Client, bucket: str) -> None:
    """Remove every version in the vault (the emulator's memory stays one object deep)."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for entry in page.get("Versions", []) + page.get("DeleteMarkers", []):
            s3.delete_object(Bucket=bucket, Key=entry["Key"], VersionId=entry["VersionId"])


def measure(program: str, arguments: list[str], environ: dict[str, str]) -> dict[str, Any]:
    """One child: its ``RESULT`` line."""
    completed = subprocess.run(
        [sys.executable, "-c", program, *arguments],
        cwd=REPOSITORY,
        env=environ,
        capture_output=True,
        check=False,
        text=True,
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    if completed.returncode != 0 or not lines:
        raise RuntimeError(f"benchmark child failed ({completed.returncode}): {completed.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def sample(result: dict[str, Any]) -> Sample:
    return Sample(
        seconds=float(result["seconds"]),
        copy_seconds=float(result["copy_seconds"]),
        baseline_mib=result["baseline_kib"] / 1024,
        peak_mib=result["peak_kib"] / 1024,
    )


@dataclass
class Row:
    """One object size's figures (medians over the rounds)."""

    label: str
    size: int
    floor: list[Sample]
    processor: list[Sample]

    def ratio(self, *, with_copy: bool) -> float:
        """Median of the per-round throughput ratios, processor over floor (>1: the processor is faster)."""
        return median(
            [
                floor.seconds / (processor.seconds - (0.0 if with_copy else processor.copy_seconds))
                for floor, processor in zip(self.floor, self.processor, strict=True)
            ]
        )

    def line(self) -> str:
        megabytes = self.size / 1_000_000
        floor_s = median([entry.seconds for entry in self.floor])
        total_s = median([entry.seconds for entry in self.processor])
        copy_s = median([entry.copy_seconds for entry in self.processor])
        baseline = median([entry.baseline_mib for entry in self.processor])
        peak = median([entry.peak_mib for entry in self.processor])
        extra = max(entry.extra_mib for entry in self.processor)
        floor_extra = max(entry.extra_mib for entry in self.floor)
        return (
            f"{self.label:>13} | {megabytes / floor_s:8.0f} | {megabytes / (total_s - copy_s):10.0f} | "
            f"{self.ratio(with_copy=False):6.3f} | {copy_s:6.2f} | {self.ratio(with_copy=True):6.3f} | "
            f"{baseline:6.1f} | {peak:6.1f} | {extra:+6.1f} | {floor_extra:+6.1f}"
        )

    def rounds_line(self) -> str:
        """Every round's seconds (the spread behind the medians)."""
        floors = "/".join(f"{entry.seconds:.2f}" for entry in self.floor)
        processors = "/".join(f"{entry.seconds - entry.copy_seconds:.2f}" for entry in self.processor)
        copies = "/".join(f"{entry.copy_seconds:.2f}" for entry in self.processor)
        return f"{self.label}: floor {floors} s; processor {processors} s without the copy, copy {copies} s"


HEADER = (
    "       object | floor MB/s | processor MB/s | ratio | copy s | ratio+copy | "
    "base MiB | peak MiB | +MiB (max) | floor +MiB"
)


def measure_floor(source: Source, environ: dict[str, str]) -> Sample:
    """The floor child on ``source`` (checked: it read exactly the uploaded bytes)."""
    result = measure(_FLOOR_CHILD, [INGEST_BUCKET, source.floor_key], environ)
    if result["sha256"] != source.sha256:
        raise RuntimeError("the floor read other bytes")
    return sample(result)


def measure_processor(event: dict[str, Any], environ: dict[str, str]) -> Sample:
    """The processor child on ``event`` (checked: the upload ended stored)."""
    result = measure(_PROCESSOR_CHILD, [json.dumps(event)], environ)
    if result["outcomes"].get("stored") != 1:
        raise RuntimeError(f"the processor did not store the object: {result}")
    return sample(result)


def run(
    *,
    sizes_mib: tuple[int, ...] = DEFAULT_SIZES_MIB,
    text_mib: int | None = DEFAULT_TEXT_MIB,
    rounds: int = DEFAULT_ROUNDS,
) -> Result:
    """Measure every size (PDF) and one text object; the worst ratio against the goals is the result."""
    cases = [("application/pdf", f"{size} MiB PDF", size * MiB) for size in sizes_mib]
    if text_mib:
        cases.append(("text/plain", f"{text_mib} MiB text", text_mib * MiB))
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as emulator_log:
        emulator = start_emulator(emulator_log)
        try:
            environ = child_environment(emulator)
            s3, dynamodb = _client("s3", emulator), _client("dynamodb", emulator)
            ensure_ingest_bucket(s3)
            for content_type, label, size in cases:
                key = f"{SOURCE_PREFIX}{label.replace(' ', '-')}"
                pdf = content_type == "application/pdf"
                uploaded, sha256 = upload_source(s3, key, pdf_parts(size) if pdf else text_parts(size))
                if uploaded != size:
                    raise RuntimeError(f"uploaded {uploaded} bytes for {label}")
                # Both children read a server-side copy of the upload (the processor its round's ingest key,
                # the floor this one): the same kind of object in moto, whatever the upload's parts were.
                floor_key = f"{FLOOR_PREFIX}{label.replace(' ', '-')}"
                s3.copy_object(
                    Bucket=INGEST_BUCKET, Key=floor_key, CopySource={"Bucket": INGEST_BUCKET, "Key": key}
                )
                source = Source(
                    key, size, sha256, content_type, "large.pdf" if pdf else "large.txt", floor_key
                )
                row = Row(label, size, [], [])
                for index in range(rounds):
                    event = new_round(s3, dynamodb, emulator.catalogue_table, source)
                    if index % 2:
                        row.processor.append(measure_processor(event, environ))
                        row.floor.append(measure_floor(source, environ))
                    else:
                        row.floor.append(measure_floor(source, environ))
                        row.processor.append(measure_processor(event, environ))
                    empty_vault(s3, emulator.documents_bucket)
                s3.delete_object(Bucket=INGEST_BUCKET, Key=key)
                s3.delete_object(Bucket=INGEST_BUCKET, Key=floor_key)
                rows.append(row)
                print(f"    {row.label}: done", file=sys.stderr, flush=True)
            emulator_peak = emulator.peak_mib()
        finally:
            stop_emulator(emulator)
    worst_ratio = min(row.ratio(with_copy=False) for row in rows)
    worst_extra = max(entry.extra_mib for row in rows for entry in row.processor)
    elapsed = time.perf_counter() - started
    details = [
        HEADER,
        *(row.line() for row in rows),
        *(row.rounds_line() for row in rows),
        "ratio: processor throughput / floor (median of per-round ratios), the server-side copy left out; "
        "ratio+copy: with moto's CopyObject in (S3's work when deployed)",
        f"peak RSS above the baseline, worst run: {worst_extra:+.1f} MiB (goal < +{GOAL_EXTRA_MIB:.0f} MiB); "
        f"the emulator's own peak RSS: {emulator_peak:,.0f} MiB (its own process)",
        f"{rounds} rounds per object, floor and processor alternating; {elapsed:.0f} s in all",
    ]
    return Result(
        name="processor on large objects (validate + copy) vs streamed GET + SHA-256, worst object",
        ratio=worst_ratio,
        goal=f">= {GOAL_RATIO}x the floor's throughput, < +{GOAL_EXTRA_MIB:.0f} MiB peak RSS at every size",
        met=worst_ratio >= GOAL_RATIO and worst_extra < GOAL_EXTRA_MIB,
        details=details,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.processor``: the benchmark alone, with its sizes and rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES_MIB)), help="PDF sizes in MiB")
    parser.add_argument("--text-mib", type=int, default=DEFAULT_TEXT_MIB, help="text object size (0: none)")
    parser.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    options = parser.parse_args(argv)
    sizes = tuple(int(size) for size in options.sizes.split(",") if size)
    print(run(sizes_mib=sizes, text_mib=options.text_mib or None, rounds=options.rounds).report(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
