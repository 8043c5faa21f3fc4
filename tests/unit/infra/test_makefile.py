"""The Makefile for a newcomer: ``make help``, and ``make test`` on a machine without Python 3.13.

Each run uses a scratch ``BUILD`` directory and ``-o`` (never remake the venv or the locked wheels),
so nothing here touches ``build/`` or ``.venv`` and nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

from lib.lambda_asset import BYTECODE_SKIPPED_MARKER
from tests.unit.infra.pulumi_project import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

MAKEFILE = PROJECT_ROOT / "Makefile"
MAKE = shutil.which("make")
pytestmark = pytest.mark.skipif(MAKE is None, reason="GNU make is not installed")


def make(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MAKE")}
    return subprocess.run(
        [str(MAKE), "--no-print-directory", *args],
        cwd=PROJECT_ROOT,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def phony_targets() -> set[str]:
    text = MAKEFILE.read_text(encoding="utf-8")
    return {target for line in re.findall(r"^\.PHONY:(.*)$", text, re.MULTILINE) for target in line.split()}


def without_python_3_13(build: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    """``make <targets>`` as on a machine with no Python 3.13, the locked wheels already installed."""
    build.mkdir(exist_ok=True)
    (build / "lambda-deps.stamp").touch()
    return make(
        *targets,
        f"BUILD={build}",
        "LAMBDA_PYTHON=",
        "-o",
        ".venv/.synced",
        "-o",
        f"{build}/lambda-deps.stamp",
    )


def test_make_help_lists_every_target_on_one_line() -> None:
    finished = make("help")
    lines = finished.stdout.splitlines()
    listed = [re.match(r"make ([a-z-]+)", line) for line in lines]

    assert finished.returncode == 0, finished.stderr
    assert all(match and " - " in line for match, line in zip(listed, lines, strict=True)), lines
    names = [match[1] for match in listed if match]
    assert sorted(names) == sorted(phony_targets())  # each once, none missing, none made up


def test_without_python_3_13_the_tests_get_the_package_without_bytecode_and_are_told(tmp_path: Path) -> None:
    finished = without_python_3_13(tmp_path, "test-package")
    marker = tmp_path / BYTECODE_SKIPPED_MARKER

    assert finished.returncode == 0, finished.stderr
    assert "WITHOUT bytecode" in finished.stderr
    assert marker.is_file()
    note = marker.read_text(encoding="utf-8")
    assert "make package" in note
    assert "uv python install 3.13" in note
    assert not (tmp_path / "lambda-bytecode.stamp").exists()


def test_without_python_3_13_make_package_fails_and_says_how_to_get_it(tmp_path: Path) -> None:
    finished = without_python_3_13(tmp_path, "package")

    assert finished.returncode != 0
    assert "Python 3.13 was not found" in finished.stderr
    for way in ("uv python install 3.13", "pyenv install 3.13", "LAMBDA_PYTHON=/path/to/python3.13"):
        assert way in finished.stderr
    assert not (tmp_path / "lambda-bytecode.stamp").exists()


def test_a_python_3_13_that_uv_knows_is_used_when_nothing_else_is_found(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    python = fake_bin / "python3.13-from-uv"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    uv = fake_bin / "uv"
    uv.write_text(f'#!/bin/sh\n[ "$*" = "python find 3.13" ] && echo "{python}"\n')
    for script in (python, uv):
        script.chmod(0o755)
    probe = tmp_path / "probe.mk"
    probe.write_text("probe: ; $(info $(LAMBDA_PYTHON))\n")  # no recipe: PATH is empty

    finished = make(
        "-s", "-f", str(MAKEFILE), "-f", str(probe), "probe", f"UV={uv}",
        env={"PATH": str(tmp_path / "empty"), "HOME": str(tmp_path)},
    )  # fmt: skip

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == sys.executable  # the candidate's own sys.executable
