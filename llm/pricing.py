"""Estimated cost of a model call, from a small table of list prices.

This is an estimate for the user's eyes (the budget line in the agent panel), not
a bill: prices change, cached input is billed lower than fresh input, and
providers round differently. A model that is not in the table -- a local model,
a fine-tune, a model newer than the table -- has no estimate (``None``), which
the UI shows as "cost unknown" rather than as zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PRICES_AS_OF = "2025-12"  # when the table below was copied from the providers' price pages


@dataclass(frozen=True, slots=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float


PRICES: dict[str, Price] = {
    # OpenAI
    "gpt-5.2": Price(1.75, 14.00),
    "gpt-5.1": Price(1.25, 10.00),
    "gpt-5": Price(1.25, 10.00),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4o-mini": Price(0.15, 0.60),
    "o3": Price(2.00, 8.00),
    "o3-mini": Price(1.10, 4.40),
    "o4-mini": Price(1.10, 4.40),
    # Anthropic
    "claude-opus-4-6": Price(5.00, 25.00),
    "claude-opus-4-5": Price(5.00, 25.00),
    "claude-opus-4-1": Price(15.00, 75.00),
    "claude-opus-4": Price(15.00, 75.00),
    "claude-sonnet-4-6": Price(3.00, 15.00),
    "claude-sonnet-4-5": Price(3.00, 15.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-3-7-sonnet": Price(3.00, 15.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-5-haiku": Price(0.80, 4.00),
}

_VENDOR_PREFIX = re.compile(r"^(openai|anthropic)/")  # routers name models "openai/gpt-4o"
_SNAPSHOT_SUFFIX = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|latest)$")  # dated snapshots cost what the alias costs


def price_of(model: str) -> Price | None:
    name = _SNAPSHOT_SUFFIX.sub("", _VENDOR_PREFIX.sub("", model.strip().lower()))
    return PRICES.get(name)


def estimate_cost(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """Estimated USD for one call, or ``None`` when the model's price is not known."""
    price = price_of(model)
    if price is None:
        return None
    return (input_tokens * price.input + output_tokens * price.output) / 1_000_000
