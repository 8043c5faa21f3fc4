"""Run a Pulumi Python program the way the CLI's language host does, but against mocks.

A copy of this file is executed as a script from a scratch directory (``test_cli_loading.py``), so,
like ``pulumi-language-python-exec``, it runs from outside the project: ``sys.path[0]`` is this
script's own directory, nothing of the repository is on ``sys.path``, and the program is started with
``runpy.run_path(PROGRAM, run_name="__main__")`` after ``os.chdir(--pwd)``. The steps mirror that
script (pulumi/pulumi ``sdk/python/cmd/pulumi-language-python-exec`` at commit
1b5949891b3cefcb9974752b24a5ecef0acc86c8): config from ``PULUMI_CONFIG``, settings configured,
``sys.argv`` swapped, chdir, a fresh event loop, ``run_in_stack(run)``. The one difference is the
monitor: Pulumi's ``MockMonitor`` with the small mocks below instead of the engine's gRPC server.

It imports nothing from the repository (that would put the project's modules in ``sys.modules`` before
the program runs and hide exactly the failure this exists to catch); the mocks are a compact copy of
``tests/unit/infra/synth.py``'s, answering the invokes the program makes. What it saw is written as
JSON to the file named by ``LANGHOST_DRIVER_REPORT``; the exit code is the exec script's (32 when the
program raised).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from google.protobuf import empty_pb2, json_format  # type: ignore[import-untyped]
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockSettings

REPORT_VARIABLE = "LANGHOST_DRIVER_REPORT"
PROGRAM_FAILED_EXIT_CODE = 32
"""``PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE`` in the exec script."""
ACCOUNT_ID = "123456789012"
STACK_TYPE = "pulumi:pulumi:Stack"


class Mocks(pulumi.runtime.Mocks):
    """Records every registration; answers the invokes with AWS-shaped values (see synth.py)."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.resources: list[dict[str, Any]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:aws:iam::{ACCOUNT_ID}:user/deployer"
            return {"accountId": ACCOUNT_ID, "arn": arn, "userId": "AIDAMOCK", "id": ACCOUNT_ID}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
                "id": "aws",
            }, []
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            # Three regular zones with AWS-shaped IDs (us-east-1 -> use1-az1); names map to them freely.
            *area, number = self.region.split("-")
            prefix = area[0] + "".join(word[0] for word in area[1:]) + number
            zones = [
                (f"{prefix}-az{index}", f"{self.region}{letter}")
                for index, letter in ((4, "a"), (1, "b"), (2, "c"))
            ]
            return {
                "id": self.region,
                "names": [name for _, name in zones],
                "zoneIds": [zone_id for zone_id, _ in zones],
                "groupNames": [self.region] * len(zones),
                "region": self.region,
            }, []
        raise NotImplementedError(
            f"unmocked invoke {args.token}: answer it in tests/unit/infra/langhost_driver.py "
            "(tests/unit/infra/synth.py shows the shape)"
        )

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        resource_id, computed = self._computed(args.typ, args.name, args.inputs)
        self.resources.append({"type": args.typ, "name": args.name, "custom": bool(args.custom)})
        return resource_id, {**args.inputs, **computed, "id": resource_id}

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    def _computed(self, typ: str, name: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        given = str(inputs.get("name", name))
        if typ == "aws:s3/bucket:Bucket":
            bucket = str(inputs.get("bucket", name))
            return bucket, {"arn": f"arn:aws:s3:::{bucket}", "bucket": bucket}
        if typ == "aws:iam/role:Role":
            return given, {"arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{given}", "name": given}
        if typ == "aws:lambda/function:Function":
            arn = self._arn("lambda", f"function:{given}")
            invoke = f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{arn}/invocations"
            return given, {"arn": arn, "invokeArn": invoke}
        if typ == "aws:lambda/functionUrl:FunctionUrl":
            return f"{name}-id", {"functionUrl": f"https://mock.lambda-url.{self.region}.on.aws/"}
        if typ == "aws:apigateway/restApi:RestApi":
            return "a1b2c3d4e5", {
                "rootResourceId": "rootresource",
                "executionArn": self._arn("execute-api", "a1b2c3d4e5"),
                "arn": f"arn:aws:apigateway:{self.region}::/restapis/a1b2c3d4e5",
            }
        if typ == "aws:apigateway/stage:Stage":
            api, stage = inputs["restApi"], inputs["stageName"]
            return f"ags-{api}-{stage}", {
                "arn": f"arn:aws:apigateway:{self.region}::/restapis/{api}/stages/{stage}",
                "invokeUrl": f"https://{api}.execute-api.{self.region}.amazonaws.com/{stage}",
            }
        if typ == "aws:ec2/vpcEndpoint:VpcEndpoint":
            return "vpce-0123456789abcdef0", {"prefixListId": "pl-63a5400a"}
        if typ == "aws:kms/key:Key":
            return "mock-key", {"arn": self._arn("kms", "key/mock-key"), "keyId": "mock-key"}
        if typ == "aws:sns/topic:Topic":
            return self._arn("sns", given), {"arn": self._arn("sns", given)}
        return f"{name}-id", {"arn": self._arn("mock", f"{typ}/{name}")}


class OutputsMonitor(MockMonitor):
    """Pulumi's mock monitor, also keeping what the root stack registers as its outputs (the exports)."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResourceOutputs(self, request: Any) -> Any:  # the gRPC method name
        if f"::{STACK_TYPE}::" in request.urn:
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def main() -> int:
    # The exec script's arguments (the language host passes these; see constructArguments in main.go).
    parser = argparse.ArgumentParser(description="Run a Pulumi Python program under mocks, as the CLI does")
    parser.add_argument("--project", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--root_directory")
    parser.add_argument("--pwd")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("PROGRAM")
    parser.add_argument("ARGS", nargs="*")
    args = parser.parse_args()

    report: dict[str, Any] = {
        "sys_path_0": sys.path[0],
        "lib_importable_before_run": importlib.util.find_spec("lib") is not None,
    }
    pulumi.runtime.set_all_config(
        pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env()
    )
    mocks = Mocks(args.region)
    monitor = OutputsMonitor(mocks)
    # What the exec script does with the engine's addresses (Settings + configure), with the mock
    # monitor: set_mocks would do the same and also register a root stack, which run_in_stack creates.
    features = set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures)  # type: ignore[no-untyped-call]
    settings = MockSettings(  # type: ignore[no-untyped-call]
        monitor=monitor,
        monitor_features=features,
        engine=MockEngine(None),
        project=args.project,
        stack=args.stack,
        dry_run=False,
        organization=None,
        callbacks=None,
    )
    pulumi.runtime.configure(settings)

    sys.argv = [args.PROGRAM, *args.ARGS]
    if args.pwd is not None:
        os.chdir(args.pwd)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def run() -> None:
        runpy.run_path(args.PROGRAM, run_name="__main__")

    exit_code = 0
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(run))
    except Exception:  # the exec script logs any exception as "Program failed..." and exits 32
        report["error"] = traceback.format_exc()
        print(report["error"], file=sys.stderr)
        exit_code = PROGRAM_FAILED_EXIT_CODE
    finally:
        loop.close()
    report["resources"] = mocks.resources
    report["outputs"] = monitor.stack_outputs
    Path(os.environ[REPORT_VARIABLE]).write_text(json.dumps(report), encoding="utf-8")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
