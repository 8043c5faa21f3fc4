"""The SDK's exceptions: one base class, a typed subclass per way a call can fail.

Every error the service answers becomes an ``ApiError`` subclass carrying the HTTP status, the
service's ``code``, ``message`` and ``requestId`` (``{"error": {...}}``), or API Gateway's own
``{"message": ...}`` shape (a bad signature, throttling), whose code is then ``None``. The command line
maps each class to one exit code (``docapi.cli.EXIT_CODES``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


class DocapiError(Exception):
    """Base class of everything the SDK raises on purpose."""


class ConfigurationError(DocapiError):
    """No endpoint, no credentials, or an unusable setting; the message says how to fix it."""


class InvalidArgumentError(DocapiError, ValueError):
    """An argument the SDK refuses before sending anything (an id that is not 32 hex digits)."""


class TransportError(DocapiError):
    """The service could not be reached (connection refused, reset, timed out) after the retries."""


class IntegrityError(DocapiError):
    """Bytes came back (or were stored) with another SHA-256 or size than expected."""


class ApiError(DocapiError):
    """The service answered with an error status."""

    def __init__(self, status: int, code: str | None, message: str, request_id: str | None) -> None:
        self.status = status
        """HTTP status."""
        self.code = code
        """The service's code (``not_found``, ``content_type_mismatch``...); ``None`` from API Gateway."""
        self.message = message
        """Human-readable message, as the service wrote it."""
        self.request_id = request_id
        """``requestId`` of the body, else API Gateway's ``x-amzn-RequestId`` header."""
        label = f"{status} {code}" if code else str(status)
        suffix = f" (request id {request_id})" if request_id else ""
        super().__init__(f"{label}: {message}{suffix}")


class AuthError(ApiError):
    """401/403: missing, invalid or expired signature, or a caller not allowed to invoke the API."""


class NotFoundError(ApiError):
    """404: no such document or upload session for this caller."""


class RejectedError(ApiError):
    """The document was refused for what it is: too large, unsupported or mismatching type, bad text.

    Raised for 413/415 answers and for an upload session the processor ``rejected`` (status 0 then:
    the rejection is not an HTTP answer; ``code`` is the session's rejection code).
    """


class ConflictError(ApiError):
    """409/422: the request does not fit the resource's state (a session no longer awaiting parts)."""


class ServiceUnavailableError(ApiError):
    """429 or 5xx after the retries: throttled or a dependency failing; try again later."""


def error_for(status: int, code: str | None, message: str, request_id: str | None) -> ApiError:
    """The ``ApiError`` subclass for one answer."""
    cls: type[ApiError]
    if status in (401, 403):
        cls = AuthError
    elif status == 404:
        cls = NotFoundError
    elif status in (413, 415):
        cls = RejectedError
    elif status in (409, 422):
        cls = ConflictError
    elif status == 429 or status >= 500:
        cls = ServiceUnavailableError
    else:
        cls = ApiError
    return cls(status, code, message, request_id)


def error_from_response(response: httpx.Response) -> ApiError:
    """Read the service's ``{"error": {...}}`` or API Gateway's ``{"message"}`` body (already read)."""
    header_id = response.headers.get("x-amzn-RequestId") or response.headers.get("x-amz-request-id")
    body: Any = None
    try:
        body = json.loads(response.content) if response.content else None
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return error_for(
            response.status_code,
            str(error["code"]) if error.get("code") else None,
            str(error.get("message") or response.reason_phrase),
            str(error["requestId"]) if error.get("requestId") else header_id,
        )
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return error_for(response.status_code, None, body["message"], header_id)
    text = response.text.strip()[:200] if response.content else ""
    return error_for(response.status_code, None, text or response.reason_phrase or "error", header_id)
