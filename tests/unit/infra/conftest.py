"""Fixtures shared by the infrastructure tests: the synthesized default stack and query helpers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lib.settings import TapStackArgs
from tests.unit.infra.synth import CapturedResource, Synthesis, synthesize_stack


@pytest.fixture(scope="session")
def default_stack() -> Synthesis:
    """``TapStack("tap", TapStackArgs())`` under mocks (built once: it is read-only data)."""
    return synthesize_stack(TapStackArgs())


@pytest.fixture(scope="session")
def resources(default_stack: Synthesis) -> list[CapturedResource]:
    return default_stack.resources


def of_type(resources: list[CapturedResource], type_token: str) -> list[CapturedResource]:
    return [resource for resource in resources if resource.type == type_token]


def one(resources: list[CapturedResource], type_token: str, name: str | None = None) -> CapturedResource:
    """The single resource of a type (optionally with that logical name); fails loudly otherwise."""
    matches = [r for r in of_type(resources, type_token) if name is None or r.name == name]
    assert len(matches) == 1, f"expected one {type_token} {name or ''}, found {[r.name for r in matches]}"
    return matches[0]


def policy_of(resource: CapturedResource, key: str = "policy") -> dict[str, Any]:
    """Parse a JSON policy input."""
    document: dict[str, Any] = json.loads(resource.inputs[key])
    assert document["Version"] == "2012-10-17"
    return document


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [s for s in document["Statement"] if s.get("Sid") == sid]
    assert len(matches) == 1, f"no single statement {sid!r} in {document}"
    return matches[0]


def as_list(value: str | list[str]) -> list[str]:
    """IAM allows a string or a list for Action/Resource; compare as lists."""
    return [value] if isinstance(value, str) else list(value)
