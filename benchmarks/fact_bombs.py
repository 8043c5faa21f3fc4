"""Complexity bombs: wall time and peak memory of describing each hostile file, against a plain one.

Every file of the test corpus (tests/unit/service/pdf_bombs.py) plus an image bomb is described by
``document_processor.metadata.describe`` with the service's real budget and clock, each in a fresh
interpreter so peak RSS belongs to that file alone (Linux's VmHWM, reset just before describing, so
the file's own bytes and the imports are in every figure alike). The baseline is a valid PDF (and a
valid JPEG) of similar size, measured the same way in the same run. Reported per file: seconds to describe it
and peak RSS, each minus the baseline's. Goal: the worst file stays under 1 s and 64 MiB above it.

Usage: ``python -m benchmarks.fact_bombs`` (also part of ``python -m benchmarks``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks._timing import Result, median

GOAL_SECONDS = 1.0
GOAL_RSS_MIB = 64.0
REPOSITORY = Path(__file__).resolve().parent.parent
BASELINES = {"application/pdf": "baseline-pdf", "image/jpeg": "baseline-jpeg"}

_CHILD = """
import json, sys, time
from document_processor import metadata, pdf_facts  # imports (pypdf, imagesize) are not the file's cost
import imagesize

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(line.split()[1]) for line in lines if line.startswith(field + ":"))

media_type, path = sys.argv[1], sys.argv[2]
with open(path, "rb") as handle:
    data = handle.read()
with open("/proc/self/clear_refs", "w") as clear:
    clear.write("5")  # reset the peak-RSS mark (VmHWM) to the current RSS
before = status("VmRSS")
started = time.perf_counter()
try:
    outcome = metadata.describe(media_type, data)
except Exception as error:
    outcome = getattr(error, "code", type(error).__name__)
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "peak_kib": status("VmHWM"), "before_kib": before, "outcome": outcome}))
"""
"""The child: load the modules and the file, reset the peak-RSS mark, then time one ``describe``."""


def corpus() -> dict[str, tuple[str, bytes]]:
    """Every file to measure, by name: (media type, bytes); the baselines first."""
    from tests.unit.service import pdf_bombs
    from tests.unit.service.samples import make_jpeg

    jpeg = make_jpeg(640, 480)
    files = {
        "baseline-pdf": ("application/pdf", pdf_bombs.valid_object_streams(200)),
        "baseline-jpeg": ("image/jpeg", jpeg),
    }
    for name in pdf_bombs.NAMES:
        files[name] = ("application/pdf", pdf_bombs.bomb(name).data)
    files["jpeg-empty-segments"] = ("image/jpeg", jpeg[:2] + b"\xff\xe1\x00\x02" * 1_100_000 + jpeg[2:])
    return files


def measure(media_type: str, path: Path) -> dict[str, object]:
    """One fresh interpreter describing the file at ``path``: seconds, peak RSS and outcome."""
    env = {**os.environ, "PYTHONPATH": str(REPOSITORY), "LOG_LEVEL": "ERROR"}
    completed = subprocess.run(
        [sys.executable, "-c", _CHILD, media_type, str(path)],
        env=env,
        capture_output=True,
        check=False,
        text=True,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"benchmark child failed: {completed.stderr}")
    result: dict[str, object] = json.loads(completed.stdout.splitlines()[-1])
    return result


def run(*, rounds: int = 3) -> Result:
    """Describe every file ``rounds`` times (a fresh process each) and compare medians to the baselines."""
    files = corpus()
    rows: list[tuple[str, int, float, float, object]] = []
    with tempfile.TemporaryDirectory() as directory:
        for name, (media_type, data) in files.items():
            path = Path(directory) / name
            path.write_bytes(data)
            samples = [measure(media_type, path) for _ in range(rounds)]
            rows.append(
                (
                    name,
                    len(data),
                    median([float(str(sample["seconds"])) for sample in samples]),
                    median([float(str(sample["peak_kib"])) / 1024 for sample in samples]),
                    samples[0]["outcome"],
                )
            )
    seconds = {name: value for name, _, value, _, _ in rows}
    peaks = {name: value for name, _, _, value, _ in rows}
    details = []
    above: dict[str, tuple[float, float]] = {}
    for name, size, elapsed, peak, outcome in rows:
        baseline = BASELINES[files[name][0]]
        extra = (elapsed - seconds[baseline], peak - peaks[baseline])
        if name not in BASELINES.values():
            above[name] = extra
        details.append(
            f"{name:28} {size:>9} B {elapsed * 1000:7.1f} ms ({extra[0] * 1000:+7.1f})  "
            f"peak RSS {peak:6.1f} MiB ({extra[1]:+5.1f})  -> {json.dumps(outcome)}"
        )
    slowest = max(above, key=lambda name: above[name][0])
    largest = max(above, key=lambda name: above[name][1])
    details.append(
        f"worst time: {slowest} {above[slowest][0] * 1000:+.1f} ms; "
        f"worst memory: {largest} {above[largest][1]:+.1f} MiB (each above its baseline)"
    )
    ratio = max(above[slowest][0] / GOAL_SECONDS, above[largest][1] / GOAL_RSS_MIB)
    return Result(
        name="Fact bombs (worst file above the baseline, as a fraction of the goal)",
        ratio=ratio,
        goal=f"under {GOAL_SECONDS:.0f} s and {GOAL_RSS_MIB:.0f} MiB above the baseline",
        met=ratio < 1,
        details=details,
    )


if __name__ == "__main__":
    print(run().report())
