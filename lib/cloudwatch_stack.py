"""CloudWatchStack: alarms on the function and the API, their SNS topic, a dashboard, the Auditor role.

Log groups are created by the component that owns the producer (Lambda, API, VPC), before the
producer exists; this component comes last and takes the function's and API's outputs, so every
alarm names a resource that really exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from lib import naming, policies
from lib.catalogue_stack import RECONCILER_SERVICE_NAME
from lib.ingest_stack import PROCESSOR_SERVICE_NAME
from lib.lambda_stack import METRICS_NAMESPACE, SERVICE_NAME

ALARM_PERIOD_SECONDS: Final = 300
DURATION_ALARM_FRACTION: Final = 0.8
"""Alarm when the slowest invocation reaches 80% of the timeout: timeouts are next."""
API_LATENCY_P99_THRESHOLD_MS: Final = 5_000


@dataclass(frozen=True)
class CloudWatchStackArgs:
    """What monitoring needs from the rest of the stack."""

    environment_suffix: str
    """Part of every name."""
    region: str
    """Dashboard widgets' region."""
    account_id: pulumi.Input[str]
    """Topic policy condition and default Auditor trust."""
    partition: pulumi.Input[str]
    """ARN partition."""
    function_name: pulumi.Input[str]
    """Dimension of the Lambda alarms."""
    function_timeout_seconds: int
    """Duration alarm threshold is a fraction of it."""
    api_name: pulumi.Input[str]
    """Dimension of the API alarms."""
    stage_name: pulumi.Input[str]
    """Dimension of the API alarms."""
    lambda_log_group_arn: pulumi.Input[str]
    """The only thing the Auditor role can read."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS mode: encrypts the alarm topic; default none."""
    alarm_email: str | None = None
    """Subscribed to the topic when set; default none."""
    auditor_principal_arns: tuple[str, ...] = ()
    """Who may assume the Auditor role; default this account with MFA."""
    reconciler_function_name: pulumi.Input[str] | None = None
    """The catalogue's reconciler: its invocations, errors and failure queue get a dashboard row."""
    reconciler_failure_queue_name: pulumi.Input[str] | None = None
    """The reconciler's failure queue (its depth is on the dashboard; its alarm lives with the queue)."""
    processor_function_name: pulumi.Input[str] | None = None
    """The ingest processor: its invocations, errors, outcomes and failure queue get a dashboard row."""
    processor_failure_queue_name: pulumi.Input[str] | None = None
    """The processor's failure queue (its alarm lives with the queue, in IngestStack)."""
    publishing_rule_arns: pulumi.Input[list[str]] | None = None
    """EventBridge rules that may publish to the alarm topic (the malware gate's ``THREATS_FOUND``
    notification); default none."""


