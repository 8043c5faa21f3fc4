"""ApiGatewayAccountStack: the role API Gateway logs through, set as the region's account setting.

One setting per account and region, shared by every REST API there. Two ways to own it:

- the account stack (``stackKind: apiGatewayAccount``, run once per account and region): protected,
  so a stray ``pulumi destroy`` cannot switch logging off for every API in the region;
- an environment stack that opts in (``manageApiGatewayAccount: true``): for a sandbox account with
  a single environment; destroying that stack resets the setting (pulumi-aws v7 resets it when the
  ``aws.apigateway.Account`` resource is deleted).

The role gets a generated name (``name_prefix``), so a redeploy after a destroy, or a role left over
from an earlier version, never collides with ``EntityAlreadyExists``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from lib import api_gateway_account, policies

MAX_ROLE_NAME_PREFIX_LENGTH = 38
"""IAM role names are at most 64 characters; the generated suffix takes 26."""


@dataclass(frozen=True)
class ApiGatewayAccountStackArgs:
    """What the account setting needs."""

    partition: pulumi.Input[str]
    """ARN partition (for the managed policy's ARN)."""
    role_name_prefix: str = api_gateway_account.ACCOUNT_ROLE_NAME_PREFIX
    """Prefix of the generated role name; default ``apigw-cloudwatch-``."""
    protect: bool = False
    """Protect the role and the setting from deletion (the account stack); default off."""


class ApiGatewayAccountStack(pulumi.ComponentResource):
    """IAM role (trust ``apigateway.amazonaws.com``, managed push-to-CloudWatch policy) + account setting."""

    account: aws.apigateway.Account
    """Stages that log must depend on it (the setting is not otherwise one of their inputs)."""
    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ApiGatewayAccountStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        if not 1 <= len(args.role_name_prefix) <= MAX_ROLE_NAME_PREFIX_LENGTH:
            raise ValueError(
                f"role_name_prefix must be 1-{MAX_ROLE_NAME_PREFIX_LENGTH} characters (IAM's role name limit "
                f"less the generated suffix); got {args.role_name_prefix!r}"
            )
        super().__init__("tap:api:ApiGatewayAccountStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, protect=args.protect)

        role = aws.iam.Role(
            f"{name}-role",
            name_prefix=args.role_name_prefix,
            description="API Gateway (account setting) writes execution and access logs to CloudWatch Logs",
            assume_role_policy=json.dumps(
                policies.service_assume_role_policy(api_gateway_account.SERVICE_PRINCIPAL)
            ),
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-role-policy",
            role=role.name,
            policy_arn=pulumi.Output.from_input(args.partition).apply(api_gateway_account.managed_policy_arn),
            opts=child,
        )
        self.account = aws.apigateway.Account(
            f"{name}-setting",
            # Set only once the role can actually write (the attachment is not otherwise an input).
            cloudwatch_role_arn=pulumi.Output.all(role.arn, attachment.id).apply(lambda values: values[0]),
            opts=child,
        )
        self.role_arn = role.arn
        self.role_name = role.name
        self.register_outputs({"apiGatewayCloudWatchRoleArn": self.role_arn})
