"""Cold start: a fresh interpreter importing the handler module (settings, logging, S3 client creation)
versus a floor that only imports boto3 and creates the same S3 client.

Processes alternate (floor, handler, floor, ...) so drift affects both equally; wall time is from spawn
to exit, peak memory is the child's maximum resident set size from ``wait4``. The ratio uses each
program's fastest run, as ``timeit`` advises: other load on the machine only ever adds time, so the
minimum is the best estimate of the program's own cost (medians are printed too). Goal: at most 1.05x the
floor in wall time and at most 2 MiB more peak memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._timing import Result, median

REPOSITORY = Path(__file__).resolve().parent.parent
WALL_GOAL = 1.05
MEMORY_GOAL_KIB = 2 * 1024
DEFAULT_ROUNDS = 25

FLOOR = """
import boto3
from botocore.config import Config
boto3.client("s3", config=Config(connect_timeout=1.0, read_timeout=4.0,
                                 retries={"mode": "standard", "total_max_attempts": 2}))
"""
HANDLER = "import document_processor.handler"
POWERTOOLS = """
import boto3
from botocore.config import Config
from aws_lambda_powertools import Logger, Metrics
boto3.client("s3", config=Config(connect_timeout=1.0, read_timeout=4.0,
                                 retries={"mode": "standard", "total_max_attempts": 2}))
Logger(service="document-api"); Metrics(namespace="SecureDocumentApi", service="document-api")
"""


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "DOCUMENTS_BUCKET": "benchmark-documents",
            "PYTHONPATH": str(REPOSITORY),
        }
    )
    return env


def _run(code: str, env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, peak RSS KiB) of one fresh interpreter running ``code``."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"benchmark child failed: {error}")
    if process.stderr:
        process.stderr.close()
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def run(*, rounds: int = DEFAULT_ROUNDS) -> Result:
    """Measure and compare; one warm-up run of each fills the bytecode cache first."""
    env = _environment()
    programs = {"floor": FLOOR, "handler": HANDLER, "powertools": POWERTOOLS}
    for code in programs.values():
        _run(code, env)
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in programs}
    for _ in range(rounds):
        for name, code in programs.items():
            samples[name].append(_run(code, env))
    wall = {name: min(sample[0] for sample in runs) for name, runs in samples.items()}
    wall_median = {name: median([sample[0] for sample in runs]) for name, runs in samples.items()}
    cpu = {name: min(sample[1] for sample in runs) for name, runs in samples.items()}
    peak = {name: median([float(sample[2]) for sample in runs]) for name, runs in samples.items()}
    ratio = wall["handler"] / wall["floor"]
    extra_kib = peak["handler"] - peak["floor"]
    return Result(
        name="cold start (import handler incl. S3 client) vs boto3 + S3 client",
        ratio=ratio,
        goal=f"<= {WALL_GOAL}x wall time and <= {MEMORY_GOAL_KIB // 1024} MiB extra peak memory",
        met=ratio <= WALL_GOAL and extra_kib <= MEMORY_GOAL_KIB,
        details=[
            f"fastest wall: floor {wall['floor'] * 1000:.1f} ms, handler {wall['handler'] * 1000:.1f} ms "
            f"({rounds} alternating runs each; medians {wall_median['floor'] * 1000:.1f} and "
            f"{wall_median['handler'] * 1000:.1f} ms, {wall_median['handler'] / wall_median['floor']:.3f}x)",
            f"fastest CPU (user+sys): floor {cpu['floor'] * 1000:.1f} ms, "
            f"handler {cpu['handler'] * 1000:.1f} ms ({cpu['handler'] / cpu['floor']:.3f}x)",
            f"median peak RSS: floor {peak['floor'] / 1024:.1f} MiB, "
            f"handler {peak['handler'] / 1024:.1f} MiB (+{extra_kib / 1024:.2f} MiB)",
            "for comparison, floor + Powertools Logger/Metrics: "
            f"wall {wall['powertools'] / wall['floor']:.3f}x, CPU {cpu['powertools'] / cpu['floor']:.3f}x, "
            f"peak RSS +{(peak['powertools'] - peak['floor']) / 1024:.2f} MiB",
        ],
    )
