"""The synthesized web ACL: managed rules block, and body inspection is scoped away from uploads only.

The managed rules that judge a body as an HTML form (XSS, LFI, RFI, SSRF, Java deserialization,
Log4j, the 8 KB size rule) would block legitimate documents (a text file mentioning ``../../`` or a
``<script>`` tag). They are counted inside their groups and re-blocked by one label rule for every
request except a document upload. Rule and label names are written out from the AWS WAF developer
guide (AWS managed rule groups, baseline), not read from the module under test.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.routes import ROUTES
from tests.unit.infra.conftest import one

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

COMMON = "AWSManagedRulesCommonRuleSet"
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
IP_REPUTATION = "AWSManagedRulesAmazonIpReputationList"
BODY_RULES: dict[str, dict[str, str]] = {
    COMMON: {
        "SizeRestrictions_BODY": "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body",
        "EC2MetaDataSSRF_BODY": "awswaf:managed:aws:core-rule-set:EC2MetaDataSSRF_Body",
        "GenericLFI_BODY": "awswaf:managed:aws:core-rule-set:GenericLFI_Body",
        "GenericRFI_BODY": "awswaf:managed:aws:core-rule-set:GenericRFI_Body",
        "CrossSiteScripting_BODY": "awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body",
    },
    KNOWN_BAD_INPUTS: {
        "JavaDeserializationRCE_BODY": "awswaf:managed:aws:known-bad-inputs:JavaDeserializationRCE_Body",
        "Log4JRCE_BODY": "awswaf:managed:aws:known-bad-inputs:Log4JRCE_Body",
    },
}
"""Every rule of the two groups that inspects the request body, with the label it adds."""
ALL_BODY_LABELS = frozenset(label for rules in BODY_RULES.values() for label in rules.values())
UPLOADS = [route for route in ROUTES if route.operation == "upload_document"]


@pytest.fixture(scope="module")
def rules(resources: list[CapturedResource]) -> dict[str, dict[str, Any]]:
    acl = one(resources, "aws:wafv2/webAcl:WebAcl")
    return {rule["name"]: rule for rule in acl.inputs["rules"]}


def _label_rule(rules: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The one custom rule that matches on the body rules' labels."""
    matching = [rule for rule in rules.values() if _labels_in(rule["statement"])]
    assert len(matching) == 1, sorted(rules)
    return matching[0]


