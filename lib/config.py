"""Turn raw Pulumi config into ``TapStackArgs``, reporting every problem at once.

Pure functions over plain mappings (no Pulumi import), so every rule is tested table-style with its
exact message. Raw values are strings, as Pulumi hands them over: structured values (lists, objects)
arrive as JSON text. Each problem names the config key and the rule, so a bad stack file is fixed in
one pass rather than one error per ``pulumi up``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import fields, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from document_processor.settings import MAX_UPLOAD_BYTES_CEILING
from lib.settings import ApiLoggingLevel, EncryptionMode, OwnerScope, StackKind, TapStackArgs
from lib.zones import override_problems

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from enum import Enum

ENVIRONMENT_SUFFIX_VARIABLE = "ENVIRONMENT_SUFFIX"
"""Environment variable that wins over the ``environmentSuffix`` config key (CI sets it per branch)."""

CONFIG_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "environmentSuffix": "environment_suffix",
        "region": "region",
        "allowedRegions": "allowed_regions",
        "tags": "tags",
        "encryptionMode": "encryption_mode",
        "logRetentionDays": "log_retention_days",
        "enableWaf": "enable_waf",
        "wafRateLimit": "waf_rate_limit",
        "enableFunctionUrl": "enable_function_url",
        "manageApiGatewayAccount": "manage_api_gateway_account",
        "stackKind": "stack_kind",
        "availabilityZoneIds": "availability_zone_ids",
        "breakGlassPrincipalArns": "break_glass_principal_arns",
        "auditorPrincipalArns": "auditor_principal_arns",
        "alarmEmail": "alarm_email",
        "throttlingRateLimit": "throttling_rate_limit",
        "throttlingBurstLimit": "throttling_burst_limit",
        "reservedConcurrency": "reserved_concurrency",
        "lambdaMemoryMb": "lambda_memory_mb",
        "enableSnapStart": "enable_snap_start",
        "forceDestroy": "force_destroy",
        "maxDocumentBytes": "max_document_bytes",
        "maxUploadBytes": "max_upload_bytes",
        "ingestCorsOrigins": "ingest_cors_origins",
        "enableMalwareScanning": "enable_malware_scanning",
        "allowedContentTypes": "allowed_content_types",
        "ownerScope": "owner_scope",
        "noncurrentVersionExpirationDays": "noncurrent_version_expiration_days",
        "accessLogExpirationDays": "access_log_expiration_days",
        "apiLoggingLevel": "api_logging_level",
    }
)
"""Config key (camelCase, as written in ``Pulumi.<stack>.yaml``) -> ``TapStackArgs`` field."""

FIELD_KEYS: Mapping[str, str] = MappingProxyType({field: key for key, field in CONFIG_KEYS.items()})

RESERVED_TAG_KEYS: tuple[str, ...] = ("Environment", "Project", "ManagedBy")
"""Tags the program sets itself on every resource."""

CLOUDWATCH_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
"""The retention periods CloudWatch Logs accepts (0, "never expire", is deliberately not offered)."""

MAX_ENVIRONMENT_SUFFIX_LENGTH = 20
WAF_RATE_LIMIT_RANGE = (10, 2_000_000_000)
THROTTLING_RATE_LIMIT_MAX = 10_000.0
THROTTLING_BURST_LIMIT_RANGE = (1, 5_000)
RESERVED_CONCURRENCY_RANGE = (1, 1_000)
LAMBDA_MEMORY_MB_RANGE = (128, 10_240)
MAX_DOCUMENT_BYTES_LIMIT = 4_500_000
"""Lambda's 6 MB synchronous payload after base64's 4/3 growth and the event envelope."""
MAX_UPLOAD_BYTES_LIMIT = MAX_UPLOAD_BYTES_CEILING
"""The service's own ceiling (20 GiB, ``document_processor.settings``): the processor reads and copies each
upload inside one invocation of at most 900 s, so a larger cap could only time out into the failure queue."""
MAX_TAG_KEY_LENGTH = 127
"""EC2's limit (the other tagged services allow 128)."""
MAX_TAG_VALUE_LENGTH = 256
TAG_CHARACTERS = "letters, digits and _ . : / = + -"
"""What every tagged service accepts in tag keys and values: IAM, Lambda, CloudWatch Logs and WAF allow
letters, digits, spaces and _ . : / = + - @; API Gateway's set is [a-zA-Z+-=._:/] (no space, no @).
Default tags reach every resource, so only the intersection is safe."""

