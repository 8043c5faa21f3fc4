"""Caller identity: only from the request context, normalised, hashed into the owner key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from document_processor.errors import MissingIdentityError
from document_processor.events import parse_event
from document_processor.identity import caller_from_request, normalise_principal
from tests.unit.service.conftest import make_event

NAME = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,64}", fullmatch=True)


@pytest.mark.parametrize(
    ("arn", "principal"),
    [
        ("arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/bob"),
        ("arn:aws:iam::111122223333:user/team/bob", "arn:aws:iam::111122223333:user/team/bob"),
        ("arn:aws:iam::111122223333:role/Reader", "arn:aws:iam::111122223333:role/Reader"),
        ("arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root"),
        ("arn:aws:sts::111122223333:assumed-role/Reader/s-1", "arn:aws:iam::111122223333:role/Reader"),
        ("arn:aws-us-gov:sts::111122223333:assumed-role/R/x", "arn:aws-us-gov:iam::111122223333:role/R"),
        ("arn:aws:sts::111122223333:federated-user/carol", "arn:aws:sts::111122223333:federated-user/carol"),
    ],
)
def test_principals_normalise(arn: str, principal: str) -> None:
    caller = normalise_principal(arn)

    assert caller.principal == principal
    assert caller.account_id == "111122223333"


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "arn:aws:s3:::bucket/key",
        "arn:aws:iam::1111:user/bob",
        "arn:aws:iam::111122223333:group/admins",
        "arn:aws:iam::111122223333:user/",
        "arn:aws:iam::111122223333:user//bob",
        "arn:aws:sts::111122223333:assumed-role/OnlyRole",
        "arn:aws:sts::111122223333:user/bob",
        "arn:aws:iam::111122223333:user/bob\n",
        "arn:aws:iam::111122223333:user/b\u00f6b",
        "arn:aws:iam::111122223333:user/" + "b" * 2100,
    ],
)
def test_unsupported_principals_are_refused(arn: str) -> None:
    with pytest.raises(ValueError, match="principal"):
        normalise_principal(arn)


@given(NAME, NAME, NAME)
def test_every_session_of_a_role_has_one_owner_key(role: str, first: str, second: str) -> None:
    one = normalise_principal(f"arn:aws:sts::111122223333:assumed-role/{role}/{first}")
    other = normalise_principal(f"arn:aws:sts::111122223333:assumed-role/{role}/{second}")

    assert one.owner_key == other.owner_key
    assert one.owner_key == normalise_principal(f"arn:aws:iam::111122223333:role/{role}").owner_key


@given(NAME, NAME)
def test_different_principals_have_different_owner_keys(first: str, second: str) -> None:
    one = normalise_principal(f"arn:aws:iam::111122223333:user/{first}")
    other = normalise_principal(f"arn:aws:iam::111122223333:user/{second}")

    assert (one.owner_key == other.owner_key) == (first == second)
    assert len(one.owner_key) == 64


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_caller_comes_from_the_request_context(version: str) -> None:
    request = parse_event(
        make_event("GET", "/documents", version=version, caller="arn:aws:iam::111122223333:user/bob"),
        fallback_request_id="x",
    )

    assert caller_from_request(request).principal == "arn:aws:iam::111122223333:user/bob"


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_identity_headers_are_ignored(version: str) -> None:
    event = make_event(
        "GET", "/documents", version=version, caller=None, headers={"X-Local-Caller": "arn:aws:iam::1:root"}
    )

    with pytest.raises(MissingIdentityError):
        caller_from_request(parse_event(event, fallback_request_id="x"))


def test_v2_without_iam_authorizer_is_refused() -> None:
    event = make_event("GET", "/documents", version="2.0")
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {}}}

    with pytest.raises(MissingIdentityError):
        caller_from_request(parse_event(event, fallback_request_id="x"))
