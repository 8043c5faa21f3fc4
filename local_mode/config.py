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


@dataclass(frozen=True)
class LocalModeConfig:
    """What ``python -m local_mode`` needs to know."""

    port: int = DEFAULT_PORT
    """TCP port on 127.0.0.1; 0 lets the OS pick a free one (the URL printed at start-up says which)."""
    environ: Mapping[str, str] = field(default_factory=dict)
    """The environment the settings came from (``LOCAL_PRINCIPALS`` is read from it at start-up)."""
    cwd: Path = field(default_factory=Path.cwd)
    """Directory relative principals paths (and the default ``.local/principals.json``) resolve in."""


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


def load_config(environ: Mapping[str, str]) -> LocalModeConfig:
    """Read and validate every local-mode setting from ``environ``."""
    return LocalModeConfig(port=parse_port(environ.get(PORT_VARIABLE)), environ=dict(environ))
