"""The region-wide API Gateway account setting: facts and checks that need neither Pulumi nor AWS.

API Gateway writes a stage's execution and access logs through *one* IAM role per account and
region (``apigateway:UpdateAccount`` ``cloudwatchRoleArn``). Until it is set, creating or updating a
stage with logging fails with "CloudWatch Logs role ARN must be set in account settings to enable
logging". Every environment stack needs it, none should own it: ``ApiGatewayAccountStack`` sets it
once per account and region in a stack of its own (``stackKind: apiGatewayAccount``); a preflight
check can read ``get-account`` and ask ``cloudwatch_role_problem`` what to tell the person.
"""

from __future__ import annotations

from typing import Final

MANAGED_POLICY_NAME: Final = "AmazonAPIGatewayPushToCloudWatchLogs"
"""AWS managed policy that lets API Gateway create log groups/streams and put events."""

MANAGED_POLICY_PATH: Final = "/service-role/"

SERVICE_PRINCIPAL: Final = "apigateway.amazonaws.com"

ACCOUNT_ROLE_NAME_PREFIX: Final = "apigw-cloudwatch-"
"""Prefix of the role the account stack creates; IAM appends a unique suffix, so no redeploy collides."""

MISSING_ROLE_ERROR: Final = "CloudWatch Logs role ARN must be set in account settings to enable logging"
"""What API Gateway answers when a stage enables logging before the account setting exists."""

ACCOUNT_STACK_COMMANDS: Final = (
    "pulumi stack init apigw-account && "
    "pulumi config set secure-document-api:stackKind apiGatewayAccount && pulumi up"
)
"""The one-time fix, as README ("API Gateway account setting") spells it out."""


def managed_policy_arn(partition: str) -> str:
    """ARN of ``AmazonAPIGatewayPushToCloudWatchLogs`` in ``partition`` (``aws``, ``aws-cn``, ...)."""
    return f"arn:{partition}:iam::aws:policy{MANAGED_POLICY_PATH}{MANAGED_POLICY_NAME}"


def cloudwatch_role_problem(cloudwatch_role_arn: str | None, *, region: str) -> str | None:
    """What is wrong with the region's account setting (``get-account``'s ``cloudwatchRoleArn``).

    ``None`` when a role is set. The check cannot tell whether that role still exists or still has
    the policy; API Gateway only reports that when it next writes logs.
    """
    if cloudwatch_role_arn and cloudwatch_role_arn.strip():
        return None
    return (
        f"API Gateway in {region} has no CloudWatch Logs role (account setting cloudwatchRoleArn), so "
        f"creating the stage would fail with {MISSING_ROLE_ERROR!r}. Set it once per account and region: "
        f"deploy the account stack ({ACCOUNT_STACK_COMMANDS}), or set "
        f"secure-document-api:manageApiGatewayAccount true in this stack (see README, "
        f"'API Gateway account setting')."
    )
