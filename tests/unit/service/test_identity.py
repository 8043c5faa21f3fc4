"""Caller identity: only from the request context, normalised, hashed into the owner key."""

from __future__ import annotations

import json
from pathlib import Path

import botocore
import botocore.loaders
import pytest
from hypothesis import given
from hypothesis import strategies as st

from document_processor.errors import MissingIdentityError
from document_processor.events import parse_event
from document_processor.identity import (
    FEDERATED_USER_NAME_LENGTH,
    MAX_NAME_LENGTH,
    MAX_PATH_LENGTH,
    MAX_PRINCIPAL_LENGTH,
    NO_IDENTITY_MESSAGE,
    PARTITIONS,
    SESSION_NAME_LENGTH,
    caller_from_request,
    normalise_principal,
)
from document_processor.settings import OwnerScope
from tests.unit.service.conftest import make_event

NAME = st.from_regex(r"[A-Za-z0-9+=,.@_-]{1,64}", fullmatch=True)
SESSION = st.from_regex(r"[A-Za-z0-9+=,.@_-]{2,64}", fullmatch=True)
ACCOUNT = st.from_regex(r"[0-9]{12}", fullmatch=True)
PARTITION = st.sampled_from(sorted(PARTITIONS))
PRINCIPAL = st.one_of(
    st.builds("arn:{}:iam::{}:user/{}".format, PARTITION, ACCOUNT, NAME),
    st.builds("arn:{}:iam::{}:user/team/{}".format, PARTITION, ACCOUNT, NAME),
    st.builds("arn:{}:iam::{}:role/{}".format, PARTITION, ACCOUNT, NAME),
    st.builds("arn:{}:iam::{}:root".format, PARTITION, ACCOUNT),
    st.builds("arn:{}:sts::{}:assumed-role/{}/{}".format, PARTITION, ACCOUNT, NAME, SESSION),
    st.builds(
        "arn:{}:sts::{}:federated-user/{}".format, PARTITION, ACCOUNT, SESSION.filter(lambda n: len(n) <= 32)
    ),
)
"""Every kind of principal ARN IAM issues, in every partition."""
LONGEST_PATH = "/" + "/".join(["p" * 254, "q" * 255]) + "/"
"""A 512-character IAM path (IAM's maximum, both slashes included)."""


@pytest.mark.parametrize(
    ("arn", "principal"),
    [
        ("arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/bob"),
        ("arn:aws:iam::111122223333:user/team/bob", "arn:aws:iam::111122223333:user/team/bob"),
        ("arn:aws:iam::111122223333:role/Reader", "arn:aws:iam::111122223333:role/Reader"),
        ("arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root"),
        ("arn:aws:sts::111122223333:assumed-role/Reader/s-1", "arn:aws:iam::111122223333:role/Reader"),
        ("arn:aws-us-gov:sts::111122223333:assumed-role/R/xy", "arn:aws-us-gov:iam::111122223333:role/R"),
        ("arn:aws-cn:iam::111122223333:user/li", "arn:aws-cn:iam::111122223333:user/li"),
        ("arn:aws-iso-f:iam::111122223333:root", "arn:aws-iso-f:iam::111122223333:root"),
        ("arn:aws-eusc:sts::111122223333:assumed-role/R/xy", "arn:aws-eusc:iam::111122223333:role/R"),
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
        # not an AWS partition
        "arn:awsx:iam::111122223333:user/bob",
        "arn:aws-fake:iam::111122223333:user/bob",
        "arn:aws-iso-z:sts::111122223333:assumed-role/R/session",
        "arn:aws-:iam::111122223333:root",
        # longer than IAM allows
        "arn:aws:iam::111122223333:user/" + "b" * 65,
        "arn:aws:iam::111122223333:user" + LONGEST_PATH + "x/bob",
        "arn:aws:sts::111122223333:assumed-role/" + "R" * 65 + "/session",
        "arn:aws:sts::111122223333:assumed-role/Reader/" + "s" * 65,
        "arn:aws:sts::111122223333:assumed-role/Reader/s",
        "arn:aws:sts::111122223333:federated-user/" + "c" * 33,
    ],
)
def test_unsupported_principals_are_refused(arn: str) -> None:
    with pytest.raises(ValueError, match="principal"):
        normalise_principal(arn)


def test_partitions_are_the_ones_botocore_ships() -> None:
    data = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text())

    assert {partition["id"] for partition in data["partitions"]} == PARTITIONS


def test_name_limits_are_the_ones_iam_and_sts_declare() -> None:
    loader = botocore.loaders.Loader()
    iam = loader.load_service_model("iam", "service-2")["shapes"]
    sts = loader.load_service_model("sts", "service-2")["shapes"]

    def bounds(shape: dict[str, object]) -> tuple[object, object]:
        return shape["min"], shape["max"]

    assert bounds(iam["userNameType"]) == bounds(iam["roleNameType"]) == (1, MAX_NAME_LENGTH)
    assert bounds(iam["pathType"]) == (1, MAX_PATH_LENGTH)
    assert bounds(sts["roleSessionNameType"]) == SESSION_NAME_LENGTH
    federated = sts[sts["GetFederationTokenRequest"]["members"]["Name"]["shape"]]
    assert bounds(federated) == FEDERATED_USER_NAME_LENGTH


