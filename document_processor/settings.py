"""Service settings, resolved once per execution environment: explicit value > environment > default.

Every problem is collected and reported together, so a misconfigured function says everything that is
wrong in one log line at start-up instead of failing one request at a time with a different message.
A problem never raises at import: the handler answers ``/health`` and a 500 JSON error for everything
else, which is visible and cheap, where an import-time crash would put the function in a restart loop.
"""

from __future__ import annotations

import os
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
TEXT = "text/plain"
SUPPORTED_CONTENT_TYPES: frozenset[str] = frozenset({PDF, PNG, JPEG, TEXT})
"""The media types whose content the service knows how to verify; the allow-list is a subset."""

LAMBDA_SYNC_PAYLOAD_BYTES = 6_291_456
"""Lambda's synchronous request/response payload limit (6 MiB)."""
EVENT_ENVELOPE_RESERVE_BYTES = 65_536
"""Room left for the event's headers and request context around the base64 body."""
MAX_DOCUMENT_BYTES_CEILING = (LAMBDA_SYNC_PAYLOAD_BYTES - EVENT_ENVELOPE_RESERVE_BYTES) * 3 // 4
"""The largest document whose base64 form (4/3 of it) still fits a Lambda payload, both ways."""

DEFAULT_MAX_DOCUMENT_BYTES = 4_500_000
DEFAULT_ALLOWED_CONTENT_TYPES: tuple[str, ...] = (PDF, PNG, JPEG, TEXT)
DEFAULT_LOG_LEVEL = "INFO"
DEFAULT_METRICS_NAMESPACE = "SecureDocumentApi"
DEFAULT_SERVICE_NAME = "document-api"

ENV_DOCUMENTS_BUCKET = "DOCUMENTS_BUCKET"
ENV_CATALOGUE_TABLE = "CATALOGUE_TABLE"
ENV_MAX_DOCUMENT_BYTES = "MAX_DOCUMENT_BYTES"
ENV_ALLOWED_CONTENT_TYPES = "ALLOWED_CONTENT_TYPES"
ENV_LOG_LEVEL = "LOG_LEVEL"
ENV_METRICS_NAMESPACE = "METRICS_NAMESPACE"
ENV_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
ENV_OWNER_SCOPE = "OWNER_SCOPE"
ENV_INGEST_BUCKET = "INGEST_BUCKET"
ENV_MAX_UPLOAD_BYTES = "MAX_UPLOAD_BYTES"
ENV_MALWARE_SCANNING = "MALWARE_SCANNING"

MALWARE_SCANNING_VALUES: dict[str, bool] = {"on": True, "off": False}
"""The spellings ``MALWARE_SCANNING`` accepts (case-insensitive); unset or empty means off."""

DEFAULT_MAX_UPLOAD_BYTES = 5 * 1024**3
"""Largest large upload (``POST /uploads``) by default: 5 GiB (DESIGN §4.2); ``uploads`` uses it too."""
MAX_UPLOAD_BYTES_CEILING = 20 * 1024**3
"""The most ``MAX_UPLOAD_BYTES`` may be: 20 GiB, far below S3's 5 TiB object. The processor reads every upload
once and copies it into the vault inside one invocation of at most 900 s (Lambda's limit); a single S3 GET
stream runs at about 100 MB/s, so 20 GiB (~215 s to read, then a server-side copy in 512 MiB parts) leaves
room, where larger uploads would time out and end in the failure queue instead of the vault."""

LOG_LEVELS: tuple[str, ...] = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class OwnerScope(StrEnum):
    """Which principal owns a document when the caller is an assumed-role session."""

    ROLE = "role"
    """Every session of one IAM role is one owner (the default: safe whoever names the sessions)."""
    SESSION = "session"
    """Each role session name is its own owner. Only as trustworthy as the session names: whoever calls
    ``AssumeRole`` chooses them, unless IAM Identity Center sets them or the role's trust policy pins
    ``sts:RoleSessionName`` (see docs/security.md)."""


DEFAULT_OWNER_SCOPE = OwnerScope.ROLE


