"""The seam between the code that makes choices and the code that learns them.

The agent asks a :class:`Policy` at each decision point (which prompt variant, how much retrieved
context, whether the critic reviews the answer) and later reports how the run went. Today the policy
is :class:`FixedPolicy`, which always takes the first option, the behaviour SpecPilot had before
the seam existed; the learning issue supplies bandit or PPO policies behind the same protocol, so
no caller changes.

A :class:`Decision` names its point and lists its options (the first is the default) together with
the features a contextual policy may use. A :class:`Choice` records what was picked and with which
probability (``propensity``), so off-policy estimates are possible from recorded runs. Choices are
plain data and go into the run's trajectory; :func:`choices_from_json` reads them back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

# The decision points the agent asks about, and their options (first = default, today's behaviour).
PROMPT = "prompt"  # prefix of the points prompt.<role> (llm/prompt_templates.prompt_point); options: variant ids
CONTEXT = "context"  # which search retrieves code for the prompt, and how many snippets: "<mix>-<k>"
CONTEXT_OPTIONS = ("hybrid-6", "hybrid-12", "hybrid-3", "bm25-6", "vector-6", "graph-6", "none")
CONTEXT_MIXES = ("hybrid", "bm25", "vector", "graph")  # graph: hybrid plus the call-graph neighbours of the hits
# Not an option the bandit is offered: recorded as the CONTEXT choice when a promoted PPO policy gathered the context
# step by step (rl/context_policy.py), so a trajectory says which it was.
CONTEXT_GATHERED = "ppo-policy"
CRITIC = "critic"  # whether a reviewer pass reads the answer before it is final
CRITIC_OPTIONS = ("review", "no-review")
TOOL = "tool"  # how the agent explores: the first option adds nothing to its prompt (today's behaviour)
TOOL_OPTIONS = ("search-first", "read-first", "graph-first")
TOOL_GUIDANCE = {
    "read-first": "Start by reading the file the task names, or the most likely one, with read_file; "
                  "search only for what reading did not show.",
    "graph-first": "Start from the call graph: find the symbol the task is about (list_symbols, search_code), "
                   "then follow graph_neighbours and find_references before reading whole files.",
}


@dataclass(frozen=True, slots=True)
class Decision:
    point: str
    options: tuple[str, ...]
    features: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.options:
            raise ValueError(f"decision {self.point!r} has no options")


@dataclass(frozen=True, slots=True)
class Choice:
    point: str
    option: str
    propensity: float = 1.0  # the probability the policy gave this option
    decision: str = ""  # the id a learning policy gave the decision (its feedback names it); "" for FixedPolicy

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"point": self.point, "option": self.option, "propensity": self.propensity}
        if self.decision:
            data["decision"] = self.decision
        return data


class Policy(Protocol):
    """Chooses an option for a decision and learns from the reward of the runs it chose for."""

    def choose(self, decision: Decision) -> Choice: ...

    def update(self, choices: Sequence[Choice], reward: float) -> None:
        """``reward``: 1.0 for a run the user accepted, 0.0 for one rejected (values between are allowed)."""
        ...


class FixedPolicy:
    """Always the first option (or the one ``defaults`` names for the point, when it is offered); learns
    nothing. The behaviour before any learning."""

    def __init__(self, defaults: Mapping[str, str] | None = None) -> None:
        self.defaults = dict(defaults or {})

    def choose(self, decision: Decision) -> Choice:
        wanted = self.defaults.get(decision.point)
        option = wanted if wanted in decision.options else decision.options[0]
        return Choice(decision.point, option, 1.0)

    def update(self, choices: Sequence[Choice], reward: float) -> None:
        return None


def choices_from_json(items: Iterable[Any]) -> list[Choice]:
    """Choices recorded with :meth:`Choice.as_json`; malformed items are skipped."""
    out: list[Choice] = []
    for item in items:
        if isinstance(item, Mapping) and isinstance(item.get("point"), str) and isinstance(item.get("option"), str):
            propensity = item.get("propensity", 1.0)
            decision = item.get("decision", "")
            out.append(Choice(item["point"], item["option"],
                              float(propensity) if isinstance(propensity, int | float) else 1.0,
                              decision if isinstance(decision, str) else ""))
    return out


def context_plan(option: str) -> tuple[str, int]:
    """A CONTEXT option's search mix and snippet count: ``hybrid-6`` -> ("hybrid", 6), ``none`` -> ("hybrid", 0);
    ``search-N`` (recorded by earlier versions) is hybrid."""
    head, _, count = option.partition("-")
    head = "hybrid" if head == "search" else head
    if head not in CONTEXT_MIXES or not count.isdigit():
        return "hybrid", 0
    return head, int(count)


def snippet_count(option: str) -> int:
    """How many snippets a CONTEXT option retrieves (``hybrid-6`` -> 6, ``none`` -> 0)."""
    return context_plan(option)[1]
