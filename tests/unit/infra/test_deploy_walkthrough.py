"""README step 6 ("Check it end to end") runs as written, with a profile/SSO session or with keys.

The block is taken from the README and run by bash with ``set -euo pipefail``; ``pulumi``, ``aws`` and
``curl`` are stand-ins on ``PATH`` that answer like the real tools and record how they were called,
so nothing leaves the machine. The point: curl's ``--aws-sigv4`` needs keys, and a newcomer usually
has only ``AWS_PROFILE`` (often SSO); ``aws configure export-credentials --format env`` prints the
resolved credentials as ``export`` lines (AWS CLI reference, ``aws configure export-credentials``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from typing import TYPE_CHECKING

import pytest

from tests.unit.infra.pulumi_project import PROJECT_ROOT

if TYPE_CHECKING:
    from pathlib import Path

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="bash is not installed")
API_URL = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/dev"
SSO_KEY, SSO_SECRET, SSO_TOKEN = "ASIAMOCKSSO", "sso-secret", "sso-session-token"

PULUMI = f"""#!/bin/sh
case "$3" in
  apiUrl) echo {API_URL} ;;
  region) echo eu-west-1 ;;
  *) echo "mock-$3" ;;
esac
"""
AWS = f"""#!/bin/sh
echo "$* | profile=${{AWS_PROFILE:-}}" >> "$CALLS/aws"
if [ "$1 $2" = "configure export-credentials" ]; then
  if [ -n "${{AWS_ACCESS_KEY_ID:-}}" ]; then
    echo "export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID"
    echo "export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY"
  elif [ -n "${{AWS_PROFILE:-}}" ]; then
    echo "export AWS_ACCESS_KEY_ID={SSO_KEY}"
    echo "export AWS_SECRET_ACCESS_KEY={SSO_SECRET}"
    echo "export AWS_SESSION_TOKEN={SSO_TOKEN}"
    echo "export AWS_CREDENTIAL_EXPIRATION=2026-12-03T13:00:00+00:00"
  else
    echo "Unable to locate credentials." >&2; exit 255
  fi
fi
"""
CURL = """#!/bin/sh
for argument in "$@"; do printf '%s\\0' "$argument"; done > "$CALLS/curl"
"""


def step_six() -> str:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"^6\. \*\*Check it end to end\*\*.*?\n\s*```bash\n(.*?)\n\s*```", text, re.MULTILINE | re.DOTALL
    )
    assert match, "README step 6 has no bash block"
    return textwrap.dedent(match[1])


def run_step_six(tmp_path: Path, credentials: dict[str, str]) -> tuple[list[str], str]:
    """Run the block; the curl arguments and the aws calls it made."""
    tools, calls = tmp_path / "bin", tmp_path / "calls"
    tools.mkdir()
    calls.mkdir()
    for name, script in {"pulumi": PULUMI, "aws": AWS, "curl": CURL}.items():
        (tools / name).write_text(script)
        (tools / name).chmod(0o755)
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(credentials, PATH=f"{tools}:/usr/bin:/bin", HOME=str(tmp_path), CALLS=str(calls))
    finished = subprocess.run(
        [str(BASH), "-euo", "pipefail", "-c", step_six()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    curl = (calls / "curl").read_text().split("\0")[:-1]
    return curl, (calls / "aws").read_text()


def option(arguments: list[str], name: str) -> list[str]:
    return [arguments[index + 1] for index, value in enumerate(arguments) if value == name]


def test_with_only_an_sso_profile_the_upload_is_signed_with_its_session(tmp_path: Path) -> None:
    curl, aws_calls = run_step_six(tmp_path, {"AWS_PROFILE": "dev-sso"})

    assert "configure export-credentials --format env | profile=dev-sso" in aws_calls
    assert option(curl, "--aws-sigv4") == ["aws:amz:eu-west-1:execute-api"]
    assert option(curl, "--user") == [f"{SSO_KEY}:{SSO_SECRET}"]
    assert f"x-amz-security-token: {SSO_TOKEN}" in option(curl, "-H")
    assert curl[-1] == f"{API_URL}/documents"


def test_with_long_term_keys_no_empty_token_header_is_sent(tmp_path: Path) -> None:
    curl, _ = run_step_six(tmp_path, {"AWS_ACCESS_KEY_ID": "AKIAMOCK", "AWS_SECRET_ACCESS_KEY": "secret"})

    assert option(curl, "--user") == ["AKIAMOCK:secret"]
    assert not [header for header in option(curl, "-H") if header.lower().startswith("x-amz-security-token")]
