"""One place that builds an agent for a workspace: settings, model, tools, guard, loop.

The CLI (``specpilot ask`` / ``agent run``) and the language server both go
through ``AgentSession``, so they are two faces of the same engine. ``ask`` gets
the read-only tools only; ``run`` gets all of them (edits are still only
proposed). Every outgoing request is redacted; trajectories go to the cache.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from specpilot.agents.loop import Agent, AgentEvent, RunResult
from specpilot.agents.tools.context import ToolContext
from specpilot.agents.tools.registry import ToolRegistry, default_registry
from specpilot.agents.trajectory import record_feedback, run_choices
from specpilot.core.config import Settings, load_settings
from specpilot.core.errors import SpecPilotError
from specpilot.core.paths import cache_dir, ensure_cache
from specpilot.core.policy import FixedPolicy, Policy, choices_from_json
from specpilot.llm.base import Provider
from specpilot.llm.prompt_templates import PromptLibrary
from specpilot.llm.safety.redact import redact_messages

READ_ONLY_TOOLS = ("search_code", "read_file", "list_symbols", "find_references", "graph_neighbours", "read_spec")
SNIPPET_CHARS = 1200


def snippet(path: str, start: int, end: int, name: str, text: str) -> str:
    """A chunk as the agent's prompt shows it: ``path:start-end name`` and its first ``SNIPPET_CHARS`` characters
    (the context policy's chunks too, rl/context_policy.py)."""
    return f"{path}:{start}-{end} {name}\n{text[:SNIPPET_CHARS]}"


class SessionError(SpecPilotError):
    """The agent cannot start (bad model settings); the message says what to fix."""


def trajectory_dir(root: Path, settings: Settings | None = None) -> Path:
    return cache_dir(root, (settings or Settings()).cache_path) / "trajectories"


def run_feedback(root: Path, settings: Settings, policy: Policy, run_id: str, *, accepted: bool,
                 note: str = "") -> None:
    """The user's verdict on an agent run: written to its trajectory, and given to ``policy`` for every decision
    the run made. FileNotFoundError when no run of the workspace has this id."""
    folder = trajectory_dir(root, settings)
    record_feedback(folder, run_id, accepted, note)
    policy.update(choices_from_json(run_choices(folder, run_id)), 1.0 if accepted else 0.0)


@dataclass
class AgentSession:
    root: Path
    settings: Settings
    provider: Provider
    ctx: ToolContext
    notes: list[str] = field(default_factory=list)
    owns_index: bool = True  # False when the server lent its open index
    policy: Policy = field(default_factory=FixedPolicy)  # makes each run's choices; learns from feedback
    # A promoted context policy (rl/context_policy.py, given by the façade): gathers the prompt's code step by step.
    gather: Callable[[str, int], list[str]] | None = None
    # The prompt library (the façade gives rl/playbook_prompts.py's when learning is on); None: the templates.
    prompts: PromptLibrary | None = None
    # Called with a run's id and verdict once the verdict is recorded (the façade feeds prompt evolution).
    on_verdict: Callable[[str, bool], None] | None = None

    @classmethod
    def open(cls, root: Path, *, settings: Settings | None = None, api_key: str | None = None,
             buffers: dict[str, tuple[str, int]] | None = None, index: object | None = None,
             env: Mapping[str, str] = os.environ) -> AgentSession:
        from specpilot.llm.factory import make_provider
        from specpilot.llm.settings import ModelConfigError

        root = root.resolve()
        notes: list[str] = []
        if settings is None:
            settings, problems = load_settings(root)
            notes += [str(p) for p in problems]
        try:
            provider = make_provider(settings.model, env, api_key)
        except ModelConfigError as exc:
            raise SessionError(str(exc)) from None
        note = getattr(provider, "note", "")
        if note:
            notes.append(str(note))
        ctx = ToolContext.create(root, settings, buffers=buffers, index=index)  # type: ignore[arg-type]
        return cls(root, settings, provider, ctx, notes, owns_index=index is None)

    def registry(self, *, ask: bool) -> ToolRegistry:
        full = default_registry()
        if not ask:
            return full
        return ToolRegistry(tool for name in READ_ONLY_TOOLS if (tool := full.get(name)) is not None)

    def run(self, task: str, *, ask: bool = False, on_event: Callable[[AgentEvent], None] | None = None,
            cancelled: Callable[[], bool] | None = None, critic: bool = True) -> RunResult:
        ensure_cache(self.root, self.settings.cache_path)
        agent = Agent(self.provider, self.registry(ask=ask), self.ctx, settings=self.settings.agent,
                      prompts=self.prompts or PromptLibrary(self.root / ".specpilot" / "prompts"),
                      trajectory_dir=trajectory_dir(self.root, self.settings),
                      redactor=redact_messages, on_event=on_event, cancelled=cancelled,
                      critic=critic and not ask, retrieve=self._retrieve, policy=self.policy, gather=self.gather)
        return agent.run(task, template="ask.system" if ask else "agent.system")

    def feedback(self, run_id: str, *, accepted: bool, note: str = "") -> None:
        if run_id:
            run_feedback(self.root, self.settings, self.policy, run_id, accepted=accepted, note=note)
            if self.on_verdict is not None:
                self.on_verdict(run_id, accepted)

    def close(self) -> None:
        index = self.ctx.loaded_index
        if index is not None and self.owns_index:
            index.close()

    def _retrieve(self, query: str, k: int, mix: str = "hybrid") -> list[str]:
        """Code for the prompt from the workspace index (``mix``: hybrid, bm25, vector, or graph = hybrid
        plus the call-graph neighbours of the hits; core/policy.py CONTEXT); nothing when there is no index
        yet (building one is `specpilot index`'s job, not a question's)."""
        if self.ctx.loaded_index is None and not (cache_dir(self.root, self.settings.cache_path) / "index").exists():
            raise LookupError("the workspace has no index yet: run `specpilot index` first")
        # Without a model a full-text search is enough and needs no embedding model (seconds to load).
        mode = "bm25" if self.provider.offline else {"bm25": "bm25", "vector": "vector"}.get(mix)
        hits = self.ctx.index().search(query, k=k, mode=mode, graph_neighbours=True if mix == "graph" else None)
        return [snippet(h.path, h.start_line, h.end_line, h.qualified_name or h.name, h.snippet) for h in hits]
