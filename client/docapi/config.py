"""Where the API is, in which region, and whose credentials sign: resolved once, explicit value first.

- endpoint: the argument > ``DOCAPI_ENDPOINT`` > the ``apiUrl`` of a stack-outputs file (``pulumi stack
  output --json``; the argument or ``DOCAPI_STACK_OUTPUTS``). ``https`` required except on loopback
  (local mode serves plain HTTP on 127.0.0.1).
- region: the argument > the ``execute-api`` host name's region > local mode's ``us-east-1`` on a
  loopback endpoint > ``AWS_REGION`` > ``AWS_DEFAULT_REGION`` > the botocore profile's region >
  ``us-east-1``. A loopback endpoint is local mode, which verifies signatures scoped to its own region
  whatever region the shell is set up for.
- credentials: the named profile (the argument > ``AWS_PROFILE``), which then wins over access keys in
  the environment; without one, botocore's standard chain (environment, shared files and profiles, SSO,
  assumed roles, container and instance metadata). ``RefreshableCredentials`` where the source expires:
  every request asks for frozen credentials, which refreshes them before they expire.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from docapi.errors import ConfigurationError

if TYPE_CHECKING:
    import botocore.session
    from botocore.credentials import Credentials

ENDPOINT_VARIABLE = "DOCAPI_ENDPOINT"
PROFILE_VARIABLE = "AWS_PROFILE"
STACK_OUTPUTS_VARIABLE = "DOCAPI_STACK_OUTPUTS"
STACK_OUTPUT_KEY = "apiUrl"
DEFAULT_REGION = "us-east-1"
"""The last resort."""
LOCAL_MODE_REGION = "us-east-1"
"""The region local mode's verifier requires (``DEFAULT_REGION`` of ``local_mode/emulator.py``, which
its banner prints; local mode has no setting for it). The client package does not import local_mode: a
test of the client pins the two equal."""
_EXECUTE_API_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_from_stack_outputs(path: Path) -> str:
    """``apiUrl`` of a ``pulumi stack output --json`` file."""
    try:
        outputs = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise ConfigurationError(
            f"stack outputs {str(path)!r} are not a readable JSON file ({error}); create it with "
            "`pulumi stack output --json > outputs.json`"
        ) from error
    url = outputs.get(STACK_OUTPUT_KEY) if isinstance(outputs, dict) else None
    if not isinstance(url, str) or not url:
        raise ConfigurationError(f"stack outputs {str(path)!r} have no {STACK_OUTPUT_KEY!r}")
    return url


def resolve_endpoint(endpoint: str | None = None, *, stack_outputs: Path | str | None = None) -> str:
    """The API's base URL (no trailing slash), from the first source that names one."""
    url = endpoint or os.environ.get(ENDPOINT_VARIABLE)
    if not url:
        outputs = stack_outputs or os.environ.get(STACK_OUTPUTS_VARIABLE)
        if not outputs:
            raise ConfigurationError(
                f"no endpoint: pass --endpoint URL, set {ENDPOINT_VARIABLE}, or pass --stack-outputs FILE "
                "(`pulumi stack output --json`)"
            )
        url = endpoint_from_stack_outputs(Path(outputs))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"endpoint must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"endpoint {url!r} must use https (plain http only on loopback, for local mode)"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"endpoint {url!r} must not carry a query or fragment")
    return url.rstrip("/")


def region_of(endpoint: str) -> str | None:
    """The region in an ``execute-api`` host name, if it is one."""
    match = _EXECUTE_API_HOST.search(urlsplit(endpoint).hostname or "")
    return match.group(1) if match else None


def resolve_region(
    endpoint: str, region: str | None = None, *, session: botocore.session.Session | None = None
) -> str:
    """The signing region, from the first source that names one (local mode's on loopback)."""
    found = (
        region
        or region_of(endpoint)
        or (LOCAL_MODE_REGION if _is_loopback(urlsplit(endpoint).hostname or "") else None)
        or os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
    )
    if not found and session is not None:
        found = session.get_config_variable("region")
    return str(found or DEFAULT_REGION)


def new_session(profile: str | None = None) -> botocore.session.Session:
    """A botocore session for ``profile`` (else ``AWS_PROFILE``), else on botocore's default chain.

    A profile named either way is handed to botocore explicitly: botocore then leaves the environment's
    access keys out of its chain (``create_credential_resolver`` in botocore/credentials.py drops the
    ``EnvProvider`` when the session's ``profile`` instance variable is set). Left to read
    ``AWS_PROFILE`` itself, botocore would let ``AWS_ACCESS_KEY_ID`` win over the profile the user
    chose, and sign as someone else without a word.
    """
    import botocore.session

    return botocore.session.Session(profile=profile or os.environ.get(PROFILE_VARIABLE) or None)


def resolve_credentials(session: botocore.session.Session) -> Credentials:
    """The chain's credentials (refreshable where the source expires); a clear error without any."""
    try:
        credentials = session.get_credentials()
    except Exception as error:  # botocore raises many classes (profile not found, SSO expired...)
        raise ConfigurationError(f"cannot load AWS credentials: {error}") from error
    if credentials is None:
        raise ConfigurationError(
            "no AWS credentials found (environment, ~/.aws profiles, SSO, roles); for local mode, paste an "
            "`export AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=...` line from its banner"
        )
    return credentials
