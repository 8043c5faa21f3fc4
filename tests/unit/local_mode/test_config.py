"""PORT is validated up front with a message that says how to fix it."""

from __future__ import annotations

import pytest

from local_mode.config import DEFAULT_PORT, load_config, parse_port
from local_mode.errors import ConfigurationError


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, DEFAULT_PORT),
        ("", DEFAULT_PORT),
        ("  ", DEFAULT_PORT),
        ("8081", 8081),
        (" 9000 ", 9000),
        ("0", 0),
    ],
)
def test_valid_ports(value: str | None, expected: int) -> None:
    assert parse_port(value) == expected


@pytest.mark.parametrize("value", ["http", "-1", "65536", "80.5", "1e3", "\uff18\uff10"])
def test_invalid_ports_are_refused_with_the_fix(value: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        parse_port(value)
    assert str(error.value) == (
        f"PORT must be a TCP port number from 1 to 65535 (or 0 for any free port), got {value!r}; "
        "for example: PORT=8081 make run"
    )


def test_load_config_reads_port_from_the_environment() -> None:
    assert load_config({"PORT": "8123"}).port == 8123
    assert load_config({}).port == DEFAULT_PORT