class CloudWatchStack(pulumi.ComponentResource):
    """Alarm topic (+ optional e-mail), five alarms, dashboard, Auditor role."""

    alarm_topic_arn: pulumi.Output[str]
    auditor_role_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]
    alarm_names: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: CloudWatchStackArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tap:monitoring:CloudWatchStack", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = naming.function_name(args.environment_suffix)

        topic = aws.sns.Topic(
            f"{name}-alarm-topic",
            name=naming.alarm_topic_name(args.environment_suffix),
            kms_master_key_id=args.kms_key_arn,
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-alarm-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, args.account_id, args.publishing_rule_arns).apply(
                lambda values: json.dumps(
                    policies.alarm_topic_policy(
                        topic_arn=values[0], account_id=values[1], event_rule_arns=tuple(values[2] or ())
                    )
                )
            ),
            opts=child,
        )
        if args.alarm_email is not None:
            aws.sns.TopicSubscription(
                f"{name}-alarm-email",
                topic=topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=child,
            )

        function_dimensions = {"FunctionName": args.function_name}
        api_dimensions = {"ApiName": args.api_name, "Stage": args.stage_name}
        alarm_specs: list[dict[str, Any]] = [
            {
                "suffix": "lambda-errors",
                "description": "The function raised errors (unhandled exceptions or timeouts).",
                "namespace": "AWS/Lambda",
                "metric_name": "Errors",
                "dimensions": function_dimensions,
                "statistic": "Sum",
                "threshold": 1,
            },
            {
                "suffix": "lambda-throttles",
                "description": "Invocations were throttled (concurrency exhausted).",
                "namespace": "AWS/Lambda",
                "metric_name": "Throttles",
                "dimensions": function_dimensions,
                "statistic": "Sum",
                "threshold": 1,
            },
            {
                "suffix": "lambda-duration",
                "description": "The slowest invocation is close to the function timeout.",
                "namespace": "AWS/Lambda",
                "metric_name": "Duration",
                "dimensions": function_dimensions,
                "statistic": "Maximum",
                "threshold": args.function_timeout_seconds * 1000 * DURATION_ALARM_FRACTION,
            },
            {
                "suffix": "api-5xx",
                "description": "The API returned server errors.",
                "namespace": "AWS/ApiGateway",
                "metric_name": "5XXError",
                "dimensions": api_dimensions,
                "statistic": "Sum",
                "threshold": 1,
            },
            {
                "suffix": "api-latency",
                "description": "The API's p99 latency is high.",
                "namespace": "AWS/ApiGateway",
                "metric_name": "Latency",
                "dimensions": api_dimensions,
                "extended_statistic": "p99",
                "threshold": API_LATENCY_P99_THRESHOLD_MS,
            },
        ]
        self.alarm_names = []
        for spec in alarm_specs:
            suffix = spec.pop("suffix")
            alarm = aws.cloudwatch.MetricAlarm(
                f"{name}-{suffix}",
                name=f"{prefix}-{suffix}",
                alarm_description=spec.pop("description"),
                comparison_operator="GreaterThanOrEqualToThreshold",
                evaluation_periods=1,
                period=ALARM_PERIOD_SECONDS,
                treat_missing_data="notBreaching",
                alarm_actions=[topic.arn],
                ok_actions=[topic.arn],
                opts=child,
                **spec,
            )
            self.alarm_names.append(alarm.name)

        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=prefix,
            dashboard_body=pulumi.Output.all(
                args.function_name,
                args.api_name,
                args.stage_name,
                args.reconciler_function_name,
                args.reconciler_failure_queue_name,
                args.processor_function_name,
                args.processor_failure_queue_name,
            ).apply(
                lambda values: json.dumps(
                    dashboard_body(
                        region=args.region,
                        function_name=values[0],
                        api_name=values[1],
                        stage_name=values[2],
                        reconciler_function_name=values[3],
                        failure_queue_name=values[4],
                        processor_function_name=values[5],
                        processor_failure_queue_name=values[6],
                    )
                )
            ),
            opts=child,
        )

        auditor = aws.iam.Role(
            f"{name}-auditor-role",
            name=f"{prefix}-auditor",
            description=f"Read-only access to the log events of {prefix}",
            assume_role_policy=pulumi.Output.all(args.partition, args.account_id).apply(
                lambda values: json.dumps(
                    policies.auditor_trust_policy(
                        partition=values[0], account_id=values[1], principal_arns=args.auditor_principal_arns
                    )
                )
            ),
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-auditor-policy",
            name=f"{prefix}-auditor-read-logs",
            role=auditor.id,
            policy=pulumi.Output.from_input(args.lambda_log_group_arn).apply(
                lambda arn: json.dumps(policies.auditor_policy(log_group_arn=arn))
            ),
            opts=child,
        )

        self.alarm_topic_arn = topic.arn
        self.auditor_role_arn = auditor.arn
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs(
            {
                "alarmTopicArn": self.alarm_topic_arn,
                "auditorRoleArn": self.auditor_role_arn,
                "dashboardName": self.dashboard_name,
            }
        )


