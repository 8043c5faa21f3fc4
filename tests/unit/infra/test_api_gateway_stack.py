"""ApiGatewayStack in the synthesized default stack: routes, auth, stage, logs, permissions, WAF."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from document_processor.routes import ROUTES, resource_paths
from lib import api_routes
from lib.waf import COMMON_RULE_GROUP, IP_REPUTATION_RULE_GROUP, KNOWN_BAD_INPUTS_RULE_GROUP
from tests.unit.infra.conftest import of_type, one
from tests.unit.infra.synth import MOCK_ACCOUNT_ID, MOCK_REST_API_ID

if TYPE_CHECKING:
    from tests.unit.infra.synth import CapturedResource

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


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
    function = one(resources, "aws:lambda/function:Function")
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
    function = one(resources, "aws:lambda/function:Function")

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
    function = one(resources, "aws:lambda/function:Function")
    permissions = of_type(resources, "aws:lambda/permission:Permission")

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
    rate = rules["RateLimitPerIp"]
    assert rate["action"] == {"block": {}}
    assert rate["statement"]["rateBasedStatement"]["limit"] == 1000
    assert rate["statement"]["rateBasedStatement"]["aggregateKeyType"] == "IP"
    assert sorted(rule["priority"] for rule in rules.values()) == [0, 1, 2, 3, 4]


def test_account_cloudwatch_role_is_managed_and_retained_on_delete(resources: list[CapturedResource]) -> None:
    account = one(resources, "aws:apigateway/account:Account")
    role = one(resources, "aws:iam/role:Role", "tap-api-cloudwatch-role")
    attachment = one(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    stage = one(resources, "aws:apigateway/stage:Stage")

    assert account.inputs["cloudwatchRoleArn"] == role.state["arn"]
    assert attachment.inputs["role"] == role.id
    assert (
        attachment.inputs["policyArn"]
        == "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    )
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {
        "Service": "apigateway.amazonaws.com"
    }
    assert account.retain_on_delete
    assert role.retain_on_delete
    assert attachment.retain_on_delete
    assert account.urn in stage.dependencies
