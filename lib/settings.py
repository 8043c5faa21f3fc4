"""The stack's settings: one frozen, typed object, secure values by default.

``TapStackArgs`` is the single description of a deployment. ``lib.config`` builds it from raw Pulumi
config and checks it; ``lib.tap_stack.TapStack`` consumes it. Every field has a default, so
``TapStackArgs()`` describes the default (secure) stack. Pure data: importing this needs no Pulumi.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from document_processor.settings import DEFAULT_MAX_UPLOAD_BYTES as SERVICE_DEFAULT_MAX_UPLOAD_BYTES

if TYPE_CHECKING:
    from collections.abc import Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The repository root: the Lambda package and its built dependencies are found relative to it."""

DEFAULT_ENVIRONMENT_SUFFIX = "dev"
DEFAULT_REGION = "us-east-1"
DEFAULT_ALLOWED_REGIONS: tuple[str, ...] = ("us-east-1",)
DEFAULT_LOG_RETENTION_DAYS = 365
DEFAULT_WAF_RATE_LIMIT = 1000
DEFAULT_THROTTLING_RATE_LIMIT = 50.0
DEFAULT_THROTTLING_BURST_LIMIT = 100
DEFAULT_LAMBDA_MEMORY_MB = 512
DEFAULT_MAX_DOCUMENT_BYTES = 4_500_000
DEFAULT_MAX_UPLOAD_BYTES = SERVICE_DEFAULT_MAX_UPLOAD_BYTES
"""5 GiB: the largest upload ``POST /uploads`` accepts by default (the service's own default)."""
DEFAULT_ALLOWED_CONTENT_TYPES: tuple[str, ...] = ("application/pdf", "image/png", "image/jpeg", "text/plain")
DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS = 90
DEFAULT_ACCESS_LOG_EXPIRATION_DAYS = 365
DEFAULT_LAMBDA_PACKAGE_DIR = PROJECT_ROOT / "document_processor"
DEFAULT_LAMBDA_DEPENDENCIES_DIR = PROJECT_ROOT / "build" / "lambda-deps"


class EncryptionMode(StrEnum):
    """How data at rest is encrypted (documents bucket, and in KMS mode also log groups and SNS)."""

    SSE_S3 = "SSE_S3"
    """AWS-managed S3 keys (AES-256). No key to manage, no KMS cost."""
    KMS = "KMS"
    """A customer-managed KMS key with rotation; S3 bucket key on to keep request costs low."""


class ApiLoggingLevel(StrEnum):
    """API Gateway execution logging level. Never data trace: it would log request bodies."""

    INFO = "INFO"
    ERROR = "ERROR"


class StackKind(StrEnum):
    """What a stack of this project deploys."""

    ENVIRONMENT = "environment"
    """The document API (``TapStack``): one stack per environment."""
    API_GATEWAY_ACCOUNT = "apiGatewayAccount"
    """Only the region's API Gateway CloudWatch role setting (``AccountStack``): once per account+region."""


class OwnerScope(StrEnum):
    """Who owns an assumed-role session's documents (the function's ``OWNER_SCOPE``)."""

    ROLE = "role"
    """Every session of one IAM role is one owner: safe whoever chooses the session names."""
    SESSION = "session"
    """Each role session is its own owner: only when session names are trustworthy (docs/security.md)."""


