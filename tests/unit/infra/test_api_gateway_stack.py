"""ApiGatewayStack in the synthesized default stack: routes, auth, stage, logs, permissions, WAF."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from document_processor.routes import ROUTES, resource_paths
from lib import api_routes
from lib.settings import TapStackArgs
from lib.waf import COMMON_RULE_GROUP, IP_REPUTATION_RULE_GROUP, KNOWN_BAD_INPUTS_RULE_GROUP
from tests.unit.infra.conftest import of_type, one
from tests.unit.infra.synth import (
    MOCK_ACCOUNT_ID,
    MOCK_NAME_SUFFIX,
    MOCK_REST_API_ID,
    synthesize,
    synthesize_stack,
)

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ACCOUNT = "aws:apigateway/account:Account"
ROLE = "aws:iam/role:Role"
PUSH_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


def test_rest_api_is_regional_and_treats_every_body_as_binary(resources: list[CapturedResource]) -> None:
    api = one(resources, "aws:apigateway/restApi:RestApi")

    assert api.inputs["name"] == "doc-api-dev"
    assert api.inputs["endpointConfiguration"]["types"] == "REGIONAL"
    assert api.inputs["binaryMediaTypes"] == ["*/*"]


def test_resources_mirror_the_route_table(resources: list[CapturedResource]) -> None:
    api = one(resources, "aws:apigateway/restApi:RestApi")
    created = of_type(resources, "aws:apigateway/resource:Resource")
    by_id = {r.id: r for r in created}

    paths = {}
    for resource in created:
        parent = resource.inputs["parentId"]
        path = resource.inputs["pathPart"]
        while parent != api.state["rootResourceId"]:
            path = f"{by_id[parent].inputs['pathPart']}/{path}"
            parent = by_id[parent].inputs["parentId"]
        paths[f"/{path}"] = resource.id
    assert sorted(paths) == sorted(resource_paths())
    assert all(r.inputs["restApi"] == api.id for r in created)


def test_every_route_has_one_iam_authorized_validated_method_and_a_proxy_integration(
    resources: list[CapturedResource],
) -> None:
    api = one(resources, "aws:apigateway/restApi:RestApi")
    function = one(resources, "aws:lambda/function:Function", "tap-compute-function")
    validator = one(resources, "aws:apigateway/requestValidator:RequestValidator")
    path_of = {r.id: r for r in of_type(resources, "aws:apigateway/resource:Resource")}
    methods = of_type(resources, "aws:apigateway/method:Method")
    integrations = of_type(resources, "aws:apigateway/integration:Integration")

    assert validator.inputs["validateRequestParameters"] is True
    assert len(methods) == len(ROUTES) == len(integrations)
    assert all(m.inputs["authorization"] == "AWS_IAM" for m in methods)
    assert all(m.inputs["requestValidatorId"] == validator.id for m in methods)
    declared = {(route.method, route.operation) for route in ROUTES}
    assert {(m.inputs["httpMethod"], m.inputs["operationName"]) for m in methods} == declared
    for method in methods:
        if path_of[method.inputs["resourceId"]].inputs["pathPart"] == "{id}":
            assert method.inputs["requestParameters"] == {"method.request.path.id": True}
    for integration in integrations:
        assert integration.inputs["type"] == "AWS_PROXY"
        assert integration.inputs["integrationHttpMethod"] == "POST"
        assert integration.inputs["uri"] == function.state["invokeArn"]
        assert integration.inputs["restApi"] == api.id
    assert {(i.inputs["resourceId"], i.inputs["httpMethod"]) for i in integrations} == {
        (m.inputs["resourceId"], m.inputs["httpMethod"]) for m in methods
    }


def test_deployment_is_fingerprinted_by_what_it_snapshots_and_waits_for_methods(
    resources: list[CapturedResource],
) -> None:
    # What the fingerprint covers: tests/unit/infra/test_deployment_fingerprint.py.
    deployment = one(resources, "aws:apigateway/deployment:Deployment")
    function = one(resources, "aws:lambda/function:Function", "tap-compute-function")

    expected = api_routes.deployment_fingerprint(
        api_routes.deployment_snapshot(ROUTES, integration_uri=function.state["invokeArn"])
    )
    assert deployment.inputs["triggers"] == {"redeployment": expected}
    for member in of_type(resources, "aws:apigateway/method:Method") + of_type(
        resources, "aws:apigateway/integration:Integration"
    ):
        assert member.urn in deployment.dependencies


def test_stage_is_named_after_the_environment_traced_uncached_and_access_logged(
    resources: list[CapturedResource],
) -> None:
    stage = one(resources, "aws:apigateway/stage:Stage")
    access = one(resources, LOG_GROUP, "tap-api-access-logs")

    assert stage.inputs["stageName"] == "dev"
    assert stage.inputs["deployment"] == one(resources, "aws:apigateway/deployment:Deployment").id
    assert stage.inputs["xrayTracingEnabled"] is True
    assert stage.inputs["cacheClusterEnabled"] is False
    assert stage.inputs["accessLogSettings"]["destinationArn"] == access.state["arn"]
    assert json.loads(stage.inputs["accessLogSettings"]["format"])["requestId"] == "$context.requestId"
    assert access.inputs["retentionInDays"] == 365


def test_execution_log_group_exists_before_the_stage(resources: list[CapturedResource]) -> None:
    stage = one(resources, "aws:apigateway/stage:Stage")
    execution = one(resources, LOG_GROUP, "tap-api-execution-logs")

    assert execution.inputs["name"] == f"API-Gateway-Execution-Logs_{MOCK_REST_API_ID}/dev"
    assert execution.inputs["retentionInDays"] == 365
    assert execution.urn in stage.dependencies


def test_method_settings_log_without_data_trace_with_metrics_and_throttling(
    resources: list[CapturedResource],
) -> None:
    settings = one(resources, "aws:apigateway/methodSettings:MethodSettings")

    assert settings.inputs["methodPath"] == "*/*"
    assert settings.inputs["stageName"] == "dev"
    assert settings.inputs["settings"] == {
        "metricsEnabled": True,
        "loggingLevel": "INFO",
        "dataTraceEnabled": False,
        "throttlingRateLimit": 50,
        "throttlingBurstLimit": 100,
        "cachingEnabled": False,
    }


def test_invoke_permissions_are_scoped_to_this_api_stage_and_each_method(
    resources: list[CapturedResource],
) -> None:
    api = one(resources, "aws:apigateway/restApi:RestApi")
    function = one(resources, "aws:lambda/function:Function", "tap-compute-function")
    # The API component's permissions (the catalogue's S3 permission is tested in test_catalogue_stack.py).
    permissions = [
        p for p in of_type(resources, "aws:lambda/permission:Permission") if p.name.startswith("tap-api-")
    ]
    assert permissions

    # Written out, not derived with the helper under test: one method ARN per route, stage "dev",
    # the {id} segment as "*".
    stage_arn = f"arn:aws:execute-api:us-east-1:{MOCK_ACCOUNT_ID}:{MOCK_REST_API_ID}/dev"
    assert api.state["executionArn"] == stage_arn.removesuffix("/dev")
    assert sorted(p.inputs["sourceArn"] for p in permissions) == sorted(
        [
            f"{stage_arn}/GET/health",
            f"{stage_arn}/POST/documents",
            f"{stage_arn}/GET/documents",
            f"{stage_arn}/GET/documents/*",
            f"{stage_arn}/DELETE/documents/*",
            f"{stage_arn}/GET/documents/*/content",
            f"{stage_arn}/POST/uploads",
            f"{stage_arn}/GET/uploads",
            f"{stage_arn}/GET/uploads/*",
            f"{stage_arn}/DELETE/uploads/*",
            f"{stage_arn}/POST/uploads/*/parts",
            f"{stage_arn}/POST/uploads/*/complete",
        ]
    )
    for permission in permissions:
        assert permission.inputs["principal"] == "apigateway.amazonaws.com"
        assert permission.inputs["action"] == "lambda:InvokeFunction"
        assert permission.inputs["function"] == function.inputs["name"]


def test_waf_web_acl_protects_the_stage_with_managed_rules_and_a_rate_limit(
    resources: list[CapturedResource],
) -> None:
    acl = one(resources, "aws:wafv2/webAcl:WebAcl")
    association = one(resources, "aws:wafv2/webAclAssociation:WebAclAssociation")
    stage = one(resources, "aws:apigateway/stage:Stage")

    assert association.inputs == {"resourceArn": stage.state["arn"], "webAclArn": acl.state["arn"]}
    assert acl.inputs["scope"] == "REGIONAL"
    assert acl.inputs["defaultAction"] == {"allow": {}}
    rules = {rule["name"]: rule for rule in acl.inputs["rules"]}
    for group in (IP_REPUTATION_RULE_GROUP, COMMON_RULE_GROUP, KNOWN_BAD_INPUTS_RULE_GROUP):
        statement = rules[group]["statement"]["managedRuleGroupStatement"]
        assert (statement["vendorName"], statement["name"]) == ("AWS", group)
        assert rules[group]["overrideAction"] == {"none": {}}
    # Which rules are counted, and how they are re-blocked outside uploads: tests/unit/infra/test_waf.py.
    assert rules["BodyInspectionOutsideUploads"]["action"] == {"block": {}}
    assert rules["BodySizeOutsideLargeBodies"]["action"] == {"block": {}}
    rate = rules["RateLimitPerIp"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"]["limit"] == 1000
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert sorted(rule["priority"] for rule in rules.values()) == [0, 1, 2, 3, 4, 5]


def test_by_default_an_environment_leaves_the_region_wide_account_setting_alone(
    resources: list[CapturedResource],
) -> None:
    # Every environment rewriting the one setting (and a fixed-name retained role colliding on the
    # next up) is what made a redeploy after destroy fail; the account stack owns it instead.
    assert not of_type(resources, ACCOUNT)
    assert not of_type(resources, "tap:api:ApiGatewayAccountStack")
    assert not [
        r for r in of_type(resources, ROLE) if "apigateway.amazonaws.com" in r.inputs["assumeRolePolicy"]
    ]


def test_an_environment_that_opts_in_owns_the_setting_with_a_generated_role_name() -> None:
    resources = synthesize(TapStackArgs(manage_api_gateway_account=True))
    account = one(resources, ACCOUNT)
    component = one(resources, "tap:api:ApiGatewayAccountStack")
    role = one(resources, ROLE, "tap-api-account-role")
    attachment = one(
        resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "tap-api-account-role-policy"
    )
    stage = one(resources, "aws:apigateway/stage:Stage")

    assert component.parent == one(resources, "tap:api:ApiGatewayStack").urn
    assert {account.parent, role.parent, attachment.parent} == {component.urn}
    assert "name" not in role.inputs
    assert role.inputs["namePrefix"] == "doc-api-dev-apigw-cw-"
    assert account.inputs["cloudwatchRoleArn"] == role.state["arn"]
    assert attachment.urn in account.dependencies
    assert attachment.inputs["role"] == role.id
    assert attachment.inputs["policyArn"] == PUSH_POLICY_ARN
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust == {
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    # Not retained: destroying this stack resets the setting and deletes the role, and the next up
    # starts clean instead of leaving a role behind that the following one collides with.
    assert [r.retain_on_delete for r in (account, role, attachment)] == [False, False, False]
    assert account.urn in stage.dependencies


def test_the_longest_environment_name_still_fits_the_role_prefix() -> None:
    resources = synthesize(TapStackArgs(environment_suffix="a" * 20, manage_api_gateway_account=True))

    prefix = one(resources, ROLE, "tap-api-account-role").inputs["namePrefix"]
    assert len(prefix) == 38
    assert len(prefix) + len(MOCK_NAME_SUFFIX) == 64


def test_the_managed_policy_arn_follows_the_partition() -> None:
    resources = synthesize_stack(TapStackArgs(manage_api_gateway_account=True), partition="aws-cn").resources

    assert one(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").inputs["policyArn"] == (
        "arn:aws-cn:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    )
