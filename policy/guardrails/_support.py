"""Shared plumbing: reading property dicts as the policy SDK hands them over, and policy factories.

The SDK wraps every resource's properties in read-only ``Mapping``/``Sequence`` proxies (not ``dict``
and ``list``) that raise ``UnknownValueError`` when a value is not known yet (during ``preview``).
The helpers here therefore test for ``Mapping``/``Sequence`` and never swallow that error: the SDK
turns it into an advisory "can't run during preview" note, which is the honest outcome.

Every check is a pure function over property mappings returning messages; the factories at the end
adapt them to ``ResourceValidationPolicy``/``StackValidationPolicy`` so tests can call either.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

if TYPE_CHECKING:
    from collections.abc import Collection

MANDATORY: Final = EnforcementLevel.MANDATORY
ADVISORY: Final = EnforcementLevel.ADVISORY

Props = Mapping[str, Any]
Config = Mapping[str, Any]


class StackResource(Protocol):
    """What stack checks read of a resource (``pulumi_policy.PolicyResource`` has these)."""

    @property
    def resource_type(self) -> str: ...

    @property
    def props(self) -> Mapping[str, Any]: ...

    @property
    def urn(self) -> str: ...

    @property
    def name(self) -> str: ...


class Finding(NamedTuple):
    """One stack-level violation: what is wrong and how to fix it, on which resource (or the stack)."""

    message: str
    urn: str | None = None


ResourceCheck = Callable[[Props, Config], Iterable[str]]
StackCheck = Callable[[Sequence[StackResource], Config], Iterable[Finding]]


# --- reading property values -------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """IAM and the AWS schema accept a scalar or a list in many places: always get a list."""
    if value is None:
        return []
    if isinstance(value, str | Mapping):
        return [value]
    if isinstance(value, Sequence):
        return list(value)
    return [value]


def is_true(value: Any) -> bool:
    """Booleans may arrive as strings from some providers; only an explicit true counts."""
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def text(value: Any) -> str:
    """A string property, or ``""`` when absent."""
    return value if isinstance(value, str) else ""


def number(value: Any) -> float | None:
    """Numbers arrive as floats (protobuf); ``None`` when absent or not numeric."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def nested(props: Props, *path: str) -> Any:
    """``props[a][b]...`` or ``None`` when a level is missing. Nested blocks may be lists of one."""
    current: Any = props
    for key in path:
        if isinstance(current, Sequence) and not isinstance(current, str):
            current = current[0] if len(current) else None
        if not isinstance(current, Mapping):
            return None
        current = current.get(key)
    return current


# --- IAM-style policy documents -----------------------------------------------------------------


class PolicyDocumentError(ValueError):
    """A policy property that is not a JSON policy document."""


def policy_document(value: Any) -> Mapping[str, Any]:
    """Parse a ``policy`` property (JSON text, or already an object)."""
    if isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or not value.strip():
        raise PolicyDocumentError("the policy is empty")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise PolicyDocumentError(f"the policy is not valid JSON ({error.msg})") from error
    if not isinstance(parsed, Mapping):
        raise PolicyDocumentError("the policy is not a JSON object")
    return parsed


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [a for a in as_list(statement.get("Action")) if isinstance(a, str)]


def covers(statement: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's ``Action`` patterns match ``action`` (IAM wildcards, any case)."""
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in actions(statement))


def resources(statement: Mapping[str, Any]) -> list[str]:
    return [r for r in as_list(statement.get("Resource")) if isinstance(r, str)]


def effect(statement: Mapping[str, Any]) -> str:
    return text(statement.get("Effect"))


def principal_values(statement: Mapping[str, Any]) -> list[str]:
    """Every principal of a statement, flattened (``"*"`` and ``{"AWS": "*"}`` both give ``"*"``)."""
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, Mapping):
        return [p for values in principal.values() for p in as_list(values) if isinstance(p, str)]
    return []


def service_principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if isinstance(principal, Mapping):
        return [p for p in as_list(principal.get("Service")) if isinstance(p, str)]
    return []


def is_public_principal(statement: Mapping[str, Any]) -> bool:
    return "*" in principal_values(statement)


