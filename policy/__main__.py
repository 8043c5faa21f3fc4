"""Entry point the Pulumi CLI runs: build the policy pack from ``guardrails.POLICIES``, nothing else.

The CLI executes this directory as a script (``runpy.run_path``), so ``guardrails`` is a top-level
package here; elsewhere (tests) it is ``policy.guardrails``. Constructing ``PolicyPack`` starts the
analyzer's gRPC server and blocks, which is why no test imports this file.
"""

from __future__ import annotations

from guardrails import PACK_NAME, POLICIES  # type: ignore[import-not-found]  # see module docstring
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Security Hub / checkov controls and the secure document API's own invariants.",
)
