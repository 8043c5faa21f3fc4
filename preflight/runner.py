"""Run every check in order, each only when what it needs is there, and collect the results.

Order: the project file, the Pulumi CLI and Python toolchain, the stack and its config (region
included), the Lambda build, then AWS (credentials first; nothing else asks AWS without them). A
check whose prerequisite failed is reported as ``skip`` naming that prerequisite, so one root
cause yields one failure, not a cascade.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError

from lib.settings import (
    DEFAULT_LAMBDA_DEPENDENCIES_DIR,
    DEFAULT_LAMBDA_PACKAGE_DIR,
    DEFAULT_REGION,
    PROJECT_ROOT,
    StackKind,
)
from preflight import aws, stack_config, toolchain
from preflight.clients import AwsClients, boto3_clients
from preflight.project import ProjectError, load_project, read_stack_config, resolve_stack
from preflight.results import CheckResult, Status

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from preflight.processes import Runner
    from preflight.stack_config import Setting
    from preflight.toolchain import Which


@dataclass
class Report:
    """Everything the preflight found."""

    stack: str | None = None
    results: list[CheckResult] = field(default_factory=list)
    settings: list[Setting] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(result.status is Status.FAIL for result in self.results)

    def as_json(self) -> dict[str, Any]:
        """Stable field names for scripts (``--json``)."""
        return {
            "stack": self.stack,
            "ok": not self.failed,
            "checks": [
                {"name": r.name, "status": r.status.value, "detail": r.detail, "fix": r.fix}
                for r in self.results
            ],
            "config": [{"key": s.key, "value": s.value, "source": s.source} for s in self.settings],
        }


def run_preflight(
    project_dir: Path,
    *,
    stack: str | None,
    environ: Mapping[str, str],
    which: Which,
    run: Runner,
    clients: Callable[[str], AwsClients] = boto3_clients,
) -> Report:
    """Every check against the project in ``project_dir`` and the selected stack."""
    report = Report()
    results = report.results
    try:
        project = load_project(project_dir)
    except ProjectError as error:
        results.append(CheckResult.fail("project", str(error), "run the preflight from the repository root"))
        return report

    cli = toolchain.check_pulumi_cli(project, which=which, run=run)
    results += [cli, toolchain.check_python_toolchain(project, which=which, run=run)]

    report.stack = resolve_stack(stack, environ, run if cli.status is Status.OK else None)
    if report.stack is None:
        results.append(
            CheckResult.fail(
                "stack",
                "no stack selected",
                "name one: `make preflight STACK=dev` (or `--stack dev`), `export PULUMI_STACK=dev`, or "
                "`pulumi stack select dev` (`pulumi stack init dev` creates it)",
            )
        )
        return report
    try:
        config = read_stack_config(project, report.stack)
    except ProjectError as error:
        results.append(CheckResult.fail("stack-config", str(error), "fix the stack file's YAML"))
        return report
    outcome = stack_config.evaluate(config, environ)
    results += [stack_config.check_config(config, outcome), stack_config.check_region(config, outcome)]
    args = outcome.args
    if args is not None:
        report.settings = stack_config.effective_settings(config, args, environ)
    environment = args is None or args.stack_kind is StackKind.ENVIRONMENT
    if environment:
        # The directories the program zips, relative to this project (lib/settings.py's defaults).
        package_dir = project_dir / DEFAULT_LAMBDA_PACKAGE_DIR.relative_to(PROJECT_ROOT)
        dependencies_dir = project_dir / DEFAULT_LAMBDA_DEPENDENCIES_DIR.relative_to(PROJECT_ROOT)
        results.append(
            toolchain.check_lambda_package(package_dir=package_dir, dependencies_dir=dependencies_dir)
        )

    region = args.region if args is not None else DEFAULT_REGION
    try:
        aws_clients = clients(region)
    except BotoCoreError as error:
        results.append(
            CheckResult.fail("aws-credentials", f"cannot set up AWS clients ({error})", aws.CREDENTIALS_FIX)
        )
        return report
    credentials, identity = aws.check_credentials(aws_clients.sts)
    results.append(credentials)
    if identity is None or args is None:
        reason = (
            "no AWS credentials (aws-credentials)"
            if identity is None
            else "invalid stack config (stack-config)"
        )
        if environment:
            results.append(CheckResult.skip("availability-zones", reason))
        results.append(CheckResult.skip("api-gateway-account", reason))
        return report
    if environment:
        results.append(aws.check_zones(aws_clients.ec2, region, args.availability_zone_ids))
    results.append(
        aws.check_api_gateway_account(
            aws_clients.apigateway, aws_clients.iam, region=region, args=args, stack=report.stack
        )
    )
    return report