_ENVIRONMENT_SUFFIX = re.compile(r"[a-z](?:[a-z0-9-]*[a-z0-9])?")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
_PRINCIPAL = re.compile(r"arn:aws(?:-[a-z]+)*:iam::\d{12}:(?:role|user)/[\w+=,.@/-]+")
_ACCOUNT_ROOT = re.compile(r"arn:aws(?:-[a-z]+)*:iam::\d{12}:root")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_TAG_TEXT = re.compile(r"[A-Za-z0-9_.:/=+-]*")
_HTTPS_ORIGIN = re.compile(
    r"https://(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?::[1-9]\d{0,4})?"
)
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


class ConfigProblem(NamedTuple):
    """One problem with one config key."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class ConfigError(ValueError):
    """The configuration is invalid; ``problems`` lists every reason, in key order."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"invalid stack configuration ({len(self.problems)} problem(s)):\n{lines}")


def parse_config(raw: Mapping[str, str], *, environment_suffix_override: str | None = None) -> TapStackArgs:
    """Build validated ``TapStackArgs`` from raw config values (keys without the project prefix).

    ``environment_suffix_override`` is the ``ENVIRONMENT_SUFFIX`` variable: when non-empty it wins
    over the ``environmentSuffix`` key. Raises ``ConfigError`` listing every problem found.
    """
    problems: list[ConfigProblem] = [
        ConfigProblem(key, f"unknown key; known keys are {', '.join(sorted(CONFIG_KEYS))}")
        for key in sorted(raw)
        if key not in CONFIG_KEYS
    ]
    values: dict[str, Any] = {}
    for key, field_name in CONFIG_KEYS.items():
        if key not in raw:
            continue
        try:
            values[field_name] = _PARSERS[field_name](raw[key])
        except ValueError as error:
            problems.append(ConfigProblem(key, str(error)))
    suffix_key = "environmentSuffix"
    if environment_suffix_override:
        values["environment_suffix"] = environment_suffix_override
        suffix_key = ENVIRONMENT_SUFFIX_VARIABLE
    args = replace(TapStackArgs(), **values)
    for problem in validate_args(args):
        if problem.key == "environmentSuffix":
            problem = ConfigProblem(suffix_key, problem.message)
        problems.append(problem)
    if problems:
        raise ConfigError(problems)
    return args


def validate_args(args: TapStackArgs) -> list[ConfigProblem]:
    """Every rule a ``TapStackArgs`` must satisfy; empty when it is valid.

    ``TapStack`` runs this too, so arguments built in code get the same checks as config.
    """
    problems: list[ConfigProblem] = []
    for args_field in fields(args):
        check = _CHECKS.get(args_field.name)
        if check is None:
            continue
        key = FIELD_KEYS[args_field.name]
        problems.extend(
            ConfigProblem(key, message) for message in check(getattr(args, args_field.name), args)
        )
    return problems


# --- parsing: raw text -> typed value (raise ValueError with the rule) ---------------------------


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    raise ValueError(f"must be true or false; got {raw!r}")


def _parse_int(raw: str) -> int:
    text = raw.strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    raise ValueError(f"must be a whole number; got {raw!r}")


def _parse_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if math.isfinite(value):
        return value
    raise ValueError(f"must be a number; got {raw!r}")


def _parse_string_list(raw: str) -> tuple[str, ...]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError(f"must be a list of strings (YAML list or JSON array); got {raw!r}")


def _parse_string_map(raw: str) -> Mapping[str, str]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        return MappingProxyType(dict(value))
    raise ValueError(f"must be a map of strings to strings; got {raw!r}")


def _enum_parser(enum: type[Enum]) -> Callable[[str], Enum]:
    def parse(raw: str) -> Enum:
        for member in enum:
            if member.value == raw:
                return member
        raise ValueError(f"must be one of {', '.join(str(m.value) for m in enum)}; got {raw!r}")

    return parse


