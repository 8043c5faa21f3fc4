"""IAM: IAM.1 and IAM.21 (CKV_AWS_1/62/274/355, CKV2_AWS_56, CKV_AWS_60/61 for trust policies) and
the project's least-privilege invariants for the two roles DESIGN §3 specifies: the Lambda role and
the Auditor role.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from . import tokens
from ._support import (
    Finding,
    PolicyDocumentError,
    StackResource,
    actions,
    as_list,
    condition_values,
    effect,
    is_public_principal,
    label,
    nested,
    of_type,
    policy_document,
    principal_values,
    props_only,
    refers_to,
    resource_policy,
    resources,
    resources_only,
    service_principals,
    stack_policy,
    statements,
    text,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pulumi_policy import Policy

    from ._support import Props

WILDCARD_RESOURCE_ACTIONS: Final = frozenset(
    {
        "ec2:AssignPrivateIpAddresses",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
        "ec2:UnassignPrivateIpAddresses",
        "xray:PutTelemetryRecords",
        "xray:PutTraceSegments",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries",
    }
)
"""Actions allowed on ``Resource: "*"`` (CKV_AWS_355 exception): X-Ray's have no resource type, the
EC2 describe calls support none, and Lambda's VPC ENI calls happen before the ENI exists (AWS's own
AWSLambdaVPCAccessExecutionRole grants them on ``*``)."""
ADMIN_POLICY_NAMES: Final = ("AdministratorAccess", "IAMFullAccess", "PowerUserAccess")
AUDITOR_ACTIONS: Final = frozenset({"logs:GetLogEvents", "logs:FilterLogEvents"})
LAMBDA_SERVICE: Final = "lambda.amazonaws.com"
S3_OBJECT_ACTION_PREFIXES: Final = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject")


# --- per-resource checks -------------------------------------------------------------------------


def identity_policy_violations(document_value: Any) -> list[str]:
    """IAM.1 (CKV_AWS_1/62): no ``*`` action; IAM.21: no ``service:*``; CKV_AWS_355: ``Resource "*"``
    only for actions that cannot be scoped."""
    try:
        document = policy_document(document_value)
    except PolicyDocumentError as error:
        return [f"IAM.1: the identity policy {error}."]
    problems: list[str] = []
    for statement in statements(document):
        if effect(statement) != "Allow":
            continue
        sid = statement.get("Sid", "(no Sid)")
        granted = actions(statement)
        if statement.get("NotAction") is not None:
            problems.append(
                f"IAM.1: statement {sid!r} uses Allow with NotAction, which grants everything not listed; "
                "list the actions instead."
            )
        if "*" in granted:
            problems.append(
                f"IAM.1 (CKV_AWS_1/62): statement {sid!r} allows every action ('*'): full administrator "
                "rights; list only the actions the principal needs."
            )
        service_wide = sorted(a for a in granted if a.endswith(":*"))
        if service_wide:
            problems.append(
                f"IAM.21: statement {sid!r} allows service-wide wildcards {service_wide}; list the "
                "specific actions."
            )
        unscoped = sorted(a for a in granted if a not in WILDCARD_RESOURCE_ACTIONS and a != "*")
        if "*" in resources(statement) and unscoped:
            problems.append(
                f"CKV_AWS_355: statement {sid!r} allows {unscoped} on Resource '*' although they support "
                "resource-level permissions; name the ARNs."
            )
    return problems


def role_violations(props: Props) -> list[str]:
    """Trust policy (CKV_AWS_60/61) and inline policies (IAM.1/IAM.21/CKV_AWS_355) of a role."""
    problems = trust_violations(props.get("assumeRolePolicy"))
    for inline in as_list(props.get("inlinePolicies")):
        if isinstance(inline, Mapping) and inline.get("policy"):
            problems.extend(identity_policy_violations(inline.get("policy")))
    return problems


def trust_violations(document_value: Any) -> list[str]:
    """CKV_AWS_60/61: a role is assumable only by named principals or services, never by ``*``."""
    try:
        document = policy_document(document_value)
    except PolicyDocumentError as error:
        return [f"CKV_AWS_60: the trust policy {error}."]
    return [
        f"CKV_AWS_60/61: trust statement {s.get('Sid', '(no Sid)')!r} lets every principal ('*') assume "
        "the role; name the service or account principals."
        for s in statements(document)
        if effect(s) == "Allow" and is_public_principal(s)
    ]


def attachment_violations(props: Props) -> list[str]:
    """IAM.1 (CKV_AWS_274, CKV2_AWS_56): no AWS-managed administrator policies."""
    arn = text(props.get("policyArn"))
    for name in ADMIN_POLICY_NAMES:
        if arn.endswith(f":policy/{name}"):
            return [
                f"IAM.1 (CKV_AWS_274/CKV2_AWS_56): {arn!r} grants administrator-level access; attach a "
                "least-privilege policy instead."
            ]
    return []


# --- stack checks --------------------------------------------------------------------------------


def _role_documents(role: StackResource, resources_: Sequence[StackResource]) -> list[Mapping[str, Any]]:
    """The role's identity policies: its RolePolicy resources and inline policies."""
    raw = [
        p.props.get("policy")
        for p in of_type(resources_, tokens.IAM_ROLE_POLICY)
        if refers_to(p.props.get("role"), role, "arn", "name")
    ] + [i.get("policy") for i in as_list(role.props.get("inlinePolicies")) if isinstance(i, Mapping)]
    documents: list[Mapping[str, Any]] = []
    for value in raw:
        if value:
            try:
                documents.append(policy_document(value))
            except PolicyDocumentError:
                continue  # reported by the per-resource policy
    return documents


