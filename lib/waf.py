"""The WAFv2 web ACL rules in front of the API (AWS managed rule groups plus a rate limit)."""

from __future__ import annotations

from typing import Final

import pulumi_aws as aws

AWS_MANAGED_RULES_VENDOR: Final = "AWS"
IP_REPUTATION_RULE_GROUP: Final = "AWSManagedRulesAmazonIpReputationList"
COMMON_RULE_GROUP: Final = "AWSManagedRulesCommonRuleSet"
KNOWN_BAD_INPUTS_RULE_GROUP: Final = "AWSManagedRulesKnownBadInputsRuleSet"
BODY_SIZE_RULE: Final = "SizeRestrictions_BODY"
"""Blocks bodies over 8 KB: every real document upload. Counted instead of blocked; the handler
enforces the real limit (``MAX_DOCUMENT_BYTES``) and API Gateway caps requests at 10 MB."""
RATE_LIMIT_RULE: Final = "RateLimitPerIp"


def web_acl_rules(*, rate_limit: int, metric_prefix: str) -> list[aws.wafv2.WebAclRuleArgs]:
    """IP reputation, the common rule set (body-size rule counted), known bad inputs, rate limit."""
    return [
        _managed_rule_group(IP_REPUTATION_RULE_GROUP, 0, metric_prefix),
        _managed_rule_group(COMMON_RULE_GROUP, 1, metric_prefix, count_rules=(BODY_SIZE_RULE,)),
        _managed_rule_group(KNOWN_BAD_INPUTS_RULE_GROUP, 2, metric_prefix),
        aws.wafv2.WebAclRuleArgs(
            name=RATE_LIMIT_RULE,
            priority=3,
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


def _managed_rule_group(
    group: str, priority: int, metric_prefix: str, *, count_rules: tuple[str, ...] = ()
) -> aws.wafv2.WebAclRuleArgs:
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
                    for rule in count_rules
                ],
            )
        ),
        visibility_config=visibility(f"{metric_prefix}-{group}"),
    )
