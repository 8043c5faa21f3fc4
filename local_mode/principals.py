"""Local principals: who may sign requests to local mode, read from a JSON file.

The file (named by ``LOCAL_PRINCIPALS``; by default ``.local/principals.json``, created on first start)
maps access key ids to secrets and principal ARNs, the way IAM and STS hold them for the deployed API::

    {"AKIA...": {"secretAccessKey": "...", "arn": "arn:aws:iam::111122223333:user/alice"},
     "ASIA...": {"secretAccessKey": "...", "arn": "arn:aws:sts::111122223333:assumed-role/Reader/s1",
                 "sessionToken": "..."}}

A key with a ``sessionToken`` is temporary: requests signed with it must carry that token in
``X-Amz-Security-Token``, as STS credentials must. The file is validated strictly at start-up, and
every problem is reported with the file's name, so a typo never becomes a silently missing caller.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from local_mode.errors import ConfigurationError
from local_mode.identity import PRINCIPAL_ARN

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

PRINCIPALS_VARIABLE = "LOCAL_PRINCIPALS"
"""Environment variable naming the principals file."""
DEFAULT_PRINCIPALS_FILE = ".local/principals.json"
"""Where local mode keeps (and on first start creates) its principals, relative to the working directory."""
DEFAULT_ACCOUNT = "111122223333"
"""Account of the generated principals (AWS's documentation example account)."""
_ACCESS_KEY_ID = re.compile(r"[A-Z0-9]{16,128}", re.ASCII)
_REQUIRED_FIELDS = ("secretAccessKey", "arn")
_OPTIONAL_FIELDS = ("sessionToken",)
_ACCESS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class Principal:
    """One signing identity: an access key, its secret, and who it is."""

    access_key_id: str
    """``AKIA...`` for IAM users' long-term keys, ``ASIA...`` for temporary (STS) keys."""
    secret_access_key: str
    """The secret the signature is keyed with (never sent by the client)."""
    arn: str
    """The principal the signer is (``userArn`` in the request context)."""
    session_token: str | None = None
    """For temporary credentials: the token the request must carry."""

    def export_line(self) -> str:
        """A line to paste into a shell so curl, the AWS CLI and SDKs sign as this principal."""
        parts = [f"AWS_ACCESS_KEY_ID={self.access_key_id}", f"AWS_SECRET_ACCESS_KEY={self.secret_access_key}"]
        if self.session_token is not None:
            parts.append(f"AWS_SESSION_TOKEN={self.session_token}")
        return "export " + " ".join(parts)

    def as_json(self) -> dict[str, str]:
        """This principal's entry in the principals file."""
        entry = {"secretAccessKey": self.secret_access_key, "arn": self.arn}
        if self.session_token is not None:
            entry["sessionToken"] = self.session_token
        return entry


def _entry_problems(key: str, entry: Any) -> list[str]:
    where = f"entry {key!r}"
    if not _ACCESS_KEY_ID.fullmatch(key):
        return [f"{where}: an access key id is 16 to 128 upper-case letters and digits (like AKIA...)"]
    if not isinstance(entry, dict):
        return [f"{where} must be an object with secretAccessKey and arn, got {type(entry).__name__}"]
    problems = [f"{where}: missing {name!r}" for name in _REQUIRED_FIELDS if name not in entry]
    unknown = sorted(set(entry) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS))
    problems += [f"{where}: unknown field {name!r}" for name in unknown]
    for name in (*_REQUIRED_FIELDS, *_OPTIONAL_FIELDS):
        if name in entry and (not isinstance(entry[name], str) or not entry[name]):
            problems.append(f"{where}: {name!r} must be a non-empty string")
    arn = entry.get("arn")
    if isinstance(arn, str) and arn and PRINCIPAL_ARN.fullmatch(arn) is None:
        problems.append(f"{where}: 'arn' must be an IAM or STS principal ARN, got {arn!r}")
    if isinstance(arn, str) and ":assumed-role/" in arn and "sessionToken" not in entry:
        problems.append(f"{where}: an assumed-role session needs a 'sessionToken' (temporary credentials)")
    return problems