def test_the_length_cap_is_the_longest_principal_iam_can_issue() -> None:
    longest = "arn:aws-us-gov:iam::111122223333:user" + LONGEST_PATH + "u" * 64

    assert len(LONGEST_PATH) == 512
    assert len(longest) == MAX_PRINCIPAL_LENGTH == 613
    assert normalise_principal(longest).principal == longest
    with pytest.raises(ValueError, match="principal"):
        normalise_principal(longest + "u")


@pytest.mark.parametrize("partition", sorted(PARTITIONS))
def test_every_aws_partition_is_accepted(partition: str) -> None:
    caller = normalise_principal(f"arn:{partition}:sts::111122223333:assumed-role/Reader/s1")

    assert caller.principal == f"arn:{partition}:iam::111122223333:role/Reader"


@given(NAME, SESSION, SESSION)
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


@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize(
    "user_arn",
    [
        "arn:aws-fake:iam::111122223333:user/bob",
        "arn:aws:iam::111122223333:user/" + "b" * 65,
        "arn:aws:iam::111122223333:user/" + "b" * 100_000,
    ],
    ids=["fake-partition", "name-too-long", "huge"],
)
def test_an_unusable_identity_is_refused_exactly_like_a_missing_one(version: str, user_arn: str) -> None:
    bad = make_event("GET", "/documents", version=version, caller=user_arn)
    missing = make_event("GET", "/documents", version=version, caller=None)

    with pytest.raises(MissingIdentityError) as refused:
        caller_from_request(parse_event(bad, fallback_request_id="x"))
    with pytest.raises(MissingIdentityError) as absent:
        caller_from_request(parse_event(missing, fallback_request_id="x"))

    assert refused.value.message == absent.value.message == NO_IDENTITY_MESSAGE
    assert refused.value.code == absent.value.code == "missing_identity"


@given(NAME, SESSION, SESSION)
def test_in_session_scope_every_session_is_its_own_owner(role: str, first: str, second: str) -> None:
    arn = "arn:aws:sts::111122223333:assumed-role/{}/{}".format
    one = normalise_principal(arn(role, first), OwnerScope.SESSION)
    other = normalise_principal(arn(role, second), OwnerScope.SESSION)

    assert one.principal == arn(role, first)
    assert (one.owner_key == other.owner_key) == (first == second)
    assert one.owner_key != normalise_principal(f"arn:aws:iam::111122223333:role/{role}").owner_key
    assert one.owner_key != normalise_principal(arn(role, first)).owner_key, "role scope collapses it"


@given(PRINCIPAL, PRINCIPAL)
def test_distinct_principals_never_share_an_owner_key_in_session_scope(first: str, second: str) -> None:
    one = normalise_principal(first, OwnerScope.SESSION)
    other = normalise_principal(second, OwnerScope.SESSION)

    assert (one.owner_key == other.owner_key) == (first == second)
    assert one.principal == first
    assert len(one.owner_key) == 64
    assert set(one.owner_key) <= set("0123456789abcdef")


def _role_scope_owner(arn: str) -> str:
    """The specification of role scope: a session belongs to its role, everything else to itself."""
    _, partition, service, _, account, resource = arn.split(":", 5)
    if service == "sts" and resource.startswith("assumed-role/"):
        return f"arn:{partition}:iam::{account}:role/{resource.split('/')[1]}"
    return arn


@given(PRINCIPAL, PRINCIPAL)
def test_in_role_scope_owner_keys_are_equal_exactly_for_the_same_role_or_principal(
    first: str, second: str
) -> None:
    one = normalise_principal(first, OwnerScope.ROLE)
    other = normalise_principal(second, OwnerScope.ROLE)

    assert (one.owner_key == other.owner_key) == (_role_scope_owner(first) == _role_scope_owner(second))


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_the_request_scope_decides_a_sessions_owner(version: str) -> None:
    session = "arn:aws:sts::111122223333:assumed-role/Writer/alice@example.com"
    request = parse_event(
        make_event("GET", "/documents", version=version, caller=session), fallback_request_id="x"
    )

    assert caller_from_request(request).principal == "arn:aws:iam::111122223333:role/Writer"
    assert (
        caller_from_request(request, scope=OwnerScope.ROLE).principal
        == "arn:aws:iam::111122223333:role/Writer"
    )
    assert caller_from_request(request, scope=OwnerScope.SESSION).principal == session


def test_v2_without_iam_authorizer_is_refused() -> None:
    event = make_event("GET", "/documents", version="2.0")
    event["requestContext"]["authorizer"] = {"jwt": {"claims": {}}}

    with pytest.raises(MissingIdentityError):
        caller_from_request(parse_event(event, fallback_request_id="x"))
