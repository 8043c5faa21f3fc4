"""Log groups are created by us, before anything writes to them, so retention and encryption apply.

(A group that a service creates on first write has no retention: logs would be kept forever, and a
later attempt to create it with retention fails because it already exists.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi_aws as aws

if TYPE_CHECKING:
    import pulumi


def managed_log_group(
    resource_name: str,
    *,
    name: pulumi.Input[str],
    retention_days: int,
    kms_key_arn: pulumi.Input[str] | None,
    opts: pulumi.ResourceOptions,
) -> aws.cloudwatch.LogGroup:
    """A log group with retention, and with the customer-managed key in KMS mode."""
    return aws.cloudwatch.LogGroup(
        resource_name,
        name=name,
        retention_in_days=retention_days,
        kms_key_id=kms_key_arn,
        opts=opts,
    )
