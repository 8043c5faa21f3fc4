"""Large uploads through local mode (issue 14, performance): a 256 MiB document through ``/uploads`` with
8 parallel presigned part PUTs, against boto3's own multipart ``upload_file`` of the same file to the
same emulator with the same part size and concurrency. Goal: at least 0.7x boto3's throughput.

Run: ``python -m benchmarks.uploads`` (options: ``--size-mib``, ``--concurrency``, ``--repeat``), or
``python -m benchmarks``, which runs it with the defaults. Starts ``python -m local_mode`` on a free
loopback port (adapter, handler, moto's S3/DynamoDB/SQS server, event pump and processor: one process),
then, from this process:

- **candidate**, what a client of the API does: a signed ``POST /uploads`` (the session's ``partSize``
  and the first batch of part URLs; more through ``POST /uploads/{id}/parts`` if the file has more
  parts), every part ``PUT`` straight to its presigned URL on the emulator, ``concurrency`` at a time
  over one pooled urllib3 connection pool (the HTTP stack botocore itself uses; each part read with
  ``os.pread`` into memory, its ``ETag`` kept), then a signed ``POST /uploads/{id}/complete``. Timed
  to its 202. Then ``GET /uploads/{id}`` is polled until ``stored``: the time to ``stored`` (S3 event,
  processor streaming the object once, server-side copy into the vault, catalogue, session) is
  reported separately, and the next repetition starts only after it, so the processor never runs
  during a timed upload;
- **baseline**: ``boto3`` ``upload_file`` of the same file into a bucket of the same emulator set up
  like the ingest bucket (versioning and default encryption copied from it, no event notifications),
  ``TransferConfig(multipart_threshold=multipart_chunksize=<the session's partSize>,
  max_concurrency=<concurrency>)``, botocore's defaults otherwise (its request checksums included).

Repetitions alternate baseline and candidate after one untimed warm-up of each; the ratio compares the
best (least disturbed) time of each, and the medians are printed too. The document is a real JPEG
(dimensions in its frame header, the rest comment segments of random bytes), so the processor accepts
it. After the last repetition the stored document is downloaded through ``GET /documents/{id}/content
?redirect=true`` (303 to a presigned URL) and its SHA-256 compared: the benchmark fails if an upload
is refused, rejected, or comes back different, never on a figure (shared machines are noisy).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import struct
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import httpx
import urllib3

from benchmarks._timing import Result
from benchmarks.local_process import local_mode_process
from local_mode.emulator import DEFAULT_REGION
from local_mode.principals import new_user
from local_mode.signing import BotocoreSigV4, credentials_of

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from mypy_boto3_s3 import S3Client

    from local_mode.principals import Principal

MIB = 1024 * 1024
GOAL = 0.7
DEFAULT_SIZE_MIB = 256
DEFAULT_CONCURRENCY = 8
DEFAULT_REPEAT = 3
DEFAULT_SEED = 20261204
CONTENT_TYPE = "image/jpeg"
BASELINE_BUCKET = "benchmark-multipart-baseline"
"""The baseline's bucket in the emulator: no notifications, so boto3's upload wakes nothing else."""
STORED_TIMEOUT_SECONDS = 600.0
POLL_SECONDS = 0.1
HTTP_TIMEOUT_SECONDS = 120.0
MAX_PARTS_PER_REQUEST = 100
"""URLs per ``POST /uploads/{id}/parts`` (``uploads.MAX_PARTS_PER_REQUEST``)."""


class BenchmarkError(RuntimeError):
    """A request failed or a document came back wrong: the benchmark cannot report a figure."""


def write_jpeg(path: Path, size: int, *, seed: int = DEFAULT_SEED) -> str:
    """Write a ``size``-byte baseline JPEG to ``path`` and return its SHA-256 (hex).

    SOI, a SOF0 frame header with the dimensions the processor's bounded extractor reads, comment
    segments of (incompressible) random bytes, EOI; written a segment at a time, never whole in memory.
    """
    frame = struct.pack(">BHHB", 8, 3000, 4000, 1) + b"\x01\x11\x00"
    head = b"\xff\xd8\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame
    tail = b"\xff\xd9"
    left = size - len(head) - len(tail)
    if left < COMMENT_OVERHEAD:
        raise ValueError(f"a benchmark JPEG needs at least {len(head) + len(tail) + COMMENT_OVERHEAD} bytes")
    rng = random.Random(seed)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for piece in _jpeg_pieces(head, tail, left, rng):
            out.write(piece)
            digest.update(piece)
    return digest.hexdigest()


COMMENT_OVERHEAD = 4
"""A COM segment's marker and length field."""
MAX_COMMENT_PAYLOAD = 65_533
"""A segment's length field counts itself: at most 65,535."""


