"""What AWS accepts for each value the program sends, taken from botocore's service models.

Mocks accept any string; AWS does not. This module maps every input of every resource type the
program creates to the AWS API member that receives it (``Member``: service, operation, member
path), and reads that member's constraints (``min``/``max`` length or value, ``pattern``, ``enum``)
from the service model botocore ships. Where the model has no constraint but AWS documents one, a
``Rule`` states it, with its source: either a sentence of the model's own documentation (checked to
still be there, so the rule cannot silently go stale) or an AWS documentation page. Inputs that no
AWS API constrains are listed in ``UNCONSTRAINED`` with the reason, so every input is accounted for.

Model patterns are Java regular expressions, which AWS applies to the whole value (its errors read
"Member must satisfy regular expression pattern"); they are matched here with ``re.fullmatch`` and
ASCII ``\\w``/``\\d``/``\\s``, as Java does. Java's Unicode classes ``\\p{L}``, ``\\p{N}``, ``\\p{Z}``
are narrowed to their ASCII members: stricter than AWS for non-ASCII letters (which the program
never sends), never looser.

Pulumi names a resource itself when an auto-named input is left unset: the logical name, a hyphen
and seven random hex digits (https://www.pulumi.com/docs/iac/concepts/resources/names/). Those
names are checked too, in their longest form (``AUTONAME_SAMPLE``).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from botocore.loaders import Loader

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from tests.unit.infra.synth import CapturedResource

AUTONAME_SAMPLE: Final = "0a1b2c3"
"""Stands for the 7 random hex digits Pulumi appends to an auto-named resource's logical name."""
NAME_PREFIX_SAMPLE: Final = "20261203120000000000000001"
"""Stands for the 26 characters the provider appends to a ``namePrefix`` (a timestamp and a counter:
terraform-provider-aws ``id.PrefixedUniqueId``; lib.api_gateway_account_stack relies on the same 26)."""

PROVIDER_TYPE: Final = "pulumi:providers:aws"


# --- the service models ---------------------------------------------------------------------------


@functools.cache
def service_model(service: str) -> dict[str, Any]:
    """The botocore service model (``service-2``) of one AWS service."""
    model: dict[str, Any] = Loader().load_service_model(service, "service-2")
    return model


@functools.cache
def _walk(service: str, root: str, path: str) -> tuple[str, str]:
    """(shape name, documentation) of a member; cached, the models are large."""
    shapes: dict[str, Any] = service_model(service)["shapes"]
    operations: dict[str, Any] = service_model(service)["operations"]
    shape_name = operations[root]["input"]["shape"] if root in operations else root
    documentation = ""
    for step in re.findall(r"[^.\[{]+|\[\]|\{key\}|\{value\}", path):
        shape = shapes[shape_name]
        if step == "[]":
            reference = shape["member"]
        elif step in ("{key}", "{value}"):
            reference = shape[step[1:-1]]
        else:
            reference = shape["members"][step]
        shape_name = reference["shape"]
        documentation = reference.get("documentation") or shapes[shape_name].get("documentation", "")
    return shape_name, documentation


@dataclass(frozen=True)
class Member:
    """One member of an AWS API input, as the service model names it.

    ``root`` is an operation (its input shape) or a shape name. ``path`` is dotted member names;
    ``[]`` steps into a list's element, ``{key}``/``{value}`` into a map's keys or values.
    """

    service: str
    root: str
    path: str

    def __str__(self) -> str:
        return f"{self.service} {self.root} {self.path}"

    def _walk(self) -> tuple[str, str]:
        return _walk(self.service, self.root, self.path)

    @property
    def shape_name(self) -> str:
        return self._walk()[0]

    @property
    def shape(self) -> dict[str, Any]:
        """The member's shape (``type``, and ``min``, ``max``, ``pattern``, ``enum`` where set)."""
        shape: dict[str, Any] = service_model(self.service)["shapes"][self.shape_name]
        return shape

    @property
    def documentation(self) -> str:
        """The member's documentation text, tags stripped and whitespace collapsed."""
        text = re.sub(r"<[^>]+>", " ", self._walk()[1]).replace("&amp;", "&")
        return " ".join(text.split())

    def problems(self, value: object) -> list[str]:
        """Why ``value`` breaks this member's constraints (empty when it does not)."""
        shape = self.shape
        kind = shape["type"]
        if kind == "string":
            if not isinstance(value, str):
                return [f"{self}: expected a string, got {value!r}"]
            return _string_problems(str(self), shape, value)
        if kind in ("integer", "long", "double", "float"):
            if not isinstance(value, int | float) or isinstance(value, bool):
                return [f"{self}: expected a number, got {value!r}"]
            problems = []
            if kind in ("integer", "long") and value != int(value):
                problems.append(f"{self}: {value!r} is not a whole number")
            if "min" in shape and value < shape["min"]:
                problems.append(f"{self}: {value!r} is below the minimum {shape['min']}")
            if "max" in shape and value > shape["max"]:
                problems.append(f"{self}: {value!r} is above the maximum {shape['max']}")
            return problems
        if kind == "list":
            if not isinstance(value, list):
                return [f"{self}: expected a list, got {value!r}"]
            return _length_problems(str(self), shape, len(value), "items")
        raise TypeError(f"{self}: shape type {kind!r} is not checked here; point at a scalar member")

    @property
    def constrained(self) -> bool:
        """Whether the model constrains this member at all."""
        return bool({"min", "max", "pattern", "enum"} & set(self.shape))


def _string_problems(where: str, shape: Mapping[str, Any], value: str) -> list[str]:
    problems = _length_problems(where, shape, len(value), "characters")
    if "enum" in shape and value not in shape["enum"]:
        problems.append(f"{where}: {value!r} is not one of {', '.join(shape['enum'])}")
    if "pattern" in shape and not java_pattern(shape["pattern"]).fullmatch(value):
        problems.append(f"{where}: {value!r} does not match {shape['pattern']}")
    return problems


def _length_problems(where: str, shape: Mapping[str, Any], length: int, unit: str) -> list[str]:
    problems = []
    if "min" in shape and length < shape["min"]:
        problems.append(f"{where}: {length} {unit}, fewer than {shape['min']}")
    if "max" in shape and length > shape["max"]:
        problems.append(f"{where}: {length} {unit}, more than {shape['max']}")
    return problems


_JAVA_CLASSES: Final = {r"\p{L}": "A-Za-z", r"\p{N}": "0-9", r"\p{Z}": " "}


@functools.cache
def java_pattern(pattern: str) -> re.Pattern[str]:
    """A model pattern (Java syntax) as a Python pattern; Unicode classes narrowed to ASCII."""
    for java, ascii_members in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, ascii_members)
    if r"\p{" in pattern:
        raise ValueError(f"unhandled Java class in {pattern!r}: add it to _JAVA_CLASSES")
    return re.compile(pattern, re.ASCII)


