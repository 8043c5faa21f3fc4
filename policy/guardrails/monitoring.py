"""CloudWatch: CloudWatch.15/16/17 (CKV_AWS_66/158/338) and the project's invariants that every log
the stack produces lands in a log group the stack created (with retention): the function's, the
stage's access and execution logs, and the VPC flow logs; and that every alarm notifies the stack's
own SNS topic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from pulumi_policy import PolicyConfigSchema

from . import tokens
from ._support import (
    ADVISORY,
    Finding,
    StackResource,
    as_list,
    identifiers,
    is_false,
    label,
    nested,
    number,
    of_type,
    props_only,
    resource_policy,
    resources_only,
    stack_policy,
    text,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pulumi_policy import Policy

    from ._support import Config, Props

DEFAULT_MINIMUM_RETENTION_DAYS: Final = 365
"""CloudWatch.16's default parameter and CKV_AWS_338: keep logs at least a year."""
EXECUTION_LOG_GROUP_PREFIX: Final = "API-Gateway-Execution-Logs_"


# --- per-resource checks -------------------------------------------------------------------------


def retention_violations(props: Props, *, minimum_days: int = DEFAULT_MINIMUM_RETENTION_DAYS) -> list[str]:
    """CloudWatch.16, CKV_AWS_66/338: retention set, and at least ``minimum_days``."""
    days = number(props.get("retentionInDays"))
    if not days:
        return [
            "CKV_AWS_66: the log group has no retention (logs are kept forever, unbudgeted); set "
            f"retention_in_days (at least {minimum_days})."
        ]
    if days < minimum_days:
        return [
            f"CloudWatch.16 (CKV_AWS_338): retention is {int(days)} days; keep logs at least "
            f"{minimum_days} days (config logRetentionDays)."
        ]
    return []


def log_group_kms_advisories(props: Props) -> list[str]:
    """CKV_AWS_158 (advisory): a customer-managed key; mandatory in KMS mode (see ``keys``)."""
    if text(props.get("kmsKeyId")):
        return []
    return [
        "CKV_AWS_158: the log group is encrypted with CloudWatch Logs' service-managed key, not a "
        "customer-managed KMS key; set config encryptionMode=KMS to encrypt every log group with the "
        "stack's key."
    ]


def alarm_violations(props: Props) -> list[str]:
    """CloudWatch.15 (an alarm action) and CloudWatch.17 (actions enabled)."""
    problems: list[str] = []
    if not as_list(props.get("alarmActions")):
        problems.append(
            "CloudWatch.15: the alarm has no alarm action, so nobody is told; set alarm_actions to the "
            "alarm SNS topic."
        )
    if is_false(props.get("actionsEnabled")):
        problems.append("CloudWatch.17: the alarm's actions are disabled; set actions_enabled=True.")
    return problems


# --- stack checks --------------------------------------------------------------------------------


def _group_names(resources_: Sequence[StackResource]) -> set[str]:
    return {text(g.props.get("name")) for g in of_type(resources_, tokens.LOG_GROUP)} - {""}


def _group_arns(resources_: Sequence[StackResource]) -> set[str]:
    return {text(g.props.get("arn")).removesuffix(":*") for g in of_type(resources_, tokens.LOG_GROUP)} - {""}


