"""The caller's identity, read only from the request context that API Gateway / the function URL
filled in after verifying the SigV4 signature. Headers are never consulted: a client controls them.

A principal is normalised so that, by default, every session of one IAM role is one owner (assumed-role
session ARNs carry a per-session suffix that whoever assumes the role chooses); with ``OwnerScope.SESSION``
each session is its own owner. The principal is then hashed into the ``<owner-key>`` segment of the object
key. The key is derived from the caller on every request, so another caller's documents are unreachable by
construction rather than by a check that could be forgotten.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from document_processor.errors import MissingIdentityError
from document_processor.events import PAYLOAD_V1
from document_processor.settings import OwnerScope

if TYPE_CHECKING:
    from document_processor.events import Request

PARTITIONS: frozenset[str] = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
"""Every AWS partition, as botocore's ``data/partitions.json`` lists them (a unit test keeps them equal).

A caller ARN in any other partition was not issued by AWS, so it is refused like a missing identity.
"""
ACCOUNT_ID_LENGTH = 12
MAX_NAME_LENGTH = 64
"""IAM user and role names: 1-64 characters."""
MAX_PATH_LENGTH = 512
"""IAM paths: 1-512 characters, leading and trailing ``/`` included."""
SESSION_NAME_LENGTH = (2, 64)
"""Role session names (``RoleSessionName``): 2-64 characters."""
FEDERATED_USER_NAME_LENGTH = (2, 32)
"""``GetFederationToken`` names: 2-32 characters."""
MAX_PRINCIPAL_LENGTH = (
    len("arn:")
    + max(map(len, PARTITIONS))
    + len(":iam::")
    + ACCOUNT_ID_LENGTH
    + len(":user")
    + MAX_PATH_LENGTH
    + MAX_NAME_LENGTH
)
"""The longest principal ARN IAM can issue (613: an IAM user with a 512-character path and a 64-character
name in the longest partition). Checked before any parsing, so no request-context value of any size costs
more than a length comparison."""
CALLER_CACHE_SIZE = 256
"""Normalised callers remembered per execution environment (a warm function sees the same few callers)."""
NO_IDENTITY_MESSAGE = "The request carries no caller identity."
"""The one answer to every unusable identity: which check failed is not the client's business."""
_NAME = r"[\w+=,.@-]"
_ARN = re.compile(r"arn:(aws[a-z-]*):(iam|sts)::(\d{12}):(.+)", re.ASCII)
_IAM_RESOURCE = re.compile(rf"(?:user|role)(/(?:{_NAME}+/)*)({_NAME}{{1,{MAX_NAME_LENGTH}}})", re.ASCII)
_ASSUMED_ROLE = re.compile(
    rf"assumed-role/({_NAME}{{1,{MAX_NAME_LENGTH}}})/"
    rf"({_NAME}{{{SESSION_NAME_LENGTH[0]},{SESSION_NAME_LENGTH[1]}}})",
    re.ASCII,
)
_FEDERATED_USER = re.compile(
    rf"federated-user/{_NAME}{{{FEDERATED_USER_NAME_LENGTH[0]},{FEDERATED_USER_NAME_LENGTH[1]}}}", re.ASCII
)


class Caller(NamedTuple):
    """The authenticated principal behind a request."""

    principal: str
    """Normalised principal ARN (in role scope, assumed-role sessions collapse to their role)."""
    account_id: str
    """The principal's 12-digit AWS account."""
    owner_key: str
    """SHA-256 hex of the normalised principal: the key segment that scopes this caller's objects.

    Hex of a hash keeps the segment 64 characters of ``[0-9a-f]`` whatever the principal (no ``/``, no
    length surprises in S3 keys), and distinct principals (distinct ARN strings) get distinct keys."""


def _caller(principal: str, account_id: str) -> Caller:
    """A ``Caller`` with its owner key derived (the only place one is built)."""
    return Caller(principal, account_id, hashlib.sha256(principal.encode("ascii")).hexdigest())


@lru_cache(maxsize=CALLER_CACHE_SIZE)
def normalise_principal(arn: str, scope: OwnerScope = OwnerScope.ROLE) -> Caller:
    """Parse and normalise an IAM/STS principal ARN; raise ``ValueError`` for anything else.

    In role scope ``arn:aws:sts::123456789012:assumed-role/Role/session`` becomes
    ``arn:aws:iam::123456789012:role/Role`` (the session ARN does not carry the role's path, so the path
    is dropped consistently). In session scope the session ARN is kept whole: its owner is that role
    *and* that session name, and it can never equal an IAM user's, a role's or another session's ARN.
    """
    match = _ARN.fullmatch(arn) if len(arn) <= MAX_PRINCIPAL_LENGTH else None
    if match is None:
        raise ValueError("not an IAM or STS principal ARN")
    partition, service, account, resource = match.groups()
    if partition not in PARTITIONS:
        raise ValueError("not a principal of an AWS partition")
    if service == "iam":
        if resource == "root":
            return _caller(arn, account)
        iam = _IAM_RESOURCE.fullmatch(resource)
        if iam and len(iam.group(1)) <= MAX_PATH_LENGTH:
            return _caller(arn, account)
    if service == "sts":
        assumed = _ASSUMED_ROLE.fullmatch(resource)
        if assumed and scope is OwnerScope.SESSION:
            return _caller(arn, account)
        if assumed:
            return _caller(f"arn:{partition}:iam::{account}:role/{assumed.group(1)}", account)
        if _FEDERATED_USER.fullmatch(resource):
            return _caller(arn, account)
    raise ValueError("unsupported principal type")


def caller_from_request(request: Request, *, scope: OwnerScope = OwnerScope.ROLE) -> Caller:
    """The verified caller: ``identity.userArn`` (REST, v1) or ``authorizer.iam.userArn`` (function URL, v2).

    The account the gateway reports must agree with the ARN's; a request with no usable identity (none,
    not an IAM principal, outside the AWS partitions, longer than IAM allows) is refused with the same
    403 rather than treated as some default owner.
    """
    context = request.request_context
    source: object = context.get("identity")
    if request.payload_version != PAYLOAD_V1:
        authorizer = context.get("authorizer")
        source = authorizer.get("iam") if isinstance(authorizer, dict) else None
    if not isinstance(source, dict):
        raise MissingIdentityError(NO_IDENTITY_MESSAGE)
    user_arn = source.get("userArn")
    if not isinstance(user_arn, str) or not user_arn:
        raise MissingIdentityError(NO_IDENTITY_MESSAGE)
    try:
        caller = normalise_principal(user_arn, scope)
    except ValueError:
        raise MissingIdentityError(NO_IDENTITY_MESSAGE) from None
    reported_account = source.get("accountId")
    if reported_account not in (None, "", caller.account_id):
        raise MissingIdentityError(NO_IDENTITY_MESSAGE)
    return caller
