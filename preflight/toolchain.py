"""Local tools ``pulumi up`` needs: the Pulumi CLI, the Python toolchain Pulumi.yaml names, the Lambda build.

Facts from the Pulumi CLI's sources (pulumi/pulumi ``sdk/python/toolchain``): with ``toolchain: uv``
the language host looks ``uv`` up on ``PATH`` and refuses uv older than 0.4.26 (``uv.go``); with
``toolchain: pip`` it lists the program's packages with ``python -m pip`` from the virtualenv
(``pip.go``), which is how it finds the provider plugins to install, so that virtualenv needs pip.
The uv toolchain first shipped in Pulumi 3.139.0 (CHANGELOG: "Add Uv as a Python toolchain",
#17609) and ``pulumi install`` (README step 4, the policy pack) works for policy packs since 3.121.0.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from lib.lambda_asset import PACKAGE_COMMAND, LambdaPackageError, package_files
from lib.settings import DEFAULT_LAMBDA_DEPENDENCIES_DIR, DEFAULT_LAMBDA_PACKAGE_DIR
from preflight.results import CheckResult

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from preflight.processes import Runner
    from preflight.project import Project

    Which = Callable[[str], str | None]

Version = tuple[int, int, int]

PULUMI_INSTALL_HINT: Final = (
    "install the Pulumi CLI (https://www.pulumi.com/docs/install/, e.g. "
    "`curl -fsSL https://get.pulumi.com | sh`) and open a new shell so `pulumi` is on PATH"
)
MINIMUM_PULUMI_VERSION: Final[Version] = (3, 121, 0)
"""``pulumi install`` works for policy packs from here on."""
TOOLCHAIN_MINIMUM_PULUMI_VERSION: Final[dict[str, Version]] = {"uv": (3, 139, 0)}
"""The first Pulumi release whose Python host knows the toolchain."""
MINIMUM_UV_VERSION: Final[Version] = (0, 4, 26)
"""The oldest uv Pulumi's uv toolchain accepts."""
PROJECT_UV: Final = ".tools/bin/uv"
"""Where ``make setup`` installs the pinned uv (Makefile ``$(UV)``)."""

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> Version | None:
    """The first ``X.Y[.Z]`` in ``text`` (``v3.139.0``, ``uv 0.13.9 (abc 2026-11-01)``)."""
    match = _VERSION.search(text)
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def format_version(version: Version) -> str:
    return ".".join(str(part) for part in version)


def required_pulumi_version(project: Project) -> Version:
    """The oldest Pulumi CLI that can run this project."""
    return max(MINIMUM_PULUMI_VERSION, TOOLCHAIN_MINIMUM_PULUMI_VERSION.get(project.toolchain, (0, 0, 0)))


def check_pulumi_cli(project: Project, *, which: Which, run: Runner) -> CheckResult:
    """``pulumi`` is on PATH and new enough for this project's toolchain."""
    name = "pulumi-cli"
    required = required_pulumi_version(project)
    path = which("pulumi")
    if path is None:
        return CheckResult.fail(
            name,
            "`pulumi` is not on PATH",
            f"{PULUMI_INSTALL_HINT} (version {format_version(required)} or newer)",
        )
    outcome = run([path, "version"])
    version = parse_version(outcome.stdout) if outcome.returncode == 0 else None
    if version is None:
        output = (outcome.stderr or outcome.stdout).strip()
        said = f"exit code {outcome.returncode}" + (f": {output}" if output else "")
        return CheckResult.fail(
            name, f"`{path} version` did not report a version ({said})", f"reinstall: {PULUMI_INSTALL_HINT}"
        )
    if version < required:
        return CheckResult.fail(
            name,
            f"Pulumi CLI {format_version(version)} at {path} is older than {format_version(required)}, "
            f"the first release that runs this project (runtime toolchain {project.toolchain!r})",
            "upgrade the CLI: `curl -fsSL https://get.pulumi.com | sh` (or `brew upgrade pulumi`)",
        )
    return CheckResult.ok(name, f"Pulumi CLI {format_version(version)} at {path}")