# --- constraints the models lack ------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A documented constraint the model does not encode.

    ``documented_in``/``quote``: the model's own documentation of that member states the rule (the
    tests check the quote is still there). Otherwise ``source`` is the AWS page that states it.
    """

    summary: str
    check: Callable[[Any], bool]
    source: str = ""
    documented_in: Member | None = None
    quote: str = ""

    def problems(self, value: object) -> list[str]:
        return [] if self.check(value) else [f"{self.summary}: {value!r}"]


def _charset(allowed: str, max_length: int) -> Callable[[Any], bool]:
    pattern = re.compile(f"[{allowed}]{{0,{max_length}}}", re.ASCII)
    return lambda value: isinstance(value, str) and pattern.fullmatch(value) is not None


def _one_of(*allowed: object) -> Callable[[Any], bool]:
    return lambda value: value in allowed


def _length_without_whitespace(limit: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and len(re.sub(r"\s", "", value)) <= limit


def _utf8_bytes(limit: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and len(value.encode()) <= limit


def _numbers_in(member: Member, after: str) -> tuple[int, ...]:
    """The integers a model documentation sentence lists after ``after`` (e.g. retention periods)."""
    text = member.documentation
    start = text.index(after) + len(after)
    end = text.find(".", start)
    return tuple(int(number) for number in re.findall(r"\d+", text[start:end]))


def _s3_bucket_name(value: object) -> bool:
    """General purpose bucket naming rules (see ``S3_BUCKET_NAME``)."""
    if not isinstance(value, str) or not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value):
        return False
    if ".." in value or value.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        return False
    if value.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")):
        return False
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return True
    return False


def _not_prefixed(prefix: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, str) and not value.lower().startswith(prefix)


EC2_CHARACTERS: Final = r"a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*"
"""Security-group names and descriptions: ASCII only (quoted in ``_EC2_SG_DESCRIPTION``)."""
EC2_RULE_CHARACTERS: Final = r"a-zA-Z0-9 ._\-:/()#,@\[\]+=;{}!$*"
"""Security-group rule descriptions: the same without ``&``."""

_EC2_SG_DESCRIPTION: Final = Member("ec2", "CreateSecurityGroup", "Description")
_EC2_SG_NAME: Final = Member("ec2", "CreateSecurityGroup", "GroupName")
_EC2_RULE_DESCRIPTION: Final = Member(
    "ec2", "AuthorizeSecurityGroupEgress", "IpPermissions[].PrefixListIds[].Description"
)
_EC2_TAG_KEY: Final = Member("ec2", "CreateTags", "Tags[].Key")
_EC2_TAG_VALUE: Final = Member("ec2", "CreateTags", "Tags[].Value")
_APIGW_TAGS: Final = Member("apigateway", "CreateRestApi", "tags")
_LOG_RETENTION: Final = Member("logs", "PutRetentionPolicy", "retentionInDays")
_LAMBDA_NAME: Final = Member("lambda", "CreateFunction", "FunctionName")

S3_BUCKET_NAME: Final = Rule(
    "S3 general purpose bucket naming rules: 3-63 characters, lowercase letters, digits, dots and "
    "hyphens, starting and ending with a letter or digit, no '..', not an IP address, no reserved "
    "prefix or suffix",
    _s3_bucket_name,
    source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
)
IAM_TRUST_POLICY: Final = Rule(
    "IAM role trust policy: at most 2,048 characters, whitespace not counted (default quota)",
    _length_without_whitespace(2048),
    source="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
)
IAM_INLINE_POLICY: Final = Rule(
    "IAM role inline policies: at most 10,240 characters, whitespace not counted",
    _length_without_whitespace(10_240),
    source="https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
)
S3_BUCKET_POLICY: Final = Rule(
    "S3 bucket policy: at most 20 KB",
    _utf8_bytes(20 * 1024),
    source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-policies.html",
)
KMS_KEY_POLICY: Final = Rule(
    "KMS key policy: at most 32 KB",
    _utf8_bytes(32 * 1024),
    source="https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html",
)
VPC_ENDPOINT_POLICY: Final = Rule(
    "VPC endpoint policy: at most 20,480 characters, whitespace included",
    lambda value: isinstance(value, str) and len(value) <= 20_480,
    source="https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html",
)
LAMBDA_ENVIRONMENT_SIZE: Final = Rule(
    "Lambda environment variables: at most 4 KB in total",
    lambda value: (
        isinstance(value, dict) and len(json.dumps(value, separators=(",", ":")).encode()) <= 4 * 1024
    ),
    source="https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
)
LAMBDA_RESERVED_VARIABLES: Final = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    }
)  # fmt: skip
LAMBDA_RESERVED_VARIABLE: Final = Rule(
    "Lambda reserved environment variable names cannot be set",
    lambda value: value not in LAMBDA_RESERVED_VARIABLES,
    source="https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-runtime.html",
)
LAMBDA_FUNCTION_NAME_LENGTH: Final = Rule(
    "Lambda function name (not ARN): at most 64 characters",
    lambda value: isinstance(value, str) and len(value) <= 64,
    documented_in=_LAMBDA_NAME,
    quote="If you specify only the function name, it is limited to 64 characters in length.",
)
SG_DESCRIPTION: Final = Rule(
    "security group description: up to 255 ASCII characters (a-z, A-Z, 0-9, spaces, ._-:/()#,@[]+=&;{}!$*)",
    _charset(EC2_CHARACTERS, 255),
    documented_in=_EC2_SG_DESCRIPTION,
    quote="Constraints: Up to 255 characters in length Valid characters: a-z, A-Z, 0-9, spaces, and "
    "._-:/()#,@[]+=&;{}!$*",
)
SG_NAME: Final = Rule(
    "security group name: up to 255 ASCII characters from the description's set, not starting with sg-",
    lambda value: _charset(EC2_CHARACTERS, 255)(value) and _not_prefixed("sg-")(value),
    documented_in=_EC2_SG_NAME,
    quote="Constraints: Up to 255 characters in length. Can't start with sg- . Valid characters: a-z, "
    "A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*",
)
SG_RULE_DESCRIPTION: Final = Rule(
    "security group rule description: up to 255 ASCII characters (the description's set without &)",
    _charset(EC2_RULE_CHARACTERS, 255),
    documented_in=_EC2_RULE_DESCRIPTION,
    quote="Constraints: Up to 255 characters in length. Allowed characters are a-z, A-Z, 0-9, spaces, "
    "and ._-:/()#,@[]+=;{}!$*",
)
EC2_TAG_KEY: Final = Rule(
    "EC2 tag key: at most 127 characters, not starting with aws:",
    lambda value: isinstance(value, str) and 1 <= len(value) <= 127 and _not_prefixed("aws:")(value),
    documented_in=_EC2_TAG_KEY,
    quote="Tag keys are case-sensitive and accept a maximum of 127 Unicode characters. "
    "May not begin with aws: .",
)
EC2_TAG_VALUE: Final = Rule(
    "EC2 tag value: at most 256 characters",
    lambda value: isinstance(value, str) and len(value) <= 256,
    documented_in=_EC2_TAG_VALUE,
    quote="Tag values are case-sensitive and accept a maximum of 256 Unicode characters.",
)
APIGW_TAG_KEY: Final = Rule(
    "API Gateway tag key: characters [a-zA-Z+-=._:/], up to 128, not starting with aws:",
    lambda value: _charset("a-zA-Z+-=._:/", 128)(value) and value != "" and _not_prefixed("aws:")(value),
    documented_in=_APIGW_TAGS,
    quote="The valid character set is [a-zA-Z+-=._:/]. The tag key can be up to 128 characters and must "
    "not start with aws: .",
)
APIGW_TAG_VALUE: Final = Rule(
    "API Gateway tag value: characters [a-zA-Z+-=._:/], up to 256",
    _charset("a-zA-Z+-=._:/", 256),
    documented_in=_APIGW_TAGS,
    quote="The tag value can be up to 256 characters.",
)
SNS_TOPIC_NAME: Final = Rule(
    "SNS topic name: 1-256 ASCII letters, digits, underscores and hyphens",
    lambda value: isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value) is not None,
    documented_in=Member("sns", "CreateTopic", "Name"),
    quote="Topic names must be made up of only uppercase and lowercase ASCII letters, numbers, "
    "underscores, and hyphens, and must be between 1 and 256 characters long.",
)
SNS_PROTOCOL: Final = Rule(
    "SNS subscription protocol: one the service supports",
    _one_of("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"),
    documented_in=Member("sns", "Subscribe", "Protocol"),
    quote="email \N{EN DASH} delivery of message via SMTP",
)
DASHBOARD_NAME: Final = Rule(
    "CloudWatch dashboard name: up to 255 of A-Z, a-z, 0-9, - and _",
    lambda value: isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,255}", value) is not None,
    documented_in=Member("cloudwatch", "PutDashboard", "DashboardName"),
    quote='The maximum length is 255, and valid characters are A-Z, a-z, 0-9, "-", and "_".',
)
ALARM_NAME: Final = Rule(
    "CloudWatch alarm name: no ASCII control characters",
    lambda value: isinstance(value, str) and re.search(r"[\x00-\x1f\x7f]", value) is None,
    documented_in=Member("cloudwatch", "PutMetricAlarm", "AlarmName"),
    quote="The name must contain only UTF-8 characters, and can't contain ASCII control characters",
)
EXTENDED_STATISTIC: Final = Rule(
    "CloudWatch extended statistic: a percentile pNN or pNN.N (the form the program uses)",
    lambda value: isinstance(value, str) and re.fullmatch(r"p(\d{1,2}(\.\d+)?|100)", value) is not None,
    documented_in=Member("cloudwatch", "PutMetricAlarm", "ExtendedStatistic"),
    quote="If you specify ExtendedStatistic , the following are valid values: p90",
)
TREAT_MISSING_DATA: Final = Rule(
    "CloudWatch TreatMissingData: breaching, notBreaching, ignore or missing",
    _one_of("breaching", "notBreaching", "ignore", "missing"),
    documented_in=Member("cloudwatch", "PutMetricAlarm", "TreatMissingData"),
    quote="Valid Values: breaching | notBreaching | ignore | missing",
)
STAGE_NAME: Final = Rule(
    "API Gateway stage name: up to 128 alphanumerics, hyphens and underscores",
    lambda value: isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,128}", value) is not None,
    documented_in=Member("apigateway", "CreateStage", "stageName"),
    quote="Stage names can only contain alphanumeric characters, hyphens, and underscores. Maximum "
    "length is 128 characters.",
)
METHOD_LOGGING_LEVEL: Final = Rule(
    "API Gateway method logging level: OFF, ERROR or INFO",
    _one_of("OFF", "ERROR", "INFO"),
    documented_in=Member("apigateway", "MethodSetting", "loggingLevel"),
    quote="Valid values are OFF , ERROR , and INFO .",
)
METHOD_AUTHORIZATION: Final = Rule(
    "API Gateway method authorization type: NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS or JWT",
    _one_of("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS", "JWT"),
    documented_in=Member("apigateway", "PutMethod", "authorizationType"),
    quote="Valid values are NONE for open access, AWS_IAM for using Amazon Web Services IAM permissions",
)
HTTP_METHOD: Final = Rule(
    "API Gateway HTTP method: an HTTP verb or ANY",
    _one_of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "ANY"),
    source="https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-settings-method-request.html",
)
INTEGRATION_TIMEOUT: Final = Rule(
    "API Gateway integration timeout: 50-29,000 ms (more only with a quota increase)",
    lambda value: isinstance(value, int | float) and 50 <= value <= 29_000,
    documented_in=Member("apigateway", "PutIntegration", "timeoutInMillis"),
    quote="Custom timeout between 50 and 29,000 milliseconds.",
)
LOG_RETENTION: Final = Rule(
    "CloudWatch Logs retention: one of the periods the service lists",
    lambda value: value in _numbers_in(_LOG_RETENTION, "Possible values are:"),
    documented_in=_LOG_RETENTION,
    quote="Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, "
    "1827, 2192, 2557, 2922, 3288, and 3653.",
)
WAF_EVALUATION_WINDOW: Final = Rule(
    "WAF rate-based evaluation window: 60, 120, 300 or 600 seconds",
    _one_of(60, 120, 300, 600),
    documented_in=Member("wafv2", "RateBasedStatement", "EvaluationWindowSec"),
    quote="Valid settings are 60, 120, 300, and 600.",
)
KMS_ALIAS_NAME: Final = Rule(
    "KMS alias: starts with alias/, not with the reserved alias/aws/",
    lambda value: (
        isinstance(value, str) and value.startswith("alias/") and not value.startswith("alias/aws/")
    ),
    documented_in=Member("kms", "CreateAlias", "AliasName"),
    quote="The alias name cannot begin with alias/aws/ .",
)
S3_LIFECYCLE_RULE_ID: Final = Rule(
    "S3 lifecycle rule ID: at most 255 characters",
    lambda value: isinstance(value, str) and len(value) <= 255,
    documented_in=Member("s3", "PutBucketLifecycleConfiguration", "LifecycleConfiguration.Rules[].ID"),
    quote="The value cannot be longer than 255 characters.",
)
S3_LIFECYCLE_DAYS: Final = Rule(
    "S3 lifecycle expiration: a whole number of days, at least 1",
    lambda value: isinstance(value, int | float) and not isinstance(value, bool) and value == int(value) >= 1,
    documented_in=Member("s3", "LifecycleExpiration", "Days"),
    quote="The value must be a non-zero positive integer.",
)
S3_ABORT_UPLOADS_DAYS: Final = Rule(
    "S3 AbortIncompleteMultipartUpload: a whole number of days, at least 1",
    lambda value: isinstance(value, int | float) and not isinstance(value, bool) and value == int(value) >= 1,
    source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpu-abort-incomplete-mpu-lifecycle-config.html",
)
S3_NOTIFICATION_FILTER: Final = Rule(
    "S3 notification key filter: a non-empty prefix of at most 1,024 characters",
    lambda value: isinstance(value, str) and 1 <= len(value) <= 1024,
    documented_in=Member("s3", "FilterRule", "Name"),
    quote="The maximum length is 1,024 characters.",
)
S3_CORS_RULE_ID: Final = Rule(
    "S3 CORS rule ID: at most 255 characters",
    lambda value: isinstance(value, str) and len(value) <= 255,
    documented_in=Member("s3", "CORSRule", "ID"),
    quote="The value cannot be longer than 255 characters.",
)
S3_CORS_METHOD: Final = Rule(
    "S3 CORS method: GET, PUT, HEAD, POST or DELETE",
    _one_of("GET", "PUT", "HEAD", "POST", "DELETE"),
    documented_in=Member("s3", "CORSRule", "AllowedMethods"),
    quote="Valid values are GET , PUT , HEAD , POST , and DELETE .",  # the model's tags, stripped
)
S3_CORS_ORIGIN: Final = Rule(
    "S3 CORS origin: a scheme and host, with at most one '*' wildcard",
    lambda value: isinstance(value, str) and value.count("*") <= 1 and (value == "*" or "://" in value),
    source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/ManageCorsUsing.html",
)

S3_TAG_VALUE: Final = Rule(
    "S3 bucket tag value: at most 256 characters",
    lambda value: isinstance(value, str) and len(value) <= 256,
    source="https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-managing.html",
)


def _whole_between(low: int, high: int) -> Callable[[Any], bool]:
    """A whole number of seconds in a range (the engine hands numbers over as floats)."""
    return lambda value: (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == int(value)
        and low <= value <= high
    )


_SQS_ATTRIBUTES: Final = Member("sqs", "CreateQueue", "Attributes")
SQS_QUEUE_NAME: Final = Rule(
    "SQS queue name: up to 80 ASCII letters, digits, hyphens and underscores",
    lambda value: isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,80}", value) is not None,
    documented_in=Member("sqs", "CreateQueue", "QueueName"),
    quote="A queue name can have up to 80 characters. Valid values: alphanumeric characters, hyphens ( - ), "
    "and underscores ( _ ).",
)
SQS_MESSAGE_RETENTION: Final = Rule(
    "SQS MessageRetentionPeriod: 60-1,209,600 seconds",
    _whole_between(60, 1_209_600),
    documented_in=_SQS_ATTRIBUTES,
    quote="Valid values: An integer from 60 seconds (1 minute) to 1,209,600 seconds (14 days).",
)
SQS_KMS_DATA_KEY_REUSE: Final = Rule(
    "SQS KmsDataKeyReusePeriodSeconds: 60-86,400 seconds",
    _whole_between(60, 86_400),
    documented_in=_SQS_ATTRIBUTES,
    quote="between 60 seconds (1 minute) and 86,400 seconds (24 hours)",
)
SQS_TAG_KEY: Final = Rule(
    "SQS tag key: 1-128 characters",
    lambda value: isinstance(value, str) and 1 <= len(value) <= 128,
    source="https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html",
)
SQS_TAG_VALUE: Final = Rule(
    "SQS tag value: at most 256 characters",
    lambda value: isinstance(value, str) and len(value) <= 256,
    source="https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html",
)

RULES: Final[tuple[Rule, ...]] = tuple(value for value in list(globals().values()) if isinstance(value, Rule))
"""Every hand-written rule (the tests check each one's source)."""


# --- the mapping: resource type -> input path -> constraints --------------------------------------


@dataclass(frozen=True)
class Field:
    """One input of a resource type and what AWS requires of it.

    ``path`` is dotted input names (camelCase, as the engine sees them); ``[]`` steps into a list's
    items, ``*`` into a map's values, and a trailing ``{}`` means the map's keys.
    """

    path: str
    members: tuple[Member, ...] = ()
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Mirror:
    """Inputs under ``path`` that mirror the API member for member (camelCase of the model's names).

    pulumi-aws generates WAFv2 rule statements straight from the API's structure, so every leaf
    under ``rules[]`` resolves to its model member without a hand-kept list.
    """

    path: str
    member: Member

    def member_for(self, leaf: str) -> Member | None:
        """The model member of an input leaf under ``path``; None when it has no counterpart."""
        if not leaf.startswith(self.path + "."):
            return None
        path = self.member.path
        shapes: dict[str, Any] = service_model(self.member.service)["shapes"]
        shape_name = self.member.shape_name
        for step in re.findall(r"[^.\[]+|\[\]", leaf[len(self.path) + 1 :]):
            shape = shapes[shape_name]
            if step == "[]":
                if shape["type"] != "list":
                    return None
                path, shape_name = f"{path}[]", shape["member"]["shape"]
                continue
            names = {name.lower(): name for name in shape.get("members", {})}
            if step.lower() not in names:
                return None
            name = names[step.lower()]
            path, shape_name = f"{path}.{name}", shape["members"][name]["shape"]
        return Member(self.member.service, self.member.root, path)


def _f(path: str, *constraints: Member | Rule) -> Field:
    return Field(
        path,
        tuple(c for c in constraints if isinstance(c, Member)),
        tuple(c for c in constraints if isinstance(c, Rule)),
    )


def _tags(key: Member | Rule, value: Member | Rule) -> tuple[Field, Field]:
    """The ``tags`` a resource ends up with (its own plus the provider's default tags)."""
    return _f("tags{}", key), _f("tags*", value)


def _m(service: str, root: str) -> Callable[[str], Member]:
    return lambda path: Member(service, root, path)


_lambda = _m("lambda", "CreateFunction")
_role = _m("iam", "CreateRole")
_alarm = _m("cloudwatch", "PutMetricAlarm")
_acl = _m("wafv2", "CreateWebACL")
_logs = _m("logs", "CreateLogGroup")
_table = _m("dynamodb", "CreateTable")
_invoke_config = _m("lambda", "PutFunctionEventInvokeConfig")
_EC2_TAGS: Final = _tags(EC2_TAG_KEY, EC2_TAG_VALUE)
_RATE = "rules[].statement.rateBasedStatement."

FIELDS: Final[Mapping[str, tuple[Field, ...]]] = {
    "aws:lambda/function:Function": (
        _f("name", _lambda("FunctionName"), LAMBDA_FUNCTION_NAME_LENGTH),
        _f("description", _lambda("Description")),
        _f("runtime", _lambda("Runtime")),
        _f("architectures", _lambda("Architectures")),
        _f("architectures[]", _lambda("Architectures[]")),
        _f("handler", _lambda("Handler")),
        _f("memorySize", _lambda("MemorySize")),
        _f("timeout", _lambda("Timeout")),
        _f(
            "reservedConcurrentExecutions",
            Member("lambda", "PutFunctionConcurrency", "ReservedConcurrentExecutions"),
        ),
        _f("tracingConfig.mode", _lambda("TracingConfig.Mode")),
        _f("loggingConfig.logFormat", _lambda("LoggingConfig.LogFormat")),
        _f("loggingConfig.applicationLogLevel", _lambda("LoggingConfig.ApplicationLogLevel")),
        _f("loggingConfig.systemLogLevel", _lambda("LoggingConfig.SystemLogLevel")),
        _f("loggingConfig.logGroup", _lambda("LoggingConfig.LogGroup")),
        _f("environment.variables", LAMBDA_ENVIRONMENT_SIZE),
        _f("environment.variables{}", _lambda("Environment.Variables{key}"), LAMBDA_RESERVED_VARIABLE),
        _f("snapStart.applyOn", _lambda("SnapStart.ApplyOn")),
        *_tags(_lambda("Tags{key}"), _lambda("Tags{value}")),
    ),
    "aws:lambda/permission:Permission": (
        _f("statementId", Member("lambda", "AddPermission", "StatementId")),
        _f("action", Member("lambda", "AddPermission", "Action")),
        _f("function", Member("lambda", "AddPermission", "FunctionName")),
        _f("principal", Member("lambda", "AddPermission", "Principal")),
        _f("sourceArn", Member("lambda", "AddPermission", "SourceArn")),
        _f("sourceAccount", Member("lambda", "AddPermission", "SourceAccount")),
        _f("qualifier", Member("lambda", "AddPermission", "Qualifier")),
    ),
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": (
        _f("functionName", _invoke_config("FunctionName")),
        _f("maximumRetryAttempts", _invoke_config("MaximumRetryAttempts")),
        _f("maximumEventAgeInSeconds", _invoke_config("MaximumEventAgeInSeconds")),
        _f(
            "destinationConfig.onFailure.destination",
            _invoke_config("DestinationConfig.OnFailure.Destination"),
        ),
    ),
    "aws:dynamodb/table:Table": (
        # CreateTable's TableName also takes an ARN (1-1,024); a table's own name is the TableName shape.
        _f("name", Member("dynamodb", "TableDescription", "TableName")),
        _f("billingMode", _table("BillingMode")),
        _f("hashKey", _table("KeySchema[].AttributeName")),
        _f("rangeKey", _table("KeySchema[].AttributeName")),
        _f("attributes[].name", _table("AttributeDefinitions[].AttributeName")),
        _f("attributes[].type", _table("AttributeDefinitions[].AttributeType")),
        _f("globalSecondaryIndexes[].name", _table("GlobalSecondaryIndexes[].IndexName")),
        _f(
            "globalSecondaryIndexes[].projectionType",
            _table("GlobalSecondaryIndexes[].Projection.ProjectionType"),
        ),
        _f(
            "globalSecondaryIndexes[].keySchemas[].attributeName",
            _table("GlobalSecondaryIndexes[].KeySchema[].AttributeName"),
        ),
        _f(
            "globalSecondaryIndexes[].keySchemas[].keyType",
            _table("GlobalSecondaryIndexes[].KeySchema[].KeyType"),
        ),
        _f(
            "ttl.attributeName",
            Member("dynamodb", "UpdateTimeToLive", "TimeToLiveSpecification.AttributeName"),
        ),
        *_tags(_table("Tags[].Key"), _table("Tags[].Value")),
    ),
    "aws:sqs/queue:Queue": (
        _f("name", SQS_QUEUE_NAME),
        _f("messageRetentionSeconds", SQS_MESSAGE_RETENTION),
        _f("kmsDataKeyReusePeriodSeconds", SQS_KMS_DATA_KEY_REUSE),
        *_tags(SQS_TAG_KEY, SQS_TAG_VALUE),
    ),
    "aws:s3/bucketNotification:BucketNotification": (
        _f("lambdaFunctions[].filterPrefix", S3_NOTIFICATION_FILTER),
        _f(
            "lambdaFunctions[].events[]",
            Member(
                "s3",
                "PutBucketNotificationConfiguration",
                "NotificationConfiguration.LambdaFunctionConfigurations[].Events[]",
            ),
        ),
    ),
    "aws:cloudwatch/eventRule:EventRule": (
        _f("name", Member("events", "PutRule", "Name")),
        _f("description", Member("events", "PutRule", "Description")),
        _f("eventPattern", Member("events", "PutRule", "EventPattern")),
        *_tags(Member("events", "PutRule", "Tags[].Key"), Member("events", "PutRule", "Tags[].Value")),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": (
        _f("rule", Member("events", "PutTargets", "Rule")),
        _f("arn", Member("events", "PutTargets", "Targets[].Arn")),
        _f(
            "retryPolicy.maximumRetryAttempts",
            Member("events", "PutTargets", "Targets[].RetryPolicy.MaximumRetryAttempts"),
        ),
        _f(
            "retryPolicy.maximumEventAgeInSeconds",
            Member("events", "PutTargets", "Targets[].RetryPolicy.MaximumEventAgeInSeconds"),
        ),
        _f(
            "inputTransformer.inputPaths{}",
            Member("events", "PutTargets", "Targets[].InputTransformer.InputPathsMap{key}"),
        ),
        _f(
            "inputTransformer.inputPaths*",
            Member("events", "PutTargets", "Targets[].InputTransformer.InputPathsMap{value}"),
        ),
        _f(
            "inputTransformer.inputTemplate",
            Member("events", "PutTargets", "Targets[].InputTransformer.InputTemplate"),
        ),
    ),
    "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan": (
        _f(
            "actions[].taggings[].status",
            Member("guardduty", "CreateMalwareProtectionPlan", "Actions.Tagging.Status"),
        ),
        *_tags(
            Member("guardduty", "CreateMalwareProtectionPlan", "Tags{key}"),
            Member("guardduty", "CreateMalwareProtectionPlan", "Tags{value}"),
        ),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": (
        _f("description", SG_RULE_DESCRIPTION),
        *_EC2_TAGS,
    ),
    "aws:lambda/functionUrl:FunctionUrl": (
        _f("authorizationType", Member("lambda", "CreateFunctionUrlConfig", "AuthType")),
        _f("functionName", Member("lambda", "CreateFunctionUrlConfig", "FunctionName")),
        _f("qualifier", Member("lambda", "CreateFunctionUrlConfig", "Qualifier")),
    ),
    "aws:lambda/alias:Alias": (
        _f("name", Member("lambda", "CreateAlias", "Name")),
        _f("description", Member("lambda", "CreateAlias", "Description")),
        _f("functionName", Member("lambda", "CreateAlias", "FunctionName")),
        _f("functionVersion", Member("lambda", "CreateAlias", "FunctionVersion")),
    ),
    "aws:iam/role:Role": (
        _f("name", _role("RoleName")),
        _f("path", _role("Path")),
        _f("description", _role("Description")),
        _f("assumeRolePolicy", _role("AssumeRolePolicyDocument"), IAM_TRUST_POLICY),
        _f("maxSessionDuration", _role("MaxSessionDuration")),
        *_tags(_role("Tags[].Key"), _role("Tags[].Value")),
    ),
    "aws:iam/rolePolicy:RolePolicy": (
        _f("name", Member("iam", "PutRolePolicy", "PolicyName")),
        _f("role", Member("iam", "PutRolePolicy", "RoleName")),
        _f("policy", Member("iam", "PutRolePolicy", "PolicyDocument"), IAM_INLINE_POLICY),
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        _f("role", Member("iam", "AttachRolePolicy", "RoleName")),
        _f("policyArn", Member("iam", "AttachRolePolicy", "PolicyArn")),
    ),
    "aws:cloudwatch/logGroup:LogGroup": (
        _f("name", _logs("logGroupName")),
        _f("kmsKeyId", _logs("kmsKeyId")),
        _f("retentionInDays", LOG_RETENTION),
        _f("logGroupClass", _logs("logGroupClass")),
        *_tags(_logs("tags{key}"), _logs("tags{value}")),
    ),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (
        _f("name", _alarm("AlarmName"), ALARM_NAME),
        _f("alarmDescription", _alarm("AlarmDescription")),
        _f("comparisonOperator", _alarm("ComparisonOperator")),
        _f("statistic", _alarm("Statistic")),
        _f("extendedStatistic", EXTENDED_STATISTIC),
        _f("namespace", _alarm("Namespace")),
        _f("metricName", _alarm("MetricName")),
        _f("dimensions{}", _alarm("Dimensions[].Name")),
        _f("dimensions*", _alarm("Dimensions[].Value")),
        _f("period", _alarm("Period")),
        _f("evaluationPeriods", _alarm("EvaluationPeriods")),
        _f("datapointsToAlarm", _alarm("DatapointsToAlarm")),
        _f("treatMissingData", _alarm("TreatMissingData"), TREAT_MISSING_DATA),
        _f("alarmActions", _alarm("AlarmActions")),
        _f("alarmActions[]", _alarm("AlarmActions[]")),
        _f("okActions", _alarm("OKActions")),
        _f("okActions[]", _alarm("OKActions[]")),
        *_tags(_alarm("Tags[].Key"), _alarm("Tags[].Value")),
    ),
    "aws:cloudwatch/dashboard:Dashboard": (_f("dashboardName", DASHBOARD_NAME),),
    "aws:sns/topic:Topic": (
        _f("name", SNS_TOPIC_NAME),
        *_tags(Member("sns", "CreateTopic", "Tags[].Key"), Member("sns", "CreateTopic", "Tags[].Value")),
    ),
    "aws:sns/topicSubscription:TopicSubscription": (_f("protocol", SNS_PROTOCOL),),
    "aws:sns/topicPolicy:TopicPolicy": (),
    "aws:kms/key:Key": (
        _f("description", Member("kms", "CreateKey", "Description")),
        _f("policy", Member("kms", "CreateKey", "Policy"), KMS_KEY_POLICY),
        _f("deletionWindowInDays", Member("kms", "ScheduleKeyDeletion", "PendingWindowInDays")),
        _f("rotationPeriodInDays", Member("kms", "EnableKeyRotation", "RotationPeriodInDays")),
        *_tags(Member("kms", "CreateKey", "Tags[].TagKey"), Member("kms", "CreateKey", "Tags[].TagValue")),
    ),
    "aws:kms/alias:Alias": (
        _f("name", Member("kms", "CreateAlias", "AliasName"), KMS_ALIAS_NAME),
        _f("targetKeyId", Member("kms", "CreateAlias", "TargetKeyId")),
    ),
    "aws:ec2/vpc:Vpc": _EC2_TAGS,
    "aws:ec2/subnet:Subnet": _EC2_TAGS,
    "aws:ec2/internetGateway:InternetGateway": _EC2_TAGS,
    "aws:ec2/routeTable:RouteTable": _EC2_TAGS,
    "aws:ec2/route:Route": (),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": (),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _EC2_TAGS,
    "aws:ec2/securityGroup:SecurityGroup": (
        _f("name", SG_NAME),
        _f("description", SG_DESCRIPTION),
        _f("egress[].description", SG_RULE_DESCRIPTION),
        _f("ingress[].description", SG_RULE_DESCRIPTION),
        *_EC2_TAGS,
    ),
    "aws:ec2/vpcEndpoint:VpcEndpoint": (
        _f("vpcEndpointType", Member("ec2", "CreateVpcEndpoint", "VpcEndpointType")),
        _f("policy", VPC_ENDPOINT_POLICY),
        *_EC2_TAGS,
    ),
    "aws:ec2/flowLog:FlowLog": (
        _f("trafficType", Member("ec2", "CreateFlowLogs", "TrafficType")),
        _f("logDestinationType", Member("ec2", "CreateFlowLogs", "LogDestinationType")),
        *_EC2_TAGS,
    ),
    "aws:s3/bucket:Bucket": (
        _f("bucket", S3_BUCKET_NAME),
        *_tags(Member("s3", "Tag", "Key"), S3_TAG_VALUE),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": (_f("policy", S3_BUCKET_POLICY),),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        _f("rules[].id", S3_LIFECYCLE_RULE_ID),
        _f("rules[].status", Member("s3", "LifecycleRule", "Status")),
        _f("rules[].expiration.days", S3_LIFECYCLE_DAYS),
        _f("rules[].abortIncompleteMultipartUpload.daysAfterInitiation", S3_ABORT_UPLOADS_DAYS),
    ),
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": (
        _f("corsRules[].id", S3_CORS_RULE_ID),
        _f("corsRules[].allowedMethods[]", S3_CORS_METHOD),
        _f("corsRules[].allowedOrigins[]", S3_CORS_ORIGIN),
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        _f("rule.objectOwnership", Member("s3", "OwnershipControlsRule", "ObjectOwnership")),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _f(
            "rules[].applyServerSideEncryptionByDefault.sseAlgorithm",
            Member("s3", "ServerSideEncryptionByDefault", "SSEAlgorithm"),
        ),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": (
        _f("versioningConfiguration.status", Member("s3", "VersioningConfiguration", "Status")),
    ),
    "aws:s3/bucketLogging:BucketLogging": (),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (),
    "aws:apigateway/restApi:RestApi": (
        _f("endpointConfiguration.types", Member("apigateway", "EndpointConfiguration", "types[]")),
        *_tags(APIGW_TAG_KEY, APIGW_TAG_VALUE),
    ),
    "aws:apigateway/stage:Stage": (
        _f("stageName", STAGE_NAME),
        *_tags(APIGW_TAG_KEY, APIGW_TAG_VALUE),
    ),
    "aws:apigateway/methodSettings:MethodSettings": (
        _f("stageName", STAGE_NAME),
        _f("settings.loggingLevel", METHOD_LOGGING_LEVEL),
    ),
    "aws:apigateway/method:Method": (
        _f("authorization", METHOD_AUTHORIZATION),
        _f("httpMethod", HTTP_METHOD),
    ),
    "aws:apigateway/integration:Integration": (
        _f("type", Member("apigateway", "PutIntegration", "type")),
        _f("httpMethod", HTTP_METHOD),
        _f("integrationHttpMethod", HTTP_METHOD),
        _f("timeoutMilliseconds", INTEGRATION_TIMEOUT),
    ),
    "aws:apigateway/resource:Resource": (),
    "aws:apigateway/requestValidator:RequestValidator": (),
    "aws:apigateway/deployment:Deployment": (),
    "aws:apigateway/account:Account": (),
    "aws:wafv2/webAcl:WebAcl": (
        _f("name", _acl("Name")),
        _f("description", _acl("Description")),
        _f("scope", _acl("Scope")),
        _f("visibilityConfig.metricName", _acl("VisibilityConfig.MetricName")),
        _f(_RATE + "evaluationWindowSec", WAF_EVALUATION_WINDOW),
        *_tags(_acl("Tags[].Key"), _acl("Tags[].Value")),
    ),
    "aws:wafv2/webAclAssociation:WebAclAssociation": (),
}
"""Every AWS resource type the program creates, with the constrained inputs it may set."""