def parse_principals(text: str, *, source: str) -> dict[str, Principal]:
    """The principals in ``text`` (a file's content); ``ConfigurationError`` naming ``source`` if invalid."""
    duplicates: list[str] = []

    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                duplicates.append(key)
            seen[key] = value
        return seen

    try:
        document = json.loads(text, object_pairs_hook=unique_keys)
    except ValueError as error:
        raise ConfigurationError(f"{source}: not valid JSON ({error})") from error
    if not isinstance(document, dict) or not document:
        raise ConfigurationError(
            f"{source}: must be a non-empty JSON object mapping access key ids to "
            '{"secretAccessKey": ..., "arn": ...}'
        )
    problems = [f"{name!r} appears more than once" for name in dict.fromkeys(duplicates)]
    problems += [problem for key, entry in document.items() for problem in _entry_problems(key, entry)]
    if problems:
        raise ConfigurationError(f"{source}: " + "; ".join(problems))
    return {
        key: Principal(key, entry["secretAccessKey"], entry["arn"], entry.get("sessionToken"))
        for key, entry in document.items()
    }


def load_principals(path: Path) -> dict[str, Principal]:
    """Read and validate the principals file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(
            f"{PRINCIPALS_VARIABLE} file {str(path)!r} cannot be read ({error}); point "
            f"{PRINCIPALS_VARIABLE} at a readable file, or unset it to use {DEFAULT_PRINCIPALS_FILE}"
        ) from error
    return parse_principals(text, source=f"{PRINCIPALS_VARIABLE} file {str(path)!r}")


def _access_key_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ACCESS_KEY_ALPHABET) for _ in range(16))


def new_user(name: str, *, account: str = DEFAULT_ACCOUNT) -> Principal:
    """A fresh IAM user with a random long-term key."""
    return Principal(_access_key_id("AKIA"), secrets.token_urlsafe(30), f"arn:aws:iam::{account}:user/{name}")


def new_session(role: str, session: str, *, account: str = DEFAULT_ACCOUNT) -> Principal:
    """A fresh assumed-role session with random temporary credentials (key, secret and token)."""
    return Principal(
        _access_key_id("ASIA"),
        secrets.token_urlsafe(30),
        f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        secrets.token_urlsafe(96),
    )


def default_principals() -> list[Principal]:
    """What local mode creates on first start: two IAM users and one assumed-role session."""
    return [new_user("alice"), new_user("bob"), new_session("DocumentReader", "local-session")]


def principals_json(principals: Iterable[Principal]) -> str:
    """The principals file's content for ``principals``."""
    return json.dumps({p.access_key_id: p.as_json() for p in principals}, indent=2) + "\n"


def write_principals(path: Path, principals: Iterable[Principal]) -> None:
    """Write a principals file readable by its owner only (it holds secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(principals_json(principals))


def principals_from_environment(
    environ: Mapping[str, str], cwd: Path
) -> tuple[Path, dict[str, Principal], bool]:
    """The principals file in use, its principals, and whether it was just created.

    ``LOCAL_PRINCIPALS`` must name an existing file; without it, ``.local/principals.json`` under
    ``cwd`` is used, and created with fresh random principals when it does not exist yet.
    """
    named = environ.get(PRINCIPALS_VARIABLE, "").strip()
    if named:
        path = cwd / named
        return path, load_principals(path), False
    path = cwd / DEFAULT_PRINCIPALS_FILE
    created = False
    if not path.exists():
        try:
            write_principals(path, default_principals())
        except FileExistsError:
            pass  # another local mode created it meanwhile: use theirs
        except OSError as error:
            raise ConfigurationError(
                f"cannot create the principals file {str(path)!r} ({error}); "
                f"set {PRINCIPALS_VARIABLE} to a principals file"
            ) from error
        else:
            created = True
    return path, load_principals(path), created
