"""The ingest bucket's policy and the vault's presigned-download exception (DESIGN §4.2), evaluated on
sample requests: the policies are serialised and parsed as the stack does, then judged by
``policy_eval`` (explicit deny wins; absent keys per IAM's rules)."""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any

import pytest

from lib import policies
from tests.unit.infra.conftest import as_list, statement
from tests.unit.infra.policy_eval import Decision, Request, evaluate

ACCOUNT = "123456789012"
INGEST = f"arn:aws:s3:::docs-dev-ingest-{ACCOUNT}-us-east-1"
VAULT = f"arn:aws:s3:::docs-dev-{ACCOUNT}-us-east-1"
VPCE = "vpce-0abc"
API = f"arn:aws:iam::{ACCOUNT}:role/doc-processor-dev-lambda"
PROCESSOR = f"arn:aws:iam::{ACCOUNT}:role/doc-ingest-dev-lambda"
RECONCILER = f"arn:aws:iam::{ACCOUNT}:role/doc-reconciler-dev-lambda"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/BreakGlass"
STRANGER = "arn:aws:iam::999999999999:role/attacker"
MAX_AGE = 600_000
KEY = "ingest/0123456789abcdef0123456789abcdef/AbCdEfGhIjKlMnOpQrStUv"
DOCUMENT = "documents/0123456789abcdef0123456789abcdef/AbCdEfGhIjKlMnOpQrStUv"

UPLOADS = "DenyUploadsOutsideVpcEndpoint"
DOWNLOADS = "DenyDownloadsOutsideVpcEndpoint"


def parsed(document: policies.PolicyDocument) -> dict[str, Any]:
    """What S3 receives: the stack serialises with json.dumps."""
    loaded: dict[str, Any] = json.loads(json.dumps(document))
    return loaded


def ingest_policy(max_age: int = MAX_AGE) -> dict[str, Any]:
    return parsed(
        policies.ingest_bucket_policy(
            bucket_arn=INGEST,
            vpc_endpoint_id=VPCE,
            api_role_arn=API,
            processor_role_arn=PROCESSOR,
            max_signature_age_ms=max_age,
        )
    )


def vault_policy(**extra: Any) -> dict[str, Any]:
    return parsed(
        policies.documents_bucket_policy(
            bucket_arn=VAULT,
            vpc_endpoint_id=VPCE,
            lambda_role_arn=API,
            reconciler_role_arn=RECONCILER,
            break_glass_principal_arns=(BREAK_GLASS,),
            **extra,
        )
    )


@dataclass(frozen=True)
class Call:
    """A sample request, described the way S3 would fill its context."""

    action: str = "s3:PutObject"
    key: str = KEY
    principal: str | None = API
    via_endpoint: bool = False
    tls: str | None = "1.3"  # None: plain HTTP
    auth: str | None = "REST-QUERY-STRING"  # None: anonymous
    signature_version: str = "AWS4-HMAC-SHA256"
    age_ms: int | None = 60_000  # S3 supplies s3:signatureAge only for presigned URLs / POST

    def on(self, bucket: str) -> Request:
        context: dict[str, str] = {"aws:SecureTransport": "false" if self.tls is None else "true"}
        if self.tls is not None:
            context["s3:TlsVersion"] = self.tls
        if self.via_endpoint:
            context["aws:SourceVpce"] = VPCE
        if self.principal is not None:
            context["aws:PrincipalArn"] = self.principal
            context["aws:PrincipalAccount"] = self.principal.split(":")[4]
        if self.auth is not None:
            context["s3:authType"] = self.auth
            context["s3:signatureversion"] = self.signature_version
        if self.age_ms is not None:
            context["s3:signatureAge"] = str(self.age_ms)
        bucket_level = self.action in ("s3:ListBucketMultipartUploads", "s3:ListBucketVersions")
        return Request(self.action, bucket if bucket_level else f"{bucket}/{self.key}", context)


def header_signed(**fields: Any) -> Call:
    return Call(auth="REST-HEADER", age_ms=None, **fields)


def from_endpoint(**fields: Any) -> Call:
    return header_signed(via_endpoint=True, **fields)


def judge(policy: dict[str, Any], call: Call, bucket: str = INGEST) -> Decision:
    return evaluate(policy, call.on(bucket))


# --- the document itself -------------------------------------------------------------------------


