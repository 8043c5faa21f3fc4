"""Physical names, derived in one place from the environment suffix (and account/region for buckets).

Names are deterministic so operators can find resources, alarms can name their metrics' dimensions
and logs land in groups created (with retention) before anything writes to them.
"""

from __future__ import annotations

from typing import Final

PROJECT_NAME: Final = "secure-document-api"
MAX_BUCKET_NAME_LENGTH: Final = 63


def function_name(environment_suffix: str) -> str:
    """The Lambda function: ``doc-processor-<env>``."""
    return f"doc-processor-{environment_suffix}"


def lambda_role_name(environment_suffix: str) -> str:
    return f"{function_name(environment_suffix)}-lambda"


def catalogue_table_name(environment_suffix: str) -> str:
    """The catalogue's DynamoDB table: ``doc-processor-<env>-catalogue``."""
    return f"{function_name(environment_suffix)}-catalogue"


def reconciler_function_name(environment_suffix: str) -> str:
    """The catalogue reconciler: ``doc-reconciler-<env>``."""
    return f"doc-reconciler-{environment_suffix}"


def reconciler_role_name(environment_suffix: str) -> str:
    return f"{reconciler_function_name(environment_suffix)}-lambda"


def reconciler_log_group_name(environment_suffix: str) -> str:
    return f"/aws/lambda/{reconciler_function_name(environment_suffix)}"


def reconciler_failure_queue_name(environment_suffix: str) -> str:
    """Where the reconciler's events go after Lambda's asynchronous retries give up."""
    return f"{reconciler_function_name(environment_suffix)}-failures"


def processor_function_name(environment_suffix: str) -> str:
    """The ingest processor (DESIGN §4.2): ``doc-ingest-<env>``."""
    return f"doc-ingest-{environment_suffix}"


def processor_role_name(environment_suffix: str) -> str:
    return f"{processor_function_name(environment_suffix)}-lambda"


def processor_log_group_name(environment_suffix: str) -> str:
    return f"/aws/lambda/{processor_function_name(environment_suffix)}"


def processor_failure_queue_name(environment_suffix: str) -> str:
    """Where the processor's events go after Lambda's asynchronous retries give up."""
    return f"{processor_function_name(environment_suffix)}-failures"


def malware_scan_role_name(environment_suffix: str) -> str:
    """GuardDuty Malware Protection's service role for the ingest bucket (DESIGN §4.3); deterministic,
    because the ingest bucket policy names it before it exists."""
    return f"{processor_function_name(environment_suffix)}-malware-scan"


def scan_result_rule_name(environment_suffix: str) -> str:
    """The EventBridge rule that sends GuardDuty's scan results for the ingest bucket to the processor."""
    return f"{processor_function_name(environment_suffix)}-scan-results"


def threat_notification_rule_name(environment_suffix: str) -> str:
    """The EventBridge rule that publishes ``THREATS_FOUND`` results to the alarm topic."""
    return f"{processor_function_name(environment_suffix)}-threats-found"


def event_rule_arn(partition: str, region: str, account_id: str, rule_name: str) -> str:
    """A rule on the account's default event bus (the bus GuardDuty publishes to)."""
    return f"arn:{partition}:events:{region}:{account_id}:rule/{rule_name}"


def alarm_topic_name(environment_suffix: str) -> str:
    return f"{function_name(environment_suffix)}-alarms"


def lambda_log_group_name(environment_suffix: str) -> str:
    """Lambda's conventional group, so the console's links work; created by us, with retention."""
    return f"/aws/lambda/{function_name(environment_suffix)}"


def api_name(environment_suffix: str) -> str:
    return f"doc-api-{environment_suffix}"


def api_access_log_group_name(environment_suffix: str) -> str:
    return f"/aws/apigateway/{api_name(environment_suffix)}/access"


def api_execution_log_group_name(rest_api_id: str, stage_name: str) -> str:
    """The group API Gateway writes execution logs to; its name is fixed by the service."""
    return f"API-Gateway-Execution-Logs_{rest_api_id}/{stage_name}"


def flow_log_group_name(environment_suffix: str) -> str:
    return f"/aws/vpc/{function_name(environment_suffix)}/flow-logs"


def documents_bucket_name(environment_suffix: str, account_id: str, region: str) -> str:
    """Bucket names are global: account and region make them unique without random suffixes."""
    return _bucket_name(f"docs-{environment_suffix}-{account_id}-{region}")


def access_logs_bucket_name(environment_suffix: str, account_id: str, region: str) -> str:
    return _bucket_name(f"docs-{environment_suffix}-logs-{account_id}-{region}")


def ingest_bucket_name(environment_suffix: str, account_id: str, region: str) -> str:
    """The quarantine bucket of large uploads: ``doc-ingest-<env>-<account>-<region>``, the processor's
    prefix, so one pattern names the bucket, the function, its role and its queue."""
    return _bucket_name(f"{processor_function_name(environment_suffix)}-{account_id}-{region}")


def _bucket_name(name: str) -> str:
    if len(name) > MAX_BUCKET_NAME_LENGTH:
        raise ValueError(f"bucket name {name!r} is longer than {MAX_BUCKET_NAME_LENGTH} characters")
    return name


def bucket_arn(partition: str, bucket_name: str) -> str:
    return f"arn:{partition}:s3:::{bucket_name}"


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def topic_arn(partition: str, region: str, account_id: str, topic_name: str) -> str:
    return f"arn:{partition}:sns:{region}:{account_id}:{topic_name}"
