"""API Gateway (REST): APIGateway.1/3/4/5 (CKV_AWS_59/73/76/225/276, CKV2_AWS_4/29/53/70) and the
project's rules: every method is ``AWS_IAM`` (never ``NONE``), data trace logging is off, and the
web ACL's managed rules really block (body rules are counted only where a later rule re-blocks them
for every request but a document upload).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from . import tokens
from ._support import (
    Finding,
    StackResource,
    as_list,
    is_true,
    label,
    nested,
    number,
    of_type,
    props_only,
    resource_policy,
    resources_only,
    stack_policy,
    text,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pulumi_policy import Policy

    from ._support import Props

EXECUTION_LOGGING_LEVELS: Final = frozenset({"INFO", "ERROR"})
ALL_METHODS_PATH: Final = "*/*"
REQUIRED_MANAGED_RULE_GROUPS: Final = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
)
BODY_RULE_LABELS: Final[Mapping[tuple[str, str], str]] = {
    (
        "AWSManagedRulesCommonRuleSet",
        "SizeRestrictions_BODY",
    ): "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
    (
        "AWSManagedRulesCommonRuleSet",
        "EC2MetaDataSSRF_BODY",
    ): "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body",
    ("AWSManagedRulesCommonRuleSet", "GenericLFI_BODY"): "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
    ("AWSManagedRulesCommonRuleSet", "GenericRFI_BODY"): "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
    ("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_BODY"): (
        "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body"
    ),
    ("AWSManagedRulesKnownBadInputsRuleSet", "JavaDeserializationRCE_BODY"): (
        "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body"
    ),
    (
        "AWSManagedRulesKnownBadInputsRuleSet",
        "Log4JRCE_BODY",
    ): "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Body",
}
"""The managed rules that inspect the request body, with the labels they add (AWS WAF developer
guide, baseline rule groups). Only these may be counted, since a document is not an HTML form and
trips them, and only when a later blocking rule matches the label outside uploads."""
UPLOAD_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
"""What an upload exemption must name: a request method that carries a body (never GET, never any)."""
ENFORCING_ACTIONS: Final = frozenset({"block", "captcha", "challenge"})


# --- per-resource checks -------------------------------------------------------------------------


def method_violations(props: Props) -> list[str]:
    """CKV_AWS_59, CKV2_AWS_70 (project: SigV4 only) and CKV2_AWS_53 (request validation)."""
    problems: list[str] = []
    authorization = text(props.get("authorization"))
    if authorization != "AWS_IAM":
        problems.append(
            f"CKV_AWS_59/CKV2_AWS_70: {props.get('httpMethod')!r} method authorization is "
            f"{authorization or 'unset'!r}; the API is private, set authorization='AWS_IAM' (SigV4)."
        )
    if not text(props.get("requestValidatorId")):
        problems.append(
            "CKV2_AWS_53: the method has no request validator; set request_validator_id to the API's "
            "aws.apigateway.RequestValidator (validates required path/query parameters)."
        )
    return problems


def stage_violations(props: Props) -> list[str]:
    """APIGateway.3 (CKV_AWS_73) X-Ray; CKV_AWS_76 access logs with a format."""
    problems: list[str] = []
    if not is_true(props.get("xrayTracingEnabled")):
        problems.append("APIGateway.3 (CKV_AWS_73): X-Ray tracing is off; set xray_tracing_enabled=True.")
    if not text(nested(props, "accessLogSettings", "destinationArn")) or not text(
        nested(props, "accessLogSettings", "format")
    ):
        problems.append(
            "CKV_AWS_76: the stage has no access logging; set access_log_settings with destination_arn "
            "(a log group with retention) and a JSON format."
        )
    return problems


def method_settings_violations(props: Props) -> list[str]:
    """APIGateway.1 (CKV2_AWS_4), APIGateway.5 (CKV_AWS_225) and CKV_AWS_276 on method settings."""
    problems: list[str] = []
    level = text(nested(props, "settings", "loggingLevel"))
    if level not in EXECUTION_LOGGING_LEVELS:
        problems.append(
            f"APIGateway.1 (CKV2_AWS_4): execution logging level is {level or 'unset'!r}; set "
            "settings.logging_level to 'INFO' or 'ERROR'."
        )
    if is_true(nested(props, "settings", "dataTraceEnabled")):
        problems.append(
            "CKV_AWS_276: data trace logging is on: it copies request and response bodies (the "
            "documents) into CloudWatch Logs; set settings.data_trace_enabled=False."
        )
    if is_true(nested(props, "settings", "cachingEnabled")) and not is_true(
        nested(props, "settings", "cacheDataEncrypted")
    ):
        problems.append(
            "APIGateway.5 (CKV_AWS_225): caching is on without encryption; set "
            "settings.cache_data_encrypted=True (or keep caching off, as documents are per-caller)."
        )
    return problems


def web_acl_violations(props: Props) -> list[str]:
    """Project (DESIGN §3): the AWS managed groups and a rate rule are in force, not just counted.

    Counting a whole group (``override_action=count``) is the usual shortcut when one of its rules
    blocks uploads; it turns the group into a log-only monitor. Only the body rules may count, and
    each only if a later rule blocks its label for every request except a document upload.
    """
    problems: list[str] = []
    rules = [r for r in as_list(props.get("rules")) if isinstance(r, Mapping)]
    groups: set[str] = set()
    for rule in rules:
        group = text(nested(rule, "statement", "managedRuleGroupStatement", "name"))
        if not group:
            continue
        groups.add(group)
        if nested(rule, "overrideAction", "count") is not None:
            problems.append(
                f"rule {rule.get('name')!r}: override_action count turns every rule of {group!r} into "
                "count-only; use override_action none and count single rules with rule_action_overrides."
            )
        for override in as_list(
            nested(rule, "statement", "managedRuleGroupStatement", "ruleActionOverrides")
        ):
            action = nested(override, "actionToUse")
            used = (
                sorted(k for k, v in action.items() if v is not None) if isinstance(action, Mapping) else []
            )
            name = text(nested(override, "name"))
            if set(used) <= ENFORCING_ACTIONS:
                continue
            label = BODY_RULE_LABELS.get((group, name))
            if label is None:
                problems.append(
                    f"rule {rule.get('name')!r}: {group}/{name} is overridden to {used}, so it no longer "
                    "blocks; only the body rules "
                    f"{sorted(f'{g}/{r}' for g, r in BODY_RULE_LABELS)} may be counted."
                )
            elif not any(_reblocks_outside_uploads(later, label) for later in _after(rules, rule)):
                problems.append(
                    f"rule {rule.get('name')!r}: {group}/{name} is counted but no later blocking rule "
                    f"re-blocks its label {label!r} outside uploads; add a rule after the group with "
                    f"action block and statement and(label_match_statement {label!r}, "
                    "not(and(the upload's method, the upload's uri_path)))."
                )
    missing = [group for group in REQUIRED_MANAGED_RULE_GROUPS if group not in groups]
    if missing:
        problems.append(
            f"the web ACL lacks the AWS managed rule groups {missing}; add each with override_action none."
        )
    if not any(
        nested(rule, "statement", "rateBasedStatement") is not None
        and nested(rule, "action", "block") is not None
        for rule in rules
    ):
        problems.append("the web ACL has no blocking rate-based rule; add one (aggregate_key_type 'IP').")
    return problems


def _after(rules: Sequence[Mapping[str, Any]], rule: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The rules WAF evaluates after ``rule`` (higher priority number): only they see its labels."""
    priority = number(rule.get("priority"))
    return [
        other
        for other in rules
        if priority is not None and (later := number(other.get("priority"))) is not None and later > priority
    ]


