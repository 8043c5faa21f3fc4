"""The ``docapi`` command (issue 16, performance): a 256 MiB upload to local mode against boto3's own
``upload_file`` of the same file to the same emulator, same part size and concurrency; and the
command's peak memory while it uploads 1 GiB. Goals: at least 0.8x boto3's throughput, under 128 MiB.

Run: ``python -m benchmarks.client`` (options: ``--size-mib``, ``--rss-size-mib``, ``--concurrency``,
``--repeat``). Starts ``python -m local_mode`` on a free loopback port, then:

- **candidate**: ``docapi upload FILE --json --concurrency N`` run as a child process (the console
  script of the workspace member, with a local principal's keys in its environment), timed from
  start to exit: interpreter start and imports, the SHA-256 pass over the file, ``POST /uploads``,
  the parts streamed from disk to their presigned URLs N at a time, ``POST /uploads/{id}/complete``.
  Then the benchmark waits for ``stored`` and deletes the document, so the processor never runs
  during a timed upload;
- **baseline**: ``boto3`` ``upload_file`` of the same file into a bucket of the same emulator set up
  like the ingest bucket (``benchmarks.uploads``), ``TransferConfig(multipart_chunksize=<the session's
  partSize>, max_concurrency=N)``, run as a child process too (``python -c``: interpreter start, boto3
  import, client, upload), so both sides are whole programs and pay their start-up.

For information, each round also times boto3's ``upload_file`` and ``DocumentClient.upload_file`` in
this process (no start-up on either side). Rounds alternate the four after one untimed warm-up of
each; the ratio compares the best time of each, medians printed too. Memory: one ``docapi upload``
of a ``--rss-size-mib`` file (1 GiB), its peak resident set read from the kernel when it exits
(``wait4``'s ``ru_maxrss``, the child's VmHWM). The benchmark fails if an upload is refused or the
stored SHA-256 differs, never on a figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.credentials import Credentials

from benchmarks._timing import Result
from benchmarks.local_process import local_mode_process
from benchmarks.uploads import (
    BASELINE_BUCKET,
    BenchmarkError,
    emulator_client,
    prepare_baseline_bucket,
    upload_with_boto3,
    write_jpeg,
)
from docapi import DocumentClient
from local_mode.emulator import DEFAULT_REGION
from local_mode.principals import new_user

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mypy_boto3_s3 import S3Client

    from benchmarks.uploads import Sample
    from local_mode.principals import Principal

MIB = 1024 * 1024
GOAL = 0.8
RSS_GOAL_MIB = 128
DEFAULT_SIZE_MIB = 256
DEFAULT_RSS_SIZE_MIB = 1024
DEFAULT_CONCURRENCY = 8
DEFAULT_REPEAT = 3
COMMAND_TIMEOUT_SECONDS = 900.0


def docapi_command() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m docapi``."""
    script = Path(sys.executable).with_name("docapi")
    return [str(script)] if script.exists() else [sys.executable, "-m", "docapi"]


def command_environment(api_url: str, principal: Principal, state_dir: Path) -> dict[str, str]:
    """The child's environment: the principal's keys, the endpoint, no AWS config files, no TTY bars."""
    skipped = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "DOCAPI_STACK_OUTPUTS")
    environment = {name: value for name, value in os.environ.items() if name not in skipped}
    environment.update(
        DOCAPI_ENDPOINT=api_url,
        DOCAPI_STATE_DIR=str(state_dir),
        AWS_ACCESS_KEY_ID=principal.access_key_id,
        AWS_SECRET_ACCESS_KEY=principal.secret_access_key,
        AWS_REGION=DEFAULT_REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return environment


def run_docapi_upload(
    path: Path, environment: dict[str, str], *, concurrency: int
) -> tuple[float, dict[str, object], int]:
    """Seconds, the ``--json`` result and the peak RSS (KiB) of one ``docapi upload`` child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [*docapi_command(), "upload", str(path), "--json", "--concurrency", str(concurrency)],
            env=environment,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise BenchmarkError(f"docapi upload exited {process.returncode}: {err.read().decode()[-500:]}")
        [result] = json.loads(out.read())
    return seconds, result, usage.ru_maxrss


BOTO3_CHILD = """
import sys, boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
endpoint, bucket, key, path, part_size, concurrency = sys.argv[1:7]
pool = Config(max_pool_connections=max(10, int(concurrency)))
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="benchmark",
                  aws_secret_access_key="benchmark", config=pool)
config = TransferConfig(multipart_threshold=int(part_size), multipart_chunksize=int(part_size),
                        max_concurrency=int(concurrency), use_threads=True)
