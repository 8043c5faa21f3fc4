"""The document catalogue (DESIGN §4.1, issue 13): DynamoDB.1/2/6 and CKV_AWS_28/119 on the table,
SQS.1 (CKV_AWS_27) on queues, KMS mode for both, and the project's invariants: the DynamoDB gateway
endpoint reaches only our tables, roles get only explicit item actions on our table and index ARNs,
and every function invoked asynchronously (S3 notifications, SNS, an event invoke config) sends
failed events to a destination of this stack that an alarm watches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from . import tokens
from ._support import (
    ADVISORY,
    Finding,
    PolicyDocumentError,
    StackResource,
    as_list,
    effect,
    identifiers,
    is_true,
    label,
    nested,
    of_type,
    policy_document,
    props_only,
    refers_to,
    resource_policy,
    resources,
    resources_only,
    stack_policy,
    statements,
    text,
)
from .keys import key_references
from .network import endpoint_policy_values, function_route_tables, gateway_endpoints

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pulumi_policy import Policy

    from ._support import Props

ON_DEMAND: Final = "PAY_PER_REQUEST"
ITEM_ACTIONS: Final = frozenset(
    {
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    }
)
"""What a role of this stack may be granted on the catalogue: reads and writes of single items and
one partition's query. Not ``Scan`` (it reads every owner's partition at once; listings are one
``Query`` per page), and no table management (``DeleteTable``, ``UpdateTable``, backups, exports)."""
QUEUE_ALARM_METRIC: Final = "ApproximateNumberOfMessagesVisible"
SNS_SUBSCRIPTION: Final = ("aws:sns/topicSubscription:TopicSubscription",)


# --- per-resource checks -------------------------------------------------------------------------


def table_recovery_violations(props: Props) -> list[str]:
    """DynamoDB.2, CKV_AWS_28: point-in-time recovery (restore any second of the last 35 days)."""
    if is_true(nested(props, "pointInTimeRecovery", "enabled")):
        return []
    return [
        "DynamoDB.2 (CKV_AWS_28): point-in-time recovery is off, so a bad write or a deleted item "
        "cannot be restored; set point_in_time_recovery.enabled=True."
    ]


def table_deletion_protection_violations(props: Props) -> list[str]:
    """DynamoDB.6: deletion protection (a ``destroy`` or a replacement cannot drop the catalogue)."""
    if is_true(props.get("deletionProtectionEnabled")):
        return []
    return [
        "DynamoDB.6: deletion protection is off, so a `pulumi destroy` or a replacement deletes the "
        "catalogue; set deletion_protection_enabled=True (throwaway stacks with forceDestroy: relax "
        "this policy with policy/config/force-destroy.json)."
    ]


def table_capacity_violations(props: Props) -> list[str]:
    """DynamoDB.1 (project: on-demand): no provisioned capacity to outgrow or to scale."""
    mode = text(props.get("billingMode"))
    if mode == ON_DEMAND:
        return []
    return [
        f"DynamoDB.1: billing mode is {mode or 'unset (PROVISIONED)'!r}; provisioned capacity without "
        f"auto scaling throttles the API under load; set billing_mode={ON_DEMAND!r} (DESIGN §4.1)."
    ]


def table_cmk_advisories(props: Props) -> list[str]:
    """CKV_AWS_119 (advisory): a customer-managed key; mandatory in KMS mode (see below)."""
    if is_true(nested(props, "serverSideEncryption", "enabled")) and text(
        nested(props, "serverSideEncryption", "kmsKeyArn")
    ):
        return []
    return [
        "CKV_AWS_119: the table is encrypted with a key AWS owns, not a customer-managed KMS key. This "
        "is the project's default (DESIGN §4.1); set config encryptionMode=KMS to encrypt the catalogue "
        "with the stack's key."
    ]


def queue_encryption_violations(props: Props) -> list[str]:
    """SQS.1, CKV_AWS_27: encrypted at rest, explicitly (SSE-SQS or a KMS key)."""
    if is_true(props.get("sqsManagedSseEnabled")) or text(props.get("kmsMasterKeyId")):
        return []
    return [
        "SQS.1 (CKV_AWS_27): the queue does not set encryption at rest; set sqs_managed_sse_enabled=True "
        "or kms_master_key_id=<the stack's key> (in KMS mode)."
    ]


# --- stack checks --------------------------------------------------------------------------------


def table_arns(resources_: Sequence[StackResource]) -> set[str]:
    return {text(t.props.get("arn")) for t in of_type(resources_, tokens.DYNAMODB_TABLE)} - {""}


def within_tables(arn: str, tables: set[str]) -> bool:
    """The table itself or one of its indexes (``<table arn>/index/<name>``)."""
    return any(arn == table or arn.startswith(f"{table}/index/") for table in tables)


def kms_mode_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """KMS mode (the stack has a customer-managed key): every table (CKV_AWS_119) and every queue
    (SQS.1 with a CMK) is encrypted with that key, like the documents bucket and the log groups."""
    if not of_type(resources_, tokens.KMS_KEY):
        return []
    references = key_references(resources_)
    findings: list[Finding] = []
    for table in of_type(resources_, tokens.DYNAMODB_TABLE):
        enabled = is_true(nested(table.props, "serverSideEncryption", "enabled"))
        key = text(nested(table.props, "serverSideEncryption", "kmsKeyArn"))
        if not enabled or key not in references:
            findings.append(
                Finding(
                    f"CKV_AWS_119: in KMS mode table {label(table)} must be encrypted with the stack's "
                    f"customer-managed key, but server_side_encryption is "
                    f"{'enabled' if enabled else 'off'} with key {key or 'unset'!r}; set "
                    "server_side_encryption.enabled=True and kms_key_arn=<key arn>.",
                    table.urn,
                )
            )
    for queue in of_type(resources_, tokens.SQS_QUEUE):
        key = text(queue.props.get("kmsMasterKeyId"))
        if key not in references:
            findings.append(
                Finding(
                    f"SQS.1: in KMS mode queue {label(queue)} must be encrypted with the stack's "
                    f"customer-managed key, but kms_master_key_id is {key or 'unset'!r}; set "
                    "kms_master_key_id=<key arn> (instead of sqs_managed_sse_enabled).",
                    queue.urn,
                )
            )
    return findings


def dynamodb_endpoint_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project (DESIGN §4.1): a stack with a table reaches DynamoDB through a gateway endpoint on the
    functions' route tables, whose policy allows only this stack's tables and indexes."""
    tables = table_arns(resources_)
    endpoints = gateway_endpoints(resources_, "dynamodb")
    findings: list[Finding] = []
    if tables and not endpoints and of_type(resources_, tokens.LAMBDA_FUNCTION):
        findings.append(
            Finding(
                "the stack has a DynamoDB table but no DynamoDB gateway endpoint, so the functions in the "
                "private subnets cannot reach it (there is no NAT, by design); add "
                "aws.ec2.VpcEndpoint(service_name='com.amazonaws.<region>.dynamodb', "
                "vpc_endpoint_type='Gateway') on the private route table, with a policy naming the table."
            )
        )
    if tables and endpoints:
        routed = {text(t) for e in endpoints for t in as_list(e.props.get("routeTableIds"))}
        for function in of_type(resources_, tokens.LAMBDA_FUNCTION):
            missing = sorted(function_route_tables(resources_, function) - routed)
            if missing:
                findings.append(
                    Finding(
                        f"function {label(function)}: its subnets' route tables {missing} have no route to "
                        "the DynamoDB gateway endpoint, so its DynamoDB calls time out (there is no NAT); "
                        "add them to the endpoint's route_table_ids.",
                        function.urn,
                    )
                )
    for endpoint in endpoints:
        raw = endpoint_policy_values(endpoint, resources_)
        if not raw:
            findings.append(
                Finding(
                    f"{label(endpoint)}: the DynamoDB endpoint has no policy, so it reaches every table in "
                    "every account; set policy to allow only the item actions on this stack's table and "
                    "index ARNs.",
                    endpoint.urn,
                )
            )
        for value in raw:
            try:
                document = policy_document(value)
            except PolicyDocumentError as error:
                findings.append(Finding(f"{label(endpoint)}: endpoint {error}.", endpoint.urn))
                continue
            for statement in statements(document):
                if effect(statement) != "Allow":
                    continue
                stray = [r for r in resources(statement) if not within_tables(r, tables)]
                if statement.get("NotResource") is not None or not resources(statement) or stray:
                    findings.append(
                        Finding(
                            f"{label(endpoint)}: endpoint policy statement "
                            f"{statement.get('Sid', '(no Sid)')!r} allows {stray or 'every resource'}, "
                            f"outside this stack's tables {sorted(tables)}; list only '<table arn>' and "
                            "'<table arn>/index/<name>'.",
                            endpoint.urn,
                        )
                    )
    return findings


