"""PORT and LOCAL_MALWARE_SCAN are validated up front, every problem at once, with messages that say
how to fix them."""

from __future__ import annotations

import pytest

from local_mode.config import DEFAULT_PORT, load_config, parse_malware_scan, parse_port
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


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), (" 1 ", True), ("0", False), (None, False), ("", False), ("  ", False)],
    ids=["1", "1 padded", "0", "unset", "empty", "blank"],
)
def test_malware_scan_is_on_only_for_1(value: str | None, expected: bool) -> None:
    assert parse_malware_scan(value) is expected


@pytest.mark.parametrize("value", ["on", "true", "2", "yes", "off", "-1"])
def test_other_malware_scan_values_are_refused_with_the_fix(value: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        parse_malware_scan(value)
    assert str(error.value) == (
        "LOCAL_MALWARE_SCAN must be 1 (scan uploads with the emulated GuardDuty scanner) or 0 "
        f"(no scanning, the default), got {value!r}; for example: LOCAL_MALWARE_SCAN=1 make run"
    )


@pytest.mark.parametrize(
    ("environ", "expected"),
    [({"LOCAL_MALWARE_SCAN": "1"}, True), ({"LOCAL_MALWARE_SCAN": "0"}, False), ({}, False)],
    ids=["1", "0", "unset"],
)
def test_load_config_reads_malware_scan_from_the_environment(environ: dict[str, str], expected: bool) -> None:
    config = load_config(environ)
    assert config.malware_scan is expected
    assert config.port == DEFAULT_PORT


def test_load_config_refuses_a_misspelt_malware_scan() -> None:
    with pytest.raises(ConfigurationError, match=r"^LOCAL_MALWARE_SCAN must be 1 .* got 'true'"):
        load_config({"LOCAL_MALWARE_SCAN": "true"})


def test_load_config_reports_every_problem_at_once() -> None:
    with pytest.raises(ConfigurationError) as error:
        load_config({"PORT": "http", "LOCAL_MALWARE_SCAN": "on"})
    assert str(error.value) == (
        "PORT must be a TCP port number from 1 to 65535 (or 0 for any free port), got 'http'; "
        "for example: PORT=8081 make run; "
        "LOCAL_MALWARE_SCAN must be 1 (scan uploads with the emulated GuardDuty scanner) or 0 "
        "(no scanning, the default), got 'on'; for example: LOCAL_MALWARE_SCAN=1 make run"
    )
