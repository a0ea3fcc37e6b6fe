"""The policy seam's own rules: the fixed policy keeps today's behaviour, choices survive a JSON round trip."""

from __future__ import annotations

import pytest

from specpilot.core.policy import (
    CONTEXT,
    CONTEXT_OPTIONS,
    Choice,
    Decision,
    FixedPolicy,
    choices_from_json,
    context_plan,
    snippet_count,
)


def test_the_fixed_policy_takes_the_first_option_or_its_offered_default() -> None:
    decision = Decision(CONTEXT, CONTEXT_OPTIONS)
    assert FixedPolicy().choose(decision) == Choice(CONTEXT, "hybrid-6", 1.0)
    assert FixedPolicy({CONTEXT: "none"}).choose(decision).option == "none"
    assert FixedPolicy({CONTEXT: "search-99"}).choose(decision).option == "hybrid-6"  # not offered: the default
    with pytest.raises(ValueError, match="no options"):
        Decision("prompt", ())


def test_choices_round_trip_through_json_and_bad_items_are_skipped() -> None:
    choices = [Choice("prompt", "agent.system"), Choice(CONTEXT, "none", 0.25, decision="d-42")]
    recorded = [c.as_json() for c in choices] + [{"point": 3}, "junk", {"point": "x", "option": "y", "propensity": "?"}]
    assert choices_from_json(recorded) == [*choices, Choice("x", "y", 1.0)]
    assert [snippet_count(o) for o in CONTEXT_OPTIONS] == [6, 12, 3, 6, 6, 6, 0]
    assert [context_plan(o) for o in ("graph-6", "search-12", "none", "junk-3")] == [
        ("graph", 6), ("hybrid", 12), ("hybrid", 0), ("hybrid", 0)]