def _jpeg_pieces(head: bytes, tail: bytes, left: int, rng: random.Random) -> Iterator[bytes]:
    """``head``, comment segments filling exactly ``left`` bytes, ``tail``."""
    yield head
    while left:
        payload = min(MAX_COMMENT_PAYLOAD, left - COMMENT_OVERHEAD)
        if 0 < left - COMMENT_OVERHEAD - payload < COMMENT_OVERHEAD:
            payload -= COMMENT_OVERHEAD  # leave room for one more whole segment
        yield b"\xff\xfe" + struct.pack(">H", payload + 2) + rng.randbytes(payload)
        left -= payload + COMMENT_OVERHEAD
    yield tail


@dataclass(frozen=True)
class Sample:
    """The file both paths upload."""

    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class CandidateRun:
    """One upload through ``/uploads``: seconds to the 202 of complete, and to ``stored``."""

    upload_seconds: float
    stored_seconds: float
    upload_id: str
    document_id: str
    part_size: int
    part_count: int
    ingest_bucket: str
    """The bucket the part URLs addressed."""


class UploadsClient:
    """Signed API calls (httpx, botocore's SigV4) and unsigned presigned part PUTs (one urllib3 pool)."""

    def __init__(self, api_url: str, principal: Principal, *, concurrency: int) -> None:
        self._api = httpx.Client(
            base_url=api_url,
            auth=BotocoreSigV4(credentials_of(principal), DEFAULT_REGION),
            timeout=HTTP_TIMEOUT_SECONDS,
        )
        self._parts = urllib3.PoolManager(
            maxsize=concurrency, block=True, timeout=HTTP_TIMEOUT_SECONDS, retries=False
        )

    def close(self) -> None:
        """Close both clients."""
        self._api.close()
        self._parts.clear()

    def call(self, method: str, path: str, expected: int, body: object | None = None) -> httpx.Response:
        """A signed API request with a JSON body; anything but ``expected`` is a ``BenchmarkError``."""
        content = None if body is None else json.dumps(body).encode()
        headers = {} if content is None else {"Content-Type": "application/json"}
        response = self._api.request(method, path, content=content, headers=headers)
        if response.status_code != expected:
            raise BenchmarkError(
                f"{method} {path}: expected {expected}, got {response.status_code}: {response.text[:300]}"
            )
        return response

    def put_part(self, url: str, headers: dict[str, str], fd: int, offset: int, length: int) -> str:
        """PUT one part's bytes to its presigned URL; S3's ``ETag`` for it."""
        data = os.pread(fd, length, offset)
        if len(data) != length:
            raise BenchmarkError(f"short read at {offset}: {len(data)} of {length} bytes")
        response = self._parts.request("PUT", url, body=data, headers=headers, preload_content=True)
        etag = response.headers.get("ETag")
        if response.status != 200 or not etag:
            raise BenchmarkError(f"part PUT: {response.status}: {response.data[:300]!r}")
        return etag

    def download_sha256(self, document_id: str) -> str:
        """SHA-256 of the document read through the 303 redirect to its presigned URL (streamed)."""
        response = self.call("GET", f"/documents/{document_id}/content?redirect=true", 303)
        location = response.headers.get("Location")
        if not location or response.json().get("url") != location:
            raise BenchmarkError("the 303 must carry the presigned URL in Location and in its body")
        digest = hashlib.sha256()
        streamed = self._parts.request("GET", location, preload_content=False)
        try:
            if streamed.status != 200:
                raise BenchmarkError(f"presigned download: {streamed.status}")
            for chunk in streamed.stream(MIB):
                digest.update(chunk)
        finally:
            streamed.release_conn()
        return digest.hexdigest()


