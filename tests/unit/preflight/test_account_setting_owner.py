"""The preflight recognises the owner of the API Gateway setting from the role names the program builds.

``preflight.aws.setting_owner`` reads the owner from the role's name; these tests take the names
from the synthesized program (not from this file), so renaming the roles breaks them here first.
"""

from __future__ import annotations

from lib.settings import StackKind, TapStackArgs
from preflight.aws import setting_owner
from tests.unit.infra.synth import CapturedResource, synthesize, synthesize_account_stack

ROLE = "aws:iam/role:Role"
SETTING = "aws:apigateway/account:Account"


def setting_role_arn(resources: list[CapturedResource]) -> str:
    """The ARN of the role the program writes into the account setting."""
    setting = next(resource for resource in resources if resource.type == SETTING)
    role_arn = setting.inputs["cloudwatchRoleArn"]
    assert any(resource.type == ROLE and resource.state.get("arn") == role_arn for resource in resources)
    return str(role_arn)


def test_an_environment_that_owns_the_setting_is_recognised_as_itself() -> None:
    args = TapStackArgs(environment_suffix="qa", manage_api_gateway_account=True)

    role_arn = setting_role_arn(synthesize(args))

    assert setting_owner(role_arn, args) == ("this environment stack ('qa', manageApiGatewayAccount)", True)
    assert setting_owner(role_arn, TapStackArgs(environment_suffix="dev")) == (
        "another environment stack of this project (API 'doc-api-qa', manageApiGatewayAccount)",
        False,
    )


def test_the_account_stack_is_recognised_as_the_owner() -> None:
    args = TapStackArgs(stack_kind=StackKind.API_GATEWAY_ACCOUNT)

    role_arn = setting_role_arn(synthesize_account_stack(args).resources)

    assert setting_owner(role_arn, args) == (
        "this project's account stack (stackKind apiGatewayAccount)",
        True,
    )
    assert setting_owner(role_arn, TapStackArgs(manage_api_gateway_account=True))[1] is False
