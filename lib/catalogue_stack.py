"""CatalogueStack: the document catalogue (DESIGN §4.1) and everything that keeps it true.

One component cut by data flow (S3 object events -> reconciler -> table), as Solutions Constructs
cuts aws-s3-lambda and aws-lambda-dynamodb:

- the DynamoDB table, shaped by ``document_processor.catalogue_schema`` (the service, the reconciler
  and local mode read the same declaration), on demand, point-in-time recovery, deletion
  protection, TTL, the customer managed key in KMS mode (an AWS-owned key otherwise);
- the DynamoDB gateway endpoint on the private route table (free, no NAT), whose policy reaches
  only this table and its index, and the function security group's HTTPS egress rule to it;
- the reconciler: a function of its own in the private subnets, invoked asynchronously by the
  documents bucket's object-created/removed events, retried twice by Lambda, then sent to an
  encrypted failure queue that raises an alarm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from document_processor import catalogue_schema
from lib import naming, policies
from lib.event_function import EventFunctionArgs, build_event_function
from lib.lambda_asset import RECONCILER_HANDLER
from lib.lambda_stack import LOG_LEVEL, METRICS_NAMESPACE
from lib.networking_stack import https_egress_rule

BILLING_MODE: Final = "PAY_PER_REQUEST"
"""On demand: no capacity to plan, nothing paid while idle."""
DEFAULT_RECONCILER_MEMORY_MB: Final = 512
"""As the API function: boto3 client creation is about twice as fast as at 256 MB."""
DEFAULT_RECONCILER_TIMEOUT_SECONDS: Final = 60
"""A record is two HeadObjects and one or two item writes; a minute covers the clients' retries."""
RECONCILER_SERVICE_NAME: Final = "document-reconciler"
OBJECT_EVENTS: Final = ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
"""Every way a document appears or disappears (Put, Copy, multipart; Delete, DeleteMarkerCreated)."""


@dataclass(frozen=True)
class CatalogueStackArgs:
    """What the catalogue needs from the rest of the stack."""

    environment_suffix: str
    """Names the table ``doc-processor-<env>-catalogue`` and the function ``doc-reconciler-<env>``."""
    region: str
    """The endpoint's service name and the ``kms:ViaService`` conditions."""
    account_id: pulumi.Input[str]
    """Endpoint policy (our principals only) and the S3 permission's ``source_account``."""
    service_name_prefix: pulumi.Input[str]
    """Endpoint service-name prefix of the partition (``com.amazonaws``, ``cn.com.amazonaws``)."""
    vpc_id: pulumi.Input[str]
    """Where the DynamoDB gateway endpoint goes."""
    private_route_table_id: pulumi.Input[str]
    """The route table the endpoint adds DynamoDB's prefix-list route to."""
    subnet_ids: pulumi.Input[list[str]]
    """The private subnets the reconciler runs in."""
    security_group_id: pulumi.Input[str]
    """The function security group (both functions): gains HTTPS egress to DynamoDB's prefix list."""
    code: pulumi.Archive
    """The deployment package (``lib.lambda_asset``); it holds the reconciler's module too."""
    bucket_name: pulumi.Input[str]
    """The documents bucket whose object events drive the reconciler (``DOCUMENTS_BUCKET``)."""
    bucket_arn: pulumi.Input[str]
    """Scope of the reconciler's S3 permissions and of S3's invoke permission."""
    alarm_topic_arn: pulumi.Input[str]
    """Where the failure-queue alarm notifies."""
    log_retention_days: int
    """Retention of the reconciler's log group."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS mode: encrypts the table, the log group and the failure queue; default none (AWS-owned
    key for the table, SSE-SQS for the queue)."""
    deletion_protection: bool = True
    """DynamoDB deletion protection on the table; default on (TapStack turns it off only with
    ``forceDestroy``, the throwaway-stack switch)."""
    memory_mb: int = DEFAULT_RECONCILER_MEMORY_MB
    """Default 512."""
    timeout_seconds: int = DEFAULT_RECONCILER_TIMEOUT_SECONDS
    """Default 60."""


