"""``python -m local_mode`` as a user runs it: bad settings fail fast, Ctrl-C stops it cleanly.

Run as a subprocess: local mode sets its environment and imports the handler, which must not leak
into this test process.
"""

from __future__ import annotations

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

REPO_ROOT = Path(__file__).resolve().parents[3]
START_TIMEOUT_SECONDS = 60.0


def _run(port: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "local_mode"],
        cwd=REPO_ROOT,
        env={**os.environ, "PORT": port, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_invalid_port_exits_2_with_the_fix() -> None:
    process = _run("http")
    _, stderr = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 2
    assert "PORT must be a TCP port number from 1 to 65535" in stderr


def test_port_in_use_exits_2_with_the_fix() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _run(str(taken.getsockname()[1]))
        _, stderr = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 2
    assert "set PORT to a free port" in stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serves_the_printed_example_then_stops_cleanly(stop_signal: signal.Signals) -> None:
    process = _run("0")
    assert process.stdout is not None
    try:
        banner = ""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while "Press Ctrl-C" not in banner and time.monotonic() < deadline:
            banner += process.stdout.readline()
        match = re.search(r"serving the API on (http://127\.0\.0\.1:\d+)", banner)
        assert match, banner
        url = match.group(1)
        # The printed example requests work as printed.
        assert f"curl -sS {url}/health" in banner
        assert httpx.get(f"{url}/health").json() == {"status": "ok"}
        upload = httpx.post(f"{url}/documents", content=b"hello", headers={"Content-Type": "text/plain"})
        assert upload.status_code == 201
    finally:
        process.send_signal(stop_signal)
        stdout, _ = process.communicate(timeout=START_TIMEOUT_SECONDS)
    assert process.returncode == 0
    assert "Local mode: stopping." in stdout
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health")