def log_destination_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: every producer writes to a log group of this stack (so retention and KMS apply)."""
    names, arns = _group_names(resources_), _group_arns(resources_)
    findings: list[Finding] = []
    for function in of_type(resources_, tokens.LAMBDA_FUNCTION):
        group = text(nested(function.props, "loggingConfig", "logGroup"))
        if group and group not in names:
            findings.append(
                Finding(
                    f"function {label(function)} logs to {group!r}, which is not a log group of this "
                    "stack; create it with aws.cloudwatch.LogGroup (retention) and use its name.",
                    function.urn,
                )
            )
    logged_stages = {
        (text(s.props.get("restApi")), text(s.props.get("stageName")))
        for s in of_type(resources_, tokens.API_METHOD_SETTINGS)
        if text(nested(s.props, "settings", "loggingLevel")) not in ("", "OFF")
    }
    for stage in of_type(resources_, tokens.API_STAGE):
        destination = text(nested(stage.props, "accessLogSettings", "destinationArn")).removesuffix(":*")
        if destination and destination not in arns:
            findings.append(
                Finding(
                    f"stage {label(stage)} sends access logs to {destination!r}, which is not a log group "
                    "of this stack; point access_log_settings.destination_arn at one it creates.",
                    stage.urn,
                )
            )
        key = (text(stage.props.get("restApi")), text(stage.props.get("stageName")))
        execution_group = f"{EXECUTION_LOG_GROUP_PREFIX}{key[0]}/{key[1]}"
        if key in logged_stages and execution_group not in names:
            findings.append(
                Finding(
                    f"stage {label(stage)} writes execution logs to {execution_group!r} (a name fixed by "
                    "API Gateway), which this stack does not create, so it would have no retention; "
                    "create that log group before the stage.",
                    stage.urn,
                )
            )
    for flow_log in of_type(resources_, tokens.FLOW_LOG):
        if text(flow_log.props.get("logDestinationType")) not in ("", "cloud-watch-logs"):
            continue
        destination = text(flow_log.props.get("logDestination")).removesuffix(":*")
        if destination not in arns:
            findings.append(
                Finding(
                    f"flow log {label(flow_log)} delivers to {destination or 'nowhere'!r}, which is not a "
                    "log group of this stack; set log_destination to one it creates.",
                    flow_log.urn,
                )
            )
    return findings


def alarm_topic_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """CloudWatch.15 (project, DESIGN §3): every alarm notifies an SNS topic this stack creates.

    A non-empty ``alarm_actions`` satisfies the per-resource check even when it names a topic that
    does not exist or belongs to someone else; then nobody this stack subscribes is told.
    """
    topics = {ref for topic in of_type(resources_, tokens.SNS_TOPIC) for ref in identifiers(topic, "arn")}
    findings: list[Finding] = []
    for alarm in of_type(resources_, tokens.METRIC_ALARM):
        actions = [text(action) for action in as_list(alarm.props.get("alarmActions"))]
        if not any(action in topics for action in actions):
            findings.append(
                Finding(
                    f"CloudWatch.15: alarm {label(alarm)} notifies {actions}, none of which is an SNS topic "
                    f"of this stack ({sorted(topics)}); set alarm_actions to the stack's alarm topic ARN.",
                    alarm.urn,
                )
            )
    return findings


# --- the policies --------------------------------------------------------------------------------


def _minimum_days(config: Config) -> int:
    return int(config.get("minimumRetentionDays", DEFAULT_MINIMUM_RETENTION_DAYS))


POLICIES: Final[list[Policy]] = [
    resource_policy(
        name="cloudwatch-16-ckv-aws-66-338-log-retention",
        description="Log groups keep logs at least a year (CloudWatch.16; CKV_AWS_66, CKV_AWS_338).",
        resource_types=tokens.LOG_GROUP,
        check=lambda props, config: retention_violations(props, minimum_days=_minimum_days(config)),
        config_schema=PolicyConfigSchema(
            properties={
                "minimumRetentionDays": {"type": "integer", "default": DEFAULT_MINIMUM_RETENTION_DAYS}
            }
        ),
    ),
    resource_policy(
        name="ckv-aws-158-log-group-kms-advisory",
        description="Log groups are encrypted with a customer-managed KMS key (CKV_AWS_158). Advisory "
        "unless KMS mode.",
        resource_types=tokens.LOG_GROUP,
        check=props_only(log_group_kms_advisories),
        enforcement_level=ADVISORY,
    ),
    resource_policy(
        name="cloudwatch-15-17-alarm-actions",
        description="Alarms have an enabled alarm action (CloudWatch.15, CloudWatch.17).",
        resource_types=tokens.METRIC_ALARM,
        check=props_only(alarm_violations),
    ),
    stack_policy(
        name="cloudwatch-15-alarms-notify-the-stack-topic",
        description="Every alarm notifies an SNS topic this stack creates (CloudWatch.15; DESIGN §3).",
        check=resources_only(alarm_topic_findings),
    ),
    stack_policy(
        name="project-logs-in-stack-log-groups",
        description="The function, the API stage (access and execution logs) and the flow logs write to "
        "log groups this stack creates (DESIGN §3).",
        check=resources_only(log_destination_findings),
    ),
]
