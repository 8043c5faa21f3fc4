"""The synthesized web ACL: managed rules block, and body inspection is scoped away from uploads only.

The managed rules that judge a body as an HTML form (XSS, LFI, RFI, SSRF, Java deserialization,
Log4j, the 8 KB size rule) would block legitimate documents (a text file mentioning ``../../`` or a
``<script>`` tag). They are counted inside their groups and re-blocked by label rules for every
request except a document upload; the size rule alone is also not re-blocked on
``POST /uploads/{id}/complete``, whose body lists every part of a large upload. Rule and label names
are written out from the AWS WAF developer guide (AWS managed rule groups, baseline), not read from
the module under test.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.ids import new_document_id
from document_processor.routes import ROUTES
from document_processor.uploads import MAX_COMPLETE_BODY_CHARACTERS
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
SIZE_LABEL = BODY_RULES[COMMON]["SizeRestrictions_BODY"]
CONTENT_LABELS = ALL_BODY_LABELS - {SIZE_LABEL}
SIZE_RULE_LIMIT = 8 * 1024
"""CRS ``SizeRestrictions_BODY``: "Inspects for request bodies that are over 8 KB (8,192 bytes)"."""
UPLOADS = [route for route in ROUTES if route.operation == "upload_document"]
COMPLETE = next(route for route in ROUTES if route.operation == "complete_upload")
ID = new_document_id()
PREFIXES = pytest.mark.parametrize("prefix", ["/dev", "", "/v1"], ids=["stage", "root-mapping", "base-path"])


@pytest.fixture(scope="module")
def rules(resources: list[CapturedResource]) -> dict[str, dict[str, Any]]:
    acl = one(resources, "aws:wafv2/webAcl:WebAcl")
    return {rule["name"]: rule for rule in acl.inputs["rules"]}


def _label_rules(rules: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The custom rules that match on the body rules' labels."""
    return [rule for rule in rules.values() if _labels_in(rule["statement"])]


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


def _blocked_by_label_rules(rules: dict[str, dict[str, Any]], method: str, path: str, *labels: str) -> bool:
    """Whether any label rule blocks a request carrying ``labels`` (the managed groups only count)."""
    request = {"method": method, "path": path, "labels": set(labels)}
    return any(
        "block" in rule["action"] and _matches(rule["statement"], request) for rule in _label_rules(rules)
    )


def _complete_body(parts: int, *, checksums: bool) -> str:
    """A ``POST /uploads/{id}/complete`` body as a client sends it (compact JSON, S3-like values)."""
    entries = [
        {
            "partNumber": number,
            "etag": f'"{number:032x}"',
            **({"checksumSha256": "A" * 43 + "="} if checksums else {}),
        }
        for number in range(1, parts + 1)
    ]
    return json.dumps({"parts": entries}, separators=(",", ":"))


def _labels_of_body(body: str, *content_labels: str) -> set[str]:
    """What the managed groups add: the size label for a body over 8 KB, plus whatever it trips."""
    return {*content_labels, *({SIZE_LABEL} if len(body.encode()) > SIZE_RULE_LIMIT else set())}


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


def test_the_label_rules_block_after_both_groups_on_exactly_the_body_labels(
    rules: dict[str, dict[str, Any]],
) -> None:
    label_rules = _label_rules(rules)

    # The size label in a rule of its own: in one rule with the content labels, a complete body over
    # 8 KB that also trips XSS would carry both labels and escape with the size exemption.
    assert sorted((_labels_in(rule["statement"]) for rule in label_rules), key=len) == [
        {SIZE_LABEL},
        set(CONTENT_LABELS),
    ]
    for rule in label_rules:
        assert rule["action"] == {"block": {}}
        assert rule["priority"] > max(rules[COMMON]["priority"], rules[KNOWN_BAD_INPUTS]["priority"])
        assert rule["visibilityConfig"]["cloudwatchMetricsEnabled"] is True
    assert len({r["priority"] for r in rules.values()}) == len(rules)


@pytest.mark.parametrize("label", sorted(ALL_BODY_LABELS))
@PREFIXES
def test_an_upload_body_is_not_judged_whatever_it_contains(
    rules: dict[str, dict[str, Any]], label: str, prefix: str
) -> None:
    # WAF on a stage sees the path with the stage (/dev/documents); behind a custom domain it
    # sees the base path instead. Either way an upload passes on to the handler's own checks.
    assert UPLOADS
    for upload in UPLOADS:
        assert not _blocked_by_label_rules(rules, upload.method, f"{prefix}{upload.path}", label)
        assert not _blocked_by_label_rules(rules, upload.method, f"{prefix}{upload.path}", *ALL_BODY_LABELS)


