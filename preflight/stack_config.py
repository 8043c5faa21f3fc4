"""The stack's effective configuration, checked by the program's own parser (``lib.config``).

The same ``parse_config`` that ``tap.py`` runs, over the same raw values, so a problem found here is
exactly the one ``pulumi up`` would stop on, only earlier and with the fix spelled out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from lib.config import (
    CONFIG_KEYS,
    ENVIRONMENT_SUFFIX_VARIABLE,
    FIELD_KEYS,
    ConfigError,
    ConfigProblem,
    parse_config,
)
from lib.settings import TapStackArgs
from preflight.results import CheckResult

if TYPE_CHECKING:
    from collections.abc import Mapping

    from preflight.project import StackConfig

REGION_KEYS = ("region", "allowedRegions")


@dataclass(frozen=True)
class ConfigOutcome:
    """``parse_config``'s answer: the arguments, or every problem."""

    args: TapStackArgs | None
    problems: tuple[ConfigProblem, ...]


@dataclass(frozen=True)
class Setting:
    """One row of the effective configuration."""

    key: str
    value: str
    source: str
    """``stack file``, ``default``, the environment variable's name, or ``secret (not checked)``."""


def evaluate(stack_config: StackConfig, environ: Mapping[str, str]) -> ConfigOutcome:
    """Run the program's parser over the stack's raw values and ``ENVIRONMENT_SUFFIX``."""
    try:
        args = parse_config(
            stack_config.raw, environment_suffix_override=environ.get(ENVIRONMENT_SUFFIX_VARIABLE)
        )
    except ConfigError as error:
        return ConfigOutcome(None, error.problems)
    return ConfigOutcome(args, ())


def check_config(stack_config: StackConfig, outcome: ConfigOutcome) -> CheckResult:
    """Every config problem, each with the command that fixes it."""
    name = "stack-config"
    where = str(stack_config.path) if stack_config.found else f"{stack_config.path} (not created yet)"
    if outcome.problems:
        detail = f"{len(outcome.problems)} problem(s) in {where}: " + "; ".join(
            str(problem) for problem in outcome.problems
        )
        return CheckResult.fail(
            name, detail, " ".join(_fix_for(problem, stack_config.stack) for problem in outcome.problems)
        )
    if stack_config.secure_keys:
        keys = ", ".join(stack_config.secure_keys)
        return CheckResult.warn(
            name,
            f"{where} is valid, but the encrypted value(s) of {keys} could not be checked",
            f"check them with `pulumi config --show-secrets --stack {stack_config.stack}`",
        )
    origin = where if stack_config.found else f"defaults only: {where}"
    return CheckResult.ok(name, f"valid ({origin})")


def check_region(stack_config: StackConfig, outcome: ConfigOutcome) -> CheckResult:
    """The region is allowed, and ``aws:region`` agrees with it."""
    name = "region"
    region_problems = [problem for problem in outcome.problems if problem.key in REGION_KEYS]
    if region_problems:
        return CheckResult.fail(
            name,
            "; ".join(str(problem) for problem in region_problems),
            " ".join(_fix_for(problem, stack_config.stack) for problem in region_problems),
        )
    if outcome.args is None:
        return CheckResult.skip(name, "the stack config has other problems (stack-config)")
    region = outcome.args.region
    allowed = ", ".join(outcome.args.allowed_regions)
    if stack_config.aws_region is not None and stack_config.aws_region != region:
        return CheckResult.warn(
            name,
            f"the program deploys to {region} (secure-document-api:region), but aws:region is "
            f"{stack_config.aws_region}: tools that read aws:region would look in the wrong region",
            f"`pulumi config set aws:region {region} --stack {stack_config.stack}`",
        )
    return CheckResult.ok(name, f"{region} (allowed: {allowed})")


def effective_settings(
    stack_config: StackConfig, args: TapStackArgs, environ: Mapping[str, str]
) -> list[Setting]:
    """Every setting the stack would deploy with, and where its value comes from."""
    rows: list[Setting] = []
    for args_field in fields(args):
        key = FIELD_KEYS.get(args_field.name)
        if key is None:  # set in code only (e.g. the Lambda package directory), not a config key
            continue
        value = getattr(args, args_field.name)
        if key == "environmentSuffix" and environ.get(ENVIRONMENT_SUFFIX_VARIABLE):
            source = ENVIRONMENT_SUFFIX_VARIABLE
        elif key in stack_config.secure_keys:
            rows.append(Setting(key, "(encrypted)", "secret (not checked)"))
            continue
        elif key in stack_config.raw:
            source = "stack file"
        else:
            source = "default"
        rows.append(Setting(key, format_value(value), source))
    return rows


def format_value(value: Any) -> str:
    """A setting as a person would type it in the stack file."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "(not set)"
    if isinstance(value, tuple):
        return json.dumps(list(value))
    if isinstance(value, (dict, MappingProxyType)):
        return json.dumps(dict(value), sort_keys=True)
    return str(value)


def _fix_for(problem: ConfigProblem, stack: str) -> str:
    if problem.key == ENVIRONMENT_SUFFIX_VARIABLE:
        return f"{problem.key}: change or unset the {ENVIRONMENT_SUFFIX_VARIABLE} environment variable."
    if problem.message.startswith("unknown key"):
        return f"{problem.key}: `pulumi config rm {problem.key} --stack {stack}` (or fix the typo)."
    field_name = CONFIG_KEYS.get(problem.key)
    default = getattr(TapStackArgs(), field_name) if field_name else None
    if isinstance(default, (tuple, MappingProxyType, dict)):
        setter = (
            f"edit it in the stack file (or `pulumi config set --path '{problem.key}[0]' <value> "
            f"--stack {stack}`)"
        )
    else:
        setter = f"`pulumi config set {problem.key} <value> --stack {stack}`"
    return (
        f"{problem.key}: {setter} with a value that follows the rule above, or "
        f"`pulumi config rm {problem.key} --stack {stack}` for the default."
    )
