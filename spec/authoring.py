"""Spec documents written by a model: the planner's requirements, the architect's design and the reviewer's
verdict.

With a configured model, ``spec new``, ``spec design`` and ``spec review`` ask it in a role
(llm/prompts/spec.planner.md, spec.architect.md, spec.reviewer.md); the answer must be the
document (or, for the reviewer, the Verdict and Reviewer notes sections) in the documented format. What
comes back is checked like a hand-written file: it must parse without errors (else the deterministic draft is
used and the note says why), items the model left unscored get the rule-based clarity score, and the same
gates judge it. Every role's prompt holds the team's steering documents (``.specpilot/steering/*.md``,
spec/steering.py) within half the context budget, as the agent's does.

The reviewer judges whether the cited code does what each requirement says; its verdict
stands beside the review gate, which stays mechanical (every requirement has a task and a test). Outgoing
text is redacted like every agent request.

Each role's prompt comes in variants (llm/prompts/<name>@<variant>.md); the author's ``policy`` (core/policy.py;
the fixed default keeps the ``default`` variants) chooses one per call at the point ``prompt.planner``,
``prompt.architect`` or ``prompt.reviewer``, and :attr:`Author.used` records each choice with the variant and
version that served it, for the caller to log as a decision.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specpilot.core.policy import Choice, Decision, FixedPolicy, Policy
from specpilot.llm.base import Message, Provider, ProviderError
from specpilot.llm.prompt_templates import PromptLibrary, prompt_point
from specpilot.spec import clarity
from specpilot.spec.documents import Problem, parse_design, parse_requirements, parse_review, set_clarity
from specpilot.spec.frontmatter import set_fields
from specpilot.spec.stage_prompts import ROLES, design_request, requirements_request, review_request, stage_messages
from specpilot.spec.steering import read_steering

Redactor = Callable[[list[Message]], list[Message]]
_FENCE = re.compile(r"^\s*```(?:markdown|md)?\s*\n(?P<body>.*?)\n\s*```\s*$", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Opinion:
    """The reviewer's verdict (``Approved: ...`` or ``Changes needed: ...``) and its notes (Markdown bullets)."""

    verdict: str
    notes: str
    approved: bool
    author: str


@dataclass(frozen=True, slots=True)
class PromptUse:
    """One prompt the author sent: the policy's choice (point ``prompt.<role>``, option the variant id) and the
    template that served it."""

    choice: Choice
    template: str
    variant: str
    version: int
    playbook: dict[str, Any] | None = None  # {role, version, entries} when a playbook served the prompt

    def as_json(self) -> dict[str, Any]:
        return {**self.choice.as_json(), "template": self.template, "variant": self.variant,
                "version": self.version}


