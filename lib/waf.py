"""The WAFv2 web ACL rules in front of the API (AWS managed rule groups plus a rate limit).

Body inspection is scoped, not dropped. The managed rules that inspect the request body judge it
as an HTML form or a Java/JNDI payload; a document is neither, and a legitimate text file that
mentions ``../../`` or ``<script>`` (or any upload over 8 KB) would be blocked. AWS's documented
pattern for excluding one request from single managed rules: override those rules to ``count``
inside their group (they still add their labels), then block, in a later rule, every request that
carries one of those labels **and is not a document upload**. Every other rule of the groups keeps
its own action (block), and every other request keeps body inspection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pulumi_aws as aws

from document_processor.routes import PATH_PARAMETER_PREFIX, ROUTES

if TYPE_CHECKING:
    from document_processor.routes import Route

AWS_MANAGED_RULES_VENDOR: Final = "AWS"
IP_REPUTATION_RULE_GROUP: Final = "AWSManagedRulesAmazonIpReputationList"
COMMON_RULE_GROUP: Final = "AWSManagedRulesCommonRuleSet"
KNOWN_BAD_INPUTS_RULE_GROUP: Final = "AWSManagedRulesKnownBadInputsRuleSet"
BODY_SIZE_RULE: Final = "SizeRestrictions_BODY"
"""Blocks bodies over 8 KB: every real document upload. The handler enforces the real limit
(``MAX_DOCUMENT_BYTES``) and API Gateway caps requests at 10 MB."""
BODY_INSPECTION_RULE: Final = "BodyInspectionOutsideUploads"
RATE_LIMIT_RULE: Final = "RateLimitPerIp"
UPLOAD_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
"""Methods that carry a request body."""
JSON_BODY_OPERATIONS: Final = frozenset({"create_upload", "sign_upload_parts", "complete_upload"})
"""Routes whose body is a small JSON request, not a document: the large-upload session calls
(DESIGN §4.2; their bytes go to S3 directly, never through the WAF). They keep every body rule, like
the requests without a body; every other body-carrying route's body is a raw document."""


@dataclass(frozen=True)
class BodyRule:
    """A managed rule that inspects the request body, and the label it adds when it matches."""

    group: str
    rule: str
    label: str


BODY_RULES: Final[tuple[BodyRule, ...]] = (
    # AWS WAF developer guide, "Core rule set (CRS) managed rule group": labels differ from rule
    # names (``_Body``, not ``_BODY``).
    BodyRule(COMMON_RULE_GROUP, BODY_SIZE_RULE, "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"),
    BodyRule(
        COMMON_RULE_GROUP, "EC2MetaDataSSRF_BODY", "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body"
    ),
    BodyRule(COMMON_RULE_GROUP, "GenericLFI_BODY", "awswaf:managed:aws:core-rule-set:GenericLFI_Body"),
    BodyRule(COMMON_RULE_GROUP, "GenericRFI_BODY", "awswaf:managed:aws:core-rule-set:GenericRFI_Body"),
    BodyRule(
        COMMON_RULE_GROUP,
        "CrossSiteScripting_BODY",
        "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
    ),
    # "Known bad inputs managed rule group".
    BodyRule(
        KNOWN_BAD_INPUTS_RULE_GROUP,
        "JavaDeserializationRCE_BODY",
        "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body",
    ),
    BodyRule(
        KNOWN_BAD_INPUTS_RULE_GROUP, "Log4JRCE_BODY", "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Body"
    ),
)
"""Every rule of the two groups that inspects the body (the others look at headers, the URI, the
query string or cookies and keep blocking everything)."""


def upload_routes(routes: tuple[Route, ...] = ROUTES) -> tuple[Route, ...]:
    """The routes whose request body is a document: a body-carrying method (``UPLOAD_METHODS``) and not
    one of the JSON session calls (``JSON_BODY_OPERATIONS``)."""
    return tuple(
        route
        for route in routes
        if route.method in UPLOAD_METHODS and route.operation not in JSON_BODY_OPERATIONS
    )


def upload_path_regex(route: Route) -> str:
    """A regex for the URI path WAF sees for ``route``, anchored at the end of the path.

    WAF on a REST API stage inspects the path as the client sent it: on the ``execute-api``
    endpoint that starts with the stage (``/dev/documents``); behind a custom domain it starts
    with the base path, if any. Any such prefix of whole segments is allowed; the route's own
    segments must match exactly (``{name}``: one non-empty segment). A path that only looks like
    this (``/dev/x/documents``) names no resource, and API Gateway answers it without invoking
    the function, so the exemption lets nothing through to the handler but the upload itself.
    """
    segments = [
        "[^/]+" if segment.startswith(PATH_PARAMETER_PREFIX) else _regex_literal(segment)
        for segment in route.segments
    ]
    return "^(/[^/]+)*/" + "/".join(segments) + "$"


