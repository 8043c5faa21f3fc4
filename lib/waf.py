"""The WAFv2 web ACL rules in front of the API (AWS managed rule groups plus a rate limit).

Body inspection is scoped, not dropped. The managed rules that inspect the request body judge it
as an HTML form or a Java/JNDI payload; a document is neither, and a legitimate text file that
mentions ``../../`` or ``<script>`` (or any upload over 8 KB) would be blocked. AWS's documented
pattern for excluding one request from single managed rules: override those rules to ``count``
inside their group (they still add their labels), then block, in a later rule, every request that
carries one of those labels **and is not a document upload**. Every other rule of the groups keeps
its own action (block), and every other request keeps body inspection.

One JSON call needs one exemption more: ``POST /uploads/{id}/complete`` lists every part of a large
upload (~64 bytes a part, ~128 with its checksum; up to 10,000 parts and
``uploads.MAX_COMPLETE_BODY_CHARACTERS``), so beyond ~128 parts its body outgrows the size rule's
8 KB. Its size label alone is therefore re-blocked by a second rule that also exempts that route;
the content rules (XSS, LFI, RFI, SSRF, Java deserialization, Log4j) still block it like any call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import pulumi_aws as aws

from document_processor.ids import ID_LENGTH
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
"""Re-blocks the content rules' labels (every body rule but the size rule) outside document uploads."""
BODY_SIZE_INSPECTION_RULE: Final = "BodySizeOutsideLargeBodies"
"""Re-blocks the size rule's label outside document uploads and ``LARGE_JSON_BODY_OPERATIONS``."""
RATE_LIMIT_RULE: Final = "RateLimitPerIp"
UPLOAD_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
"""Methods that carry a request body."""
JSON_BODY_OPERATIONS: Final = frozenset({"create_upload", "sign_upload_parts", "complete_upload"})
"""Routes whose body is a small JSON request, not a document: the large-upload session calls
(DESIGN §4.2; their bytes go to S3 directly, never through the WAF). They keep every body rule, like
the requests without a body; every other body-carrying route's body is a raw document."""
LARGE_JSON_BODY_OPERATIONS: Final = frozenset({"complete_upload"})
"""JSON calls whose body may legitimately exceed the size rule's 8 KB: exempt from that one rule only.
``complete_upload`` lists every part (``uploads.MAX_COMPLETE_BODY_CHARACTERS``, 3 MiB); the handler
bounds it. ``create_upload`` (a filename and four fields) and ``sign_upload_parts`` (at most
``MAX_PARTS_PER_REQUEST`` part numbers with checksums, ~5 KB) stay under it and keep the size rule."""
PATH_PARAMETER_PATTERNS: Final = {"{id}": f"[0-9a-f]{{{ID_LENGTH}}}"}
"""Path parameters whose shape is known: ``{id}`` is a canonical id (``ids.is_valid_document_id``:
32 lowercase hex digits), so an exemption covers only ids the handler can accept. Any other
parameter matches one non-empty segment."""


@dataclass(frozen=True)
class BodyRule:
    """A managed rule that inspects the request body, and the label it adds when it matches."""

    group: str
    rule: str
    label: str

    @property
    def is_size_rule(self) -> bool:
        """The 8 KB size rule: the one rule a large JSON call is exempt from."""
        return self.group == COMMON_RULE_GROUP and self.rule == BODY_SIZE_RULE


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


def large_json_body_routes(routes: tuple[Route, ...] = ROUTES) -> tuple[Route, ...]:
    """The JSON calls exempt from the size rule only (``LARGE_JSON_BODY_OPERATIONS``, body methods)."""
    return tuple(
        route
        for route in routes
        if route.method in UPLOAD_METHODS and route.operation in LARGE_JSON_BODY_OPERATIONS
    )


