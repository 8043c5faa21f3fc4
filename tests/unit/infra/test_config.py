"""Config parsing and validation: every rule, with its exact message, table-style."""

from __future__ import annotations

import json
from pathlib import Path
from types import MappingProxyType

import pytest
import yaml

from lib.config import CONFIG_KEYS, ConfigError, ConfigProblem, parse_config, validate_args
from lib.settings import (
    DEFAULT_ALLOWED_CONTENT_TYPES,
    ApiLoggingLevel,
    EncryptionMode,
    OwnerScope,
    StackKind,
    TapStackArgs,
)

SUFFIX_RULE = (
    "must be 1-20 lowercase letters, digits or hyphens, starting with a letter and not ending with a hyphen "
    "(it is part of bucket and function names)"
)
NOT_ALLOWED = "is not in allowedRegions (us-east-1); deploy to an allowed region or extend the list"


def problems_for(raw: dict[str, str], *, environment_suffix_override: str | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw, environment_suffix_override=environment_suffix_override)
    return [str(problem) for problem in caught.value.problems]


def test_no_config_gives_the_secure_defaults() -> None:
    args = parse_config({})

    assert args == TapStackArgs()
    assert args.environment_suffix == "dev"
    assert args.region == "us-east-1"
    assert args.allowed_regions == ("us-east-1",)
    assert args.encryption_mode is EncryptionMode.SSE_S3
    assert args.log_retention_days == 365
    assert args.enable_waf is True
    assert args.enable_function_url is True
    assert args.manage_api_gateway_account is False  # the account stack owns the region's setting
    assert args.stack_kind is StackKind.ENVIRONMENT
    assert args.availability_zone_ids == ()  # chosen by zone ID from the region's zones
    assert args.force_destroy is False
    assert args.reserved_concurrency is None
    assert args.lambda_memory_mb == 512
    assert args.enable_snap_start is False
    assert args.max_document_bytes == 4_500_000
    assert args.max_upload_bytes == 5 * 1024**3
    assert args.ingest_cors_origins == ()  # no CORS configuration on the ingest bucket
    assert args.allowed_content_types == DEFAULT_ALLOWED_CONTENT_TYPES
    assert args.api_logging_level is ApiLoggingLevel.INFO
    assert args.owner_scope is OwnerScope.ROLE