def test_ingest_policy_is_deny_only_and_names_the_keys_s3_documents() -> None:
    document = ingest_policy()

    assert document["Version"] == "2012-10-17"
    assert {s["Effect"] for s in document["Statement"]} == {"Deny"}
    assert {json.dumps(s["Principal"]) for s in document["Statement"]} == {'"*"'}
    sids = [s["Sid"] for s in document["Statement"]]
    assert len(sids) == len(set(sids))
    age = statement(document, f"{UPLOADS}WithOldSignatures")
    # s3:signatureAge is in milliseconds; the value is the bound itself (deny strictly above it).
    assert age["Condition"]["NumericGreaterThanIfExists"] == {"s3:signatureAge": "600000"}
    query = statement(document, f"{UPLOADS}UnlessQueryStringSigned")
    assert query["Condition"]["StringNotEquals"] == {
        "aws:SourceVpce": VPCE,
        "s3:authType": "REST-QUERY-STRING",
    }
    sigv4 = statement(document, f"{UPLOADS}UnlessSigV4")
    assert sigv4["Condition"]["StringNotEquals"]["s3:signatureversion"] == "AWS4-HMAC-SHA256"
    # Only PutObject escapes the endpoint; s3:ListBucket (HeadBucket) stays out of every deny.
    endpoint = statement(document, "DenyDataAccessOutsideVpcEndpoint")
    assert set(endpoint["Action"]) == set(policies.DATA_PLANE_ACTIONS) - {"s3:PutObject"}
    assert not any("s3:ListBucket" in as_list(s["Action"]) for s in document["Statement"])


@pytest.mark.parametrize("bad", [0, -1, policies.MAX_PRESIGNED_UPLOAD_AGE_MS + 1, 7 * 86_400_000])
def test_ingest_policy_refuses_a_signature_age_bound_that_is_not_short(bad: int) -> None:
    with pytest.raises(ValueError, match="signature age bound"):
        ingest_policy(max_age=bad)


def test_signature_age_bound_must_be_an_integer_number_of_milliseconds() -> None:
    with pytest.raises(TypeError):
        ingest_policy(max_age=True)
    with pytest.raises(TypeError):
        ingest_policy(max_age=60.5)  # type: ignore[arg-type]


# --- presigned parts from the internet ------------------------------------------------------------


@pytest.mark.parametrize("age_ms", [0, 1, 60_000, MAX_AGE])
def test_a_presigned_part_by_the_api_role_within_the_age_is_not_denied(age_ms: int) -> None:
    # UploadPart is authorised as s3:PutObject: this is every part URL the API hands out.
    assert judge(ingest_policy(), Call(age_ms=age_ms)).denied_by == ()


@pytest.mark.parametrize(
    "key",
    [DOCUMENT, "ingestx/o/i", "o/ingest/i", "INGEST/o/i", "ingest", "../ingest/o/i"],
)
def test_puts_outside_the_ingest_prefix_are_denied_even_presigned_or_from_the_endpoint(key: str) -> None:
    document = ingest_policy()

    assert judge(document, Call(key=key)).denied_by == ("DenyUploadsOutsideIngestPrefix",)
    assert judge(document, from_endpoint(key=key)).denied_by == ("DenyUploadsOutsideIngestPrefix",)


def test_a_presigned_part_older_than_the_bound_is_denied() -> None:
    decision = judge(ingest_policy(), Call(age_ms=MAX_AGE + 1))

    assert decision.denied_by == (f"{UPLOADS}WithOldSignatures",)


def test_a_query_string_request_without_a_signature_age_is_denied() -> None:
    # Fail closed should S3 ever omit the key: ...IfExists is true on an absent key.
    assert judge(ingest_policy(), Call(age_ms=None)).denied_by == (f"{UPLOADS}WithOldSignatures",)


def test_a_header_signed_put_from_outside_the_endpoint_is_denied() -> None:
    decision = judge(ingest_policy(), header_signed())

    assert set(decision.denied_by) == {f"{UPLOADS}UnlessQueryStringSigned", f"{UPLOADS}WithOldSignatures"}
    # Even if S3 reported a signature age for it, the auth type alone refuses it.
    assert judge(ingest_policy(), Call(auth="REST-HEADER")).denied_by == (
        f"{UPLOADS}UnlessQueryStringSigned",
    )


def test_a_presigned_post_form_is_denied() -> None:
    assert judge(ingest_policy(), Call(auth="POST")).denied_by == (f"{UPLOADS}UnlessQueryStringSigned",)


