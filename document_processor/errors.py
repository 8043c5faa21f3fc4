"""The service's typed errors: each maps to one HTTP status and a stable, documented error code.

Handlers raise these; the dispatcher turns them into the one JSON error shape. Anything else that
escapes becomes ``internal_error`` (500) with a fixed message, so no exception text, bucket name,
object key or stack trace ever reaches a client.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class ErrorCode(StrEnum):
    """Every error code the API can answer with (the ``error.code`` field)."""

    INVALID_REQUEST = "invalid_request"
    EMPTY_BODY = "empty_body"
    INVALID_BASE64 = "invalid_base64"
    INVALID_ID = "invalid_id"
    INVALID_LIMIT = "invalid_limit"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_QUERY_PARAMETER = "invalid_query_parameter"
    INVALID_CONTENT_DISPOSITION = "invalid_content_disposition"
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    MISSING_IDENTITY = "missing_identity"
    NOT_FOUND = "not_found"
    ROUTE_NOT_FOUND = "route_not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    DOCUMENT_TOO_LARGE = "document_too_large"
    MISSING_CONTENT_TYPE = "missing_content_type"
    UNSUPPORTED_CONTENT_TYPE = "unsupported_content_type"
    CONTENT_TYPE_MISMATCH = "content_type_mismatch"
    INVALID_TEXT_ENCODING = "invalid_text_encoding"
    MALFORMED_DOCUMENT = "malformed_document"
    CONFIGURATION_ERROR = "configuration_error"
    INTERNAL_ERROR = "internal_error"
    STORAGE_ERROR = "storage_error"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    INVALID_SHA256 = "invalid_sha256"
    """A declared SHA-256 is not 64 lowercase hex digits (400)."""
    INVALID_PART = "invalid_part"
    """A part number outside 1..partCount, repeated, or a part checksum that is not base64 SHA-256 (400)."""
    INVALID_UPLOAD_STATE = "invalid_upload_state"
    """The upload session is not in a state that allows the request (409)."""


class ServiceError(Exception):
    """Base of every error the API reports on purpose; ``message`` is safe to show to the client."""

    status: ClassVar[int] = 500
    default_code: ClassVar[ErrorCode] = ErrorCode.INTERNAL_ERROR

    def __init__(
        self,
        message: str,
        *,
        code: ErrorCode | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.headers = dict(headers or {})


class BadRequestError(ServiceError):
    """The request is malformed (400)."""

    status = 400
    default_code = ErrorCode.INVALID_REQUEST


class MissingIdentityError(ServiceError):
    """The request carries no usable caller identity in its request context (403)."""

    status = 403
    default_code = ErrorCode.MISSING_IDENTITY


class NotFoundError(ServiceError):
    """No such document for this caller, or no such route (404)."""

    status = 404
    default_code = ErrorCode.NOT_FOUND


class MethodNotAllowedError(ServiceError):
    """The path exists but not with this method (405); carries the ``Allow`` header."""

    status = 405
    default_code = ErrorCode.METHOD_NOT_ALLOWED

    def __init__(self, method: str, allowed: tuple[str, ...]) -> None:
        super().__init__(
            f"Method {method!r} is not allowed here; use one of {', '.join(allowed)}.",
            headers={"Allow": ", ".join(allowed)},
        )


class ConflictError(ServiceError):
    """The request conflicts with the resource's current state (409), e.g. completing an aborted upload."""

    status = 409
    default_code = ErrorCode.INVALID_UPLOAD_STATE


class PayloadTooLargeError(ServiceError):
    """The document is larger than the configured limit (413)."""

    status = 413
    default_code = ErrorCode.DOCUMENT_TOO_LARGE


class UnsupportedMediaTypeError(ServiceError):
    """The declared type is missing, not allowed, or does not match the content (415)."""

    status = 415
    default_code = ErrorCode.UNSUPPORTED_CONTENT_TYPE


class UnprocessableError(ServiceError):
    """The request is well formed but conflicts with an earlier one (422), e.g. a reused Idempotency-Key."""

    status = 422
    default_code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class ConfigurationError(ServiceError):
    """The function is misconfigured (500); the details are in the start-up log, not the response."""

    status = 500
    default_code = ErrorCode.CONFIGURATION_ERROR


class StorageError(ServiceError):
    """S3 or the catalogue answered with an error the service cannot recover from (502)."""

    status = 502
    default_code = ErrorCode.STORAGE_ERROR


class StorageUnavailableError(ServiceError):
    """S3 or the catalogue could not be reached in time, or is throttling (503): the client may retry."""

    status = 503
    default_code = ErrorCode.STORAGE_UNAVAILABLE


class CatalogueError(StorageError):
    """The catalogue (DynamoDB) refused a call (502): same answer as S3's, counted apart in metrics."""


class CatalogueUnavailableError(StorageUnavailableError):
    """The catalogue could not be reached in time, or is throttling (503): the client may retry."""