s3.upload_file(path, bucket, key, Config=config)
"""
"""The baseline as a program of its own: interpreter start, boto3 import, client, ``upload_file``."""


def run_boto3_child(
    s3: S3Client, endpoint: str, sample: Sample, key: str, *, part_size: int, concurrency: int
) -> float:
    """Seconds from spawn to exit of a child running boto3's ``upload_file`` (the command baseline)."""
    arguments = [endpoint, BASELINE_BUCKET, key, str(sample.path), str(part_size), str(concurrency)]
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", BOTO3_CHILD, *arguments], check=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    if s3.head_object(Bucket=BASELINE_BUCKET, Key=key)["ContentLength"] != sample.size:
        raise BenchmarkError("the boto3 child stored another size")
    s3.delete_object(Bucket=BASELINE_BUCKET, Key=key)
    return seconds


def wait_stored_and_delete(
    client: DocumentClient, upload_id: str, sha256: str, *, delete: bool = True
) -> None:
    """Follow the session to ``stored``, check the stored SHA-256, delete the document."""
    session = client.wait_for_upload(upload_id)
    document = client.get_document(session.get("documentId") or upload_id)
    if document["sha256"] != sha256:
        raise BenchmarkError(f"stored as {document['sha256']}, not {sha256}")
    if delete:
        client.delete_document(document["id"])


def measure(
    api_url: str,
    s3_endpoint_url: str,
    principal: Principal,
    sample: Sample,
    rss_sample: Sample | None,
    *,
    concurrency: int,
    repeat: int,
    state_dir: Path,
) -> Result:
    """Warm up both, alternate ``repeat`` timed rounds, then the 1 GiB memory run."""
    environment = command_environment(api_url, principal, state_dir)
    s3 = emulator_client(s3_endpoint_url, concurrency=concurrency)
    credentials = Credentials(principal.access_key_id, principal.secret_access_key)
    with DocumentClient(api_url, credentials=credentials, state_dir=state_dir) as client:
        client.health()
        _, warm, _ = run_docapi_upload(sample.path, environment, concurrency=concurrency)
        upload_id = str(warm["id"])
        part_size = client.get_upload(upload_id)["partSize"]
        wait_stored_and_delete(client, upload_id, sample.sha256)
        prepare_baseline_bucket(s3, _ingest_bucket(client, sample))
        upload_with_boto3(s3, sample, "warm-up", part_size=part_size, concurrency=concurrency)
        run_boto3_child(s3, s3_endpoint_url, sample, "warm-up", part_size=part_size, concurrency=concurrency)
        rounds = Rounds()
        for round_number in range(repeat):
            key = f"round-{round_number}"
            rounds.boto3_child.append(
                run_boto3_child(
                    s3, s3_endpoint_url, sample, key, part_size=part_size, concurrency=concurrency
                )
            )
            seconds, result, _ = run_docapi_upload(sample.path, environment, concurrency=concurrency)
            rounds.docapi_command.append(seconds)
            wait_stored_and_delete(client, str(result["id"]), sample.sha256)
            rounds.boto3.append(
                upload_with_boto3(s3, sample, key, part_size=part_size, concurrency=concurrency)
            )
            started = time.perf_counter()
            uploaded = client.upload_file(sample.path, concurrency=concurrency)
            rounds.sdk.append(time.perf_counter() - started)
            wait_stored_and_delete(client, uploaded.id, sample.sha256)
        rss_kib: int | None = None
        if rss_sample is not None:
            _, result, rss_kib = run_docapi_upload(rss_sample.path, environment, concurrency=concurrency)
            wait_stored_and_delete(client, str(result["id"]), rss_sample.sha256)
    return _result(sample, rss_sample, rounds, rss_kib, part_size=part_size, concurrency=concurrency)


def _ingest_bucket(client: DocumentClient, sample: Sample) -> str:
    """The ingest bucket's name, from a part URL of a session opened and aborted for it."""
    from benchmarks.uploads import ingest_bucket_of

    session = client.create_upload(
        filename="probe.jpg", content_type="image/jpeg", size=sample.size, sha256=sample.sha256
    )
    try:
        return ingest_bucket_of(session["parts"][0]["url"])
    finally:
        client.abort_upload(session["id"])


@dataclass
class Rounds:
    """Seconds per round of each of the four ways the file is uploaded."""

    boto3_child: list[float] = field(default_factory=list)
    """A child process running boto3's ``upload_file`` (the baseline of the goal)."""
    docapi_command: list[float] = field(default_factory=list)
    """A child process running ``docapi upload`` (the candidate of the goal)."""
    boto3: list[float] = field(default_factory=list)
    """boto3's ``upload_file`` in this process."""
    sdk: list[float] = field(default_factory=list)
    """``DocumentClient.upload_file`` in this process."""


