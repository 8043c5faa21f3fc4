"""The secure document API's guardrails: every policy of the pack, importable without starting it.

``POLICIES`` is what ``policy/__main__.py`` hands to ``PolicyPack``; tests run the same objects (or
the pure check functions in each module) over resources captured from the program under mocks.
Modules import each other relatively, so this package works both as ``policy.guardrails`` (tests)
and as the top-level ``guardrails`` the Pulumi CLI sees when it runs the pack directory.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from . import api, catalogue, compute, iam, keys, malware, monitoring, network, s3

if TYPE_CHECKING:
    from pulumi_policy import Policy

PACK_NAME: Final = "secure-document-api-guardrails"

POLICIES: Final[list[Policy]] = [
    *s3.POLICIES,
    *compute.POLICIES,
    *api.POLICIES,
    *network.POLICIES,
    *monitoring.POLICIES,
    *keys.POLICIES,
    *iam.POLICIES,
    *catalogue.POLICIES,
    *malware.POLICIES,
]

__all__ = ["PACK_NAME", "POLICIES"]
