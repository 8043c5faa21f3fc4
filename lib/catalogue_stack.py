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
from lib.lambda_asset import RECONCILER_HANDLER
from lib.lambda_stack import ARCHITECTURE, LOG_LEVEL, METRICS_NAMESPACE, RUNTIME
from lib.log_groups import managed_log_group
from lib.networking_stack import https_egress_rule

BILLING_MODE: Final = "PAY_PER_REQUEST"
"""On demand: no capacity to plan, nothing paid while idle."""
DEFAULT_RECONCILER_MEMORY_MB: Final = 512
"""As the API function: boto3 client creation is about twice as fast as at 256 MB."""
DEFAULT_RECONCILER_TIMEOUT_SECONDS: Final = 60
"""A record is two HeadObjects and one or two item writes; a minute covers the clients' retries."""
MAX_RETRY_ATTEMPTS: Final = 2
"""Lambda's asynchronous retries before the event goes to the failure queue (Lambda allows 0-2)."""
MAX_EVENT_AGE_SECONDS: Final = 6 * 60 * 60
"""An event older than this goes to the failure queue unprocessed (Lambda allows 60 s-6 h; 6 h is its
default, written out so the setting is visible)."""
FAILURE_QUEUE_RETENTION_SECONDS: Final = 14 * 24 * 60 * 60
"""SQS's longest retention: two weeks to look at a failed event and replay it."""
KMS_DATA_KEY_REUSE_SECONDS: Final = 300
"""SQS's default: how long a data key is reused before SQS asks KMS again."""
ALARM_PERIOD_SECONDS: Final = 300
RECONCILER_SERVICE_NAME: Final = "document-reconciler"
OBJECT_EVENTS: Final = ("s3:ObjectCreated:*", "s3:ObjectRemoved:*")
"""Every way a document appears or disappears (Put, Copy, multipart; Delete, DeleteMarkerCreated)."""
S3_PRINCIPAL: Final = "s3.amazonaws.com"


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

        # The reconciler's failed events: Lambda sends them here after its retries.
        kms_mode = args.kms_key_arn is not None
        queue = aws.sqs.Queue(
            f"{name}-failure-queue",
            name=naming.reconciler_failure_queue_name(env),
            message_retention_seconds=FAILURE_QUEUE_RETENTION_SECONDS,
            # SSE-SQS by default; the customer managed key in KMS mode (the two exclude each other).
            sqs_managed_sse_enabled=None if kms_mode else True,
            kms_master_key_id=args.kms_key_arn,
            kms_data_key_reuse_period_seconds=KMS_DATA_KEY_REUSE_SECONDS if kms_mode else None,
            opts=child,
        )
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-failures-alarm",
            name=f"{prefix}-reconciler-failures",
            alarm_description=(
                "Catalogue events the reconciler could not apply after Lambda's retries are waiting in "
                "the failure queue: the listing may miss or show documents until they are replayed."
            ),
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": queue.name},
            statistic="Maximum",
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            evaluation_periods=1,
            period=ALARM_PERIOD_SECONDS,
            treat_missing_data="notBreaching",
            alarm_actions=[args.alarm_topic_arn],
            ok_actions=[args.alarm_topic_arn],
            opts=child,
        )

        log_group = managed_log_group(
            f"{name}-reconciler-log-group",
            name=naming.reconciler_log_group_name(env),
            retention_days=args.log_retention_days,
            kms_key_arn=args.kms_key_arn,
            opts=child,
        )
        role = aws.iam.Role(
            f"{name}-reconciler-role",
            name=naming.reconciler_role_name(env),
            description=f"Execution role of {function_name}",
            assume_role_policy=json.dumps(policies.service_assume_role_policy(policies.LAMBDA_PRINCIPAL)),
            opts=child,
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-reconciler-role-policy",
            name=f"{function_name}-least-privilege",
            role=role.id,
            policy=pulumi.Output.all(
                args.bucket_arn, log_group.arn, table.arn, queue.arn, args.kms_key_arn
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
            opts=child,
        )
        function = aws.lambda_.Function(
            f"{name}-reconciler",
            name=function_name,
            description="Secure document API: keeps the catalogue in step with the documents bucket",
            role=role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=RECONCILER_HANDLER,
            code=args.code,
            memory_size=args.memory_mb,
            timeout=args.timeout_seconds,
            vpc_config=aws.lambda_.FunctionVpcConfigArgs(
                subnet_ids=args.subnet_ids, security_group_ids=[args.security_group_id]
            ),
            tracing_config=aws.lambda_.FunctionTracingConfigArgs(mode="Active"),
            logging_config=aws.lambda_.FunctionLoggingConfigArgs(
                log_format="JSON",
                log_group=log_group.name,
                application_log_level=LOG_LEVEL,
                system_log_level="WARN",
            ),
            environment=aws.lambda_.FunctionEnvironmentArgs(
                variables={
                    "DOCUMENTS_BUCKET": args.bucket_name,
                    "CATALOGUE_TABLE": table.name,
                    "LOG_LEVEL": LOG_LEVEL,
                    "METRICS_NAMESPACE": METRICS_NAMESPACE,
                    "POWERTOOLS_SERVICE_NAME": RECONCILER_SERVICE_NAME,
                }
            ),
            # As the API function: creating a VPC function checks the role may create ENIs, and
            # putting the event invoke config checks it may send to the queue; both permissions
            # live in the inline policy, which no input refers to.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role_policy]),
        )
        aws.lambda_.FunctionEventInvokeConfig(
            f"{name}-reconciler-invoke-config",
            function_name=function.name,
            maximum_retry_attempts=MAX_RETRY_ATTEMPTS,
            maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
            destination_config=aws.lambda_.FunctionEventInvokeConfigDestinationConfigArgs(
                on_failure=aws.lambda_.FunctionEventInvokeConfigDestinationConfigOnFailureArgs(
                    destination=queue.arn
                )
            ),
            opts=child,
        )
        permission = aws.lambda_.Permission(
            f"{name}-reconciler-s3-invoke",
            action="lambda:InvokeFunction",
            function=function.name,
            principal=S3_PRINCIPAL,
            source_arn=args.bucket_arn,
            source_account=args.account_id,
            opts=child,
        )
        # S3 checks, when the configuration is put, that the function's policy lets S3 invoke it
        # from this bucket (PutBucketNotificationConfiguration: "In the case of Lambda destinations,
        # Amazon S3 verifies that the Lambda function permissions grant Amazon S3 permission to
        # invoke the function from the Amazon S3 bucket."), and no input names the permission.
        # This resource owns the bucket's whole notification configuration.
        aws.s3.BucketNotification(
            f"{name}-documents-notification",
            bucket=args.bucket_name,
            lambda_functions=[
                aws.s3.BucketNotificationLambdaFunctionArgs(
                    lambda_function_arn=function.arn,
                    events=list(OBJECT_EVENTS),
                    filter_prefix=policies.DOCUMENTS_PREFIX,
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[permission]),
        )

        self.table_name = table.name
        self.table_arn = table.arn
        self.dynamodb_endpoint_id = endpoint.id
        self.dynamodb_prefix_list_id = endpoint.prefix_list_id
        self.reconciler_function_name = function.name
        self.reconciler_function_arn = function.arn
        self.reconciler_role_arn = role.arn
        self.reconciler_log_group_name = log_group.name
        self.failure_queue_url = queue.url
        self.failure_queue_arn = queue.arn
        self.failure_alarm_name = alarm.name
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
