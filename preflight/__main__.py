"""``python -m preflight [--stack NAME] [--json]`` (``make preflight STACK=NAME``).

Exit codes: 0 every check passed or only warned, 1 at least one check failed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from preflight.clients import boto3_clients
from preflight.processes import command_runner
from preflight.render import render
from preflight.runner import run_preflight

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from preflight.clients import AwsClients
    from preflight.processes import Runner
    from preflight.toolchain import Which

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""The repository root, where Pulumi.yaml is."""


def main(
    argv: Sequence[str] | None = None,
    *,
    project_dir: Path = PROJECT_DIR,
    environ: Mapping[str, str] | None = None,
    which: Which = shutil.which,
    run: Runner | None = None,
    clients: Callable[[str], AwsClients] = boto3_clients,
) -> int:
    """Run the preflight and print the report; the keyword arguments let tests replace the outside world."""
    parser = argparse.ArgumentParser(
        prog="python -m preflight", description="Check everything `pulumi up` needs, before running it."
    )
    parser.add_argument("--stack", help="stack to check (default: $PULUMI_STACK, else the selected stack)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    options = parser.parse_args(argv)
    report = run_preflight(
        project_dir,
        stack=options.stack,
        environ=os.environ if environ is None else environ,
        which=which,
        run=run or command_runner(project_dir),
        clients=clients,
    )
    output = json.dumps(report.as_json(), indent=2) if options.json else render(report)
    sys.stdout.write(output + "\n")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
