"""tap.py: config gathered from Pulumi, ENVIRONMENT_SUFFIX honoured, every output exported.

The program is run the way the CLI starts it (the project directory, see Pulumi.yaml); that it also
loads from outside the project, with nothing on sys.path, is test_cli_loading.py's job.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import TYPE_CHECKING

import pulumi
import pulumi.runtime
import pytest

from lib.config import ConfigError
from tests.unit.infra.synth import PROJECT, run_program
from tests.unit.infra.test_tap_stack import REQUIRED_OUTPUTS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

PROGRAM = Path(__file__).resolve().parents[3]
"""The project directory: Pulumi.yaml names no ``main``, so the CLI runs this directory's ``__main__.py``."""


@pytest.fixture
def stack_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dict[str, str]], None]]:
    """Set the program's config the way the engine does (explicit values + PULUMI_CONFIG)."""
    monkeypatch.delenv("ENVIRONMENT_SUFFIX", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)

    def configure(values: dict[str, str]) -> None:
        namespaced = {f"{PROJECT}:{key}": value for key, value in values.items()}
        pulumi.runtime.set_all_config(namespaced)
        monkeypatch.setenv("PULUMI_CONFIG", json.dumps({**namespaced, "aws:region": "us-east-1"}))

    yield configure
    pulumi.runtime.set_all_config({})


def run_tap() -> dict[str, object]:
    """Run the program as Pulumi does (``__main__``) and resolve the stack outputs it exported."""

    def program() -> pulumi.Output[dict[str, object]]:
        runpy.run_path(str(PROGRAM), run_name="__main__")
        root = pulumi.runtime.settings.get_root_resource()
        return pulumi.Output.from_input(dict(root.outputs))  # type: ignore[union-attr]

    outputs: dict[str, object] = run_program(program).value
    return outputs


def test_tap_exports_every_output_in_camel_case(stack_config: Callable[[dict[str, str]], None]) -> None:
    stack_config({})

    outputs = run_tap()

    assert set(REQUIRED_OUTPUTS) <= set(outputs)
    assert outputs["environmentSuffix"] == "dev"
    assert outputs["lambdaFunctionName"] == "doc-processor-dev"
    assert all(key[0].islower() and "_" not in key for key in outputs)


def test_config_values_reach_the_stack(stack_config: Callable[[dict[str, str]], None]) -> None:
    stack_config({"enableFunctionUrl": "false", "environmentSuffix": "qa"})

    outputs = run_tap()

    assert outputs["lambdaFunctionUrl"] is None
    assert outputs["environmentSuffix"] == "qa"


def test_environment_variable_wins_over_config(
    stack_config: Callable[[dict[str, str]], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    stack_config({"environmentSuffix": "qa"})
    monkeypatch.setenv("ENVIRONMENT_SUFFIX", "pr-7")

    outputs = run_tap()

    assert outputs["environmentSuffix"] == "pr-7"
    assert outputs["apiStageName"] == "pr-7"


def test_bad_and_unknown_keys_stop_the_program_with_every_problem(
    stack_config: Callable[[dict[str, str]], None],
) -> None:
    stack_config({"lambdaMemoryMb": "lots", "enableWAF": "false"})

    with pytest.raises(ConfigError) as caught:
        run_tap()

    assert [problem.key for problem in caught.value.problems] == ["enableWAF", "lambdaMemoryMb"]