def test_a_signature_version_2_url_is_denied_although_its_age_reads_zero() -> None:
    # S3 sets s3:signatureAge to 0 for SigV2: the version check is what makes the age bound mean anything.
    decision = judge(ingest_policy(), Call(signature_version="AWS", age_ms=0))

    assert decision.denied_by == (f"{UPLOADS}UnlessSigV4",)


def test_presigned_puts_by_any_other_principal_are_denied() -> None:
    document = ingest_policy()

    assert set(judge(document, Call(principal=PROCESSOR)).denied_by) == {
        "DenyProcessorWrites",
        f"{UPLOADS}UnlessSignedByApiRole",
    }
    assert set(judge(document, Call(principal=STRANGER)).denied_by) == {
        "DenyDataAccessToOtherPrincipals",
        f"{UPLOADS}UnlessSignedByApiRole",
    }
    anonymous = judge(document, Call(principal=None, auth=None, age_ms=None))
    assert "DenyDataAccessToOtherPrincipals" in anonymous.denied_by
    assert f"{UPLOADS}UnlessSignedByApiRole" in anonymous.denied_by


def test_plain_http_and_old_tls_are_denied() -> None:
    document = ingest_policy()

    assert judge(document, Call(tls=None)).denied_by == ("DenyInsecureTransport",)
    assert judge(document, Call(tls="1.1")).denied_by == ("DenyOutdatedTls",)
    assert judge(document, from_endpoint(tls="1.0")).denied_by == ("DenyOutdatedTls",)
    assert judge(document, Call(tls="1.2")).denied_by == ()


def test_get_object_from_outside_the_endpoint_is_denied_even_presigned_by_the_api() -> None:
    # Quarantined bytes are never served to anyone.
    document = ingest_policy()

    assert judge(document, Call(action="s3:GetObject")).denied_by == ("DenyDataAccessOutsideVpcEndpoint",)
    assert judge(document, header_signed(action="s3:GetObject", principal=PROCESSOR)).denied_by == (
        "DenyDataAccessOutsideVpcEndpoint",
    )


@pytest.mark.parametrize("action", [a for a in policies.DATA_PLANE_ACTIONS if a != "s3:PutObject"])
def test_every_other_data_action_from_outside_the_endpoint_is_denied(action: str) -> None:
    assert "DenyDataAccessOutsideVpcEndpoint" in judge(ingest_policy(), Call(action=action)).denied_by


# --- our roles through the endpoint ---------------------------------------------------------------


@pytest.mark.parametrize("action", ["s3:GetObject", "s3:DeleteObject"])
def test_the_processor_reads_and_deletes_through_the_endpoint(action: str) -> None:
    assert judge(ingest_policy(), from_endpoint(action=action, principal=PROCESSOR)).denied_by == ()


@pytest.mark.parametrize(
    "action", ["s3:PutObject", "s3:DeleteObjectVersion", "s3:PutObjectTagging", "s3:AbortMultipartUpload"]
)
def test_the_processor_writes_nothing_into_quarantine(action: str) -> None:
    decision = judge(ingest_policy(), from_endpoint(action=action, principal=PROCESSOR))

    assert decision.denied_by == ("DenyProcessorWrites",)


@pytest.mark.parametrize(
    "action",
    # Create/Complete multipart (PutObject), DELETE /uploads (Abort, DeleteObject), partsReceived (ListParts).
    ["s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:ListMultipartUploadParts"],
)
def test_the_api_manages_its_uploads_through_the_endpoint(action: str) -> None:
    assert judge(ingest_policy(), from_endpoint(action=action)).denied_by == ()


def test_other_principals_are_denied_even_through_the_endpoint() -> None:
    decision = judge(ingest_policy(), from_endpoint(action="s3:GetObject", principal=STRANGER))

    assert decision.denied_by == ("DenyDataAccessToOtherPrincipals",)


# --- the whole request space against the rule in words --------------------------------------------

ACTIONS = (
    "s3:PutObject",
    "s3:GetObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:GetObjectVersion",
)
PRINCIPALS = (API, PROCESSOR, RECONCILER, BREAK_GLASS, STRANGER, None)
SIGNATURES: tuple[dict[str, Any], ...] = (
    {"auth": "REST-QUERY-STRING", "age_ms": 1_000},
    {"auth": "REST-QUERY-STRING", "age_ms": MAX_AGE + 1},
    {"auth": "REST-QUERY-STRING", "age_ms": 0, "signature_version": "AWS"},
    {"auth": "REST-HEADER", "age_ms": None},
    {"auth": "POST", "age_ms": 1_000},
    {"auth": None, "age_ms": None},
)