def _reblocks_outside_uploads(rule: Mapping[str, Any], label: str) -> bool:
    """Whether ``rule`` blocks every request carrying ``label`` except, at most, document uploads.

    Accepted statements: the label match alone, an ``or`` of label matches including it, or an
    ``and`` of one of those with ``not`` statements that each name one upload (its method and path).
    Anything else could narrow the re-block in ways this check cannot see, so it does not count.
    """
    if nested(rule, "action", "block") is None:
        return False
    statement = rule.get("statement")
    if not isinstance(statement, Mapping):
        return False
    if _matches_label(statement, label):
        return True
    members = [m for m in as_list(nested(statement, "andStatement", "statements")) if isinstance(m, Mapping)]
    label_parts = [m for m in members if _matches_label(m, label)]
    exemptions = [m for m in members if m not in label_parts]
    return len(label_parts) == 1 and all(_is_upload_exemption(m) for m in exemptions)


def _matches_label(statement: Mapping[str, Any], label: str) -> bool:
    """A label match on ``label`` (scope LABEL), or an ``or`` with one among its direct members."""
    match = statement.get("labelMatchStatement")
    if isinstance(match, Mapping):
        return text(match.get("scope")) == "LABEL" and text(match.get("key")) == label
    members = as_list(nested(statement, "orStatement", "statements"))
    return any(isinstance(m, Mapping) and _matches_label(m, label) for m in members)


def _is_upload_exemption(statement: Mapping[str, Any]) -> bool:
    """``not(and(method is exactly an upload method, uri_path matches ...))``."""
    inner = nested(statement, "notStatement", "statement")
    if not isinstance(inner, Mapping):
        return False
    parts = [p for p in as_list(nested(inner, "andStatement", "statements")) if isinstance(p, Mapping)]
    names_method = any(
        nested(p, "byteMatchStatement", "fieldToMatch", "method") is not None
        and text(nested(p, "byteMatchStatement", "positionalConstraint")) == "EXACTLY"
        and text(nested(p, "byteMatchStatement", "searchString")) in UPLOAD_METHODS
        for p in parts
    )
    names_path = any(
        nested(p, kind, "fieldToMatch", "uriPath") is not None
        for p in parts
        for kind in ("byteMatchStatement", "regexMatchStatement")
    )
    return names_method and names_path


# --- stack checks --------------------------------------------------------------------------------