def route_path_regex(route: Route) -> str:
    """A regex for the URI path WAF sees for ``route``, anchored at both ends of the path.

    WAF on a REST API stage inspects the path as the client sent it: on the ``execute-api``
    endpoint that starts with the stage (``/dev/documents``); behind a custom domain it starts
    with the base path, if any. Any such prefix of whole segments is allowed; the route's own
    segments must match exactly (``{id}``: a canonical id, any other ``{name}``: one non-empty
    segment). A path that only looks like this (``/dev/x/documents``) names no resource, and API
    Gateway answers it without invoking the function, so an exemption lets nothing through to the
    handler but the route itself. The group is non-capturing: AWS WAF rejects capturing
    subexpressions ("Supported regular expression syntax in AWS WAF").
    """
    segments = [
        PATH_PARAMETER_PATTERNS.get(segment, "[^/]+")
        if segment.startswith(PATH_PARAMETER_PREFIX)
        else _regex_literal(segment)
        for segment in route.segments
    ]
    return "^(?:/[^/]+)*/" + "/".join(segments) + "$"


def web_acl_rules(
    *, rate_limit: int, metric_prefix: str, routes: tuple[Route, ...] = ROUTES
) -> list[aws.wafv2.WebAclRuleArgs]:
    """IP reputation, the common rule set and known bad inputs (body rules counted), the label
    rules that re-block the content rules outside uploads and the size rule outside uploads and
    large JSON calls, rate limit."""
    uploads = upload_routes(routes)
    return [
        _managed_rule_group(IP_REPUTATION_RULE_GROUP, 0, metric_prefix),
        _managed_rule_group(COMMON_RULE_GROUP, 1, metric_prefix),
        _managed_rule_group(KNOWN_BAD_INPUTS_RULE_GROUP, 2, metric_prefix),
        # After both groups: labels are visible only to rules evaluated after the rule adding them.
        # Two rules, not one with a per-label exemption: a complete body over 8 KB that also trips
        # XSS carries both labels and must still be blocked by the XSS one.
        _label_rule(
            BODY_INSPECTION_RULE,
            3,
            metric_prefix,
            [body_rule for body_rule in BODY_RULES if not body_rule.is_size_rule],
            uploads,
        ),
        _label_rule(
            BODY_SIZE_INSPECTION_RULE,
            4,
            metric_prefix,
            [body_rule for body_rule in BODY_RULES if body_rule.is_size_rule],
            (*uploads, *large_json_body_routes(routes)),
        ),
        aws.wafv2.WebAclRuleArgs(
            name=RATE_LIMIT_RULE,
            priority=5,
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


def _label_rule(
    name: str,
    priority: int,
    metric_prefix: str,
    body_rules: list[BodyRule],
    exempt: tuple[Route, ...],
) -> aws.wafv2.WebAclRuleArgs:
    """Block what one of ``body_rules`` matched, unless the request is one of the ``exempt`` routes.

    and(label or or(label...), not(and(method, path)) per exempt route): three levels of logical
    statements, the most the provider's ``rules`` schema nests (pulumi-aws v7); another exempt route
    adds another ``not`` rather than a fourth level. AWS needs two or more statements in an
    ``and``/``or``, so a single label is matched directly.
    """
    labels = [
        aws.wafv2.WebAclRuleStatementArgs(
            label_match_statement=aws.wafv2.WebAclRuleStatementLabelMatchStatementArgs(
                scope="LABEL", key=body_rule.label
            )
        )
        for body_rule in body_rules
    ]
    any_label = (
        labels[0]
        if len(labels) == 1
        else aws.wafv2.WebAclRuleStatementArgs(
            or_statement=aws.wafv2.WebAclRuleStatementOrStatementArgs(statements=labels)
        )
    )
    not_exempt = [
        aws.wafv2.WebAclRuleStatementArgs(
            not_statement=aws.wafv2.WebAclRuleStatementNotStatementArgs(statement=_route_statement(route))
        )
        for route in exempt
    ]
    statement = (
        aws.wafv2.WebAclRuleStatementArgs(
            and_statement=aws.wafv2.WebAclRuleStatementAndStatementArgs(statements=[any_label, *not_exempt])
        )
        if not_exempt
        else any_label
    )
    return aws.wafv2.WebAclRuleArgs(
        name=name,
        priority=priority,
        action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
        statement=statement,
        visibility_config=visibility(f"{metric_prefix}-{name}"),
    )


def _route_statement(route: Route) -> aws.wafv2.WebAclRuleStatementArgs:
    """This route's method, exactly, and its path (see ``route_path_regex``); no transformations,
    so an unusually encoded request is inspected (and maybe blocked) rather than let through."""
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
                        regex_string=route_path_regex(route),
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
