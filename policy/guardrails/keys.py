"""KMS: KMS.3/4/5 (CKV_AWS_7/33/227, CKV2_AWS_64) where keys exist, and KMS mode: once the stack
creates a customer-managed key, S3.17 (CKV_AWS_145) and CKV_AWS_158 stop being advisory: the
documents bucket and every log group must use that key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from . import tokens
from ._support import (
    Finding,
    PolicyDocumentError,
    StackResource,
    as_list,
    effect,
    has_condition,
    identifiers,
    is_false,
    is_public_principal,
    is_true,
    label,
    nested,
    number,
    of_type,
    policy_document,
    props_only,
    resource_policy,
    resources_only,
    stack_policy,
    statements,
    text,
)
from .s3 import KMS_SSE_ALGORITHMS, buckets, companions_of, log_target_buckets

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pulumi_policy import Policy

    from ._support import Props

MINIMUM_DELETION_WINDOW_DAYS: Final = 30
"""The longest window KMS allows: the most time to notice and cancel an unintended deletion."""
SYMMETRIC_KEY_SPEC: Final = "SYMMETRIC_DEFAULT"


# --- per-resource checks -------------------------------------------------------------------------


def key_violations(props: Props) -> list[str]:
    """KMS.4 (CKV_AWS_7) rotation; KMS.3 (CKV_AWS_227) enabled, with the longest deletion window."""
    problems: list[str] = []
    spec = text(props.get("customerMasterKeySpec")) or text(props.get("keySpec")) or SYMMETRIC_KEY_SPEC
    if spec == SYMMETRIC_KEY_SPEC and not is_true(props.get("enableKeyRotation")):
        problems.append("KMS.4 (CKV_AWS_7): key rotation is off; set enable_key_rotation=True.")
    if is_false(props.get("isEnabled")):
        problems.append(
            "KMS.3 (CKV_AWS_227): the key is disabled, so everything encrypted with it is unreadable; "
            "set is_enabled=True."
        )
    window = number(props.get("deletionWindowInDays"))
    if window is not None and window < MINIMUM_DELETION_WINDOW_DAYS:
        problems.append(
            f"KMS.3: deletion_window_in_days is {int(window)}; use {MINIMUM_DELETION_WINDOW_DAYS} so an "
            "unintended deletion (e.g. a destroy) can be noticed and cancelled before the data is lost."
        )
    return problems


def key_policy_violations(props: Props) -> list[str]:
    """KMS.5 (CKV_AWS_33): no unconditional grant to everyone; CKV2_AWS_64: a policy is defined."""
    if props.get("policy") in (None, ""):
        return [
            "CKV2_AWS_64: the key has no explicit key policy; define one (account administration "
            "through IAM plus the service principals that need the key)."
        ]
    try:
        document = policy_document(props.get("policy"))
    except PolicyDocumentError as error:
        return [f"KMS.5: the key {error}."]
    return [
        f"KMS.5 (CKV_AWS_33): key policy statement {s.get('Sid', '(no Sid)')!r} allows "
        f"{as_list(s.get('Action'))} to every principal without a condition; name the principals."
        for s in statements(document)
        if effect(s) == "Allow" and is_public_principal(s) and not has_condition(s)
    ]


# --- stack checks --------------------------------------------------------------------------------


def key_references(resources_: Sequence[StackResource]) -> set[str]:
    """Every value that names one of the stack's customer-managed keys (key id, key ARN, alias)."""
    keys = of_type(resources_, tokens.KMS_KEY)
    references = {ref for key in keys for ref in identifiers(key, "arn", "keyId")}
    aliases = of_type(resources_, ("aws:kms/alias:Alias",))
    references |= {ref for alias in aliases for ref in identifiers(alias, "arn", "name")}
    return references


def kms_mode_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """KMS mode (a customer-managed key in the stack): data buckets and log groups use it."""
    references = key_references(resources_)
    if not of_type(resources_, tokens.KMS_KEY):
        return []
    findings: list[Finding] = []
    exempt = log_target_buckets(resources_)
    for bucket in buckets(resources_):
        if bucket in exempt:
            continue
        for configuration in companions_of(bucket, resources_, tokens.BUCKET_ENCRYPTION):
            for rule in as_list(configuration.props.get("rules")):
                algorithm = text(nested(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm"))
                key = text(nested(rule, "applyServerSideEncryptionByDefault", "kmsMasterKeyId"))
                if algorithm not in KMS_SSE_ALGORITHMS or key not in references:
                    findings.append(
                        Finding(
                            f"S3.17 (CKV_AWS_145): in KMS mode bucket {label(bucket)} must be encrypted "
                            f"with the stack's customer-managed key, but uses {algorithm or 'unset'!r} "
                            f"with key {key or 'unset'!r}; set sse_algorithm='aws:kms' and "
                            "kms_master_key_id=<key arn>.",
                            configuration.urn,
                        )
                    )
                elif not is_true(nested(rule, "bucketKeyEnabled")):
                    findings.append(
                        Finding(
                            f"S3.17: bucket {label(bucket)} uses SSE-KMS without an S3 bucket key, so "
                            "every object request calls KMS (cost, throttling); set bucket_key_enabled=True.",
                            configuration.urn,
                        )
                    )
    for group in of_type(resources_, tokens.LOG_GROUP):
        if text(group.props.get("kmsKeyId")) not in references:
            findings.append(
                Finding(
                    f"CKV_AWS_158: in KMS mode log group {label(group)} must be encrypted with the stack's "
                    "customer-managed key; set kms_key_id=<key arn>.",
                    group.urn,
                )
            )
    return findings


# --- the policies --------------------------------------------------------------------------------

POLICIES: Final[list[Policy]] = [
    resource_policy(
        name="kms-3-kms-4-ckv-aws-7-227-key-settings",
        description="Customer-managed keys rotate, stay enabled and have the longest deletion window "
        "(KMS.3, KMS.4; CKV_AWS_7, CKV_AWS_227).",
        resource_types=tokens.KMS_KEY,
        check=props_only(key_violations),
    ),
    resource_policy(
        name="kms-5-ckv-aws-33-ckv2-aws-64-key-policy",
        description="Key policies exist and grant nothing to everyone unconditionally (KMS.5; CKV_AWS_33, "
        "CKV2_AWS_64).",
        resource_types=(*tokens.KMS_KEY, *tokens.KMS_KEY_POLICY),
        check=props_only(key_policy_violations),
    ),
    stack_policy(
        name="s3-17-ckv-aws-145-158-kms-mode",
        description="In KMS mode (the stack creates a customer-managed key) the documents bucket and every "
        "log group use that key (S3.17; CKV_AWS_145, CKV_AWS_158).",
        check=resources_only(kms_mode_findings),
    ),
]
