"""Fixtures of the preflight tests: a scratch project, fake local tools, AWS clients answered by Stubber.

No network and no credentials: the clients get fixed fake keys, and every call they make is answered
by ``botocore.stub.Stubber`` (an unexpected call fails the test).
"""

from __future__ import annotations

import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.stub import Stubber

from preflight.clients import AwsClients

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

REPOSITORY = Path(__file__).resolve().parents[3]
PROJECT_NAME = "secure-document-api"
ACCOUNT = "123456789012"
CALLER_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/alice"
US_EAST_1_ZONES = {
    "use1-az6": "us-east-1d",
    "use1-az3": "us-east-1a",
    "use1-az4": "us-east-1f",
    "use1-az1": "us-east-1c",
    "use1-az5": "us-east-1b",
    "use1-az2": "us-east-1e",
}
"""One account's view of us-east-1 (zone ID -> name): here us-east-1a is use1-az3, which Lambda refuses."""


def write_project(directory: Path, *, options: str = "    toolchain: uv\n    virtualenv: .venv\n") -> Path:
    """A Pulumi.yaml like the repository's, with the given runtime options."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(
        f"name: {PROJECT_NAME}\nruntime:\n  name: python\n  options:\n{options}main: .\n", encoding="utf-8"
    )
    return directory


def write_stack(directory: Path, stack: str, body: str) -> Path:
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def fake_tool(bin_dir: Path, name: str, *, stdout: str = "", exit_code: int = 0) -> Path:
    """An executable ``name`` in ``bin_dir`` that prints ``stdout`` and exits with ``exit_code``."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    tool = bin_dir / name
    tool.write_text(f"#!/bin/sh\nprintf '%s\\n' '{stdout}'\nexit {exit_code}\n", encoding="utf-8")
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return tool


def make_venv(directory: Path, *, pip: bool) -> Path:
    """A directory that looks like a virtualenv to Pulumi (bin/python; bin/pip when asked)."""
    venv = directory / ".venv"
    fake_tool(venv / "bin", "python", stdout="Python 3.13.1")
    if pip:
        fake_tool(venv / "bin", "pip", stdout="pip 25.3")
    return venv


def make_lambda_package(directory: Path) -> tuple[Path, Path]:
    """A service package and dependency directory that ``lib.lambda_asset.package_files`` accepts."""
    package = directory / "document_processor"
    for module in ("__init__", "handler"):
        (package / "__pycache__").mkdir(parents=True, exist_ok=True)
        (package / f"{module}.py").write_text("", encoding="utf-8")
        (package / "__pycache__" / f"{module}.cpython-313.pyc").write_bytes(b"")
    dependencies = directory / "build" / "lambda-deps"
    (dependencies / "pypdf" / "__pycache__").mkdir(parents=True)
    (dependencies / "pypdf" / "__init__.py").write_text("", encoding="utf-8")
    (dependencies / "pypdf" / "__pycache__" / "__init__.cpython-313.pyc").write_bytes(b"")
    return package, dependencies


@dataclass
class Stubbed:
    """AWS clients with a ``Stubber`` each; ``clients`` is what the checks receive."""

    clients: AwsClients
    sts: Stubber
    ec2: Stubber
    apigateway: Stubber
    iam: Stubber

    def factory(self, regions: list[str]) -> Callable[[str], AwsClients]:
        """A ``clients(region)`` callable that records the region it was asked for."""

        def make(region: str) -> AwsClients:
            regions.append(region)
            return self.clients

        return make


@pytest.fixture(scope="session")
def aws_clients() -> AwsClients:
    """Built once (loading the EC2 model is slow); each test gets fresh Stubbers on them."""
    session = boto3.Session(
        aws_access_key_id="AKIAFAKEFAKEFAKEFAKE", aws_secret_access_key="fake", region_name="us-east-1"
    )
    return AwsClients(
        sts=session.client("sts"),
        ec2=session.client("ec2"),
        apigateway=session.client("apigateway"),
        iam=session.client("iam"),
    )


@pytest.fixture
def stubbed(aws_clients: AwsClients) -> Iterator[Stubbed]:
    clients = aws_clients
    stubs = Stubbed(
        clients,
        Stubber(clients.sts),
        Stubber(clients.ec2),
        Stubber(clients.apigateway),
        Stubber(clients.iam),
    )
    for stub in (stubs.sts, stubs.ec2, stubs.apigateway, stubs.iam):
        stub.activate()
    yield stubs
    for stub in (stubs.sts, stubs.ec2, stubs.apigateway, stubs.iam):
        stub.assert_no_pending_responses()
        stub.deactivate()


def which_in(bin_dir: Path) -> Callable[[str], str | None]:
    """``shutil.which`` that looks only in ``bin_dir`` (the machine's own tools stay out of the test)."""
    return lambda name: shutil.which(name, path=str(bin_dir))
