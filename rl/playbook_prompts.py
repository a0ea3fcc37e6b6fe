"""Playbooks at work: the prompt library the agent uses when learning is on, and its runs fed back as experiences.

:class:`PlaybookLibrary` is llm/prompt_templates.py's library in which the ``default`` variant of the coder's
template (``agent.system``) is the coder's playbook, in the version rl/playbook_evolve.py picks for the run (the
current one, or on a share of runs the version on trial). Other variants and templates are the files, as before.
A :class:`PlaybookPrompt` renders like a template and remembers the entry ids it showed; the agent writes them in
the run's trajectory (``prompt_entries``).

:func:`record_run` turns a run the user judged into an experience: success (the run answered), quality (the
critic's verdict: DONE 1, REVISE 0; the success without a critic), tokens, the verdict, the entries shown. The
evolver then counts votes (the configured model reflects; without one, the shown entries share the outcome),
updates and gates the playbook.

The spec stages' roles (planner, architect, reviewer) are served the same way; a draft keeps the version and the
entries in its front matter, and the user's verdict on it (the next stage built on it: kept; drafted again:
rejected; spec/draft_verdicts.py) comes back through :func:`record_draft`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from specpilot.core.config import Settings
from specpilot.core.paths import cache_dir
from specpilot.llm.base import Provider
from specpilot.llm.prompt_templates import DEFAULT_VARIANT, PromptLibrary, PromptTemplate
from specpilot.rl.playbook import Playbook, PlaybookError
from specpilot.rl.playbook_evolve import Evolver, Experience
from specpilot.rl.playbook_render import render
from specpilot.rl.playbook_store import PlaybookStore
from specpilot.rl.reflector import Reflection, ReflectionError, ids_in, reflect

log = logging.getLogger("specpilot.rl")

# template -> the role whose playbook serves its default variant
WIRED = {"agent.system": "coder", "spec.planner": "planner", "spec.architect": "architect",
         "spec.reviewer": "reviewer"}


class PlaybookPrompt:
    """A playbook version used where a template would be: ``name``, ``version``, ``variant``, ``render``."""

    def __init__(self, name: str, book: Playbook, budget: int) -> None:
        self.name, self.book, self.budget = name, book, budget
        self.role = book.role
        self.version = book.version
        self.variant = DEFAULT_VARIANT
        self.shown: list[str] = []

    def render(self, variables: dict[str, str] | None = None, budget_tokens: int | None = None) -> str:
        text = render(self.book, variables or {}, min(budget_tokens or self.budget, self.budget))
        self.shown = list(ids_in(text, self.book))
        return text


def evolver(root: Path, settings: Settings, role: str, provider: Provider | None = None) -> Evolver:
    """The evolver of ``role``'s playbook in ``root``; with a non-offline ``provider``, it reflects with it."""
    model = provider if provider is not None and not provider.offline else None

    def reflect_with_model(book: Playbook, experience: Experience) -> Reflection:
        assert model is not None
        outcome = ("accepted" if experience.accepted else "rejected") if experience.accepted is not None \
            else ("answered" if experience.success else "did not finish")
        return reflect(model, book, experience.task, outcome, experience.answer)

    path = cache_dir(root, settings.cache_path) / "playbooks" / f"{role}.jsonl"
    return Evolver(PlaybookStore(root), role, settings.learning, path,
                   reflect=reflect_with_model if model is not None else None)


class PlaybookLibrary(PromptLibrary):
    def __init__(self, root: Path, settings: Settings) -> None:
        super().__init__(root / ".specpilot" / "prompts")
        self.root, self.settings = root, settings
        self._served: dict[str, PlaybookPrompt] = {}

    def load(self, name: str, variant: str = DEFAULT_VARIANT) -> PromptTemplate:
        """The template, or for a wired role's default variant its playbook: one version per library (a run or a
        stage loads its prompt more than once; all of them are the same version)."""
        role = WIRED.get(name)
        if role is None or variant != DEFAULT_VARIANT:
            return super().load(name, variant)
        if name not in self._served:
            self._served[name] = self._choose(name, role)
        return self._served[name]  # type: ignore[return-value]

    def _choose(self, name: str, role: str) -> PlaybookPrompt:
        chosen = evolver(self.root, self.settings, role)
        try:
            book = chosen.store.read(role, chosen.choose())
        except PlaybookError as exc:
            log.warning("playbook %s: %s; using the current version", role, exc)
            book, _ = chosen.store.current(role)
        return PlaybookPrompt(name, book, self.settings.learning.prompt_budget)


def record_run(root: Path, settings: Settings, events: list[dict[str, Any]], accepted: bool,
               provider: Provider | None = None) -> list[str]:
    """Feed a judged agent run (its trajectory's events) to the coder's evolver; what happened (log lines). A
    run whose prompt was not a playbook's is skipped."""
    start: dict[str, Any] = next((e for e in events if e.get("kind") == "start"), {})
    if WIRED.get(str(start.get("template"))) != "coder" or "prompt_entries" not in start:
        return []
    outcome: dict[str, Any] = next((e for e in reversed(events) if e.get("kind") == "outcome"), {})
    critiques = [e for e in events if e.get("kind") == "critique"]
    usage = outcome.get("usage") or {}
    success = 1.0 if outcome.get("stop") == "answered" else 0.0
    quality = (1.0 if critiques[-1].get("done") else 0.0) if critiques else success
    experience = Experience(int(start.get("template_version") or 1), success, quality,
                            int(usage.get("input_tokens", 0)) + int(usage.get("output_tokens", 0)), float(accepted),
                            tuple(str(i) for i in start.get("prompt_entries") or ()), str(start.get("task", "")),
                            str(outcome.get("answer", "")))
    return _record(root, settings, "coder", experience, provider)


def _record(root: Path, settings: Settings, role: str, experience: Experience,
            provider: Provider | None = None) -> list[str]:
    """``experience`` to ``role``'s evolver; what happened, also logged. A failure is logged, never raised."""
    try:
        happened = evolver(root, settings, role, provider).record(experience)
    except (PlaybookError, ReflectionError, OSError) as exc:
        log.warning("playbook %s: the verdict was not learned from: %s", role, exc)
        return []
    for line in happened:
        log.info("playbook %s: %s", role, line)
    return happened


def record_draft(root: Path, settings: Settings, used: dict[str, Any], kept: bool, draft: str = "",
                 provider: Provider | None = None) -> list[str]:
    """Feed the verdict on a spec draft (its front matter's ``playbook``: role, version, entries) to that role's
    evolver, with ``provider`` (when not offline) reflecting on the ``draft``; a draft's success, quality and
    acceptance are the verdict (tokens are not known here)."""
    role = str(used.get("role", ""))
    if role not in WIRED.values() or role == "coder":
        return []
    verdict = float(kept)
    heading = next((line.lstrip("# ").strip() for line in draft.splitlines() if line.startswith("#")), "")
    task = f"{role} draft" + (f": {heading}" if heading else "")
    experience = Experience(int(used.get("version") or 1), verdict, verdict, 0, verdict,
                            tuple(str(i) for i in used.get("entries") or ()), task, draft)
    return _record(root, settings, role, experience, provider)