@pytest.mark.parametrize(("parts", "checksums"), [(200, False), (100, True), (10_000, True)])
@PREFIXES
def test_a_complete_body_over_8_kb_passes_the_size_rule(
    rules: dict[str, dict[str, Any]], prefix: str, parts: int, checksums: bool
) -> None:
    # 200 parts of 5 MiB (1000 MiB), or 100 with part checksums: past the size rule's 8 KB, far
    # under what the service accepts; 10,000 parts is the largest upload S3 allows.
    body = _complete_body(parts, checksums=checksums)
    path = f"{prefix}{COMPLETE.path.replace('{id}', ID)}"

    assert SIZE_RULE_LIMIT < len(body) <= MAX_COMPLETE_BODY_CHARACTERS
    assert _labels_of_body(body) == {SIZE_LABEL}
    assert not _blocked_by_label_rules(rules, "POST", path, *_labels_of_body(body))


@pytest.mark.parametrize("label", sorted(CONTENT_LABELS))
@PREFIXES
def test_a_complete_body_still_gets_every_content_rule(
    rules: dict[str, dict[str, Any]], label: str, prefix: str
) -> None:
    path = f"{prefix}{COMPLETE.path.replace('{id}', ID)}"

    for body in (_complete_body(2, checksums=False), _complete_body(10_000, checksums=True)):
        # Small or large (then it carries the size label too): the content label blocks it.
        assert _blocked_by_label_rules(rules, "POST", path, *_labels_of_body(body, label))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/dev/uploads/{ID}/parts"),  # the other session calls keep the size rule
        ("POST", "/dev/uploads"),
        ("GET", f"/dev/uploads/{ID}/complete"),  # another method
        ("PUT", f"/dev/uploads/{ID}/complete"),
        ("post", f"/dev/uploads/{ID}/complete"),
        ("POST", f"/dev/uploads/{ID.upper()}/complete"),  # not a canonical id
        ("POST", f"/dev/uploads/{ID[:-1]}/complete"),
        ("POST", f"/dev/uploads/{ID}0/complete"),
        ("POST", "/dev/uploads/abc/complete"),
        ("POST", "/dev/uploads//complete"),
        ("POST", f"/dev/uploads/{ID}/x/complete"),  # under or beside the route
        ("POST", f"/dev/uploads/{ID}/complete/"),
        ("POST", f"/dev/uploads/{ID}/complete/x"),
        ("POST", f"/dev/uploads/{ID}/completex"),
        ("POST", f"/dev/documents/{ID}/complete"),
        ("POST", f"/dev/x-uploads/{ID}/complete"),
        ("POST", f"dev/uploads/{ID}/complete"),
        ("POST", f"/dev//uploads/{ID}/complete"),
    ],
)
def test_every_other_request_keeps_the_size_rule(
    rules: dict[str, dict[str, Any]], method: str, path: str
) -> None:
    assert _blocked_by_label_rules(rules, method, path, SIZE_LABEL)


