"""S3: Security Hub S3.1/2/3/5/8/9/12/13/14/17 and the matching checkov rules, plus the project's
bucket-policy invariants (DESIGN §3: three data-plane denies naming our endpoint and our role).

A bucket's settings live in separate v7 resources (versioning, encryption, ...) that name the bucket
by its id (= its name). Per-resource policies check each setting's value; stack policies check that
every bucket *has* each setting, which a per-resource policy cannot see.
"""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import PolicyConfigSchema

from . import tokens
from ._support import (
    ADVISORY,
    Finding,
    PolicyDocumentError,
    StackResource,
    actions,
    as_list,
    condition_values,
    covers,
    denies_insecure_transport,
    denies_outdated_tls,
    effect,
    is_public_principal,
    is_true,
    label,
    nested,
    number,
    of_type,
    policy_document,
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
from .network import s3_gateway_endpoints

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from pulumi_policy import Policy

    from ._support import Config, Props

PUBLIC_CANNED_ACLS: Final = frozenset({"public-read", "public-read-write", "authenticated-read"})
PUBLIC_GRANTEE_URIS: Final = frozenset(
    {
        "http://acs.amazonaws.com/groups/global/AllUsers",
        "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    }
)
PUBLIC_ACCESS_BLOCK_FLAGS: Final = (
    ("blockPublicAcls", "CKV_AWS_53"),
    ("blockPublicPolicy", "CKV_AWS_54"),
    ("ignorePublicAcls", "CKV_AWS_55"),
    ("restrictPublicBuckets", "CKV_AWS_56"),
)
ACCEPTED_SSE_ALGORITHMS: Final = frozenset({"AES256", "aws:kms", "aws:kms:dsse"})
KMS_SSE_ALGORITHMS: Final = frozenset({"aws:kms", "aws:kms:dsse"})
DEFAULT_MINIMUM_TLS_VERSION: Final = "1.2"
LOG_DELIVERY_SERVICE: Final = "logging.s3.amazonaws.com"
REQUIRED_DATA_ACTIONS: Final = frozenset(
    {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"}
)
"""The data-plane denies must cover at least these: read, write and delete document content, older
versions included (the bucket is versioned: ``GetObjectVersion`` reads a replaced or deleted
document, ``DeleteObjectVersion`` destroys one for good)."""
MANAGEMENT_ACTIONS: Final = frozenset(
    {
        "s3:PutBucketPolicy",
        "s3:GetBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutEncryptionConfiguration",
        "s3:PutBucketVersioning",
        "s3:ListBucket",
    }
)
"""Actions a deny with endpoint/principal conditions must never cover: they would lock the deploying
principal out of managing the bucket (CKV_AWS_93; the reference implementation's failure).
``s3:ListBucket`` is here because S3 authorises ``HeadBucket`` with it, which the provider calls on
every read of the bucket."""
NOT_EQUAL_OPERATORS: Final = ("StringNotEquals", "StringNotEqualsIgnoreCase")
ARN_NOT_EQUAL_OPERATORS: Final = ("ArnNotEquals", "ArnNotLike", "StringNotEquals", "StringNotLike")
STRING_OPERATORS: Final = (
    "StringEquals",
    "StringNotEquals",
    "StringEqualsIgnoreCase",
    "StringNotEqualsIgnoreCase",
    "StringLike",
    "StringNotLike",
)


# --- per-resource checks -------------------------------------------------------------------------


def public_acl_violations(props: Props) -> list[str]:
    """S3.2/S3.3, CKV_AWS_20/57: no canned ACL or grant that opens the bucket to everyone."""
    problems: list[str] = []
    acl = text(props.get("acl"))
    if acl in PUBLIC_CANNED_ACLS:
        problems.append(
            f"S3.2/S3.3 (CKV_AWS_20/57): canned ACL {acl!r} makes the bucket readable or writable by "
            "anyone; remove the ACL (ownership BucketOwnerEnforced disables ACLs) and grant access "
            "with IAM or the bucket policy."
        )
    grants = as_list(nested(props, "accessControlPolicy", "grants")) + as_list(props.get("grants"))
    for grant in grants:
        uri = text(nested(grant, "grantee", "uri")) or text(nested(grant, "uri"))
        if uri in PUBLIC_GRANTEE_URIS:
            problems.append(
                f"S3.2/S3.3 (CKV_AWS_20/57): an ACL grant to {uri!r} opens the bucket to everyone; "
                "remove the grant."
            )
    return problems


def public_access_block_violations(props: Props) -> list[str]:
    """S3.8, CKV_AWS_53-56: all four bucket-level public-access-block flags on."""
    return [
        f"S3.8 ({check_id}): {flag} is not true; set block_public_acls, block_public_policy, "
        "ignore_public_acls and restrict_public_buckets to True on aws.s3.BucketPublicAccessBlock."
        for flag, check_id in PUBLIC_ACCESS_BLOCK_FLAGS
        if not is_true(props.get(flag))
    ]


def ownership_violations(props: Props) -> list[str]:
    """S3.12, CKV2_AWS_65: ACLs disabled (object ownership ``BucketOwnerEnforced``)."""
    ownership = text(nested(props, "rule", "objectOwnership"))
    if ownership == "BucketOwnerEnforced":
        return []
    return [
        f"S3.12 (CKV2_AWS_65): object ownership is {ownership or 'unset'!r}, so ACLs still grant "
        "access; set rule.object_ownership='BucketOwnerEnforced' on aws.s3.BucketOwnershipControls."
    ]


def versioning_violations(props: Props) -> list[str]:
    """S3.14, CKV_AWS_21: versioning enabled (recovers overwritten and deleted documents)."""
    status = text(nested(props, "versioningConfiguration", "status"))
    if status == "Enabled":
        return []
    return [
        f"S3.14 (CKV_AWS_21): versioning status is {status or 'unset'!r}; set "
        "versioning_configuration.status='Enabled' on aws.s3.BucketVersioning."
    ]


def _default_encryption(props: Props) -> list[Mapping[str, Any]]:
    defaults = [nested(rule, "applyServerSideEncryptionByDefault") for rule in as_list(props.get("rules"))]
    return [default for default in defaults if isinstance(default, Mapping)]


def encryption_violations(props: Props) -> list[str]:
    """CKV_AWS_19: default encryption configured with SSE-S3 or SSE-KMS."""
    algorithms = [text(d.get("sseAlgorithm")) for d in _default_encryption(props)]
    if algorithms and all(a in ACCEPTED_SSE_ALGORITHMS for a in algorithms):
        return []
    return [
        f"CKV_AWS_19: default encryption algorithm is {algorithms or 'unset'!r}; set "
        "rules[0].apply_server_side_encryption_by_default.sse_algorithm to 'AES256' (SSE-S3) or "
        "'aws:kms' on aws.s3.BucketServerSideEncryptionConfiguration."
    ]


def sse_kms_advisories(props: Props) -> list[str]:
    """S3.17, CKV_AWS_145 (advisory): SSE-KMS. SSE-S3 is the requirement's default; see docs."""
    algorithms = {text(d.get("sseAlgorithm")) for d in _default_encryption(props)}
    if algorithms and algorithms <= KMS_SSE_ALGORITHMS:
        return []
    return [
        "S3.17 (CKV_AWS_145): the bucket uses SSE-S3, not a KMS key. This is the project's default "
        "(AWS-managed AES-256, no key to manage); set config encryptionMode=KMS to encrypt the "
        "documents bucket with a customer-managed key. Access-log buckets stay SSE-S3: S3 server "
        "access logging cannot deliver to a bucket whose default encryption is SSE-KMS."
    ]


def lifecycle_violations(props: Props) -> list[str]:
    """S3.13, CKV2_AWS_61: an enabled lifecycle rule; project: incomplete uploads are aborted."""
    rules = [r for r in as_list(props.get("rules")) if text(nested(r, "status")) == "Enabled"]
    if not rules:
        return [
            "S3.13 (CKV2_AWS_61): the lifecycle configuration has no enabled rule; add a rule with "
            "status='Enabled' (e.g. noncurrent-version expiration) to aws.s3.BucketLifecycleConfiguration."
        ]
    if not any(number(nested(r, "abortIncompleteMultipartUpload", "daysAfterInitiation")) for r in rules):
        return [
            "S3.13: no enabled rule aborts incomplete multipart uploads, whose parts are stored (and "
            "billed) forever; add abort_incomplete_multipart_upload.days_after_initiation to a rule."
        ]
    return []


def logging_violations(props: Props) -> list[str]:
    """S3.9, CKV_AWS_18: access logs go to a separate bucket."""
    target, bucket = text(props.get("targetBucket")), text(props.get("bucket"))
    if not target:
        return ["S3.9 (CKV_AWS_18): server access logging has no target bucket; set target_bucket."]
    if target == bucket:
        return [
            "S3.9 (CKV_AWS_18): the bucket logs into itself, so every log delivery writes another "
            "log record; send the logs to a separate access-log bucket."
        ]
    return []


def bucket_policy_violations(props: Props) -> list[str]:
    """S3.2/S3.3 (CKV_AWS_70), S3.5 and CKV_AWS_93 on any bucket policy."""
    try:
        document = policy_document(props.get("policy"))
    except PolicyDocumentError as error:
        return [f"S3.5: {error}; the bucket policy must be a JSON policy that denies non-TLS requests."]
    problems: list[str] = []
    for statement in statements(document):
        if effect(statement) == "Allow" and is_public_principal(statement):
            problems.append(
                f"S3.2/S3.3 (CKV_AWS_70): statement {statement.get('Sid', '(no Sid)')!r} allows "
                f"{actions(statement)} to every principal ('*'); name the principals (or a service "
                "principal with aws:SourceAccount/aws:SourceArn conditions) instead."
            )
        if effect(statement) == "Deny" and _locks_out_management(statement):
            problems.append(
                f"CKV_AWS_93: statement {statement.get('Sid', '(no Sid)')!r} denies bucket management "
                "to everyone outside an endpoint/principal condition, which locks the deploying "
                "principal out; deny only object data actions there (reads, writes, versions; not "
                "s3:ListBucket, which authorises the HeadBucket every provider read makes)."
            )
    if not denies_insecure_transport(document):
        problems.append(
            "S3.5: the bucket policy does not deny requests without TLS; add a Deny of 's3:*' to "
            "Principal '*' with Condition Bool aws:SecureTransport='false'."
        )
    return problems


def _locks_out_management(statement: Mapping[str, Any]) -> bool:
    """A deny-to-everyone, conditioned on something other than transport, covering management."""
    if not is_public_principal(statement):
        return False
    transport_only = bool(
        condition_values(statement, ("Bool",), "aws:SecureTransport")
        or condition_values(statement, ("NumericLessThan",), "s3:TlsVersion")
    )
    if transport_only:
        return False
    return any(covers(statement, action) for action in MANAGEMENT_ACTIONS)


def account_public_access_block_violations(props: Props) -> list[str]:
    """S3.1: the account-level block, when this stack manages it."""
    return [
        f"S3.1: account-level {flag} is not true; set it on aws.s3.AccountPublicAccessBlock."
        for flag, _ in PUBLIC_ACCESS_BLOCK_FLAGS
        if not is_true(props.get(flag))
    ]


# --- stack checks --------------------------------------------------------------------------------


def buckets(resources_: Sequence[StackResource]) -> list[StackResource]:
    return of_type(resources_, tokens.BUCKET)


def log_target_buckets(resources_: Sequence[StackResource]) -> list[StackResource]:
    """Buckets that receive another bucket's server access logs."""
    targets = [text(r.props.get("targetBucket")) for r in of_type(resources_, tokens.BUCKET_LOGGING)]
    return [b for b in buckets(resources_) if any(refers_to(t, b, "bucket") for t in targets)]


def companions_of(
    bucket: StackResource, resources_: Sequence[StackResource], types: Collection[str]
) -> list[StackResource]:
    return [r for r in of_type(resources_, types) if refers_to(r.props.get("bucket"), bucket, "bucket")]


def buckets_missing(
    resources_: Sequence[StackResource],
    types: Collection[str],
    message: str,
    *,
    exempt: Collection[StackResource] = (),
) -> list[Finding]:
    """Every bucket (except ``exempt``) has at least one resource of ``types`` naming it."""
    return [
        Finding(f"bucket {label(bucket)}: {message}", bucket.urn)
        for bucket in buckets(resources_)
        if bucket not in exempt and not companions_of(bucket, resources_, types)
    ]


def unlogged_buckets(resources_: Sequence[StackResource]) -> list[Finding]:
    """S3.9: every bucket except the access-log target itself (logging it would loop)."""
    return buckets_missing(
        resources_,
        tokens.BUCKET_LOGGING,
        "S3.9 (CKV_AWS_18): no server access logging; add aws.s3.BucketLogging with the access-log "
        "bucket as target_bucket.",
        exempt=log_target_buckets(resources_),
    )


def documents_bucket_policy_findings(
    resources_: Sequence[StackResource], *, minimum_tls: str = DEFAULT_MINIMUM_TLS_VERSION
) -> list[Finding]:
    """DESIGN §3: each data bucket's policy has the three denies, naming our endpoint and our role."""
    endpoints = s3_gateway_endpoints(resources_)
    roles = [text(f.props.get("role")) for f in of_type(resources_, tokens.LAMBDA_FUNCTION)]
    findings: list[Finding] = []
    # Log targets have their own policy check, quarantine buckets too ('project-ingest-quarantine-bucket').
    exempt = [
        *log_target_buckets(resources_),
        *(b for b in quarantine_buckets(resources_) if not quarantine_problems(b, resources_)),
    ]
    for bucket in buckets(resources_):
        if bucket in exempt:
            continue
        bucket_policies = companions_of(bucket, resources_, tokens.BUCKET_POLICY)
        if not bucket_policies:
            findings.append(
                Finding(
                    f"bucket {label(bucket)}: S3.5 / data-plane denies: the bucket has no policy; add "
                    "aws.s3.BucketPolicy with the TLS, endpoint and principal denies.",
                    bucket.urn,
                )
            )
            continue
        for bucket_policy in bucket_policies:
            try:
                document = policy_document(bucket_policy.props.get("policy"))
            except PolicyDocumentError as error:
                findings.append(Finding(f"{label(bucket_policy)}: {error}.", bucket_policy.urn))
                continue
            findings.extend(
                Finding(f"{label(bucket_policy)}: {problem}", bucket_policy.urn)
                for problem in [
                    *_data_bucket_policy_problems(document, endpoints, roles, minimum_tls),
                    *_object_coverage_problems(document, text(bucket.props.get("arn"))),
                ]
            )
    return findings


def _data_bucket_policy_problems(
    document: Mapping[str, Any],
    endpoints: Sequence[StackResource],
    lambda_roles: Sequence[str],
    minimum_tls: str,
) -> list[str]:
    problems: list[str] = []
    if not denies_insecure_transport(document):
        problems.append("deny #1 missing: no Deny of 's3:*' when aws:SecureTransport is 'false' (S3.5).")
    if not denies_outdated_tls(document, minimum=minimum_tls):
        problems.append(
            f"deny #1 missing: no Deny of 's3:*' when s3:TlsVersion is NumericLessThan {minimum_tls!r}."
        )
    data_denies = [
        s
        for s in statements(document)
        if effect(s) == "Deny" and is_public_principal(s) and all(covers(s, a) for a in REQUIRED_DATA_ACTIONS)
    ]
    required = ", ".join(sorted(a.removeprefix("s3:") for a in REQUIRED_DATA_ACTIONS))
    # DESIGN §4.2's one exception: GetObject may leave the endpoint-only deny when the presigned-download
    # denies stand in for it (a recent SigV4 URL signed by our role). Every other action stays endpoint-only.
    endpoint_required = REQUIRED_DATA_ACTIONS
    presigned_get = not presigned_exception_problems(
        document, "s3:GetObject", lambda_roles, MAX_DOWNLOAD_SIGNATURE_AGE_MS
    )
    if presigned_get:
        endpoint_required = REQUIRED_DATA_ACTIONS - {"s3:GetObject"}
    endpoint_candidates = [
        s
        for s in statements(document)
        if effect(s) == "Deny" and is_public_principal(s) and all(covers(s, a) for a in endpoint_required)
    ]
    # Conditions in one statement are ANDed: a deny that also exempts the Lambda role from the
    # endpoint condition lets the role in from anywhere, and a principal deny that also carries an
    # endpoint condition denies other principals only outside the VPC. Neither counts.
    endpoint_denies = [
        s for s in endpoint_candidates if condition_values(s, NOT_EQUAL_OPERATORS, "aws:SourceVpce")
    ]
    strict_endpoint_denies = [
        s
        for s in endpoint_denies
        if not set(lambda_roles) & set(condition_values(s, ARN_NOT_EQUAL_OPERATORS, "aws:PrincipalArn"))
    ]
    principal_denies = [
        s for s in data_denies if condition_values(s, ARN_NOT_EQUAL_OPERATORS, "aws:PrincipalArn")
    ]
    strict_principal_denies = [
        s for s in principal_denies if not condition_values(s, STRING_OPERATORS, "aws:SourceVpce")
    ]
    if not endpoint_denies:
        endpoint_names = ", ".join(sorted(a.removeprefix("s3:") for a in endpoint_required))
        problems.append(
            f"deny #2 missing: no Deny of the object data actions ({endpoint_names}) with StringNotEquals "
            "aws:SourceVpce = the S3 gateway endpoint id."
        )
    elif not strict_endpoint_denies:
        problems.append(
            "deny #2 exempts the Lambda role (aws:PrincipalArn in the same statement), so the role's "
            "requests from outside the VPC endpoint are not denied; only break-glass principals may be "
            "exempted there."
        )
    elif not any(
        refers_to(value, endpoint)
        for s in strict_endpoint_denies
        for value in condition_values(s, NOT_EQUAL_OPERATORS, "aws:SourceVpce")
        for endpoint in endpoints
    ):
        problems.append(
            "deny #2 names no S3 gateway endpoint of this stack in aws:SourceVpce; use the "
            "endpoint's id (aws.ec2.VpcEndpoint.id)."
        )
    if not principal_denies:
        problems.append(
            f"deny #3 missing: no Deny of the object data actions ({required}) with ArnNotEquals "
            "aws:PrincipalArn = the Lambda execution role's ARN."
        )
    elif not strict_principal_denies:
        problems.append(
            "deny #3 is also conditioned on aws:SourceVpce, so other principals are denied only outside "
            "the endpoint (anything running in the VPC could read documents); give the principal deny a "
            "statement of its own."
        )
    elif not set(lambda_roles) & {
        value
        for s in strict_principal_denies
        for value in condition_values(s, ARN_NOT_EQUAL_OPERATORS, "aws:PrincipalArn")
    }:
        problems.append(
            "deny #3 does not name the Lambda function's execution role in aws:PrincipalArn, so the "
            "function would be denied (or another principal allowed); use the role's ARN."
        )
    return problems


def _object_coverage_problems(document: Mapping[str, Any], bucket_arn: str) -> list[str]:
    """A deny of object actions whose ``Resource`` misses ``<bucket arn>/*`` denies nothing: S3
    authorises object requests against the object's ARN, not the bucket's."""
    if not bucket_arn:
        return []
    objects = f"{bucket_arn}/*"
    return [
        f"statement {s.get('Sid', '(no Sid)')!r} denies object actions on {resources(s)} only, which "
        f"does not include the bucket's objects, so no request for a document is denied; add {objects!r} "
        "to its Resource."
        for s in statements(document)
        if effect(s) == "Deny"
        and s.get("NotResource") is None
        and (covers(s, "s3:GetObject") or covers(s, "s3:PutObject"))
        and not any(fnmatchcase(objects, pattern) for pattern in resources(s))
    ]


QUERY_STRING_AUTH: Final = "REST-QUERY-STRING"
SIGV4: Final = "AWS4-HMAC-SHA256"
MAX_UPLOAD_SIGNATURE_AGE_MS: Final = 900_000
"""DESIGN §4.2: part URLs live at most 15 minutes, so the ingest policy's age bound may not exceed it."""
MAX_DOWNLOAD_SIGNATURE_AGE_MS: Final = 300_000
"""DESIGN §4.2: download URLs live at most 5 minutes."""
MAX_QUARANTINE_DAYS: Final = 7
"""A quarantine bucket's lifecycle expires objects and aborts uploads within a week (ours: 2 and 1 days)."""


def presigned_exception_problems(
    document: Mapping[str, Any], action: str, signer_roles: Collection[str], max_age_ms: int
) -> list[str]:
    """``action`` from outside the endpoint only as a recent SigV4 query-string URL one of our function
    roles signed (DESIGN §4.2): four Deny statements, each "outside the endpoint AND one requirement
    broken" (IAM ANDs inside a statement). Empty when all four are there."""
    outside = [
        s
        for s in statements(document)
        if effect(s) == "Deny"
        and is_public_principal(s)
        and covers(s, action)
        and condition_values(s, NOT_EQUAL_OPERATORS, "aws:SourceVpce")
    ]
    name = action.removeprefix("s3:")
    problems: list[str] = []
    if not any(QUERY_STRING_AUTH in condition_values(s, NOT_EQUAL_OPERATORS, "s3:authType") for s in outside):
        problems.append(
            f"no Deny of {name} outside the endpoint unless s3:authType is {QUERY_STRING_AUTH!r} (presigned "
            "URLs only)."
        )
    if not any(SIGV4 in condition_values(s, NOT_EQUAL_OPERATORS, "s3:signatureversion") for s in outside):
        problems.append(
            f"no Deny of {name} outside the endpoint unless s3:signatureversion is {SIGV4!r} (SigV2 URLs "
            "report an age of 0)."
        )
    ages = [
        _numeric_text(value)
        for s in outside
        for value in condition_values(
            s, ("NumericGreaterThan", "NumericGreaterThanIfExists"), "s3:signatureAge"
        )
    ]
    if not any(age is not None and 0 < age <= max_age_ms for age in ages):
        problems.append(
            f"no Deny of {name} outside the endpoint with s3:signatureAge NumericGreaterThanIfExists at most "
            f"{max_age_ms} (ms); found {ages or 'none'}."
        )
    signers = [set(condition_values(s, ARN_NOT_EQUAL_OPERATORS, "aws:PrincipalArn")) for s in outside]
    # Others may be named beside our role (break-glass principals keep their own way in).
    if not any(names & set(signer_roles) for names in signers):
        problems.append(
            f"no Deny of {name} outside the endpoint unless aws:PrincipalArn is our function role that "
            "signs the URLs (any other signer must be refused)."
        )
    return problems


def _numeric_text(value: Any) -> float | None:
    """Numeric condition values are strings in policy JSON ("900000")."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def is_versioned(bucket: StackResource, resources_: Sequence[StackResource]) -> bool:
    return any(
        text(nested(v.props, "versioningConfiguration", "status")) == "Enabled"
        for v in companions_of(bucket, resources_, tokens.BUCKET_VERSIONING)
    )


def quarantine_problems(bucket: StackResource, resources_: Sequence[StackResource]) -> list[str]:
    """What an unversioned bucket lacks to be a quarantine (the ingest bucket, DESIGN §4.2), where a
    delete must really remove the bytes: the presign-only policy and a lifecycle that cleans up."""
    roles = [text(f.props.get("role")) for f in of_type(resources_, tokens.LAMBDA_FUNCTION)]
    endpoints = s3_gateway_endpoints(resources_)
    arn = text(bucket.props.get("arn"))
    problems: list[str] = []
    documents: list[Mapping[str, Any]] = []
    for bucket_policy in companions_of(bucket, resources_, tokens.BUCKET_POLICY):
        try:
            documents.append(policy_document(bucket_policy.props.get("policy")))
        except PolicyDocumentError as error:
            problems.append(f"{label(bucket_policy)}: {error}.")
    if not documents:
        problems.append("it has no bucket policy (the presign-only policy of DESIGN §4.2).")
    for document in documents:
        denies = [s for s in statements(document) if effect(s) == "Deny" and is_public_principal(s)]
        confined = [
            s
            for s in denies
            if covers(s, "s3:PutObject")
            and any(
                r.startswith(f"{arn}/") and r.endswith("*") and len(r) > len(arn) + 2
                for r in as_list(s.get("NotResource"))
                if isinstance(r, str)
            )
        ]
        if not confined:
            problems.append(
                "no Deny of PutObject with NotResource '<bucket arn>/<prefix>*': uploads are not confined "
                "to the ingest prefix."
            )
        others = REQUIRED_DATA_ACTIONS - {"s3:PutObject"}
        if not any(
            all(covers(s, a) for a in others)
            and any(
                refers_to(value, endpoint)
                for value in condition_values(s, NOT_EQUAL_OPERATORS, "aws:SourceVpce")
                for endpoint in endpoints
            )
            for s in denies
        ):
            problems.append(
                f"no Deny of {', '.join(sorted(a.removeprefix('s3:') for a in others))} outside this stack's "
                "S3 endpoint: quarantined bytes could be read from the internet."
            )
        problems.extend(
            presigned_exception_problems(document, "s3:PutObject", roles, MAX_UPLOAD_SIGNATURE_AGE_MS)
        )
    rules = [
        rule
        for lifecycle in companions_of(bucket, resources_, tokens.BUCKET_LIFECYCLE)
        for rule in as_list(lifecycle.props.get("rules"))
        if isinstance(rule, Mapping) and text(rule.get("status")) == "Enabled"
    ]
    expiry = [number(nested(rule, "expiration", "days")) for rule in rules]
    if not any(days is not None and 1 <= days <= MAX_QUARANTINE_DAYS for days in expiry):
        problems.append(
            f"no enabled lifecycle rule expires objects within {MAX_QUARANTINE_DAYS} days: abandoned "
            "quarantined bytes would stay."
        )
    aborts = [number(nested(rule, "abortIncompleteMultipartUpload", "daysAfterInitiation")) for rule in rules]
    if not any(days is not None and 1 <= days <= MAX_QUARANTINE_DAYS for days in aborts):
        problems.append(
            "no enabled lifecycle rule aborts incomplete multipart uploads within "
            f"{MAX_QUARANTINE_DAYS} days."
        )
    return problems


def quarantine_buckets(resources_: Sequence[StackResource]) -> list[StackResource]:
    """Unversioned buckets that are not log targets: each must be a well-formed quarantine."""
    logs = log_target_buckets(resources_)
    return [b for b in buckets(resources_) if b not in logs and not is_versioned(b, resources_)]


def quarantine_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    return [
        Finding(
            f"bucket {label(bucket)} is not versioned, so it must be a quarantine bucket: {problem}",
            bucket.urn,
        )
        for bucket in quarantine_buckets(resources_)
        for problem in quarantine_problems(bucket, resources_)
    ]


def unversioned_buckets(resources_: Sequence[StackResource]) -> list[Finding]:
    """S3.14: every bucket, except a well-formed quarantine bucket (deliberately unversioned so that
    deleting a rejected or aborted upload removes it for good)."""
    exempt = [b for b in quarantine_buckets(resources_) if not quarantine_problems(b, resources_)]
    return buckets_missing(
        resources_,
        tokens.BUCKET_VERSIONING,
        "S3.14 (CKV_AWS_21): no versioning; add aws.s3.BucketVersioning with status 'Enabled' (only a "
        "quarantine bucket, see 'project-ingest-quarantine-bucket', may go without).",
        exempt=exempt,
    )


def access_log_bucket_policy_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """DESIGN §3: only S3 log delivery (for our account and source bucket) writes to the log bucket."""
    findings: list[Finding] = []
    for bucket in log_target_buckets(resources_):
        bucket_policies = companions_of(bucket, resources_, tokens.BUCKET_POLICY)
        if not bucket_policies:
            findings.append(
                Finding(
                    f"bucket {label(bucket)}: the access-log bucket has no policy; allow "
                    f"{LOG_DELIVERY_SERVICE} s3:PutObject with aws:SourceAccount and aws:SourceArn "
                    "conditions, and deny non-TLS requests.",
                    bucket.urn,
                )
            )
        for bucket_policy in bucket_policies:
            try:
                document = policy_document(bucket_policy.props.get("policy"))
            except PolicyDocumentError as error:
                findings.append(Finding(f"{label(bucket_policy)}: {error}.", bucket_policy.urn))
                continue
            for statement in statements(document):
                if effect(statement) != "Allow":
                    continue
                if (
                    service_principals(statement) != [LOG_DELIVERY_SERVICE]
                    or set(actions(statement)) != {"s3:PutObject"}
                    or not condition_values(statement, ("StringEquals",), "aws:SourceAccount")
                    or not condition_values(statement, ("ArnLike", "ArnEquals"), "aws:SourceArn")
                ):
                    findings.append(
                        Finding(
                            f"{label(bucket_policy)}: statement {statement.get('Sid', '(no Sid)')!r} "
                            f"must allow only {LOG_DELIVERY_SERVICE} to s3:PutObject, with "
                            "aws:SourceAccount (StringEquals) and aws:SourceArn (ArnLike) conditions "
                            "(confused-deputy protection).",
                            bucket_policy.urn,
                        )
                    )
    return findings


def account_public_access_block_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """S3.1 (advisory): the account-level block is an account setting this stack does not own."""
    blocks = of_type(resources_, tokens.ACCOUNT_PUBLIC_ACCESS_BLOCK)
    if not blocks:
        return [
            Finding(
                "S3.1: this stack does not manage the account-level S3 Block Public Access setting (it "
                "is shared by every workload in the account). Verify it with `aws s3control "
                "get-public-access-block --account-id <id>`, or manage it once per account with "
                "aws.s3.AccountPublicAccessBlock. Every bucket here has its own block (S3.8)."
            )
        ]
    return [
        Finding(f"{label(block)}: {problem}", block.urn)
        for block in blocks
        for problem in account_public_access_block_violations(block.props)
    ]


# --- the policies --------------------------------------------------------------------------------

_MINIMUM_TLS_SCHEMA = PolicyConfigSchema(
    properties={"minimumTlsVersion": {"type": "string", "default": DEFAULT_MINIMUM_TLS_VERSION}}
)


def _minimum_tls(config: Config) -> str:
    return str(config.get("minimumTlsVersion", DEFAULT_MINIMUM_TLS_VERSION))


POLICIES: Final[list[Policy]] = [
    resource_policy(
        name="s3-2-s3-3-ckv-aws-20-57-no-public-acl",
        description="S3 buckets grant no public access through ACLs (S3.2, S3.3; CKV_AWS_20, CKV_AWS_57).",
        resource_types=(*tokens.BUCKET, *tokens.BUCKET_ACL),
        check=props_only(public_acl_violations),
    ),
    resource_policy(
        name="s3-8-ckv-aws-53-54-55-56-public-access-block",
        description="Bucket public access blocks set all four flags (S3.8; CKV_AWS_53-56).",
        resource_types=tokens.BUCKET_PUBLIC_ACCESS_BLOCK,
        check=props_only(public_access_block_violations),
    ),
    resource_policy(
        name="s3-12-ckv2-aws-65-acls-disabled",
        description="Bucket ownership is BucketOwnerEnforced, so ACLs are disabled (S3.12; CKV2_AWS_65).",
        resource_types=tokens.BUCKET_OWNERSHIP_CONTROLS,
        check=props_only(ownership_violations),
    ),
    resource_policy(
        name="s3-14-ckv-aws-21-versioning-enabled",
        description="Bucket versioning is Enabled (S3.14; CKV_AWS_21).",
        resource_types=tokens.BUCKET_VERSIONING,
        check=props_only(versioning_violations),
    ),
    resource_policy(
        name="ckv-aws-19-default-encryption",
        description="Buckets have default encryption, SSE-S3 or SSE-KMS (CKV_AWS_19).",
        resource_types=tokens.BUCKET_ENCRYPTION,
        check=props_only(encryption_violations),
    ),
    resource_policy(
        name="s3-17-ckv-aws-145-sse-kms-advisory",
        description="Buckets are encrypted with KMS keys (S3.17; CKV_AWS_145). Advisory: SSE-S3 is the "
        "project default; in KMS mode 's3-17-ckv-aws-158-kms-mode' makes it mandatory.",
        resource_types=tokens.BUCKET_ENCRYPTION,
        check=props_only(sse_kms_advisories),
        enforcement_level=ADVISORY,
    ),
    resource_policy(
        name="s3-13-ckv2-aws-61-lifecycle",
        description="Bucket lifecycle configurations have an enabled rule and abort incomplete uploads "
        "(S3.13; CKV2_AWS_61).",
        resource_types=tokens.BUCKET_LIFECYCLE,
        check=props_only(lifecycle_violations),
    ),
    resource_policy(
        name="s3-9-ckv-aws-18-logging-target",
        description="Server access logs go to a separate bucket (S3.9; CKV_AWS_18).",
        resource_types=tokens.BUCKET_LOGGING,
        check=props_only(logging_violations),
    ),
    resource_policy(
        name="s3-2-s3-3-s3-5-ckv-aws-70-93-bucket-policy",
        description="Bucket policies allow nothing to '*', deny non-TLS requests and never lock out "
        "bucket management (S3.2, S3.3, S3.5; CKV_AWS_70, CKV_AWS_93).",
        resource_types=tokens.BUCKET_POLICY,
        check=props_only(bucket_policy_violations),
    ),
    stack_policy(
        name="s3-1-account-public-access-block",
        description="The account-level S3 Block Public Access setting is on (S3.1). Advisory: it is an "
        "account-wide setting outside this stack.",
        check=resources_only(account_public_access_block_findings),
        enforcement_level=ADVISORY,
    ),
    stack_policy(
        name="s3-8-ckv2-aws-6-every-bucket-public-access-block",
        description="Every bucket has a public access block (S3.8; CKV2_AWS_6).",
        check=lambda resources_, config: buckets_missing(
            resources_,
            tokens.BUCKET_PUBLIC_ACCESS_BLOCK,
            "S3.8 (CKV2_AWS_6): no public access block; add aws.s3.BucketPublicAccessBlock with all "
            "four flags True.",
        ),
    ),
    stack_policy(
        name="s3-12-every-bucket-acls-disabled",
        description="Every bucket has ownership controls disabling ACLs (S3.12; CKV2_AWS_65).",
        check=lambda resources_, config: buckets_missing(
            resources_,
            tokens.BUCKET_OWNERSHIP_CONTROLS,
            "S3.12 (CKV2_AWS_65): no ownership controls, so ACLs are enabled; add "
            "aws.s3.BucketOwnershipControls with object_ownership='BucketOwnerEnforced'.",
        ),
    ),
    stack_policy(
        name="s3-14-ckv-aws-21-every-bucket-versioned",
        description="Every bucket has versioning configured (S3.14; CKV_AWS_21).",
        check=resources_only(unversioned_buckets),
    ),
    stack_policy(
        name="project-ingest-quarantine-bucket",
        description="An unversioned bucket is a quarantine (the ingest bucket, DESIGN §4.2): presign-only "
        "policy (PutObject under one prefix, only as a recent SigV4 URL our role signed; everything else "
        "through our endpoint) and a lifecycle that expires objects and aborts uploads within 7 days.",
        check=resources_only(quarantine_findings),
    ),
    stack_policy(
        name="ckv-aws-19-every-bucket-encrypted",
        description="Every bucket has a default-encryption configuration (CKV_AWS_19).",
        check=lambda resources_, config: buckets_missing(
            resources_,
            tokens.BUCKET_ENCRYPTION,
            "CKV_AWS_19: no default encryption configuration; add "
            "aws.s3.BucketServerSideEncryptionConfiguration (SSE-S3 'AES256' or 'aws:kms').",
        ),
    ),
    stack_policy(
        name="s3-13-ckv2-aws-61-every-bucket-lifecycle",
        description="Every bucket has a lifecycle configuration (S3.13; CKV2_AWS_61).",
        check=lambda resources_, config: buckets_missing(
            resources_,
            tokens.BUCKET_LIFECYCLE,
            "S3.13 (CKV2_AWS_61): no lifecycle configuration; add "
            "aws.s3.BucketLifecycleConfiguration (expire noncurrent versions, abort uploads).",
        ),
    ),
    stack_policy(
        name="s3-5-every-bucket-policy",
        description="Every bucket has a bucket policy, which is where TLS is enforced (S3.5).",
        check=lambda resources_, config: buckets_missing(
            resources_,
            tokens.BUCKET_POLICY,
            "S3.5: no bucket policy, so plain-HTTP requests are not denied; add aws.s3.BucketPolicy "
            "with a Deny when aws:SecureTransport is 'false'.",
        ),
    ),
    stack_policy(
        name="s3-9-ckv-aws-18-every-bucket-logged",
        description="Every bucket except the access-log bucket has server access logging (S3.9; CKV_AWS_18).",
        check=resources_only(unlogged_buckets),
    ),
    stack_policy(
        name="project-documents-bucket-policy-denies",
        description="The documents bucket policy denies non-TLS/TLS<1.2 requests, data access outside our "
        "S3 endpoint, and data access by anyone but our Lambda role (DESIGN §3).",
        check=lambda resources_, config: documents_bucket_policy_findings(
            resources_, minimum_tls=_minimum_tls(config)
        ),
        config_schema=_MINIMUM_TLS_SCHEMA,
    ),
    stack_policy(
        name="project-access-log-bucket-policy",
        description="Only S3 log delivery, for our account and bucket, may write to the access-log bucket "
        "(DESIGN §3).",
        check=resources_only(access_log_bucket_policy_findings),
    ),
]
