"""The Pulumi CLI, the Python toolchain Pulumi.yaml names, and the Lambda build, with fake tools on disk."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from preflight.processes import command_runner
from preflight.project import load_project
from preflight.results import CheckResult, Status
from preflight.toolchain import (
    check_lambda_package,
    check_pulumi_cli,
    check_python_toolchain,
    parse_version,
    required_pulumi_version,
)
from tests.unit.preflight.conftest import fake_tool, make_lambda_package, make_venv, which_in, write_project

if TYPE_CHECKING:
    from pathlib import Path

UV_OPTIONS = "    toolchain: uv\n    virtualenv: .venv\n"
PIP_OPTIONS = "    toolchain: pip\n    virtualenv: .venv\n"


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("v3.139.0\n", (3, 139, 0)),
        ("uv 0.13.9 (6a8e5a1f0 2026-11-20)", (0, 13, 9)),
        ("pip 25.3 from /x (python 3.13)", (25, 3, 0)),
        ("no digits", None),
    ],
)
def test_versions_are_read_from_tool_output(text: str, version: tuple[int, int, int] | None) -> None:
    assert parse_version(text) == version


def test_the_uv_toolchain_needs_the_release_that_added_it(tmp_path: Path) -> None:
    assert required_pulumi_version(load_project(write_project(tmp_path, options=UV_OPTIONS))) == (3, 139, 0)
    assert required_pulumi_version(load_project(write_project(tmp_path, options=PIP_OPTIONS))) == (3, 121, 0)


def test_no_pulumi_on_path_fails_with_how_to_install(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))

    result = check_pulumi_cli(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result == CheckResult.fail(
        "pulumi-cli",
        "`pulumi` is not on PATH",
        "install the Pulumi CLI (https://www.pulumi.com/docs/install/, e.g. "
        "`curl -fsSL https://get.pulumi.com | sh`) and open a new shell so `pulumi` is on PATH "
        "(version 3.139.0 or newer)",
    )


def test_a_pulumi_older_than_the_toolchain_needs_fails_with_how_to_upgrade(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))
    pulumi = fake_tool(tmp_path / "bin", "pulumi", stdout="v3.138.0")

    result = check_pulumi_cli(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result.status is Status.FAIL
    assert result.detail == (
        f"Pulumi CLI 3.138.0 at {pulumi} is older than 3.139.0, the first release that runs this project "
        "(runtime toolchain 'uv')"
    )
    assert (
        result.fix == "upgrade the CLI: `curl -fsSL https://get.pulumi.com | sh` (or `brew upgrade pulumi`)"
    )


def test_a_pulumi_that_cannot_say_its_version_fails(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))
    pulumi = fake_tool(tmp_path / "bin", "pulumi", stdout="segmentation fault", exit_code=139)

    result = check_pulumi_cli(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result.status is Status.FAIL
    assert result.detail == f"`{pulumi} version` did not report a version (exit code 139: segmentation fault)"
    assert result.fix.startswith("reinstall: install the Pulumi CLI")


def test_a_recent_pulumi_passes_and_is_named(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))
    pulumi = fake_tool(tmp_path / "bin", "pulumi", stdout="v3.272.0")

    result = check_pulumi_cli(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result == CheckResult.ok("pulumi-cli", f"Pulumi CLI 3.272.0 at {pulumi}")


def test_uv_toolchain_without_uv_on_path_points_at_the_one_make_setup_installed(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))
    fake_tool(tmp_path / ".tools" / "bin", "uv", stdout="uv 0.13.9")

    result = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result == CheckResult.fail(
        "python-toolchain",
        "Pulumi.yaml sets toolchain: uv, but `uv` is not on PATH",
        f'put the uv `make setup` installed on PATH: `export PATH="{tmp_path}/.tools/bin:$PATH"` '
        "(Pulumi looks `uv` up on PATH)",
    )


def test_uv_toolchain_without_any_uv_says_to_run_make_setup_first(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))

    result = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result.fix == (
        "run `make setup` (it installs the pinned uv into .tools/bin), then "
        f'`export PATH="{tmp_path}/.tools/bin:$PATH"`'
    )


def test_a_uv_older_than_pulumi_accepts_fails(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))
    uv = fake_tool(tmp_path / "bin", "uv", stdout="uv 0.4.25")

    result = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result.status is Status.FAIL
    assert result.detail == f"uv at {uv} reports 0.4.25; Pulumi needs uv 0.4.26 or newer"


def test_uv_toolchain_needs_the_virtualenv_make_setup_creates(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))
    fake_tool(tmp_path / "bin", "uv", stdout="uv 0.13.9")

    result = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result == CheckResult.fail(
        "python-toolchain",
        f"no virtualenv at {tmp_path / '.venv'}",
        "run `make setup` (it syncs .venv from uv.lock)",
    )


def test_uv_toolchain_with_uv_and_the_virtualenv_passes(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=UV_OPTIONS))
    uv = fake_tool(tmp_path / "bin", "uv", stdout="uv 0.13.9 (6a8e5a1f0 2026-11-20)")
    make_venv(tmp_path, pip=False)

    result = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result == CheckResult.ok(
        "python-toolchain", f"toolchain uv: uv 0.13.9 at {uv}; virtualenv {tmp_path / '.venv'}"
    )


def test_pip_toolchain_needs_pip_in_the_virtualenv(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=PIP_OPTIONS))
    venv = make_venv(tmp_path, pip=False)

    result = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result == CheckResult.fail(
        "python-toolchain",
        f"toolchain pip, but {venv} has no pip (uv creates virtualenvs without it); Pulumi runs "
        "`python -m pip` there to find the provider plugins the program needs",
        f"run `{venv}/bin/python -m ensurepip`, or set toolchain: uv in Pulumi.yaml",
    )


def test_pip_toolchain_with_pip_passes(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options=PIP_OPTIONS))
    venv = make_venv(tmp_path, pip=True)

    result = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result == CheckResult.ok("python-toolchain", f"toolchain pip: virtualenv {venv} with pip")


def test_pip_toolchain_without_a_virtualenv_option_warns(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options="    toolchain: pip\n"))

    result = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert result.status is Status.WARN
    assert result.fix == (
        "set runtime.options.virtualenv: .venv in Pulumi.yaml (the environment `make setup` creates)"
    )


def test_poetry_toolchain_needs_poetry(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options="    toolchain: poetry\n"))

    missing = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))
    fake_tool(tmp_path / "bin", "poetry")
    present = check_python_toolchain(project, which=which_in(tmp_path / "bin"), run=command_runner(tmp_path))

    assert (missing.status, present.status) == (Status.FAIL, Status.OK)


def test_an_unbuilt_lambda_package_fails_with_make_package(tmp_path: Path) -> None:
    package, _ = make_lambda_package(tmp_path)

    result = check_lambda_package(package_dir=package, dependencies_dir=tmp_path / "missing")

    assert result.status is Status.FAIL
    assert result.detail.startswith(
        f"Lambda dependencies not found at {tmp_path / 'missing'}; run `make package`"
    )
    assert result.fix == "run `make package` (needs Python 3.13, see README)"


def test_a_built_lambda_package_passes(tmp_path: Path) -> None:
    package, dependencies = make_lambda_package(tmp_path)

    result = check_lambda_package(package_dir=package, dependencies_dir=dependencies)

    assert result == CheckResult.ok("lambda-package", f"6 files from document_processor/ and {dependencies}")
