"""Python SDK and command line of the Secure Document API (``DocumentClient``, ``docapi``)."""

from __future__ import annotations

from docapi._http import RetryPolicy
from docapi.client import DEFAULT_INLINE_LIMIT, DocumentClient, UploadResult
from docapi.errors import (
    ApiError,
    AuthError,
    ConfigurationError,
    ConflictError,
    DocapiError,
    IntegrityError,
    InvalidArgumentError,
    NotFoundError,
    RejectedError,
    ServiceUnavailableError,
    TransportError,
)

__all__ = [
    "DEFAULT_INLINE_LIMIT",
    "ApiError",
    "AuthError",
    "ConfigurationError",
    "ConflictError",
    "DocapiError",
    "DocumentClient",
    "IntegrityError",
    "InvalidArgumentError",
    "NotFoundError",
    "RejectedError",
    "RetryPolicy",
    "ServiceUnavailableError",
    "TransportError",
    "UploadResult",
]
