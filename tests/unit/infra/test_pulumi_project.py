"""Pulumi.yaml against the repository: what the CLI will do with it, checked without a CLI.

Facts from pulumi/pulumi at commit 1b5949891b3cefcb9974752b24a5ecef0acc86c8:

- ``sdk/python/toolchain/toolchain.go`` ``ResolveToolchain``: with no ``toolchain`` option a
  ``uv.lock`` found upwards from the program directory selects uv (lock-file detection, CLI 3.227.0),
  otherwise pip; older CLIs used pip.
- ``sdk/python/toolchain/pip.go``: pip runs ``<virtualenv>/bin/python -m pip list`` to find the
  provider plugins, so pip must be inside the virtualenv; ``pulumi install`` installs only
  ``requirements.txt`` (this project has none).
- ``sdk/python/toolchain/uv.go``: ``newUv`` fails with "Could not find `uv` executable" unless ``uv``
  is on ``PATH``; ``uv`` must be at least 0.4.26; a relative ``virtualenv`` is joined to the project
  root and passed to uv as ``UV_PROJECT_ENVIRONMENT``; before running the program it runs
  ``uv sync --inexact`` next to ``pyproject.toml``, which needs a ``[project]`` table unless a
  ``uv.lock`` exists; packages are listed from ``uv.lock``.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from tests.unit.infra.pulumi_project import (
    PROJECT_ROOT,
    PYTHON_RUNTIME_OPTIONS,
    TOOLCHAINS,
    TYPECHECKERS,
    entry_point,
    load_project,
    runtime_name,
    runtime_options,
)

MAKEFILE = PROJECT_ROOT / "Makefile"
README = PROJECT_ROOT / "README.md"
MIN_UV_VERSION = (0, 4, 26)
"""``minUvVersion`` in sdk/python/toolchain/uv.go."""


def makefile_variables(path: Path = MAKEFILE) -> dict[str, str]:
    """The Makefile's simple ``NAME := value`` assignments, with ``$(NAME)`` references expanded."""
    variables: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Z_]+)\s*:=\s*(.*?)\s*", line)
        if match:
            variables[match[1]] = re.sub(
                r"\$\(([A-Z_]+)\)", lambda ref: variables.get(ref[1], ref[0]), match[2]
            )
    return variables


def search_up(start: Path, name: str) -> Path | None:
    """``searchup`` in toolchain.go: the nearest directory at or above ``start`` holding ``name``."""
    for directory in (start, *start.parents):
        if (directory / name).exists():
            return directory
    return None


def readme_section(title_start: str) -> str:
    """The README's ``## <title_start>...`` section, up to the next ``## ``."""
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title_start)}.*?$(.*?)(?=^## )", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"README has no section starting '## {title_start}'"
    return match[1]


def shell_lines(markdown: str) -> list[str]:
    """Every line of the section's ```bash blocks, in order, comments and blanks dropped."""
    lines: list[str] = []
    for block in re.findall(r"^\s*```bash\n(.*?)^\s*```", markdown, flags=re.MULTILINE | re.DOTALL):
        for line in block.splitlines():
            command = line.split(" #", 1)[0].strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def test_the_runtime_is_python_with_only_options_the_python_host_reads() -> None:
    project = load_project()
    options = runtime_options(project)

    assert runtime_name(project) == "python"
    assert set(options) <= PYTHON_RUNTIME_OPTIONS  # anything else would be ignored silently
    assert options.get("typechecker", "mypy") in TYPECHECKERS


def test_the_toolchain_is_stated_not_detected_and_it_is_uv() -> None:
    options = runtime_options(load_project())

    assert "toolchain" in options, "without it the CLI's choice depends on its version and the lock files"
    assert options["toolchain"] in TOOLCHAINS
    assert options["toolchain"] == "uv"


def test_uv_finds_the_lock_file_and_the_project_it_syncs() -> None:
    entry = entry_point(load_project())
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert search_up(entry.pwd, "uv.lock") == PROJECT_ROOT
    assert search_up(entry.pwd, "pyproject.toml") == PROJECT_ROOT
    assert pyproject["project"]["name"] == load_project()["name"]
    # The uv toolchain installs from uv.lock; nothing reads a requirements.txt here (pip would).
    assert not (PROJECT_ROOT / "requirements.txt").exists()


def test_the_virtualenv_is_the_one_make_setup_creates() -> None:
    options = runtime_options(load_project())
    variables = makefile_variables()
    setup_recipe = re.search(
        r"^\$\(VENV\)/\.synced:.*\n((?:\t.*\n)+)", MAKEFILE.read_text(encoding="utf-8"), re.MULTILINE
    )

    assert options["virtualenv"] == variables["VENV"]
    assert not Path(options["virtualenv"]).is_absolute()  # joined to the project root by the CLI
    assert setup_recipe, "the Makefile no longer builds $(VENV)/.synced"
    # `uv sync` builds uv's project environment: the same directory the CLI will `uv sync` into.
    assert re.search(r"\$\(UV\) sync\b", setup_recipe[1])


def test_the_makefiles_uv_is_recent_enough_for_the_cli() -> None:
    version = tuple(int(part) for part in makefile_variables()["UV_VERSION"].split("."))

    assert version >= MIN_UV_VERSION


def test_the_deploy_steps_put_the_makefiles_uv_on_path_before_running_pulumi() -> None:
    uv_directory = str(Path(makefile_variables()["UV"]).parent)
    commands = shell_lines(readme_section("Deploying"))
    first_pulumi = next(index for index, line in enumerate(commands) if re.match(r"\(?\s*pulumi ", line))
    exports = [
        line
        for line in commands[:first_pulumi]
        if re.fullmatch(rf'export PATH="\$PWD/{re.escape(uv_directory)}:\$PATH"', line)
    ]

    assert exports, f'no `export PATH="$PWD/{uv_directory}:$PATH"` before {commands[first_pulumi]!r}'


def test_main_names_a_program_the_host_can_run() -> None:
    entry = entry_point(load_project())

    if entry.program == ".":
        assert (entry.pwd / "__main__.py").is_file()
    else:
        assert (entry.pwd / entry.program).is_file()
        assert entry.program.endswith(".py")