def condition_values(statement: Mapping[str, Any], operators: Collection[str], key: str) -> list[str]:
    """Values of condition ``key`` under any of ``operators`` (keys compare case-insensitively, as
    IAM does; set operators such as ``ForAnyValue:`` are stripped before matching the operator)."""
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return []
    wanted = {operator.lower() for operator in operators}
    found: list[str] = []
    for operator, entries in condition.items():
        bare = operator.split(":", 1)[1] if ":" in operator else operator
        if bare.lower() not in wanted or not isinstance(entries, Mapping):
            continue
        for condition_key, values in entries.items():
            if condition_key.lower() == key.lower():
                found.extend(str(v) for v in as_list(values))
    return found


def has_condition(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    return isinstance(condition, Mapping) and len(condition) > 0


def denies_insecure_transport(document: Mapping[str, Any]) -> bool:
    """A Deny to everyone of every S3 action (object and bucket actions alike, i.e. ``s3:*``) when
    ``aws:SecureTransport`` is false (S3.5)."""
    return any(
        effect(s) == "Deny"
        and is_public_principal(s)
        and covers(s, "s3:GetObject")
        and covers(s, "s3:PutBucketPolicy")
        and "false" in [v.lower() for v in condition_values(s, ("Bool",), "aws:SecureTransport")]
        for s in statements(document)
    )


def denies_outdated_tls(document: Mapping[str, Any], *, minimum: str) -> bool:
    """A Deny to everyone when ``s3:TlsVersion`` is below ``minimum``."""
    return any(
        effect(s) == "Deny"
        and is_public_principal(s)
        and covers(s, "s3:GetObject")
        and covers(s, "s3:PutBucketPolicy")
        and minimum in condition_values(s, ("NumericLessThan",), "s3:TlsVersion")
        for s in statements(document)
    )


# --- finding resources in a stack ---------------------------------------------------------------


def of_type(resources_: Iterable[StackResource], types: Collection[str]) -> list[StackResource]:
    return [r for r in resources_ if r.resource_type in types]


def identifiers(resource: StackResource, *keys: str) -> set[str]:
    """The values other resources use to refer to this one (``id`` plus e.g. ``arn``, ``name``)."""
    found: set[str] = set()
    for key in ("id", *keys):
        value = resource.props.get(key)
        if isinstance(value, str) and value:
            found.add(value)
    return found


def refers_to(value: Any, resource: StackResource, *keys: str) -> bool:
    return isinstance(value, str) and value in identifiers(resource, *keys)


def label(resource: StackResource) -> str:
    """How messages name a resource: its logical name and type."""
    return f"{resource.name!r} ({resource.resource_type})"


# --- policy factories ---------------------------------------------------------------------------


def props_only(check: Callable[[Props], Iterable[str]]) -> ResourceCheck:
    """Adapt a check that takes no policy configuration."""
    return lambda props, config: check(props)


def resources_only(check: Callable[[Sequence[StackResource]], Iterable[Finding]]) -> StackCheck:
    """Adapt a stack check that takes no policy configuration (the twin of ``props_only``)."""
    return lambda resources, config: check(resources)


def resource_policy(
    *,
    name: str,
    description: str,
    resource_types: Collection[str],
    check: ResourceCheck,
    enforcement_level: EnforcementLevel = MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
) -> ResourceValidationPolicy:
    """A per-resource policy that runs ``check`` on resources of ``resource_types`` only."""
    types = frozenset(resource_types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        for message in check(args.props, args.get_config()):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
    )


def typed_resource_policy(
    *,
    name: str,
    description: str,
    resource_types: Collection[str],
    check: Callable[[Props, str], Iterable[str]],
    enforcement_level: EnforcementLevel = MANDATORY,
) -> ResourceValidationPolicy:
    """A per-resource policy whose check also gets the resource's type: for controls that read the
    same thing from differently shaped resources (inline rules vs. rule resources)."""
    types = frozenset(resource_types)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in types:
            return
        for message in check(args.props, args.resource_type):
            report_violation(message, None)

    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=enforcement_level
    )


def stack_policy(
    *,
    name: str,
    description: str,
    check: StackCheck,
    enforcement_level: EnforcementLevel = MANDATORY,
    config_schema: PolicyConfigSchema | None = None,
) -> StackValidationPolicy:
    """A cross-resource policy: ``check`` sees every resource of the stack."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for finding in check(args.resources, args.get_config()):
            report_violation(finding.message, finding.urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement_level,
        config_schema=config_schema,
    )