def sample_calls(keys: tuple[str, ...]) -> list[Call]:
    return [
        Call(action=a, key=k, principal=p, via_endpoint=v, tls=t, **s)
        for a, k, p, v, t, s in itertools.product(
            ACTIONS, keys, PRINCIPALS, (False, True), ("1.3", "1.1", None), SIGNATURES
        )
    ]


def presigned_by_api_recently(call: Call, max_age: int) -> bool:
    return (
        call.principal == API
        and call.auth == "REST-QUERY-STRING"
        and call.signature_version == "AWS4-HMAC-SHA256"
        and call.age_ms is not None
        and call.age_ms <= max_age
    )


def ingest_rule(call: Call) -> bool:
    """DESIGN §4.2 in words: may this request pass the ingest bucket policy?"""
    if call.tls not in ("1.2", "1.3"):
        return False
    if call.action == "s3:PutObject" and not call.key.startswith("ingest/"):
        return False
    if call.via_endpoint:
        if call.principal == API:
            return True
        return call.principal == PROCESSOR and call.action in ("s3:GetObject", "s3:DeleteObject")
    return call.action == "s3:PutObject" and presigned_by_api_recently(call, MAX_AGE)


def test_the_ingest_policy_lets_through_exactly_what_the_design_says() -> None:
    document = ingest_policy()
    calls = sample_calls((KEY, DOCUMENT))

    wrong = [c for c in calls if (not judge(document, c).explicitly_denied) != ingest_rule(c)]

    assert len(calls) > 2000
    assert sum(ingest_rule(c) for c in calls) > 20  # the rule admits something: the check can fail both ways
    assert wrong == []


# --- the endpoint reaches the ingest bucket -------------------------------------------------------


def test_the_s3_endpoint_policy_reaches_the_ingest_bucket_for_our_account_only() -> None:
    document = parsed(policies.s3_endpoint_policy(bucket_arns=(VAULT, INGEST), account_id=ACCOUNT))

    for action in ("s3:PutObject", "s3:GetObject", "s3:DeleteObject"):
        assert judge(document, from_endpoint(action=action)).allowed
        assert judge(document, from_endpoint(action=action, principal=PROCESSOR)).allowed
        assert not judge(document, from_endpoint(action=action, principal=STRANGER)).allowed
    other_bucket = "arn:aws:s3:::someone-elses-bucket"
    assert not judge(document, from_endpoint(action="s3:PutObject"), bucket=other_bucket).allowed


# --- the vault's one exception --------------------------------------------------------------------

PINNED = {
    # sha256 of json.dumps(documents_bucket_policy(...)) as committed before the exception existed
    # (6ea89aa): the default must stay byte-for-byte the policy the stack deploys today.
    "minimal": "f2d8d8e7da6951cd2e12bc2624989273fda9a569ae577fcdcaad078fd4579f88",
    "reconciler": "05bce4aca3abfc10b9686f6f34c7493fe331a9aa4f0337a36b039b0e0d194ba2",
    "full": "7207a337a47e6458655b35266bdcb8d914620180174c8a3fad0b5328734b0c90",
}
PIN_BUCKET = "arn:aws:s3:::docs-dev-123456789012-us-east-1"
PIN_ROLE = "arn:aws:iam::123456789012:role/doc-processor-dev-lambda"
PIN_CASES: dict[str, dict[str, Any]] = {
    "minimal": {},
    "reconciler": {"reconciler_role_arn": "arn:aws:iam::123456789012:role/doc-reconciler-dev-lambda"},
    "full": {
        "reconciler_role_arn": "arn:aws:iam::123456789012:role/doc-reconciler-dev-lambda",
        "break_glass_principal_arns": ("arn:aws:iam::123456789012:role/BreakGlass",),
    },
}


@pytest.mark.parametrize("case", sorted(PIN_CASES))
def test_the_default_vault_policy_is_byte_for_byte_unchanged(case: str) -> None:
    def serialised(**extra: Any) -> str:
        return json.dumps(
            policies.documents_bucket_policy(
                bucket_arn=PIN_BUCKET,
                vpc_endpoint_id="vpce-1",
                lambda_role_arn=PIN_ROLE,
                **PIN_CASES[case],
                **extra,
            )
        )

    assert hashlib.sha256(serialised().encode()).hexdigest() == PINNED[case]
    assert serialised(allow_presigned_downloads=False) == serialised()
    # The age bound alone changes nothing: only the flag opens the exception.
    assert serialised(max_download_signature_age_ms=60_000) == serialised()


