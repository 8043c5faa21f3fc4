"""``Pulumi.yaml`` read the way the Pulumi CLI reads it, for the tests that check the project file.

Sources (pulumi/pulumi at commit 1b5949891b3cefcb9974752b24a5ecef0acc86c8):

- ``pkg/engine/project.go`` ``getPwdMain``: no ``main`` means the program is ``"."`` run from the
  project root; a relative ``main`` is joined to the root, and must exist; a directory becomes the
  working directory with program ``"."``, a file runs from its own directory under its base name.
- ``sdk/python/cmd/pulumi-language-python/main.go`` ``parseOptions``: the Python host reads exactly
  the runtime options ``virtualenv``, ``typechecker`` (``mypy``/``pyright``) and ``toolchain``
  (``pip``/``poetry``/``uv``); any other key is ignored without a word.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[3]
PROJECT_FILE = PROJECT_ROOT / "Pulumi.yaml"
PYTHON_RUNTIME_OPTIONS = frozenset({"virtualenv", "typechecker", "toolchain"})
TOOLCHAINS = frozenset({"pip", "poetry", "uv"})
TYPECHECKERS = frozenset({"mypy", "pyright"})


@dataclass(frozen=True)
class Entry:
    """Where the language host starts the program: ``os.chdir(pwd)`` then ``runpy.run_path(program)``."""

    pwd: Path
    program: str


def load_project(path: Path = PROJECT_FILE) -> dict[str, Any]:
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        raise TypeError(f"{path} is not a YAML mapping")
    return loaded


def runtime_options(project: dict[str, Any]) -> dict[str, Any]:
    """``runtime.options`` (``runtime`` may also be the bare runtime name, with no options)."""
    runtime = project["runtime"]
    if isinstance(runtime, str):
        return {}
    options = runtime.get("options") or {}
    if not isinstance(options, dict):
        raise TypeError("runtime.options is not a mapping")
    return options


def runtime_name(project: dict[str, Any]) -> str:
    runtime = project["runtime"]
    return str(runtime if isinstance(runtime, str) else runtime["name"])


def entry_point(project: dict[str, Any], root: Path = PROJECT_ROOT) -> Entry:
    """``getPwdMain(root, main)``: the working directory and the program the host is given."""
    main = project.get("main")
    if not main:
        return Entry(pwd=root, program=".")
    target = Path(main) if Path(main).is_absolute() else (root / main)
    target = Path(*target.parts).resolve()
    if not target.exists():
        raise FileNotFoundError(f"project 'main' could not be read: {target}")
    if target.is_dir():
        return Entry(pwd=target, program=".")
    return Entry(pwd=target.parent, program=target.name)