@dataclass(frozen=True)
class TapStackArgs:
    """Everything that varies between deployments. Each field's config key is in ``lib.config``."""

    environment_suffix: str = DEFAULT_ENVIRONMENT_SUFFIX
    """Suffix of every physical name (``doc-processor-<env>``); default ``dev``."""
    region: str = DEFAULT_REGION
    """Region of every resource; default ``us-east-1``."""
    allowed_regions: tuple[str, ...] = DEFAULT_ALLOWED_REGIONS
    """Regions this program may deploy to; default ``("us-east-1",)``."""
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Extra tags on every resource (provider default tags); default none."""
    encryption_mode: EncryptionMode = EncryptionMode.SSE_S3
    """``SSE_S3`` (default) or ``KMS`` with a customer-managed key."""
    log_retention_days: int = DEFAULT_LOG_RETENTION_DAYS
    """Retention of every log group; default 365."""
    enable_waf: bool = True
    """Attach a WAFv2 web ACL to the API stage; default on."""
    waf_rate_limit: int = DEFAULT_WAF_RATE_LIMIT
    """Requests per source IP per 5 minutes before the WAF blocks it; default 1000."""
    enable_function_url: bool = True
    """Create a Lambda function URL (``AWS_IAM`` auth only); default on."""
    manage_api_gateway_account: bool = False
    """Also own the region's API Gateway CloudWatch role setting in this stack; default off."""
    stack_kind: StackKind = StackKind.ENVIRONMENT
    """``environment`` (default) or ``apiGatewayAccount`` (the one-time account-setting stack)."""
    availability_zone_ids: tuple[str, ...] = ()
    """Zone IDs of the two subnet pairs; default none (chosen from the region's available zones)."""
    break_glass_principal_arns: tuple[str, ...] = ()
    """IAM principals that may also read and write documents (from anywhere); default none."""
    auditor_principal_arns: tuple[str, ...] = ()
    """Principals that may assume the Auditor role; default: this account, with MFA."""
    alarm_email: str | None = None
    """E-mail address subscribed to the alarm topic; default none."""
    throttling_rate_limit: float = DEFAULT_THROTTLING_RATE_LIMIT
    """Stage steady-state request rate (requests/second); default 50."""
    throttling_burst_limit: int = DEFAULT_THROTTLING_BURST_LIMIT
    """Stage burst limit (requests); default 100."""
    reserved_concurrency: int | None = None
    """Reserved concurrency of the function; default none (unreserved)."""
    lambda_memory_mb: int = DEFAULT_LAMBDA_MEMORY_MB
    """Function memory in MB; default 512."""
    enable_snap_start: bool = False
    """Lambda SnapStart: a published version behind the ``live`` alias, snapshot billed; default off."""
    force_destroy: bool = False
    """Let ``pulumi destroy`` delete non-empty buckets and the catalogue table (no deletion protection):
    throwaway stacks only; default off."""
    max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
    """Largest accepted document in bytes; default 4,500,000."""
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    """Largest large upload (``POST /uploads``) in bytes; default 5 GiB."""
    ingest_cors_origins: tuple[str, ...] = ()
    """Browser origins (``https://host[:port]``) that may PUT parts into the ingest bucket; default none."""
    enable_malware_scanning: bool = False
    """The malware gate (DESIGN §4.3): GuardDuty Malware Protection for S3 on the ingest bucket, and only
    ``NO_THREATS_FOUND`` objects reach the vault (``POST /documents`` answers 202); default off (the
    production example turns it on)."""
    allowed_content_types: tuple[str, ...] = DEFAULT_ALLOWED_CONTENT_TYPES
    """Media types accepted on upload; default PDF, PNG, JPEG, plain text."""
    owner_scope: OwnerScope = OwnerScope.ROLE
    """Owner of an assumed-role session's documents: ``role`` (default) or ``session``."""
    noncurrent_version_expiration_days: int = DEFAULT_NONCURRENT_VERSION_EXPIRATION_DAYS
    """Days a replaced or deleted document version is kept; default 90."""
    access_log_expiration_days: int = DEFAULT_ACCESS_LOG_EXPIRATION_DAYS
    """Days S3 server access logs are kept; default 365."""
    api_logging_level: ApiLoggingLevel = ApiLoggingLevel.INFO
    """API Gateway execution logging level, ``INFO`` (default) or ``ERROR``."""
    lambda_package_dir: Path = DEFAULT_LAMBDA_PACKAGE_DIR
    """The service package zipped into the function (a build input, not a config key)."""
    lambda_dependencies_dir: Path = DEFAULT_LAMBDA_DEPENDENCIES_DIR
    """Where ``make package`` installed the ``lambda`` dependency group (a build input)."""