def web_acl_rules(
    *, rate_limit: int, metric_prefix: str, routes: tuple[Route, ...] = ROUTES
) -> list[aws.wafv2.WebAclRuleArgs]:
    """IP reputation, the common rule set and known bad inputs (body rules counted), the label
    rule that re-blocks the body rules outside uploads, rate limit."""
    return [
        _managed_rule_group(IP_REPUTATION_RULE_GROUP, 0, metric_prefix),
        _managed_rule_group(COMMON_RULE_GROUP, 1, metric_prefix),
        _managed_rule_group(KNOWN_BAD_INPUTS_RULE_GROUP, 2, metric_prefix),
        # After both groups: labels are visible only to rules evaluated after the rule adding them.
        _body_inspection_rule(3, metric_prefix, upload_routes(routes)),
        aws.wafv2.WebAclRuleArgs(
            name=RATE_LIMIT_RULE,
            priority=4,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=rate_limit, aggregate_key_type="IP", evaluation_window_sec=300
                )
            ),
            visibility_config=visibility(f"{metric_prefix}-{RATE_LIMIT_RULE}"),
        ),
    ]


def visibility(metric_name: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(
        cloudwatch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def _regex_literal(segment: str) -> str:
    """A path segment as a regex literal (escaping what AWS WAF's regex syntax treats as special)."""
    return "".join(f"\\{char}" if char in r"\^$.|?*+()[]{}" else char for char in segment)


def _managed_rule_group(group: str, priority: int, metric_prefix: str) -> aws.wafv2.WebAclRuleArgs:
    counted = [body_rule.rule for body_rule in BODY_RULES if body_rule.group == group]
    return aws.wafv2.WebAclRuleArgs(
        name=group,
        priority=priority,
        # "none": keep the group's own actions (block), except the rules overridden to count.
        override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
            # The generated empty-block class has an unannotated __init__.
            none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()  # type: ignore[no-untyped-call]
        ),
        statement=aws.wafv2.WebAclRuleStatementArgs(
            managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                name=group,
                vendor_name=AWS_MANAGED_RULES_VENDOR,
                rule_action_overrides=[
                    aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
                        name=rule,
                        action_to_use=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
                            count=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()
                        ),
                    )
                    for rule in counted
                ],
            )
        ),
        visibility_config=visibility(f"{metric_prefix}-{group}"),
    )


def _body_inspection_rule(
    priority: int, metric_prefix: str, uploads: tuple[Route, ...]
) -> aws.wafv2.WebAclRuleArgs:
    """Block what a counted body rule matched, unless the request is a document upload.

    and(or(label...), not(and(method, path)) per upload): three levels of logical statements, the
    most the provider's ``rules`` schema nests (pulumi-aws v7); a second upload route adds a second
    ``not`` rather than a fourth level. AWS needs two or more statements in an ``and``/``or``.
    """
    any_label = aws.wafv2.WebAclRuleStatementArgs(
        or_statement=aws.wafv2.WebAclRuleStatementOrStatementArgs(
            statements=[
                aws.wafv2.WebAclRuleStatementArgs(
                    label_match_statement=aws.wafv2.WebAclRuleStatementLabelMatchStatementArgs(
                        scope="LABEL", key=body_rule.label
                    )
                )
                for body_rule in BODY_RULES
            ]
        )
    )
    not_uploads = [
        aws.wafv2.WebAclRuleStatementArgs(
            not_statement=aws.wafv2.WebAclRuleStatementNotStatementArgs(statement=_upload_statement(route))
        )
        for route in uploads
    ]
    statement = (
        aws.wafv2.WebAclRuleStatementArgs(
            and_statement=aws.wafv2.WebAclRuleStatementAndStatementArgs(statements=[any_label, *not_uploads])
        )
        if not_uploads
        else any_label
    )
    return aws.wafv2.WebAclRuleArgs(
        name=BODY_INSPECTION_RULE,
        priority=priority,
        action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
        statement=statement,
        visibility_config=visibility(f"{metric_prefix}-{BODY_INSPECTION_RULE}"),
    )


def _upload_statement(route: Route) -> aws.wafv2.WebAclRuleStatementArgs:
    """This route's method, exactly, and its path (see ``upload_path_regex``); no transformations,
    so an unusually encoded upload is inspected (and maybe blocked) rather than let through."""
    return aws.wafv2.WebAclRuleStatementArgs(
        and_statement=aws.wafv2.WebAclRuleStatementAndStatementArgs(
            statements=[
                aws.wafv2.WebAclRuleStatementArgs(
                    byte_match_statement=aws.wafv2.WebAclRuleStatementByteMatchStatementArgs(
                        field_to_match=aws.wafv2.WebAclRuleStatementByteMatchStatementFieldToMatchArgs(
                            method=aws.wafv2.WebAclRuleStatementByteMatchStatementFieldToMatchMethodArgs()  # type: ignore[no-untyped-call]
                        ),
                        positional_constraint="EXACTLY",
                        search_string=route.method,
                        text_transformations=[
                            aws.wafv2.WebAclRuleStatementByteMatchStatementTextTransformationArgs(
                                priority=0, type="NONE"
                            )
                        ],
                    )
                ),
                aws.wafv2.WebAclRuleStatementArgs(
                    regex_match_statement=aws.wafv2.WebAclRuleStatementRegexMatchStatementArgs(
                        field_to_match=aws.wafv2.WebAclRuleStatementRegexMatchStatementFieldToMatchArgs(
                            uri_path=aws.wafv2.WebAclRuleStatementRegexMatchStatementFieldToMatchUriPathArgs()  # type: ignore[no-untyped-call]
                        ),
                        regex_string=upload_path_regex(route),
                        text_transformations=[
                            aws.wafv2.WebAclRuleStatementRegexMatchStatementTextTransformationArgs(
                                priority=0, type="NONE"
                            )
                        ],
                    )
                ),
            ]
        )
    )
