"""Local callers are played in the shape IAM authorisation gives; nonsense callers are refused."""

from __future__ import annotations

import pytest

from document_processor.identity import normalise_principal
from document_processor.settings import OwnerScope
from local_mode.errors import InvalidCallerError
from local_mode.identity import DEFAULT_LOCAL_CALLER, caller_identity


def test_iam_user_identity() -> None:
    identity = caller_identity("arn:aws:iam::111122223333:user/alice", source_ip="127.0.0.1", user_agent="ua")
    assert identity["userArn"] == "arn:aws:iam::111122223333:user/alice"
    assert identity["accountId"] == "111122223333"
    assert identity["caller"].startswith("AIDA")
    assert identity["user"] == identity["caller"]
    assert identity["sourceIp"] == "127.0.0.1"
    assert identity["userAgent"] == "ua"


def test_sessions_of_one_role_share_the_role_id_but_keep_their_session_name() -> None:
    first = caller_identity(
        "arn:aws:sts::111122223333:assumed-role/Reader/one", source_ip="127.0.0.1", user_agent=None
    )
    second = caller_identity(
        "arn:aws:sts::111122223333:assumed-role/Reader/two", source_ip="127.0.0.1", user_agent=None
    )
    first_role_id, first_session = first["caller"].split(":")
    second_role_id, second_session = second["caller"].split(":")
    assert first_role_id == second_role_id
    assert first_role_id.startswith("AROA")
    assert (first_session, second_session) == ("one", "two")


def test_different_users_get_different_ids() -> None:
    alice = caller_identity("arn:aws:iam::111122223333:user/alice", source_ip="x", user_agent=None)
    bob = caller_identity("arn:aws:iam::111122223333:user/bob", source_ip="x", user_agent=None)
    assert alice["caller"] != bob["caller"]


def test_root_caller_is_the_account() -> None:
    identity = caller_identity("arn:aws:iam::111122223333:root", source_ip="x", user_agent=None)
    assert identity["caller"] == "111122223333"


def test_default_local_caller_is_a_valid_principal() -> None:
    identity = caller_identity(DEFAULT_LOCAL_CALLER, source_ip="x", user_agent=None)
    assert identity["userArn"] == DEFAULT_LOCAL_CALLER


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
    with pytest.raises(
        InvalidCallerError, match=r"X-Local-Caller must be an IAM or STS principal ARN such as"
    ):
        caller_identity(arn, source_ip="x", user_agent=None)


def test_role_arn_caller_is_a_role_id() -> None:
    identity = caller_identity("arn:aws:iam::111122223333:role/Deployer", source_ip="x", user_agent=None)
    assert identity["caller"].startswith("AROA")
    assert identity["userArn"] == "arn:aws:iam::111122223333:role/Deployer"


@pytest.mark.parametrize(("scope", "same_owner"), [(OwnerScope.ROLE, True), (OwnerScope.SESSION, False)])
def test_local_sessions_of_one_role_follow_the_owner_scope(scope: OwnerScope, same_owner: bool) -> None:
    """``OWNER_SCOPE=session make run`` plus ``X-Local-Caller: <assumed-role ARN>`` plays two sessions."""
    owners = {
        normalise_principal(
            caller_identity(
                f"arn:aws:sts::111122223333:assumed-role/Writer/{session}",
                source_ip="127.0.0.1",
                user_agent=None,
            )["userArn"],
            scope,
        ).owner_key
        for session in ("alice", "bob")
    }

    assert (len(owners) == 1) is same_owner