class Author:
    def __init__(self, provider: Provider, prompts: PromptLibrary | None = None,
                 redactor: Redactor | None = None, *, root: Path | None = None,
                 context_tokens: int = 6_000, policy: Policy | None = None) -> None:
        """``root``: the workspace whose steering documents go into every prompt (None: none);
        ``context_tokens``: the agent setting of the same name (steering gets half of it); ``policy`` chooses
        each role's prompt variant (None: the fixed default, the ``default`` variants)."""
        self.provider = provider
        self.prompts = prompts or PromptLibrary()
        self.redactor = redactor
        self.root = root
        self.context_tokens = context_tokens
        self.policy: Policy = policy or FixedPolicy()
        self.used: list[PromptUse] = []  # every prompt sent, in order; the last is the latest stage's

    @property
    def last_choice(self) -> Choice | None:
        """The policy's choice for the latest prompt (None before the first)."""
        return self.used[-1].choice if self.used else None

    @property
    def last_playbook(self) -> dict[str, Any] | None:
        """The playbook version and entries the latest prompt showed, when a playbook served it (rl/)."""
        return self.used[-1].playbook if self.used else None

    @property
    def available(self) -> bool:
        return not self.provider.offline

    def requirements(self, idea: str, *, profile: str, front: dict[str, object]) -> tuple[str | None, str]:
        """(requirements.md, note): None when the model's answer cannot be used (the note says why)."""
        text, note = self._ask(ROLES["requirements"], requirements_request(idea, profile),
                               {"ml": float(profile == "ml")})
        if text is None:
            return None, note
        model, problems = parse_requirements(text)
        errors = _errors(problems)
        if errors or not model.items:
            return None, "the model's requirements.md " + (f"has problems ({errors})" if errors else "has no items")
        for item in model.items:
            if item.clarity is None:
                scored = clarity.score(item.text)
                text = set_clarity(text, item.id, scored.score)
        return set_fields(text, {**front, "author": f"{self.provider.name} (planner)"}), note

    def design(self, requirements_text: str, affected: Sequence[tuple[str, str, int]], *,
               front: dict[str, object], profile: str = "default") -> tuple[str | None, str]:
        text, note = self._ask(ROLES["design"], design_request(requirements_text, affected, profile),
                               {"ml": float(profile == "ml")})
        if text is None:
            return None, note
        _, problems = parse_design(text)
        errors = _errors(problems)
        if errors:
            return None, f"the model's design.md has problems ({errors})"
        return set_fields(text, {**front, "author": f"{self.provider.name} (architect)"}), note

    def review(self, requirements_text: str, tasks_text: str, draft: str, code: str) -> tuple[Opinion | None, str]:
        """The reviewer's verdict and notes on the ``draft`` review.md (matrix, gaps, README check) given the
        ``code`` the matrix cites; None when the answer has no usable verdict (the note says why)."""
        text, note = self._ask(ROLES["review"], review_request(requirements_text, tasks_text, draft, code))
        if text is None:
            return None, note
        parsed, _ = parse_review(text)
        verdict = (parsed.verdict or "").strip()
        if not verdict.lower().startswith(("approved", "changes needed")):
            return None, "the reviewer's answer has no verdict (Approved: ... or Changes needed: ...); used the " \
                         "deterministic one"
        notes = next((body for name, body in parsed.texts.items() if name.lower() == "reviewer notes"), "")
        return Opinion(verdict, notes.strip(), verdict.lower().startswith("approved"),
                       f"{self.provider.name} (reviewer)"), note

    def _ask(self, template: str, request: str, features: dict[str, float] | None = None) -> tuple[str | None, str]:
        steering = read_steering(self.root, self.context_tokens // 2) if self.root is not None else ""
        features = {**(features or {}), "steering": float(bool(steering))}
        choice = self.policy.choose(Decision(prompt_point(template), self.prompts.variants(template), features))
        prompt = self.prompts.load(template, choice.option)
        messages = stage_messages(template, request, root=self.root, context_tokens=self.context_tokens,
                                  prompts=self.prompts, variant=choice.option)
        shown = getattr(prompt, "shown", None)  # a playbook's prompt (the library serves the same one twice)
        role = getattr(prompt, "role", "")
        self.used.append(PromptUse(choice, prompt.name, prompt.variant, prompt.version,
                                   {"role": role, "version": prompt.version, "entries": list(shown)}
                                   if shown is not None and role else None))
        if self.redactor is not None:
            messages = self.redactor(messages)
        try:
            answer = self.provider.chat(messages, ())
        except ProviderError as exc:
            return None, f"the model call failed ({exc}); used the deterministic draft"
        text = answer.text.strip()
        fenced = _FENCE.match(text)
        if fenced:
            text = fenced.group("body").strip()
        if not text:
            return None, "the model answered nothing; used the deterministic draft"
        return text + "\n", ""


def _errors(problems: list[Problem]) -> str:
    errors = [p for p in problems if p.severity == "error"]
    return "; ".join(f"line {p.line}: {p.message}" for p in errors[:3])
