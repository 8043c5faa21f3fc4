"""The pack as the Pulumi CLI runs it: ``python -m pulumi.policy <engine> policy`` in a child process,
spoken to over the analyzer gRPC protocol. This proves ``policy/__main__.py`` loads (imports resolve
when the directory runs as a script) and that verdicts survive the wire: mandatory findings block,
and values unknown during ``preview`` become advisory notes instead of crashes. Never in-process:
``PolicyPack`` starts a server and blocks."""

from __future__ import annotations

import json
import select
import subprocess
import sys
from typing import TYPE_CHECKING, Any

import grpc  # type: ignore[import-untyped]  # no stubs in the lock; only channel set-up is used
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy import EnforcementLevel
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy.guardrails import POLICIES
from tests.unit.policy.conftest import without
from tests.unit.policy.harness import POLICY_DIR

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.unit.infra.synth import CapturedResource

STARTUP_TIMEOUT_SECONDS = 60
RPC_TIMEOUT_SECONDS = 60


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with subprocess.Popen(  # the interpreter running the tests, with a fixed argument list
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(POLICY_DIR)],
        cwd=POLICY_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT_SECONDS)
            line = process.stdout.readline().decode().strip() if ready else ""
            if not line.isdigit():
                process.kill()
                _, errors = process.communicate()
                pytest.fail(f"the policy pack did not start (stdout {line!r}):\n{errors.decode()}")
            with grpc.insecure_channel(f"127.0.0.1:{line}") as channel:
                yield analyzer_pb2_grpc.AnalyzerStub(channel)
        finally:
            process.kill()


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    json_format.ParseDict(json.loads(json.dumps(props, default=str)), message)
    return message


def _stack_request(captured: list[CapturedResource]) -> analyzer_pb2.AnalyzeStackRequest:
    return analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(type=c.type, urn=c.urn, name=c.name, properties=_struct(c.state))
            for c in captured
            if c.custom
        ]
    )


def _mandatory(response: analyzer_pb2.AnalyzeResponse) -> list[str]:
    return [d.policyName for d in response.diagnostics if d.enforcementLevel == analyzer_pb2.MANDATORY]


def test_pack_announces_every_policy_with_its_level(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=RPC_TIMEOUT_SECONDS)

    assert info.name == "secure-document-api-guardrails"
    assert [(p.name, p.enforcementLevel) for p in info.policies] == [
        (
            p.name,
            analyzer_pb2.MANDATORY
            if p.enforcement_level is EnforcementLevel.MANDATORY
            else analyzer_pb2.ADVISORY,
        )
        for p in POLICIES
    ]


def test_public_function_url_is_blocked_over_the_wire(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:lambda/functionUrl:FunctionUrl",
        urn="urn:pulumi:dev::secure-document-api::aws:lambda/functionUrl:FunctionUrl::url",
        name="url",
        properties=_struct({"functionName": "doc-processor-dev", "authorizationType": "NONE"}),
    )

    response = analyzer.Analyze(request, timeout=RPC_TIMEOUT_SECONDS)

    assert _mandatory(response) == ["lambda-1-ckv-aws-258-function-url-iam-auth"]


def test_catalogue_table_without_recovery_is_blocked_over_the_wire(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """The catalogue module loads in the CLI's layout too (relative imports of ``keys``, ``network``)."""
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:dynamodb/table:Table",
        urn="urn:pulumi:dev::secure-document-api::aws:dynamodb/table:Table::catalogue",
        name="catalogue",
        properties=_struct(
            {
                "name": "doc-processor-dev-catalogue",
                "billingMode": "PAY_PER_REQUEST",
                "pointInTimeRecovery": {"enabled": False},
                "deletionProtectionEnabled": True,
            }
        ),
    )

    response = analyzer.Analyze(request, timeout=RPC_TIMEOUT_SECONDS)

    assert _mandatory(response) == ["dynamodb-2-ckv-aws-28-table-point-in-time-recovery"]


def test_default_stack_passes_and_a_removed_waf_is_blocked(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, default_stack: list[CapturedResource]
) -> None:
    clean = analyzer.AnalyzeStack(_stack_request(default_stack), timeout=RPC_TIMEOUT_SECONDS)
    broken = analyzer.AnalyzeStack(
        _stack_request(without(default_stack, "aws:wafv2/webAclAssociation:WebAclAssociation")),
        timeout=RPC_TIMEOUT_SECONDS,
    )

    assert _mandatory(clean) == []
    assert _mandatory(broken) == ["apigateway-4-ckv2-aws-29-every-stage-waf"]


def test_unknown_values_during_preview_become_advisory_notes(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    """In a first ``preview`` a bucket policy built from outputs is unknown: the policy cannot judge
    it yet, and says so (advisory) instead of failing or passing silently."""
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:s3/bucketPolicy:BucketPolicy",
        urn="urn:pulumi:dev::secure-document-api::aws:s3/bucketPolicy:BucketPolicy::documents",
        name="documents",
        properties=_struct({"bucket": UNKNOWN_STRING_VALUE, "policy": UNKNOWN_STRING_VALUE}),
    )

    response = analyzer.Analyze(request, timeout=RPC_TIMEOUT_SECONDS)

    assert _mandatory(response) == []
    notes = [d for d in response.diagnostics if d.policyName == "s3-2-s3-3-s3-5-ckv-aws-70-93-bucket-policy"]
    assert len(notes) == 1
    assert notes[0].enforcementLevel == analyzer_pb2.ADVISORY
    assert "can't be known during preview" in notes[0].message
