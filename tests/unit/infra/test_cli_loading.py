"""The program loads the way the Pulumi CLI loads it: from outside the project, with nothing on sys.path.

pytest puts the repository root on ``sys.path`` (``pythonpath = ["."]``), which hides whether the
program can import ``lib`` on its own. Under the CLI it cannot lean on that: the language host runs
``python <install dir>/pulumi-language-python-exec ... <program>``, so ``sys.path[0]`` is the host's
directory, and the exec script only ``os.chdir``s to the program's directory and calls
``runpy.run_path(<program>)`` (pulumi/pulumi ``sdk/python/cmd/pulumi-language-python-exec`` and
``pkg/engine/project.go`` at 1b5949891b3cefcb9974752b24a5ecef0acc86c8). ``langhost_driver.py`` does
the same from a scratch directory, in a fresh interpreter, against mocks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.infra.pulumi_project import PROJECT_ROOT, Entry, entry_point, load_project

DRIVER = Path(__file__).with_name("langhost_driver.py")
STACK = "cli"


def run_like_the_cli(scratch: Path, entry: Entry, config: dict[str, str]) -> tuple[int, str, dict[str, Any]]:
    """Run ``entry`` through a copy of the driver in ``scratch``; exit code, stderr, the driver's report."""
    host_dir = scratch / "pulumi-language-python"
    host_dir.mkdir()
    driver = host_dir / DRIVER.name
    shutil.copyfile(DRIVER, driver)
    report = scratch / "report.json"
    project = str(load_project()["name"])
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONSTARTUP", "ENVIRONMENT_SUFFIX"} and not key.startswith("PULUMI_")
    }
    env["PULUMI_CONFIG"] = json.dumps(
        {"aws:region": "us-east-1", **{f"{project}:{key}": value for key, value in config.items()}}
    )
    env["LANGHOST_DRIVER_REPORT"] = str(report)
    command = [
        sys.executable,
        str(driver),
        "--project",
        project,
        "--stack",
        STACK,
        "--root_directory",
        str(PROJECT_ROOT),
        "--pwd",
        str(entry.pwd),
        entry.program,
    ]
    finished = subprocess.run(
        command, cwd=scratch, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    return finished.returncode, finished.stderr, json.loads(report.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, dict[str, Any]]:
    entry = entry_point(load_project())
    return run_like_the_cli(tmp_path_factory.mktemp("cli"), entry, {"environmentSuffix": "cli"})


def test_the_program_pulumi_yaml_names_runs_without_the_repository_on_sys_path(
    cli_run: tuple[int, str, dict[str, Any]],
) -> None:
    exit_code, stderr, report = cli_run

    assert report["lib_importable_before_run"] is False  # the driver gave the program no help
    assert Path(report["sys_path_0"]).name == "pulumi-language-python"
    assert "error" not in report, report.get("error")
    assert exit_code == 0, stderr


def test_the_program_builds_the_stack_and_exports_its_outputs(
    cli_run: tuple[int, str, dict[str, Any]],
) -> None:
    _, stderr, report = cli_run
    types = [resource["type"] for resource in report["resources"]]

    assert types.count("tap:index:TapStack") == 1, stderr
    assert "aws:lambda/function:Function" in types
    assert "aws:apigateway/restApi:RestApi" in types
    assert "aws:s3/bucket:Bucket" in types
    assert report["outputs"]["environmentSuffix"] == "cli"  # config reached it through PULUMI_CONFIG
    assert report["outputs"]["lambdaFunctionName"] == "doc-processor-cli"


def test_a_file_as_main_cannot_import_lib_under_the_cli(tmp_path: Path) -> None:
    """Why ``Pulumi.yaml`` names no ``main: tap.py``: the host would run the file and ``import lib`` fails."""
    entry = entry_point({"main": "tap.py"})

    exit_code, _, report = run_like_the_cli(tmp_path, entry, {})

    assert entry == Entry(pwd=PROJECT_ROOT, program="tap.py")
    assert exit_code == 32
    assert "ModuleNotFoundError: No module named 'lib'" in report["error"]
    assert report["resources"] == []