def test_the_exception_changes_only_the_endpoint_deny_and_adds_get_object_denies() -> None:
    before = vault_policy()
    after = vault_policy(allow_presigned_downloads=True)

    old = {s["Sid"]: s for s in before["Statement"]}
    new = {s["Sid"]: s for s in after["Statement"]}
    for sid, original in old.items():
        if sid != "DenyDataAccessOutsideVpcEndpoint":
            assert new[sid] == original
    endpoint = new["DenyDataAccessOutsideVpcEndpoint"]
    assert endpoint["Action"] == [a for a in policies.DATA_PLANE_ACTIONS if a != "s3:GetObject"]
    assert {k: v for k, v in endpoint.items() if k != "Action"} == {
        k: v for k, v in old["DenyDataAccessOutsideVpcEndpoint"].items() if k != "Action"
    }
    added = [new[sid] for sid in new if sid not in old]
    assert [s["Sid"] for s in added] == [
        f"{DOWNLOADS}UnlessQueryStringSigned",
        f"{DOWNLOADS}UnlessSigV4",
        f"{DOWNLOADS}WithOldSignatures",
        f"{DOWNLOADS}UnlessSignedByApiRole",
    ]
    assert all((s["Effect"], s["Principal"], s["Action"]) == ("Deny", "*", "s3:GetObject") for s in added)
    assert statement(after, f"{DOWNLOADS}WithOldSignatures")["Condition"]["NumericGreaterThanIfExists"] == {
        "s3:signatureAge": str(policies.MAX_PRESIGNED_DOWNLOAD_AGE_MS)
    }
    assert [s["Effect"] for s in after["Statement"]] == ["Deny"] * len(after["Statement"])


def test_the_exception_admits_the_api_roles_recent_presigned_get_only() -> None:
    document = vault_policy(allow_presigned_downloads=True, max_download_signature_age_ms=120_000)
    get = Call(action="s3:GetObject", key=DOCUMENT, age_ms=119_999)

    assert judge(document, get, VAULT).denied_by == ()
    assert judge(vault_policy(), get, VAULT).denied_by == ("DenyDataAccessOutsideVpcEndpoint",)
    too_old = Call(action="s3:GetObject", key=DOCUMENT, age_ms=120_001)
    assert judge(document, too_old, VAULT).denied_by == (f"{DOWNLOADS}WithOldSignatures",)
    header = header_signed(action="s3:GetObject", key=DOCUMENT)
    assert f"{DOWNLOADS}UnlessQueryStringSigned" in judge(document, header, VAULT).denied_by
    reconciler = Call(action="s3:GetObject", key=DOCUMENT, principal=RECONCILER)
    assert judge(document, reconciler, VAULT).denied_by == (f"{DOWNLOADS}UnlessSignedByApiRole",)
    older_version = Call(action="s3:GetObjectVersion", key=DOCUMENT)
    assert judge(document, older_version, VAULT).denied_by == ("DenyDataAccessOutsideVpcEndpoint",)
    put = Call(action="s3:PutObject", key=DOCUMENT)
    assert judge(document, put, VAULT).denied_by == ("DenyDataAccessOutsideVpcEndpoint",)


def test_the_exception_changes_no_decision_but_the_api_roles_presigned_gets() -> None:
    default = vault_policy()
    excepted = vault_policy(allow_presigned_downloads=True)
    calls = sample_calls((DOCUMENT,))

    changed = [
        c
        for c in calls
        if judge(default, c, VAULT).explicitly_denied != judge(excepted, c, VAULT).explicitly_denied
    ]

    assert changed, "the exception opens something"
    assert all(
        c.action == "s3:GetObject"
        and not c.via_endpoint
        and c.tls in ("1.2", "1.3")
        and presigned_by_api_recently(c, policies.MAX_PRESIGNED_DOWNLOAD_AGE_MS)
        for c in changed
    )
    # ... and it only ever opens: nothing the default admits is refused with the exception on.
    assert all(judge(default, c, VAULT).explicitly_denied for c in changed)
    # Break-glass still reads from anywhere with its own header-signed credentials.
    assert (
        judge(
            excepted, header_signed(action="s3:GetObject", key=DOCUMENT, principal=BREAK_GLASS), VAULT
        ).denied_by
        == ()
    )


