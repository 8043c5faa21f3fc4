"""The verified signer, in the shapes API Gateway's IAM authorisation puts it in the event.

Deployed, API Gateway verifies the SigV4 signature and writes the signer into
``requestContext.identity`` (REST, payload v1); a Lambda function URL with ``AWS_IAM`` auth writes it
into ``requestContext.authorizer.iam`` (payload v2). Local mode verifies the signature the same way
(``local_mode.sigv4``) and builds these from the principal that signed: nothing in a request's headers
ever names the caller.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from local_mode.errors import InvalidCallerError

PRINCIPAL_ARN = re.compile(
    r"arn:(?P<partition>aws|aws-cn|aws-us-gov):(?P<service>iam|sts)::(?P<account>\d{12}):"
    r"(?P<resource>root|user/[\w+=,.@/-]{1,512}|role/[\w+=,.@/-]{1,512}"
    r"|assumed-role/[\w+=,.@-]{1,64}/[\w+=,.@-]{2,64}|federated-user/[\w+=,.@-]{2,32})",
    re.ASCII,
)
"""The IAM and STS principal ARNs a SigV4 signer can be."""
_EXAMPLE_ARNS = (
    "arn:aws:iam::111122223333:user/alice or arn:aws:sts::111122223333:assumed-role/Reader/session"
)


def _unique_id(prefix: str, arn: str) -> str:
    """A stable IAM-style unique id (``AIDA...``, ``AROA...``) so one ARN always plays one principal."""
    digest = hashlib.sha256(arn.encode()).hexdigest().upper()
    return prefix + digest[:17]


def _account_and_caller(caller_arn: str) -> tuple[str, str]:
    """The account and API Gateway's ``caller`` (``AIDA...``, ``AROA...:session``, or the account)."""
    match = PRINCIPAL_ARN.fullmatch(caller_arn)
    if match is None:
        raise InvalidCallerError(
            f"a signer must be an IAM or STS principal ARN such as {_EXAMPLE_ARNS}; got {caller_arn!r}"
        )
    account = match["account"]
    resource = match["resource"]
    if resource == "root":
        return account, account
    if resource.startswith("assumed-role/"):
        _, role, session = resource.split("/")
        role_arn = f"arn:{match['partition']}:iam::{account}:role/{role}"
        return account, f"{_unique_id('AROA', role_arn)}:{session}"
    if resource.startswith("role/"):
        return account, _unique_id("AROA", caller_arn)
    return account, _unique_id("AIDA", caller_arn)


def caller_identity(
    caller_arn: str, *, access_key: str, source_ip: str, user_agent: str | None
) -> dict[str, Any]:
    """``requestContext.identity`` (REST, payload v1) for a request signed by ``caller_arn``.

    ``access_key`` is the key id the request was signed with. Raises ``InvalidCallerError`` when
    ``caller_arn`` is not an IAM or STS principal ARN, because API Gateway could never have
    authenticated such a caller.
    """
    account, caller = _account_and_caller(caller_arn)
    return {
        "accessKey": access_key,
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


def function_url_authorizer(caller_arn: str, *, access_key: str) -> dict[str, Any]:
    """``requestContext.authorizer`` of a function-URL (payload v2) request signed by ``caller_arn``."""
    account, caller = _account_and_caller(caller_arn)
    return {
        "iam": {
            "accessKey": access_key,
            "accountId": account,
            "callerId": caller,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": caller_arn,
            "userId": caller,
        }
    }