class CatalogueStack(pulumi.ComponentResource):
    """Catalogue table, DynamoDB gateway endpoint + egress rule, reconciler (function, role, log
    group, event invoke config, failure queue, alarm, S3 notification and permission)."""

    table_name: pulumi.Output[str]
    table_arn: pulumi.Output[str]
    dynamodb_endpoint_id: pulumi.Output[str]
    dynamodb_prefix_list_id: pulumi.Output[str]
    reconciler_function_name: pulumi.Output[str]
    reconciler_function_arn: pulumi.Output[str]
    reconciler_role_arn: pulumi.Output[str]
    reconciler_log_group_name: pulumi.Output[str]
    failure_queue_url: pulumi.Output[str]
    failure_queue_arn: pulumi.Output[str]
    failure_alarm_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: CatalogueStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:catalogue:CatalogueStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        env = args.environment_suffix
        prefix = naming.function_name(env)
        table_name = naming.catalogue_table_name(env)
        function_name = naming.reconciler_function_name(env)

        table = aws.dynamodb.Table(
            f"{name}-table",
            name=table_name,
            billing_mode=BILLING_MODE,
            hash_key=_key(catalogue_schema.KEY_SCHEMA, "HASH"),
            range_key=_key(catalogue_schema.KEY_SCHEMA, "RANGE"),
            attributes=[
                aws.dynamodb.TableAttributeArgs(name=item["AttributeName"], type=item["AttributeType"])
                for item in catalogue_schema.ATTRIBUTE_DEFINITIONS
            ],
            global_secondary_indexes=[
                aws.dynamodb.TableGlobalSecondaryIndexArgs(
                    name=index["IndexName"],
                    key_schemas=[
                        aws.dynamodb.TableGlobalSecondaryIndexKeySchemaArgs(
                            attribute_name=key["AttributeName"], key_type=key["KeyType"]
                        )
                        for key in index["KeySchema"]
                    ],
                    projection_type=index["Projection"]["ProjectionType"],
                )
                for index in catalogue_schema.GLOBAL_SECONDARY_INDEXES
            ],
            point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
            deletion_protection_enabled=args.deletion_protection,
            ttl=aws.dynamodb.TableTtlArgs(attribute_name=catalogue_schema.TTL_ATTRIBUTE, enabled=True),
            # Unset = DynamoDB's AWS-owned key (every table is encrypted at rest; there is no "off").
            # KMS mode: the customer managed key (SSE type KMS).
            server_side_encryption=(
                aws.dynamodb.TableServerSideEncryptionArgs(enabled=True, kms_key_arn=args.kms_key_arn)
                if args.kms_key_arn is not None
                else None
            ),
            tags={"Name": table_name},
            opts=child,
        )

        endpoint = aws.ec2.VpcEndpoint(
            f"{name}-dynamodb-endpoint",
            vpc_id=args.vpc_id,
            service_name=pulumi.Output.from_input(args.service_name_prefix).apply(
                lambda service_prefix: f"{service_prefix}.{args.region}.dynamodb"
            ),
            vpc_endpoint_type="Gateway",
            route_table_ids=[args.private_route_table_id],
            policy=pulumi.Output.all(table.arn, args.account_id).apply(
                lambda values: json.dumps(
                    policies.dynamodb_endpoint_policy(catalogue_table_arn=values[0], account_id=values[1])
                )
            ),
            tags={"Name": f"{prefix}-dynamodb"},
            opts=child,
        )
        https_egress_rule(
            f"{name}-lambda-sg-dynamodb-egress",
            security_group_id=args.security_group_id,
            prefix_list_id=endpoint.prefix_list_id,
            description="HTTPS to DynamoDB through the gateway endpoint",
            tags={"Name": f"{prefix}-lambda-dynamodb"},
            opts=child,
        )

        # The reconciler: built by the shared event-function builder under the logical names it has
        # always had (tests/unit/infra/test_catalogue_stack.py pins the URNs).
        reconciler = build_event_function(
            name,
            EventFunctionArgs(
                key="reconciler",
                function_name=function_name,
                description="Secure document API: keeps the catalogue in step with the documents bucket",
                handler=RECONCILER_HANDLER,
                code=args.code,
                memory_mb=args.memory_mb,
                timeout_seconds=args.timeout_seconds,
                role_name=naming.reconciler_role_name(env),
                log_group_name=naming.reconciler_log_group_name(env),
                log_retention_days=args.log_retention_days,
                subnet_ids=args.subnet_ids,
                security_group_id=args.security_group_id,
                environment={
                    "DOCUMENTS_BUCKET": args.bucket_name,
                    "CATALOGUE_TABLE": table.name,
                    "LOG_LEVEL": LOG_LEVEL,
                    "METRICS_NAMESPACE": METRICS_NAMESPACE,
                    "POWERTOOLS_SERVICE_NAME": RECONCILER_SERVICE_NAME,
                },
                role_policy=lambda log_group_arn, queue_arn: pulumi.Output.all(
                    args.bucket_arn, log_group_arn, table.arn, queue_arn, args.kms_key_arn
                ).apply(
                    lambda values: json.dumps(
                        policies.reconciler_role_policy(
                            bucket_arn=values[0],
                            log_group_arn=values[1],
                            catalogue_table_arn=values[2],
                            failure_queue_arn=values[3],
                            region=args.region,
                            kms_key_arn=values[4],
                        )
                    )
                ),
                failure_queue_name=naming.reconciler_failure_queue_name(env),
                alarm_name=f"{prefix}-reconciler-failures",
                alarm_description=(
                    "Catalogue events the reconciler could not apply after Lambda's retries are waiting in "
                    "the failure queue: the listing may miss or show documents until they are replayed."
                ),
                alarm_topic_arn=args.alarm_topic_arn,
                bucket_key="documents",
                bucket_name=args.bucket_name,
                bucket_arn=args.bucket_arn,
                account_id=args.account_id,
                events=OBJECT_EVENTS,
                filter_prefix=policies.DOCUMENTS_PREFIX,
                kms_key_arn=args.kms_key_arn,
            ),
            parent=self,
        )
        function, queue = reconciler.function, reconciler.queue

        self.table_name = table.name
        self.table_arn = table.arn
        self.dynamodb_endpoint_id = endpoint.id
        self.dynamodb_prefix_list_id = endpoint.prefix_list_id
        self.reconciler_function_name = function.name
        self.reconciler_function_arn = function.arn
        self.reconciler_role_arn = reconciler.role.arn
        self.reconciler_log_group_name = reconciler.log_group.name
        self.failure_queue_url = queue.url
        self.failure_queue_arn = queue.arn
        self.failure_alarm_name = reconciler.alarm.name
        self.register_outputs(
            {
                "catalogueTableName": self.table_name,
                "catalogueTableArn": self.table_arn,
                "dynamodbVpcEndpointId": self.dynamodb_endpoint_id,
                "reconcilerFunctionName": self.reconciler_function_name,
                "reconcilerRoleArn": self.reconciler_role_arn,
                "reconcilerLogGroupName": self.reconciler_log_group_name,
                "reconcilerFailureQueueUrl": self.failure_queue_url,
            }
        )


def _key(schema: tuple[dict[str, str], ...], key_type: str) -> str:
    """The attribute of one key role (``HASH``/``RANGE``) in a ``CreateTable`` key schema."""
    (attribute,) = [item["AttributeName"] for item in schema if item["KeyType"] == key_type]
    return attribute