def _under(arn: str, base: str) -> bool:
    return arn == base or arn.startswith(f"{base}:")


def lambda_role_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: the function's role trusts Lambda only; S3 object rights only under a key prefix of
    our buckets, listing only with an ``s3:prefix`` condition; KMS only through S3
    (``kms:ViaService``); log writes only to its own group."""
    findings: list[Finding] = []
    bucket_arns = {text(b.props.get("arn")) for b in of_type(resources_, tokens.BUCKET)} - {""}
    log_groups = {
        text(g.props.get("name")): text(g.props.get("arn")).removesuffix(":*")
        for g in of_type(resources_, tokens.LOG_GROUP)
    }
    for function in of_type(resources_, tokens.LAMBDA_FUNCTION):
        own_group = log_groups.get(text(nested(function.props, "loggingConfig", "logGroup")), "")
        for role in of_type(resources_, tokens.IAM_ROLE):
            if not refers_to(function.props.get("role"), role, "arn"):
                continue
            problems: list[str] = []
            try:
                trust = statements(policy_document(role.props.get("assumeRolePolicy")))
            except PolicyDocumentError:
                trust = []
            trusted = {p for s in trust if effect(s) == "Allow" for p in service_principals(s)}
            if trusted != {LAMBDA_SERVICE} or any(
                effect(s) == "Allow" and not service_principals(s) for s in trust
            ):
                problems.append(f"its trust policy must allow only the {LAMBDA_SERVICE!r} service principal")
            for statement in (s for d in _role_documents(role, resources_) for s in statements(d)):
                if effect(statement) != "Allow":
                    continue
                problems.extend(_lambda_statement_problems(statement, bucket_arns, own_group))
            findings.extend(
                Finding(f"Lambda role {label(role)} of {label(function)}: {problem}.", role.urn)
                for problem in problems
            )
    return findings


def _lambda_statement_problems(
    statement: Mapping[str, Any], bucket_arns: set[str], own_group: str
) -> Iterable[str]:
    sid = statement.get("Sid", "(no Sid)")
    granted = actions(statement)
    scoped = resources(statement)
    if any(a.startswith(S3_OBJECT_ACTION_PREFIXES) for a in granted):
        for arn in scoped:
            bucket, _, key = arn.partition("/")
            if bucket not in bucket_arns or key in ("", "*"):
                yield (
                    f"statement {sid!r} grants object actions on {arn!r}; scope them to a key prefix of "
                    "the documents bucket ('<bucket arn>/documents/*')"
                )
    prefixes = condition_values(statement, ("StringLike", "StringEquals"), "s3:prefix")
    if "s3:ListBucket" in granted and not prefixes:
        yield f"statement {sid!r} allows s3:ListBucket without a condition; add StringLike s3:prefix"
    if any(a.startswith("kms:") for a in granted) and not condition_values(
        statement, ("StringEquals", "StringLike"), "kms:ViaService"
    ):
        yield (
            f"statement {sid!r} allows {sorted(a for a in granted if a.startswith('kms:'))} without a "
            "kms:ViaService condition, so the function could use the key directly (e.g. decrypt any "
            "ciphertext made with it); add StringEquals kms:ViaService 's3.<region>.amazonaws.com'"
        )
    if any(a.startswith("logs:") for a in granted):
        for arn in scoped:
            if not own_group or not _under(arn, own_group):
                yield (
                    f"statement {sid!r} grants log actions on {arn!r}; the function may write only to its "
                    f"own log group {own_group or '(none found)'!r}"
                )


def _trusts_account_without_mfa(role: StackResource) -> bool:
    try:
        trust = statements(policy_document(role.props.get("assumeRolePolicy")))
    except PolicyDocumentError:
        return False  # reported by the per-resource role policy
    return any(
        effect(s) == "Allow"
        and any(p.endswith(":root") or p.isdigit() for p in principal_values(s))
        and "true" not in [v.lower() for v in condition_values(s, ("Bool",), "aws:MultiFactorAuthPresent")]
        for s in trust
    )


def auditor_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project (DESIGN §1, §3): a role can read the Lambda log events, that role can do nothing else,
    and when it trusts a whole account, only callers who signed in with MFA may assume it."""
    function_groups = {
        text(nested(f.props, "loggingConfig", "logGroup"))
        for f in of_type(resources_, tokens.LAMBDA_FUNCTION)
    } - {""}
    group_arns = {
        text(g.props.get("arn")).removesuffix(":*")
        for g in of_type(resources_, tokens.LOG_GROUP)
        if text(g.props.get("name")) in function_groups
    } - {""}
    findings: list[Finding] = []
    auditors = 0
    for role in of_type(resources_, tokens.IAM_ROLE):
        documents = _role_documents(role, resources_)
        granted = {a for d in documents for s in statements(d) if effect(s) == "Allow" for a in actions(s)}
        if not granted & AUDITOR_ACTIONS:
            continue
        auditors += 1
        extra = sorted(granted - AUDITOR_ACTIONS)
        if extra:
            findings.append(
                Finding(
                    f"Auditor role {label(role)} reads log events but is also allowed {extra}; the "
                    "Auditor may only call logs:GetLogEvents and logs:FilterLogEvents.",
                    role.urn,
                )
            )
        stray = sorted(
            arn
            for d in documents
            for s in statements(d)
            if effect(s) == "Allow"
            for arn in resources(s)
            if not any(_under(arn, group) for group in group_arns)
        )
        if stray:
            findings.append(
                Finding(
                    f"Auditor role {label(role)} may read {stray}; scope it to the function's log group "
                    f"{sorted(group_arns)} ('<arn>' and '<arn>:log-stream:*').",
                    role.urn,
                )
            )
        if _trusts_account_without_mfa(role):
            findings.append(
                Finding(
                    f"Auditor role {label(role)} trusts a whole account without requiring MFA; add "
                    "Condition Bool aws:MultiFactorAuthPresent='true' (or trust named principals).",
                    role.urn,
                )
            )
    if function_groups and not auditors:
        findings.append(
            Finding(
                "no Auditor role: DESIGN requires a role that can only logs:GetLogEvents and "
                "logs:FilterLogEvents on the function's log group; add it (CloudWatchStack)."
            )
        )
    return findings