def _optional(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Empty text means "not set" for optional keys (so a stack file can spell out the default)."""

    def parse_optional(raw: str) -> Any:
        return None if raw.strip() == "" else parse(raw)

    return parse_optional


def _identity(raw: str) -> str:
    return raw


_PARSERS: Mapping[str, Callable[[str], Any]] = MappingProxyType(
    {
        "environment_suffix": _identity,
        "region": _identity,
        "allowed_regions": _parse_string_list,
        "tags": _parse_string_map,
        "encryption_mode": _enum_parser(EncryptionMode),
        "log_retention_days": _parse_int,
        "enable_waf": _parse_bool,
        "waf_rate_limit": _parse_int,
        "enable_function_url": _parse_bool,
        "manage_api_gateway_account": _parse_bool,
        "stack_kind": _enum_parser(StackKind),
        "availability_zone_ids": _parse_string_list,
        "break_glass_principal_arns": _parse_string_list,
        "auditor_principal_arns": _parse_string_list,
        "alarm_email": _optional(_identity),
        "throttling_rate_limit": _parse_float,
        "throttling_burst_limit": _parse_int,
        "reserved_concurrency": _optional(_parse_int),
        "lambda_memory_mb": _parse_int,
        "enable_snap_start": _parse_bool,
        "force_destroy": _parse_bool,
        "max_document_bytes": _parse_int,
        "max_upload_bytes": _parse_int,
        "ingest_cors_origins": _parse_string_list,
        "enable_malware_scanning": _parse_bool,
        "allowed_content_types": _parse_string_list,
        "owner_scope": _enum_parser(OwnerScope),
        "noncurrent_version_expiration_days": _parse_int,
        "access_log_expiration_days": _parse_int,
        "api_logging_level": _enum_parser(ApiLoggingLevel),
    }
)


# --- rules: typed value -> problems (each a full sentence naming the rule) -----------------------


def _check_environment_suffix(value: str, _: TapStackArgs) -> list[str]:
    if len(value) <= MAX_ENVIRONMENT_SUFFIX_LENGTH and _ENVIRONMENT_SUFFIX.fullmatch(value):
        return []
    return [
        f"must be 1-{MAX_ENVIRONMENT_SUFFIX_LENGTH} lowercase letters, digits or hyphens, starting with a "
        f"letter and not ending with a hyphen (it is part of bucket and function names); got {value!r}"
    ]


def _check_region(value: str, args: TapStackArgs) -> list[str]:
    if not _REGION.fullmatch(value):
        return [f"must be an AWS region name such as 'us-east-1'; got {value!r}"]
    if args.allowed_regions and value not in args.allowed_regions:
        allowed = ", ".join(args.allowed_regions)
        return [
            f"{value!r} is not in allowedRegions ({allowed}); deploy to an allowed region or extend the list"
        ]
    return []


def _check_allowed_regions(value: tuple[str, ...], _: TapStackArgs) -> list[str]:
    if not value:
        return ["must list at least one region"]
    return [
        f"{region!r} is not an AWS region name such as 'us-east-1'"
        for region in value
        if not _REGION.fullmatch(region)
    ]


def _check_tags(value: Mapping[str, str], _: TapStackArgs) -> list[str]:
    problems: list[str] = []
    for key, tag_value in value.items():
        if key in RESERVED_TAG_KEYS:
            problems.append(f"tag {key!r} is set by the program and cannot be overridden")
        elif key.lower().startswith("aws:"):
            problems.append(f"tag {key!r} uses the reserved 'aws:' prefix")
        elif not 1 <= len(key) <= MAX_TAG_KEY_LENGTH:
            problems.append(f"tag key {key!r} must be 1-{MAX_TAG_KEY_LENGTH} characters")
        elif not _TAG_TEXT.fullmatch(key):
            problems.append(f"tag key {key!r} may contain only {TAG_CHARACTERS}")
        if len(tag_value) > MAX_TAG_VALUE_LENGTH:
            problems.append(f"tag {key!r} has a value longer than {MAX_TAG_VALUE_LENGTH} characters")
        elif not _TAG_TEXT.fullmatch(tag_value):
            problems.append(
                f"tag {key!r} has a value with characters other than {TAG_CHARACTERS}: {tag_value!r}"
            )
    return problems


def _check_log_retention_days(value: int, _: TapStackArgs) -> list[str]:
    if value in CLOUDWATCH_RETENTION_DAYS:
        return []
    allowed = ", ".join(str(days) for days in CLOUDWATCH_RETENTION_DAYS)
    return [f"must be a CloudWatch Logs retention period ({allowed}); got {value}"]


def _range_check(low: int, high: int, why: str) -> Callable[[int, TapStackArgs], list[str]]:
    def check(value: int, _: TapStackArgs) -> list[str]:
        if low <= value <= high:
            return []
        return [f"must be between {low} and {high} ({why}); got {value}"]

    return check


def _at_least_one_day(value: int, _: TapStackArgs) -> list[str]:
    return [] if value >= 1 else [f"must be at least 1 (days); got {value}"]


def _check_break_glass(value: tuple[str, ...], _: TapStackArgs) -> list[str]:
    return [f"{arn!r} is not an IAM role or user ARN" for arn in value if not _PRINCIPAL.fullmatch(arn)]


def _check_auditors(value: tuple[str, ...], _: TapStackArgs) -> list[str]:
    return [
        f"{arn!r} is not an IAM role, user or account root ARN"
        for arn in value
        if not (_PRINCIPAL.fullmatch(arn) or _ACCOUNT_ROOT.fullmatch(arn))
    ]


def _check_alarm_email(value: str | None, _: TapStackArgs) -> list[str]:
    if value is None or _EMAIL.fullmatch(value):
        return []
    return [f"must be an e-mail address; got {value!r}"]


def _check_throttling_rate(value: float, _: TapStackArgs) -> list[str]:
    if 0 < value <= THROTTLING_RATE_LIMIT_MAX:
        return []
    return [
        f"must be greater than 0 and at most {THROTTLING_RATE_LIMIT_MAX:g} requests per second; got {value:g}"
    ]


def _check_reserved_concurrency(value: int | None, _: TapStackArgs) -> list[str]:
    if value is None:
        return []
    low, high = RESERVED_CONCURRENCY_RANGE
    if low <= value <= high:
        return []
    return [f"must be between {low} and {high} when set (0 would stop the function); got {value}"]


SNAP_START_UNAVAILABLE_REGIONS = ("ap-east-2", "ap-southeast-6")
"""Commercial regions without Lambda SnapStart (Taipei, New Zealand), per the Lambda developer guide."""


def _check_snap_start(value: bool, args: TapStackArgs) -> list[str]:
    if value and args.region in SNAP_START_UNAVAILABLE_REGIONS:
        return [f"Lambda SnapStart is not available in {args.region!r}; set it to false or deploy elsewhere"]
    return []


def _check_content_types(value: tuple[str, ...], _: TapStackArgs) -> list[str]:
    if not value:
        return ["must list at least one media type"]
    problems = [
        f"{media_type!r} is not a lowercase media type such as 'application/pdf' (no parameters)"
        for media_type in value
        if not _MEDIA_TYPE.fullmatch(media_type)
    ]
    problems.extend(
        f"lists {media_type!r} more than once"
        for media_type in sorted(set(value))
        if value.count(media_type) > 1
    )
    return problems


def _check_cors_origins(value: tuple[str, ...], _: TapStackArgs) -> list[str]:
    """Exact HTTPS origins only: no wildcard (the bucket takes presigned PUTs, and any page on a
    wildcard origin could drive a victim's browser), no path, lowercase as browsers send them."""
    problems = [
        f"{origin!r} is not an HTTPS origin such as 'https://app.example.com' (lowercase host, optional "
        "port, no path, no wildcard)"
        for origin in value
        if not _HTTPS_ORIGIN.fullmatch(origin)
    ]
    problems.extend(
        f"lists {origin!r} more than once" for origin in sorted(set(value)) if value.count(origin) > 1
    )
    return problems


def _check_availability_zone_ids(value: tuple[str, ...], _: TapStackArgs) -> list[str]:
    """Shape, count and known Lambda gaps; whether each zone exists is checked at deploy time."""
    return override_problems(value) if value else []


_CHECKS: Mapping[str, Callable[[Any, TapStackArgs], list[str]]] = MappingProxyType(
    {
        "environment_suffix": _check_environment_suffix,
        "region": _check_region,
        "allowed_regions": _check_allowed_regions,
        "tags": _check_tags,
        "log_retention_days": _check_log_retention_days,
        "waf_rate_limit": _range_check(*WAF_RATE_LIMIT_RANGE, "WAF's rate-based rule limits"),
        "break_glass_principal_arns": _check_break_glass,
        "auditor_principal_arns": _check_auditors,
        "alarm_email": _check_alarm_email,
        "throttling_rate_limit": _check_throttling_rate,
        "throttling_burst_limit": _range_check(
            *THROTTLING_BURST_LIMIT_RANGE, "API Gateway's default account limit"
        ),
        "reserved_concurrency": _check_reserved_concurrency,
        "lambda_memory_mb": _range_check(*LAMBDA_MEMORY_MB_RANGE, "Lambda's limits"),
        "enable_snap_start": _check_snap_start,
        "max_document_bytes": _range_check(
            1, MAX_DOCUMENT_BYTES_LIMIT, "Lambda's 6 MB synchronous payload after base64 encoding"
        ),
        "max_upload_bytes": _range_check(
            1, MAX_UPLOAD_BYTES_LIMIT, "the processor's one-invocation limit, 20 GiB"
        ),
        "ingest_cors_origins": _check_cors_origins,
        "allowed_content_types": _check_content_types,
        "availability_zone_ids": _check_availability_zone_ids,
        "noncurrent_version_expiration_days": _at_least_one_day,
        "access_log_expiration_days": _at_least_one_day,
    }
)
