"""server/command_types.py: every command argument is a frozen object, strict, camelCase on the wire, with no
unknown keys; its attribute docstrings are what the published schema says about each field."""

from __future__ import annotations

import dataclasses
import inspect
import json
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from specpilot.server import command_types
from specpilot.server.command_types import AgentOfferArgs, PromptsVersionArgs, SearchArgs

OFFER = {"kind": "fix", "title": "Fix it", "path": "a.py", "qualified": "f", "line": 3}


def wire(cls: type, value: dict[str, Any]) -> Any:
    """``value`` as the server reads it: JSON (strict mode takes objects for dataclasses only from JSON)."""
    return TypeAdapter(cls).validate_json(json.dumps(value))


CLASSES = [c for _, c in inspect.getmembers(command_types, inspect.isclass)
           if c.__module__ == command_types.__name__ and dataclasses.is_dataclass(c)]


def test_every_argument_class_is_frozen_strict_and_closed() -> None:
    assert len(CLASSES) >= 25
    for cls in CLASSES:
        config = cls.__pydantic_config__  # type: ignore[attr-defined]
        assert config["extra"] == "forbid" and config["strict"], cls
        assert cls.__dataclass_params__.frozen, cls  # type: ignore[attr-defined]


def test_camel_case_on_the_wire_and_snake_case_refused() -> None:
    given = wire(AgentOfferArgs, {"uri": "file:///w/a.py", "offer": OFFER, "decisionId": "d-1"})
    assert given.decision_id == "d-1" and given.offer.line == 3
    with pytest.raises(ValidationError, match="decision_id"):
        wire(AgentOfferArgs, {"uri": "file:///w/a.py", "offer": OFFER, "decision_id": "d-1"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        given.uri = "file:///elsewhere"  # type: ignore[misc]


def test_values_are_strict_and_bounded() -> None:
    assert wire(PromptsVersionArgs, {"role": "coder", "version": 2}).version == 2
    for bad in ({"role": "coder", "version": "2"}, {"role": "poet"}, {"role": "coder", "version": 0},
                {"role": "coder", "version": True}):
        with pytest.raises(ValidationError):
            wire(PromptsVersionArgs, bad)
    with pytest.raises(ValidationError, match="pattern"):
        wire(SearchArgs, {"query": "   "})


def test_attribute_docstrings_describe_the_fields() -> None:
    schema = TypeAdapter(AgentOfferArgs).json_schema()
    assert "changed document is refused" in schema["properties"]["version"]["description"]
    assert schema["description"].startswith("Run the agent on a code action's offer")