@pytest.mark.parametrize("label", sorted(ALL_BODY_LABELS))
@pytest.mark.parametrize(
    ("method", "path"),
    [
        *[(r.method, f"/dev{r.path.replace('{id}', ID)}") for r in ROUTES if r not in (*UPLOADS, COMPLETE)],
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
    assert _blocked_by_label_rules(rules, method, path, label)


def test_a_request_without_a_body_label_is_left_to_the_other_rules(rules: dict[str, dict[str, Any]]) -> None:
    for other in ("awswaf:managed:aws:core-rule-set:NoUserAgent_Header", "something:else"):
        assert not _blocked_by_label_rules(rules, "GET", "/dev/documents", other)
        assert not _blocked_by_label_rules(rules, "POST", f"/dev/uploads/{ID}/complete", other)


# WCUs from the AWS WAF developer guide: the managed groups' capacity as published, label match 1,
# string match EXACTLY/STARTS_WITH/ENDS_WITH 2 (CONTAINS 10), regex match 3, +10 per transformation
# other than NONE, rate-based 2; logical statements cost what they contain.
MANAGED_GROUP_WCUS = {IP_REPUTATION: 25, COMMON: 700, KNOWN_BAD_INPUTS: 200}
WEB_ACL_WCU_WITHOUT_EXTRA_FEES = 1500


def _wcus(statement: dict[str, Any]) -> int:
    for logical in ("andStatement", "orStatement"):
        if logical in statement:
            return sum(_wcus(s) for s in statement[logical]["statements"])
    if "notStatement" in statement:
        return _wcus(statement["notStatement"]["statement"])
    if "labelMatchStatement" in statement:
        return 1
    if "managedRuleGroupStatement" in statement:
        return MANAGED_GROUP_WCUS[statement["managedRuleGroupStatement"]["name"]]
    if "rateBasedStatement" in statement:
        return 2
    for kind in ("byteMatchStatement", "regexMatchStatement"):
        if kind in statement:
            match: dict[str, Any] = statement[kind]
            base = 3 if kind == "regexMatchStatement" else 2
            if match.get("positionalConstraint") == "CONTAINS":
                base = 10
            transformations = sum(1 for t in match["textTransformations"] if t["type"] != "NONE")
            return base + 10 * transformations
    raise AssertionError(f"statement without a known WCU cost: {sorted(statement)}")


def test_the_web_acl_stays_within_the_capacity_included_in_its_price(
    rules: dict[str, dict[str, Any]],
) -> None:
    total = sum(_wcus(rule["statement"]) for rule in rules.values())

    # 925 for the three groups; the label rules add a few: far from 1,500 (above it AWS charges more).
    assert total <= WEB_ACL_WCU_WITHOUT_EXTRA_FEES
    assert total - sum(MANAGED_GROUP_WCUS.values()) < 50


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
    assert waf.large_json_body_routes(table) == table[6:]
    assert waf.large_json_body_routes() == (COMPLETE,)


def test_the_json_session_calls_are_real_routes_and_keep_body_inspection() -> None:
    """A renamed operation must not silently drop out of JSON_BODY_OPERATIONS into the exemption."""
    from lib import waf

    body_routes = {r.operation for r in ROUTES if r.method in waf.UPLOAD_METHODS}

    assert body_routes >= waf.JSON_BODY_OPERATIONS
    assert body_routes - waf.JSON_BODY_OPERATIONS == {"upload_document"}
    # The size-rule-only exemption is for a JSON call that is a real route, not for a document.
    large = waf.LARGE_JSON_BODY_OPERATIONS
    assert large <= waf.JSON_BODY_OPERATIONS
    assert large == {"complete_upload"}


def test_the_route_path_regex_matches_one_segment_per_parameter_after_any_prefix() -> None:
    from document_processor.routes import Route
    from lib import waf

    pattern = re.compile(waf.route_path_regex(Route("PUT", "/documents/{name}/content.v1", "replace", "")))

    for path in ("/documents/abc/content.v1", "/dev/documents/abc/content.v1", "/a/b/documents/x/content.v1"):
        assert pattern.search(path), path
    for path in (
        "/documents/abc/contentxv1",  # "." is literal
        "/documents//content.v1",
        "/documents/a/b/content.v1",
        "/documents/abc/content.v1/",
        "documents/abc/content.v1",
        "//documents/abc/content.v1",  # the prefix is whole, non-empty segments too
        "/dev//documents/abc/content.v1",
    ):
        assert not pattern.search(path), path


def test_an_id_parameter_matches_canonical_ids_only() -> None:
    from document_processor.routes import Route
    from lib import waf

    pattern = re.compile(waf.route_path_regex(Route("POST", "/uploads/{id}/complete", "complete", "")))

    for _ in range(20):
        assert pattern.search(f"/dev/uploads/{new_document_id()}/complete")
    for bad in (ID.upper(), ID[:-1], f"{ID}0", "g" * 32, f"{ID[:16]}/{ID[16:]}", "%30" * 32):
        assert not pattern.search(f"/dev/uploads/{bad}/complete"), bad


def test_the_path_regexes_avoid_what_aws_waf_rejects() -> None:
    """AWS WAF's regex syntax has no capturing subexpressions (nor backreferences); a group must be
    non-capturing, and the regex field takes at most 512 characters."""
    from lib import waf

    for route in ROUTES:
        regex = waf.route_path_regex(route)
        assert re.compile(regex).groups == 0, regex
        assert len(regex) <= 512


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

    built: dict[Any, Any] = {
        r.name: r for r in waf.web_acl_rules(rate_limit=100, metric_prefix="m", routes=table)
    }
    content, size = built[waf.BODY_INSPECTION_RULE], built[waf.BODY_SIZE_INSPECTION_RULE]

    for rule in (content, size):
        assert _logical_depth(rule.statement) == 3
    # Content rules: both uploads exempt. Size rule: both uploads and the complete call.
    assert [m.not_statement is not None for m in content.statement.and_statement.statements] == [
        False,
        True,
        True,
    ]
    assert [m.not_statement is not None for m in size.statement.and_statement.statements] == [
        False,
        True,
        True,
        True,
    ]
    assert size.statement.and_statement.statements[0].label_match_statement.key == SIZE_LABEL
