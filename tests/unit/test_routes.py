"""The route table is the single source of truth: check its shape and the matcher's rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from document_processor.routes import ROUTES, Route, match_path, path_agrees, resource_paths, routes_for_path

SEGMENT = st.text(st.characters(codec="ascii", exclude_characters="/%?#"), min_size=1, max_size=12)


def test_every_method_and_path_pair_is_declared_once() -> None:
    pairs = [(route.method, route.path) for route in ROUTES]
    assert len(pairs) == len(set(pairs))


def test_operations_are_unique() -> None:
    operations = [route.operation for route in ROUTES]
    assert len(operations) == len(set(operations))


def test_resource_paths_list_parents_before_children() -> None:
    paths = resource_paths()
    assert paths.index("/documents") < paths.index("/documents/{id}") < paths.index("/documents/{id}/content")


@pytest.mark.parametrize(
    ("request_path", "template", "parameters"),
    [
        ("/health", "/health", {}),
        ("/documents", "/documents", {}),
        ("/documents/abc", "/documents/{id}", {"id": "abc"}),
        ("/documents/abc/content", "/documents/{id}/content", {"id": "abc"}),
        ("/documents/..%2f..%2fetc", "/documents/{id}", {"id": "..%2f..%2fetc"}),
    ],
)
def test_match_path_finds_the_template_and_parameters(
    request_path: str, template: str, parameters: dict[str, str]
) -> None:
    match = match_path(request_path)
    assert match is not None
    assert match.path == template
    assert match.path_parameters == parameters


@pytest.mark.parametrize(
    "request_path",
    ["", "/", "health", "/nope", "/documents/", "/documents//content", "/documents/a/b", "/health/x"],
)
def test_match_path_rejects_undeclared_paths(request_path: str) -> None:
    assert match_path(request_path) is None


def test_literal_segments_win_over_parameters() -> None:
    routes = (
        Route("GET", "/documents/{id}", "get", "by id"),
        Route("GET", "/documents/recent", "recent", "literal"),
    )
    match = match_path("/documents/recent", routes)
    assert match is not None
    assert match.path == "/documents/recent"
    assert match.path_parameters == {}


def test_allowed_methods_lists_every_method_on_the_path() -> None:
    match = match_path("/documents/x")
    assert match is not None
    assert match.allowed_methods == ("DELETE", "GET")
    assert set(routes_for_path("/documents")) == {"GET", "POST"}


def test_segments_drop_the_leading_slash() -> None:
    assert Route("GET", "/documents/{id}/content", "x", "y").segments == ("documents", "{id}", "content")


@pytest.mark.parametrize(
    ("template", "parameters", "request_path"),
    [
        ("/health", {}, "/health"),
        ("/documents/{id}", {"id": "abc"}, "/documents/abc"),
        ("/documents/{id}/content", {"id": "abc"}, "/documents/abc/content"),
        ("/documents/{id}", {"id": "a%2Fb"}, "/documents/a%2Fb"),
        ("/documents/{id}", {"id": "a/b"}, "/documents/a%2Fb"),
        ("/documents/{id}", {"id": "a b"}, "/documents/a%20b"),
    ],
)
def test_a_path_agrees_with_its_template_and_parameters(
    template: str, parameters: dict[str, str], request_path: str
) -> None:
    assert path_agrees(template, parameters, request_path)


@pytest.mark.parametrize(
    ("template", "parameters", "request_path"),
    [
        ("/documents/{id}", {"id": "abc"}, "/documents/abc/content"),
        ("/documents/{id}/content", {"id": "abc"}, "/documents/abc"),
        ("/documents/{id}", {"id": "abc"}, "/documents/abd"),
        ("/documents/{id}", {"id": "a/b"}, "/documents/a/b"),
        ("/documents/{id}", {}, "/documents/abc"),
        ("/documents/{id}", {"id": ""}, "/documents/"),
        ("/documents/{id}", {"id": "abc", "extra": "x"}, "/documents/abc"),
        ("/documents", {}, "/health"),
        ("/documents", {}, "/dev/documents"),
        ("/documents", {}, "/documents/"),
        ("/documents", {}, "documents"),
        ("documents", {}, "documents"),
    ],
)
def test_a_path_naming_another_route_disagrees(
    template: str, parameters: dict[str, str], request_path: str
) -> None:
    assert not path_agrees(template, parameters, request_path)


@given(st.lists(SEGMENT, min_size=1, max_size=4), st.lists(SEGMENT, min_size=1, max_size=4))
def test_paths_agree_exactly_when_they_fill_the_template(first: list[str], second: list[str]) -> None:
    template = "/" + "/".join(f"{{p{index}}}" for index in range(len(first)))
    parameters = {f"p{index}": value for index, value in enumerate(first)}

    assert path_agrees(template, parameters, "/" + "/".join(first))
    assert path_agrees(template, parameters, "/" + "/".join(second)) == (first == second)