MIRRORS: Final[Mapping[str, tuple[Mirror, ...]]] = {
    "aws:wafv2/webAcl:WebAcl": (Mirror("rules[]", _acl("Rules[]")),),
}
"""Inputs checked member for member against the model (every leaf under the path)."""

_REFERENCE: Final = "another resource's id, ARN or name, made by AWS or checked where that resource is"
_POLICY: Final = "a JSON policy the model leaves unconstrained; its content is asserted in test_policies.py"
_FREE: Final = "the model leaves it unconstrained (a free string or number)"

UNCONSTRAINED: Final[Mapping[str, Mapping[str, str]]] = {
    "aws:lambda/function:Function": {
        "code": "the deployment archive (size and contents checked in test_lambda_asset.py)",
        "role": _REFERENCE,
        "environment.variables*": "EnvironmentVariableValue has no constraint (total size is checked)",
        "vpcConfig.subnetIds[]": _REFERENCE,
        "vpcConfig.securityGroupIds[]": _REFERENCE,
        "publish": "a boolean-like flag of the provider, not an API string",
    },
    "aws:lambda/functionUrl:FunctionUrl": {},
    "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {},
    "aws:dynamodb/table:Table": {
        "serverSideEncryption.kmsKeyArn": _REFERENCE,
    },
    "aws:sqs/queue:Queue": {"kmsMasterKeyId": _REFERENCE},
    "aws:s3/bucketNotification:BucketNotification": {
        "bucket": _REFERENCE,
        "lambdaFunctions[].lambdaFunctionArn": _REFERENCE,
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        "securityGroupId": _REFERENCE,
        "prefixListId": _REFERENCE,
        "ipProtocol": _FREE,
        "fromPort": _FREE,
        "toPort": _FREE,
    },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {},
    "aws:cloudwatch/metricAlarm:MetricAlarm": {"threshold": "a Double without bounds in the model"},
    "aws:cloudwatch/dashboard:Dashboard": {
        "dashboardBody": "JSON no model describes; its widgets are asserted in test_cloudwatch_stack.py"
    },
    "aws:sns/topic:Topic": {"kmsMasterKeyId": _REFERENCE},
    "aws:sns/topicPolicy:TopicPolicy": {"arn": _REFERENCE, "policy": _POLICY},
    "aws:sns/topicSubscription:TopicSubscription": {
        "topic": _REFERENCE,
        "endpoint": "the e-mail address, checked by lib.config (alarmEmail)",
    },
    "aws:kms/alias:Alias": {},
    "aws:ec2/vpc:Vpc": {"cidrBlock": "a CIDR literal of the program; the model types it as a free string"},
    "aws:ec2/subnet:Subnet": {
        "vpcId": _REFERENCE,
        "cidrBlock": "a CIDR literal of the program; the model types it as a free string",
        "availabilityZoneId": "chosen from DescribeAvailabilityZones by lib.zones",
        "availabilityZone": "chosen from DescribeAvailabilityZones by lib.zones",
    },
    "aws:ec2/internetGateway:InternetGateway": {"vpcId": _REFERENCE},
    "aws:ec2/routeTable:RouteTable": {"vpcId": _REFERENCE},
    "aws:ec2/route:Route": {
        "routeTableId": _REFERENCE,
        "gatewayId": _REFERENCE,
        "destinationCidrBlock": "a CIDR literal of the program; the model types it as a free string",
    },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {
        "routeTableId": _REFERENCE,
        "subnetId": _REFERENCE,
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {"vpcId": _REFERENCE},
    "aws:ec2/securityGroup:SecurityGroup": {
        "vpcId": _REFERENCE,
    },
    "aws:ec2/vpcEndpoint:VpcEndpoint": {
        "vpcId": _REFERENCE,
        "routeTableIds[]": _REFERENCE,
        "serviceName": "the partition's service prefix and the region (asserted in test_networking_stack.py)",
    },
    "aws:ec2/flowLog:FlowLog": {
        "vpcId": _REFERENCE,
        "iamRoleArn": _REFERENCE,
        "logDestination": _REFERENCE,
        "maxAggregationInterval": _FREE,
    },
    "aws:iam/role:Role": {"namePrefix": "checked through the name the provider generates from it"},
    "aws:iam/rolePolicy:RolePolicy": {},
    "aws:cloudwatch/logGroup:LogGroup": {},
    "aws:kms/key:Key": {},
    "aws:lambda/permission:Permission": {},
    "aws:cloudwatch/eventRule:EventRule": {},
    "aws:cloudwatch/eventTarget:EventTarget": {},
    "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan": {
        "role": _REFERENCE,
        "protectedResource.s3Bucket.bucketName": _REFERENCE,
        "protectedResource.s3Bucket.objectPrefixes[]": "the literal ingest/ prefix; the model leaves it free",
    },
    "aws:lambda/alias:Alias": {},
    "aws:s3/bucket:Bucket": {},
    "aws:s3/bucketPolicy:BucketPolicy": {"bucket": _REFERENCE},
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": {
        "bucket": _REFERENCE,
        "rules[].filter.prefix": "S3 Prefix has no constraint",
        "rules[].noncurrentVersionExpiration.noncurrentDays": "checked by lib.config (at least one day)",
    },
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": {
        "bucket": _REFERENCE,
        "corsRules[].allowedHeaders[]": "S3 AllowedHeader has no constraint",
        "corsRules[].exposeHeaders[]": "S3 ExposeHeader has no constraint",
        "corsRules[].maxAgeSeconds": "S3 MaxAgeSeconds is an integer without bounds in the model",
    },
    "aws:s3/bucketLogging:BucketLogging": {
        "bucket": _REFERENCE,
        "targetBucket": _REFERENCE,
        "targetPrefix": "S3 TargetPrefix has no constraint",
    },
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": {"bucket": _REFERENCE},
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {"bucket": _REFERENCE},
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": {
        "bucket": _REFERENCE,
        "rules[].applyServerSideEncryptionByDefault.kmsMasterKeyId": _REFERENCE,
    },
    "aws:s3/bucketVersioning:BucketVersioning": {"bucket": _REFERENCE},
    "aws:apigateway/restApi:RestApi": {
        "name": "CreateRestApi documents no constraint ('The name of the RestApi.')",
        "description": "CreateRestApi documents no constraint",
        "binaryMediaTypes[]": "media types the service defines (document_processor.routes)",
    },
    "aws:apigateway/stage:Stage": {
        "restApi": _REFERENCE,
        "deployment": _REFERENCE,
        "description": "CreateStage documents no constraint",
        "accessLogSettings.destinationArn": _REFERENCE,
        "accessLogSettings.format": "a $context template; its fields are asserted in test_api_routes.py",
    },
    "aws:apigateway/methodSettings:MethodSettings": {
        "restApi": _REFERENCE,
        "methodPath": "'*/*' (every method), the documented wildcard form",
        "settings.throttlingBurstLimit": "checked by lib.config against the account default",
        "settings.throttlingRateLimit": "checked by lib.config against the account default",
    },
    "aws:apigateway/method:Method": {
        "restApi": _REFERENCE,
        "resourceId": _REFERENCE,
        "requestValidatorId": _REFERENCE,
        "operationName": "PutMethod documents no constraint",
    },
    "aws:apigateway/integration:Integration": {
        "restApi": _REFERENCE,
        "resourceId": _REFERENCE,
        "uri": _REFERENCE,
    },
    "aws:apigateway/resource:Resource": {
        "restApi": _REFERENCE,
        "parentId": _REFERENCE,
        "pathPart": "CreateResource documents no constraint; paths come from document_processor.routes",
    },
    "aws:apigateway/requestValidator:RequestValidator": {
        "restApi": _REFERENCE,
        "name": "CreateRequestValidator documents no constraint",
    },
    "aws:apigateway/deployment:Deployment": {
        "restApi": _REFERENCE,
        "description": "CreateDeployment documents no constraint",
        "triggers*": "Pulumi-only input that forces replacement; never sent to AWS",
    },
    "aws:apigateway/account:Account": {"cloudwatchRoleArn": _REFERENCE},
    "aws:wafv2/webAcl:WebAcl": {},
    "aws:wafv2/webAclAssociation:WebAclAssociation": {"resourceArn": _REFERENCE, "webAclArn": _REFERENCE},
    PROVIDER_TYPE: {
        "region": "checked by lib.config against allowedRegions",
        "defaultTags": "merged into every taggable resource's tags and checked there",
        "skipCredentialsValidation": "a provider flag, not sent to AWS",
        "skipRegionValidation": "a provider flag, not sent to AWS",
    },
}
"""Inputs no AWS API constrains (or constrained elsewhere), each with the reason."""

