"""Collecting the suite prints nothing but the tests: no log line, no configuration error.

It used to start with the handler's ``"Configuration is invalid"`` ERROR record: a conftest imported
``document_processor.handler`` at load time, and that import is the function's cold start (it reads
the Lambda environment, absent here, and logs the problem). Conftests now import it where it is used.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parents[2]
EXPECTED_LINE = re.compile(r"tests/\S+::\S.*|\d+ tests? collected in [\d.]+s")


def test_collecting_the_suite_prints_only_the_tests() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COV_CORE_", "PYTEST_"))}
    finished = subprocess.run(  # the command `make test` runs, collection only
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:cov"],
        cwd=REPOSITORY_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = [line for line in (finished.stdout + finished.stderr).splitlines() if line.strip()]
    unexpected = [line for line in output if not EXPECTED_LINE.fullmatch(line)]

    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    assert not unexpected, "\n".join(unexpected[:10])
    assert re.fullmatch(r"\d+ tests? collected in [\d.]+s", output[-1])