def _line(label: str, mib: float, times: Sequence[float]) -> str:
    best, median = min(times), statistics.median(times)
    return (
        f"{label}: best {mib / best:,.0f} MiB/s ({best:.2f} s), median {mib / median:,.0f} MiB/s "
        f"({median:.2f} s); rounds " + ", ".join(f"{seconds:.2f}" for seconds in times)
    )


def _result(
    sample: Sample,
    rss_sample: Sample | None,
    rounds: Rounds,
    rss_kib: int | None,
    *,
    part_size: int,
    concurrency: int,
) -> Result:
    mib = sample.size / MIB
    ratio = min(rounds.boto3_child) / min(rounds.docapi_command)
    median = statistics.median
    rss_mib = None if rss_kib is None else rss_kib / 1024
    rss_met = rss_mib is None or rss_mib < RSS_GOAL_MIB
    details = [
        _line(
            "docapi upload, a child process (start, SHA-256 pass, create, parts, complete)",
            mib,
            rounds.docapi_command,
        ),
        _line("boto3 upload_file, a child process (start, import, client, upload)", mib, rounds.boto3_child),
        _line("DocumentClient.upload_file in this process (SHA-256 pass included)", mib, rounds.sdk),
        _line("boto3 upload_file in this process", mib, rounds.boto3),
        f"ratio of medians, commands: {median(rounds.boto3_child) / median(rounds.docapi_command):.3f}; "
        f"in this process: best {min(rounds.boto3) / min(rounds.sdk):.3f}, medians "
        f"{median(rounds.boto3) / median(rounds.sdk):.3f}; the docapi command against boto3 in this "
        f"process: best {min(rounds.boto3) / min(rounds.docapi_command):.3f}",
        f"parts of {part_size // MIB} MiB, {concurrency} at a time in all four (boto3: TransferConfig "
        f"multipart_chunksize, max_concurrency; bucket {BASELINE_BUCKET} set up like the ingest bucket)",
    ]
    if rss_sample is not None and rss_mib is not None:
        details.append(
            f"docapi upload of {rss_sample.size / MIB:,.0f} MiB: peak RSS {rss_mib:.1f} MiB (goal < "
            f"{RSS_GOAL_MIB} MiB: {'met' if rss_met else 'MISSED'})"
        )
    return Result(
        name=(
            f"docapi upload ({mib:.0f} MiB, parts of {part_size // MIB} MiB, {concurrency} at a time) "
            "vs boto3 upload_file to the emulator, each a process of its own"
        ),
        ratio=ratio,
        goal=f">= {GOAL}x boto3's throughput and peak RSS < {RSS_GOAL_MIB} MiB",
        met=ratio >= GOAL and rss_met,
        details=details,
    )


def run(
    *,
    size_mib: int = DEFAULT_SIZE_MIB,
    rss_size_mib: int = DEFAULT_RSS_SIZE_MIB,
    concurrency: int = DEFAULT_CONCURRENCY,
    repeat: int = DEFAULT_REPEAT,
) -> Result:
    """Write the samples, start local mode, measure, stop it."""
    from benchmarks.uploads import Sample

    principal = new_user("client-benchmark")
    with tempfile.TemporaryDirectory(prefix="client-benchmark-") as directory:
        path = Path(directory) / "large-scan.jpg"
        sample = Sample(path=path, size=size_mib * MIB, sha256=write_jpeg(path, size_mib * MIB))
        rss_sample = None
        if rss_size_mib:
            rss_path = Path(directory) / "huge-scan.jpg"
            rss_sample = Sample(
                rss_path, rss_size_mib * MIB, write_jpeg(rss_path, rss_size_mib * MIB, seed=7)
            )
        with local_mode_process([principal]) as running:
            return measure(
                running.api_url,
                running.s3_endpoint_url,
                principal,
                sample,
                rss_sample,
                concurrency=concurrency,
                repeat=repeat,
                state_dir=Path(directory) / "state",
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run, print the figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.client", description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=DEFAULT_SIZE_MIB)
    parser.add_argument(
        "--rss-size-mib", type=int, default=DEFAULT_RSS_SIZE_MIB, help="0: skip the memory run"
    )
    parser.add_argument("--concurrency", type=int, default=DEFAULT_CONCURRENCY)
    parser.add_argument("--repeat", type=int, default=DEFAULT_REPEAT)
    options = parser.parse_args(argv)
    if options.size_mib < 6 or options.concurrency < 1 or options.repeat < 1 or options.rss_size_mib < 0:
        parser.error(
            "--size-mib >= 6 (above the inline limit), --concurrency/--repeat >= 1, --rss-size-mib >= 0"
        )
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs", flush=True)
    result = run(
        size_mib=options.size_mib,
        rss_size_mib=options.rss_size_mib,
        concurrency=options.concurrency,
        repeat=options.repeat,
    )
    print(result.report(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
