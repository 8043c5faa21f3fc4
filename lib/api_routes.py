"""Pure helpers that turn the service's route table into API Gateway shapes.

The route table itself lives in ``document_processor.routes`` (the single declaration the handler,
the local adapter and the OpenAPI check also read); only that module is imported from the service
package, never the handler.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Final

from document_processor.routes import BINARY_MEDIA_TYPES, PATH_PARAMETER_PREFIX, resource_paths

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

INTEGRATION_TIMEOUT_MS: Final = 29_000
"""API Gateway's default (and, without a quota increase, maximum) integration timeout."""
REQUEST_VALIDATOR: Final[Mapping[str, Any]] = {
    "name": "parameters",
    "validate_request_parameters": True,
    # Bodies are raw documents, not JSON: the handler validates them.
    "validate_request_body": False,
}
"""The API's one request validator's arguments (every method uses it)."""

# The arguments below are data first: the stack creates the resources from exactly these dicts and
# the deployment's fingerprint hashes the same dicts, so nothing can be set on what a deployment
# snapshots without changing the fingerprint (tests/unit/infra/test_deployment_fingerprint.py
# checks the synthesized resources carry no input the snapshot lacks).


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


def rest_api_arguments() -> dict[str, Any]:
    """The ``RestApi`` arguments a deployment snapshots (the rest, name and endpoint type, apply at
    once). Binary media types decide how the deployed API encodes bodies."""
    return {"binary_media_types": list(BINARY_MEDIA_TYPES)}


def method_arguments(route: Route, *, request_validator_id: Any) -> dict[str, Any]:
    """A route's ``Method`` arguments (besides its API and resource): SigV4 on every method, the
    request validator, every path parameter required."""
    return {
        "http_method": route.method,
        "authorization": "AWS_IAM",
        "operation_name": route.operation,
        "request_validator_id": request_validator_id,
        "request_parameters": method_request_parameters(route),
    }


def integration_arguments(*, uri: Any) -> dict[str, Any]:
    """Every route's ``Integration`` arguments (besides its API, resource and method): a Lambda
    proxy integration (always invoked with POST) of ``uri``."""
    return {
        "type": "AWS_PROXY",
        "integration_http_method": "POST",
        "uri": uri,
        "timeout_milliseconds": INTEGRATION_TIMEOUT_MS,
    }


def deployment_snapshot(routes: tuple[Route, ...], *, integration_uri: str) -> dict[str, Any]:
    """Everything a deployment of this API snapshots, as the arguments the stack passes.

    The validator appears by its settings (its id exists only after creation, and changes only with
    the API); each method names it the same way.
    """
    return {
        "restApi": rest_api_arguments(),
        "requestValidator": dict(REQUEST_VALIDATOR),
        "resources": list(resource_paths(routes)),
        "methods": {
            f"{route.method} {route.path}": {
                "method": method_arguments(route, request_validator_id=dict(REQUEST_VALIDATOR)),
                "integration": integration_arguments(uri=integration_uri),
            }
            for route in routes
        },
    }


def deployment_fingerprint(snapshot: Mapping[str, Any]) -> str:
    """A hash of a ``deployment_snapshot``, so the deployment is replaced whenever it changes."""
    return hashlib.sha256(json.dumps(snapshot, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
