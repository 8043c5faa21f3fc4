"""CloudWatchStack in the synthesized default stack: alarms to SNS, dashboard, Auditor role."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.unit.infra.conftest import of_type, one, policy_of, statement
from tests.unit.infra.synth import MOCK_ACCOUNT_ID

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_every_alarm_notifies_the_alarm_topic(resources: list[CapturedResource]) -> None:
    topic = one(resources, "aws:sns/topic:Topic")
    alarms = of_type(resources, ALARM)

    # The five of this component and the failure-queue alarms of the reconciler and the processor
    # (test_catalogue_stack.py, test_ingest_stack.py).
    assert len(alarms) == 7
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == [topic.state["arn"]]
        assert alarm.inputs["okActions"] == [topic.state["arn"]]
        assert alarm.inputs["treatMissingData"] == "notBreaching"


def test_alarms_watch_the_real_function_and_api_stage(resources: list[CapturedResource]) -> None:
    function = one(resources, "aws:lambda/function:Function", "tap-compute-function")
    api = one(resources, "aws:apigateway/restApi:RestApi")
    alarms = {alarm.inputs["name"]: alarm.inputs for alarm in of_type(resources, ALARM)}

    for suffix, metric in [("lambda-errors", "Errors"), ("lambda-throttles", "Throttles")]:
        alarm = alarms[f"doc-processor-dev-{suffix}"]
        assert (alarm["namespace"], alarm["metricName"]) == ("AWS/Lambda", metric)
        assert alarm["dimensions"] == {"FunctionName": function.inputs["name"]}
        assert alarm["threshold"] == 1
    duration = alarms["doc-processor-dev-lambda-duration"]
    assert duration["threshold"] == 0.8 * function.inputs["timeout"] * 1000
    assert duration["statistic"] == "Maximum"
    for suffix, metric in [("api-5xx", "5XXError"), ("api-latency", "Latency")]:
        alarm = alarms[f"doc-processor-dev-{suffix}"]
        assert (alarm["namespace"], alarm["metricName"]) == ("AWS/ApiGateway", metric)
        assert alarm["dimensions"] == {"ApiName": api.inputs["name"], "Stage": "dev"}
    assert alarms["doc-processor-dev-api-latency"]["extendedStatistic"] == "p99"


def test_alarm_topic_policy_admits_only_this_accounts_cloudwatch(resources: list[CapturedResource]) -> None:
    topic = one(resources, "aws:sns/topic:Topic")
    topic_policy = one(resources, "aws:sns/topicPolicy:TopicPolicy")

    assert topic_policy.inputs["arn"] == topic.state["arn"]
    publish = statement(policy_of(topic_policy), "CloudWatchAlarmsPublish")
    assert publish["Resource"] == topic.state["arn"]
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": MOCK_ACCOUNT_ID}}
    assert not of_type(resources, "aws:sns/topicSubscription:TopicSubscription")
    assert "kmsMasterKeyId" not in topic.inputs


def test_dashboard_shows_the_function_and_the_api(resources: list[CapturedResource]) -> None:
    dashboard = one(resources, "aws:cloudwatch/dashboard:Dashboard")

    body = json.loads(dashboard.inputs["dashboardBody"])
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]
    assert ["AWS/Lambda", "Errors", "FunctionName", "doc-processor-dev"] in metrics
    assert ["AWS/ApiGateway", "5XXError", "ApiName", "doc-api-dev", "Stage", "dev"] in metrics
    assert all(widget["properties"]["region"] == "us-east-1" for widget in body["widgets"])


def test_auditor_can_only_read_lambda_log_events_and_needs_mfa_by_default(
    resources: list[CapturedResource],
) -> None:
    role = one(resources, "aws:iam/role:Role", "tap-monitoring-auditor-role")
    group = one(resources, "aws:cloudwatch/logGroup:LogGroup", "tap-compute-log-group")
    role_policy = one(resources, "aws:iam/rolePolicy:RolePolicy", "tap-monitoring-auditor-policy")

    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:root"}
    assert trust["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert role_policy.inputs["role"] == role.id
    (read,) = policy_of(role_policy)["Statement"]
    assert read["Effect"] == "Allow"
    assert sorted(read["Action"]) == ["logs:FilterLogEvents", "logs:GetLogEvents"]
    assert sorted(read["Resource"]) == [group.state["arn"], f"{group.state['arn']}:log-stream:*"]
    assert not of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment") or all(
        a.inputs["role"] != role.id
        for a in of_type(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )


def test_dashboard_has_a_catalogue_row_with_the_reconciler_and_its_failure_queue(
    resources: list[CapturedResource],
) -> None:
    dashboard = one(resources, "aws:cloudwatch/dashboard:Dashboard")
    reconciler = one(resources, "aws:lambda/function:Function", "tap-catalogue-reconciler")
    queue = one(resources, "aws:sqs/queue:Queue", "tap-catalogue-failure-queue")

    body = json.loads(dashboard.inputs["dashboardBody"])
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]
    assert ["AWS/Lambda", "Errors", "FunctionName", reconciler.inputs["name"]] in metrics
    assert [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
        queue.inputs["name"],
        {"stat": "Maximum"},
    ] in metrics
    # The metrics the service and the reconciler emit, under the dimensions they emit them with.
    assert ["SecureDocumentApi", "CatalogueWriteFailures", "Service", "document-api"] in metrics
    assert ["SecureDocumentApi", "ReconcileFailures", "Service", "document-reconciler"] in metrics
    assert reconciler.inputs["environment"]["variables"]["POWERTOOLS_SERVICE_NAME"] == "document-reconciler"
    positions = {(widget["x"], widget["y"]) for widget in body["widgets"]}
    assert len(positions) == len(body["widgets"])  # no widget hides another


def emitted_metrics(environment: dict[str, str]) -> dict[str, tuple[str, list[list[str]]]]:
    """Run ``processor.run`` under the processor's deployed environment over one stored, one rejected
    and one failing record; metric name -> (namespace, dimension sets) from the EMF line it writes."""
    from document_processor import processor as processor_module
    from document_processor.settings import load_settings

    class Outcomes:
        def __init__(self) -> None:
            self.outcomes = iter(["stored", "rejected"])

        def process_record(self, record: object) -> str:
            outcome = next(self.outcomes, None)
            if outcome is None:
                raise RuntimeError("boom")
            return outcome

    lines: list[str] = []
    with pytest.raises(processor_module.ProcessError):
        processor_module.run(
            Outcomes(),  # type: ignore[arg-type]
            {"Records": [{}, {}, {}]},
            None,
            settings=load_settings(environment),
            sink=lines.append,
        )
    found: dict[str, tuple[str, list[list[str]]]] = {}
    for line in lines:
        document = json.loads(line)
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            for metric in directive["Metrics"]:
                dimensions = [[f"{key}={document[key]}" for key in keys] for keys in directive["Dimensions"]]
                found[metric["Name"]] = (directive["Namespace"], dimensions)
    return found


def test_dashboard_has_a_large_uploads_row_with_the_processor_its_outcomes_and_its_queue(
    resources: list[CapturedResource],
) -> None:
    dashboard = one(resources, "aws:cloudwatch/dashboard:Dashboard")
    processor = one(resources, "aws:lambda/function:Function", "tap-ingest-processor")
    queue = one(resources, "aws:sqs/queue:Queue", "tap-ingest-failure-queue")
    name = processor.inputs["name"]

    body = json.loads(dashboard.inputs["dashboardBody"])
    metrics = [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]
    for metric in ("Invocations", "Errors"):
        assert ["AWS/Lambda", metric, "FunctionName", name] in metrics
    assert ["AWS/Lambda", "Duration", "FunctionName", name, {"stat": "Maximum", "yAxis": "right"}] in metrics
    assert [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
        queue.inputs["name"],
        {"stat": "Maximum"},
    ] in metrics
    # What processor.run() really emits under the deployed environment, as the dashboard asks for it.
    emitted = emitted_metrics(processor.inputs["environment"]["variables"])
    for metric in ("UploadsStored", "UploadsRejected", "ProcessFailures"):
        namespace, dimension_sets = emitted[metric]
        assert ["Service=document-ingest"] in dimension_sets
        assert [namespace, metric, "Service", "document-ingest"] in metrics
    positions = {(widget["x"], widget["y"]) for widget in body["widgets"]}
    assert len(positions) == len(body["widgets"])