def check_python_toolchain(project: Project, *, which: Which, run: Runner) -> CheckResult:
    """What ``runtime.options.toolchain`` needs: uv on PATH, or a virtualenv with pip."""
    name = "python-toolchain"
    if project.toolchain == "uv":
        return _check_uv(project, name, which=which, run=run)
    if project.toolchain == "poetry":
        if which("poetry") is None:
            return CheckResult.fail(
                name,
                "Pulumi.yaml sets toolchain: poetry, but `poetry` is not on PATH",
                "install Poetry (https://python-poetry.org/docs/#installation), or set toolchain: uv",
            )
        return CheckResult.ok(name, "toolchain poetry: `poetry` is on PATH")
    return _check_pip(project, name)


def _check_uv(project: Project, name: str, *, which: Which, run: Runner) -> CheckResult:
    path = which("uv")
    if path is None:
        if (project.directory / PROJECT_UV).is_file():
            fix = (
                f'put the uv `make setup` installed on PATH: `export PATH="{project.directory / ".tools/bin"}'
                ':$PATH"` (Pulumi looks `uv` up on PATH)'
            )
        else:
            fix = (
                "run `make setup` (it installs the pinned uv into .tools/bin), then "
                f'`export PATH="{project.directory / ".tools/bin"}:$PATH"`'
            )
        return CheckResult.fail(name, "Pulumi.yaml sets toolchain: uv, but `uv` is not on PATH", fix)
    outcome = run([path, "--version"])
    version = parse_version(outcome.stdout) if outcome.returncode == 0 else None
    if version is None or version < MINIMUM_UV_VERSION:
        found = format_version(version) if version else (outcome.stderr.strip() or "no version")
        return CheckResult.fail(
            name,
            f"uv at {path} reports {found}; Pulumi needs uv {format_version(MINIMUM_UV_VERSION)} or newer",
            f'put the project\'s uv first on PATH: `export PATH="{project.directory / ".tools/bin"}:$PATH"` '
            "(after `make setup`), or upgrade uv",
        )
    venv = project.virtualenv or project.directory / ".venv"
    if not (venv / "bin" / "python").exists():
        return CheckResult.fail(
            name, f"no virtualenv at {venv}", "run `make setup` (it syncs .venv from uv.lock)"
        )
    return CheckResult.ok(name, f"toolchain uv: uv {format_version(version)} at {path}; virtualenv {venv}")


def _check_pip(project: Project, name: str) -> CheckResult:
    venv = project.virtualenv
    if venv is None:
        return CheckResult.warn(
            name,
            "toolchain pip without runtime.options.virtualenv: Pulumi runs the program with whatever "
            "`python3` is first on PATH",
            "set runtime.options.virtualenv: .venv in Pulumi.yaml (the environment `make setup` creates)",
        )
    python = venv / "bin" / "python"
    if not python.exists():
        return CheckResult.fail(
            name, f"no virtualenv at {venv}", "run `make setup` (it creates it from uv.lock)"
        )
    if not (venv / "bin" / "pip").exists():
        return CheckResult.fail(
            name,
            f"toolchain pip, but {venv} has no pip (uv creates virtualenvs without it); Pulumi runs "
            "`python -m pip` there to find the provider plugins the program needs",
            f"run `{python} -m ensurepip`, or set toolchain: uv in Pulumi.yaml",
        )
    return CheckResult.ok(name, f"toolchain pip: virtualenv {venv} with pip")


def check_lambda_package(
    *,
    package_dir: Path = DEFAULT_LAMBDA_PACKAGE_DIR,
    dependencies_dir: Path = DEFAULT_LAMBDA_DEPENDENCIES_DIR,
) -> CheckResult:
    """The Lambda package the program zips is built (the program stops without it)."""
    name = "lambda-package"
    try:
        files = package_files(package_dir, dependencies_dir)
    except LambdaPackageError as error:
        return CheckResult.fail(name, str(error), f"run `{PACKAGE_COMMAND}` (needs Python 3.13, see README)")
    return CheckResult.ok(name, f"{len(files)} files from {package_dir.name}/ and {dependencies_dir}")
