"""Load through local mode: concurrent uploads and downloads of a mixed document set, over HTTP.

Run: ``python -m benchmarks.load`` (options: ``--workers``, ``--uploads-per-worker``, ``--seed``), or
``python -m benchmarks``, which runs it with the defaults after the other benchmarks. Starts
``python -m local_mode`` on a free loopback port (the API Gateway adapter, the handler and moto's S3
server, in one process), then from this process, with ``workers`` threads each holding a keep-alive
connection: ``GET /health`` (the baseline: the same HTTP server, adapter and handler, no S3 call),
``POST /documents`` and ``GET /documents/{id}/content``. Prints throughput and p50/p95 latency of
each, and the ratios of the document routes to the baseline measured in the same run. It never fails
on a figure (shared machines are noisy); it does fail if a request does, or a download differs.

The workload (``mixed_documents``, ``upload_all``) is also what ``tests/robustness/test_concurrency.py``
runs at a bounded size to verify that nothing is lost, duplicated or corrupted.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import random
import statistics
import struct
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import httpx

from benchmarks.local_process import local_mode_process
from local_mode.emulator import DEFAULT_REGION
from local_mode.principals import new_user
from local_mode.signing import BotocoreSigV4, credentials_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from local_mode.principals import Principal

DEFAULT_WORKERS = 8
DEFAULT_UPLOADS_PER_WORKER = 50
DEFAULT_HEALTH_REQUESTS_PER_WORKER = 100
DEFAULT_SEED = 20261126
DEFAULT_MAX_SAMPLE_BYTES = 256 * 1024
"""Largest generated document: sizes spread from a few bytes to this (log-uniform)."""
DEFAULT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Sample:
    """One document to upload and what it must read back as."""

    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the bytes (what the API must report and return)."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class Timed:
    """One request's outcome: status, JSON (or body) and latency."""

    status: int
    body: bytes
    seconds: float
    json: dict[str, object] | None = None


def _text(rng: random.Random, size: int) -> Sample:
    words = [word.encode() for word in ("Grüße", "document", "naïve", "tëst", "数据", "line", "🙂", "plain")]
    parts: list[bytes] = []
    length = 0
    while length < size:
        word = rng.choice(words) + (b" " if rng.random() < 0.9 else b"\n")
        parts.append(word)
        length += len(word)
    return Sample("text/plain", b"".join(parts))


def _png(rng: random.Random, size: int) -> Sample:
    width = max(1, min(1024, int((size / 1.02) ** 0.5)))
    height = max(1, size // (width + 1))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    rows = b"".join(b"\x00" + rng.randbytes(width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 1))
    return Sample("image/png", data + chunk(b"IEND", b""))


def _jpeg(rng: random.Random, size: int) -> Sample:
    """A JPEG the service can measure (SOF0 with dimensions), padded to ``size`` with comment segments."""
    frame = struct.pack(">BHHB", 8, rng.randint(1, 4000), rng.randint(1, 4000), 1) + b"\x01\x11\x00"
    data = b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(frame) + 2) + frame
    while len(data) < size:
        payload = rng.randbytes(min(65_000, size - len(data)))
        data += b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload
    return Sample("image/jpeg", data + b"\xff\xd9")


def _pdf(rng: random.Random, size: int) -> Sample:
    import pypdf

    writer = pypdf.PdfWriter()
    for _ in range(rng.randint(1, 5)):
        writer.add_blank_page(width=612, height=792)
    if size > 2048:
        writer.add_attachment("payload.bin", rng.randbytes(size - 2048))
    buffer = io.BytesIO()
    writer.write(buffer)
    return Sample("application/pdf", buffer.getvalue())


_BUILDERS: tuple[Callable[[random.Random, int], Sample], ...] = (_text, _pdf, _png, _jpeg)


def mixed_documents(
    count: int, *, seed: int = DEFAULT_SEED, max_bytes: int = DEFAULT_MAX_SAMPLE_BYTES
) -> list[Sample]:
    """``count`` valid documents: text, PDF, PNG and JPEG in turn, sizes log-uniform up to ``max_bytes``."""
    rng = random.Random(seed)
    return [
        _BUILDERS[n % len(_BUILDERS)](rng, int(2 ** rng.uniform(6, max_bytes.bit_length() - 1)))
        for n in range(count)
    ]


class ClientPool:
    """One keep-alive ``httpx.Client`` per worker thread, all signing as the same principal."""

    def __init__(self, base_url: str, principal: Principal, *, region: str = DEFAULT_REGION) -> None:
        self._base_url = base_url
        self._auth = BotocoreSigV4(credentials_of(principal), region)
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def client(self) -> httpx.Client:
        """This thread's client."""
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = httpx.Client(
                base_url=self._base_url,
                auth=self._auth,
                timeout=DEFAULT_TIMEOUT_SECONDS,
            )
            self._local.client = client
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        """Close every client."""
        for client in self._clients:
            client.close()


def timed(pool: ClientPool, method: str, path: str, **kwargs: object) -> Timed:
    """One request through this thread's client, timed from send to complete body."""
    started = time.perf_counter()
    response = pool.client().request(method, path, **kwargs)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    is_json = response.content and response.headers.get("content-type", "").startswith("application/json")
    return Timed(response.status_code, response.content, seconds, response.json() if is_json else None)


