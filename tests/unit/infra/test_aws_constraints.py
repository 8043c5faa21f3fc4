"""Every value the program sends to AWS satisfies the AWS API's own constraints.

The stack is built for the longest environment suffixes the config accepts, in both encryption
modes, with every optional feature on; each resource's inputs (with Pulumi's auto-names and the
provider's default tags filled in) are checked against the botocore service models and the few
documented rules the models lack (``tests.unit.infra.aws_constraints``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lib.config import MAX_ENVIRONMENT_SUFFIX_LENGTH, validate_args
from lib.settings import DEFAULT_REGION, EncryptionMode, TapStackArgs
from tests.unit.infra import aws_constraints as c
from tests.unit.infra.synth import synthesize

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

SUFFIXES = (
    "a" * MAX_ENVIRONMENT_SUFFIX_LENGTH,
    "a-" * (MAX_ENVIRONMENT_SUFFIX_LENGTH // 2 - 1) + "ab",
    "z" + "9" * (MAX_ENVIRONMENT_SUFFIX_LENGTH - 1),
)
"""The longest suffixes the config accepts: letters, hyphens every other character, digits."""

LONGEST_REGION = "ap-southeast-7"
"""One of the longest region names (14 characters): bucket names carry the region."""

VARIANTS = [(suffix, mode, DEFAULT_REGION) for suffix in SUFFIXES for mode in EncryptionMode]
VARIANTS.append((SUFFIXES[0], EncryptionMode.KMS, LONGEST_REGION))


def everything_on(suffix: str, mode: EncryptionMode, region: str = DEFAULT_REGION) -> TapStackArgs:
    """Every optional resource switched on, so every type the program can create is built."""
    return TapStackArgs(
        environment_suffix=suffix,
        region=region,
        allowed_regions=(region,),
        encryption_mode=mode,
        enable_waf=True,
        enable_function_url=True,
        manage_api_gateway_account=True,
        alarm_email="alarms@example.com",
        reserved_concurrency=10,
        enable_snap_start=True,
        tags={"CostCentre": "documents-1234", "Owner": "platform-team"},
        ingest_cors_origins=("https://docs.example.com",),
        enable_malware_scanning=True,
    )


@pytest.fixture(scope="module", params=VARIANTS, ids=[f"{s}-{m.value}-{r}" for s, m, r in VARIANTS])
def built(request: pytest.FixtureRequest) -> list[CapturedResource]:
    suffix, mode, region = request.param
    args = everything_on(suffix, mode, region)
    assert validate_args(args) == [], "the variant must be one the config accepts"
    return synthesize(args)


def aws_resources(resources: list[CapturedResource]) -> list[CapturedResource]:
    return [r for r in resources if r.custom and r.type != c.PROVIDER_TYPE]


def test_suffixes_are_the_longest_accepted() -> None:
    assert {len(suffix) for suffix in SUFFIXES} == {MAX_ENVIRONMENT_SUFFIX_LENGTH}
    for suffix in SUFFIXES:
        assert validate_args(TapStackArgs(environment_suffix=suffix)) == []
        assert validate_args(TapStackArgs(environment_suffix=suffix + "a")) != []


def test_every_input_satisfies_the_aws_api(built: list[CapturedResource]) -> None:
    tags = c.provider_default_tags(built)
    found = [problem for resource in aws_resources(built) for problem in c.problems(resource, tags)]
    assert found == []


def test_every_resource_type_is_mapped(built: list[CapturedResource]) -> None:
    """A new resource type fails here until its inputs are mapped (or listed as unconstrained)."""
    types = {r.type for r in aws_resources(built)}
    assert types - set(c.FIELDS) == set()
    assert types - set(c.UNCONSTRAINED) == set()


def test_every_input_is_accounted_for(built: list[CapturedResource]) -> None:
    """Each input the program sets is either checked or listed as unconstrained, with a reason."""
    tags = c.provider_default_tags(built)
    unaccounted = {(r.type, path) for r in built if r.custom for path in c.unaccounted_inputs(r, tags)}
    assert unaccounted == set()


def test_auto_named_inputs_are_checked(built: list[CapturedResource]) -> None:
    """Where Pulumi picks the name, the checked value is the longest name it can pick."""
    auto_named = [
        r
        for r in aws_resources(built)
        if (prop := c.autonamed_input(r.type)) is not None and prop not in r.inputs
    ]
    assert auto_named, "the program leaves some names to Pulumi (e.g. lambda permission statement ids)"
    tags = c.provider_default_tags(built)
    for resource in auto_named:
        prop = c.autonamed_input(resource.type)
        assert prop is not None
        prefix = resource.inputs.get(f"{prop}Prefix")
        expected = f"{prefix}{c.NAME_PREFIX_SAMPLE}" if prefix else f"{resource.name}-{c.AUTONAME_SAMPLE}"
        assert c.effective_inputs(resource, tags)[prop] == expected
        assert prop in {field.path for field in c.FIELDS[resource.type]} | set(c.UNCONSTRAINED[resource.type])


def test_default_tags_reach_every_taggable_type(built: list[CapturedResource]) -> None:
    for resource in aws_resources(built):
        if c.taggable(resource.type):
            paths = {field.path for field in c.FIELDS[resource.type]}
            assert {"tags{}", "tags*"} <= paths, resource.type


def test_mapped_members_exist_and_are_scalar_or_lists() -> None:
    """Every mapped member resolves in the installed models (a renamed member fails here)."""
    for fields in c.FIELDS.values():
        for spec in fields:
            for member in spec.members:
                assert member.shape["type"] in {"string", "integer", "long", "double", "list"}, member


def test_mapped_members_are_constrained_or_carry_a_rule() -> None:
    """A member the model leaves free must come with a documented rule, or belong in UNCONSTRAINED."""
    for type_token, fields in c.FIELDS.items():
        for spec in fields:
            constrained = any(member.constrained for member in spec.members)
            assert constrained or spec.rules, f"{type_token} {spec.path}: nothing to check"


@pytest.mark.parametrize("rule", c.RULES, ids=[rule.summary[:40] for rule in c.RULES])
def test_every_hand_written_rule_has_a_source(rule: c.Rule) -> None:
    """The model's own documentation still states the rule, or an AWS page is cited."""
    if rule.documented_in is not None:
        assert rule.quote in rule.documented_in.documentation
    else:
        assert re.fullmatch(r"https://docs\.aws\.amazon\.com/\S+", rule.source), rule.summary


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (c.SG_DESCRIPTION, "HTTPS egress: to S3 only", "HTTPS egress \u2014 to S3 only"),
        (c.SG_NAME, "doc-processor-dev-lambda", "sg-doc-processor"),
        (c.SG_RULE_DESCRIPTION, "HTTPS to S3", "HTTPS & S3"),
        (c.S3_BUCKET_NAME, "docs-dev-123456789012-us-east-1", "Docs-dev"),
        (c.S3_BUCKET_NAME, "docs.dev.example", "docs..dev"),
        (c.S3_BUCKET_NAME, "abc", "192.168.1.10"),
        (c.S3_LIFECYCLE_DAYS, 2, 0),
        (c.S3_LIFECYCLE_DAYS, 1.0, 1.5),
        (c.S3_ABORT_UPLOADS_DAYS, 1, -1),
        (c.S3_NOTIFICATION_FILTER, "ingest/", ""),
        (c.S3_NOTIFICATION_FILTER, "a" * 1024, "a" * 1025),
        (c.S3_CORS_METHOD, "PUT", "PATCH"),
        (c.S3_CORS_ORIGIN, "https://app.example.com", "https://*.*.example.com"),
        (c.S3_CORS_RULE_ID, "a" * 255, "a" * 256),
        (c.S3_BUCKET_NAME, "a" * 63, "a" * 64),
        (c.STAGE_NAME, "dev-1_a", "dev.1"),
        (c.SNS_TOPIC_NAME, "doc-processor-dev-alarms", "doc processor"),
        (c.DASHBOARD_NAME, "doc-processor-dev", "doc/processor"),
        (c.KMS_ALIAS_NAME, "alias/doc-processor-dev", "alias/aws/doc"),
        (c.LOG_RETENTION, 365, 366),
        (c.WAF_EVALUATION_WINDOW, 300, 301),
        (c.LAMBDA_RESERVED_VARIABLE, "DOCUMENTS_BUCKET", "AWS_REGION"),
        (c.IAM_TRUST_POLICY, "x" * 2048 + " " * 10, "x" * 2049),
        (c.APIGW_TAG_VALUE, "secure-document-api", "two words"),
        (c.EC2_TAG_KEY, "Name", "aws:Name"),
        (c.Member("iam", "CreateRole", "RoleName"), "doc-processor-dev-lambda", "doc processor"),
        (c.Member("iam", "CreateRole", "RoleName"), "a" * 64, "a" * 65),
        (c.Member("iam", "CreateRole", "Description"), "Execution role", "Execution role \u2192 S3"),
        (c.Member("iam", "CreateRole", "Tags[].Value"), "team a", "team!"),
        (c.Member("lambda", "CreateFunction", "Runtime"), "python3.13", "python3.99"),
        (c.Member("lambda", "AddPermission", "StatementId"), "tap-api-invoke-get-0a1b2c3", "tap api"),
        (c.Member("wafv2", "CreateWebACL", "Description"), "Protects the stage", "Protects (the) stage"),
        (c.Member("wafv2", "CreateWebACL", "Name"), "doc-api-dev", "doc.api"),
        (
            c.Member("logs", "CreateLogGroup", "logGroupName"),
            "/aws/lambda/doc-processor-dev",
            "/aws/lambda/a b",
        ),
        (c.Member("kms", "ScheduleKeyDeletion", "PendingWindowInDays"), 30, 0),
        (c.Member("lambda", "CreateFunction", "Architectures"), ["arm64"], ["arm64", "x86_64"]),
        (
            c.Member("dynamodb", "TableDescription", "TableName"),
            "doc-processor-dev-catalogue",
            "doc processor",
        ),
        (c.Member("dynamodb", "TableDescription", "TableName"), "a" * 255, "a" * 256),
        (c.Member("dynamodb", "TableDescription", "TableName"), "abc", "ab"),
        (c.SQS_QUEUE_NAME, "doc-reconciler-" + "a" * 20 + "-failures", "a" * 81),
        (c.SQS_QUEUE_NAME, "doc-reconciler-dev-failures", "doc.reconciler"),
        (c.SQS_MESSAGE_RETENTION, 1_209_600.0, 1_209_601),
        (c.SQS_KMS_DATA_KEY_REUSE, 300, 59),
        (c.Member("lambda", "PutFunctionEventInvokeConfig", "MaximumRetryAttempts"), 2, 3),
        (c.Member("lambda", "PutFunctionEventInvokeConfig", "MaximumEventAgeInSeconds"), 21_600, 21_601),
        (c.LAMBDA_FUNCTION_NAME_LENGTH, "doc-reconciler-" + "a" * 20, "a" * 65),
        (c.Member("lambda", "AddPermission", "SourceAccount"), "123456789012", "12345"),
        (
            c.Member(
                "s3",
                "PutBucketNotificationConfiguration",
                "NotificationConfiguration.LambdaFunctionConfigurations[].Events[]",
            ),
            "s3:ObjectRemoved:*",
            "s3:ObjectDeleted:*",
        ),
    ],
)
def test_constraints_accept_and_reject(constraint: c.Member | c.Rule, good: object, bad: object) -> None:
    """The checks themselves work: a valid value passes, a known-invalid one is caught."""
    assert constraint.problems(good) == []
    assert constraint.problems(bad) != []


