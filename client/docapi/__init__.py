"""Python SDK and command line of the Secure Document API (``DocumentClient``, ``docapi``).

The names below are imported on first use (PEP 562), so ``docapi.cli`` starts without httpx or
botocore when it only prints help, and the SDK's import cost is paid by code that uses it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_EXPORTS = {
    "RetryPolicy": "docapi._http",
    "DEFAULT_INLINE_LIMIT": "docapi.client",
    "DocumentClient": "docapi.client",
    "UploadResult": "docapi.client",
    **dict.fromkeys(
        (
            "ApiError",
            "AuthError",
            "ConfigurationError",
            "ConflictError",
            "DocapiError",
            "IntegrityError",
            "InvalidArgumentError",
            "NotFoundError",
            "RejectedError",
            "ServiceUnavailableError",
            "TransportError",
        ),
        "docapi.errors",
    ),
}

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'docapi' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
