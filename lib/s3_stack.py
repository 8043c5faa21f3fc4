"""S3Stack: the documents bucket and the bucket that receives its server access logs.

Both are private (all four public-access-block flags, ACLs disabled), versioned, encrypted and
TLS-only. The documents bucket's policy confines data-plane access to the Lambda role through the
VPC endpoint; see ``lib.policies.documents_bucket_policy``.
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
ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS: Final = 7


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


class S3Stack(pulumi.ComponentResource):
    """The documents bucket and its access-log bucket, each with its policy."""

    documents_bucket_name: pulumi.Output[str]
    documents_bucket_arn: pulumi.Output[str]
    access_logs_bucket_name: pulumi.Output[str]
    access_logs_bucket_arn: pulumi.Output[str]

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
        logs_policy = aws.s3.BucketPolicy(
            f"{name}-access-logs-policy",
            bucket=logs_bucket.id,
            policy=pulumi.Output.all(logs_bucket.arn, documents_bucket.arn, args.account_id).apply(
                lambda values: json.dumps(
                    policies.access_logs_bucket_policy(
                        bucket_arn=values[0],
                        log_prefix=ACCESS_LOG_PREFIX,
                        source_bucket_arn=values[1],
                        account_id=values[2],
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
                documents_bucket.arn, args.vpc_endpoint_id, args.lambda_role_arn, args.reconciler_role_arn
            ).apply(
                lambda values: json.dumps(
                    policies.documents_bucket_policy(
                        bucket_arn=values[0],
                        vpc_endpoint_id=values[1],
                        lambda_role_arn=values[2],
                        reconciler_role_arn=values[3],
                        break_glass_principal_arns=args.break_glass_principal_arns,
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[documents_public_access_block]),
        )

        self.documents_bucket_name = documents_bucket.bucket
        self.documents_bucket_arn = documents_bucket.arn
        self.access_logs_bucket_name = logs_bucket.bucket
        self.access_logs_bucket_arn = logs_bucket.arn
        self.register_outputs(
            {
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


def _abort_uploads_rule() -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="abort-incomplete-multipart-uploads",
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=ABORT_INCOMPLETE_UPLOADS_AFTER_DAYS
        ),
    )
