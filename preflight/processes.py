"""Running the local tools the checks ask (``pulumi version``, ``uv --version``), never raising."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

DEFAULT_TIMEOUT_SECONDS = 60.0
"""``pulumi stack --show-name`` may contact the backend; anything slower is reported as a failure."""


class Outcome(NamedTuple):
    """A finished command: exit code (-1 when it could not run), stdout and stderr as text."""

    returncode: int
    stdout: str
    stderr: str


if TYPE_CHECKING:
    Runner: TypeAlias = Callable[[Sequence[str]], Outcome]
    """Runs a command (argv) and returns its ``Outcome``; tests pass their own."""


def command_runner(cwd: Path, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Runner:
    """A runner that executes commands in ``cwd`` (the project directory, where Pulumi.yaml is)."""

    def run(argv: Sequence[str]) -> Outcome:
        try:
            finished = subprocess.run(  # noqa: S603 - argv comes from the checks, never from input
                list(argv), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return Outcome(-1, "", f"`{' '.join(argv)}` did not finish within {timeout:g} s")
        except OSError as error:
            return Outcome(-1, "", f"`{' '.join(argv)}` could not run: {error}")
        return Outcome(finished.returncode, finished.stdout, finished.stderr)

    return run
