"""Lambda: Lambda.1/2/3/5 (CKV_AWS_45/50/115/117/258/301/363/364) and the project's invariants:
the function logs JSON into an explicit log group, and its subnets span two availability zones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from pulumi_policy import PolicyConfigSchema

from . import tokens
from ._support import (
    ADVISORY,
    Finding,
    StackResource,
    as_list,
    is_true,
    label,
    nested,
    number,
    of_type,
    props_only,
    refers_to,
    resource_policy,
    resources_only,
    stack_policy,
    text,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Sequence

    from pulumi_policy import Policy

    from ._support import Config, Props

DEFAULT_SUPPORTED_RUNTIMES: Final = (
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "nodejs22.x",
    "nodejs24.x",
    "java17",
    "java21",
    "dotnet8",
    "ruby3.4",
    "provided.al2023",
)
"""Runtimes with no announced Lambda deprecation as of 2026-11 (Lambda.2's parameter list). Review it
when AWS publishes its deprecation schedule; override with policy config ``supportedRuntimes``."""
MINIMUM_AVAILABILITY_ZONES: Final = 2
SECRET_NAME: Final = re.compile(
    r"(SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL)", re.I
)
EXECUTE_API_SOURCE_ARN: Final = re.compile(
    r"arn:[a-z-]+:execute-api:[a-z0-9-]+:\d{12}:(?P<api>[^/]+)/(?P<stage>[^/]+)/(?P<method>[^/]+)(?:/.*)?"
)
"""``<execution arn>/<stage>/<METHOD>/<path>``: the method ARN API Gateway invokes with."""
API_GATEWAY_PRINCIPAL: Final = "apigateway.amazonaws.com"
S3_PRINCIPAL: Final = "s3.amazonaws.com"
S3_BUCKET_ARN: Final = re.compile(r"arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
"""One bucket, named exactly (S3 bucket naming rules; no wildcard, no key)."""
ACCOUNT_ID: Final = re.compile(r"\d{12}")
SNAP_START_ON: Final = "PublishedVersions"
SECRET_VALUE: Final = re.compile(r"((?:AKIA|ASIA)[A-Z0-9]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----)")
"""An AWS access key id or a PEM private key: values that are secrets whatever their name."""


# --- per-resource checks -------------------------------------------------------------------------


def permission_violations(props: Props) -> list[str]:
    """Lambda.1, CKV_AWS_301/364: nobody public may invoke; services only on behalf of one source."""
    principal = text(props.get("principal"))
    problems: list[str] = []
    if principal in ("*", ""):
        problems.append(
            f"Lambda.1 (CKV_AWS_301): the permission grants {props.get('action')!r} to principal "
            f"{principal or 'unset'!r}, i.e. to anyone; name the invoking service or account."
        )
    elif principal == S3_PRINCIPAL:
        problems.extend(_s3_source_problems(text(props.get("sourceArn")), text(props.get("sourceAccount"))))
    elif principal.endswith(".amazonaws.com") and not (
        text(props.get("sourceArn")) or text(props.get("sourceAccount"))
    ):
        problems.append(
            f"CKV_AWS_364: the permission lets {principal!r} invoke the function on behalf of any "
            "resource (confused deputy); set source_arn to the invoking resource (e.g. the API's "
            "execution ARN for this stage and method)."
        )
    elif principal == API_GATEWAY_PRINCIPAL and text(props.get("sourceArn")):
        problems.extend(_api_source_arn_problems(text(props.get("sourceArn"))))
    if text(props.get("functionUrlAuthType")) == "NONE":
        problems.append(
            "Lambda.1 (CKV_AWS_301): function_url_auth_type is 'NONE', which makes the function URL "
            "public; use 'AWS_IAM'."
        )
    return problems


def _api_source_arn_problems(source_arn: str) -> list[str]:
    """Project (DESIGN §3): API Gateway may invoke only from this API, one named stage and method.

    ``<execution arn>/*/*`` is the common shortcut: it lets any stage (including a test stage
    without the WAF or throttling) and any method call the function.
    """
    match = EXECUTE_API_SOURCE_ARN.fullmatch(source_arn)
    wide = [part for part in ("api", "stage", "method") if match is None or "*" in match[part]]
    if not wide:
        return []
    return [
        f"Lambda.1 (CKV_AWS_364): source_arn {source_arn!r} does not name one API, stage and HTTP method "
        f"(wildcard or missing: {', '.join(wide)}); scope it to "
        "'<API execution arn>/<stage>/<METHOD>/<resource path>' (path parameters may be '*')."
    ]


def _s3_source_problems(source_arn: str, source_account: str) -> list[str]:
    """CKV_AWS_364 for S3 notifications: one named bucket and the owning account, both.

    A bucket ARN carries no account, and bucket names are global: once the bucket is deleted anyone
    can create one of the same name in their account and, without ``source_account``, have S3
    invoke the function with events they make up.
    """
    problems: list[str] = []
    if not S3_BUCKET_ARN.fullmatch(source_arn):
        problems.append(
            f"CKV_AWS_364: the permission lets S3 invoke the function with source_arn "
            f"{source_arn or 'unset'!r}; set it to the one bucket whose notifications target the "
            "function ('arn:<partition>:s3:::<bucket>', no wildcard)."
        )
    if not ACCOUNT_ID.fullmatch(source_account):
        problems.append(
            f"CKV_AWS_364: the S3 permission's source_account is {source_account or 'unset'!r}; set it to "
            "the bucket owner's account id (bucket ARNs carry no account, and a deleted bucket's name can "
            "be taken by another account)."
        )
    return problems


def function_url_violations(props: Props) -> list[str]:
    """Lambda.1, CKV_AWS_258: function URLs require SigV4 (``AWS_IAM``); no wildcard CORS with
    credentials."""
    problems: list[str] = []
    auth = text(props.get("authorizationType"))
    if auth != "AWS_IAM":
        problems.append(
            f"Lambda.1 (CKV_AWS_258): the function URL's authorization_type is {auth or 'unset'!r}, so "
            "anyone on the internet can invoke it; set authorization_type='AWS_IAM'."
        )
    cors = props.get("cors")
    if (
        isinstance(cors, Mapping)
        and is_true(cors.get("allowCredentials"))
        and "*" in as_list(cors.get("allowOrigins"))
    ):
        problems.append(
            "Lambda.1: the function URL's CORS allows credentials from any origin ('*'); list the "
            "allowed origins explicitly or set allow_credentials=False."
        )
    return problems


def runtime_violations(props: Props, *, supported: Collection[str] = DEFAULT_SUPPORTED_RUNTIMES) -> list[str]:
    """Lambda.2, CKV_AWS_363: a supported (not deprecated) runtime. Container images have none."""
    if text(props.get("packageType")) == "Image":
        return []
    runtime = text(props.get("runtime"))
    if runtime in supported:
        return []
    return [
        f"Lambda.2 (CKV_AWS_363): runtime {runtime or 'unset'!r} is not a supported Lambda runtime "
        f"(supported: {', '.join(sorted(supported))}); move to a current one such as 'python3.13'."
    ]


def vpc_violations(props: Props) -> list[str]:
    """Lambda.3 (CKV_AWS_117): in a VPC; Lambda.5: with subnets in at least two AZs."""
    subnets = as_list(nested(props, "vpcConfig", "subnetIds"))
    groups = as_list(nested(props, "vpcConfig", "securityGroupIds"))
    if not subnets or not groups:
        return [
            "Lambda.3 (CKV_AWS_117): the function is not attached to a VPC; set vpc_config with the "
            "private subnet ids and the Lambda security group."
        ]
    if len(set(map(str, subnets))) < MINIMUM_AVAILABILITY_ZONES:
        return [
            f"Lambda.5: the function has {len(subnets)} subnet(s); give vpc_config.subnet_ids one private "
            f"subnet in each of at least {MINIMUM_AVAILABILITY_ZONES} availability zones."
        ]
    return []


def tracing_violations(props: Props) -> list[str]:
    """CKV_AWS_50: X-Ray active tracing."""
    mode = text(nested(props, "tracingConfig", "mode"))
    if mode == "Active":
        return []
    return [f"CKV_AWS_50: tracing mode is {mode or 'unset'!r}; set tracing_config.mode='Active'."]


def environment_secret_violations(props: Props) -> list[str]:
    """CKV_AWS_45: no secrets in environment variables (they are visible to anyone who can read the
    function's configuration)."""
    variables = nested(props, "environment", "variables")
    if not isinstance(variables, Mapping):
        return []
    problems: list[str] = []
    for name, value in variables.items():
        if SECRET_NAME.search(str(name)) or SECRET_VALUE.search(str(value)):
            problems.append(
                f"CKV_AWS_45: environment variable {name!r} looks like a secret; keep secrets in "
                "Secrets Manager or SSM SecureString and read them at run time."
            )
    return problems


def logging_config_violations(props: Props) -> list[str]:
    """Project: JSON logs into an explicit, pre-created log group (not an unmanaged default one)."""
    problems: list[str] = []
    if text(nested(props, "loggingConfig", "logFormat")) != "JSON":
        problems.append("the function does not log JSON; set logging_config.log_format='JSON'.")
    if not text(nested(props, "loggingConfig", "logGroup")):
        problems.append(
            "the function writes to Lambda's default log group, which Lambda creates without "
            "retention; set logging_config.log_group to a log group this stack creates."
        )
    return problems


def reserved_concurrency_advisories(props: Props) -> list[str]:
    """CKV_AWS_115 (advisory): reserved concurrency, an opt-in because new accounts cannot reserve any."""
    reserved = number(props.get("reservedConcurrentExecutions"))
    if reserved is not None and reserved >= 0:
        return []
    return [
        "CKV_AWS_115: no reserved concurrency, so the function shares the account's pool. Off by "
        "default (new accounts have too little unreserved concurrency); set config "
        "reservedConcurrency to cap and guarantee it."
    ]


# --- stack checks --------------------------------------------------------------------------------


def availability_zone_findings(
    resources_: Sequence[StackResource], *, minimum: int = MINIMUM_AVAILABILITY_ZONES
) -> list[Finding]:
    """Lambda.5: the function's subnets lie in at least ``minimum`` distinct AZs."""
    subnets = of_type(resources_, tokens.SUBNET)
    findings: list[Finding] = []
    for function in of_type(resources_, tokens.LAMBDA_FUNCTION):
        ids = [text(i) for i in as_list(nested(function.props, "vpcConfig", "subnetIds"))]
        if not ids:
            continue
        zones = {
            # The ID names the physical zone (a name means a different one in every account).
            text(subnet.props.get("availabilityZoneId")) or text(subnet.props.get("availabilityZone"))
            for subnet in subnets
            if any(refers_to(i, subnet) for i in ids)
        } - {""}
        if len(zones) < minimum:
            findings.append(
                Finding(
                    f"Lambda.5: function {label(function)} runs in availability zone(s) {sorted(zones)}; "
                    f"use private subnets in at least {minimum} zones so one zone's outage does not stop it.",
                    function.urn,
                )
            )
    return findings


def snap_start_alias_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """Project: a SnapStart function is invoked through an alias (or version), never unqualified.

    Snapshots exist only for published versions. An API integration or function URL on the
    unqualified function runs ``$LATEST``, which starts every environment cold while the snapshots are
    billed; and a permission without the alias's qualifier does not let API Gateway invoke the alias.
    """
    findings: list[Finding] = []
    for function in of_type(resources_, tokens.LAMBDA_FUNCTION):
        if text(nested(function.props, "snapStart", "applyOn")) != SNAP_START_ON:
            continue
        unqualified = text(function.props.get("invokeArn"))
        for integration in of_type(resources_, tokens.API_INTEGRATION):
            if unqualified and text(integration.props.get("uri")) == unqualified:
                findings.append(
                    Finding(
                        f"integration {label(integration)} invokes SnapStart function {label(function)} "
                        "unqualified ($LATEST, which has no snapshot); set its uri to the alias's "
                        "invoke_arn.",
                        integration.urn,
                    )
                )
        invokers = [
            *((p, "function") for p in of_type(resources_, tokens.LAMBDA_PERMISSION)),
            *((u, "functionName") for u in of_type(resources_, tokens.LAMBDA_FUNCTION_URL)),
        ]
        for invoker, key in invokers:
            if refers_to(invoker.props.get(key), function, "name", "arn") and not text(
                invoker.props.get("qualifier")
            ):
                findings.append(
                    Finding(
                        f"{label(invoker)} is on SnapStart function {label(function)} without a qualifier "
                        "(it applies to $LATEST, not to the alias that is invoked); set qualifier to the "
                        "alias.",
                        invoker.urn,
                    )
                )
    return findings


# --- the policies --------------------------------------------------------------------------------


def _supported(config: Config) -> Collection[str]:
    configured = config.get("supportedRuntimes")
    return tuple(str(r) for r in configured) if configured else DEFAULT_SUPPORTED_RUNTIMES


_RUNTIME_SCHEMA = PolicyConfigSchema(
    properties={
        "supportedRuntimes": {
            "type": "array",
            "items": {"type": "string"},
            "default": list(DEFAULT_SUPPORTED_RUNTIMES),
        }
    }
)


POLICIES: Final[list[Policy]] = [
    resource_policy(
        name="lambda-1-ckv-aws-301-364-permission-not-public",
        description="Lambda permissions grant no public invoke and scope service principals to a source "
        "(Lambda.1; CKV_AWS_301, CKV_AWS_364).",
        resource_types=tokens.LAMBDA_PERMISSION,
        check=props_only(permission_violations),
    ),
    resource_policy(
        name="lambda-1-ckv-aws-258-function-url-iam-auth",
        description="Function URLs require AWS_IAM auth and no credentialed wildcard CORS (Lambda.1; "
        "CKV_AWS_258).",
        resource_types=tokens.LAMBDA_FUNCTION_URL,
        check=props_only(function_url_violations),
    ),
    resource_policy(
        name="lambda-2-ckv-aws-363-supported-runtime",
        description="Lambda functions use a supported runtime (Lambda.2; CKV_AWS_363).",
        resource_types=tokens.LAMBDA_FUNCTION,
        check=lambda props, config: runtime_violations(props, supported=_supported(config)),
        config_schema=_RUNTIME_SCHEMA,
    ),
    resource_policy(
        name="lambda-3-lambda-5-ckv-aws-117-in-vpc",
        description="Lambda functions run in a VPC, in at least two subnets (Lambda.3, Lambda.5; "
        "CKV_AWS_117).",
        resource_types=tokens.LAMBDA_FUNCTION,
        check=props_only(vpc_violations),
    ),
    resource_policy(
        name="ckv-aws-50-lambda-xray-tracing",
        description="Lambda functions have X-Ray active tracing (CKV_AWS_50).",
        resource_types=tokens.LAMBDA_FUNCTION,
        check=props_only(tracing_violations),
    ),
    resource_policy(
        name="ckv-aws-45-lambda-no-secrets-in-environment",
        description="Lambda environment variables hold no secrets (CKV_AWS_45).",
        resource_types=tokens.LAMBDA_FUNCTION,
        check=props_only(environment_secret_violations),
    ),
    resource_policy(
        name="project-lambda-json-logs-own-group",
        description="Lambda functions log JSON into an explicit log group (DESIGN §3).",
        resource_types=tokens.LAMBDA_FUNCTION,
        check=props_only(logging_config_violations),
    ),
    resource_policy(
        name="ckv-aws-115-lambda-reserved-concurrency-advisory",
        description="Lambda functions reserve concurrency (CKV_AWS_115). Advisory: opt in with config "
        "reservedConcurrency.",
        resource_types=tokens.LAMBDA_FUNCTION,
        check=props_only(reserved_concurrency_advisories),
        enforcement_level=ADVISORY,
    ),
    stack_policy(
        name="lambda-5-subnets-in-two-azs",
        description="Lambda functions' subnets span at least two availability zones (Lambda.5).",
        check=resources_only(availability_zone_findings),
    ),
    stack_policy(
        name="project-lambda-snapstart-through-alias",
        description="A SnapStart function's API integrations, permissions and function URL name its alias "
        "(published versions are the only ones with snapshots).",
        check=resources_only(snap_start_alias_findings),
    ),
]
