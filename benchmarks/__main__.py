"""Run every benchmark and print its ratio against the baseline measured in the same run.

Usage: ``python -m benchmarks`` (what ``make bench`` runs): cold start, warm overhead, upload pipeline,
fact-extraction bombs (about 70 s; ``python -m benchmarks.fact_bombs`` runs it alone), SigV4
verification in local mode (``python -m benchmarks.sigv4``), the catalogue listing against S3's
(about 90 s with its 10,000-document fill; ``python -m benchmarks.listing`` runs it alone), the load
benchmark through local mode (about 20 s; ``python -m benchmarks.load`` runs it alone, with options),
then a 256 MiB upload through ``/uploads`` against boto3's multipart ``upload_file`` in local mode
(about 90 s; ``python -m benchmarks.uploads`` runs it alone, with options), then the ingest processor
on 64 MiB to 1 GiB objects against a streamed GET + SHA-256, in local mode's emulator (several minutes and
a few GiB of memory for the emulator; ``python -m benchmarks.processor`` runs it alone, with options), then
the ``docapi`` command's upload of 256 MiB against boto3's ``upload_file`` and its memory on 1 GiB (about
3 minutes; ``python -m benchmarks.client`` runs it alone, with options).
Exits 0 whether or not goals are met: the numbers are information for docs/service.md
and docs/limits.md, not a gate (timings on shared machines are noisy). It does exit non-zero if a
benchmark cannot run (for example a load request fails or a download differs).
"""

from __future__ import annotations

import os
import platform
import sys

BENCHMARK_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "benchmark",
    "AWS_SECRET_ACCESS_KEY": "benchmark",
    "AWS_DEFAULT_REGION": "us-east-1",
    "DOCUMENTS_BUCKET": "benchmark-documents",
    "CATALOGUE_TABLE": "benchmark-catalogue",
}
"""Fake credentials, a bucket and a table name: nothing here calls AWS, but boto3 needs a region to build a
client, and the handler module (imported by the warm-path benchmarks) reads its settings at import."""


def main() -> int:
    """Run the ten benchmarks in order, printing each report as it finishes."""
    for name, value in BENCHMARK_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    from benchmarks import (
        client,
        cold_start,
        fact_bombs,
        listing,
        load,
        processor,
        sigv4,
        upload,
        uploads,
        warm,
    )

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    for benchmark in (cold_start, warm, upload, fact_bombs, sigv4, listing, load, uploads, processor, client):
        result = benchmark.run()
        print(result.report(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