AUTONAMED_EXTRA: Final[Mapping[str, str]] = {
    "aws:lambda/permission:Permission": "statementId",
    "aws:s3/bucket:Bucket": "bucket",
}
"""Auto-named inputs other than ``name`` (pulumi-aws ``provider/resources.go``: ``AutoName``)."""


# --- reading the captured resources ---------------------------------------------------------------


@functools.cache
def sdk_inputs(type_token: str) -> frozenset[str]:
    """The Python SDK's input names (snake_case) of a pulumi-aws resource type."""
    _, module_path, class_name = type_token.split(":")
    module = module_path.split("/")[0]
    sdk = importlib.import_module(f"pulumi_aws.{'lambda_' if module == 'lambda' else module}")
    return frozenset(inspect.signature(getattr(sdk, f"{class_name}Args").__init__).parameters) - {"self"}


def autonamed_input(type_token: str) -> str | None:
    """The input Pulumi fills in when the program leaves it unset, if any.

    pulumi-aws auto-names every resource whose Terraform schema has an input ``name``
    (``provider/autonaming.go``), plus the inputs in ``AUTONAMED_EXTRA``.
    """
    if type_token in AUTONAMED_EXTRA:
        return AUTONAMED_EXTRA[type_token]
    return "name" if "name" in sdk_inputs(type_token) else None


