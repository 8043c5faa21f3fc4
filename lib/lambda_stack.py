"""LambdaStack: the document processor function, its role, its log group and its function URL.

The function runs in the private subnets only (no internet; S3 and DynamoDB through their gateway
endpoints), logs JSON into a log group created here first (so retention applies), and is traced by
X-Ray.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from lib import naming, policies
from lib.lambda_asset import HANDLER
from lib.log_groups import managed_log_group
from lib.settings import DEFAULT_LAMBDA_MEMORY_MB

RUNTIME: Final = "python3.13"
"""Newest Python Lambda runs; fastest Python cold start."""
ARCHITECTURE: Final = "arm64"
DEFAULT_TIMEOUT_SECONDS: Final = 25
"""Below API Gateway's 29-second integration timeout, so the function's own timeout answers first."""
LOG_LEVEL: Final = "INFO"
METRICS_NAMESPACE: Final = "SecureDocumentApi"
SNAP_START_ALIAS: Final = "live"
"""With SnapStart, the alias the API and the function URL invoke: snapshots exist only for published
versions, so invoking the unqualified function (``$LATEST``) would start every environment cold."""
SERVICE_NAME: Final = "document-api"


@dataclass(frozen=True)
class LambdaStackArgs:
    """What the function needs from the rest of the stack."""

    environment_suffix: str
    """Names the function ``doc-processor-<env>``."""
    region: str
    """For the KMS ``kms:ViaService`` condition."""
    code: pulumi.Archive
    """The deployment package (``lib.lambda_asset``)."""
    bucket_name: pulumi.Input[str]
    """The documents bucket (``DOCUMENTS_BUCKET``)."""
    bucket_arn: pulumi.Input[str]
    """Scope of the role's S3 permissions."""
    subnet_ids: pulumi.Input[list[str]]
    """The private subnets."""
    security_group_id: pulumi.Input[str]
    """The Lambda security group (HTTPS to S3 only)."""
    log_retention_days: int
    """Retention of the function's log group."""
    max_document_bytes: int
    """``MAX_DOCUMENT_BYTES``."""
    allowed_content_types: tuple[str, ...]
    """``ALLOWED_CONTENT_TYPES`` (comma-joined)."""
    catalogue_table_name: pulumi.Input[str]
    """The catalogue table (``CATALOGUE_TABLE``)."""
    catalogue_table_arn: pulumi.Input[str]
    """Scope of the role's item and query permissions (the table and its ``byType`` index)."""
    ingest_bucket_name: pulumi.Input[str]
    """The ingest bucket of large uploads (``INGEST_BUCKET``)."""
    ingest_bucket_arn: pulumi.Input[str]
    """Scope of the role's upload permissions (``ingest/*``)."""
    max_upload_bytes: int
    """``MAX_UPLOAD_BYTES``: the largest upload ``POST /uploads`` accepts."""
    owner_scope: str = "role"
    """``OWNER_SCOPE``: ``role`` (default) or ``session`` (``lib.settings.OwnerScope``)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS mode: the key the bucket and log group use; default none (SSE-S3)."""
    memory_mb: int = DEFAULT_LAMBDA_MEMORY_MB
    """Default 512."""
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS
    """Default 25."""
    reserved_concurrency: int | None = None
    """Default none: unreserved."""
    enable_function_url: bool = True
    """Create an ``AWS_IAM`` function URL; default on."""
    enable_snap_start: bool = False
    """SnapStart on published versions, invoked through the ``live`` alias; default off."""
    malware_scanning: bool = False
    """``MALWARE_SCANNING``: ``POST /documents`` quarantines for the scan and answers 202; default off."""


