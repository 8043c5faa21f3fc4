"""AccountStack: the whole of a ``stackKind: apiGatewayAccount`` stack, run once per account and region.

It sets the one thing every environment stack needs but none should own: API Gateway's CloudWatch
Logs role for the region. Same project, same program, a stack of its own (``pulumi stack init
apigw-account``), so it imports ``lib`` exactly like the environments do and needs no second
project or interpreter. Its resources are protected: removing the setting is a deliberate
``pulumi state unprotect --all`` followed by ``pulumi destroy`` (README, "API Gateway account setting").
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from lib import naming
from lib.api_gateway_account_stack import ApiGatewayAccountStack, ApiGatewayAccountStackArgs
from lib.config import ConfigError, ConfigProblem, validate_args
from lib.settings import StackKind, TapStackArgs

__all__ = ["AccountStack"]


class AccountStack(pulumi.ComponentResource):
    """Explicit provider for the configured region, and the protected API Gateway account setting."""

    provider: aws.Provider
    args: TapStackArgs
    api_gateway_account: ApiGatewayAccountStack

    def __init__(self, name: str, args: TapStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        problems = validate_args(args)
        if args.stack_kind is not StackKind.API_GATEWAY_ACCOUNT:
            problems.append(
                ConfigProblem(
                    "stackKind", f"AccountStack builds {StackKind.API_GATEWAY_ACCOUNT.value!r} stacks only"
                )
            )
        if problems:
            raise ConfigError(problems)
        super().__init__("tap:index:AccountStack", name, None, opts)
        self.args = args
        self.provider = aws.Provider(
            f"{name}-aws",
            region=args.region,
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={**args.tags, "Project": naming.PROJECT_NAME, "ManagedBy": "pulumi"}
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        invoke = pulumi.InvokeOutputOptions(parent=self, provider=self.provider)
        partition = aws.get_partition_output(opts=invoke).partition
        self.api_gateway_account = ApiGatewayAccountStack(
            f"{name}-apigw",
            ApiGatewayAccountStackArgs(partition=partition, protect=True),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.provider]),
        )
        self.register_outputs(dict(self.outputs))

    @property
    def outputs(self) -> dict[str, pulumi.Input[object]]:
        """Every stack output, keyed by its exported (camelCase) name."""
        return {
            "stackKind": self.args.stack_kind.value,
            "region": self.args.region,
            "apiGatewayCloudWatchRoleArn": self.api_gateway_account.role_arn,
            "apiGatewayCloudWatchRoleName": self.api_gateway_account.role_name,
        }