def taggable(type_token: str) -> bool:
    """Whether the type takes ``tags`` (and so receives the provider's default tags)."""
    return "tags" in sdk_inputs(type_token)


def effective_inputs(resource: CapturedResource, default_tags: Mapping[str, str]) -> dict[str, Any]:
    """The inputs AWS receives: auto-names filled in, default tags merged into ``tags``."""
    inputs = dict(resource.inputs)
    if not resource.type.startswith("aws:"):
        return inputs
    auto = autonamed_input(resource.type)
    if auto is not None and auto not in inputs:
        prefix = inputs.get(f"{auto}Prefix")
        generated = f"{prefix}{NAME_PREFIX_SAMPLE}" if prefix else f"{resource.name}-{AUTONAME_SAMPLE}"
        inputs[auto] = generated
    if taggable(resource.type):
        inputs["tags"] = {**default_tags, **inputs.get("tags", {})}
    return inputs


def provider_default_tags(resources: list[CapturedResource]) -> dict[str, str]:
    """The default tags of the (single) AWS provider the program registers."""
    providers = [r for r in resources if r.type == PROVIDER_TYPE]
    assert len(providers) == 1, f"expected one AWS provider, found {len(providers)}"
    raw = providers[0].inputs.get("defaultTags", "{}")
    tags: dict[str, str] = (json.loads(raw) if isinstance(raw, str) else raw).get("tags", {})
    return tags