def _identity_documents(resources_: Sequence[StackResource]) -> list[tuple[StackResource, Any]]:
    """Every identity policy of the stack, with the resource that carries it."""
    found: list[tuple[StackResource, Any]] = [
        (p, p.props.get("policy")) for p in of_type(resources_, tokens.IAM_POLICY_DOCUMENTS)
    ]
    for role in of_type(resources_, tokens.IAM_ROLE):
        found += [
            (role, inline.get("policy"))
            for inline in as_list(role.props.get("inlinePolicies"))
            if isinstance(inline, Mapping)
        ]
    return [(owner, value) for owner, value in found if value]


def dynamodb_grant_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project (DESIGN §4.1): identity policies grant DynamoDB only as explicit item actions on this
    stack's table and index ARNs: no ``dynamodb:*`` or other pattern, no ``Scan`` or table
    management, no ``*`` or another table."""
    tables = table_arns(resources_)
    findings: list[Finding] = []
    for owner, value in _identity_documents(resources_):
        try:
            document = policy_document(value)
        except PolicyDocumentError:
            continue  # reported by the per-resource identity policy
        for statement in statements(document):
            if effect(statement) != "Allow":
                continue
            findings.extend(
                Finding(f"{label(owner)}: {problem}", owner.urn)
                for problem in _dynamodb_statement_problems(statement, tables)
            )
    return findings


def _dynamodb_statement_problems(statement: Mapping[str, Any], tables: set[str]) -> Iterable[str]:
    sid = statement.get("Sid", "(no Sid)")
    granted = [a for a in as_list(statement.get("Action")) if isinstance(a, str)]
    dynamodb = [a for a in granted if a.lower().startswith("dynamodb:")]
    if not dynamodb:
        return
    canonical = {a.lower(): a for a in ITEM_ACTIONS}
    patterns = sorted(a for a in dynamodb if "*" in a or "?" in a)
    if patterns:
        yield (
            f"statement {sid!r} grants DynamoDB action patterns {patterns}; list the item actions the "
            f"function calls (of {sorted(ITEM_ACTIONS)})"
        )
    others = sorted(a for a in dynamodb if a not in patterns and a.lower() not in canonical)
    if others:
        yield (
            f"statement {sid!r} grants {others}, which no function of this stack needs (listings are one "
            "Query per page, so no Scan; no table management); grant only item actions "
            f"{sorted(ITEM_ACTIONS)}"
        )
    stray = sorted(r for r in resources(statement) if not within_tables(r, tables))
    if statement.get("NotResource") is not None or not resources(statement) or stray:
        yield (
            f"statement {sid!r} grants DynamoDB actions on {stray or 'every resource'}; name only this "
            f"stack's table and index ARNs {sorted(tables)} ('<table arn>', '<table arn>/index/<name>')"
        )


def async_targets(resources_: Sequence[StackResource]) -> list[tuple[StackResource, str]]:
    """Functions Lambda invokes asynchronously, each with what makes it so."""
    functions = of_type(resources_, tokens.LAMBDA_FUNCTION)
    found: list[tuple[StackResource, str]] = []

    def add(reference: Any, why: str) -> None:
        for function in functions:
            if _names_function(reference, function) and all(f is not function for f, _ in found):
                found.append((function, why))

    for notification in of_type(resources_, tokens.BUCKET_NOTIFICATION):
        for target in as_list(notification.props.get("lambdaFunctions")):
            add(nested(target, "lambdaFunctionArn"), f"the S3 notification {label(notification)}")
    for subscription in of_type(resources_, SNS_SUBSCRIPTION):
        if text(subscription.props.get("protocol")) == "lambda":
            add(subscription.props.get("endpoint"), f"the SNS subscription {label(subscription)}")
    for config in of_type(resources_, tokens.LAMBDA_EVENT_INVOKE_CONFIG):
        add(config.props.get("functionName"), f"the event invoke config {label(config)}")
    return found


def _names_function(reference: Any, function: StackResource) -> bool:
    """By name or ARN, qualified (``<arn>:<alias or version>``) or not."""
    value = text(reference)
    if refers_to(value, function, "name", "arn"):
        return True
    arn = text(function.props.get("arn"))
    return bool(arn) and value.startswith(f"{arn}:") and value.count(":") == arn.count(":") + 1


def async_failure_destination_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project (issue 13; CKV_AWS_116's intent): every asynchronously invoked function sends events
    that fail after Lambda's retries to an SQS queue (or SNS topic) of this stack, and an alarm on
    that queue's visible messages tells someone. Without it a failed event is dropped silently."""
    queues = of_type(resources_, tokens.SQS_QUEUE)
    topics = of_type(resources_, tokens.SNS_TOPIC)
    alarms = of_type(resources_, tokens.METRIC_ALARM)
    configs = of_type(resources_, tokens.LAMBDA_EVENT_INVOKE_CONFIG)
    findings: list[Finding] = []
    for function, why in async_targets(resources_):
        destinations = [
            text(nested(c.props, "destinationConfig", "onFailure", "destination"))
            for c in configs
            if _names_function(c.props.get("functionName"), function)
        ] + [text(nested(function.props, "deadLetterConfig", "targetArn"))]
        destinations = [d for d in destinations if d]
        if not destinations:
            findings.append(
                Finding(
                    f"function {label(function)} is invoked asynchronously ({why}) but has no on-failure "
                    "destination, so an event that still fails after Lambda's retries is dropped; add "
                    "aws.lambda_.FunctionEventInvokeConfig(destination_config.on_failure.destination="
                    "<encrypted SQS queue arn>) and an alarm on the queue.",
                    function.urn,
                )
            )
        for destination in destinations:
            queue = next((q for q in queues if destination in identifiers(q, "arn")), None)
            if queue is None and not any(destination in identifiers(t, "arn") for t in topics):
                findings.append(
                    Finding(
                        f"function {label(function)} sends failed events to {destination!r}, which is not "
                        "an SQS queue or SNS topic of this stack; use the stack's failure queue.",
                        function.urn,
                    )
                )
            elif queue is not None and not any(_watches(alarm, queue) for alarm in alarms):
                findings.append(
                    Finding(
                        f"failure queue {label(queue)} of {label(function)} has no alarm, so failed "
                        f"events wait unseen until they expire; add a MetricAlarm on AWS/SQS "
                        f"{QUEUE_ALARM_METRIC} (QueueName = the queue's name) > 0 notifying the alarm "
                        "topic.",
                        queue.urn,
                    )
                )
    return findings


