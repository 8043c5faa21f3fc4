"""SnapStart (``enableSnapStart``): off by default; on, every invocation path goes through the alias.

SnapStart snapshots published versions only. A stack that turned it on but kept invoking the
unqualified function would pay for snapshots and still start every environment cold, and a
permission on the function alone would make API Gateway's calls to the alias fail with 500s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from lib.lambda_stack import SNAP_START_ALIAS
from lib.settings import TapStackArgs
from tests.unit.infra.conftest import of_type, one
from tests.unit.infra.synth import synthesize_stack

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource, Synthesis

FUNCTION = "aws:lambda/function:Function"
ALIAS = "aws:lambda/alias:Alias"
FUNCTION_URL = "aws:lambda/functionUrl:FunctionUrl"
PERMISSION = "aws:lambda/permission:Permission"
INTEGRATION = "aws:apigateway/integration:Integration"


def api_permissions(resources: list[CapturedResource]) -> list[CapturedResource]:
    """The API's invoke permissions (the reconciler's S3 permission names its own function)."""
    return [p for p in of_type(resources, PERMISSION) if p.name.startswith("tap-api-")]


@pytest.fixture(scope="module")
def snap_start_stack() -> Synthesis:
    return synthesize_stack(TapStackArgs(enable_snap_start=True))


@pytest.fixture(scope="module")
def snap_resources(snap_start_stack: Synthesis) -> list[CapturedResource]:
    return snap_start_stack.resources


def test_off_by_default_the_unqualified_function_is_invoked(resources: list[CapturedResource]) -> None:
    function = one(resources, FUNCTION, "tap-compute-function")

    assert "snapStart" not in function.inputs
    assert not function.inputs.get("publish")
    assert of_type(resources, ALIAS) == []
    assert {i.inputs["uri"] for i in of_type(resources, INTEGRATION)} == {function.state["invokeArn"]}
    assert all("qualifier" not in p.inputs for p in api_permissions(resources))
    assert "qualifier" not in one(resources, FUNCTION_URL).inputs


def test_on_the_function_publishes_versions_with_snapshots(snap_resources: list[CapturedResource]) -> None:
    function = one(snap_resources, FUNCTION, "tap-compute-function")

    assert function.inputs["snapStart"] == {"applyOn": "PublishedVersions"}
    assert function.inputs["publish"] is True
    # SnapStart supports neither of these; the stack must not grow them unnoticed.
    assert "fileSystemConfig" not in function.inputs
    assert function.inputs.get("ephemeralStorage", {"size": 512})["size"] <= 512


def test_on_the_alias_points_at_the_published_version(snap_resources: list[CapturedResource]) -> None:
    function = one(snap_resources, FUNCTION, "tap-compute-function")
    alias = one(snap_resources, ALIAS)

    assert alias.inputs["name"] == SNAP_START_ALIAS
    assert alias.inputs["functionName"] == function.id
    assert alias.inputs["functionVersion"] == function.state["version"] != "$LATEST"


def test_on_every_integration_invokes_the_alias(snap_resources: list[CapturedResource]) -> None:
    alias = one(snap_resources, ALIAS)
    integrations = of_type(snap_resources, INTEGRATION)

    assert integrations
    assert {i.inputs["uri"] for i in integrations} == {alias.state["invokeArn"]}
    assert f":function:doc-processor-dev:{SNAP_START_ALIAS}/invocations" in alias.state["invokeArn"]


def test_on_every_api_permission_names_the_alias(snap_resources: list[CapturedResource]) -> None:
    function = one(snap_resources, FUNCTION, "tap-compute-function")
    permissions = api_permissions(snap_resources)

    assert permissions
    for permission in permissions:
        assert permission.inputs["function"] == function.id
        assert permission.inputs["qualifier"] == SNAP_START_ALIAS


def test_on_the_function_url_is_the_alias_url(snap_resources: list[CapturedResource]) -> None:
    url = one(snap_resources, FUNCTION_URL)

    assert url.inputs["qualifier"] == SNAP_START_ALIAS
    assert url.inputs["authorizationType"] == "AWS_IAM"


def test_turning_it_on_redeploys_the_stage(
    snap_resources: list[CapturedResource], resources: list[CapturedResource]
) -> None:
    # The deployment snapshots the integrations: without a new one the stage would keep the old URI.
    deployment = "aws:apigateway/deployment:Deployment"

    assert (
        one(snap_resources, deployment).inputs["triggers"]["redeployment"]
        != one(resources, deployment).inputs["triggers"]["redeployment"]
    )
