"""The pure helpers that shape API Gateway from the route table."""

from __future__ import annotations

import json

from document_processor.routes import ROUTES, Route
from lib import api_routes

EXECUTION_ARN = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"


def test_invoke_source_arn_names_this_api_stage_method_and_path() -> None:
    route = Route("GET", "/documents/{id}/content", "download_document", "")

    arn = api_routes.invoke_source_arn(EXECUTION_ARN, "dev", route)

    assert arn == f"{EXECUTION_ARN}/dev/GET/documents/*/content"


def test_path_helpers() -> None:
    assert api_routes.path_slug("/documents/{id}/content") == "documents-id-content"
    assert api_routes.parent_path("/documents/{id}") == "/documents"
    assert api_routes.parent_path("/health") == "/"
    assert api_routes.path_part("/documents/{id}") == "{id}"
    assert api_routes.path_parameters("/documents/{id}/content") == ("id",)


def test_path_parameters_are_required_method_parameters() -> None:
    assert api_routes.method_request_parameters(Route("GET", "/documents/{id}", "x", "")) == {
        "method.request.path.id": True
    }
    assert api_routes.method_request_parameters(Route("GET", "/documents", "x", "")) == {}


def test_access_log_format_is_one_json_object_of_context_variables() -> None:
    parsed = json.loads(api_routes.access_log_format())

    assert "\n" not in api_routes.access_log_format()
    assert parsed["requestId"] == "$context.requestId"
    assert parsed["userArn"] == "$context.identity.userArn"
    assert parsed["status"] == "$context.status"
    assert all(value.startswith("$context.") for value in parsed.values())


def test_the_deployment_fingerprint_is_stable_and_changes_with_the_route_table() -> None:
    base = api_routes.deployment_fingerprint(api_routes.deployment_snapshot(ROUTES, integration_uri="u"))

    assert (
        api_routes.deployment_fingerprint(api_routes.deployment_snapshot(ROUTES, integration_uri="u")) == base
    )
    assert (
        api_routes.deployment_fingerprint(api_routes.deployment_snapshot(ROUTES[:-1], integration_uri="u"))
        != base
    )
    renamed = (*ROUTES[:-1], Route(ROUTES[-1].method, "/documents/{id}/bytes", ROUTES[-1].operation, ""))
    assert (
        api_routes.deployment_fingerprint(api_routes.deployment_snapshot(renamed, integration_uri="u"))
        != base
    )
    assert (
        api_routes.deployment_fingerprint(api_routes.deployment_snapshot(ROUTES, integration_uri="v")) != base
    )
