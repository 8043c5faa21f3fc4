"""IngestStack: the processor of large uploads (DESIGN §4.2), from the ingest bucket to the vault.

The ingest bucket itself lives in ``S3Stack`` with the other buckets (its access logs go to their log
bucket, whose policy must name it). This component is the data flow out of it, the same shape as the
catalogue reconciler (``lib.event_function``): the ingest bucket's object-created events under
``ingest/`` invoke ``doc-ingest-<env>`` asynchronously; it validates each object in one bounded stream,
copies it server-side into the vault, writes the catalogue item and moves the upload session; Lambda
retries a failed event twice, then it lands in an encrypted failure queue whose depth raises an alarm.

The processor runs in the private subnets with the function security group (HTTPS to the S3 and
DynamoDB gateway endpoints only) and its own role (``lib.policies.processor_role_policy``): it reads
and deletes quarantined objects, writes into the vault only under ``documents/`` and never deletes
there; both bucket policies confine it further.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import pulumi

from lib import naming, policies
from lib.event_function import EventFunctionArgs, build_event_function
from lib.lambda_asset import PROCESSOR_HANDLER
from lib.lambda_stack import LOG_LEVEL, METRICS_NAMESPACE

PROCESSOR_MEMORY_MB: Final = 1024
"""CPU, not memory: validation holds a bounded window (a 1 MiB read chunk, the image head, a PDF spool
that moves to ``/tmp`` past 1 MiB and is at most 64 MiB, well inside the default 512 MB of ephemeral
storage), but Lambda allocates CPU in proportion to memory (one full vCPU at 1,769 MB; Lambda developer
guide, "Configure Lambda function memory"). Reading and hashing a multi-gigabyte object is CPU- and
network-bound, and twice the API function's 512 MB halves the time per byte for about the same cost per
object; a full vCPU would buy little more, since one S3 stream, not the hash, is then the limit."""
PROCESSOR_TIMEOUT_SECONDS: Final = 900
"""Lambda's maximum: a 5 GiB object is read once end to end (plus a server-side multipart copy) in one
invocation. Asynchronous invocations have no caller waiting, so no API timeout bounds it."""
PROCESSOR_SERVICE_NAME: Final = "document-ingest"
"""``POWERTOOLS_SERVICE_NAME``: the ``Service`` dimension of the processor's metrics."""
INGEST_EVENTS: Final = ("s3:ObjectCreated:*",)
"""Every way an upload lands (CompleteMultipartUpload, and a Put/Copy should one ever be allowed);
removals are the processor's and the lifecycle's own doing and need no processing."""


@dataclass(frozen=True)
class IngestStackArgs:
    """What the processor needs from the rest of the stack."""

    environment_suffix: str
    """Names the function ``doc-ingest-<env>`` and its role, log group and queue."""
    region: str
    """The ``kms:ViaService`` conditions."""
    account_id: pulumi.Input[str]
    """The S3 permission's ``source_account``."""
    code: pulumi.Archive
    """The deployment package (``lib.lambda_asset``); it holds the processor's module too."""
    subnet_ids: pulumi.Input[list[str]]
    """The private subnets."""
    security_group_id: pulumi.Input[str]
    """The function security group (HTTPS to the gateway endpoints only)."""
    ingest_bucket_name: pulumi.Input[str]
    """The quarantine bucket whose events drive the processor (``INGEST_BUCKET``)."""
    ingest_bucket_arn: pulumi.Input[str]
    """Scope of the processor's ingest permissions and of S3's invoke permission."""
    documents_bucket_name: pulumi.Input[str]
    """The vault (``DOCUMENTS_BUCKET``)."""
    documents_bucket_arn: pulumi.Input[str]
    """Scope of the processor's vault permissions."""
    catalogue_table_name: pulumi.Input[str]
    """Sessions and document items (``CATALOGUE_TABLE``)."""
    catalogue_table_arn: pulumi.Input[str]
    """Scope of the processor's item permissions."""
    alarm_topic_arn: pulumi.Input[str]
    """Where the failure-queue alarm notifies."""
    log_retention_days: int
    """Retention of the processor's log group."""
    allowed_content_types: tuple[str, ...]
    """``ALLOWED_CONTENT_TYPES`` (comma-joined), the API's allow-list."""
    max_upload_bytes: int
    """``MAX_UPLOAD_BYTES``, as the API's."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS mode: encrypts the log group and the failure queue, and the key grants go through S3,
    DynamoDB and SQS; default none."""
    malware_scanning: bool = False
    """``MALWARE_SCANNING`` (DESIGN §4.3): the processor promotes only objects GuardDuty tagged clean,
    on its scan-result events (``lib.malware_scan_stack``), and reads the tag; the bucket's events
    also go to EventBridge, as GuardDuty set them. Default off."""


