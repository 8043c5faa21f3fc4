"""S3Stack: the documents bucket (the vault), the ingest bucket of large uploads and the bucket that
receives both buckets' server access logs.

All three are private (all four public-access-block flags, ACLs disabled), encrypted and TLS-only.
The documents bucket's policy confines data-plane access to the Lambda role through the VPC endpoint,
with one exception for the API role's presigned downloads; see ``lib.policies.documents_bucket_policy``.
The ingest bucket (DESIGN §4.2) takes presigned part uploads from the internet and nothing else; see
``lib.policies.ingest_bucket_policy``. It is not versioned, on purpose: the processor's and the
API's deletes must really remove quarantined bytes (a rejected or aborted upload leaves nothing behind,
not even a noncurrent version), and every object there is transient, copied into the versioned vault or
dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Final

import pulumi
import pulumi_aws as aws

from lib import policies
from lib.settings import EncryptionMode

ACCESS_LOG_PREFIX: Final = "s3-access-logs/documents/"
INGEST_ACCESS_LOG_PREFIX: Final = "s3-access-logs/ingest/"
ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS: Final = 7
INGEST_ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS: Final = 1
"""Upload sessions live 24 hours (``document_processor.uploads.SESSION_LIFETIME_SECONDS``): a multipart
upload not completed by then never will be, and its parts are billed storage until aborted."""
INGEST_EXPIRATION_DAYS: Final = 2
"""A completed upload is copied into the vault and deleted within minutes; anything still in
quarantine after two days (a processor outage beyond Lambda's 6-hour event age, a lost event) is
removed, never served. Lifecycle days count from creation and act within a day after (S3 User Guide)."""
INGEST_CORS_ALLOWED_HEADERS: Final = ("content-type", "x-amz-checksum-sha256", "x-amz-sdk-checksum-algorithm")
"""What a browser sends with a part PUT: the signed checksum headers of ``document_processor.presign``
(tested equal) and the body's type."""
INGEST_CORS_EXPOSED_HEADERS: Final = ("ETag",)
"""CompleteMultipartUpload needs every part's ETag, which a browser script reads only if exposed."""
INGEST_CORS_MAX_AGE_SECONDS: Final = 600
"""Preflights cached ten minutes, so an origin removed from config stops working soon."""


@dataclass(frozen=True)
class S3StackArgs:
    """What the buckets need from the rest of the stack."""

    documents_bucket_name: pulumi.Input[str]
    """Physical name of the documents bucket."""
    access_logs_bucket_name: pulumi.Input[str]
    """Physical name of the access-log bucket."""
    account_id: pulumi.Input[str]
    """Only this account's documents bucket may deliver logs."""
    vpc_endpoint_id: pulumi.Input[str]
    """Data-plane requests must arrive through this endpoint."""
    lambda_role_arn: pulumi.Input[str]
    """The only principal (besides break-glass) allowed data-plane access."""
    reconciler_role_arn: pulumi.Input[str]
    """The catalogue reconciler's role: let through the principal deny, for reads only."""
    ingest_bucket_name: pulumi.Input[str]
    """Physical name of the ingest (quarantine) bucket of large uploads."""
    processor_role_arn: pulumi.Input[str]
    """The ingest processor's role: reads and deletes in the ingest bucket, copies into the vault."""
    noncurrent_version_expiration_days: int
    """Age at which replaced or deleted document versions are removed."""
    access_log_expiration_days: int
    """Age at which access logs are removed."""
    encryption_mode: EncryptionMode = EncryptionMode.SSE_S3
    """``SSE_S3`` (default) or ``KMS``."""
    kms_key_arn: pulumi.Input[str] | None = None
    """Required in KMS mode: the customer-managed key."""
    break_glass_principal_arns: tuple[str, ...] = ()
    """Extra principals allowed data-plane access; default none."""
    force_destroy: bool = False
    """Let destroy empty the buckets; default off."""
    ingest_cors_origins: tuple[str, ...] = ()
    """Browser origins allowed to PUT parts into the ingest bucket; default none (no CORS configuration)."""
    malware_scan_role_arn: pulumi.Input[str] | None = None
    """Malware scanning on: GuardDuty's role, which the ingest policy lets scan and tag, and whose tag
    alone opens an object's bytes (``lib.policies.ingest_bucket_policy``); default none (no gate)."""


class S3Stack(pulumi.ComponentResource):
    """The documents bucket and its access-log bucket, each with its policy."""

    documents_bucket_name: pulumi.Output[str]
    documents_bucket_arn: pulumi.Output[str]
    access_logs_bucket_name: pulumi.Output[str]
    access_logs_bucket_arn: pulumi.Output[str]
    ingest_bucket_name: pulumi.Output[str]
    ingest_bucket_arn: pulumi.Output[str]
    ingest_bucket_policy: aws.s3.BucketPolicy
    """What GuardDuty's plan waits for: its validation object and scans need the policy's exemptions."""

    def __init__(self, name: str, args: S3StackArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("tap:storage:S3Stack", name, None, opts)
        if args.encryption_mode is EncryptionMode.KMS and args.kms_key_arn is None:
            raise ValueError("S3StackArgs: encryption_mode KMS needs kms_key_arn")
        child = pulumi.ResourceOptions(parent=self)

        # Access-log bucket: SSE-S3 always (S3 log delivery cannot use a KMS key reliably).
        logs_bucket = aws.s3.Bucket(
            f"{name}-access-logs",
            bucket=args.access_logs_bucket_name,
            force_destroy=args.force_destroy,
            opts=child,
        )
        logs_public_access_block = self._private_bucket(f"{name}-access-logs", logs_bucket, child)
        self._encryption(f"{name}-access-logs", logs_bucket, None, child)
        self._versioning(f"{name}-access-logs", logs_bucket, child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-access-logs-lifecycle",
            bucket=logs_bucket.id,
            rules=[
                _expire_rule("expire-access-logs", args.access_log_expiration_days),
                _abort_uploads_rule(),
            ],
            opts=child,
        )

        documents_bucket = aws.s3.Bucket(
            f"{name}-documents",
            bucket=args.documents_bucket_name,
            force_destroy=args.force_destroy,
            opts=child,
        )
        ingest_bucket = aws.s3.Bucket(
            f"{name}-ingest",
            bucket=args.ingest_bucket_name,
            force_destroy=args.force_destroy,
            opts=child,
        )
        logs_policy = aws.s3.BucketPolicy(
            f"{name}-access-logs-policy",
            bucket=logs_bucket.id,
            policy=pulumi.Output.all(
                logs_bucket.arn, documents_bucket.arn, args.account_id, ingest_bucket.arn
            ).apply(
                lambda values: json.dumps(
                    policies.access_logs_bucket_policy(
                        bucket_arn=values[0],
                        log_prefix=ACCESS_LOG_PREFIX,
                        source_bucket_arn=values[1],
                        account_id=values[2],
                        ingest_log_prefix=INGEST_ACCESS_LOG_PREFIX,
                        ingest_bucket_arn=values[3],
                    )
                )
            ),
            # S3 rejects concurrent policy and public-access-block changes on one bucket.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_public_access_block]),
        )
        documents_public_access_block = self._private_bucket(f"{name}-documents", documents_bucket, child)
        self._encryption(
            f"{name}-documents",
            documents_bucket,
            args.kms_key_arn if args.encryption_mode is EncryptionMode.KMS else None,
            child,
        )
        self._versioning(f"{name}-documents", documents_bucket, child)
        aws.s3.BucketLogging(
            f"{name}-documents-logging",
            bucket=documents_bucket.id,
            target_bucket=logs_bucket.id,
            target_prefix=ACCESS_LOG_PREFIX,
            # Delivery is authorised by the log bucket's policy: switch logging on only after it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_policy]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-documents-lifecycle",
            bucket=documents_bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-noncurrent-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.noncurrent_version_expiration_days
                    ),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        expired_object_delete_marker=True
                    ),
                ),
                _abort_uploads_rule(),
            ],
            opts=child,
        )
        aws.s3.BucketPolicy(
            f"{name}-documents-policy",
            bucket=documents_bucket.id,
            policy=pulumi.Output.all(
                documents_bucket.arn,
                args.vpc_endpoint_id,
                args.lambda_role_arn,
                args.reconciler_role_arn,
                args.processor_role_arn,
            ).apply(
                lambda values: json.dumps(
                    policies.documents_bucket_policy(
                        bucket_arn=values[0],
                        vpc_endpoint_id=values[1],
                        lambda_role_arn=values[2],
                        reconciler_role_arn=values[3],
                        processor_role_arn=values[4],
                        break_glass_principal_arns=args.break_glass_principal_arns,
                        # GET /documents/{id}/content answers 303 with a URL the API role presigned.
                        allow_presigned_downloads=True,
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[documents_public_access_block]),
        )

        # Ingest bucket: same encryption as the vault, never versioned (see the module docstring).
        ingest_public_access_block = self._private_bucket(f"{name}-ingest", ingest_bucket, child)
        self._encryption(
            f"{name}-ingest",
            ingest_bucket,
            args.kms_key_arn if args.encryption_mode is EncryptionMode.KMS else None,
            child,
        )
        aws.s3.BucketLogging(
            f"{name}-ingest-logging",
            bucket=ingest_bucket.id,
            target_bucket=logs_bucket.id,
            target_prefix=INGEST_ACCESS_LOG_PREFIX,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs_policy]),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-ingest-lifecycle",
            bucket=ingest_bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-quarantined-objects",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=INGEST_EXPIRATION_DAYS
                    ),
                ),
                _abort_uploads_rule(INGEST_ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS),
            ],
            opts=child,
        )
        if args.ingest_cors_origins:
            aws.s3.BucketCorsConfiguration(
                f"{name}-ingest-cors",
                bucket=ingest_bucket.id,
                cors_rules=[
                    aws.s3.BucketCorsConfigurationCorsRuleArgs(
                        id="browser-part-uploads",
                        allowed_methods=["PUT"],
                        allowed_origins=list(args.ingest_cors_origins),
                        allowed_headers=list(INGEST_CORS_ALLOWED_HEADERS),
                        expose_headers=list(INGEST_CORS_EXPOSED_HEADERS),
                        max_age_seconds=INGEST_CORS_MAX_AGE_SECONDS,
                    )
                ],
                opts=child,
            )
        self.ingest_bucket_policy = aws.s3.BucketPolicy(
            f"{name}-ingest-policy",
            bucket=ingest_bucket.id,
            policy=pulumi.Output.all(
                ingest_bucket.arn,
                args.vpc_endpoint_id,
                args.lambda_role_arn,
                args.processor_role_arn,
                args.malware_scan_role_arn,
            ).apply(
                lambda values: json.dumps(
                    policies.ingest_bucket_policy(
                        bucket_arn=values[0],
                        vpc_endpoint_id=values[1],
                        api_role_arn=values[2],
                        processor_role_arn=values[3],
                        max_signature_age_ms=policies.MAX_PRESIGNED_UPLOAD_AGE_MS,
                        scanner_role_arn=values[4],
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ingest_public_access_block]),
        )

        self.documents_bucket_name = documents_bucket.bucket
        self.documents_bucket_arn = documents_bucket.arn
        self.access_logs_bucket_name = logs_bucket.bucket
        self.access_logs_bucket_arn = logs_bucket.arn
        self.ingest_bucket_name = ingest_bucket.bucket
        self.ingest_bucket_arn = ingest_bucket.arn
        self.register_outputs(
            {
                "ingestBucketName": self.ingest_bucket_name,
                "ingestBucketArn": self.ingest_bucket_arn,
                "documentsBucketName": self.documents_bucket_name,
                "documentsBucketArn": self.documents_bucket_arn,
                "accessLogsBucketName": self.access_logs_bucket_name,
                "accessLogsBucketArn": self.access_logs_bucket_arn,
            }
        )

    def _private_bucket(
        self, name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions
    ) -> aws.s3.BucketPublicAccessBlock:
        """All four public-access-block flags, and object ownership enforced (ACLs disabled)."""
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=opts,
        )
        return aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=opts,
        )

    def _encryption(
        self,
        name: str,
        bucket: aws.s3.Bucket,
        kms_key_arn: pulumi.Input[str] | None,
        opts: pulumi.ResourceOptions,
    ) -> None:
        """SSE-S3 (AES-256) without a key; SSE-KMS with the key and an S3 bucket key otherwise."""
        if kms_key_arn is None:
            default = (
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
            bucket_key_enabled = False
        else:
            default = (
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                )
            )
            bucket_key_enabled = True
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=default,
                    bucket_key_enabled=bucket_key_enabled,
                )
            ],
            opts=opts,
        )

    def _versioning(self, name: str, bucket: aws.s3.Bucket, opts: pulumi.ResourceOptions) -> None:
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=opts,
        )


def _expire_rule(rule_id: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule_id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=days
        ),
    )


def _abort_uploads_rule(
    days: int = ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS,
) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="abort-incomplete-multipart-uploads",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=days
        ),
    )
