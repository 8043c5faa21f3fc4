"""The principals file: strict validation naming the file and the problem, and a safe default file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from local_mode.errors import ConfigurationError
from local_mode.principals import (
    DEFAULT_PRINCIPALS_FILE,
    load_principals,
    principals_from_environment,
    principals_json,
)

ALICE_KEY = "AKIAIOSFODNN7EXAMPLE"
ALICE = {
    "secretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "arn": "arn:aws:iam::111122223333:user/alice",
}
SESSION_KEY = "ASIAIOSFODNN7EXAMPLE"
SESSION = {
    "secretAccessKey": "secret",
    "arn": "arn:aws:sts::111122223333:assumed-role/Reader/s1",
    "sessionToken": "token",
}


def _file(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "principals.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def test_a_valid_file_gives_its_principals(tmp_path: Path) -> None:
    principals = load_principals(_file(tmp_path, {ALICE_KEY: ALICE, SESSION_KEY: SESSION}))
    assert principals[ALICE_KEY].arn == ALICE["arn"]
    assert principals[ALICE_KEY].session_token is None
    assert principals[SESSION_KEY].session_token == "token"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not valid JSON"),
        ([], "must be a non-empty JSON object"),
        ({}, "must be a non-empty JSON object"),
        ({ALICE_KEY: "secret"}, f"entry {ALICE_KEY!r} must be an object with secretAccessKey and arn"),
        ({ALICE_KEY: {"arn": ALICE["arn"]}}, f"entry {ALICE_KEY!r}: missing 'secretAccessKey'"),
        ({ALICE_KEY: {"secretAccessKey": "s"}}, f"entry {ALICE_KEY!r}: missing 'arn'"),
        ({ALICE_KEY: {**ALICE, "secretAccessKey": ""}}, "'secretAccessKey' must be a non-empty string"),
        ({ALICE_KEY: {**ALICE, "arn": "alice"}}, "'arn' must be an IAM or STS principal ARN, got 'alice'"),
        ({ALICE_KEY: {**ALICE, "role": "admin"}}, "unknown field 'role'"),
        ({"alice": ALICE}, "entry 'alice': an access key id is 16 to 128 upper-case letters and digits"),
        (
            {SESSION_KEY: {k: v for k, v in SESSION.items() if k != "sessionToken"}},
            "an assumed-role session needs a 'sessionToken'",
        ),
        (
            f'{{"{ALICE_KEY}": {json.dumps(ALICE)}, "{ALICE_KEY}": {json.dumps(ALICE)}}}',
            "appears more than once",
        ),
    ],
)
def test_a_malformed_file_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, content: object, problem: str
) -> None:
    path = _file(tmp_path, content)
    with pytest.raises(ConfigurationError) as raised:
        load_principals(path)
    assert str(raised.value).startswith(f"LOCAL_PRINCIPALS file {str(path)!r}: ")
    assert problem in str(raised.value)


def test_an_unreadable_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    missing = tmp_path / "absent.json"
    with pytest.raises(
        ConfigurationError, match=r"cannot be read .*point LOCAL_PRINCIPALS at a readable file"
    ):
        load_principals(missing)
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_principals(tmp_path)  # a directory


def test_a_named_file_is_used_and_never_created(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        principals_from_environment({"LOCAL_PRINCIPALS": "mine.json"}, tmp_path)
    assert not (tmp_path / "mine.json").exists()
    _file(tmp_path, {ALICE_KEY: ALICE}).rename(tmp_path / "mine.json")
    path, principals, created = principals_from_environment({"LOCAL_PRINCIPALS": "mine.json"}, tmp_path)
    assert (path, list(principals), created) == (tmp_path / "mine.json", [ALICE_KEY], False)


def test_the_default_file_is_created_once_with_random_secrets_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    path, principals, created = principals_from_environment({}, tmp_path)
    assert created
    assert path == tmp_path / DEFAULT_PRINCIPALS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    users = [p for p in principals.values() if p.session_token is None]
    sessions = [p for p in principals.values() if p.session_token is not None]
    assert sorted(p.arn.rsplit("/", 1)[1] for p in users) == ["alice", "bob"]
    assert all(p.access_key_id.startswith("AKIA") for p in users)
    assert len(sessions) == 1
    assert sessions[0].access_key_id.startswith("ASIA")
    assert ":assumed-role/" in sessions[0].arn
    assert len({p.secret_access_key for p in principals.values()}) == 3
    # Second start: the same principals, not new ones.
    again_path, again, again_created = principals_from_environment({}, tmp_path)
    assert (again_path, again, again_created) == (path, principals, False)
    # And a second developer's checkout gets different secrets.
    _, other, _ = principals_from_environment({}, tmp_path / "elsewhere")
    assert not {p.secret_access_key for p in other.values()} & {
        p.secret_access_key for p in principals.values()
    }


def test_export_lines_are_what_a_shell_and_the_sdks_read(tmp_path: Path) -> None:
    _, principals, _ = principals_from_environment({}, tmp_path)
    for principal in principals.values():
        line = principal.export_line()
        assert line.startswith(f"export AWS_ACCESS_KEY_ID={principal.access_key_id} ")
        assert f"AWS_SECRET_ACCESS_KEY={principal.secret_access_key}" in line
        assert ("AWS_SESSION_TOKEN=" in line) is (principal.session_token is not None)


def test_the_file_format_round_trips(tmp_path: Path) -> None:
    _, principals, _ = principals_from_environment({}, tmp_path)
    assert load_principals(_file(tmp_path, principals_json(principals.values()))) == principals


def test_the_default_file_is_git_ignored() -> None:
    gitignore = (Path(__file__).resolve().parents[3] / ".gitignore").read_text().splitlines()
    assert DEFAULT_PRINCIPALS_FILE.split("/")[0] + "/" in gitignore