def test_every_key_is_parsed_into_its_typed_field() -> None:
    raw = {
        "environmentSuffix": "pr-42",
        "region": "eu-west-1",
        "allowedRegions": '["us-east-1", "eu-west-1"]',
        "tags": '{"CostCenter": "docs"}',
        "encryptionMode": "KMS",
        "logRetentionDays": "731",
        "enableWaf": "false",
        "wafRateLimit": "500",
        "enableFunctionUrl": "False",
        "manageApiGatewayAccount": "true",
        "stackKind": "apiGatewayAccount",
        "availabilityZoneIds": '["use1-az6", "use1-az4"]',
        "breakGlassPrincipalArns": '["arn:aws:iam::123456789012:role/BreakGlass"]',
        "auditorPrincipalArns": '["arn:aws:iam::210987654321:root"]',
        "alarmEmail": "ops@example.com",
        "throttlingRateLimit": "12.5",
        "throttlingBurstLimit": "20",
        "reservedConcurrency": "5",
        "lambdaMemoryMb": "1024",
        "enableSnapStart": "true",
        "forceDestroy": "true",
        "maxDocumentBytes": "1000000",
        "maxUploadBytes": "1073741824",
        "ingestCorsOrigins": '["https://app.example.com", "https://localhost:8443"]',
        "enableMalwareScanning": "true",
        "allowedContentTypes": '["application/pdf"]',
        "ownerScope": "session",
        "noncurrentVersionExpirationDays": "30",
        "accessLogExpirationDays": "90",
        "apiLoggingLevel": "ERROR",
    }
    assert set(raw) == set(CONFIG_KEYS), "the table above must exercise every key"

    args = parse_config(raw)

    assert args == TapStackArgs(
        environment_suffix="pr-42",
        region="eu-west-1",
        allowed_regions=("us-east-1", "eu-west-1"),
        tags=MappingProxyType({"CostCenter": "docs"}),
        encryption_mode=EncryptionMode.KMS,
        log_retention_days=731,
        enable_waf=False,
        waf_rate_limit=500,
        enable_function_url=False,
        manage_api_gateway_account=True,
        stack_kind=StackKind.API_GATEWAY_ACCOUNT,
        availability_zone_ids=("use1-az6", "use1-az4"),
        break_glass_principal_arns=("arn:aws:iam::123456789012:role/BreakGlass",),
        auditor_principal_arns=("arn:aws:iam::210987654321:root",),
        alarm_email="ops@example.com",
        throttling_rate_limit=12.5,
        throttling_burst_limit=20,
        reserved_concurrency=5,
        lambda_memory_mb=1024,
        enable_snap_start=True,
        force_destroy=True,
        max_document_bytes=1_000_000,
        max_upload_bytes=1024**3,
        ingest_cors_origins=("https://app.example.com", "https://localhost:8443"),
        enable_malware_scanning=True,
        allowed_content_types=("application/pdf",),
        owner_scope=OwnerScope.SESSION,
        noncurrent_version_expiration_days=30,
        access_log_expiration_days=90,
        api_logging_level=ApiLoggingLevel.ERROR,
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"enableWaf": "yes"}, "enableWaf: must be true or false; got 'yes'"),
        ({"lambdaMemoryMb": "1.5"}, "lambdaMemoryMb: must be a whole number; got '1.5'"),
        ({"throttlingRateLimit": "fast"}, "throttlingRateLimit: must be a number; got 'fast'"),
        ({"throttlingRateLimit": "inf"}, "throttlingRateLimit: must be a number; got 'inf'"),
        (
            {"allowedRegions": "us-east-1"},
            "allowedRegions: must be a list of strings (YAML list or JSON array); got 'us-east-1'",
        ),
        (
            {"allowedRegions": "[1]"},
            "allowedRegions: must be a list of strings (YAML list or JSON array); got '[1]'",
        ),
        ({"tags": '["a"]'}, """tags: must be a map of strings to strings; got '["a"]'"""),
        ({"tags": "{"}, "tags: must be a map of strings to strings; got '{'"),
        ({"encryptionMode": "sse-s3"}, "encryptionMode: must be one of SSE_S3, KMS; got 'sse-s3'"),
        ({"apiLoggingLevel": "DEBUG"}, "apiLoggingLevel: must be one of INFO, ERROR; got 'DEBUG'"),
        ({"ownerScope": "Session"}, "ownerScope: must be one of role, session; got 'Session'"),
        ({"ownerScope": "user"}, "ownerScope: must be one of role, session; got 'user'"),
        ({"ownerScope": ""}, "ownerScope: must be one of role, session; got ''"),
        (
            {"environmentSuffix": "Prod_1"},
            f"environmentSuffix: {SUFFIX_RULE}; got 'Prod_1'",
        ),
        (
            {"environmentSuffix": "a" * 21},
            f"environmentSuffix: {SUFFIX_RULE}; got {'a' * 21!r}",
        ),
        ({"region": "useast1"}, "region: must be an AWS region name such as 'us-east-1'; got 'useast1'"),
        (
            {"region": "eu-west-1"},
            f"region: 'eu-west-1' {NOT_ALLOWED}",
        ),
        ({"allowedRegions": "[]"}, "allowedRegions: must list at least one region"),
        (
            {"allowedRegions": '["us-east-1", "mars"]'},
            "allowedRegions: 'mars' is not an AWS region name such as 'us-east-1'",
        ),
        (
            {"tags": '{"Environment": "x"}'},
            "tags: tag 'Environment' is set by the program and cannot be overridden",
        ),
        ({"tags": '{"aws:owner": "x"}'}, "tags: tag 'aws:owner' uses the reserved 'aws:' prefix"),
        ({"tags": '{"": "x"}'}, "tags: tag key '' must be 1-127 characters"),
        ({"tags": '{"' + "k" * 128 + '": "x"}'}, f"tags: tag key {'k' * 128!r} must be 1-127 characters"),
        (
            {"tags": '{"Cost Centre": "x"}'},
            "tags: tag key 'Cost Centre' may contain only letters, digits and _ . : / = + -",
        ),
        (
            {"tags": '{"Owner": "ops@example.com"}'},
            "tags: tag 'Owner' has a value with characters other than letters, digits and _ . : / = + -: "
            "'ops@example.com'",
        ),
        (
            {"tags": '{"Team": "Platform Team"}'},
            "tags: tag 'Team' has a value with characters other than letters, digits and _ . : / = + -: "
            "'Platform Team'",
        ),
        ({"tags": '{"k": "' + "v" * 257 + '"}'}, "tags: tag 'k' has a value longer than 256 characters"),
        (
            {"logRetentionDays": "0"},
            "logRetentionDays: must be a CloudWatch Logs retention period (1, 3, 5, 7, 14, 30, 60, 90, 120, "
            "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653); got 0",
        ),
        (
            {"wafRateLimit": "9"},
            "wafRateLimit: must be between 10 and 2000000000 (WAF's rate-based rule limits); got 9",
        ),
        (
            {"breakGlassPrincipalArns": '["arn:aws:iam::123456789012:root"]'},
            "breakGlassPrincipalArns: 'arn:aws:iam::123456789012:root' is not an IAM role or user ARN",
        ),
        (
            {"auditorPrincipalArns": '["arn:aws:s3:::bucket"]'},
            "auditorPrincipalArns: 'arn:aws:s3:::bucket' is not an IAM role, user or account root ARN",
        ),
        ({"alarmEmail": "ops"}, "alarmEmail: must be an e-mail address; got 'ops'"),
        (
            {"throttlingRateLimit": "0"},
            "throttlingRateLimit: must be greater than 0 and at most 10000 requests per second; got 0",
        ),
        (
            {"throttlingBurstLimit": "5001"},
            "throttlingBurstLimit: must be between 1 and 5000 (API Gateway's default account limit); "
            "got 5001",
        ),
        (
            {"reservedConcurrency": "0"},
            "reservedConcurrency: must be between 1 and 1000 when set (0 would stop the function); got 0",
        ),
        ({"lambdaMemoryMb": "64"}, "lambdaMemoryMb: must be between 128 and 10240 (Lambda's limits); got 64"),
        ({"enableSnapStart": "on"}, "enableSnapStart: must be true or false; got 'on'"),
        (
            {"enableSnapStart": "true", "region": "ap-east-2", "allowedRegions": '["ap-east-2"]'},
            "enableSnapStart: Lambda SnapStart is not available in 'ap-east-2'; set it to false or deploy "
            "elsewhere",
        ),
        (
            {"maxDocumentBytes": "6000000"},
            "maxDocumentBytes: must be between 1 and 4500000 (Lambda's 6 MB synchronous payload after base64 "
            "encoding); got 6000000",
        ),
        (
            {"maxUploadBytes": "0"},
            "maxUploadBytes: must be between 1 and 21474836480 (the processor's one-invocation limit, "
            "20 GiB); got 0",
        ),
        (
            {"maxUploadBytes": str(20 * 1024**3 + 1)},
            "maxUploadBytes: must be between 1 and 21474836480 (the processor's one-invocation limit, "
            "20 GiB); got 21474836481",
        ),
        ({"maxUploadBytes": "5GiB"}, "maxUploadBytes: must be a whole number; got '5GiB'"),
        (
            {"ingestCorsOrigins": "https://app.example.com"},
            "ingestCorsOrigins: must be a list of strings (YAML list or JSON array); got "
            "'https://app.example.com'",
        ),
        *[
            (
                {"ingestCorsOrigins": json.dumps([origin])},
                f"ingestCorsOrigins: {origin!r} is not an HTTPS origin such as 'https://app.example.com' "
                "(lowercase host, optional port, no path, no wildcard)",
            )
            for origin in (
                "*",
                "http://app.example.com",
                "https://*.example.com",
                "https://app.example.com/",
                "https://app.example.com/upload",
                "https://App.example.com",
                "https://app.example.com:0",
                "https://-app.example.com",
                "app.example.com",
            )
        ],
        (
            {"ingestCorsOrigins": '["https://a.example", "https://a.example"]'},
            "ingestCorsOrigins: lists 'https://a.example' more than once",
        ),
        ({"allowedContentTypes": "[]"}, "allowedContentTypes: must list at least one media type"),
        (
            {"allowedContentTypes": '["text/plain; charset=utf-8"]'},
            "allowedContentTypes: 'text/plain; charset=utf-8' is not a lowercase media type such as "
            "'application/pdf' (no parameters)",
        ),
        (
            {"allowedContentTypes": '["image/png", "image/png"]'},
            "allowedContentTypes: lists 'image/png' more than once",
        ),
        (
            {"noncurrentVersionExpirationDays": "0"},
            "noncurrentVersionExpirationDays: must be at least 1 (days); got 0",
        ),
        ({"accessLogExpirationDays": "-1"}, "accessLogExpirationDays: must be at least 1 (days); got -1"),
        (
            {"stackKind": "account"},
            "stackKind: must be one of environment, apiGatewayAccount; got 'account'",
        ),
        (
            {"availabilityZoneIds": "use1-az1"},
            "availabilityZoneIds: must be a list of strings (YAML list or JSON array); got 'use1-az1'",
        ),
        ({"availabilityZoneIds": '["use1-az1"]'}, "availabilityZoneIds: must list exactly 2 zone IDs; got 1"),
        (
            {"availabilityZoneIds": '["use1-az2", "use1-az2"]'},
            "availabilityZoneIds: lists 'use1-az2' more than once",
        ),
        (
            {"availabilityZoneIds": '["us-east-1a", "use1-az2"]'},
            "availabilityZoneIds: 'us-east-1a' is not an availability zone ID such as 'use1-az1' "
            "(Local and Wavelength Zones are not supported)",
        ),
        (
            {
                "availabilityZoneIds": '["usw2-lax1-az1", "usw2-az1"]',
                "region": "us-west-2",
                "allowedRegions": '["us-west-2"]',
            },
            "availabilityZoneIds: 'usw2-lax1-az1' is not an availability zone ID such as 'use1-az1' "
            "(Local and Wavelength Zones are not supported)",
        ),
        (
            {"availabilityZoneIds": '["use1-az3", "use1-az1"]'},
            "availabilityZoneIds: Lambda does not support VPC subnets in 'use1-az3'",
        ),
        (
            {"enableWAF": "true"},
            "enableWAF: unknown key; known keys are " + ", ".join(sorted(CONFIG_KEYS)),
        ),
    ],
)
def test_invalid_values_are_reported_with_key_and_rule(raw: dict[str, str], expected: str) -> None:
    assert problems_for(raw) == [expected]