def values_at(value: object, path: str) -> Iterator[object]:
    """Every value at ``path`` in ``value`` (see ``Field.path``); nothing where it is absent."""
    if path.endswith("{}"):
        for mapping in values_at(value, path[:-2]):
            if isinstance(mapping, dict):
                yield from mapping
        return
    if path == "":
        yield value
        return
    match = re.match(r"([^.\[*]+)(\[\]|\*)?\.?", path)
    if match is None:
        raise ValueError(f"bad path {path!r}")
    key, step, rest = match.group(1), match.group(2), path[match.end() :]
    if not isinstance(value, dict) or value.get(key) is None:
        return
    child = value[key]
    if step == "[]":
        for item in child:
            yield from values_at(item, rest)
    elif step == "*":
        for item in child.values():
            yield from values_at(item, rest)
    else:
        yield from values_at(child, rest)


def leaf_paths(value: object, path: str = "", maps: frozenset[str] = frozenset()) -> Iterator[str]:
    """Paths (in ``Field.path`` form) of every string or number in ``value``; booleans skipped.

    ``maps`` are the paths whose dicts are maps (user keys) rather than objects.
    """
    if isinstance(value, dict):
        for key, item in value.items():
            if path in maps:
                yield from leaf_paths(item, f"{path}*", maps)
            else:
                yield from leaf_paths(item, f"{path}.{key}" if path else key, maps)
    elif isinstance(value, list):
        for item in value:
            yield from leaf_paths(item, f"{path}[]", maps)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield path