class Settings(NamedTuple):
    """The service's configuration after validation."""

    documents_bucket: str | None
    """Bucket holding the documents; ``None`` when missing (then ``problems`` says so)."""
    max_document_bytes: int
    """Largest accepted raw document, in bytes. Default ``DEFAULT_MAX_DOCUMENT_BYTES``."""
    allowed_content_types: frozenset[str]
    """Media types accepted on upload. Default ``DEFAULT_ALLOWED_CONTENT_TYPES``."""
    log_level: str
    """Level of the service's logger. Default ``DEFAULT_LOG_LEVEL``."""
    metrics_namespace: str
    """CloudWatch namespace of the embedded-metric-format metrics. Default ``DEFAULT_METRICS_NAMESPACE``."""
    service_name: str
    """``Service`` dimension of every metric and field of every log line. Default ``DEFAULT_SERVICE_NAME``."""
    owner_scope: OwnerScope = DEFAULT_OWNER_SCOPE
    """Owner of an assumed-role session's documents: its role or the session. Default ``role``."""
    catalogue_table: str | None = None
    """DynamoDB table of the document catalogue; ``None`` when missing (then ``problems`` says so)."""
    ingest_bucket: str | None = None
    """Quarantine bucket of large uploads (``INGEST_BUCKET``). Optional: without it the ``/uploads`` routes
    answer 500 ``configuration_error`` and everything else works (the deployed stack always sets it)."""
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    """Largest size ``POST /uploads`` accepts. Default ``DEFAULT_MAX_UPLOAD_BYTES`` (5 GiB)."""
    malware_scanning: bool = False
    """Whether uploads wait for GuardDuty's malware scan before they are stored (``MALWARE_SCANNING`` =
    ``on``/``off``, default off; DESIGN §4.3). Must match the stack: on without a protection plan, no scan
    result ever arrives and every upload stays ``scanning`` until it expires."""
    problems: tuple[str, ...] = ()
    """Every configuration problem found; when non-empty, only ``/health`` is served."""


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    documents_bucket: str | None = None,
    catalogue_table: str | None = None,
    max_document_bytes: int | None = None,
    allowed_content_types: Iterable[str] | None = None,
    log_level: str | None = None,
    metrics_namespace: str | None = None,
    service_name: str | None = None,
    owner_scope: str | None = None,
    ingest_bucket: str | None = None,
    max_upload_bytes: int | None = None,
    malware_scanning: bool | None = None,
) -> Settings:
    """Resolve every setting (explicit argument > ``environ`` > default) and collect every problem."""
    env = os.environ if environ is None else environ
    problems: list[str] = []

    bucket = documents_bucket if documents_bucket is not None else env.get(ENV_DOCUMENTS_BUCKET, "").strip()
    if not bucket:
        problems.append(f"{ENV_DOCUMENTS_BUCKET} is not set: set it to the documents bucket's name.")
    table = catalogue_table if catalogue_table is not None else env.get(ENV_CATALOGUE_TABLE, "").strip()
    if not table:
        problems.append(f"{ENV_CATALOGUE_TABLE} is not set: set it to the catalogue table's name.")

    ingest = ingest_bucket if ingest_bucket is not None else env.get(ENV_INGEST_BUCKET, "").strip()

    max_bytes = _byte_limit(
        max_document_bytes,
        env,
        ENV_MAX_DOCUMENT_BYTES,
        DEFAULT_MAX_DOCUMENT_BYTES,
        MAX_DOCUMENT_BYTES_CEILING,
        "what fits a Lambda payload as base64",
        problems,
    )
    max_upload = _byte_limit(
        max_upload_bytes,
        env,
        ENV_MAX_UPLOAD_BYTES,
        DEFAULT_MAX_UPLOAD_BYTES,
        MAX_UPLOAD_BYTES_CEILING,
        "what the processor reads and copies in one invocation",
        problems,
    )

    if allowed_content_types is None:
        raw_types = env.get(ENV_ALLOWED_CONTENT_TYPES, "")
        allowed_content_types = raw_types.split(",") if raw_types.strip() else DEFAULT_ALLOWED_CONTENT_TYPES
    allowed = frozenset(item.strip().lower() for item in allowed_content_types if item.strip())
    unsupported = sorted(allowed - SUPPORTED_CONTENT_TYPES)
    if unsupported or not allowed:
        problems.append(
            f"{ENV_ALLOWED_CONTENT_TYPES} must be a non-empty comma-separated subset of "
            f"{', '.join(sorted(SUPPORTED_CONTENT_TYPES))}; unsupported: {unsupported!r}."
        )
        allowed &= SUPPORTED_CONTENT_TYPES

    level = (
        (log_level if log_level is not None else env.get(ENV_LOG_LEVEL, DEFAULT_LOG_LEVEL)).strip().upper()
    )
    if level not in LOG_LEVELS:
        problems.append(f"{ENV_LOG_LEVEL} must be one of {', '.join(LOG_LEVELS)}, got {level!r}.")
        level = DEFAULT_LOG_LEVEL

    raw_scope = (owner_scope if owner_scope is not None else env.get(ENV_OWNER_SCOPE, "")).strip()
    scope = DEFAULT_OWNER_SCOPE
    if raw_scope:
        try:
            scope = OwnerScope(raw_scope.lower())
        except ValueError:
            problems.append(
                f"{ENV_OWNER_SCOPE} must be one of {', '.join(OwnerScope)}, got {raw_scope!r}; "
                "an unknown scope is never guessed, since it decides who owns which documents."
            )

    scanning = malware_scanning
    if scanning is None:
        raw_scanning = env.get(ENV_MALWARE_SCANNING, "").strip()
        scanning = MALWARE_SCANNING_VALUES.get(raw_scanning.lower() or "off")
        if scanning is None:
            problems.append(
                f"{ENV_MALWARE_SCANNING} must be one of {', '.join(MALWARE_SCANNING_VALUES)}, got "
                f"{raw_scanning!r}; a typo is never read as off, since off stores uploads unscanned."
            )
            scanning = False

    return Settings(
        documents_bucket=bucket or None,
        max_document_bytes=max_bytes,
        allowed_content_types=allowed,
        log_level=level,
        metrics_namespace=metrics_namespace
        or env.get(ENV_METRICS_NAMESPACE, "")
        or DEFAULT_METRICS_NAMESPACE,
        service_name=service_name or env.get(ENV_SERVICE_NAME, "") or DEFAULT_SERVICE_NAME,
        owner_scope=scope,
        catalogue_table=table or None,
        ingest_bucket=ingest or None,
        max_upload_bytes=max_upload,
        malware_scanning=scanning,
        problems=tuple(problems),
    )


def _byte_limit(
    explicit: int | None,
    env: Mapping[str, str],
    name: str,
    default: int,
    ceiling: int,
    why: str,
    problems: list[str],
) -> int:
    """A size limit in bytes (explicit > ``env[name]`` > ``default``), 1..``ceiling``; else a problem and
    the default, so one bad value never hides the others."""
    value = explicit
    if value is None:
        raw = env.get(name, "").strip()
        try:
            value = int(raw) if raw else default
        except ValueError:
            problems.append(f"{name} must be an integer number of bytes, got {raw!r}.")
            return default
    if not 1 <= value <= ceiling:
        problems.append(f"{name} must be between 1 and {ceiling} ({why}), got {value!r}.")
        return default
    return value
