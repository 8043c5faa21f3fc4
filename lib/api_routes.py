"""Pure helpers that turn the service's route table into API Gateway shapes.

The route table itself lives in ``document_processor.routes`` (the single declaration the handler,
the local adapter and the OpenAPI check also read); only that module is imported from the service
package, never the handler.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

from document_processor.routes import PATH_PARAMETER_PREFIX

if TYPE_CHECKING:
    from collections.abc import Mapping

    from document_processor.routes import Route

ACCESS_LOG_FIELDS: Final[Mapping[str, str]] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "requestTime": "$context.requestTimeEpoch",
    "ip": "$context.identity.sourceIp",
    "userArn": "$context.identity.userArn",
    "caller": "$context.identity.caller",
    "userAgent": "$context.identity.userAgent",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "protocol": "$context.protocol",
    "status": "$context.status",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationStatus": "$context.integration.status",
    "integrationLatency": "$context.integration.latency",
    "integrationError": "$context.integration.error",
    "errorMessage": "$context.error.message",
    "authorizeError": "$context.authorize.error",
    "wafResponseCode": "$context.wafResponseCode",
    "xrayTraceId": "$context.xrayTraceId",
}
"""One JSON object per request: who (IAM identity), what, outcome, latency; never bodies."""


def access_log_format() -> str:
    """The stage's access-log format string (JSON, one line)."""
    return json.dumps(ACCESS_LOG_FIELDS, separators=(",", ":"))


def path_slug(path: str) -> str:
    """A Pulumi-name-safe form of a resource path: ``/documents/{id}`` -> ``documents-id``."""
    return path.strip("/").replace("/", "-").replace("{", "").replace("}", "")


def parent_path(path: str) -> str:
    """``/documents/{id}/content`` -> ``/documents/{id}``; top-level paths -> ``/``."""
    parent = path.rsplit("/", 1)[0]
    return parent or "/"


def path_part(path: str) -> str:
    return path.rsplit("/", 1)[1]


def path_parameters(path: str) -> tuple[str, ...]:
    """Names of the ``{name}`` segments of a resource path."""
    return tuple(
        segment[1:-1] for segment in path.strip("/").split("/") if segment.startswith(PATH_PARAMETER_PREFIX)
    )


def method_request_parameters(route: Route) -> dict[str, bool]:
    """Every path parameter is required (the request validator enforces it)."""
    return {f"method.request.path.{name}": True for name in path_parameters(route.path)}


def invoke_source_arn(execution_arn: str, stage_name: str, route: Route) -> str:
    """The method ARN pattern a ``lambda.Permission`` allows: this API, this stage, this method and
    path (``{name}`` segments become ``*``)."""
    segments = ["*" if segment.startswith(PATH_PARAMETER_PREFIX) else segment for segment in route.segments]
    return f"{execution_arn}/{stage_name}/{route.method}/{'/'.join(segments)}"


def deployment_fingerprint(routes: tuple[Route, ...], integration: Mapping[str, Any]) -> str:
    """A hash of everything a deployment snapshots, so the deployment is replaced when it changes."""
    payload = {
        "routes": [[route.method, route.path, route.operation] for route in routes],
        "integration": dict(integration),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
