"""Which availability zones the network uses: chosen by zone ID, deterministically.

Zone *names* (``us-east-1a``) are mapped to physical zones independently in every account, so a
hard-coded name lands in a different data centre per account, and may be one where Lambda cannot
place its network interfaces. Zone *IDs* (``use1-az1``) name the same physical zone everywhere.
The program reads the region's available zones (``ec2:DescribeAvailabilityZones``) and hands them
to ``choose_zone_ids``; a preflight check can call it with the same data before any ``up``.

Pure: no Pulumi, no AWS calls.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "LAMBDA_UNSUPPORTED_ZONE_IDS",
    "REQUIRED_ZONE_COUNT",
    "ZONE_ID_PATTERN",
    "ZoneChoiceError",
    "choose_zone_ids",
    "is_zone_id",
    "override_problems",
]

LAMBDA_UNSUPPORTED_ZONE_IDS: Final[frozenset[str]] = frozenset({"use1-az3"})
"""Zone IDs where Lambda rejects VPC subnets.

Creating a VPC function there fails with "The provided subnets contain availability zone Lambda
doesn't support. Please use a different set of subnets." Known case: ``use1-az3`` (us-east-1, the
zone named ``us-east-1e`` in many accounts), reported e.g. in keboola/developer-portal#81; AWS
publishes no list (checked 2026-12). Add an ID here when Lambda is seen refusing it.
"""

REQUIRED_ZONE_COUNT: Final = 2
"""The network has one public and one private subnet in each of this many zones."""

ZONE_ID_PATTERN: Final = re.compile(r"[a-z]{3,5}[0-9]{1,2}-az[0-9]{1,2}")
"""A regular availability zone's ID (``use1-az1``, ``apne1-az4``, ``cnnw1-az1``).

Local Zones (``usw2-lax1-az1``) and Wavelength Zones (``use1-wl1-bos-wlz1``) do not match: they do
not offer the services this stack needs.
"""

_DIGITS = re.compile(r"(\d+)")


class ZoneChoiceError(ValueError):
    """No valid choice of zones; the message says what to change."""


def is_zone_id(value: str) -> bool:
    """Whether ``value`` has the shape of a regular availability zone ID."""
    return ZONE_ID_PATTERN.fullmatch(value) is not None


def choose_zone_ids(
    available: Mapping[str, str] | Sequence[tuple[str, str]],
    *,
    override: Sequence[str] = (),
    count: int = REQUIRED_ZONE_COUNT,
) -> tuple[str, ...]:
    """The ``count`` zone IDs the subnets go into, in subnet order.

    ``available`` maps zone ID -> zone name of the region's *available* zones (any order).
    Without ``override``: the Lambda-supported regular zones, sorted by zone ID (numerically, so
    ``az2`` before ``az10``), first ``count`` of them: the same answer in every account and on
    every run, whatever order AWS lists them in. With ``override`` (the ``availabilityZoneIds``
    setting): exactly those, in that order, after checking each is available and supported.
    Raises ``ZoneChoiceError`` saying how to fix the problem.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1; got {count}")
    zones = dict(available.items() if isinstance(available, Mapping) else available)
    if override:
        return _checked_override(tuple(override), zones, count)
    usable = _usable(zones)
    if len(usable) < count:
        found = ", ".join(_describe(zone_id, zones) for zone_id in usable) or "none"
        raise ZoneChoiceError(
            f"the region offers {len(usable)} available availability zone(s) where Lambda can run "
            f"({found}); the network needs {count}. Deploy to a region with at least {count}, or check "
            f"that the account's zones are not impaired (aws ec2 describe-availability-zones)."
        )
    return tuple(usable[:count])


def override_problems(override: Sequence[str], *, count: int = REQUIRED_ZONE_COUNT) -> list[str]:
    """What is wrong with an ``availabilityZoneIds`` list on its own (no AWS data needed).

    Config validation reports these before anything runs; ``choose_zone_ids`` adds the check that
    each zone is available to the account.
    """
    problems: list[str] = []
    if len(override) != count:
        problems.append(f"must list exactly {count} zone IDs; got {len(override)}")
    problems.extend(
        f"lists {zone_id!r} more than once"
        for zone_id in sorted(set(override))
        if list(override).count(zone_id) > 1
    )
    for zone_id in dict.fromkeys(override):
        if not is_zone_id(zone_id):
            problems.append(
                f"{zone_id!r} is not an availability zone ID such as 'use1-az1' "
                f"(Local and Wavelength Zones are not supported)"
            )
        elif zone_id in LAMBDA_UNSUPPORTED_ZONE_IDS:
            problems.append(f"Lambda does not support VPC subnets in {zone_id!r}")
    return problems


def _checked_override(override: tuple[str, ...], zones: dict[str, str], count: int) -> tuple[str, ...]:
    problems = override_problems(override, count=count)
    problems.extend(
        f"{zone_id!r} is not an available zone of this region for this account"
        for zone_id in dict.fromkeys(override)
        if is_zone_id(zone_id) and zone_id not in LAMBDA_UNSUPPORTED_ZONE_IDS and zone_id not in zones
    )
    if problems:
        usable = ", ".join(_describe(zone_id, zones) for zone_id in _usable(zones)) or "none"
        raise ZoneChoiceError(
            f"availabilityZoneIds: {'; '.join(problems)}. Zones available here where Lambda can run: "
            f"{usable}. Fix availabilityZoneIds, or remove it to choose zones automatically."
        )
    return override


def _usable(zones: Mapping[str, str]) -> list[str]:
    """Regular, Lambda-supported zone IDs, sorted numerically."""
    return sorted(
        (zone_id for zone_id in zones if is_zone_id(zone_id) and zone_id not in LAMBDA_UNSUPPORTED_ZONE_IDS),
        key=_natural_key,
    )


def _describe(zone_id: str, zones: Mapping[str, str]) -> str:
    name = zones.get(zone_id)
    return f"{zone_id} ({name})" if name else zone_id


def _natural_key(zone_id: str) -> tuple[tuple[int, str], ...]:
    """Sort key that compares digit runs as numbers: ``use1-az2`` < ``use1-az10``."""
    return tuple((int(part), "") if part.isdigit() else (0, part) for part in _DIGITS.split(zone_id))
