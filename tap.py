"""Pulumi entry point: read and validate the stack's config, build ``TapStack``, export its outputs.

All parsing and validation is in ``lib.config`` (pure, tested); this file only gathers the raw
values. A bad value stops the program before any resource is registered, with every problem listed.
"""

from __future__ import annotations

import os

import pulumi
from pulumi.runtime.config import get_config_env

from lib.config import ENVIRONMENT_SUFFIX_VARIABLE, parse_config
from lib.tap_stack import TapStack


def raw_project_config(project: str) -> dict[str, str]:
    """This project's config values, keys without the ``<project>:`` prefix (other namespaces such
    as ``aws:`` are not ours to validate)."""
    prefix = f"{project}:"
    return {
        key[len(prefix) :]: str(value) for key, value in get_config_env().items() if key.startswith(prefix)
    }


def main() -> TapStack:
    args = parse_config(
        raw_project_config(pulumi.get_project()),
        environment_suffix_override=os.environ.get(ENVIRONMENT_SUFFIX_VARIABLE),
    )
    stack = TapStack("tap", args)
    for name, value in stack.outputs.items():
        pulumi.export(name, value)
    return stack


if __name__ == "__main__":  # Pulumi runs the program as __main__; tests import it.
    main()
