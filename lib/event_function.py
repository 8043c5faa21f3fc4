"""One builder for the stack's bucket-event functions: the catalogue reconciler and the ingest processor.

Both have the same shape (as Solutions Constructs' aws-s3-lambda + aws-lambda-sqs): a function in the
private subnets with its own least-privilege role and log group, X-Ray, invoked asynchronously by a
bucket's object events, retried by Lambda, then sent to an encrypted failure queue whose depth raises
an alarm. Only the policy, the environment and the event filter differ.

A plain function, not a component: the reconciler's resources keep the logical names and the parent
(``CatalogueStack``) they had before this builder existed, so their URNs do not change and an update
replaces nothing. Logical names are ``<name>-<key>[-...]`` for the function's own resources,
``<name>-failure-queue`` / ``<name>-failures-alarm`` and ``<name>-<bucket_key>-notification``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pulumi
import pulumi_aws as aws

from lib import policies
from lib.lambda_stack import ARCHITECTURE, LOG_LEVEL, RUNTIME
from lib.log_groups import managed_log_group

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

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
S3_PRINCIPAL: Final = "s3.amazonaws.com"


@dataclass(frozen=True)
class EventFunctionArgs:
    """What one bucket-event function needs."""

    key: str
    """Logical-name part of the function's resources (``reconciler``, ``processor``)."""
    function_name: str
    """Physical name of the function."""
    description: str
    """The function's description."""
    handler: str
    """Entry point in the shared package (``lib.lambda_asset``)."""
    code: pulumi.Archive
    """The deployment package."""
    memory_mb: int
    timeout_seconds: int
    role_name: str
    """Physical name of the execution role (deterministic: bucket policies name it before it exists)."""
    log_group_name: str
    log_retention_days: int
    subnet_ids: pulumi.Input[list[str]]
    """The private subnets."""
    security_group_id: pulumi.Input[str]
    """The function security group (HTTPS to the gateway endpoints only)."""
    environment: Mapping[str, pulumi.Input[str]]
    """The function's environment variables (non-secret settings only)."""
    role_policy: Callable[[pulumi.Output[str], pulumi.Output[str]], pulumi.Input[str]]
    """(log group ARN, failure queue ARN) -> the role's inline policy as JSON (an ``Output.all(...).apply``
    over whatever else the policy names)."""
    failure_queue_name: str
    alarm_name: str
    alarm_description: str
    alarm_topic_arn: pulumi.Input[str]
    """Where the failure-queue alarm notifies."""
    bucket_key: str
    """Logical-name part of the notification (``documents``, ``ingest``)."""
    bucket_name: pulumi.Input[str]
    """The bucket whose events invoke the function (the notification owns its whole configuration)."""
    bucket_arn: pulumi.Input[str]
    """Source of S3's invoke permission."""
    account_id: pulumi.Input[str]
    """The permission's ``source_account`` (a bucket of that name in another account cannot invoke)."""
    events: tuple[str, ...]
    """S3 event types (``s3:ObjectCreated:*``, ...)."""
    filter_prefix: str
    """Only keys under this prefix raise events."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS mode: encrypts the log group and the failure queue; default none (SSE-SQS)."""
    eventbridge: bool = False
    """Also send the bucket's events to EventBridge: GuardDuty Malware Protection turns that on itself
    (``PutBucketNotification``), and this resource owns the whole configuration, so an update that did
    not say so would turn it off again and stop every scan. Default off."""


@dataclass(frozen=True)
class EventFunction:
    """The resources ``build_event_function`` created."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    log_group: aws.cloudwatch.LogGroup
    queue: aws.sqs.Queue
    alarm: aws.cloudwatch.MetricAlarm
    notification: aws.s3.BucketNotification


def build_event_function(name: str, args: EventFunctionArgs, parent: pulumi.Resource) -> EventFunction:
    """Create the function, its role, log group, invoke config, failure queue + alarm, S3's permission
    and the bucket notification, all children of ``parent``."""
    child = pulumi.ResourceOptions(parent=parent)
    kms_mode = args.kms_key_arn is not None
    queue = aws.sqs.Queue(
        f"{name}-failure-queue",
        name=args.failure_queue_name,
        message_retention_seconds=FAILURE_QUEUE_RETENTION_SECONDS,
        # SSE-SQS by default; the customer managed key in KMS mode (the two exclude each other).
        sqs_managed_sse_enabled=None if kms_mode else True,
        kms_master_key_id=args.kms_key_arn,
        kms_data_key_reuse_period_seconds=KMS_DATA_KEY_REUSE_SECONDS if kms_mode else None,
        opts=child,
    )
    alarm = aws.cloudwatch.MetricAlarm(
        f"{name}-failures-alarm",
        name=args.alarm_name,
        alarm_description=args.alarm_description,
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
        f"{name}-{args.key}-log-group",
        name=args.log_group_name,
        retention_days=args.log_retention_days,
        kms_key_arn=args.kms_key_arn,
        opts=child,
    )
    role = aws.iam.Role(
        f"{name}-{args.key}-role",
        name=args.role_name,
        description=f"Execution role of {args.function_name}",
        assume_role_policy=json.dumps(policies.service_assume_role_policy(policies.LAMBDA_PRINCIPAL)),
        opts=child,
    )
    role_policy = aws.iam.RolePolicy(
        f"{name}-{args.key}-role-policy",
        name=f"{args.function_name}-least-privilege",
        role=role.id,
        policy=args.role_policy(log_group.arn, queue.arn),
        opts=child,
    )
    function = aws.lambda_.Function(
        f"{name}-{args.key}",
        name=args.function_name,
        description=args.description,
        role=role.arn,
        runtime=RUNTIME,
        architectures=[ARCHITECTURE],
        handler=args.handler,
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
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(args.environment)),
        # As the API function: creating a VPC function checks the role may create ENIs, and
        # putting the event invoke config checks it may send to the queue; both permissions
        # live in the inline policy, which no input refers to.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[role_policy]),
    )
    aws.lambda_.FunctionEventInvokeConfig(
        f"{name}-{args.key}-invoke-config",
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
        f"{name}-{args.key}-s3-invoke",
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
    notification = aws.s3.BucketNotification(
        f"{name}-{args.bucket_key}-notification",
        bucket=args.bucket_name,
        eventbridge=args.eventbridge or None,
        lambda_functions=[
            aws.s3.BucketNotificationLambdaFunctionArgs(
                lambda_function_arn=function.arn,
                events=list(args.events),
                filter_prefix=args.filter_prefix,
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[permission]),
    )
    return EventFunction(
        function=function, role=role, log_group=log_group, queue=queue, alarm=alarm, notification=notification
    )