def _labels_in(statement: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    if "labelMatchStatement" in statement:
        found.add(statement["labelMatchStatement"]["key"])
    for nested in statement.get("andStatement", statement.get("orStatement", {})).get("statements", []):
        found |= _labels_in(nested)
    return found


# --- a small evaluator of the statements this ACL uses (AWS WAF semantics, no transformations) ---


def _field(statement: dict[str, Any], request: dict[str, Any]) -> str:
    field = statement["fieldToMatch"]
    if "method" in field:
        return str(request["method"])
    assert "uriPath" in field, f"unexpected field {field}"
    return str(request["path"])


def _matches(statement: dict[str, Any], request: dict[str, Any]) -> bool:
    if "andStatement" in statement:
        return all(_matches(s, request) for s in statement["andStatement"]["statements"])
    if "orStatement" in statement:
        return any(_matches(s, request) for s in statement["orStatement"]["statements"])
    if "notStatement" in statement:
        return not _matches(statement["notStatement"]["statement"], request)
    if "labelMatchStatement" in statement:
        label = statement["labelMatchStatement"]
        assert label["scope"] == "LABEL"
        return label["key"] in request["labels"]
    if "byteMatchStatement" in statement:
        match = statement["byteMatchStatement"]
        assert match["textTransformations"] == [{"priority": 0, "type": "NONE"}]
        value, wanted = _field(match, request), str(match["searchString"])
        return {
            "EXACTLY": value == wanted,
            "STARTS_WITH": value.startswith(wanted),
            "ENDS_WITH": value.endswith(wanted),
            "CONTAINS": wanted in value,
        }[match["positionalConstraint"]]
    if "regexMatchStatement" in statement:
        match = statement["regexMatchStatement"]
        assert match["textTransformations"] == [{"priority": 0, "type": "NONE"}]
        return re.search(match["regexString"], _field(match, request)) is not None
    raise AssertionError(f"statement the evaluator does not know: {sorted(statement)}")


def _blocked_by_label_rule(rules: dict[str, dict[str, Any]], method: str, path: str, label: str) -> bool:
    rule = _label_rule(rules)
    return _matches(rule["statement"], {"method": method, "path": path, "labels": {label}})


# --- the tests ---------------------------------------------------------------------------------


def test_every_body_rule_of_both_groups_is_counted_and_nothing_else(
    rules: dict[str, dict[str, Any]],
) -> None:
    for group in (IP_REPUTATION, COMMON, KNOWN_BAD_INPUTS):
        # "none": every other rule of the group keeps its own (block) action.
        assert rules[group]["overrideAction"] == {"none": {}}
        statement = rules[group]["statement"]["managedRuleGroupStatement"]
        overrides = statement.get("ruleActionOverrides") or []
        assert all(o["actionToUse"] == {"count": {}} for o in overrides), overrides
        assert sorted(o["name"] for o in overrides) == sorted(BODY_RULES.get(group, {}))


def test_the_label_rule_blocks_after_both_groups_on_exactly_the_body_labels(
    rules: dict[str, dict[str, Any]],
) -> None:
    rule = _label_rule(rules)

    assert rule["action"] == {"block": {}}
    assert _labels_in(rule["statement"]) == ALL_BODY_LABELS
    assert rule["priority"] > max(rules[COMMON]["priority"], rules[KNOWN_BAD_INPUTS]["priority"])
    assert rule["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    assert len({r["priority"] for r in rules.values()}) == len(rules)


@pytest.mark.parametrize("label", sorted(ALL_BODY_LABELS))
@pytest.mark.parametrize("prefix", ["/dev", "", "/v1"], ids=["stage", "root-mapping", "base-path"])
def test_an_upload_body_is_not_judged_whatever_it_contains(
    rules: dict[str, dict[str, Any]], label: str, prefix: str
) -> None:
    # WAF on a stage sees the path with the stage (/dev/documents); behind a custom domain it
    # sees the base path instead. Either way an upload passes on to the handler's own checks.
    assert UPLOADS
    for upload in UPLOADS:
        assert not _blocked_by_label_rule(rules, upload.method, f"{prefix}{upload.path}", label)


@pytest.mark.parametrize("label", sorted(ALL_BODY_LABELS))
@pytest.mark.parametrize(
    ("method", "path"),
    [
        *[(r.method, f"/dev{r.path.replace('{id}', 'abc')}") for r in ROUTES if r not in UPLOADS],
        ("PUT", "/dev/documents"),  # another method on the upload path
        ("POST", "/dev/health"),  # POST elsewhere
        ("POST", "/dev/documents/abc"),  # under the upload path
        ("POST", "/dev/documents/"),
        ("POST", "/dev/documentsx"),
        ("POST", "/dev/x-documents"),
        ("post", "/dev/documents"),  # methods are compared exactly
    ],
)
def test_every_other_request_keeps_body_inspection(
    rules: dict[str, dict[str, Any]], label: str, method: str, path: str
) -> None:
    assert _blocked_by_label_rule(rules, method, path, label)


def test_a_request_without_a_body_label_is_left_to_the_other_rules(rules: dict[str, dict[str, Any]]) -> None:
    for other in ("awswaf:managed:aws:core-rule-set:NoUserAgent_Header", "something:else"):
        assert not _blocked_by_label_rule(rules, "GET", "/dev/documents", other)


# --- the pure helpers, on route tables other than the shipped one ------------------------------


def test_upload_routes_are_the_routes_whose_method_carries_a_document_body() -> None:
    from document_processor.routes import Route
    from lib import waf

    table = (
        Route("GET", "/documents", "list", ""),
        Route("POST", "/documents", "upload", ""),
        Route("PUT", "/documents/{id}/content", "replace", ""),
        Route("DELETE", "/documents/{id}", "delete", ""),
        Route("POST", "/uploads", "create_upload", ""),
        Route("POST", "/uploads/{id}/parts", "sign_upload_parts", ""),
        Route("POST", "/uploads/{id}/complete", "complete_upload", ""),
    )

    assert waf.upload_routes(table) == table[1:3]
    assert waf.upload_routes() == tuple(UPLOADS)


def test_the_json_session_calls_are_real_routes_and_keep_body_inspection() -> None:
    """A renamed operation must not silently drop out of JSON_BODY_OPERATIONS into the exemption."""
    from lib import waf

    body_routes = {r.operation for r in ROUTES if r.method in waf.UPLOAD_METHODS}

    assert body_routes >= waf.JSON_BODY_OPERATIONS
    assert body_routes - waf.JSON_BODY_OPERATIONS == {"upload_document"}


def test_the_upload_path_regex_matches_one_segment_per_parameter_after_any_prefix() -> None:
    from document_processor.routes import Route
    from lib import waf

    pattern = re.compile(waf.upload_path_regex(Route("PUT", "/documents/{id}/content.v1", "replace", "")))

    for path in ("/documents/abc/content.v1", "/dev/documents/abc/content.v1", "/a/b/documents/x/content.v1"):
        assert pattern.search(path), path
    for path in (
        "/documents/abc/contentxv1",  # "." is literal
        "/documents//content.v1",
        "/documents/a/b/content.v1",
        "/documents/abc/content.v1/",
        "documents/abc/content.v1",
    ):
        assert not pattern.search(path), path


def _logical_depth(statement: Any) -> int:
    """How deeply and/or/not statements nest (the provider's ``rules`` schema allows 3)."""
    for kind, children in (
        ("and_statement", "statements"),
        ("or_statement", "statements"),
        ("not_statement", "statement"),
    ):
        logical = getattr(statement, kind, None)
        if logical is not None:
            nested = getattr(logical, children)
            members = nested if isinstance(nested, list) else [nested]
            return 1 + max(_logical_depth(member) for member in members)
    return 0


def test_two_upload_routes_add_a_second_exemption_without_nesting_deeper() -> None:
    from document_processor.routes import Route
    from lib import waf

    table = (*ROUTES, Route("PUT", "/documents/{id}", "replace", ""))

    rule: Any = next(
        r
        for r in waf.web_acl_rules(rate_limit=100, metric_prefix="m", routes=table)
        if r.name == waf.BODY_INSPECTION_RULE
    )

    assert _logical_depth(rule.statement) == 3
    members = rule.statement.and_statement.statements
    assert len(members) == 3
    assert [m.not_statement is not None for m in members] == [False, True, True]
