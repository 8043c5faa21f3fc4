"""``python -m local_mode`` in a child process on a free loopback port: what the load benchmark measures
and what the end-to-end suite runs against (one launcher, so both start and stop it the same way).

The child runs with the service's default settings whatever the caller's shell holds, so the limits a
benchmark or a test assumes are the ones local mode applies; its stdout (the banner, then the
handler's JSON log lines) is kept in a file for the life of the block. The principals that may sign
are the caller's: written to a principals file in the block's temporary directory and named by
``LOCAL_PRINCIPALS``, so the child never creates or reads the developer's ``.local/principals.json``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from document_processor.settings import (
    ENV_ALLOWED_CONTENT_TYPES,
    ENV_CATALOGUE_TABLE,
    ENV_INGEST_BUCKET,
    ENV_LOG_LEVEL,
    ENV_MAX_DOCUMENT_BYTES,
    ENV_MAX_UPLOAD_BYTES,
    ENV_METRICS_NAMESPACE,
    ENV_OWNER_SCOPE,
    ENV_SERVICE_NAME,
)
from local_mode.config import MALWARE_SCAN_VARIABLE
from local_mode.principals import PRINCIPALS_VARIABLE, write_principals

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from local_mode.principals import Principal

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_START_TIMEOUT_SECONDS = 60.0
DEFAULT_STOP_TIMEOUT_SECONDS = 10.0
SERVICE_SETTING_VARIABLES = (
    ENV_CATALOGUE_TABLE,
    ENV_INGEST_BUCKET,
    ENV_MAX_DOCUMENT_BYTES,
    ENV_MAX_UPLOAD_BYTES,
    ENV_ALLOWED_CONTENT_TYPES,
    ENV_LOG_LEVEL,
    ENV_METRICS_NAMESPACE,
    ENV_SERVICE_NAME,
    ENV_OWNER_SCOPE,
)
"""Service settings a developer's shell may hold; the child starts without them (service defaults)."""
_SERVING = re.compile(r"serving the API on (http://127\.0\.0\.1:\d+)")
_EMULATOR = re.compile(r"emulator \(moto[^)]*\): (http://127\.0\.0\.1:\d+), bucket '([^']+)'")
_CATALOGUE = re.compile(r"catalogue table '([^']+)'")


class LocalModeStartError(RuntimeError):
    """Local mode exited or did not print its banner in time; the message carries its stderr."""


@dataclass(frozen=True)
class RunningLocalMode:
    """Where the child serves, where its emulator is, and where its stdout goes."""

    api_url: str
    """``http://127.0.0.1:<port>`` of the API."""
    s3_endpoint_url: str
    """``http://127.0.0.1:<port>`` of the embedded S3 emulator."""
    bucket: str
    """The documents bucket in the emulator."""
    catalogue_table: str | None
    """The catalogue table in the emulator (``None`` if the banner names none)."""
    stdout: Path
    """The child's stdout so far (valid until the block ends)."""


def _wait_for_banner(
    stdout: Path, process: subprocess.Popen[bytes], timeout: float
) -> tuple[str, str, str, str | None] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = stdout.read_text(errors="replace")
        serving, emulator = _SERVING.search(text), _EMULATOR.search(text)
        if serving and emulator:
            catalogue = _CATALOGUE.search(text)
            table = catalogue.group(1) if catalogue else None
            return serving.group(1), emulator.group(1), emulator.group(2), table
        if process.poll() is not None:
            return None
        time.sleep(0.05)
    return None


@contextmanager
def local_mode_process(
    principals: Sequence[Principal],
    *,
    start_timeout: float = DEFAULT_START_TIMEOUT_SECONDS,
    stop_timeout: float = DEFAULT_STOP_TIMEOUT_SECONDS,
    malware_scan: bool = False,
) -> Iterator[RunningLocalMode]:
    """Run ``python -m local_mode`` with ``PORT=0`` for the block, accepting signatures by ``principals``.

    ``malware_scan`` sets ``LOCAL_MALWARE_SCAN`` (``1`` or ``0``) whatever the shell says, so a
    benchmark or test never inherits the gate by accident. Always stopped at the end (SIGTERM, then kill).
    """
    with tempfile.TemporaryDirectory(prefix="local-mode-") as directory:
        stdout, stderr = Path(directory) / "stdout", Path(directory) / "stderr"
        principals_file = Path(directory) / "principals.json"
        write_principals(principals_file, principals)
        environ = {name: value for name, value in os.environ.items() if name not in SERVICE_SETTING_VARIABLES}
        environ.update(
            PORT="0",
            PYTHONUNBUFFERED="1",
            **{
                PRINCIPALS_VARIABLE: str(principals_file),
                MALWARE_SCAN_VARIABLE: "1" if malware_scan else "0",
            },
        )
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [sys.executable, "-m", "local_mode"], cwd=REPO_ROOT, env=environ, stdout=out, stderr=err
            )
        try:
            banner = _wait_for_banner(stdout, process, start_timeout)
            if banner is None:
                raise LocalModeStartError(
                    f"local mode did not start (exit code {process.poll()}); its stderr:\n"
                    + stderr.read_text(errors="replace")
                )
            api_url, endpoint, bucket, table = banner
            yield RunningLocalMode(
                api_url=api_url, s3_endpoint_url=endpoint, bucket=bucket, catalogue_table=table, stdout=stdout
            )
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
