"""Whose credentials sign, in which region, and which limits apply: against local mode, which verifies
every signature (key, region scope, canonical request) as API Gateway does.

Each test gives the client exactly the environment a user's shell would hold (no AWS config of the
machine leaks in): a wrong answer is a refused signature, not an assertion on a private attribute.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from docapi import AuthError, DocumentClient

if TYPE_CHECKING:
    from pathlib import Path

    from tests.client.conftest import Caller

OTHER_ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
"""An access key local mode does not know: signing with it is refused (403)."""
OTHER_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def profile_config(caller: Caller, tmp_path: Path) -> Path:
    """An AWS config file whose profile ``work`` holds the caller's keys."""
    path = tmp_path / "aws-config"
    path.write_text(
        "[profile work]\n"
        f"aws_access_key_id = {caller.principal.access_key_id}\n"
        f"aws_secret_access_key = {caller.principal.secret_access_key}\n"
    )
    return path


def shell_environment(monkeypatch: pytest.MonkeyPatch, caller: Caller, **variables: str | None) -> None:
    """The SDK's process environment: the caller's endpoint and state directory, no machine AWS config."""
    base: dict[str, str | None] = {**caller.env(), **variables}
    for name, value in base.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_a_named_profile_wins_over_access_keys_in_the_environment(
    caller: Caller, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given keys of someone else in the environment and the caller's keys in the profile "work"
    environment = {
        "AWS_CONFIG_FILE": str(profile_config(caller, tmp_path)),
        "AWS_ACCESS_KEY_ID": OTHER_ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": OTHER_SECRET,
    }
    assert caller.run("ls", "--json", **environment).exit_code == 3  # the environment's keys: refused

    # when the profile is named (--profile, or AWS_PROFILE for the command and the SDK alike)
    by_option = caller.run("--profile", "work", "ls", "--json", **environment)
    by_variable = caller.run("ls", "--json", AWS_PROFILE="work", **environment)
    shell_environment(monkeypatch, caller, AWS_PROFILE="work", **environment)
    with DocumentClient(state_dir=caller.state_dir) as client:
        page = client.list_documents()

    # then the profile signs: local mode accepts every one of them
    assert (by_option.exit_code, by_variable.exit_code) == (0, 0), by_option.stderr + by_variable.stderr
    assert page["items"] == []


def test_without_a_profile_the_environments_keys_sign(
    caller: Caller, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the profile exists but nothing names it: botocore's chain, environment first
    shell_environment(monkeypatch, caller, AWS_CONFIG_FILE=str(profile_config(caller, tmp_path)))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", OTHER_ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", OTHER_SECRET)
    with DocumentClient(state_dir=caller.state_dir) as client, pytest.raises(AuthError):
        client.list_documents()


def test_local_mode_is_signed_in_its_own_region_whatever_the_shell_is_set_up_for(
    caller: Caller, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a shell (and a profile) set up for another region than local mode's
    config_file = tmp_path / "aws-config"
    config_file.write_text("[default]\nregion = ap-southeast-2\n")
    elsewhere = {
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": str(config_file),
    }

    # when the command and the SDK talk to local mode (a loopback endpoint)
    listed = caller.run("ls", "--json", **elsewhere)
    shell_environment(monkeypatch, caller, **elsewhere)
    with DocumentClient(state_dir=caller.state_dir) as client:
        page = client.list_documents()

    # then they sign in local mode's region, which its verifier accepts
    assert listed.exit_code == 0, listed.stderr
    assert page["items"] == []
    # and an explicit --region still wins: local mode refuses a signature scoped to another region
    explicit = caller.run("--region", "eu-west-1", "ls", "--json", **elsewhere)
    assert explicit.exit_code == 3
    assert "region" in json.loads(explicit.stdout)["error"]["message"]