def run_all(workers: int, tasks: Sequence[Callable[[], Timed]]) -> tuple[list[Timed], float]:
    """Run ``tasks`` on ``workers`` threads; results in task order and the wall time of the batch."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as executor:
        futures = [executor.submit(task) for task in tasks]
        results = [future.result() for future in futures]
    return results, time.perf_counter() - started


def upload_all(pool: ClientPool, samples: Sequence[Sample], *, workers: int) -> tuple[list[Timed], float]:
    """Upload every sample concurrently; results in sample order."""
    return run_all(
        workers,
        [
            partial(
                timed,
                pool,
                "POST",
                "/documents",
                content=sample.data,
                headers={"Content-Type": sample.content_type},
            )
            for sample in samples
        ],
    )


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


@dataclass(frozen=True)
class Figures:
    """Throughput and latency of one batch."""

    name: str
    requests: int
    wall_seconds: float
    p50_ms: float
    p95_ms: float

    @property
    def per_second(self) -> float:
        """Completed requests per second over the batch's wall time."""
        return self.requests / self.wall_seconds

    @classmethod
    def of(cls, name: str, results: Sequence[Timed], wall_seconds: float) -> Figures:
        latencies = [result.seconds * 1000 for result in results]
        return cls(
            name, len(results), wall_seconds, statistics.median(latencies), percentile(latencies, 0.95)
        )

    def line(self, baseline: Figures | None = None) -> str:
        text = (
            f"{self.name}: {self.per_second:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p95 {self.p95_ms:.1f} ms"
        )
        if baseline is not None:
            text += (
                f"  (throughput {self.per_second / baseline.per_second:.3f}x, "
                f"p95 {self.p95_ms / baseline.p95_ms:.1f}x the baseline's)"
            )
        return text


def _expect(results: Sequence[Timed], status: int, what: str) -> None:
    failed = [result for result in results if result.status != status]
    if failed:
        raise RuntimeError(f"{len(failed)} {what} failed, e.g. {failed[0].status}: {failed[0].body[:200]!r}")


def measure(
    base_url: str,
    principal: Principal,
    *,
    workers: int,
    uploads_per_worker: int,
    seed: int = DEFAULT_SEED,
) -> list[str]:
    """Run the three batches against ``base_url``, signing as ``principal``; the report lines."""
    samples = mixed_documents(workers * uploads_per_worker, seed=seed)
    pool = ClientPool(base_url, principal)
    try:
        health_check = partial(timed, pool, "GET", "/health")
        run_all(workers, [health_check] * workers * 5)  # warm-up: connections, imports, caches
        health_results, health_wall = run_all(
            workers,
            [health_check] * workers * DEFAULT_HEALTH_REQUESTS_PER_WORKER,
        )
        _expect(health_results, 200, "health checks")
        upload_results, upload_wall = upload_all(pool, samples, workers=workers)
        _expect(upload_results, 201, "uploads")
        ids = [str((result.json or {})["id"]) for result in upload_results]
        download_results, download_wall = run_all(
            workers,
            [partial(timed, pool, "GET", f"/documents/{document_id}/content") for document_id in ids],
        )
        _expect(download_results, 200, "downloads")
        corrupted = sum(
            hashlib.sha256(result.body).hexdigest() != sample.sha256
            for result, sample in zip(download_results, samples, strict=True)
        )
        if corrupted:
            raise RuntimeError(f"{corrupted} downloads differ from what was uploaded")
    finally:
        pool.close()
    health = Figures.of("GET /health (baseline)", health_results, health_wall)
    uploads = Figures.of("POST /documents", upload_results, upload_wall)
    downloads = Figures.of("GET /documents/{id}/content", download_results, download_wall)
    megabytes = sum(len(sample.data) for sample in samples) / 1_000_000
    counts = {t: sum(s.content_type == t for s in samples) for t in sorted({s.content_type for s in samples})}
    return [
        f"{len(samples)} documents ({megabytes:.1f} MB; {', '.join(f'{n} {t}' for t, n in counts.items())}), "
        f"{workers} workers, keep-alive connections",
        health.line(),
        uploads.line(health) + f", {megabytes / upload_wall:.1f} MB/s",
        downloads.line(health) + f", {megabytes / download_wall:.1f} MB/s",
    ]


@dataclass(frozen=True)
class LoadResult:
    """The load benchmark's report: throughput and latency, with ratios to ``GET /health`` (no goal)."""

    lines: list[str]

    def report(self) -> str:
        """Human-readable lines for the console."""
        return "load through local mode:\n    " + "\n    ".join(self.lines)


def run(
    *,
    workers: int = DEFAULT_WORKERS,
    uploads_per_worker: int = DEFAULT_UPLOADS_PER_WORKER,
    seed: int = DEFAULT_SEED,
) -> LoadResult:
    """Start local mode, measure the three batches, stop it (``python -m benchmarks`` runs this)."""
    principal = new_user("load-benchmark")
    with local_mode_process([principal]) as running:
        return LoadResult(
            measure(
                running.api_url, principal, workers=workers, uploads_per_worker=uploads_per_worker, seed=seed
            )
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, then run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS)
    parser.add_argument("--uploads-per-worker", type=int, default=DEFAULT_UPLOADS_PER_WORKER)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    options = parser.parse_args(argv)
    if options.workers < 1 or options.uploads_per_worker < 1:
        parser.error("--workers and --uploads-per-worker must be at least 1")
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs", flush=True)
    result = run(workers=options.workers, uploads_per_worker=options.uploads_per_worker, seed=options.seed)
    print(result.report(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
