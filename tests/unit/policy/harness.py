"""Run the pack's policies the way the Pulumi engine's analyzer does, without starting the pack.

Resource policies get ``ResourceValidationArgs`` with the resource's *inputs*; stack policies get
``StackValidationArgs`` with every resource's *outputs* (the mocks' state). Properties are wrapped
in the SDK's own ``unknown_checking_proxy``, so checks see the same read-only ``Mapping``/
``Sequence`` proxies as under ``pulumi preview`` (not plain dicts, which would hide type bugs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import unknown_checking_proxy

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from tests.unit.infra.synth import CapturedResource

POLICY_DIR = Path(__file__).resolve().parents[3] / "policy"


@dataclass(frozen=True)
class Violation:
    policy: str
    level: EnforcementLevel
    message: str
    urn: str | None


def options(parent: str | None = None) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=parent,
    )


def resource_args(
    resource_type: str,
    props: Mapping[str, Any],
    *,
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
) -> ResourceValidationArgs:
    """The argument bag the analyzer builds for one resource (props proxied as in the engine)."""
    return ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(dict(props)),
        f"urn:pulumi:test::project::{resource_type}::{name}",
        name,
        options(),
        None,
        config,
    )


def policy_resource(
    resource_type: str, props: Mapping[str, Any], *, name: str = "subject", urn: str | None = None
) -> PolicyResource:
    return PolicyResource(
        resource_type,
        unknown_checking_proxy(dict(props)),
        urn or f"urn:pulumi:test::project::{resource_type}::{name}",
        name,
        options(),
        None,
        None,
        [],
        {},
    )


def stack_resources(captured: Iterable[CapturedResource]) -> list[PolicyResource]:
    """Captured registrations as ``PolicyResource``s (outputs as props; parents and dependencies linked)."""
    captured = list(captured)
    built = {c.urn: policy_resource(c.type, c.state, name=c.name, urn=c.urn) for c in captured}
    for c in captured:
        resource = built[c.urn]
        resource.parent = built.get(c.parent)
        resource.dependencies = [built[d] for d in c.dependencies if d in built]
    return list(built.values())


def validate_resource(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """Messages one resource policy reports for one resource, through its validate callback."""
    messages: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    policy.validate(resource_args(resource_type, props, config=config), report)
    return messages


def validate_stack(
    policy: StackValidationPolicy,
    resources: Sequence[PolicyResource],
    *,
    config: Mapping[str, Any] | None = None,
) -> list[tuple[str, str | None]]:
    """``(message, urn)`` pairs one stack policy reports."""
    reported: list[tuple[str, str | None]] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append((message, urn))

    policy.validate(StackValidationArgs(list(resources), config), report)
    return reported


def enforcement_levels(
    policies: Sequence[Policy], pack_config: Mapping[str, Any] | None = None
) -> dict[str, EnforcementLevel]:
    """Each policy's effective level: its own, unless the policy-pack config overrides it (as the
    CLI's ``--policy-pack-config`` does)."""
    levels = {p.name: p.enforcement_level or EnforcementLevel.MANDATORY for p in policies}
    for name, value in (pack_config or {}).items():
        level = value if isinstance(value, str) else value.get("enforcementLevel")
        if level is not None:
            levels[name] = EnforcementLevel(level)
    return levels


def run_pack(
    policies: Sequence[Policy],
    captured: Sequence[CapturedResource],
    *,
    pack_config: Mapping[str, Any] | None = None,
) -> list[Violation]:
    """Every policy over every captured custom resource (inputs) and over the whole stack (outputs)."""
    levels = enforcement_levels(policies, pack_config)
    stack = stack_resources(captured)
    violations: list[Violation] = []
    for policy in policies:
        level = levels[policy.name]
        if level is EnforcementLevel.DISABLED:
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for resource in captured:
                if resource.custom:
                    violations.extend(
                        Violation(policy.name, level, message, resource.urn)
                        for message in validate_resource(policy, resource.type, resource.inputs)
                    )
        elif isinstance(policy, StackValidationPolicy):
            violations.extend(
                Violation(policy.name, level, message, urn) for message, urn in validate_stack(policy, stack)
            )
    return violations


def load_pack_config(name: str) -> dict[str, Any]:
    """A shipped ``--policy-pack-config`` file from ``policy/config``."""
    loaded: dict[str, Any] = json.loads((POLICY_DIR / "config" / name).read_text(encoding="utf-8"))
    return loaded
