"""The account stack (``stackKind: apiGatewayAccount``): the region's API Gateway CloudWatch role, alone."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from lib.api_gateway_account import (
    ACCOUNT_ROLE_NAME_PREFIX,
    MANAGED_POLICY_NAME,
    MISSING_ROLE_ERROR,
    cloudwatch_role_problem,
    managed_policy_arn,
)
from lib.config import ConfigError
from lib.settings import StackKind, TapStackArgs
from tests.unit.infra.conftest import of_type, one
from tests.unit.infra.synth import MOCK_ACCOUNT_ID, MOCK_NAME_SUFFIX, synthesize_account_stack
from tests.unit.infra.test_tap_entrypoint import run_tap, stack_config

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.unit.infra.synth import Synthesis

__all__ = ["stack_config"]  # the entry-point tests' fixture, used here too

ACCOUNT_ARGS = TapStackArgs(stack_kind=StackKind.API_GATEWAY_ACCOUNT)


@pytest.fixture(scope="module")
def account_stack() -> Synthesis:
    return synthesize_account_stack(ACCOUNT_ARGS)


def test_it_holds_only_the_provider_the_role_its_policy_and_the_setting(account_stack: Synthesis) -> None:
    custom = sorted(r.type for r in account_stack.resources if r.custom)

    assert custom == [
        "aws:apigateway/account:Account",
        "aws:iam/role:Role",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "pulumi:providers:aws",
    ]


def test_the_role_trusts_api_gateway_and_carries_the_managed_push_policy(account_stack: Synthesis) -> None:
    resources = account_stack.resources
    role = one(resources, "aws:iam/role:Role")
    attachment = one(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    account = one(resources, "aws:apigateway/account:Account")

    assert role.inputs["namePrefix"] == ACCOUNT_ROLE_NAME_PREFIX
    assert "name" not in role.inputs  # generated: a redeploy never meets EntityAlreadyExists
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    assert attachment.inputs == {
        "role": role.id,
        "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    }
    assert account.inputs["cloudwatchRoleArn"] == role.state["arn"]
    assert attachment.urn in account.dependencies


def test_everything_is_protected_and_on_the_explicit_regional_provider(account_stack: Synthesis) -> None:
    resources = account_stack.resources
    provider = one(resources, "pulumi:providers:aws")

    assert provider.inputs["region"] == "us-east-1"
    assert json.loads(provider.inputs["defaultTags"]) == {
        "tags": {"Project": "secure-document-api", "ManagedBy": "pulumi"}
    }
    for resource in resources:
        if resource.custom and resource.type.startswith("aws:"):
            assert resource.provider == f"{provider.urn}::{provider.id}"
            assert resource.protect, resource.name
            assert not resource.retain_on_delete, resource.name


def test_it_exports_the_role(account_stack: Synthesis) -> None:
    name = f"{ACCOUNT_ROLE_NAME_PREFIX}{MOCK_NAME_SUFFIX}"

    assert account_stack.value == {
        "stackKind": "apiGatewayAccount",
        "region": "us-east-1",
        "apiGatewayCloudWatchRoleArn": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/{name}",
        "apiGatewayCloudWatchRoleName": name,
    }


def test_it_builds_nothing_of_an_environment(account_stack: Synthesis) -> None:
    assert not of_type(account_stack.resources, "tap:index:TapStack")
    assert not of_type(account_stack.resources, "aws:apigateway/restApi:RestApi")


def test_it_refuses_environment_arguments_and_bad_config() -> None:
    with pytest.raises(ConfigError) as caught:
        synthesize_account_stack(TapStackArgs(region="eu-west-1"))

    assert [str(problem) for problem in caught.value.problems] == [
        "region: 'eu-west-1' is not in allowedRegions (us-east-1); deploy to an allowed region or "
        "extend the list",
        "stackKind: AccountStack builds 'apiGatewayAccount' stacks only",
    ]


def test_the_managed_policy_arn_is_partition_aware() -> None:
    assert MANAGED_POLICY_NAME == "AmazonAPIGatewayPushToCloudWatchLogs"
    assert managed_policy_arn("aws") == f"arn:aws:iam::aws:policy/service-role/{MANAGED_POLICY_NAME}"
    assert managed_policy_arn("aws-cn") == f"arn:aws-cn:iam::aws:policy/service-role/{MANAGED_POLICY_NAME}"
    assert managed_policy_arn("aws-us-gov") == (
        f"arn:aws-us-gov:iam::aws:policy/service-role/{MANAGED_POLICY_NAME}"
    )


@pytest.mark.parametrize("unset", [None, "", "  "])
def test_an_unset_account_setting_is_a_problem_that_names_both_fixes(unset: str | None) -> None:
    assert cloudwatch_role_problem(unset, region="us-east-1") == (
        "API Gateway in us-east-1 has no CloudWatch Logs role (account setting cloudwatchRoleArn), so "
        f"creating the stage would fail with {MISSING_ROLE_ERROR!r}. Set it once per account and region: "
        "deploy the account stack (pulumi stack init apigw-account && pulumi config set "
        "secure-document-api:stackKind apiGatewayAccount && pulumi up), or set "
        "secure-document-api:manageApiGatewayAccount true in this stack (see README, "
        "'API Gateway account setting')."
    )


def test_a_set_account_setting_is_no_problem() -> None:
    assert cloudwatch_role_problem(f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/x", region="us-east-1") is None


def test_the_program_builds_the_account_stack_when_the_stack_kind_says_so(
    stack_config: Callable[[dict[str, str]], None],
) -> None:
    stack_config({"stackKind": "apiGatewayAccount"})

    outputs = run_tap()

    assert outputs["stackKind"] == "apiGatewayAccount"
    assert set(outputs) == {
        "stackKind",
        "region",
        "apiGatewayCloudWatchRoleArn",
        "apiGatewayCloudWatchRoleName",
    }
