"""Pulumi entry point: read and validate the stack's config, build ``TapStack``, export its outputs.

The CLI runs the project directory, whose ``__main__.py`` calls ``main()`` (that file says why the
program is the directory and not this file). All parsing and validation is in ``lib.config`` (pure,
tested); this file only gathers the raw values. A bad value stops the program before any resource is
registered, with every problem listed.
"""

from __future__ import annotations

import os

import pulumi
from pulumi.runtime.config import get_config_env

from lib.account_stack import AccountStack
from lib.config import CONFIG_KEYS, ENVIRONMENT_SUFFIX_VARIABLE, parse_config
from lib.settings import StackKind
from lib.tap_stack import TapStack


def raw_project_config(config: pulumi.Config) -> dict[str, str]:
    """This project's raw config values, keys without the ``<project>:`` prefix.

    Known keys are read through ``pulumi.Config``; every other key of the project's namespace that
    the engine passed in is included too, so ``parse_config`` can reject typos instead of silently
    ignoring them. Other namespaces (``aws:``) are not ours to validate.
    """
    raw = {key: value for key in CONFIG_KEYS if (value := config.get(key)) is not None}
    prefix = f"{config.name}:"
    for key, value in get_config_env().items():
        if key.startswith(prefix) and key[len(prefix) :] not in raw:
            raw[key[len(prefix) :]] = str(value)
    return raw


def main() -> TapStack | AccountStack:
    args = parse_config(
        raw_project_config(pulumi.Config()),
        environment_suffix_override=os.environ.get(ENVIRONMENT_SUFFIX_VARIABLE),
    )
    # One program, two kinds of stack: an environment, or the once-per-region account setting.
    stack: TapStack | AccountStack = (
        AccountStack("account", args)
        if args.stack_kind is StackKind.API_GATEWAY_ACCOUNT
        else TapStack("tap", args)
    )
    for name, value in stack.outputs.items():
        pulumi.export(name, value)
    return stack