def upload_through_api(client: UploadsClient, sample: Sample, *, concurrency: int) -> CandidateRun:
    """Create the session, PUT every part ``concurrency`` at a time, complete; then wait for ``stored``."""
    started = time.perf_counter()
    declaration = {
        "filename": sample.path.name,
        "contentType": CONTENT_TYPE,
        "size": sample.size,
        "sha256": sample.sha256,
    }
    created = client.call("POST", "/uploads", 201, declaration).json()
    upload_id, part_size, part_count = created["id"], int(created["partSize"]), int(created["partCount"])
    urls: dict[int, dict[str, Any]] = {part["partNumber"]: part for part in created["parts"]}
    missing = [number for number in range(1, part_count + 1) if number not in urls]
    for start in range(0, len(missing), MAX_PARTS_PER_REQUEST):
        batch = missing[start : start + MAX_PARTS_PER_REQUEST]
        answer = client.call("POST", f"/uploads/{upload_id}/parts", 200, {"partNumbers": batch}).json()
        urls.update((part["partNumber"], part) for part in answer["parts"])
    fd = os.open(sample.path, os.O_RDONLY)
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as executor:
            futures = {
                number: executor.submit(
                    client.put_part,
                    urls[number]["url"],
                    dict(urls[number]["headers"]),
                    fd,
                    (number - 1) * part_size,
                    min(part_size, sample.size - (number - 1) * part_size),
                )
                for number in range(1, part_count + 1)
            }
            etags = {number: future.result() for number, future in futures.items()}
    finally:
        os.close(fd)
    parts = [{"partNumber": number, "etag": etags[number]} for number in range(1, part_count + 1)]
    client.call("POST", f"/uploads/{upload_id}/complete", 202, {"parts": parts})
    uploaded = time.perf_counter()
    session = _wait_until_stored(client, upload_id)
    stored = time.perf_counter()
    return CandidateRun(
        upload_seconds=uploaded - started,
        stored_seconds=stored - started,
        upload_id=upload_id,
        document_id=str(session["documentId"]),
        part_size=part_size,
        part_count=part_count,
        ingest_bucket=ingest_bucket_of(urls[1]["url"]),
    )


