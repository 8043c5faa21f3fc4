"""Local-mode settings from the environment, validated up front with messages that say how to fix them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from local_mode.errors import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_PORT = 8080
"""Port of the local API when ``PORT`` is not set."""
MAX_PORT = 65535
PORT_VARIABLE = "PORT"
MALWARE_SCAN_VARIABLE = "LOCAL_MALWARE_SCAN"
MALWARE_SCAN_VALUES: dict[str, bool] = {"0": False, "1": True}
"""What ``LOCAL_MALWARE_SCAN`` accepts; unset or empty is ``0``: off by default, like the dev stack."""


@dataclass(frozen=True)
class LocalModeConfig:
    """What ``python -m local_mode`` needs to know."""

    port: int = DEFAULT_PORT
    """TCP port on 127.0.0.1; 0 lets the OS pick a free one (the URL printed at start-up says which)."""
    environ: Mapping[str, str] = field(default_factory=dict)
    """The environment the settings came from (``LOCAL_PRINCIPALS`` is read from it at start-up)."""
    cwd: Path = field(default_factory=Path.cwd)
    """Directory relative principals paths (and the default ``.local/principals.json``) resolve in."""
    malware_scan: bool = False
    """``LOCAL_MALWARE_SCAN=1``: both functions run with ``MALWARE_SCANNING=on`` and an emulated
    GuardDuty scanner (``local_mode.scanner``) decides every upload. Off by default."""


def parse_port(value: str | None) -> int:
    """``PORT`` as an integer in 0..65535 (0 = any free port), ``DEFAULT_PORT`` when unset or empty."""
    if value is None or not value.strip():
        return DEFAULT_PORT
    text = value.strip()
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_PORT:
        raise ConfigurationError(
            f"{PORT_VARIABLE} must be a TCP port number from 1 to {MAX_PORT} "
            f"(or 0 for any free port), got {value!r}; for example: {PORT_VARIABLE}=8081 make run"
        )
    return int(text)


def parse_malware_scan(value: str | None) -> bool:
    """``LOCAL_MALWARE_SCAN``: ``1`` on, ``0`` (or unset, or empty) off; anything else is refused, so a
    misspelt ``on`` or ``true`` never silently starts local mode without the gate."""
    text = (value or "").strip() or "0"
    if text not in MALWARE_SCAN_VALUES:
        raise ConfigurationError(
            f"{MALWARE_SCAN_VARIABLE} must be 1 (scan uploads with the emulated GuardDuty scanner) or 0 "
            f"(no scanning, the default), got {value!r}; for example: {MALWARE_SCAN_VARIABLE}=1 make run"
        )
    return MALWARE_SCAN_VALUES[text]


def load_config(environ: Mapping[str, str]) -> LocalModeConfig:
    """Read and validate every local-mode setting from ``environ``; every problem reported at once."""
    problems: list[str] = []
    port, malware_scan = DEFAULT_PORT, False
    try:
        port = parse_port(environ.get(PORT_VARIABLE))
    except ConfigurationError as error:
        problems.append(str(error))
    try:
        malware_scan = parse_malware_scan(environ.get(MALWARE_SCAN_VARIABLE))
    except ConfigurationError as error:
        problems.append(str(error))
    if problems:
        raise ConfigurationError("; ".join(problems))
    return LocalModeConfig(port=port, environ=dict(environ), malware_scan=malware_scan)