# --- the policies --------------------------------------------------------------------------------

POLICIES: Final[list[Policy]] = [
    resource_policy(
        name="iam-1-iam-21-ckv-aws-1-62-355-identity-policies",
        description="Identity policies grant no '*' or 'service:*' actions and use Resource '*' only for "
        "actions that cannot be scoped (IAM.1, IAM.21; CKV_AWS_1, CKV_AWS_62, CKV_AWS_355).",
        resource_types=tokens.IAM_POLICY_DOCUMENTS,
        check=lambda props, config: identity_policy_violations(props.get("policy")),
    ),
    resource_policy(
        name="iam-1-iam-21-ckv-aws-60-61-roles",
        description="Roles are assumable only by named principals and their inline policies follow IAM.1/"
        "IAM.21 (CKV_AWS_60, CKV_AWS_61).",
        resource_types=tokens.IAM_ROLE,
        check=props_only(role_violations),
    ),
    resource_policy(
        name="iam-1-ckv-aws-274-ckv2-aws-56-no-admin-attachments",
        description="No AWS-managed administrator policy is attached (IAM.1; CKV_AWS_274, CKV2_AWS_56).",
        resource_types=tokens.IAM_POLICY_ATTACHMENTS,
        check=props_only(attachment_violations),
    ),
    stack_policy(
        name="project-lambda-role-least-privilege",
        description="The function's role trusts Lambda only and is scoped to its bucket prefix and its own "
        "log group (DESIGN §3).",
        check=resources_only(lambda_role_findings),
    ),
    stack_policy(
        name="project-auditor-role-read-only",
        description="An Auditor role can only GetLogEvents/FilterLogEvents on the function's log group "
        "(DESIGN §1).",
        check=resources_only(auditor_findings),
    ),
]