class LambdaStack(pulumi.ComponentResource):
    """Role (least privilege), log group, function, optional function URL."""

    function_name: pulumi.Output[str]
    function_arn: pulumi.Output[str]
    invoke_arn: pulumi.Output[str]
    """What the API integrates with: the ``live`` alias's invoke ARN with SnapStart, else the function's."""
    qualifier: pulumi.Output[str] | None
    """The alias invocations and permissions name (SnapStart); ``None``: the unqualified function."""
    role_arn: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    log_group_arn: pulumi.Output[str]
    function_url: pulumi.Output[str | None]
    timeout_seconds: int

    def __init__(self, name: str, args: LambdaStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tap:compute:LambdaStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        function_name = naming.function_name(args.environment_suffix)

        log_group = managed_log_group(
            f"{name}-log-group",
            name=naming.lambda_log_group_name(args.environment_suffix),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-role",
            name=naming.lambda_role_name(args.environment_suffix),
            description=f"Execution role of {function_name}",
            assume_role_policy=json.dumps(policies.service_assume_role_policy(policies.LAMBDA_PRINCIPAL)),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            name=f"{function_name}-least-privilege",
            role=role.id,
            policy=pulumi.Output.all(
                args.bucket_arn,
                log_group.arn,
                args.catalogue_table_arn,
                args.kms_key_arn,
                args.ingest_bucket_arn,
            ).apply(
                lambda values: json.dumps(
                    policies.lambda_role_policy(
                        bucket_arn=values[0],
                        log_group_arn=values[1],
                        catalogue_table_arn=values[2],
                        region=args.region,
                        kms_key_arn=values[3],
                        ingest_bucket_arn=values[4],
                    )
                )
            ),
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-function",
            name=function_name,
            description="Secure document API: upload, list, read and delete documents",
            role=role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=HANDLER,
            code=args.code,
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            reserved_concurrent_executions=args.reserved_concurrency,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args.subnet_ids, security_group_ids=[args.security_group_id]
            ),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            # SnapStart snapshots a version when it is published, so it needs every change published.
            publish=args.enable_snap_start,
            snap_start=(
                aws.lambda_.FunctionSnapStartArgs(apply_on="PublishedVersions")
                if args.enable_snap_start
                else None
            ),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=log_group.name,
                application_log_level=LOG_LEVEL,
                system_log_level="WARN",
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "DOCUMENTS_BUCKET": args.bucket_name,
                    "CATALOGUE_TABLE": args.catalogue_table_name,
                    "MAX_DOCUMENT_BYTES": str(args.max_document_bytes),
                    "ALLOWED_CONTENT_TYPES": ",".join(args.allowed_content_types),
                    "OWNER_SCOPE": args.owner_scope,
                    "INGEST_BUCKET": args.ingest_bucket_name,
                    "MAX_UPLOAD_BYTES": str(args.max_upload_bytes),
                    "MALWARE_SCANNING": "on" if args.malware_scanning else "off",
                    "LOG_LEVEL": LOG_LEVEL,
                    "METRICS_NAMESPACE": METRICS_NAMESPACE,
                    "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
                }
            ),
            # Creating a VPC function checks that the role may create ENIs, and the role's
            # permissions live in the inline policy, which no input of the function refers to.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        invoke_arn: pulumi.Output[str] = function.invoke_arn
        qualifier: pulumi.Output[str] | None = None
        if args.enable_snap_start:
            alias = aws.lambda_.Alias(
                f"{name}-alias",
                name=SNAP_START_ALIAS,
                description="The published version the API and the function URL invoke (SnapStart)",
                function_name=function.name,
                function_version=function.version,
                opts=child,
            )
            invoke_arn, qualifier = alias.invoke_arn, alias.name
        function_url: pulumi.Output[str | None] = pulumi.Output.from_input(None)
        if args.enable_function_url:
            url = aws.lambda_.FunctionUrl(
                f"{name}-function-url",
                function_name=function.name,
                qualifier=qualifier,
                authorization_type="AWS_IAM",
                opts=child,
            )
            function_url = url.function_url

        self.function_name = function.name
        self.function_arn = function.arn
        self.invoke_arn = invoke_arn
        self.qualifier = qualifier
        self.role_arn = role.arn
        self.log_group_name = log_group.name
        self.log_group_arn = log_group.arn
        self.function_url = function_url
        self.timeout_seconds = args.timeout_seconds
        self.register_outputs(
            {
                "lambdaFunctionName": self.function_name,
                "lambdaFunctionArn": self.function_arn,
                "lambdaRoleArn": self.role_arn,
                "lambdaLogGroupName": self.log_group_name,
                "lambdaFunctionUrl": self.function_url,
            }
        )