def test_every_problem_is_reported_at_once_in_one_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"enableWaf": "maybe", "lambdaMemoryMb": "1", "region": "ap-south-1"})

    assert caught.value.problems == (
        ConfigProblem("enableWaf", "must be true or false; got 'maybe'"),
        ConfigProblem(
            "region",
            f"'ap-south-1' {NOT_ALLOWED}",
        ),
        ConfigProblem("lambdaMemoryMb", "must be between 128 and 10240 (Lambda's limits); got 1"),
    )
    message = str(caught.value)
    assert message.startswith("invalid stack configuration (3 problem(s)):\n  - enableWaf: ")


def test_environment_variable_wins_over_the_config_key() -> None:
    args = parse_config({"environmentSuffix": "from-config"}, environment_suffix_override="from-env")

    assert args.environment_suffix == "from-env"


def test_an_empty_environment_variable_falls_back_to_the_config_key() -> None:
    args = parse_config({"environmentSuffix": "from-config"}, environment_suffix_override="")

    assert args.environment_suffix == "from-config"


def test_a_bad_environment_variable_is_reported_under_its_own_name() -> None:
    assert problems_for({}, environment_suffix_override="Bad!") == [
        f"ENVIRONMENT_SUFFIX: {SUFFIX_RULE}; got 'Bad!'"
    ]


