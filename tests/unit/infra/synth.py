"""Run the Pulumi program offline under mocks and capture every resource it registers.

Reusable by any test suite (the policy pack's tests run their policies over these captures):

    from tests.unit.infra.synth import synthesize
    resources = synthesize(TapStackArgs(encryption_mode=EncryptionMode.KMS))
    buckets = [r for r in resources if r.type == "aws:s3/bucket:Bucket"]

``CapturedResource.inputs`` are the resource's inputs as the engine receives them (camelCase keys,
every ``Output`` resolved); ``state`` adds what the mocks computed (ids, ARNs, URLs), so values that
flow between resources (an ARN into a policy) can be compared. No network, no credentials.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pulumi
import pulumi.runtime
import pulumi.runtime.settings
from pulumi.runtime.mocks import MockMonitor

from lib.settings import TapStackArgs

if TYPE_CHECKING:
    from collections.abc import Callable

MOCK_ACCOUNT_ID = "123456789012"
MOCK_PARTITION = "aws"
MOCK_REST_API_ID = "a1b2c3d4e5"
MOCK_S3_PREFIX_LIST_ID = "pl-63a5400a"
MOCK_DYNAMODB_PREFIX_LIST_ID = "pl-02cd2c6b"
MOCK_ENDPOINTS: dict[str, tuple[str, str]] = {
    "s3": ("vpce-0123456789abcdef0", MOCK_S3_PREFIX_LIST_ID),
    "dynamodb": ("vpce-0fedcba9876543210", MOCK_DYNAMODB_PREFIX_LIST_ID),
}
"""Gateway endpoint service (the service name's last part) -> (endpoint id, AWS's prefix list id)."""
MOCK_NAME_SUFFIX = "20261203115200000000000001"
"""The unique suffix the mocks append to a ``name_prefix`` (the provider's is a timestamp and counter)."""
MOCK_US_EAST_1_ZONES: tuple[tuple[str, str], ...] = (
    ("use1-az6", "us-east-1d"),
    ("use1-az3", "us-east-1a"),
    ("use1-az4", "us-east-1f"),
    ("use1-az1", "us-east-1c"),
    ("use1-az5", "us-east-1b"),
    ("use1-az2", "us-east-1e"),
)
"""us-east-1's available regular zones as one account sees them, (zone ID, zone name), in no order.

Here ``us-east-1a`` is ``use1-az3``, where Lambda refuses subnets: a program that picks zones by
name (``<region>a``) lands in it; one that picks by ID gets ``use1-az1`` and ``use1-az2``.
"""
PROJECT = "secure-document-api"
STACK = "unit"

T = TypeVar("T")


@dataclass(frozen=True)
class CapturedResource:
    """One resource registration as the mocks saw it."""

    type: str
    """Pulumi type token, e.g. ``aws:s3/bucket:Bucket`` (components: ``tap:...``)."""
    name: str
    """Logical (Pulumi) name."""
    inputs: dict[str, Any]
    """Inputs, camelCase keys, outputs resolved."""
    state: dict[str, Any]
    """Inputs plus the outputs the mocks computed (``id``, ``arn``, ...)."""
    provider: str | None
    """Provider reference (``<urn>::<id>``) of custom resources."""
    custom: bool
    """False for component resources."""
    urn: str = ""
    parent: str = ""
    """URN of the parent resource (the root stack for top-level resources)."""
    dependencies: tuple[str, ...] = ()
    """URNs of every resource this one waits for (through its inputs or ``depends_on``)."""
    retain_on_delete: bool = False
    protect: bool = False

    @property
    def id(self) -> str:
        return str(self.state["id"])


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Mocks that record every resource and answer the invokes the program makes."""

    region: str = "us-east-1"
    account_id: str = MOCK_ACCOUNT_ID
    partition: str = MOCK_PARTITION
    zones: tuple[tuple[str, str], ...] | None = None
    """What ``getAvailabilityZones`` answers, (zone ID, name) in answer order; default: see ``mock_zones``."""
    resources: list[CapturedResource] = field(default_factory=list)
    calls: list[pulumi.runtime.MockCallArgs] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _options: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def remember_options(self, type_token: str, name: str, options: dict[str, Any]) -> None:
        """Resource options the mocks API does not pass on (see ``RecordingMonitor``)."""
        with self._lock:
            self._options[(type_token, name)] = options

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.calls.append(args)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return (
                {
                    "accountId": self.account_id,
                    "arn": f"arn:{self.partition}:iam::{self.account_id}:user/deployer",
                    "userId": "AIDAMOCKUSER",
                    "id": self.account_id,
                },
                [],
            )
        if args.token == "aws:index/getPartition:getPartition":
            return (
                {
                    "partition": self.partition,
                    "dnsSuffix": "amazonaws.com",
                    "reverseDnsPrefix": "com.amazonaws",
                    "id": self.partition,
                },
                [],
            )
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = self.zones if self.zones is not None else mock_zones(self.region)
            return (
                {
                    "id": self.region,
                    "names": [name for _, name in zones],
                    "zoneIds": [zone_id for zone_id, _ in zones],
                    "groupNames": [self.region] * len(zones),
                    "region": self.region,
                    "state": args.args.get("state"),
                    "filters": args.args.get("filters"),
                },
                [],
            )
        raise NotImplementedError(f"unmocked invoke {args.token}")

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, computed = self._computed(args.typ, args.name, args.inputs)
        state = {**args.inputs, **computed, "id": resource_id}
        with self._lock:
            options = self._options.pop((args.typ, args.name), {})
            self.resources.append(
                CapturedResource(
                    type=args.typ,
                    name=args.name,
                    inputs=dict(args.inputs),
                    state=state,
                    provider=args.provider or None,
                    custom=bool(args.custom),
                    **options,
                )
            )
        return resource_id, state

    def _arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:{self.partition}:{service}:{self.region if region else ''}:"
            f"{self.account_id if account else ''}:{resource}"
        )

    def _computed(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The id and the provider-computed attributes the program reads, shaped like AWS's."""
        given = str(inputs.get("name") or _generated_name(inputs.get("namePrefix")) or name)
        if typ == "aws:s3/bucket:Bucket":
            bucket = str(inputs.get("bucket", name))
            return bucket, {"arn": self._arn("s3", bucket, region=False, account=False), "bucket": bucket}
        if typ == "aws:iam/role:Role":
            return given, {"arn": self._arn("iam", f"role/{given}", region=False), "name": given}
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return given, {"arn": self._arn("logs", f"log-group:{given}")}
        if typ == "aws:lambda/function:Function":
            arn = self._arn("lambda", f"function:{given}")
            invoke = (
                f"arn:{self.partition}:apigateway:{self.region}:lambda:path/2015-03-31/functions/"
                f"{arn}/invocations"
            )
            version = "1" if inputs.get("publish") else "$LATEST"
            return given, {"arn": arn, "invokeArn": invoke, "version": version}
        if typ == "aws:lambda/alias:Alias":
            arn = self._arn("lambda", f"function:{inputs['functionName']}:{given}")
            invoke = (
                f"arn:{self.partition}:apigateway:{self.region}:lambda:path/2015-03-31/functions/"
                f"{arn}/invocations"
            )
            return arn, {"arn": arn, "invokeArn": invoke}
        if typ == "aws:lambda/functionUrl:FunctionUrl":
            return f"{name}-id", {"functionUrl": f"https://mockurl.lambda-url.{self.region}.on.aws/"}
        if typ == "aws:apigateway/restApi:RestApi":
            return MOCK_REST_API_ID, {
                "rootResourceId": "rootresource",
                "executionArn": self._arn("execute-api", MOCK_REST_API_ID),
                "arn": self._arn("apigateway", f"/restapis/{MOCK_REST_API_ID}", account=False),
            }
        if typ == "aws:apigateway/stage:Stage":
            api, stage = inputs["restApi"], inputs["stageName"]
            return f"ags-{api}-{stage}", {
                "arn": self._arn("apigateway", f"/restapis/{api}/stages/{stage}", account=False),
                "invokeUrl": f"https://{api}.execute-api.{self.region}.amazonaws.com/{stage}",
            }
        if typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            endpoint_id, prefix_list_id = MOCK_ENDPOINTS[str(inputs["serviceName"]).rsplit(".", 1)[-1]]
            return endpoint_id, {"prefixListId": prefix_list_id}
        if typ == "aws:dynamodb/table:Table":
            return given, {"arn": self._arn("dynamodb", f"table/{given}"), "name": given}
        if typ == "aws:sqs/queue:Queue":
            url = f"https://sqs.{self.region}.amazonaws.com/{self.account_id}/{given}"
            return url, {"arn": self._arn("sqs", given), "url": url, "name": given}
        if typ == "aws:ec2/vpc:Vpc":
            return "vpc-0123456789abcdef0", {}
        if typ == "aws:kms/key:Key":
            key_id = "0a1b2c3d-mock-key"
            return key_id, {"arn": self._arn("kms", f"key/{key_id}"), "keyId": key_id}
        if typ == "aws:sns/topic:Topic":
            return self._arn("sns", given), {"arn": self._arn("sns", given)}
        if typ == "aws:wafv2/webAcl:WebAcl":
            return f"{name}-id", {"arn": self._arn("wafv2", f"regional/webacl/{given}/{name}-id")}
        if typ == "aws:cloudwatch/eventRule:EventRule":
            return given, {"arn": self._arn("events", f"rule/{given}"), "name": given}
        if typ == "aws:cloudwatch/eventTarget:EventTarget":
            return f"{name}-id", {}  # its ``arn`` is an input (the target's), never computed
        if typ == "aws:guardduty/malwareProtectionPlan:MalwareProtectionPlan":
            plan_id = "b4c7d2e1f0a9mockplan"
            return plan_id, {"arn": self._arn("guardduty", f"malware-protection-plan/{plan_id}")}
        return f"{name}-id", {"arn": self._arn("mock", f"{typ}/{name}")}


def _generated_name(prefix: object) -> str | None:
    """What the provider makes of ``name_prefix``: the prefix and a 26-character unique suffix."""
    return f"{prefix}{MOCK_NAME_SUFFIX}" if isinstance(prefix, str) else None


def mock_zones(region: str) -> tuple[tuple[str, str], ...]:
    """``MOCK_US_EAST_1_ZONES`` in us-east-1; elsewhere three zones named in AWS's ID style (``euw1-az1``)."""
    if region == "us-east-1":
        return MOCK_US_EAST_1_ZONES
    *area, number = region.split("-")
    compass = {"northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw"}
    short = area[0] + "".join(compass.get(word, word[0]) for word in area[1:]) + number
    return tuple(
        (f"{short}-az{index}", f"{region}{letter}") for index, letter in ((3, "a"), (1, "b"), (2, "c"))
    )


class RecordingMonitor(MockMonitor):
    """Passes each registration's parent, ``depends_on``, ``retain_on_delete`` and ``protect`` on."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.recording = mocks

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method name
        self.recording.remember_options(
            request.type,
            request.name,
            {
                "urn": self.make_urn(request.parent, request.type, request.name),
                "parent": request.parent,
                "dependencies": tuple(request.dependencies),
                "retain_on_delete": bool(request.retainOnDelete),
                "protect": bool(request.protect),
            },
        )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Synthesis:
    """Everything a program run produced."""

    resources: list[CapturedResource]
    value: Any
    """The program's return value, with Outputs resolved (see ``run_program``)."""
    calls: list[pulumi.runtime.MockCallArgs]


def run_program(
    program: Callable[[], pulumi.Input[Any]], *, mocks: RecordingMocks | None = None
) -> Synthesis:
    """Run ``program`` under fresh mocks and wait for every registration; resolve what it returns.

    Resets the root stack first, so runs never leak into one another.
    """
    mocks = mocks or RecordingMocks()
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(
        mocks, project=PROJECT, stack=STACK, preview=False, monitor=RecordingMonitor(mocks)
    )
    resolved: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def body() -> pulumi.Output[Any]:
        return pulumi.Output.from_input(program()).apply(lambda value: resolved.setdefault("value", value))

    body()
    return Synthesis(resources=list(mocks.resources), value=resolved.get("value"), calls=list(mocks.calls))


def synthesize_stack(
    args: TapStackArgs | None = None,
    *,
    name: str = "tap",
    partition: str = MOCK_PARTITION,
    zones: tuple[tuple[str, str], ...] | None = None,
) -> Synthesis:
    """Build ``TapStack(name, args)`` under mocks; ``value`` is the dict of resolved stack outputs.

    ``zones``: what the region's availability-zone lookup answers (default ``mock_zones``).
    """
    from lib.tap_stack import TapStack  # imported late: pulumi_aws is slow to import

    args = args or TapStackArgs()

    def program() -> pulumi.Output[dict[str, Any]]:
        stack = TapStack(name, args)
        return pulumi.Output.from_input(stack.outputs)

    return run_program(program, mocks=RecordingMocks(region=args.region, partition=partition, zones=zones))


def synthesize_account_stack(args: TapStackArgs, *, name: str = "account") -> Synthesis:
    """Build ``AccountStack(name, args)`` (the ``stackKind: apiGatewayAccount`` program) under mocks."""
    from lib.account_stack import AccountStack  # imported late: pulumi_aws is slow to import

    def program() -> pulumi.Output[dict[str, Any]]:
        return pulumi.Output.from_input(AccountStack(name, args).outputs)

    return run_program(program, mocks=RecordingMocks(region=args.region))


def synthesize(args: TapStackArgs | None = None) -> list[CapturedResource]:
    """Every resource (components included) that ``TapStack("tap", args)`` registers."""
    return synthesize_stack(args).resources
