"""Fixtures: the program synthesized under mocks (the infra suite's helper) for every shipped variant."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pytest

from lib.settings import ApiLoggingLevel, EncryptionMode, TapStackArgs
from tests.unit.infra.synth import MOCK_ACCOUNT_ID, CapturedResource, synthesize

if TYPE_CHECKING:
    from collections.abc import Callable

VARIANTS: dict[str, TapStackArgs] = {
    "default": TapStackArgs(),
    "kms": TapStackArgs(encryption_mode=EncryptionMode.KMS),
    "waf-off": TapStackArgs(enable_waf=False),
    "function-url-off": TapStackArgs(enable_function_url=False),
    "api-gateway-account-managed": TapStackArgs(manage_api_gateway_account=True),
    "zones-configured": TapStackArgs(availability_zone_ids=("use1-az6", "use1-az4")),
    "reserved-concurrency": TapStackArgs(reserved_concurrency=10),
    "snap-start": TapStackArgs(enable_snap_start=True),
    "break-glass-and-auditors": TapStackArgs(
        break_glass_principal_arns=(f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/break-glass",),
        auditor_principal_arns=(f"arn:aws:iam::{MOCK_ACCOUNT_ID}:role/security-audit",),
    ),
    "error-logging-alarm-email": TapStackArgs(
        api_logging_level=ApiLoggingLevel.ERROR, alarm_email="ops@example.com", log_retention_days=731
    ),
    "force-destroy": TapStackArgs(force_destroy=True),
    "malware-scanning": TapStackArgs(enable_malware_scanning=True),
    "malware-scanning-kms": TapStackArgs(enable_malware_scanning=True, encryption_mode=EncryptionMode.KMS),
    "kms-minimal": TapStackArgs(
        encryption_mode=EncryptionMode.KMS,
        enable_waf=False,
        enable_function_url=False,
        manage_api_gateway_account=False,
    ),
}
"""Every config switch the program offers, alone and (``kms-minimal``) combined."""

PACK_CONFIGS: dict[str, str] = {
    "waf-off": "waf-disabled.json",
    "force-destroy": "force-destroy.json",
    "kms-minimal": "waf-disabled.json",
}
"""Variants that switch a control off in the program must switch its policy to advisory too."""


@pytest.fixture(scope="session")
def synthesized() -> dict[str, list[CapturedResource]]:
    """Each variant's captured resources, built once per session (read-only data)."""
    return {name: synthesize(args) for name, args in VARIANTS.items()}


@pytest.fixture(scope="session")
def default_stack(synthesized: dict[str, list[CapturedResource]]) -> list[CapturedResource]:
    return synthesized["default"]


def find(captured: list[CapturedResource], type_token: str, name_suffix: str = "") -> CapturedResource:
    matches = [c for c in captured if c.type == type_token and c.name.endswith(name_suffix)]
    assert len(matches) == 1, f"expected one {type_token} *{name_suffix}, found {[c.name for c in matches]}"
    return matches[0]


def with_state(
    captured: list[CapturedResource],
    type_token: str,
    name_suffix: str,
    change: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[CapturedResource]:
    """A copy of the stack where one resource's outputs (and inputs) went through ``change``."""
    target = find(captured, type_token, name_suffix)
    changed = replace(target, state=change(json.loads(json.dumps(target.state, default=str))))
    changed = replace(changed, inputs={k: v for k, v in changed.state.items() if k in target.inputs})
    return [changed if c is target else c for c in captured]


def without(
    captured: list[CapturedResource], type_token: str, name_suffix: str = ""
) -> list[CapturedResource]:
    target = find(captured, type_token, name_suffix)
    return [c for c in captured if c is not target]


def plus(
    captured: list[CapturedResource], type_token: str, name: str, state: dict[str, Any]
) -> list[CapturedResource]:
    added = CapturedResource(
        type=type_token,
        name=name,
        inputs=state,
        state={"id": f"{name}-id", **state},
        provider=None,
        custom=True,
        urn=f"urn:pulumi:unit::secure-document-api::{type_token}::{name}",
    )
    return [*captured, added]


def edit_policy(
    key: str, edit: Callable[[dict[str, Any]], None]
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A ``change`` that parses the JSON policy at ``key``, edits it in place and writes it back."""

    def change(state: dict[str, Any]) -> dict[str, Any]:
        document = json.loads(state[key])
        edit(document)
        return {**state, key: json.dumps(document)}

    return change
