"""The Pulumi project on disk: ``Pulumi.yaml``, the selected stack and its ``Pulumi.<stack>.yaml``.

Read the way the Pulumi CLI reads them, so the preflight checks the configuration ``pulumi up``
will use: the stack comes from ``--stack``, else ``PULUMI_STACK`` (the CLI honours it too,
pulumi/pulumi ``pkg/backend/state/stacks.go``), else the CLI's selected stack; the stack file is
``Pulumi.<stack>.yaml`` (the stack's short name) in ``stackConfigDir`` or the project directory.
Values are handed over as the engine hands them to the program: scalars as text, lists and maps as
JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import yaml

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from preflight.processes import Runner

PROJECT_FILE: Final = "Pulumi.yaml"
STACK_VARIABLE: Final = "PULUMI_STACK"
DEFAULT_TOOLCHAIN: Final = "pip"
"""What the Python language host uses when ``runtime.options.toolchain`` is not set."""
TOOLCHAINS: Final = ("pip", "poetry", "uv")


class ProjectError(ValueError):
    """``Pulumi.yaml`` or a stack file cannot be read; the message says which and why."""


@dataclass(frozen=True)
class Project:
    """What the checks need from ``Pulumi.yaml``."""

    directory: Path
    name: str
    toolchain: str
    """``runtime.options.toolchain``: ``pip`` (Pulumi's default), ``poetry`` or ``uv``."""
    virtualenv: Path | None
    """``runtime.options.virtualenv`` made absolute; ``None`` when not set."""
    stack_config_dir: Path


@dataclass(frozen=True)
class StackConfig:
    """One stack's configuration as the program will receive it."""

    stack: str
    path: Path
    found: bool
    """False when the stack has no file yet (every key then takes its default)."""
    raw: Mapping[str, str]
    """This project's keys, without the ``<project>:`` prefix; secure values left out."""
    aws_region: str | None
    """``aws:region``, which the explicit provider ignores but other tools read."""
    secure_keys: tuple[str, ...]
    """Project keys holding encrypted values (the preflight cannot decrypt them)."""


def load_project(directory: Path) -> Project:
    """Parse ``Pulumi.yaml`` in ``directory``."""
    document = _read_yaml(directory / PROJECT_FILE)
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectError(f"{directory / PROJECT_FILE} has no project name")
    runtime = document.get("runtime")
    options = runtime.get("options") if isinstance(runtime, dict) else None
    options = options if isinstance(options, dict) else {}
    toolchain = str(options.get("toolchain") or DEFAULT_TOOLCHAIN)
    if toolchain not in TOOLCHAINS:
        raise ProjectError(
            f"{directory / PROJECT_FILE}: runtime.options.toolchain is {toolchain!r}; "
            f"Pulumi's Python host knows {', '.join(TOOLCHAINS)}"
        )
    virtualenv = options.get("virtualenv")
    config_dir = document.get("stackConfigDir")
    return Project(
        directory=directory,
        name=name,
        toolchain=toolchain,
        virtualenv=directory / str(virtualenv) if virtualenv else None,
        stack_config_dir=directory / str(config_dir) if config_dir else directory,
    )


def resolve_stack(explicit: str | None, environ: Mapping[str, str], run: Runner | None) -> str | None:
    """The stack to check: ``explicit``, else ``PULUMI_STACK``, else ``pulumi stack --show-name``.

    ``run`` is ``None`` when there is no Pulumi CLI to ask. ``None`` when no stack is selected.
    """
    for candidate in (explicit, environ.get(STACK_VARIABLE)):
        if candidate and candidate.strip():
            return candidate.strip()
    if run is None:
        return None
    outcome = run(["pulumi", "stack", "--show-name", "--non-interactive"])
    name = outcome.stdout.strip()
    return name if outcome.returncode == 0 and name else None


def stack_file(project: Project, stack: str) -> Path:
    """``Pulumi.<name>.yaml`` for a stack given as ``name``, ``org/name`` or ``org/project/name``."""
    return project.stack_config_dir / f"Pulumi.{stack.rsplit('/', 1)[-1]}.yaml"


def read_stack_config(project: Project, stack: str) -> StackConfig:
    """The stack's project-namespace config, as raw text values (JSON for lists and maps)."""
    path = stack_file(project, stack)
    document = _read_yaml(path) if path.exists() else {}
    config = document.get("config") or {}
    if not isinstance(config, dict):
        raise ProjectError(f"{path}: 'config' must be a map of keys to values")
    prefix = f"{project.name}:"
    raw: dict[str, str] = {}
    secure: list[str] = []
    for key, value in config.items():
        full_key = str(key) if ":" in str(key) else prefix + str(key)
        if not full_key.startswith(prefix):
            continue
        short_key = full_key[len(prefix) :]
        if isinstance(value, dict) and set(value) == {"secure"}:
            secure.append(short_key)
            continue
        raw[short_key] = _as_text(value)
    aws_region = config.get("aws:region")
    return StackConfig(
        stack=stack,
        path=path,
        found=path.exists(),
        raw=raw,
        aws_region=str(aws_region) if aws_region is not None else None,
        secure_keys=tuple(sorted(secure)),
    )


def _as_text(value: Any) -> str:
    """Scalars as Pulumi passes them (YAML ``true`` is ``"true"``), structured values as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProjectError(f"cannot read {path}: {error.strerror or error}") from error
    except yaml.YAMLError as error:
        raise ProjectError(f"{path} is not valid YAML: {error}") from error
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ProjectError(f"{path} must hold a YAML map")
    return document