def _watches(alarm: StackResource, queue: StackResource) -> bool:
    dimensions = alarm.props.get("dimensions")
    return (
        text(alarm.props.get("namespace")) == "AWS/SQS"
        and text(alarm.props.get("metricName")) == QUEUE_ALARM_METRIC
        and isinstance(dimensions, Mapping)
        and bool(text(queue.props.get("name")))
        and text(dimensions.get("QueueName")) == text(queue.props.get("name"))
        and bool(as_list(alarm.props.get("alarmActions")))
    )


# --- the policies --------------------------------------------------------------------------------

POLICIES: Final[list[Policy]] = [
    resource_policy(
        name="dynamodb-2-ckv-aws-28-table-point-in-time-recovery",
        description="DynamoDB tables have point-in-time recovery (DynamoDB.2; CKV_AWS_28).",
        resource_types=tokens.DYNAMODB_TABLE,
        check=props_only(table_recovery_violations),
    ),
    resource_policy(
        name="dynamodb-6-table-deletion-protection",
        description="DynamoDB tables have deletion protection (DynamoDB.6).",
        resource_types=tokens.DYNAMODB_TABLE,
        check=props_only(table_deletion_protection_violations),
    ),
    resource_policy(
        name="dynamodb-1-table-on-demand",
        description="DynamoDB tables use on-demand capacity (DynamoDB.1; DESIGN §4.1).",
        resource_types=tokens.DYNAMODB_TABLE,
        check=props_only(table_capacity_violations),
    ),
    resource_policy(
        name="ckv-aws-119-dynamodb-cmk-advisory",
        description="DynamoDB tables are encrypted with a customer-managed KMS key (CKV_AWS_119). "
        "Advisory: AWS-owned keys are the project default; in KMS mode "
        "'ckv-aws-119-kms-mode-tables-and-queues' makes it mandatory.",
        resource_types=tokens.DYNAMODB_TABLE,
        check=props_only(table_cmk_advisories),
        enforcement_level=ADVISORY,
    ),
    resource_policy(
        name="sqs-1-ckv-aws-27-queue-encrypted",
        description="SQS queues are encrypted at rest (SQS.1; CKV_AWS_27).",
        resource_types=tokens.SQS_QUEUE,
        check=props_only(queue_encryption_violations),
    ),
    stack_policy(
        name="ckv-aws-119-kms-mode-tables-and-queues",
        description="In KMS mode (the stack creates a customer-managed key) every DynamoDB table and SQS "
        "queue uses that key (CKV_AWS_119; SQS.1).",
        check=resources_only(kms_mode_findings),
    ),
    stack_policy(
        name="project-dynamodb-endpoint-policy-only-our-tables",
        description="A stack with a table has a DynamoDB gateway endpoint on the functions' route tables, "
        "whose policy allows only this stack's table and index ARNs (DESIGN §4.1).",
        check=resources_only(dynamodb_endpoint_findings),
    ),
    stack_policy(
        name="project-dynamodb-item-actions-on-our-tables",
        description="Identity policies grant DynamoDB only explicit item actions (no pattern, no Scan, no "
        "table management) on this stack's table and index ARNs (DESIGN §4.1).",
        check=resources_only(dynamodb_grant_findings),
    ),
    stack_policy(
        name="project-async-lambda-failure-destination-alarmed",
        description="Every asynchronously invoked function sends failed events to a queue or topic of "
        "this stack, and the queue is alarmed (issue 13; CKV_AWS_116).",
        check=resources_only(async_failure_destination_findings),
    ),
]
