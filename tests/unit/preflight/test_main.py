"""The whole preflight through ``main``: a scratch project, fake tools, stubbed AWS; exit codes and output."""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest
from botocore.exceptions import ProfileNotFound

from preflight.__main__ import main
from preflight.aws import ZONE_FILTERS
from tests.unit.preflight.conftest import (
    ACCOUNT,
    CALLER_ARN,
    PROJECT_NAME,
    REPOSITORY,
    US_EAST_1_ZONES,
    fake_tool,
    make_lambda_package,
    make_venv,
    which_in,
    write_project,
    write_stack,
)

if TYPE_CHECKING:
    from pathlib import Path

    from preflight.clients import AwsClients
    from tests.unit.preflight.conftest import Stubbed

ACCOUNT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/apigw-cloudwatch-20261203115200000000000001"


def ready_project(tmp_path: Path, stack_body: str = "") -> Path:
    """A project that passes every local check: Pulumi and uv on the fake PATH, .venv, a built package."""
    project = write_project(tmp_path / "project")
    fake_tool(tmp_path / "bin", "pulumi", stdout="v3.272.0")
    fake_tool(tmp_path / "bin", "uv", stdout="uv 0.13.9")
    make_venv(project, pip=False)
    make_lambda_package(project)
    write_stack(project, "dev", "config:\n  aws:region: us-east-1\n" + stack_body)
    return project


def answer_everything(stubbed: Stubbed, *, role_arn: str | None = ACCOUNT_ROLE, zones: bool = True) -> None:
    stubbed.sts.add_response(
        "get_caller_identity", {"UserId": "AROA:alice", "Account": ACCOUNT, "Arn": CALLER_ARN}
    )
    if zones:
        stubbed.ec2.add_response(
            "describe_availability_zones",
            {"AvailabilityZones": [{"ZoneId": k, "ZoneName": v} for k, v in US_EAST_1_ZONES.items()]},
            {"Filters": list(ZONE_FILTERS)},
        )
    stubbed.apigateway.add_response("get_account", {"cloudwatchRoleArn": role_arn} if role_arn else {})
    if role_arn:
        name = role_arn.rsplit("/", 1)[-1]
        stubbed.iam.add_response(
            "get_role",
            {"Role": {"Path": "/", "RoleName": name, "RoleId": "AROAEXAMPLEEXAMPLE123", "Arn": role_arn,
                      "CreateDate": "2026-12-01T00:00:00Z"}},
        )  # fmt: skip


