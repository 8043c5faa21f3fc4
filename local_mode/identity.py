"""The caller identity local mode plays, in the shape API Gateway's IAM authorisation produces.

Deployed, API Gateway verifies the SigV4 signature and writes the signer into
``requestContext.identity``. Locally nothing is signed; the caller is taken from the local-only
``X-Local-Caller`` header (a principal ARN), or is the default local developer. The adapter removes
that header before the handler sees the event: the handler reads identity only from the request
context, exactly as when deployed.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from local_mode.errors import InvalidCallerError

LOCAL_CALLER_HEADER = "X-Local-Caller"
"""Local-only request header naming the principal ARN to play (never read by the deployed handler)."""

DEFAULT_LOCAL_CALLER = "arn:aws:iam::000000000000:user/local-developer"
"""The caller when no ``X-Local-Caller`` header is sent."""

_PRINCIPAL_ARN = re.compile(
    r"arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>iam|sts)::(?P<account>\d{12}):"
    r"(?P<resource>root|user/[\w+=,.@/-]{1,512}|role/[\w+=,.@/-]{1,512}"
    r"|assumed-role/[\w+=,.@-]{1,64}/[\w+=,.@-]{2,64}|federated-user/[\w+=,.@-]{2,32})",
    re.ASCII,
)
_EXAMPLE_ARNS = (
    "arn:aws:iam::111122223333:user/alice or arn:aws:sts::111122223333:assumed-role/Reader/session"
)


def _unique_id(prefix: str, arn: str) -> str:
    """A stable IAM-style unique id (``AIDA...``, ``AROA...``) so one ARN always plays one principal."""
    digest = hashlib.sha256(arn.encode()).hexdigest().upper()
    return prefix + digest[:17]


def caller_identity(caller_arn: str, *, source_ip: str, user_agent: str | None) -> dict[str, Any]:
    """``requestContext.identity`` for a request signed by ``caller_arn``.

    Raises ``InvalidCallerError`` when the value is not an IAM or STS principal ARN, because API
    Gateway could never have authenticated such a caller.
    """
    match = _PRINCIPAL_ARN.fullmatch(caller_arn)
    if match is None:
        raise InvalidCallerError(
            f"{LOCAL_CALLER_HEADER} must be an IAM or STS principal ARN such as {_EXAMPLE_ARNS}; "
            f"got {caller_arn!r}"
        )
    account = match["account"]
    resource = match["resource"]
    if resource == "root":
        caller = account
    elif resource.startswith("assumed-role/"):
        _, role, session = resource.split("/")
        role_arn = f"arn:{match['partition']}:iam::{account}:role/{role}"
        caller = f"{_unique_id('AROA', role_arn)}:{session}"
    elif resource.startswith("role/"):
        caller = _unique_id("AROA", caller_arn)
    else:
        caller = _unique_id("AIDA", caller_arn)
    return {
        "accessKey": _unique_id("ASIA", caller_arn),
        "accountId": account,
        "apiKey": None,
        "apiKeyId": None,
        "caller": caller,
        "clientCert": None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": source_ip,
        "user": caller,
        "userAgent": user_agent,
        "userArn": caller_arn,
    }