def test_auto_names_are_as_long_as_pulumi_makes_them() -> None:
    """Pulumi appends a hyphen and seven hex digits to the logical name."""
    assert re.fullmatch(r"[0-9a-f]{7}", c.AUTONAME_SAMPLE)


def test_values_at_reads_lists_maps_and_keys() -> None:
    inputs = {"rules": [{"name": "a"}, {"name": "b"}], "tags": {"K": "v"}, "x": None}
    assert list(c.values_at(inputs, "rules[].name")) == ["a", "b"]
    assert list(c.values_at(inputs, "tags{}")) == ["K"]
    assert list(c.values_at(inputs, "tags*")) == ["v"]
    assert list(c.values_at(inputs, "x.y")) == []
    assert list(c.values_at(inputs, "missing")) == []


TAG_ALPHABET = st.sampled_from("aZ09_.:/=+-" + " @!,;<\t\u00e9\u4e2d" + "\u2014")
"""What the config accepts, and characters some tagged service refuses (space, @, ',', non-ASCII, ...)."""


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(key=st.text(TAG_ALPHABET, max_size=6), value=st.text(TAG_ALPHABET, max_size=6))
def test_every_tag_the_config_accepts_every_tagged_service_accepts(key: str, value: str) -> None:
    """Configured tags become default tags on every resource: the config may accept only what all accept."""
    assume(validate_args(TapStackArgs(tags={key: value})) == [])
    tag_fields = [spec for fields in c.FIELDS.values() for spec in fields if spec.path in {"tags{}", "tags*"}]
    assert tag_fields
    for spec in tag_fields:
        checked = key if spec.path == "tags{}" else value
        constraints: tuple[c.Member | c.Rule, ...] = (*spec.members, *spec.rules)
        for constraint in constraints:
            assert constraint.problems(checked) == [], (spec.path, constraint)


@pytest.mark.parametrize(("key", "value"), [("CostCenter", "document-platform"), ("a" * 127, "v" * 256)])
def test_typical_and_longest_tags_are_accepted_by_the_config_and_by_aws(key: str, value: str) -> None:
    """The longest tags the config accepts (the property test above draws short ones)."""
    assert validate_args(TapStackArgs(tags={key: value})) == []
    for spec in (spec for fields in c.FIELDS.values() for spec in fields if spec.path in {"tags{}", "tags*"}):
        checked = key if spec.path == "tags{}" else value
        constraints: tuple[c.Member | c.Rule, ...] = (*spec.members, *spec.rules)
        assert [p for constraint in constraints for p in constraint.problems(checked)] == []