def run_main(
    tmp_path: Path, project: Path, stubbed: Stubbed, *argv: str, environ: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    regions: list[str] = []
    code = main(
        list(argv),
        project_dir=project,
        environ=environ or {},
        which=which_in(tmp_path / "bin"),
        clients=stubbed.factory(regions),
    )
    return code, regions


def test_a_ready_project_exits_zero_and_shows_the_effective_config(
    tmp_path: Path, stubbed: Stubbed, capsys: pytest.CaptureFixture[str]
) -> None:
    project = ready_project(tmp_path, f"  {PROJECT_NAME}:encryptionMode: KMS\n")
    answer_everything(stubbed)

    code, regions = run_main(tmp_path, project, stubbed, "--stack", "dev")

    output = capsys.readouterr().out
    assert code == 0, output
    assert regions == ["us-east-1"]
    assert output.startswith("Preflight for stack 'dev'\n")
    assert f"[ ok ] aws-credentials      {CALLER_ARN} (account {ACCOUNT})" in output
    assert (
        "[ ok ] availability-zones   use1-az1 (us-east-1c), use1-az2 (us-east-1e) (chosen by zone ID)"
        in output
    )
    assert any(
        line.split()[:2] == ["encryptionMode", "KMS"] and line.endswith("(stack file)")
        for line in output.splitlines()
    )
    assert output.rstrip().endswith("0 failure(s), 0 warning(s): ready for `pulumi preview` and `up`.")


def test_any_failure_exits_one_and_later_aws_checks_are_skipped(
    tmp_path: Path, stubbed: Stubbed, capsys: pytest.CaptureFixture[str]
) -> None:
    project = ready_project(tmp_path)
    stubbed.sts.add_client_error(
        "get_caller_identity", service_error_code="ExpiredToken", service_message="expired"
    )

    code, _ = run_main(tmp_path, project, stubbed, "--stack", "dev", "--json")

    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert report["ok"] is False
    assert [(check["name"], check["status"]) for check in report["checks"]] == [
        ("pulumi-cli", "ok"),
        ("python-toolchain", "ok"),
        ("stack-config", "ok"),
        ("region", "ok"),
        ("lambda-package", "ok"),
        ("aws-credentials", "fail"),
        ("availability-zones", "skip"),
        ("api-gateway-account", "skip"),
    ]
    assert {"key": "environmentSuffix", "value": "dev", "source": "default"} in report["config"]


def test_a_warning_alone_still_exits_zero(
    tmp_path: Path, stubbed: Stubbed, capsys: pytest.CaptureFixture[str]
) -> None:
    project = ready_project(tmp_path, f"  {PROJECT_NAME}:manageApiGatewayAccount: true\n")
    answer_everything(stubbed)  # the account stack owns the setting already

    code, _ = run_main(tmp_path, project, stubbed, "--stack", "dev")

    output = capsys.readouterr().out
    assert code == 0
    assert "[WARN] api-gateway-account" in output
    assert "0 failure(s), 1 warning(s)" in output


def test_the_account_stack_skips_what_only_environments_need(
    tmp_path: Path, stubbed: Stubbed, capsys: pytest.CaptureFixture[str]
) -> None:
    project = ready_project(tmp_path, f"  {PROJECT_NAME}:stackKind: apiGatewayAccount\n")
    answer_everything(stubbed, role_arn=None, zones=False)  # a zone question would fail the Stubber

    code, _ = run_main(tmp_path, project, stubbed, "--json", environ={"PULUMI_STACK": "dev"})

    report = json.loads(capsys.readouterr().out)
    names = [check["name"] for check in report["checks"]]
    assert "lambda-package" not in names
    assert "availability-zones" not in names
    assert (
        report["checks"][-1]["detail"]
        == "no CloudWatch Logs role set in us-east-1 yet; this stack sets it on `up`"
    )
    assert code == 0


def test_an_invalid_config_fails_before_any_aws_question_but_credentials(
    tmp_path: Path, stubbed: Stubbed, capsys: pytest.CaptureFixture[str]
) -> None:
    project = ready_project(tmp_path, f"  {PROJECT_NAME}:logRetentionDays: 42\n")
    stubbed.sts.add_response(
        "get_caller_identity", {"UserId": "AROA:alice", "Account": ACCOUNT, "Arn": CALLER_ARN}
    )

    code, _ = run_main(tmp_path, project, stubbed, "--stack", "dev")

    output = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] stack-config" in output
    assert "[skip] availability-zones   invalid stack config (stack-config)" in output


def test_no_stack_anywhere_fails_with_how_to_name_one(
    tmp_path: Path, stubbed: Stubbed, capsys: pytest.CaptureFixture[str]
) -> None:
    project = ready_project(tmp_path)
    # A CLI that knows its version but has no stack selected (`pulumi stack --show-name` exits 255).
    (tmp_path / "bin" / "pulumi").write_text(
        '#!/bin/sh\n[ "$1" = version ] && echo v3.272.0 && exit 0\nexit 255\n'
    )

    code, _ = run_main(tmp_path, project, stubbed)

    output = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] stack" in output
    assert "fix: name one: `make preflight STACK=dev`" in output


def test_bad_arguments_exit_two(tmp_path: Path, stubbed: Stubbed) -> None:
    with pytest.raises(SystemExit) as raised:
        run_main(tmp_path, ready_project(tmp_path), stubbed, "--no-such-flag")

    assert raised.value.code == 2


def test_make_preflight_runs_the_module_for_the_named_stack() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "preflight", "STACK=prod"],
        cwd=REPOSITORY, capture_output=True, text=True, check=True,
    )  # fmt: skip

    assert ".venv/bin/python -m preflight --stack prod" in dry_run.stdout.splitlines()


def test_make_preflight_without_a_stack_leaves_the_choice_to_the_module() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "preflight"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
    )

    assert ".venv/bin/python -m preflight" in dry_run.stdout.splitlines()


def test_an_unknown_profile_is_a_credentials_failure(
    tmp_path: Path, stubbed: Stubbed, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_such_profile(region: str) -> AwsClients:
        raise ProfileNotFound(profile="typo")

    code = main(
        ["--stack", "dev", "--json"],
        project_dir=ready_project(tmp_path),
        environ={},
        which=which_in(tmp_path / "bin"),
        clients=no_such_profile,
    )

    checks = json.loads(capsys.readouterr().out)["checks"]
    assert code == 1
    assert checks[-1]["name"] == "aws-credentials"
    assert checks[-1]["detail"] == "cannot set up AWS clients (The config profile (typo) could not be found)"