def test_optional_keys_accept_an_empty_value_as_unset() -> None:
    args = parse_config({"reservedConcurrency": "", "alarmEmail": " "})

    assert args.reserved_concurrency is None
    assert args.alarm_email is None


def test_a_region_becomes_valid_once_it_is_allowed() -> None:
    args = parse_config({"region": "eu-west-1", "allowedRegions": '["eu-west-1"]'})

    assert (args.region, args.allowed_regions) == ("eu-west-1", ("eu-west-1",))


def test_validate_args_checks_arguments_built_in_code() -> None:
    assert validate_args(TapStackArgs()) == []
    assert validate_args(TapStackArgs(lambda_memory_mb=100, enable_waf=False)) == [
        ConfigProblem("lambdaMemoryMb", "must be between 128 and 10240 (Lambda's limits); got 100")
    ]


def example_stack(name: str) -> tuple[dict[str, object], dict[str, str]]:
    """An example stack file's config, and its project keys as the program receives them."""
    stack_file = Path(__file__).resolve().parents[3] / f"Pulumi.{name}.yaml"
    config = yaml.safe_load(stack_file.read_text(encoding="utf-8"))["config"]
    prefix = "secure-document-api:"
    # Pulumi hands scalars to the program as text and structured values as JSON.
    raw = {
        key[len(prefix) :]: value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
        if key.startswith(prefix)
    }
    return config, raw


