"""A small evaluator of resource policies for the unit tests, for exactly what our bucket and endpoint
policies use, with IAM's semantics (IAM User Guide, "Policy evaluation logic" and "Condition operators").

- A statement applies when its Principal, Action/NotAction, Resource/NotResource and every condition
  operator match; operators in a block are ANDed, keys in an operator ANDed, values of one key ORed
  (for a negated operator: NOR, i.e. the request value equals none of them).
- A key absent from the request makes a positive operator false and a negated one (``...Not...``) true;
  ``...IfExists`` is true when the key is absent and the base operator otherwise.
- An explicit Deny wins over any Allow; with neither, the answer is an implicit deny.

Only ``Principal: "*"`` statements, single-valued request keys and the operators in ``_OPERATORS`` are
understood; anything else (``Null``, ``ForAnyValue:``, a service principal, an unknown element) raises,
so a policy using an unsupported construct fails its test instead of being misjudged.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Principal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)


@dataclass(frozen=True)
class Request:
    """One request as S3 sees it: the IAM action it is authorised as, the ARN it is on, and the
    condition keys present in its context (absent keys are simply not in ``context``)."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    denied_by: tuple[str, ...]
    allowed_by: tuple[str, ...]

    @property
    def explicitly_denied(self) -> bool:
        return bool(self.denied_by)

    @property
    def allowed(self) -> bool:
        return not self.denied_by and bool(self.allowed_by)


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _glob(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """IAM wildcards: ``*`` any run of characters (slashes included), ``?`` one character."""
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


def _arn_equals(pattern: str, value: str) -> bool:
    """ArnEquals/ArnLike: each of the six colon-separated components matched on its own, case-sensitive."""
    wanted, got = pattern.split(":", 5), value.split(":", 5)
    return len(wanted) == len(got) == 6 and all(
        _glob(w, g, ignore_case=False) for w, g in zip(wanted, got, strict=True)
    )


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    return lambda policy_value, request_value: compare(float(request_value), float(policy_value))


_Match = Callable[[str, str], bool]
_OPERATORS: dict[str, tuple[_Match, bool]] = {
    # name: (does one policy value match the request value, is the operator negated)
    "StringEquals": (lambda p, r: p == r, False),
    "StringNotEquals": (lambda p, r: p == r, True),
    "StringLike": (lambda p, r: _glob(p, r, ignore_case=False), False),
    "StringNotLike": (lambda p, r: _glob(p, r, ignore_case=False), True),
    "NumericLessThan": (_numeric(lambda r, p: r < p), False),
    "NumericGreaterThan": (_numeric(lambda r, p: r > p), False),
    "Bool": (lambda p, r: p.lower() == r.lower(), False),
    "ArnEquals": (_arn_equals, False),
    "ArnNotEquals": (_arn_equals, True),
}


def _as_list(value: Any) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"expected a string or a list of strings, got {value!r}")
    return values


def _context_value(context: Mapping[str, str], key: str) -> str | None:
    """Condition key names are case-insensitive."""
    matches = [v for k, v in context.items() if k.lower() == key.lower()]
    if len(matches) > 1:
        raise ValueError(f"request context names {key!r} twice")
    return matches[0] if matches else None


def _operator_holds(operator: str, keys: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    base, if_exists = (
        (operator[: -len("IfExists")], True) if operator.endswith("IfExists") else (operator, False)
    )
    if base not in _OPERATORS:
        raise NotImplementedError(f"condition operator {operator!r} is not supported by this evaluator")
    match, negated = _OPERATORS[base]
    for key, policy_values in keys.items():
        value = _context_value(context, key)
        if value is None:
            holds = if_exists or negated
        else:
            any_match = any(match(p, value) for p in _as_list(policy_values))
            holds = not any_match if negated else any_match
        if not holds:
            return False
    return True


def _principal_matches(principal: Any) -> bool:
    if principal == "*" or principal == {"AWS": "*"}:
        return True
    raise NotImplementedError(f"principal {principal!r} is not supported by this evaluator")


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise NotImplementedError(f"statement elements {sorted(unknown)} are not supported")
    if ("Action" in statement) == ("NotAction" in statement):
        raise ValueError("a statement needs exactly one of Action / NotAction")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise ValueError("a statement needs exactly one of Resource / NotResource")
    if "Principal" in statement and not _principal_matches(statement["Principal"]):
        return False
    actions_key = "Action" if "Action" in statement else "NotAction"
    action_listed = any(_glob(a, request.action, ignore_case=True) for a in _as_list(statement[actions_key]))
    if action_listed != (actions_key == "Action"):
        return False
    resources_key = "Resource" if "Resource" in statement else "NotResource"
    resource_listed = any(
        _glob(r, request.resource, ignore_case=False) for r in _as_list(statement[resources_key])
    )
    if resource_listed != (resources_key == "Resource"):
        return False
    condition: Mapping[str, Mapping[str, Any]] = statement.get("Condition", {})
    return all(_operator_holds(operator, keys, request.context) for operator, keys in condition.items())


def evaluate(policy: Mapping[str, Any], request: Request) -> Decision:
    """Which statements deny and which allow this request (explicit deny wins: see ``Decision``)."""
    if policy.get("Version") != "2012-10-17":
        raise ValueError("policy language version 2012-10-17 expected")
    denied: list[str] = []
    allowed: list[str] = []
    for index, statement in enumerate(policy["Statement"]):
        effect = statement["Effect"]
        if effect not in ("Allow", "Deny"):
            raise ValueError(f"bad Effect {effect!r}")
        if _applies(statement, request):
            (denied if effect == "Deny" else allowed).append(statement.get("Sid", f"#{index}"))
    return Decision(denied_by=tuple(denied), allowed_by=tuple(allowed))
