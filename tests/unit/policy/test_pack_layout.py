"""The pack's files agree with each other and with the lock: what the CLI installs is what we test."""

from __future__ import annotations

import ast
import re
import sys
import tomllib

import yaml

from policy.guardrails import POLICIES
from tests.unit.policy.harness import POLICY_DIR, load_pack_config

CONTROL_ID = re.compile(
    r"^(project-|(s3|lambda|apigateway|ec2|cloudwatch|kms|iam|dynamodb|sqs)-\d+-|ckv2?-aws-\d+-)"
)


def test_policy_names_are_unique_valid_and_carry_their_control_ids() -> None:
    names = [policy.name for policy in POLICIES]

    assert len(names) == len(set(names))
    assert [n for n in names if not re.fullmatch(r"[a-z0-9-]{1,100}", n)] == []
    assert [n for n in names if not CONTROL_ID.match(n)] == []


def test_requirements_pin_the_locked_versions() -> None:
    """``policy/requirements.txt`` feeds the CLI-created venv; it must match ``uv.lock`` exactly."""
    lock = tomllib.loads((POLICY_DIR.parent / "uv.lock").read_text(encoding="utf-8"))
    locked = {package["name"]: package["version"] for package in lock["package"]}
    lines = (POLICY_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))

    assert pins == {"pulumi-policy": locked["pulumi-policy"], "pulumi": locked["pulumi"]}


def test_project_file_declares_a_python_pack_with_its_own_virtualenv() -> None:
    project = yaml.safe_load((POLICY_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))

    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert (POLICY_DIR / ".gitignore").read_text(encoding="utf-8").split() == ["venv/"]


def test_shipped_pack_configs_name_existing_policies_and_only_relax_them() -> None:
    names = {policy.name for policy in POLICIES}

    for path in sorted((POLICY_DIR / "config").glob("*.json")):
        config = load_pack_config(path.name)
        assert set(config) <= names, path.name
        assert {entry["enforcementLevel"] for entry in config.values()} <= {"advisory"}, path.name


def test_guardrails_import_only_the_standard_library_and_the_policy_sdk() -> None:
    """The pack's venv holds pulumi-policy (and pulumi) only: no pulumi_aws, no lib/, no yaml."""
    imported: set[str] = set()
    for module in sorted((POLICY_DIR / "guardrails").glob("*.py")):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])

    assert imported - set(sys.stdlib_module_names) == {"pulumi_policy"}