def test_the_example_stack_file_uses_only_documented_keys_with_valid_values() -> None:
    config, raw = example_stack("dev")

    args = parse_config(raw)

    assert set(raw) <= set(CONFIG_KEYS)
    assert args.region == config["aws:region"]
    assert args.tags == {"CostCenter": "document-platform"}
    assert args.enable_malware_scanning is False  # as local mode: off unless asked for


def test_the_production_example_stack_file_is_valid_and_production_grade() -> None:
    config, raw = example_stack("prod")

    args = parse_config(raw)

    assert set(raw) <= set(CONFIG_KEYS)
    assert (args.region, args.environment_suffix) == (config["aws:region"], "prod")
    assert args.encryption_mode is EncryptionMode.KMS
    assert args.enable_waf is True
    assert args.log_retention_days == 1827  # five years, above the one-year baseline
    assert args.access_log_expiration_days == 1827
    assert args.alarm_email == "platform-oncall@example.com"  # the value the file marks CHANGE ME
    assert args.enable_function_url is False  # only the API, behind the WAF and the access log
    assert args.manage_api_gateway_account is False  # the account stack owns the region's setting
    assert args.force_destroy is False
    assert args.reserved_concurrency is None  # new accounts cannot reserve any
    assert args.enable_malware_scanning is True  # DESIGN §4.3: on in production, off in the dev example


def test_the_account_example_stack_file_deploys_only_the_account_setting() -> None:
    config, raw = example_stack("apigw-account")

    args = parse_config(raw)

    assert set(raw) <= set(CONFIG_KEYS)
    assert args.stack_kind is StackKind.API_GATEWAY_ACCOUNT
    assert args.region == config["aws:region"]


def test_the_upload_limits_are_the_services_own() -> None:
    """The stack's default and ceiling are the ones the API and the processor enforce (MAX_UPLOAD_BYTES)."""
    from document_processor import settings as service_settings
    from lib import config, settings

    assert settings.DEFAULT_MAX_UPLOAD_BYTES == service_settings.DEFAULT_MAX_UPLOAD_BYTES
    assert config.MAX_UPLOAD_BYTES_LIMIT == service_settings.MAX_UPLOAD_BYTES_CEILING
