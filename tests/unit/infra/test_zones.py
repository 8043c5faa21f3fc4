"""Zone choice by zone ID: deterministic, Lambda-supported, overridable, with messages that say the fix."""

from __future__ import annotations

import itertools

import pytest

from lib.zones import (
    LAMBDA_UNSUPPORTED_ZONE_IDS,
    REQUIRED_ZONE_COUNT,
    ZoneChoiceError,
    choose_zone_ids,
    is_zone_id,
    override_problems,
)

# us-east-1 as one account sees it (names differ per account; IDs do not), plus a Local Zone.
US_EAST_1 = {
    "use1-az6": "us-east-1d",
    "use1-az3": "us-east-1e",
    "use1-az4": "us-east-1c",
    "use1-az1": "us-east-1a",
    "use1-az5": "us-east-1f",
    "use1-az2": "us-east-1b",
    "use1-bos1-az1": "us-east-1-bos-1a",
}
USABLE = (
    "use1-az1 (us-east-1a), use1-az2 (us-east-1b), use1-az4 (us-east-1c), use1-az5 (us-east-1f), "
    "use1-az6 (us-east-1d)"
)
FIX = "Fix availabilityZoneIds, or remove it to choose zones automatically."


def test_the_known_lambda_gap_is_listed_and_two_zones_are_required() -> None:
    assert "use1-az3" in LAMBDA_UNSUPPORTED_ZONE_IDS
    assert REQUIRED_ZONE_COUNT == 2


def test_automatic_choice_is_the_lowest_supported_zone_ids_whatever_the_order() -> None:
    for order in itertools.permutations(US_EAST_1.items()):
        assert choose_zone_ids(list(order)) == ("use1-az1", "use1-az2")


def test_an_unsupported_zone_is_skipped_even_when_it_sorts_first() -> None:
    zones = {"use1-az3": "us-east-1a", "use1-az6": "us-east-1b", "use1-az4": "us-east-1c"}

    assert choose_zone_ids(zones) == ("use1-az4", "use1-az6")


def test_zone_numbers_sort_numerically() -> None:
    zones = {"xyz1-az10": "a", "xyz1-az9": "b", "xyz1-az2": "c"}

    assert choose_zone_ids(zones) == ("xyz1-az2", "xyz1-az9")
    assert choose_zone_ids(zones, count=3) == ("xyz1-az2", "xyz1-az9", "xyz1-az10")


def test_an_override_is_used_as_given_in_its_order() -> None:
    assert choose_zone_ids(US_EAST_1, override=["use1-az6", "use1-az4"]) == ("use1-az6", "use1-az4")


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (
            {"use1-az3": "us-east-1e", "use1-az1": "us-east-1a", "use1-bos1-az1": "us-east-1-bos-1a"},
            "the region offers 1 available availability zone(s) where Lambda can run "
            "(use1-az1 (us-east-1a)); the network needs 2. Deploy to a region with at least 2, or check "
            "that the account's zones are not impaired (aws ec2 describe-availability-zones).",
        ),
        (
            {},
            "the region offers 0 available availability zone(s) where Lambda can run (none); the network "
            "needs 2. Deploy to a region with at least 2, or check that the account's zones are not impaired "
            "(aws ec2 describe-availability-zones).",
        ),
    ],
)
def test_too_few_zones_says_so(zones: dict[str, str], message: str) -> None:
    with pytest.raises(ZoneChoiceError) as raised:
        choose_zone_ids(zones)

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("override", "problems"),
    [
        (["use1-az1"], "must list exactly 2 zone IDs; got 1"),
        (["use1-az1", "use1-az2", "use1-az4"], "must list exactly 2 zone IDs; got 3"),
        (["use1-az1", "use1-az1"], "lists 'use1-az1' more than once"),
        (
            ["use1-az1", "use1-bos1-az1"],
            "'use1-bos1-az1' is not an availability zone ID such as 'use1-az1' "
            "(Local and Wavelength Zones are not supported)",
        ),
        (
            ["us-east-1a", "use1-az2"],
            "'us-east-1a' is not an availability zone ID such as 'use1-az1' "
            "(Local and Wavelength Zones are not supported)",
        ),
        (["use1-az3", "use1-az1"], "Lambda does not support VPC subnets in 'use1-az3'"),
        (["use1-az1", "use1-az9"], "'use1-az9' is not an available zone of this region for this account"),
        (
            ["use1-az3", "use1-az3", "use1-az7"],
            "must list exactly 2 zone IDs; got 3; lists 'use1-az3' more than once; "
            "Lambda does not support VPC subnets in 'use1-az3'; "
            "'use1-az7' is not an available zone of this region for this account",
        ),
    ],
)
def test_a_bad_override_is_refused_with_every_problem_and_the_fix(override: list[str], problems: str) -> None:
    with pytest.raises(ZoneChoiceError) as raised:
        choose_zone_ids(US_EAST_1, override=override)

    assert str(raised.value) == (
        f"availabilityZoneIds: {problems}. Zones available here where Lambda can run: {USABLE}. {FIX}"
    )


def test_override_problems_need_no_aws_data() -> None:
    assert override_problems(["use1-az1", "use1-az9"]) == []
    assert override_problems(["use1-az3"]) == [
        "must list exactly 2 zone IDs; got 1",
        "Lambda does not support VPC subnets in 'use1-az3'",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("use1-az1", True),
        ("apne1-az4", True),
        ("cnnw1-az1", True),
        ("usgw1-az3", True),
        ("euc1-az12", True),
        ("usw2-lax1-az1", False),
        ("use1-wl1-bos-wlz1", False),
        ("us-east-1a", False),
        ("USE1-AZ1", False),
        ("use1-az", False),
        (" use1-az1", False),
    ],
)
def test_zone_id_shape(value: str, expected: bool) -> None:
    assert is_zone_id(value) is expected


def test_a_count_below_one_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="count must be at least 1; got 0"):
        choose_zone_ids(US_EAST_1, count=0)
