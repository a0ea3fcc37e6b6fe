"""What one setting may hold: its type, range, choices and pattern, with its description and scope.

A :class:`Rule` travels in the ``metadata`` of a settings dataclass field, so the field itself
stays a plain typed attribute with its default, and one declaration serves three readers:
the loader (:func:`check_value`), the VS Code manifest (``contributes.configuration``) and
the README table.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args, get_origin

# VS Code's configuration scopes: where a value may be set.
APPLICATION, MACHINE, MACHINE_OVERRIDABLE, WINDOW, RESOURCE = (
    "application", "machine", "machine-overridable", "window", "resource")


@dataclass(frozen=True)
class Rule:
    description: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, what it means)
    pattern: str | None = None
    pattern_message: str = ""
    scope: str = RESOURCE

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)


def rule(description: str, *, minimum: float | None = None, maximum: float | None = None,
         choices: Mapping[str, str] | None = None, pattern: str | None = None, pattern_message: str = "",
         scope: str = RESOURCE) -> dict[str, Rule]:
    """Field metadata: ``field(default=10, metadata=rule("Results.", minimum=1, maximum=200))``."""
    return {"rule": Rule(description, minimum, maximum, tuple((choices or {}).items()), pattern,
                         pattern_message, scope)}


def _number_text(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}".replace(",", "_")


def _check_range(number: float, found: Rule) -> None:
    low, high = found.minimum, found.maximum
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            bounds = f"between {_number_text(low)} and {_number_text(high)}"
        elif low is not None:
            bounds = f"at least {_number_text(low)}"
        else:
            bounds = f"at most {_number_text(high or 0)}"
        raise ValueError(f"must be {bounds}, got {number:g}" if isinstance(number, float)
                         else f"must be {bounds}, got {number}")


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"expected an integer, got {value!r}")
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip().replace("_", ""))
        except ValueError:
            pass
    raise ValueError(f"expected an integer, got {value!r}")


def _as_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {value!r}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def check_value(value: Any, annotation: Any, found: Rule | None) -> Any:
    """``value`` converted to ``annotation`` and checked against ``found``, or ValueError saying why."""
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ValueError(f"expected true or false, got {value!r}")
    if annotation is int:
        number = _as_int(value)
        if found:
            _check_range(number, found)
        return number
    if annotation is float:
        number_f = _as_float(value)
        if found:
            _check_range(number_f, found)
        return number_f
    if annotation is str:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {value!r}")
        if found and found.choices:
            allowed = found.values
            if value.lower() not in allowed:
                shown = ", ".join(repr(v) if not v else v for v in allowed)
                raise ValueError(f"must be one of {shown}; got {value!r}")
            return value.lower()
        if found and found.pattern and not re.fullmatch(found.pattern, value):
            raise ValueError(f"{found.pattern_message or 'does not match ' + found.pattern}; got {value!r}")
        return value
    if get_origin(annotation) is list:
        (item_type,) = get_args(annotation)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ValueError(f"expected a list, got {value!r}")
        return [check_value(item, item_type, None) for item in value]
    raise ValueError(f"unsupported setting type {annotation!r}")


def json_schema(annotation: Any, default: Any, found: Rule) -> dict[str, Any]:
    """One ``contributes.configuration`` property (without its key)."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string"}
    prop: dict[str, Any] = {"type": "array" if get_origin(annotation) is list else kinds[annotation],
                            "default": default}
    if prop["type"] == "array":
        prop["items"] = {"type": kinds[get_args(annotation)[0]]}
    if found.minimum is not None:
        prop["minimum"] = found.minimum
    if found.maximum is not None:
        prop["maximum"] = found.maximum
    if found.choices:
        prop["enum"] = list(found.values)
        prop["enumDescriptions"] = [meaning for _, meaning in found.choices]
    if found.pattern:
        prop["pattern"] = f"^(?:{found.pattern})$"  # the server fullmatches; JSON Schema searches
        if found.pattern_message:
            prop["patternErrorMessage"] = found.pattern_message
    prop["markdownDescription"] = found.description
    prop["scope"] = found.scope
    return prop
