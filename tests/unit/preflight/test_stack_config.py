"""The effective config, checked by the program's own parser, with a fix for every problem."""

from __future__ import annotations

from typing import TYPE_CHECKING

from preflight.project import load_project, read_stack_config
from preflight.results import CheckResult, Status
from preflight.stack_config import Setting, check_config, check_region, effective_settings, evaluate
from tests.unit.preflight.conftest import PROJECT_NAME, write_project, write_stack

if TYPE_CHECKING:
    from pathlib import Path

    from preflight.project import StackConfig


def stack(tmp_path: Path, *lines: str, aws_region: str | None = "us-east-1") -> StackConfig:
    body = "config:\n" + (f"  aws:region: {aws_region}\n" if aws_region else "")
    body += "".join(f"  {PROJECT_NAME}:{line}\n" for line in lines)
    write_stack(write_project(tmp_path), "dev", body)
    return read_stack_config(load_project(tmp_path), "dev")


def test_a_valid_stack_file_passes(tmp_path: Path) -> None:
    config = stack(tmp_path, "encryptionMode: KMS")
    outcome = evaluate(config, {})

    assert check_config(config, outcome) == CheckResult.ok(
        "stack-config", f"valid ({tmp_path / 'Pulumi.dev.yaml'})"
    )
    assert check_region(config, outcome) == CheckResult.ok("region", "us-east-1 (allowed: us-east-1)")


def test_a_stack_without_a_file_is_valid_with_defaults(tmp_path: Path) -> None:
    config = read_stack_config(load_project(write_project(tmp_path)), "fresh")

    assert check_config(config, evaluate(config, {})).detail == (
        f"valid (defaults only: {tmp_path / 'Pulumi.fresh.yaml'} (not created yet))"
    )


def test_every_problem_is_listed_with_the_command_that_fixes_it(tmp_path: Path) -> None:
    config = stack(tmp_path, "logRetentionDays: 42", "enableWaff: true", "breakGlassPrincipalArns: [nobody]")

    result = check_config(config, evaluate(config, {}))

    assert result.status is Status.FAIL
    assert result.detail.startswith(
        f"3 problem(s) in {tmp_path / 'Pulumi.dev.yaml'}: enableWaff: unknown key;"
    )
    assert "logRetentionDays: must be a CloudWatch Logs retention period (1, 3, 5," in result.detail
    assert "breakGlassPrincipalArns: 'nobody' is not an IAM role or user ARN" in result.detail
    assert result.fix == (
        "enableWaff: `pulumi config rm enableWaff --stack dev` (or fix the typo). "
        "logRetentionDays: `pulumi config set logRetentionDays <value> --stack dev` with a value that "
        "follows the rule above, or `pulumi config rm logRetentionDays --stack dev` for the default. "
        "breakGlassPrincipalArns: edit it in the stack file (or `pulumi config set --path "
        "'breakGlassPrincipalArns[0]' <value> --stack dev`) with a value that follows the rule above, or "
        "`pulumi config rm breakGlassPrincipalArns --stack dev` for the default."
    )


def test_a_bad_environment_suffix_variable_is_fixed_in_the_environment(tmp_path: Path) -> None:
    config = stack(tmp_path)

    result = check_config(config, evaluate(config, {"ENVIRONMENT_SUFFIX": "PR_12"}))

    assert result.status is Status.FAIL
    assert "ENVIRONMENT_SUFFIX: must be 1-20 lowercase letters" in result.detail
    assert result.fix == "ENVIRONMENT_SUFFIX: change or unset the ENVIRONMENT_SUFFIX environment variable."


def test_a_region_outside_the_allow_list_fails_the_region_check(tmp_path: Path) -> None:
    config = stack(tmp_path, "region: eu-west-1", aws_region="eu-west-1")

    result = check_region(config, evaluate(config, {}))

    assert result.status is Status.FAIL
    assert result.detail == (
        "region: 'eu-west-1' is not in allowedRegions (us-east-1); deploy to an allowed region or extend "
        "the list"
    )
    assert result.fix.startswith("region: `pulumi config set region <value> --stack dev`")


def test_the_region_check_is_skipped_when_only_other_keys_are_wrong(tmp_path: Path) -> None:
    config = stack(tmp_path, "lambdaMemoryMb: 64")

    assert check_region(config, evaluate(config, {})) == CheckResult.skip(
        "region", "the stack config has other problems (stack-config)"
    )


def test_aws_region_disagreeing_with_region_warns(tmp_path: Path) -> None:
    config = stack(tmp_path, aws_region="eu-west-1")

    assert check_region(config, evaluate(config, {})) == CheckResult.warn(
        "region",
        "the program deploys to us-east-1 (secure-document-api:region), but aws:region is eu-west-1: tools "
        "that read aws:region would look in the wrong region",
        "`pulumi config set aws:region us-east-1 --stack dev`",
    )


def test_encrypted_values_are_reported_as_unchecked(tmp_path: Path) -> None:
    config = stack(tmp_path, "alarmEmail: {secure: 'v1:AAAA'}")
    outcome = evaluate(config, {})

    result = check_config(config, outcome)

    assert result.status is Status.WARN
    assert result.fix == "check them with `pulumi config --show-secrets --stack dev`"
    assert outcome.args is not None
    assert Setting("alarmEmail", "(encrypted)", "secret (not checked)") in effective_settings(
        config, outcome.args, {}
    )


def test_the_effective_config_says_where_each_value_comes_from(tmp_path: Path) -> None:
    config = stack(tmp_path, "encryptionMode: KMS", "tags: {Team: docs}")
    outcome = evaluate(config, {"ENVIRONMENT_SUFFIX": "pr-7"})
    assert outcome.args is not None

    rows = {row.key: row for row in effective_settings(config, outcome.args, {"ENVIRONMENT_SUFFIX": "pr-7"})}

    assert rows["environmentSuffix"] == Setting("environmentSuffix", "pr-7", "ENVIRONMENT_SUFFIX")
    assert rows["encryptionMode"] == Setting("encryptionMode", "KMS", "stack file")
    assert rows["tags"] == Setting("tags", '{"Team": "docs"}', "stack file")
    assert rows["enableWaf"] == Setting("enableWaf", "true", "default")
    assert rows["alarmEmail"] == Setting("alarmEmail", "(not set)", "default")
    assert rows["allowedRegions"] == Setting("allowedRegions", '["us-east-1"]', "default")
