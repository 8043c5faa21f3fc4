"""The CI deployment example (.github/workflows/deploy.yml) keeps its essentials.

OIDC only (no long-lived keys), the policy pack on preview and up, preflight first, the deployed e2e
suite fed the way tests/e2e reads it, destroy only for ephemeral pull-request stacks, and every
command it runs exists in this repository.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from lib.config import ENVIRONMENT_SUFFIX_VARIABLE
from preflight.project import load_project
from preflight.toolchain import parse_version, required_pulumi_version
from tests.e2e.targets import STACK_OUTPUTS_VARIABLE

REPOSITORY = Path(__file__).resolve().parents[3]
WORKFLOW = REPOSITORY / ".github" / "workflows" / "deploy.yml"
CREDENTIALS_ACTION = "aws-actions/configure-aws-credentials@"


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    return list(job["steps"])


def scripts(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in steps(job) if "run" in step]


def index_of(job: dict[str, Any], pattern: str) -> int:
    """The first step whose script matches ``pattern``."""
    for index, step in enumerate(steps(job)):
        if re.search(pattern, step.get("run", "")):
            return index
    raise AssertionError(f"no step runs {pattern!r}")


def pulumi_jobs(workflow: dict[Any, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: job
        for name, job in workflow["jobs"].items()
        if any(re.search(r"(^|\s)pulumi\s", script, re.MULTILINE) for script in scripts(job))
    }


def test_credentials_come_from_oidc_only(workflow: dict[Any, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read", "id-token": "write"}
    text = WORKFLOW.read_text(encoding="utf-8")
    for forbidden in (
        "aws-access-key-id",
        "aws-secret-access-key",
        "AWS_SECRET_ACCESS_KEY",
        "PULUMI_ACCESS_TOKEN",
    ):
        assert forbidden not in text
    assert "secrets." not in text  # nothing long-lived is stored in the repository's secrets


def test_every_job_that_runs_pulumi_assumes_the_role_first(workflow: dict[Any, Any]) -> None:
    jobs = pulumi_jobs(workflow)
    assert set(jobs) == {"deploy", "destroy"}
    for name, job in jobs.items():
        credentials = [
            i for i, step in enumerate(steps(job)) if step.get("uses", "").startswith(CREDENTIALS_ACTION)
        ]
        assert len(credentials) == 1, name
        assert steps(job)[credentials[0]]["with"]["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert credentials[0] < index_of(job, r"(^|\s)pulumi\s"), name


def test_deploy_runs_preflight_then_previews_and_deploys_with_the_policy_pack(
    workflow: dict[Any, Any],
) -> None:
    deploy = workflow["jobs"]["deploy"]

    preflight = index_of(deploy, r"make preflight STACK=")
    install = index_of(deploy, r"cd policy && pulumi install")
    preview = index_of(deploy, r"pulumi preview ")
    up = index_of(deploy, r"pulumi up ")
    e2e = index_of(deploy, r"tests/e2e")

    assert preflight < install < preview < up < e2e
    assert "--policy-pack policy" in steps(deploy)[preview]["run"]
    assert "--policy-pack policy" in steps(deploy)[up]["run"]
    assert deploy["needs"] == "test"


def test_stacks_that_force_destroy_run_the_pack_with_its_force_destroy_config(
    workflow: dict[Any, Any],
) -> None:
    """forceDestroy lifts the table's deletion protection, which the pack blocks without this config."""
    deploy = workflow["jobs"]["deploy"]
    select = steps(deploy)[index_of(deploy, r"forceDestroy true")]["run"]
    exported = re.search(r'echo "POLICY_PACK_CONFIG=--policy-pack-config (\S+)" >> "\$GITHUB_ENV"', select)

    assert exported is not None
    config = REPOSITORY / exported.group(1)
    assert config.is_file()
    assert re.search(r"if \[ -n \"\$\{ENVIRONMENT_SUFFIX\}\" \]; then", select)
    block_end = re.search(r"^\s*fi\s*$", select, re.MULTILINE)
    assert block_end is not None
    assert select.index("forceDestroy true") < select.index("POLICY_PACK_CONFIG=") < block_end.start()
    for command in (r"pulumi preview ", r"pulumi up "):
        assert "${POLICY_PACK_CONFIG:-}" in steps(deploy)[index_of(deploy, command)]["run"]


def test_the_e2e_suite_reads_the_outputs_the_workflow_wrote(workflow: dict[Any, Any]) -> None:
    deploy = workflow["jobs"]["deploy"]
    outputs_step = steps(deploy)[index_of(deploy, r"pulumi stack output --json")]
    written = re.search(r">\s*(\S+)", outputs_step["run"])
    e2e_step = steps(deploy)[index_of(deploy, r"tests/e2e")]

    assert written is not None
    assert e2e_step["env"] == {STACK_OUTPUTS_VARIABLE: written.group(1)}


def test_ephemeral_stacks_are_destroyed_only_when_their_pull_request_closes(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    destroy = jobs["destroy"]

    assert "github.event_name == 'pull_request'" in destroy["if"]
    assert "github.event.action == 'closed'" in destroy["if"]
    for name in ("test", "deploy"):
        assert "github.event.action != 'closed'" in jobs[name]["if"]
    assert [name for name, job in jobs.items() if any("pulumi destroy" in s for s in scripts(job))] == [
        "destroy"
    ]
    assert any("pulumi stack rm --yes" in script for script in scripts(destroy))
    assert "closed" in workflow[True]["pull_request"]["types"]  # YAML 1.1 reads the `on` key as True


def test_pull_request_stacks_get_their_own_names(workflow: dict[Any, Any]) -> None:
    env = workflow["env"]

    assert "format('pr-{0}', github.event.pull_request.number)" in env["STACK"]
    assert "format('pr-{0}', github.event.pull_request.number)" in env[ENVIRONMENT_SUFFIX_VARIABLE]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "pull_request.number" in workflow["concurrency"]["group"]


def test_production_deploys_only_through_the_production_environment(workflow: dict[Any, Any]) -> None:
    assert (
        workflow["jobs"]["deploy"]["environment"]
        == "${{ inputs.stack == 'prod' && 'production' || 'development' }}"
    )
    assert workflow["jobs"]["destroy"]["environment"] == "development"
    assert workflow[True]["workflow_dispatch"]["inputs"]["stack"]["options"] == ["dev", "prod"]


def test_every_make_target_and_path_it_uses_exists(workflow: dict[Any, Any]) -> None:
    makefile = (REPOSITORY / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    text = "\n".join(script for job in workflow["jobs"].values() for script in scripts(job))

    used = {target for line in re.findall(r"\bmake ([a-z -]+)", text) for target in line.split()}

    assert used == {"test", "setup", "package", "preflight"}
    assert used <= targets
    for path in ("policy/PulumiPolicy.yaml", "tests/e2e", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        assert (REPOSITORY / path).exists(), path
    for stack in workflow[True]["workflow_dispatch"]["inputs"]["stack"]["options"]:
        assert (REPOSITORY / f"Pulumi.{stack}.yaml").is_file()


def test_the_cli_it_installs_matches_the_locked_sdk_and_runs_this_project(workflow: dict[Any, Any]) -> None:
    lock = tomllib.loads((REPOSITORY / "uv.lock").read_text(encoding="utf-8"))
    sdk = next(package["version"] for package in lock["package"] if package["name"] == "pulumi")
    version = parse_version(workflow["env"]["PULUMI_VERSION"])

    assert workflow["env"]["PULUMI_VERSION"] == sdk
    assert version is not None
    assert version >= required_pulumi_version(load_project(REPOSITORY))