MAP_INPUTS: Final = frozenset(
    {
        "tags",
        "environment.variables",
        "dimensions",
        "triggers",
        "requestParameters",
        "inputTransformer.inputPaths",
    }
)
"""Inputs whose dicts are maps (their keys are data, not input names)."""


def problems(resource: CapturedResource, default_tags: Mapping[str, str]) -> list[str]:
    """Every constraint the resource's inputs break, each naming the resource and input."""
    inputs = effective_inputs(resource, default_tags)
    found: list[str] = []
    specs = list(FIELDS.get(resource.type, ()))
    for mirror in MIRRORS.get(resource.type, ()):
        for leaf in leaf_paths(inputs, maps=MAP_INPUTS):
            member = mirror.member_for(leaf)
            if member is not None and member.shape["type"] != "blob":
                specs.append(Field(leaf, (member,)))
    for spec in specs:
        for value in values_at(inputs, spec.path):
            constraints: tuple[Member | Rule, ...] = (*spec.members, *spec.rules)
            for constraint in constraints:
                found.extend(
                    f"{resource.type} {resource.name} {spec.path}: {problem}"
                    for problem in constraint.problems(value)
                )
    return found


def unaccounted_inputs(resource: CapturedResource, default_tags: Mapping[str, str]) -> frozenset[str]:
    """Leaf input paths of ``resource`` with no constraint and no stated reason."""
    inputs = effective_inputs(resource, default_tags)
    known = {spec.path for spec in FIELDS.get(resource.type, ())} | set(UNCONSTRAINED.get(resource.type, {}))
    mirrors = MIRRORS.get(resource.type, ())
    return frozenset(
        path
        for path in leaf_paths(inputs, maps=MAP_INPUTS)
        if path not in known and not any(mirror.member_for(path) is not None for mirror in mirrors)
    )
