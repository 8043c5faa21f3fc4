"""ApiGatewayStack: the private REST API in front of the function.

Every resource and method comes from the service's route table; every method requires SigV4
(``AWS_IAM``); the stage logs JSON access logs and execution logs (never bodies) into log groups
created here with retention, traces with X-Ray, throttles, and sits behind a WAF web ACL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from document_processor.routes import ROUTES, Route, resource_paths
from lib import api_routes, naming, waf
from lib.api_gateway_account_stack import ApiGatewayAccountStack, ApiGatewayAccountStackArgs
from lib.log_groups import managed_log_group
from lib.settings import DEFAULT_WAF_RATE_LIMIT, ApiLoggingLevel


@dataclass(frozen=True)
class ApiGatewayStackArgs:
    """What the API needs from the rest of the stack."""

    environment_suffix: str
    """Names the API ``doc-api-<env>`` and its stage ``<env>``."""
    region: str
    """Region of the integration URI."""
    partition: pulumi.Input[str]
    """ARN partition (for the managed CloudWatch policy ARN)."""
    function_name: pulumi.Input[str]
    """The function the permissions are granted on."""
    function_invoke_arn: pulumi.Input[str]
    """The AWS_PROXY integration target (with SnapStart, the alias's invoke ARN)."""
    log_retention_days: int
    """Retention of the access and execution log groups."""
    throttling_rate_limit: float
    """Stage-wide steady-state requests per second."""
    throttling_burst_limit: int
    """Stage-wide burst."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS mode: encrypts the log groups; default none."""
    logging_level: ApiLoggingLevel = ApiLoggingLevel.INFO
    """Execution logging level; default ``INFO``."""
    enable_waf: bool = True
    """Attach the WAF web ACL; default on."""
    waf_rate_limit: int = DEFAULT_WAF_RATE_LIMIT
    """Requests per IP per 5 minutes; default 1000."""
    manage_account: bool = False
    """Also own the region's CloudWatch role setting (``ApiGatewayAccountStack``); default off."""
    routes: tuple[Route, ...] = field(default=ROUTES)
    """The route table; default ``document_processor.routes.ROUTES``."""
    function_qualifier: pulumi.Input[str] | None = None
    """The alias the integration invokes, which the permissions must name (SnapStart); default none."""


class ApiGatewayStack(pulumi.ComponentResource):
    """REST API, resources/methods from the route table, stage, logs, permissions, WAF."""

    rest_api_id: pulumi.Output[str]
    rest_api_name: pulumi.Output[str]
    execution_arn: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    stage_arn: pulumi.Output[str]
    api_url: pulumi.Output[str]
    access_log_group_name: pulumi.Output[str]
    execution_log_group_name: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str | None]

    def __init__(
        self, name: str, args: ApiGatewayStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:api:ApiGatewayStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.environment_suffix
        stage_name = env

        rest_api = aws.apigateway.RestApi(
            f"{name}-rest-api",
            name=naming.api_name(env),
            description="Secure document API (IAM-authenticated)",
            endpoint_configuration=aws.apigateway.RestApiEndpointConfigurationArgs(types="REGIONAL"),
            # What a deployment snapshots comes from api_routes as data, which the deployment's
            # fingerprint hashes too (see deployment_snapshot).
            **api_routes.rest_api_arguments(),
            opts=child,
        )
        validator = aws.apigateway.RequestValidator(
            f"{name}-request-validator", rest_api=rest_api.id, **api_routes.REQUEST_VALIDATOR, opts=child
        )

        resources: dict[str, pulumi.Output[str]] = {"/": rest_api.root_resource_id}
        for path in resource_paths(args.routes):
            resource = aws.apigateway.Resource(
                f"{name}-resource-{api_routes.path_slug(path)}",
                rest_api=rest_api.id,
                parent_id=resources[api_routes.parent_path(path)],
                path_part=api_routes.path_part(path),
                opts=child,
            )
            resources[path] = resource.id

        # One value for the integrations and the fingerprint: what they target is what is hashed.
        integration_uri = args.function_invoke_arn
        deployed: list[pulumi.Resource] = []
        for route in args.routes:
            resource_name = f"{name}-{route.method.lower()}-{api_routes.path_slug(route.path)}"
            method = aws.apigateway.Method(
                f"{resource_name}-method",
                rest_api=rest_api.id,
                resource_id=resources[route.path],
                **api_routes.method_arguments(route, request_validator_id=validator.id),
                opts=child,
            )
            integration = aws.apigateway.Integration(
                f"{resource_name}-integration",
                rest_api=rest_api.id,
                resource_id=resources[route.path],
                http_method=method.http_method,
                **api_routes.integration_arguments(uri=integration_uri),
                opts=child,
            )
            deployed.extend((method, integration))

        deployment = aws.apigateway.Deployment(
            f"{name}-deployment",
            rest_api=rest_api.id,
            description="Managed by Pulumi; replaced whenever what it snapshots changes",
            triggers={
                # Resources, methods, integrations, the validator and binary media types: the
                # stage serves the old snapshot until a new deployment replaces it.
                "redeployment": pulumi.Output.from_input(integration_uri).apply(
                    lambda uri: api_routes.deployment_fingerprint(
                        api_routes.deployment_snapshot(args.routes, integration_uri=uri)
                    )
                )
            },
            # A deployment snapshots the API's methods, which it does not reference as inputs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=deployed),
        )

        access_log_group = managed_log_group(
            f"{name}-access-logs",
            name=naming.api_access_log_group_name(env),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
            opts=child,
        )
        execution_log_group = managed_log_group(
            f"{name}-execution-logs",
            name=rest_api.id.apply(lambda api_id: naming.api_execution_log_group_name(api_id, stage_name)),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
            opts=child,
        )
        # The stage starts writing execution logs as soon as it exists; it must find the group
        # (with retention) already there, and the account's CloudWatch role already set.
        stage_dependencies: list[pulumi.Resource] = [execution_log_group]
        if args.manage_account:
            # Opted in: this environment owns the region's setting. Not retained: a destroy resets
            # it (pulumi-aws v7) and deletes the role, and the next up creates a fresh, uniquely
            # named one. Accounts with other APIs use the account stack instead (README).
            account = ApiGatewayAccountStack(
                f"{name}-account",
                ApiGatewayAccountStackArgs(
                    partition=args.partition,
                    role_name_prefix=f"{naming.api_name(env)}-apigw-cw-",
                ),
                opts=child,
            )
            stage_dependencies.append(account.account)

        stage = aws.apigateway.Stage(
            f"{name}-stage",
            rest_api=rest_api.id,
            deployment=deployment.id,
            stage_name=stage_name,
            description=f"{env} stage",
            xray_tracing_enabled=True,
            cache_cluster_enabled=False,
            access_log_settings=aws.apigateway.StageAccessLogSettingsArgs(
                destination_arn=access_log_group.arn, format=api_routes.access_log_format()
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=stage_dependencies),
        )
        aws.apigateway.MethodSettings(
            f"{name}-method-settings",
            rest_api=rest_api.id,
            stage_name=stage.stage_name,
            method_path="*/*",
            settings=aws.apigateway.MethodSettingsSettingsArgs(
                metrics_enabled=True,
                logging_level=args.logging_level.value,
                # Data trace would copy request and response bodies (documents) into the logs.
                data_trace_enabled=False,
                throttling_rate_limit=args.throttling_rate_limit,
                throttling_burst_limit=args.throttling_burst_limit,
                caching_enabled=False,
            ),
            opts=child,
        )

        # One permission per route, each limited to this API, this stage and that method + path.
        for route in args.routes:
            aws.lambda_.Permission(
                f"{name}-invoke-{route.method.lower()}-{api_routes.path_slug(route.path)}",
                action="lambda:InvokeFunction",
                function=args.function_name,
                # A permission on the function does not cover its alias: it must name the alias invoked.
                qualifier=args.function_qualifier,
                principal="apigateway.amazonaws.com",
                source_arn=_invoke_source_arn(rest_api.execution_arn, stage.stage_name, route),
                opts=child,
            )

        web_acl_arn: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if args.enable_waf:
            metric_prefix = naming.api_name(env)
            web_acl = aws.wafv2.WebAcl(
                f"{name}-web-acl",
                name=metric_prefix,
                description=f"Protects the {metric_prefix} stage",
                scope="REGIONAL",
                default_action=aws.wafv2.WebAclDefaultActionArgs(
                    allow=aws.wafv2.WebAclDefaultActionAllowArgs()
                ),
                rules=waf.web_acl_rules(
                    rate_limit=args.waf_rate_limit, metric_prefix=metric_prefix, routes=args.routes
                ),
                visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                    cloudwatch_metrics_enabled=True, metric_name=metric_prefix, sampled_requests_enabled=True
                ),
                opts=child,
            )
            aws.wafv2.WebAclAssociation(
                f"{name}-web-acl-association",
                resource_arn=stage.arn,
                web_acl_arn=web_acl.arn,
                opts=child,
            )
            web_acl_arn = web_acl.arn

        self.rest_api_id = rest_api.id
        self.rest_api_name = rest_api.name
        self.execution_arn = rest_api.execution_arn
        self.stage_name = stage.stage_name
        self.stage_arn = stage.arn
        self.api_url = stage.invoke_url
        self.access_log_group_name = access_log_group.name
        self.execution_log_group_name = execution_log_group.name
        self.web_acl_arn = web_acl_arn
        self.register_outputs(
            {
                "apiId": self.rest_api_id,
                "apiStageName": self.stage_name,
                "apiUrl": self.api_url,
                "apiAccessLogGroupName": self.access_log_group_name,
                "apiExecutionLogGroupName": self.execution_log_group_name,
                "webAclArn": self.web_acl_arn,
            }
        )


def _invoke_source_arn(
    execution_arn: pulumi.Output[str], stage_name: pulumi.Output[str], route: Route
) -> pulumi.Output[str]:
    return pulumi.Output.all(execution_arn, stage_name).apply(
        lambda values: api_routes.invoke_source_arn(values[0], values[1], route)
    )
