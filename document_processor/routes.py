"""The API's routes (and how the gateway treats bodies), declared once.

API Gateway's resources and methods (lib/api_gateway_stack.py), the handler's dispatch, the local
API Gateway adapter and the OpenAPI consistency test all read this table, so a route cannot exist in
one place and be missing in another. Standard library only: it ships inside the Lambda package.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    from collections.abc import Mapping

PATH_PARAMETER_PREFIX = "{"

BINARY_MEDIA_TYPES: tuple[str, ...] = ("*/*",)
"""The API's ``binaryMediaTypes``, read by the deployed API and by local mode's adapter alike.

``*/*`` makes API Gateway base64-encode every request body for the proxy integration and decode every
base64 proxy response, so documents stay byte-exact whatever media type they declare (and whatever
order a client lists its ``Accept`` values in). The handler relies on it: uploads arrive base64.
"""


@dataclass(frozen=True)
class Route:
    """One method on one API Gateway resource path."""

    method: str
    """HTTP method, upper case."""
    path: str
    """API Gateway resource path template, e.g. ``/documents/{id}``; ``{name}`` matches one segment."""
    operation: str
    """Stable operation name: the handler's dispatch key and the OpenAPI ``operationId``."""
    summary: str
    """One line for humans (API Gateway method description, OpenAPI summary)."""

    @property
    def segments(self) -> tuple[str, ...]:
        """The path split into segments, without the leading slash."""
        return tuple(part for part in self.path.split("/") if part)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "health", "Liveness check; makes no S3 call."),
    Route("POST", "/documents", "upload_document", "Upload a document as the raw request body."),
    Route("GET", "/documents", "list_documents", "List the caller's documents, paginated."),
    Route("GET", "/documents/{id}", "get_document", "Read one document's metadata."),
    Route("DELETE", "/documents/{id}", "delete_document", "Delete one document."),
    Route("GET", "/documents/{id}/content", "download_document", "Download one document's bytes."),
    Route("POST", "/uploads", "create_upload", "Start a large upload: a session and its first part URLs."),
    Route("GET", "/uploads", "list_uploads", "List the caller's upload sessions, newest first."),
    Route("GET", "/uploads/{id}", "get_upload", "Read one upload session and the parts S3 has received."),
    Route("DELETE", "/uploads/{id}", "abort_upload", "Abort an upload session awaiting its parts."),
    Route("POST", "/uploads/{id}/parts", "sign_upload_parts", "Sign fresh URLs for some parts of an upload."),
    Route("POST", "/uploads/{id}/complete", "complete_upload", "Complete an upload; validation follows."),
)


@dataclass(frozen=True)
class RouteMatch:
    """The result of matching a concrete request path against the route table."""

    path: str
    """The matched resource path template (API Gateway's ``resource``)."""
    path_parameters: dict[str, str]
    """Values captured by ``{name}`` segments, undecoded."""
    routes_by_method: dict[str, Route]
    """Every route declared on that resource path, keyed by method."""

    @property
    def allowed_methods(self) -> tuple[str, ...]:
        """Methods declared on the matched path, sorted (for an ``Allow`` header)."""
        return tuple(sorted(self.routes_by_method))


def resource_paths(routes: tuple[Route, ...] = ROUTES) -> tuple[str, ...]:
    """Every distinct resource path, parents before children (the order API Gateway needs)."""
    return tuple(sorted({route.path for route in routes}, key=lambda path: (path.count("/"), path)))


def routes_for_path(path: str, routes: tuple[Route, ...] = ROUTES) -> dict[str, Route]:
    """The routes declared on one resource path template, keyed by method."""
    return {route.method: route for route in routes if route.path == path}


def match_path(request_path: str, routes: tuple[Route, ...] = ROUTES) -> RouteMatch | None:
    """Match a concrete request path (e.g. ``/documents/abc``) to a declared resource path.

    Literal segments win over ``{parameter}`` segments, as in API Gateway. Returns ``None`` when no
    resource path matches. A trailing slash or an empty segment never matches.
    """
    if not request_path.startswith("/"):
        return None
    request_segments = request_path.split("/")[1:]
    if request_path == "/" or "" in request_segments:
        return None
    best: tuple[int, str, dict[str, str]] | None = None
    templates = _DEFAULT_TEMPLATES if routes is ROUTES else _split_templates(routes)
    for template, template_segments in templates:
        if len(template_segments) != len(request_segments):
            continue
        parameters: dict[str, str] = {}
        literal_count = 0
        for template_segment, request_segment in zip(template_segments, request_segments, strict=True):
            if template_segment.startswith(PATH_PARAMETER_PREFIX):
                parameters[template_segment[1:-1]] = request_segment
            elif template_segment == request_segment:
                literal_count += 1
            else:
                break
        else:
            if best is None or literal_count > best[0]:
                best = (literal_count, template, parameters)
    if best is None:
        return None
    _, template, parameters = best
    return RouteMatch(
        path=template, path_parameters=parameters, routes_by_method=routes_for_path(template, routes)
    )


def path_agrees(template: str, path_parameters: Mapping[str, str], request_path: str) -> bool:
    """Whether ``request_path`` is ``template`` with exactly ``path_parameters`` filled in.

    This is how the handler checks that a REST event's ``path`` names the route in its ``resource`` and
    ``pathParameters`` (what API Gateway matched and authorised). Segment by segment: a literal must be
    the same, a ``{name}`` must be one non-empty segment equal to its parameter, and the parameter names
    must be exactly the template's. Segments are compared percent-decoded, so a parameter passed either
    encoded or decoded agrees with the same path; an encoded ``/`` still stays inside its segment.
    """
    template_segments = template.split("/")
    request_segments = request_path.split("/")
    if template_segments[0] != "" or len(template_segments) != len(request_segments):
        return False
    names: set[str] = set()
    for template_segment, request_segment in zip(template_segments, request_segments, strict=True):
        expected = template_segment
        if template_segment.startswith(PATH_PARAMETER_PREFIX):
            name = template_segment[1:-1]
            value = path_parameters.get(name)
            if not value or not request_segment:
                return False
            names.add(name)
            expected = value
        if unquote(expected) != unquote(request_segment):
            return False
    return names == set(path_parameters)


@lru_cache(maxsize=8)
def _split_templates(routes: tuple[Route, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each resource path with its segments, computed once per route table: matching runs per request."""
    return tuple((template, tuple(template.split("/")[1:])) for template in resource_paths(routes))


_DEFAULT_TEMPLATES = _split_templates(ROUTES)
"""The declared table's templates, split at import (skips even the cache lookup on the request path)."""
