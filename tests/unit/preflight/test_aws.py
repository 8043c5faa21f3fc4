"""The AWS checks against answers stubbed with botocore's Stubber: no network, no credentials."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest

from lib.settings import StackKind, TapStackArgs
from preflight.aws import (
    CREDENTIALS_FIX,
    ZONE_FILTERS,
    Identity,
    check_api_gateway_account,
    check_credentials,
    check_zones,
    setting_owner,
)
from preflight.results import CheckResult, Status
from tests.unit.preflight.conftest import ACCOUNT, CALLER_ARN, US_EAST_1_ZONES

if TYPE_CHECKING:
    from tests.unit.preflight.conftest import Stubbed

ACCOUNT_STACK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/apigw-cloudwatch-20261203115200000000000001"
DEV_STACK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/doc-api-dev-apigw-cw-20261203115200000000000001"
OTHER_ENV_ROLE = f"arn:aws:iam::{ACCOUNT}:role/doc-api-qa-apigw-cw-20261203115200000000000001"
FOREIGN_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/APIGatewayCloudWatchLogs"
ACCOUNT_STACK = TapStackArgs(stack_kind=StackKind.API_GATEWAY_ACCOUNT)
DEV_MANAGING = TapStackArgs(manage_api_gateway_account=True)
DEV = TapStackArgs()


def test_credentials_resolve_to_the_caller(stubbed: Stubbed) -> None:
    stubbed.sts.add_response(
        "get_caller_identity", {"UserId": "AROAEXAMPLE:alice", "Account": ACCOUNT, "Arn": CALLER_ARN}, {}
    )

    result, identity = check_credentials(stubbed.clients.sts)

    assert result == CheckResult.ok("aws-credentials", f"{CALLER_ARN} (account {ACCOUNT})")
    assert identity == Identity(ACCOUNT, CALLER_ARN)


def test_expired_credentials_fail_with_how_to_sign_in(stubbed: Stubbed) -> None:
    stubbed.sts.add_client_error(
        "get_caller_identity",
        service_error_code="ExpiredToken",
        service_message="The security token included in the request is expired",
        http_status_code=403,
    )

    result, identity = check_credentials(stubbed.clients.sts)

    assert result == CheckResult.fail(
        "aws-credentials",
        "no usable AWS credentials (ExpiredToken: The security token included in the request is expired)",
        CREDENTIALS_FIX,
    )
    assert identity is None


def test_no_credentials_anywhere_fails_without_reaching_aws(
    tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path) + "/no-credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path) + "/no-config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    sts = boto3.Session(region_name="us-east-1").client("sts")

    result, _ = check_credentials(sts)

    assert result.detail == "no usable AWS credentials (Unable to locate credentials)"
    assert result.fix.startswith("sign in with the standard AWS chain: `aws sso login --profile <name>`")


def test_a_refused_key_also_names_an_opt_in_region_not_enabled(stubbed: Stubbed) -> None:
    stubbed.sts.add_client_error(
        "get_caller_identity",
        service_error_code="InvalidClientTokenId",
        service_message="The security token included in the request is invalid.",
        http_status_code=403,
    )

    result, _ = check_credentials(stubbed.clients.sts)

    assert result.fix == (
        f"{CREDENTIALS_FIX}; if they work elsewhere, us-east-1 may be an opt-in region this account has not "
        "enabled (`aws account get-region-opt-status --region-name us-east-1`)"
    )


def test_zones_that_cannot_be_listed_name_the_permission_and_the_region(stubbed: Stubbed) -> None:
    stubbed.ec2.add_client_error(
        "describe_availability_zones", service_error_code="UnauthorizedOperation", service_message="no"
    )

    result = check_zones(stubbed.clients.ec2, "us-east-1", ())

    assert result.detail == "cannot list the availability zones of us-east-1 (UnauthorizedOperation: no)"
    assert result.fix.startswith("allow ec2:DescribeAvailabilityZones to the deploying principal")


def zones_answer(zones: dict[str, str]) -> dict[str, object]:
    return {
        "AvailabilityZones": [
            {"ZoneId": zone_id, "ZoneName": name, "State": "available", "OptInStatus": "opt-in-not-required"}
            for zone_id, name in zones.items()
        ]
    }


def test_zones_are_chosen_by_id_and_lambdas_gap_is_skipped(stubbed: Stubbed) -> None:
    stubbed.ec2.add_response(
        "describe_availability_zones", zones_answer(US_EAST_1_ZONES), {"Filters": list(ZONE_FILTERS)}
    )

    result = check_zones(stubbed.clients.ec2, "us-east-1", ())

    assert result == CheckResult.ok(
        "availability-zones",
        "use1-az1 (us-east-1c), use1-az2 (us-east-1e) (chosen by zone ID); "
        "skipped use1-az3 (Lambda refuses VPC subnets there)",
    )


def test_configured_zones_are_checked_against_the_account(stubbed: Stubbed) -> None:
    stubbed.ec2.add_response(
        "describe_availability_zones", zones_answer(US_EAST_1_ZONES), {"Filters": list(ZONE_FILTERS)}
    )

    result = check_zones(stubbed.clients.ec2, "us-east-1", ("use1-az4", "use1-az9"))

    assert result.status is Status.FAIL
    assert result.detail.startswith(
        "availabilityZoneIds: 'use1-az9' is not an available zone of this region for this account."
    )
    assert result.fix.startswith("set availabilityZoneIds to 2 of the zones listed")


def test_a_region_with_one_usable_zone_fails(stubbed: Stubbed) -> None:
    stubbed.ec2.add_response(
        "describe_availability_zones",
        zones_answer({"use1-az3": "us-east-1a", "use1-az1": "us-east-1b"}),
        {"Filters": list(ZONE_FILTERS)},
    )

    result = check_zones(stubbed.clients.ec2, "us-east-1", ())

    assert result.status is Status.FAIL
    assert result.detail.startswith(
        "the region offers 1 available availability zone(s) where Lambda can run (use1-az1 (us-east-1b))"
    )
    assert result.fix == "deploy to a region with at least 2 such zones (region, allowedRegions)"


def account_answer(stubbed: Stubbed, role_arn: str | None) -> None:
    answer: dict[str, object] = {"throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0}}
    if role_arn:
        answer["cloudwatchRoleArn"] = role_arn
    stubbed.apigateway.add_response("get_account", answer, {})


def role_exists(stubbed: Stubbed, role_arn: str) -> None:
    name = role_arn.rsplit("/", 1)[-1]
    stubbed.iam.add_response(
        "get_role",
        {
            "Role": {
                "Path": "/",
                "RoleName": name,
                "RoleId": "AROAEXAMPLEEXAMPLE123",
                "Arn": role_arn,
                "CreateDate": "2026-12-01T00:00:00Z",
            }
        },
        {"RoleName": name},
    )


def check(stubbed: Stubbed, args: TapStackArgs) -> CheckResult:
    return check_api_gateway_account(
        stubbed.clients.apigateway, stubbed.clients.iam, region="us-east-1", args=args, stack="dev"
    )


def test_no_setting_fails_for_a_stack_that_does_not_set_it(stubbed: Stubbed) -> None:
    account_answer(stubbed, None)

    result = check(stubbed, DEV)

    assert result.status is Status.FAIL
    assert result.detail == "no CloudWatch Logs role set in us-east-1"
    assert result.fix.startswith(
        "API Gateway in us-east-1 has no CloudWatch Logs role (account setting cloudwatchRoleArn), so "
        "creating the stage would fail with 'CloudWatch Logs role ARN must be set in account settings to "
        "enable logging'. Set it once per account and region: deploy the account stack (pulumi stack init "
        "apigw-account && pulumi config set secure-document-api:stackKind apiGatewayAccount && pulumi up)"
    )


@pytest.mark.parametrize("args", [ACCOUNT_STACK, DEV_MANAGING])
def test_no_setting_is_fine_for_the_stack_that_sets_it(stubbed: Stubbed, args: TapStackArgs) -> None:
    account_answer(stubbed, None)

    assert check(stubbed, args) == CheckResult.ok(
        "api-gateway-account", "no CloudWatch Logs role set in us-east-1 yet; this stack sets it on `up`"
    )


def test_a_stack_that_leaves_the_setting_alone_reports_its_owner(stubbed: Stubbed) -> None:
    account_answer(stubbed, ACCOUNT_STACK_ROLE)
    role_exists(stubbed, ACCOUNT_STACK_ROLE)

    assert check(stubbed, DEV) == CheckResult.ok(
        "api-gateway-account",
        f"{ACCOUNT_STACK_ROLE}, set by this project's account stack (stackKind apiGatewayAccount); "
        "this stack uses it and leaves it alone",
    )


def test_a_setting_naming_a_deleted_role_fails(stubbed: Stubbed) -> None:
    account_answer(stubbed, OTHER_ENV_ROLE)
    stubbed.iam.add_client_error("get_role", service_error_code="NoSuchEntity", service_message="gone")

    result = check(stubbed, DEV)

    assert result.status is Status.FAIL
    assert result.detail == (
        f"the setting names {OTHER_ENV_ROLE} (set by another environment stack of this project (API "
        "'doc-api-qa', manageApiGatewayAccount)), which no longer exists (API Gateway would fail to "
        "write logs)"
    )


def test_the_owning_stack_keeps_its_setting(stubbed: Stubbed) -> None:
    account_answer(stubbed, DEV_STACK_ROLE)
    role_exists(stubbed, DEV_STACK_ROLE)

    assert check(stubbed, DEV_MANAGING) == CheckResult.ok(
        "api-gateway-account",
        f"{DEV_STACK_ROLE}, set by this environment stack ('dev', manageApiGatewayAccount); `up` keeps it",
    )


@pytest.mark.parametrize(
    ("role_arn", "args", "owner"),
    [
        (ACCOUNT_STACK_ROLE, DEV_MANAGING, "this project's account stack (stackKind apiGatewayAccount)"),
        (DEV_STACK_ROLE, ACCOUNT_STACK, "this environment stack ('dev', manageApiGatewayAccount)"),
        (FOREIGN_ROLE, DEV_MANAGING, "something outside this project (another tool, or the console)"),
    ],
)
def test_two_owners_of_one_setting_warn(
    stubbed: Stubbed, role_arn: str, args: TapStackArgs, owner: str
) -> None:
    account_answer(stubbed, role_arn)
    role_exists(stubbed, role_arn)

    result = check(stubbed, args)

    assert result.status is Status.WARN
    assert result.detail == (
        f"{role_arn} is already set by {owner}, and this stack would set it too: the two would take the "
        "setting from each other on every update, and destroying either resets it for every API here"
    )
    assert result.fix.startswith(
        "keep one owner: in this stack `pulumi config set manageApiGatewayAccount false`"
    )


def test_the_owner_whose_role_vanished_is_told_to_refresh(stubbed: Stubbed) -> None:
    account_answer(stubbed, ACCOUNT_STACK_ROLE)
    stubbed.iam.add_client_error("get_role", service_error_code="NoSuchEntity", service_message="gone")

    result = check(stubbed, ACCOUNT_STACK)

    assert result.status is Status.WARN
    assert (
        result.fix == "`pulumi refresh --stack dev` before `up`, so Pulumi notices and creates the role again"
    )


def test_an_unreadable_setting_names_the_permission(stubbed: Stubbed) -> None:
    stubbed.apigateway.add_client_error(
        "get_account", service_error_code="AccessDeniedException", service_message="no"
    )

    result = check(stubbed, DEV)

    assert (
        result.detail == "cannot read API Gateway's account setting in us-east-1 (AccessDeniedException: no)"
    )
    assert "apigateway:GET on arn:aws:apigateway:<region>::/account" in result.fix


def test_an_iam_refusal_does_not_hide_the_owner(stubbed: Stubbed) -> None:
    account_answer(stubbed, FOREIGN_ROLE)
    stubbed.iam.add_client_error("get_role", service_error_code="AccessDenied", service_message="no")

    assert check(stubbed, DEV).status is Status.OK


def test_the_owner_is_read_from_the_role_name_the_program_generates() -> None:
    assert setting_owner(DEV_STACK_ROLE, DEV_MANAGING) == (
        "this environment stack ('dev', manageApiGatewayAccount)",
        True,
    )
    assert (
        setting_owner(DEV_STACK_ROLE, TapStackArgs(environment_suffix="qa", manage_api_gateway_account=True))[
            1
        ]
        is False
    )
