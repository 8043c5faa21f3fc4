"""Pulumi.yaml, stack selection and the stack file, read as the Pulumi CLI reads them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from preflight.processes import Outcome
from preflight.project import ProjectError, load_project, read_stack_config, resolve_stack, stack_file
from tests.unit.preflight.conftest import PROJECT_NAME, REPOSITORY, write_project, write_stack

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from preflight.processes import Runner


def test_the_toolchain_and_virtualenv_come_from_runtime_options(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options="    toolchain: uv\n    virtualenv: .venv\n"))

    assert (project.name, project.toolchain, project.virtualenv) == (PROJECT_NAME, "uv", tmp_path / ".venv")
    assert project.stack_config_dir == tmp_path


def test_without_a_toolchain_option_it_is_pulumis_default_pip(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, options="    virtualenv: venv\n"))

    assert (project.toolchain, project.virtualenv) == ("pip", tmp_path / "venv")


def test_an_unknown_toolchain_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    write_project(tmp_path, options="    toolchain: conda\n")

    with pytest.raises(
        ProjectError, match=r"toolchain is 'conda'; Pulumi's Python host knows pip, poetry, uv"
    ):
        load_project(tmp_path)


def test_a_missing_project_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"cannot read .*Pulumi\.yaml"):
        load_project(tmp_path)


def test_the_repository_project_loads() -> None:
    project = load_project(REPOSITORY)

    assert project.name == PROJECT_NAME
    assert project.toolchain in {"pip", "uv"}


def never_run(argv: Sequence[str]) -> Outcome:
    raise AssertionError(f"the CLI was asked: {argv}")


def answering(stdout: str, returncode: int = 0) -> tuple[list[list[str]], Runner]:
    asked: list[list[str]] = []

    def run(argv: Sequence[str]) -> Outcome:
        asked.append(list(argv))
        return Outcome(returncode, stdout, "")

    return asked, run


def test_an_explicit_stack_wins_over_pulumi_stack() -> None:
    assert resolve_stack("prod", {"PULUMI_STACK": "dev"}, never_run) == "prod"


def test_pulumi_stack_wins_over_the_selected_stack() -> None:
    assert resolve_stack(None, {"PULUMI_STACK": "dev"}, never_run) == "dev"


def test_otherwise_the_cli_names_the_selected_stack() -> None:
    asked, run = answering("dev\n")

    assert resolve_stack(None, {}, run) == "dev"
    assert asked == [["pulumi", "stack", "--show-name", "--non-interactive"]]


def test_no_selected_stack_and_no_cli_means_none() -> None:
    _, run = answering("", returncode=255)

    assert resolve_stack(None, {}, run) is None
    assert resolve_stack(None, {"PULUMI_STACK": "  "}, None) is None


@pytest.mark.parametrize("stack", ["dev", "acme/dev", "acme/secure-document-api/dev"])
def test_the_stack_file_is_named_after_the_short_stack_name(tmp_path: Path, stack: str) -> None:
    assert stack_file(load_project(write_project(tmp_path)), stack) == tmp_path / "Pulumi.dev.yaml"


def test_stack_config_dir_moves_the_stack_files(tmp_path: Path) -> None:
    write_project(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text(
        (tmp_path / "Pulumi.yaml").read_text(encoding="utf-8") + "stackConfigDir: stacks\n", encoding="utf-8"
    )

    assert stack_file(load_project(tmp_path), "dev") == tmp_path / "stacks" / "Pulumi.dev.yaml"


def test_values_reach_the_parser_as_the_engine_passes_them(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path))
    write_stack(
        tmp_path,
        "dev",
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  other-project:region: ignored\n"
        f"  {PROJECT_NAME}:region: eu-west-1\n"
        f"  {PROJECT_NAME}:logRetentionDays: 731\n"
        f"  {PROJECT_NAME}:enableWaf: true\n"
        f"  {PROJECT_NAME}:allowedRegions: [eu-west-1]\n"
        f"  {PROJECT_NAME}:tags: {{Team: docs}}\n"
        f"  {PROJECT_NAME}:alarmEmail:\n"
        "    secure: v1:AAAA\n",
    )

    config = read_stack_config(project, "dev")

    assert config.found
    assert config.raw == {
        "region": "eu-west-1",
        "logRetentionDays": "731",
        "enableWaf": "true",
        "allowedRegions": '["eu-west-1"]',
        "tags": '{"Team": "docs"}',
    }
    assert (config.aws_region, config.secure_keys) == ("eu-west-1", ("alarmEmail",))


def test_a_stack_without_a_file_has_only_defaults(tmp_path: Path) -> None:
    config = read_stack_config(load_project(write_project(tmp_path)), "fresh")

    assert (config.found, dict(config.raw), config.aws_region) == (False, {}, None)


def test_a_stack_file_that_is_not_yaml_is_named(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path))
    write_stack(tmp_path, "dev", "config: [unclosed\n")

    with pytest.raises(ProjectError, match=r"Pulumi\.dev\.yaml is not valid YAML"):
        read_stack_config(project, "dev")