def _settings_for(stage: StackResource, resources_: Sequence[StackResource]) -> list[StackResource]:
    api, name = text(stage.props.get("restApi")), text(stage.props.get("stageName"))
    return [
        s
        for s in of_type(resources_, tokens.API_METHOD_SETTINGS)
        if text(s.props.get("restApi")) == api and text(s.props.get("stageName")) == name
    ]


def execution_logging_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """APIGateway.1, CKV2_AWS_4: every stage logs execution for all methods at INFO or ERROR."""
    findings: list[Finding] = []
    for stage in of_type(resources_, tokens.API_STAGE):
        all_methods = [
            s for s in _settings_for(stage, resources_) if text(s.props.get("methodPath")) == ALL_METHODS_PATH
        ]
        if not any(
            text(nested(s.props, "settings", "loggingLevel")) in EXECUTION_LOGGING_LEVELS for s in all_methods
        ):
            findings.append(
                Finding(
                    f"APIGateway.1 (CKV2_AWS_4): stage {label(stage)} has no execution logging for all "
                    "methods; add aws.apigateway.MethodSettings(method_path='*/*', "
                    "settings.logging_level='INFO' or 'ERROR') for this stage.",
                    stage.urn,
                )
            )
    return findings


def cache_encryption_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """APIGateway.5, CKV_AWS_225: a stage with a cache cluster encrypts the cached data."""
    findings: list[Finding] = []
    for stage in of_type(resources_, tokens.API_STAGE):
        if not is_true(stage.props.get("cacheClusterEnabled")):
            continue
        if not any(
            is_true(nested(s.props, "settings", "cacheDataEncrypted"))
            for s in _settings_for(stage, resources_)
        ):
            findings.append(
                Finding(
                    f"APIGateway.5 (CKV_AWS_225): stage {label(stage)} has a cache cluster but no method "
                    "settings with cache_data_encrypted=True; encrypt it or set cache_cluster_enabled=False.",
                    stage.urn,
                )
            )
    return findings


def waf_findings(resources_: Sequence[StackResource]) -> list[Finding]:
    """APIGateway.4, CKV2_AWS_29: every stage is associated with a WAF web ACL."""
    associated = {text(a.props.get("resourceArn")) for a in of_type(resources_, tokens.WEB_ACL_ASSOCIATION)}
    return [
        Finding(
            f"APIGateway.4 (CKV2_AWS_29): stage {label(stage)} has no WAF web ACL; keep config enableWaf "
            "true (or associate your own web ACL with the stage's ARN). A stack that deliberately turns "
            "the WAF off must also set this policy to advisory in its policy-pack config (see "
            "docs/security.md).",
            stage.urn,
        )
        for stage in of_type(resources_, tokens.API_STAGE)
        if text(stage.props.get("arn")) not in associated
    ]


# --- the policies --------------------------------------------------------------------------------

POLICIES: Final[list[Policy]] = [
    resource_policy(
        name="ckv-aws-59-ckv2-aws-53-70-method-iam-auth-validated",
        description="API methods require AWS_IAM authorization and a request validator (CKV_AWS_59, "
        "CKV2_AWS_53, CKV2_AWS_70).",
        resource_types=tokens.API_METHOD,
        check=props_only(method_violations),
    ),
    resource_policy(
        name="apigateway-3-ckv-aws-73-76-stage-tracing-access-logs",
        description="API stages have X-Ray tracing and access logging (APIGateway.3; CKV_AWS_73, "
        "CKV_AWS_76).",
        resource_types=tokens.API_STAGE,
        check=props_only(stage_violations),
    ),
    resource_policy(
        name="apigateway-1-5-ckv2-aws-4-ckv-aws-225-276-method-settings",
        description="Method settings log execution at INFO/ERROR, never data trace, and encrypt any cache "
        "(APIGateway.1, APIGateway.5; CKV2_AWS_4, CKV_AWS_225, CKV_AWS_276).",
        resource_types=tokens.API_METHOD_SETTINGS,
        check=props_only(method_settings_violations),
    ),
    resource_policy(
        name="project-waf-managed-rules-block",
        description="The web ACL runs the AWS managed IP reputation, common and known-bad-inputs groups "
        "and a rate rule, all blocking; only body rules are counted, each re-blocked by label outside "
        "document uploads (DESIGN §3).",
        resource_types=tokens.WEB_ACL,
        check=props_only(web_acl_violations),
    ),
    stack_policy(
        name="apigateway-1-ckv2-aws-4-every-stage-execution-logging",
        description="Every API stage has execution logging for all methods (APIGateway.1; CKV2_AWS_4).",
        check=resources_only(execution_logging_findings),
    ),
    stack_policy(
        name="apigateway-5-ckv-aws-225-every-stage-cache-encrypted",
        description="Every API stage with a cache encrypts it (APIGateway.5; CKV_AWS_225).",
        check=resources_only(cache_encryption_findings),
    ),
    stack_policy(
        name="apigateway-4-ckv2-aws-29-every-stage-waf",
        description="Every API stage is protected by a WAF web ACL (APIGateway.4; CKV2_AWS_29).",
        check=resources_only(waf_findings),
    ),
]