def dashboard_body(
    *,
    region: str,
    function_name: str,
    api_name: str,
    stage_name: str,
    reconciler_function_name: str | None = None,
    failure_queue_name: str | None = None,
    processor_function_name: str | None = None,
    processor_failure_queue_name: str | None = None,
) -> dict[str, Any]:
    """Requests, errors and latency of the API next to invocations, errors and duration of the function;
    with the catalogue, a row for it: the service's catalogue failures, the reconciler's repairs and
    failures, and its failure queue (a write the API could not make shows up here before it heals);
    with the processor, a row for large uploads: the outcomes it emits (``processor.run``: UploadsStored,
    UploadsRejected, ProcessFailures) and its invocations, errors, slowest run and failure queue."""

    def widget(title: str, metrics: list[list[Any]], x: int, y: int) -> dict[str, Any]:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": 12,
            "height": 6,
            "properties": {"title": title, "region": region, "metrics": metrics, "period": 60, "stat": "Sum"},
        }

    api = ["ApiName", api_name, "Stage", stage_name]
    function = ["FunctionName", function_name]
    catalogue_row: list[dict[str, Any]] = []
    if reconciler_function_name is not None and failure_queue_name is not None:
        service = ["Service", SERVICE_NAME]
        reconciler = ["Service", RECONCILER_SERVICE_NAME]
        catalogue_row = [
            widget(
                "Catalogue: writes left to the reconciler, repairs, failures",
                [
                    [METRICS_NAMESPACE, "CatalogueWriteFailures", *service],
                    [METRICS_NAMESPACE, "CatalogueErrors", *service],
                    [METRICS_NAMESPACE, "CatalogueItemsRepaired", *reconciler],
                    [METRICS_NAMESPACE, "ReconcileFailures", *reconciler],
                ],
                0,
                12,
            ),
            widget(
                "Reconciler invocations, errors, failed events",
                [
                    ["AWS/Lambda", "Invocations", "FunctionName", reconciler_function_name],
                    ["AWS/Lambda", "Errors", "FunctionName", reconciler_function_name],
                    [
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesVisible",
                        "QueueName",
                        failure_queue_name,
                        {"stat": "Maximum"},
                    ],
                ],
                12,
                12,
            ),
        ]
    processor_row: list[dict[str, Any]] = []
    if processor_function_name is not None and processor_failure_queue_name is not None:
        ingest = ["Service", PROCESSOR_SERVICE_NAME]
        processor = ["FunctionName", processor_function_name]
        processor_row = [
            widget(
                "Large uploads: stored, rejected, failed",
                [
                    [METRICS_NAMESPACE, "UploadsStored", *ingest],
                    [METRICS_NAMESPACE, "UploadsRejected", *ingest],
                    [METRICS_NAMESPACE, "ProcessFailures", *ingest],
                ],
                0,
                18,
            ),
            widget(
                "Processor invocations, errors, duration, failed events",
                [
                    ["AWS/Lambda", "Invocations", *processor],
                    ["AWS/Lambda", "Errors", *processor],
                    ["AWS/Lambda", "Duration", *processor, {"stat": "Maximum", "yAxis": "right"}],
                    [
                        "AWS/SQS",
                        "ApproximateNumberOfMessagesVisible",
                        "QueueName",
                        processor_failure_queue_name,
                        {"stat": "Maximum"},
                    ],
                ],
                12,
                18,
            ),
        ]
    return {
        "widgets": [
            widget(
                "API requests and errors",
                [
                    ["AWS/ApiGateway", "Count", *api],
                    ["AWS/ApiGateway", "4XXError", *api],
                    ["AWS/ApiGateway", "5XXError", *api],
                ],
                0,
                0,
            ),
            widget(
                "API latency (p99, ms)",
                [["AWS/ApiGateway", "Latency", *api, {"stat": "p99"}]],
                12,
                0,
            ),
            widget(
                "Function invocations, errors, throttles",
                [
                    ["AWS/Lambda", "Invocations", *function],
                    ["AWS/Lambda", "Errors", *function],
                    ["AWS/Lambda", "Throttles", *function],
                ],
                0,
                6,
            ),
            widget(
                "Function duration (max, ms)",
                [["AWS/Lambda", "Duration", *function, {"stat": "Maximum"}]],
                12,
                6,
            ),
            *catalogue_row,
            *processor_row,
        ]
    }
