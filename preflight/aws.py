"""Checks that ask AWS: who the credentials are, the region, its zones, API Gateway's account setting.

Every function takes the boto3 clients it calls (the runner builds them from the default credential
chain: environment, profiles, SSO), so tests answer them with ``botocore.stub.Stubber``. The calls
are read-only and all within what the deployer policy (deploy/deployer-policy-*.json) grants:
``sts:GetCallerIdentity``, ``ec2:DescribeAvailabilityZones``, ``apigateway:GET`` on ``/account``,
``iam:GetRole``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from lib import naming
from lib.api_gateway_account import ACCOUNT_ROLE_NAME_PREFIX, cloudwatch_role_problem
from lib.settings import StackKind
from lib.zones import LAMBDA_UNSUPPORTED_ZONE_IDS, REQUIRED_ZONE_COUNT, ZoneChoiceError, choose_zone_ids
from preflight.results import CheckResult

if TYPE_CHECKING:
    from mypy_boto3_apigateway import APIGatewayClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_sts import STSClient

    from lib.settings import TapStackArgs

CREDENTIALS_FIX: Final = (
    "sign in with the standard AWS chain: `aws sso login --profile <name>` and `export AWS_PROFILE=<name>`, "
    "or `aws configure`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN "
    "(in CI: aws-actions/configure-aws-credentials with role-to-assume)"
)
OPT_IN_SYMPTOMS: Final = frozenset({"InvalidClientTokenId", "AuthFailure"})
"""What STS answers an unknown key with, and also a caller in a region the account has not enabled
(the check calls STS in the stack's region); the fix then names both causes."""
ZONE_FILTERS: Final[tuple[FilterTypeDef, ...]] = (
    {"Name": "opt-in-status", "Values": ["opt-in-not-required"]},
    {"Name": "state", "Values": ["available"]},
)
"""The same filters the program's ``aws.get_availability_zones`` uses (lib/tap_stack.py)."""
ENVIRONMENT_ROLE_MARKER: Final = "-apigw-cw-"
"""An environment stack that owns the setting names its role ``<api name>-apigw-cw-<suffix>``
(lib/api_gateway_stack.py); tests/unit/preflight check the name the program builds."""


@dataclass(frozen=True)
class Identity:
    """Who the credentials are."""

    account: str
    arn: str


def aws_error(error: ClientError | BotoCoreError) -> str:
    """``Code: message`` of an AWS error, or botocore's own message."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'Error')}: {details.get('Message', str(error))}"
    return str(error)


def check_credentials(sts: STSClient) -> tuple[CheckResult, Identity | None]:
    """The default credential chain resolves to a principal (``sts:GetCallerIdentity``)."""
    name = "aws-credentials"
    try:
        answer = sts.get_caller_identity()
    except (ClientError, BotoCoreError) as error:
        fix = CREDENTIALS_FIX
        if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in OPT_IN_SYMPTOMS:
            region = sts.meta.region_name
            fix += (
                f"; if they work elsewhere, {region} may be an opt-in region this account has not enabled "
                f"(`aws account get-region-opt-status --region-name {region}`)"
            )
        return CheckResult.fail(name, f"no usable AWS credentials ({aws_error(error)})", fix), None
    identity = Identity(account=answer["Account"], arn=answer["Arn"])
    return CheckResult.ok(name, f"{identity.arn} (account {identity.account})"), identity


def check_zones(ec2: EC2Client, region: str, override: tuple[str, ...]) -> CheckResult:
    """The zones the program will choose exist here and take Lambda's network interfaces."""
    name = "availability-zones"
    try:
        answer = ec2.describe_availability_zones(Filters=list(ZONE_FILTERS))
    except (ClientError, BotoCoreError) as error:
        return CheckResult.fail(
            name,
            f"cannot list the availability zones of {region} ({aws_error(error)})",
            "allow ec2:DescribeAvailabilityZones to the deploying principal (the program calls it too; "
            "deploy/deployer-policy-*.json grants it), and check that the region is enabled "
            f"(`aws account get-region-opt-status --region-name {region}`)",
        )
    available = {zone["ZoneId"]: zone["ZoneName"] for zone in answer["AvailabilityZones"]}
    try:
        chosen = choose_zone_ids(available, override=override)
    except ZoneChoiceError as error:
        fix = (
            f"set availabilityZoneIds to {REQUIRED_ZONE_COUNT} of the zones listed "
            "(`pulumi config set --path 'availabilityZoneIds[0]' <zone id>`, and [1]), or remove it"
            if override
            else f"deploy to a region with at least {REQUIRED_ZONE_COUNT} such zones (region, allowedRegions)"
        )
        return CheckResult.fail(name, str(error), fix)
    described = ", ".join(f"{zone_id} ({available[zone_id]})" for zone_id in chosen)
    how = "from availabilityZoneIds" if override else "chosen by zone ID"
    skipped = sorted(set(available) & LAMBDA_UNSUPPORTED_ZONE_IDS)
    note = f"; skipped {', '.join(skipped)} (Lambda refuses VPC subnets there)" if skipped else ""
    return CheckResult.ok(name, f"{described} ({how}){note}")


def manages_account_setting(args: TapStackArgs) -> bool:
    """Whether ``up`` of this stack writes the region's API Gateway CloudWatch role setting."""
    return args.stack_kind is StackKind.API_GATEWAY_ACCOUNT or args.manage_api_gateway_account


def setting_owner(role_arn: str, args: TapStackArgs) -> tuple[str, bool]:
    """Who set ``role_arn``, judged by the role's name, and whether that is this stack."""
    role_name = role_arn.rsplit("/", 1)[-1]
    if role_name.startswith(ACCOUNT_ROLE_NAME_PREFIX):
        return "this project's account stack (stackKind apiGatewayAccount)", (
            args.stack_kind is StackKind.API_GATEWAY_ACCOUNT
        )
    own_prefix = naming.api_name(args.environment_suffix) + ENVIRONMENT_ROLE_MARKER
    if role_name.startswith(own_prefix):
        return f"this environment stack ({args.environment_suffix!r}, manageApiGatewayAccount)", (
            args.stack_kind is StackKind.ENVIRONMENT and args.manage_api_gateway_account
        )
    if ENVIRONMENT_ROLE_MARKER in role_name:
        api = role_name.split(ENVIRONMENT_ROLE_MARKER, 1)[0]
        return f"another environment stack of this project (API {api!r}, manageApiGatewayAccount)", False
    return "something outside this project (another tool, or the console)", False


def check_api_gateway_account(
    apigateway: APIGatewayClient, iam: IAMClient, *, region: str, args: TapStackArgs, stack: str
) -> CheckResult:
    """The region's API Gateway CloudWatch role: set (or set by this stack), one owner, the role exists."""
    name = "api-gateway-account"
    try:
        role_arn = apigateway.get_account().get("cloudwatchRoleArn")
    except (ClientError, BotoCoreError) as error:
        return CheckResult.fail(
            name,
            f"cannot read API Gateway's account setting in {region} ({aws_error(error)})",
            "allow apigateway:GET on arn:aws:apigateway:<region>::/account for the deploying principal "
            "(deploy/deployer-policy-*.json)",
        )
    manages = manages_account_setting(args)
    problem = cloudwatch_role_problem(role_arn, region=region)
    if problem is not None or not role_arn:
        if manages:
            return CheckResult.ok(
                name, f"no CloudWatch Logs role set in {region} yet; this stack sets it on `up`"
            )
        return CheckResult.fail(name, f"no CloudWatch Logs role set in {region}", problem or "")
    owner, is_this_stack = setting_owner(role_arn, args)
    missing = _missing_role(iam, role_arn)
    if missing and not manages:
        return CheckResult.fail(
            name,
            f"the setting names {role_arn} (set by {owner}), which {missing}",
            "set it again with a role that exists: `pulumi up` the account stack (README, "
            "'API Gateway account setting'), or set manageApiGatewayAccount=true in exactly one stack",
        )
    if not manages:
        return CheckResult.ok(name, f"{role_arn}, set by {owner}; this stack uses it and leaves it alone")
    if is_this_stack and missing:
        return CheckResult.warn(
            name,
            f"the setting names {role_arn} (set by {owner}), which {missing}",
            f"`pulumi refresh --stack {stack}` before `up`, so Pulumi notices and creates the role again",
        )
    if is_this_stack:
        return CheckResult.ok(name, f"{role_arn}, set by {owner}; `up` keeps it")
    return CheckResult.warn(
        name,
        f"{role_arn} is already set by {owner}, and this stack would set it too: the two would take the "
        "setting from each other on every update, and destroying either resets it for every API here",
        "keep one owner: in this stack `pulumi config set manageApiGatewayAccount false` (environment) or "
        "do not deploy a second account stack; to move the setting to this stack, first turn it off there",
    )


def _missing_role(iam: IAMClient, role_arn: str) -> str | None:
    """Why the role cannot work (``"no longer exists"``), or ``None`` when it exists or IAM will not say."""
    try:
        iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return "no longer exists (API Gateway would fail to write logs)"
        return None
    except BotoCoreError:
        return None
    return None
