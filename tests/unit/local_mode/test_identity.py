"""The verified signer goes into the event as IAM authorisation puts it (REST v1, function URL v2)."""

from __future__ import annotations

import pytest

from document_processor.identity import normalise_principal
from document_processor.settings import OwnerScope
from local_mode.errors import InvalidCallerError
from local_mode.identity import caller_identity, function_url_authorizer

KEY = "AKIAIOSFODNN7EXAMPLE"


def test_iam_user_identity() -> None:
    identity = caller_identity(
        "arn:aws:iam::111122223333:user/alice", access_key=KEY, source_ip="127.0.0.1", user_agent="ua"
    )
    assert identity["userArn"] == "arn:aws:iam::111122223333:user/alice"
    assert identity["accountId"] == "111122223333"
    assert identity["caller"].startswith("AIDA")
    assert identity["user"] == identity["caller"]
    assert identity["sourceIp"] == "127.0.0.1"
    assert identity["userAgent"] == "ua"


def test_sessions_of_one_role_share_the_role_id_but_keep_their_session_name() -> None:
    first = caller_identity(
        "arn:aws:sts::111122223333:assumed-role/Reader/one",
        access_key=KEY,
        source_ip="127.0.0.1",
        user_agent=None,
    )
    second = caller_identity(
        "arn:aws:sts::111122223333:assumed-role/Reader/two",
        access_key=KEY,
        source_ip="127.0.0.1",
        user_agent=None,
    )
    first_role_id, first_session = first["caller"].split(":")
    second_role_id, second_session = second["caller"].split(":")
    assert first_role_id == second_role_id
    assert first_role_id.startswith("AROA")
    assert (first_session, second_session) == ("one", "two")


def test_different_users_get_different_ids() -> None:
    alice = caller_identity(
        "arn:aws:iam::111122223333:user/alice", access_key=KEY, source_ip="x", user_agent=None
    )
    bob = caller_identity(
        "arn:aws:iam::111122223333:user/bob", access_key=KEY, source_ip="x", user_agent=None
    )
    assert alice["caller"] != bob["caller"]


def test_root_caller_is_the_account() -> None:
    identity = caller_identity(
        "arn:aws:iam::111122223333:root", access_key=KEY, source_ip="x", user_agent=None
    )
    assert identity["caller"] == "111122223333"


def test_the_signing_key_is_the_access_key() -> None:
    identity = caller_identity(
        "arn:aws:iam::111122223333:user/alice", access_key=KEY, source_ip="x", user_agent=None
    )
    assert identity["accessKey"] == KEY


def test_function_url_v2_shape_carries_the_same_principal() -> None:
    arn = "arn:aws:sts::111122223333:assumed-role/Reader/one"
    v1 = caller_identity(arn, access_key=KEY, source_ip="x", user_agent=None)
    assert function_url_authorizer(arn, access_key=KEY) == {
        "iam": {
            "accessKey": KEY,
            "accountId": "111122223333",
            "callerId": v1["caller"],
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": arn,
            "userId": v1["caller"],
        }
    }


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "alice",
        "arn:aws:iam::1234:user/alice",
        "arn:aws:s3:::bucket",
        "arn:aws:iam::111122223333:group/admins",
        "arn:aws:sts::111122223333:assumed-role/Reader",
        "arn:aws:iam::111122223333:user/alice\n",
    ],
)
def test_invalid_callers_are_refused_with_an_example(arn: str) -> None:
    with pytest.raises(InvalidCallerError, match=r"a signer must be an IAM or STS principal ARN such as"):
        caller_identity(arn, access_key=KEY, source_ip="x", user_agent=None)
    with pytest.raises(InvalidCallerError):
        function_url_authorizer(arn, access_key=KEY)


def test_role_arn_caller_is_a_role_id() -> None:
    identity = caller_identity(
        "arn:aws:iam::111122223333:role/Deployer", access_key=KEY, source_ip="x", user_agent=None
    )
    assert identity["caller"].startswith("AROA")
    assert identity["userArn"] == "arn:aws:iam::111122223333:role/Deployer"


@pytest.mark.parametrize(("scope", "same_owner"), [(OwnerScope.ROLE, True), (OwnerScope.SESSION, False)])
def test_local_sessions_of_one_role_follow_the_owner_scope(scope: OwnerScope, same_owner: bool) -> None:
    """``OWNER_SCOPE=session make run`` with two assumed-role sessions in the principals file."""
    owners = {
        normalise_principal(
            caller_identity(
                f"arn:aws:sts::111122223333:assumed-role/Writer/{session}",
                access_key=KEY,
                source_ip="127.0.0.1",
                user_agent=None,
            )["userArn"],
            scope,
        ).owner_key
        for session in ("alice", "bob")
    }

    assert (len(owners) == 1) is same_owner