@pytest.mark.parametrize("bad", [0, policies.MAX_PRESIGNED_DOWNLOAD_AGE_MS + 1])
def test_the_download_age_bound_is_short(bad: int) -> None:
    with pytest.raises(ValueError, match="signature age bound"):
        vault_policy(allow_presigned_downloads=True, max_download_signature_age_ms=bad)


# --- the evaluator itself -------------------------------------------------------------------------


def one_statement(condition: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {
        "Sid": "S",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    return {"Version": "2012-10-17", "Statement": [{**body, **fields, "Condition": condition}]}


def denies(document: dict[str, Any], context: dict[str, str], resource: str = "arn:aws:s3:::b/k") -> bool:
    return evaluate(document, Request("s3:GetObject", resource, context)).explicitly_denied


def test_evaluator_absent_keys_follow_iam() -> None:
    assert not denies(one_statement({"StringEquals": {"aws:SourceVpce": "v"}}), {})
    assert denies(one_statement({"StringNotEquals": {"aws:SourceVpce": "v"}}), {})
    assert denies(one_statement({"ArnNotEquals": {"aws:PrincipalArn": API}}), {})
    assert not denies(one_statement({"NumericGreaterThan": {"s3:signatureAge": "5"}}), {})
    assert denies(one_statement({"NumericGreaterThanIfExists": {"s3:signatureAge": "5"}}), {})
    assert not denies(
        one_statement({"NumericGreaterThanIfExists": {"s3:signatureAge": "5"}}), {"s3:signatureAge": "5"}
    )
    assert denies(
        one_statement({"NumericGreaterThanIfExists": {"s3:signatureAge": "5"}}), {"s3:signatureAge": "6"}
    )
    assert not denies(one_statement({"Bool": {"aws:SecureTransport": "false"}}), {})


def test_evaluator_combines_like_iam() -> None:
    two_keys = one_statement({"StringNotEquals": {"aws:SourceVpce": "v", "s3:authType": "REST-QUERY-STRING"}})
    assert not denies(two_keys, {"s3:authType": "REST-QUERY-STRING"})  # keys ANDed
    assert denies(two_keys, {"s3:authType": "REST-HEADER"})
    values = one_statement({"ArnNotEquals": {"aws:PrincipalArn": [API, PROCESSOR]}})
    assert not denies(values, {"aws:PrincipalArn": PROCESSOR})  # negated values: NOR
    assert denies(values, {"aws:PrincipalArn": STRANGER})
    assert denies(one_statement({"NumericLessThan": {"s3:TlsVersion": "1.2"}}), {"s3:TlsVersion": "1.1"})
    like = one_statement({"StringLike": {"s3:prefix": "ingest/*"}})
    assert denies(like, {"s3:prefix": "ingest/o/i"})
    assert not denies(like, {"s3:prefix": "Ingest/o"})  # case-sensitive
    assert not denies(like, {})  # absent key: a positive operator is false
    assert denies(one_statement({"StringNotLike": {"s3:prefix": "ingest/*"}}), {})
    assert not denies(one_statement({"NumericLessThan": {"s3:TlsVersion": "1.2"}}), {"S3:TLSVERSION": "1.2"})
    not_resource = one_statement({}, NotResource="arn:aws:s3:::b/ingest/*")
    del not_resource["Statement"][0]["Resource"]
    assert denies(not_resource, {}, "arn:aws:s3:::b/other")
    assert not denies(not_resource, {}, "arn:aws:s3:::b/ingest/o/i")
    allow_and_deny = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"},
            {
                "Sid": "D",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "S3:getobject",
                "Resource": "arn:aws:s3:::b/*",
            },
        ],
    }
    decision = evaluate(allow_and_deny, Request("s3:GetObject", "arn:aws:s3:::b/k"))
    assert (decision.denied_by, decision.allowed) == (("D",), False)
    assert evaluate(allow_and_deny, Request("s3:PutObject", "arn:aws:s3:::b/k")).allowed


def test_evaluator_refuses_what_it_does_not_understand() -> None:
    with pytest.raises(NotImplementedError):
        denies(one_statement({"Null": {"s3:signatureAge": "true"}}), {})
    with pytest.raises(NotImplementedError):
        denies(one_statement({"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}), {})
    with pytest.raises(NotImplementedError):
        denies(one_statement({}, Principal={"Service": "logging.s3.amazonaws.com"}), {})
    with pytest.raises(NotImplementedError):
        denies(one_statement({}, NotPrincipal={"AWS": API}), {})