class IngestStack(pulumi.ComponentResource):
    """The processor: function, role, log group, event invoke config, failure queue + alarm, S3's
    permission and the ingest bucket's notification."""

    processor_function_name: pulumi.Output[str]
    processor_function_arn: pulumi.Output[str]
    processor_role_arn: pulumi.Output[str]
    processor_log_group_name: pulumi.Output[str]
    failure_queue_url: pulumi.Output[str]
    failure_queue_name: pulumi.Output[str]
    failure_alarm_name: pulumi.Output[str]

    def __init__(self, name: str, args: IngestStackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tap:ingest:IngestStack", name, None, opts)
        env = args.environment_suffix
        function_name = naming.processor_function_name(env)

        processor = build_event_function(
            name,
            EventFunctionArgs(
                key="processor",
                function_name=function_name,
                description="Secure document API: validates large uploads and moves them into the vault",
                handler=PROCESSOR_HANDLER,
                code=args.code,
                memory_mb=PROCESSOR_MEMORY_MB,
                timeout_seconds=PROCESSOR_TIMEOUT_SECONDS,
                role_name=naming.processor_role_name(env),
                log_group_name=naming.processor_log_group_name(env),
                log_retention_days=args.log_retention_days,
                subnet_ids=args.subnet_ids,
                security_group_id=args.security_group_id,
                environment={
                    "DOCUMENTS_BUCKET": args.documents_bucket_name,
                    "CATALOGUE_TABLE": args.catalogue_table_name,
                    "INGEST_BUCKET": args.ingest_bucket_name,
                    "ALLOWED_CONTENT_TYPES": ",".join(args.allowed_content_types),
                    "MAX_UPLOAD_BYTES": str(args.max_upload_bytes),
                    "MALWARE_SCANNING": "on" if args.malware_scanning else "off",
                    "LOG_LEVEL": LOG_LEVEL,
                    "METRICS_NAMESPACE": METRICS_NAMESPACE,
                    "POWERTOOLS_SERVICE_NAME": PROCESSOR_SERVICE_NAME,
                },
                role_policy=lambda log_group_arn, queue_arn: pulumi.Output.all(
                    args.ingest_bucket_arn,
                    args.documents_bucket_arn,
                    log_group_arn,
                    args.catalogue_table_arn,
                    queue_arn,
                    args.kms_key_arn,
                ).apply(
                    lambda values: json.dumps(
                        policies.processor_role_policy(
                            ingest_bucket_arn=values[0],
                            vault_bucket_arn=values[1],
                            log_group_arn=values[2],
                            catalogue_table_arn=values[3],
                            failure_queue_arn=values[4],
                            region=args.region,
                            kms_key_arn=values[5],
                            read_scan_tags=args.malware_scanning,
                        )
                    )
                ),
                failure_queue_name=naming.processor_failure_queue_name(env),
                alarm_name=f"{naming.function_name(env)}-ingest-failures",
                alarm_description=(
                    "Upload events the processor could not finish after Lambda's retries are waiting in the "
                    "failure queue: those sessions stay 'processing' until the events are replayed."
                ),
                alarm_topic_arn=args.alarm_topic_arn,
                bucket_key="ingest",
                bucket_name=args.ingest_bucket_name,
                bucket_arn=args.ingest_bucket_arn,
                account_id=args.account_id,
                events=INGEST_EVENTS,
                filter_prefix=policies.INGEST_PREFIX,
                kms_key_arn=args.kms_key_arn,
                eventbridge=args.malware_scanning,
            ),
            parent=self,
        )

        self.processor_function_name = processor.function.name
        self.processor_function_arn = processor.function.arn
        self.processor_role_arn = processor.role.arn
        self.processor_log_group_name = processor.log_group.name
        self.failure_queue_url = processor.queue.url
        self.failure_queue_name = processor.queue.name
        self.failure_alarm_name = processor.alarm.name
        self.register_outputs(
            {
                "processorFunctionName": self.processor_function_name,
                "processorRoleArn": self.processor_role_arn,
                "processorLogGroupName": self.processor_log_group_name,
                "processorFailureQueueUrl": self.failure_queue_url,
            }
        )