def _wait_until_stored(client: UploadsClient, upload_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + STORED_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        session: dict[str, Any] = client.call("GET", f"/uploads/{upload_id}", 200).json()
        if session["status"] == "stored":
            return session
        if session["status"] not in ("processing", "scanning"):
            raise BenchmarkError(f"upload {upload_id} ended {session['status']}: {session.get('error')}")
        time.sleep(POLL_SECONDS)
    raise BenchmarkError(f"upload {upload_id} not stored within {STORED_TIMEOUT_SECONDS:.0f} s")


def ingest_bucket_of(part_url: str) -> str:
    """The bucket a path-style presigned URL of the emulator addresses (``/<bucket>/<key>``)."""
    return unquote(urlsplit(part_url).path.lstrip("/").split("/", 1)[0])


def prepare_baseline_bucket(s3: S3Client, ingest_bucket: str) -> None:
    """Create the baseline bucket with the ingest bucket's versioning and default encryption."""
    s3.create_bucket(Bucket=BASELINE_BUCKET)
    versioning = s3.get_bucket_versioning(Bucket=ingest_bucket).get("Status")
    if versioning == "Enabled":
        s3.put_bucket_versioning(Bucket=BASELINE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    try:
        encryption = s3.get_bucket_encryption(Bucket=ingest_bucket)["ServerSideEncryptionConfiguration"]
    except s3.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ServerSideEncryptionConfigurationNotFoundError":
            raise
    else:
        s3.put_bucket_encryption(Bucket=BASELINE_BUCKET, ServerSideEncryptionConfiguration=encryption)


def upload_with_boto3(s3: S3Client, sample: Sample, key: str, *, part_size: int, concurrency: int) -> float:
    """Seconds for boto3's managed multipart ``upload_file`` of the sample (same part size, concurrency)."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(
        multipart_threshold=part_size,
        multipart_chunksize=part_size,
        max_concurrency=concurrency,
        use_threads=True,
    )
    started = time.perf_counter()
    s3.upload_file(str(sample.path), BASELINE_BUCKET, key, Config=config)
    seconds = time.perf_counter() - started
    size = s3.head_object(Bucket=BASELINE_BUCKET, Key=key)["ContentLength"]
    if size != sample.size:
        raise BenchmarkError(f"boto3 stored {size} bytes of {sample.size}")
    s3.delete_object(Bucket=BASELINE_BUCKET, Key=key)
    return seconds


def emulator_client(endpoint_url: str, *, concurrency: int) -> S3Client:
    """A plain boto3 S3 client for the emulator (fake credentials: moto accepts any)."""
    import boto3
    from botocore.config import Config

    client: S3Client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=DEFAULT_REGION,
        aws_access_key_id="benchmark",
        aws_secret_access_key="benchmark",
        config=Config(max_pool_connections=max(10, concurrency)),
    )
    return client


def measure(
    api_url: str,
    s3_endpoint_url: str,
    principal: Principal,
    sample: Sample,
    *,
    concurrency: int,
    repeat: int,
) -> Result:
    """Warm up both paths once, then ``repeat`` alternating timed runs of each; the report."""
    client = UploadsClient(api_url, principal, concurrency=concurrency)
    s3 = emulator_client(s3_endpoint_url, concurrency=concurrency)
    try:
        client.call("GET", "/health", 200)
        warm = upload_through_api(client, sample, concurrency=concurrency)
        prepare_baseline_bucket(s3, warm.ingest_bucket)
        upload_with_boto3(s3, sample, "warm-up", part_size=warm.part_size, concurrency=concurrency)
        client.call("DELETE", f"/documents/{warm.document_id}", 204)
        baseline: list[float] = []
        candidate: list[CandidateRun] = []
        for round_number in range(repeat):
            baseline.append(
                upload_with_boto3(
                    s3, sample, f"round-{round_number}", part_size=warm.part_size, concurrency=concurrency
                )
            )
            run = upload_through_api(client, sample, concurrency=concurrency)
            candidate.append(run)
            if round_number < repeat - 1:
                client.call("DELETE", f"/documents/{run.document_id}", 204)
        downloaded = client.download_sha256(candidate[-1].document_id)
        if downloaded != sample.sha256:
            raise BenchmarkError(f"the stored document reads back as {downloaded}, not {sample.sha256}")
        client.call("DELETE", f"/documents/{candidate[-1].document_id}", 204)
    finally:
        client.close()
    return _result(sample, baseline, candidate, concurrency=concurrency, repeat=repeat)


def _result(
    sample: Sample,
    baseline: Sequence[float],
    candidate: Sequence[CandidateRun],
    *,
    concurrency: int,
    repeat: int,
) -> Result:
    mib = sample.size / MIB
    best_baseline, best_candidate = min(baseline), min(run.upload_seconds for run in candidate)
    median_baseline = statistics.median(baseline)
    median_candidate = statistics.median(run.upload_seconds for run in candidate)
    ratio = best_baseline / best_candidate
    to_stored = [run.stored_seconds for run in candidate]
    after_complete = [run.stored_seconds - run.upload_seconds for run in candidate]
    plan = candidate[0]
    return Result(
        name=(
            f"large upload ({mib:.0f} MiB, {plan.part_count} parts of {plan.part_size // MIB} MiB, "
            f"{concurrency} at a time) through /uploads vs boto3 upload_file"
        ),
        ratio=ratio,
        goal=f">= {GOAL}x boto3's throughput, to the 202 of complete",
        met=ratio >= GOAL,
        details=[
            f"/uploads (create + presigned part PUTs + complete): best {mib / best_candidate:,.0f} MiB/s "
            f"({best_candidate:.2f} s), median {mib / median_candidate:,.0f} MiB/s "
            f"({median_candidate:.2f} s)",
            f"boto3 upload_file (TransferConfig chunksize {plan.part_size // MIB} MiB, max_concurrency "
            f"{concurrency}): best {mib / best_baseline:,.0f} MiB/s ({best_baseline:.2f} s), median "
            f"{mib / median_baseline:,.0f} MiB/s ({median_baseline:.2f} s); ratio of medians "
            f"{median_baseline / median_candidate:.3f}",
            f"time to 'stored' (from POST /uploads): best {min(to_stored):.2f} s, median "
            f"{statistics.median(to_stored):.2f} s; of which after the 202 (event, processor, copy, "
            f"catalogue): median {statistics.median(after_complete):.2f} s",
            "rounds, boto3 / /uploads / to stored, s: "
            + ", ".join(
                f"{seconds:.2f} / {run.upload_seconds:.2f} / {run.stored_seconds:.2f}"
                for seconds, run in zip(baseline, candidate, strict=True)
            ),
            f"{repeat} rounds alternating baseline and candidate after one warm-up of each; "
            "the stored document read back through the 303 with the same SHA-256",
        ],
    )


def run(
    *,
    size_mib: int = DEFAULT_SIZE_MIB,
    concurrency: int = DEFAULT_CONCURRENCY,
    repeat: int = DEFAULT_REPEAT,
) -> Result:
    """Write the sample, start local mode, measure, stop it (``python -m benchmarks`` runs this)."""
    principal = new_user("uploads-benchmark")
    with tempfile.TemporaryDirectory(prefix="uploads-benchmark-") as directory:
        path = Path(directory) / "large-scan.jpg"
        size = size_mib * MIB
        sample = Sample(path=path, size=size, sha256=write_jpeg(path, size))
        with local_mode_process([principal]) as running:
            return measure(
                running.api_url,
                running.s3_endpoint_url,
                principal,
                sample,
                concurrency=concurrency,
                repeat=repeat,
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, then run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.uploads", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--size-mib", type=int, default=DEFAULT_SIZE_MIB)
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    options = parser.parse_args(argv)
    if options.size_mib < 1 or options.concurrency < 1 or options.repeat < 1:
        parser.error("--size-mib, --concurrency and --repeat must be at least 1")
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs", flush=True)
    result = run(size_mib=options.size_mib, concurrency=options.concurrency, repeat=options.repeat)
    print(result.report(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
