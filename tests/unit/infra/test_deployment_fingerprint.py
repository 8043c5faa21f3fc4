"""The deployment's redeploy trigger covers everything a deployment snapshots.

A REST API deployment is a snapshot of the API's resources, methods, integrations, request
validators and binary media types. The stage serves that snapshot until a new deployment replaces
it, so any change to those (a method's authorization, validator or parameters, not only the route
table) must change the ``triggers`` fingerprint, or the stage keeps serving the old API.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

from document_processor.routes import ROUTES, Route, resource_paths
from lib import api_routes
from lib.settings import TapStackArgs
from tests.unit.infra.conftest import of_type, one
from tests.unit.infra.synth import synthesize

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

DEPLOYMENT = "aws:apigateway/deployment:Deployment"


def _trigger(resources: list[CapturedResource]) -> str:
    triggers = one(resources, DEPLOYMENT).inputs["triggers"]
    assert set(triggers) == {"redeployment"}
    return str(triggers["redeployment"])


def test_changing_a_methods_parameters_alone_redeploys(
    resources: list[CapturedResource], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The route table is unchanged; only what the methods require changes.
    original = api_routes.method_request_parameters

    def with_query(route: Route) -> dict[str, bool]:
        return {**original(route), "method.request.querystring.limit": False}

    monkeypatch.setattr(api_routes, "method_request_parameters", with_query)
    changed = synthesize(TapStackArgs())

    methods = of_type(changed, "aws:apigateway/method:Method")
    assert all(m.inputs["requestParameters"]["method.request.querystring.limit"] is False for m in methods)
    assert _trigger(changed) != _trigger(resources)


def test_changing_a_methods_authorization_alone_redeploys(
    resources: list[CapturedResource], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = api_routes.method_arguments

    def with_other_auth(route: Route, *, request_validator_id: Any) -> dict[str, Any]:
        return {**original(route, request_validator_id=request_validator_id), "authorization": "NONE"}

    monkeypatch.setattr(api_routes, "method_arguments", with_other_auth)
    changed = synthesize(TapStackArgs())

    assert {m.inputs["authorization"] for m in of_type(changed, "aws:apigateway/method:Method")} == {"NONE"}
    assert _trigger(changed) != _trigger(resources)


def _snake(key: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()


def _as_arguments(inputs: dict[str, Any], *, ignore: set[str]) -> dict[str, Any]:
    """Synthesized (camelCase) inputs as the Python arguments they came from, minus ``ignore``."""
    return {_snake(key): value for key, value in inputs.items() if key not in ignore}


def test_the_snapshot_holds_every_input_the_program_gives_what_a_deployment_snapshots(
    resources: list[CapturedResource],
) -> None:
    # Whatever is set on these resources but missing from the snapshot would change the API
    # without a redeploy. Ids that link the resources to each other are the only exceptions.
    # Which function the integrations target is test_api_gateway_stack.py's concern; here: one URI.
    (uri,) = {i.inputs["uri"] for i in of_type(resources, "aws:apigateway/integration:Integration")}
    snapshot = api_routes.deployment_snapshot(ROUTES, integration_uri=uri)
    api = one(resources, "aws:apigateway/restApi:RestApi")
    validator = one(resources, "aws:apigateway/requestValidator:RequestValidator")
    path_of = {api.state["rootResourceId"]: ""}
    for resource in sorted(
        of_type(resources, "aws:apigateway/resource:Resource"), key=lambda r: r.name.count("-")
    ):
        path_of[resource.id] = f"{path_of[resource.inputs['parentId']]}/{resource.inputs['pathPart']}"

    assert _trigger(resources) == api_routes.deployment_fingerprint(snapshot)
    assert api.inputs["binaryMediaTypes"] == snapshot["restApi"]["binary_media_types"]
    assert set(snapshot["restApi"]) == {"binary_media_types"}
    assert _as_arguments(validator.inputs, ignore={"restApi"}) == snapshot["requestValidator"]
    assert sorted(path for path in path_of.values() if path) == sorted(snapshot["resources"])

    methods = of_type(resources, "aws:apigateway/method:Method")
    integrations = {
        (i.inputs["resourceId"], i.inputs["httpMethod"]): i
        for i in of_type(resources, "aws:apigateway/integration:Integration")
    }
    assert len(methods) == len(integrations) == len(snapshot["methods"])
    for method in methods:
        entry = snapshot["methods"][f"{method.inputs['httpMethod']} {path_of[method.inputs['resourceId']]}"]
        given = _as_arguments(method.inputs, ignore={"restApi", "resourceId"})
        assert given.pop("request_validator_id") == validator.id
        assert entry["method"].pop("request_validator_id") == snapshot["requestValidator"]
        assert given == entry["method"]
        integration = integrations[(method.inputs["resourceId"], method.inputs["httpMethod"])]
        assert (
            _as_arguments(integration.inputs, ignore={"restApi", "resourceId", "httpMethod"})
            == entry["integration"]
        )


def _snapshot() -> dict[str, Any]:
    return api_routes.deployment_snapshot(
        ROUTES, integration_uri="arn:aws:apigateway:us-east-1:lambda:path/f"
    )


CHANGES: list[tuple[str, Any]] = [
    ("a route added", lambda s: s["methods"].setdefault("PUT /documents/{id}", s["methods"]["GET /health"])),
    ("a resource path", lambda s: s["resources"].append("/documents/{id}/tags")),
    ("authorization", lambda s: s["methods"]["GET /health"]["method"].update(authorization="NONE")),
    ("api key required", lambda s: s["methods"]["GET /health"]["method"].update(api_key_required=True)),
    ("an authorizer", lambda s: s["methods"]["GET /health"]["method"].update(authorizer_id="abc123")),
    (
        "the method's validator",
        lambda s: s["methods"]["GET /documents"]["method"].update(request_validator_id=None),
    ),
    (
        "request parameters",
        lambda s: s["methods"]["GET /documents"]["method"]["request_parameters"].update(
            {"method.request.querystring.limit": True}
        ),
    ),
    (
        "request models",
        lambda s: s["methods"]["POST /documents"]["method"].update(
            request_models={"application/json": "Empty"}
        ),
    ),
    ("operation name", lambda s: s["methods"]["GET /health"]["method"].update(operation_name="ping")),
    ("integration type", lambda s: s["methods"]["GET /health"]["integration"].update(type="AWS")),
    ("integration uri", lambda s: s["methods"]["GET /health"]["integration"].update(uri="arn:other")),
    (
        "integration timeout",
        lambda s: s["methods"]["GET /health"]["integration"].update(timeout_milliseconds=1),
    ),
    (
        "content handling",
        lambda s: s["methods"]["GET /health"]["integration"].update(content_handling="CONVERT_TO_TEXT"),
    ),
    (
        "passthrough behaviour",
        lambda s: s["methods"]["GET /health"]["integration"].update(passthrough_behavior="NEVER"),
    ),
    (
        "cache key parameters",
        lambda s: s["methods"]["GET /health"]["integration"].update(cache_key_parameters=["x"]),
    ),
    (
        "integration request templates",
        lambda s: s["methods"]["GET /health"]["integration"].update(
            request_templates={"application/json": "{}"}
        ),
    ),
    ("validator body validation", lambda s: s["requestValidator"].update(validate_request_body=True)),
    (
        "validator parameter validation",
        lambda s: s["requestValidator"].update(validate_request_parameters=False),
    ),
    ("binary media types", lambda s: s["restApi"].update(binary_media_types=["application/pdf"])),
]


@pytest.mark.parametrize("change", [c for _, c in CHANGES], ids=[name for name, _ in CHANGES])
def test_every_snapshotted_property_changes_the_fingerprint(change: Any) -> None:
    base = api_routes.deployment_fingerprint(_snapshot())
    changed = _snapshot()

    change(changed)

    assert api_routes.deployment_fingerprint(_snapshot()) == base
    assert api_routes.deployment_fingerprint(changed) != base


def test_the_snapshot_follows_the_route_table() -> None:
    table = (*ROUTES, Route("PUT", "/documents/{id}/tags", "tag_document", ""))

    snapshot = api_routes.deployment_snapshot(table, integration_uri="u")

    assert snapshot["resources"] == list(resource_paths(table))
    assert snapshot["methods"]["PUT /documents/{id}/tags"]["method"]["request_parameters"] == {
        "method.request.path.id": True
    }
    assert api_routes.deployment_fingerprint(snapshot) != api_routes.deployment_fingerprint(
        api_routes.deployment_snapshot(ROUTES, integration_uri="u")
    )
