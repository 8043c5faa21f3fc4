"""Suite-wide pytest hooks."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tests.e2e.targets import STACK_OUTPUTS_VARIABLE

if TYPE_CHECKING:
    import pytest


def pytest_report_header(config: pytest.Config) -> str:
    """Say up front what the end-to-end suite runs against, and how to point it at a deployed stack."""
    outputs = os.environ.get(STACK_OUTPUTS_VARIABLE)
    if outputs:
        return f"e2e target: the deployed stack described by {STACK_OUTPUTS_VARIABLE}={outputs}"
    return (
        "e2e target: local mode, started by the suite (no deployed stack configured: set "
        f"{STACK_OUTPUTS_VARIABLE} to a `pulumi stack output --json` file to run it against one)"
    )
