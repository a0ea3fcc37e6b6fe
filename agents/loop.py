"""The agent loop: thought -> action (tool calls) -> observation -> critique -> refine.

One ``Agent.run(task)``:

1. assembles the prompt from a versioned template (llm/prompt_templates.py) in
   the variant the policy chose (core/policy.py), the team's steering documents
   (``.specpilot/steering/*.md``) and code found by searching the index for the
   task, under a token budget;
2. asks the model; each tool call it makes goes through the tool registry (which
   validates the arguments and the guard, and never raises) and comes back as an
   observation wrapped in a ``<data>`` block, so file contents are data, not
   instructions;
3. when the model answers without tool calls, a critic pass (the same model with
   the critic template) reads the answer and the proposed edit and says DONE or
   what to revise; a revision request goes back to the model;
4. stops on: the critic's DONE (or a final answer when the critic is off), the
   iteration limit, the token budget, the same tool call made a third time, a
   cancellation, or a provider error, and says which.

Edits are only proposed: each proposal updates the texts later tools see, and the
run's result is one combined edit from the files as they were to the files as
proposed. Every outgoing request is redacted first. Every run writes a trajectory.
Without a model (the offline provider) the loop does what needs no model
(retrieval) and says which steps need one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from specpilot.agents.trajectory import TrajectoryWriter, wire_messages, wire_tools
from specpilot.ast_tools.edits import CREATE, DELETE, EDIT, EditResult, text_change
from specpilot.core.config import AgentSettings
from specpilot.core.events import emit
from specpilot.core.policy import (
    CONTEXT,
    CONTEXT_GATHERED,
    CONTEXT_OPTIONS,
    CRITIC,
    CRITIC_OPTIONS,
    TOOL,
    TOOL_GUIDANCE,
    TOOL_OPTIONS,
    Choice,
    Decision,
    FixedPolicy,
    Policy,
    context_plan,
)
from specpilot.llm.base import ChatResponse, Message, Provider, ProviderError, ToolCall, ToolSpec, Usage
from specpilot.llm.prompt_templates import DEFAULT_VARIANT, PromptLibrary, as_data, estimate_tokens, prompt_point
from specpilot.spec.steering import read_steering

log = logging.getLogger("specpilot.agents")

PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9_]+\]")  # llm/safety/redact.py's
MAX_CRITIQUES = 2
CRITIC_TEMPLATE = "agent.critic"
REPEAT_LIMIT = 3  # the same call (tool and arguments) made this many times stops the run


class ObservationLike(Protocol):
    tool: str
    ok: bool
    content: str
    proposed_edit: EditResult | None


class ToolContextLike(Protocol):
    root: Path
    buffers: dict[str, tuple[str, int]]


class RegistryLike(Protocol):
    def specs(self) -> list[ToolSpec]: ...

    def call(self, ctx: Any, name: str, arguments: str) -> ObservationLike: ...


@dataclass(frozen=True, slots=True)
class AgentEvent:
    """What the run is doing, for a CLI that prints steps or a server that reports progress."""

    kind: str  # start | text | tool | observation | critique | stop
    step: int
    message: str


@dataclass(slots=True)
class RunResult:
    run_id: str
    answer: str
    stop: str  # answered | budget | iterations | repeated | cancelled | offline | error
    steps: int = 0
    usage: Usage = field(default_factory=Usage)
    edit: EditResult | None = None
    tool_calls: int = 0
    error: str | None = None
    trajectory: Path | None = None
    choices: list[Choice] = field(default_factory=list)  # what the policy chose for this run


Redactor = Callable[[list[Message]], list[Message]]


class Proposals:
    """The edits proposed so far, as texts: each file's original and current text."""

    def __init__(self) -> None:
        self.original: dict[str, tuple[str, int | None]] = {}
        self.current: dict[str, str] = {}
        self.actions: dict[str, str] = {}  # path -> CREATE / DELETE when a proposal made or removed the file

    def add(self, edit: EditResult) -> None:
        for file in edit.files:
            self.original.setdefault(file.path, (file.old_text, file.version))
            self.current[file.path] = file.new_text
            first = self.actions.setdefault(file.path, file.action)
            if file.action == DELETE:
                self.actions[file.path] = "none" if first == CREATE else DELETE
            elif first != CREATE:
                self.actions[file.path] = EDIT

    def combined(self) -> EditResult | None:
        result = EditResult()
        for path in sorted(self.current):
            old, version = self.original[path]
            action = self.actions.get(path, EDIT)
            if action != "none" and (self.current[path] != old or action != EDIT):
                result.files.append(text_change(path, version, old, self.current[path], action))
        return result if result.files else None


class Agent:
    def __init__(self, provider: Provider, registry: RegistryLike, ctx: Any, *, settings: AgentSettings,
                 prompts: PromptLibrary | None = None, trajectory_dir: Path | None = None,
                 redactor: Redactor | None = None, on_event: Callable[[AgentEvent], None] | None = None,
                 cancelled: Callable[[], bool] | None = None, critic: bool = True,
                 retrieve: Callable[[str, int, str], list[str]] | None = None,
                 policy: Policy | None = None, gather: Callable[[str, int], list[str]] | None = None) -> None:
        """``retrieve(query, k)`` gives code snippets for the prompt (the index's search);
        ``redactor`` cleans every outgoing message list (llm/safety/redact.py); ``policy`` makes the
        run's choices (core/policy.py; the fixed default keeps today's behaviour) and they are recorded.
        ``gather(query, budget_tokens)``: a promoted context policy (rl/context_policy.py) that gathers the
        prompt's code step by step; when given, it replaces the context strategy the policy would choose."""
        self.provider, self.registry, self.ctx, self.settings = provider, registry, ctx, settings
        self.prompts = prompts or PromptLibrary()
        self.trajectory_dir = trajectory_dir
        self.redactor = redactor
        self.on_event = on_event
        self.cancelled = cancelled or (lambda: False)
        self.critic = critic
        self.retrieve = retrieve
        self.policy: Policy = policy or FixedPolicy()
        self.gather = gather

    # -- the run ------------------------------------------------------------------------------
    def run(self, task: str, *, template: str = "agent.system") -> RunResult:
        writer = TrajectoryWriter(self.trajectory_dir) if self.trajectory_dir is not None else None
        result = RunResult(run_id=writer.run_id if writer else "", answer="", stop="iterations",
                           trajectory=writer.path if writer else None)
        choices = self._choose(template)
        result.choices = choices
        chosen = {c.point: c.option for c in choices}
        prompt = self.prompts.load(template, choices[0].option)
        critic_variant = chosen.get(prompt_point(CRITIC_TEMPLATE), DEFAULT_VARIANT)
        if chosen[CONTEXT] == CONTEXT_GATHERED:
            context = self._context(task, gathered=True)
        else:
            mix, k = context_plan(chosen[CONTEXT])
            context = self._context(task, k, mix)
        system = prompt.render({"root": str(self.ctx.root), **context}, budget_tokens=self.settings.context_tokens)
        guidance = TOOL_GUIDANCE.get(chosen.get(TOOL, ""))
        if guidance:
            system += f"\n\n## How to explore\n{guidance}"
        tools = self.registry.specs()
        messages: list[Message] = [Message("system", system), Message("user", task)]
        self._record(writer, "start", task=task, template=prompt.name, template_version=prompt.version,
                     template_variant=prompt.variant,
                     **({"prompt_entries": list(prompt.shown)} if hasattr(prompt, "shown") else {}),
                     provider=self.provider.name, offline=self.provider.offline, tools=[t.name for t in tools],
                     choices=[c.as_json() for c in choices])
        self._emit("start", 0, f"task: {task}")
        if self.provider.offline:
            return self._offline(task, context, result, writer)
        proposals = Proposals()
        calls_seen: dict[str, int] = {}
        critiques = 0
        for step in range(1, self.settings.max_iterations + 1):
            result.steps = step
            if self.cancelled():
                result.stop = "cancelled"
                break
            try:
                response = self.provider.chat(self._redacted(messages), tools, on_text=self._streamer(step))
            except ProviderError as exc:
                result.stop, result.error = "error", str(exc)
                result.answer = result.answer or f"The model call failed: {exc}"
                break
            result.usage.add(response.usage)
            self._record(writer, "model", step=step, text=response.text, stop_reason=response.stop_reason,
                         tool_calls=[_call_json(c) for c in response.tool_calls], usage=response.usage)
            messages.append(Message("assistant", response.text, tuple(response.tool_calls)))
            if response.text:
                result.answer = response.text
            if self._over_budget(result):
                result.stop = "budget"
                break
            if response.tool_calls:
                if self.cancelled():
                    result.stop = "cancelled"
                    break
                if self._act(response, messages, proposals, calls_seen, result, writer, step):
                    result.stop = "repeated"
                    break
                continue
            review = self.critic and choices[2].option == "review"
            verdict = self._critique(task, response.text, proposals, result, writer, step, critic_variant) \
                if review and critiques < MAX_CRITIQUES else None
            if verdict is None:
                result.stop = "answered"
                break
            critiques += 1
            messages.append(Message("user", f"A reviewer read your answer and edit and asks for changes:\n{verdict}"))
            if self._over_budget(result):
                result.stop = "budget"
                break
        result.edit = proposals.combined()
        # The whole conversation, the final answer included, as the model saw it (redacted).
        self._record(writer, "conversation", messages=wire_messages(self._redacted(messages)), tools=wire_tools(tools))
        self._finish(result, writer)
        return result

    def _act(self, response: ChatResponse, messages: list[Message], proposals: Proposals,
             calls_seen: dict[str, int], result: RunResult, writer: TrajectoryWriter | None, step: int) -> bool:
        """Run the response's tool calls; True when a call was repeated too often."""
        repeated = False
        for call in response.tool_calls:
            key = f"{call.name}\0{_normal(call.arguments)}"
            calls_seen[key] = calls_seen.get(key, 0) + 1
            self._emit("tool", step, f"{call.name}({_short(call.arguments)})")
            if calls_seen[key] >= REPEAT_LIMIT:
                repeated = True
                content = "This exact call was already made twice with the same arguments; the run stops here."
                messages.append(Message("tool", content, tool_call_id=call.id, name=call.name))
                continue
            observation = self.registry.call(self.ctx, call.name, call.arguments)
            result.tool_calls += 1
            placeholder = _copied_placeholder(observation.proposed_edit)
            if placeholder:
                observation.ok, observation.proposed_edit = False, None
                observation.content = (f"refused: the edit writes {placeholder}, a placeholder for a secret that was "
                                       "hidden from you; keep those lines as they are in the file")
            if observation.proposed_edit is not None:
                proposals.add(observation.proposed_edit)
                self._apply_to_context(proposals)
            self._record(writer, "tool", step=step, call=_call_json(call), ok=observation.ok,
                         content=observation.content[:4000],
                         proposed=[f.path for f in observation.proposed_edit.files] if observation.proposed_edit
                         else [])
            self._emit("observation", step, f"{'ok' if observation.ok else 'failed'}: {_short(observation.content)}")
            messages.append(Message("tool", as_data(call.name, observation.content), tool_call_id=call.id,
                                    name=call.name))
        return repeated

    def _apply_to_context(self, proposals: Proposals) -> None:
        """Later tools read the proposed texts (a proposal is never written to disk)."""
        buffers = getattr(self.ctx, "buffers", None)
        if buffers is None:
            return
        for path, text in proposals.current.items():
            version = proposals.original[path][1]
            buffers[path] = (text, version if version is not None else 0)

    def _critique(self, task: str, answer: str, proposals: Proposals, result: RunResult,
                  writer: TrajectoryWriter | None, step: int, variant: str = DEFAULT_VARIANT) -> str | None:
        """None when the critic is satisfied; otherwise what to revise. ``variant``: the critic prompt's."""
        edit = proposals.combined()
        diff = edit.diff() if edit is not None else "(no edit proposed)"
        template = self.prompts.load(CRITIC_TEMPLATE, variant)
        review = [Message("system", template.render()),
                  Message("user", f"Task:\n{task}\n\nAgent's answer:\n{answer}\n\n{as_data('diff', diff)}")]
        try:
            response = self.provider.chat(self._redacted(review), ())
        except ProviderError as exc:
            log.warning("critique skipped: %s", exc)
            return None
        result.usage.add(response.usage)
        text = response.text.strip()
        done = text.upper().startswith("DONE") or not text
        self._record(writer, "critique", step=step, text=text, done=done, usage=response.usage,
                     template_variant=template.variant, template_version=template.version)
        self._emit("critique", step, "done" if done else _short(text))
        return None if done else text

    # -- without a model ----------------------------------------------------------------------
    def _offline(self, task: str, context: dict[str, str], result: RunResult,
                 writer: TrajectoryWriter | None) -> RunResult:
        found = context.get("context_items", "")
        lines = ["No language model is configured, so SpecPilot ran only the steps that need none.", ""]
        lines.append("Done without a model: searched the workspace index for the task."
                     if found else f"Done without a model: nothing ({context.get('context_problem') or 'no index'}).")
        if found:
            lines += ["", "Code that looks relevant:", found]
        lines += ["", "Needs a model: planning the change, writing the edit, running the tools it chooses, "
                  "and reviewing the result.",
                  "To use one, set SPECPILOT_PROVIDER (openai or anthropic) with OPENAI_API_KEY or "
                  "ANTHROPIC_API_KEY, or point OPENAI_BASE_URL at a local OpenAI-compatible server "
                  "(vLLM, Ollama, llama.cpp); in the editor, use the SpecPilot model settings."]
        note = getattr(self.provider, "note", "")
        if note:
            lines += ["", str(note)]
        result.answer, result.stop = "\n".join(lines), "offline"
        self._finish(result, writer)
        return result

    # -- prompt parts -------------------------------------------------------------------------
    def _choose(self, template: str) -> list[Choice]:
        """The run's choices, in a fixed order: the variant of the prompt template (point ``prompt.<role>``,
        e.g. ``prompt.coder``), the context strategy, the critic, and, only when the critic reviews, the
        variant of the critic's prompt (``prompt.critic``). Options of a prompt point are the template's
        variant ids, ``default`` first, so the fixed policy keeps today's prompts."""
        features = {"critic_allowed": float(self.critic), "offline": float(self.provider.offline)}
        choices = [self.policy.choose(Decision(prompt_point(template), self.prompts.variants(template), features))]
        # A promoted context policy gathers instead of a fixed strategy: the bandit is not asked, nothing to learn.
        choices.append(Choice(CONTEXT, CONTEXT_GATHERED, 1.0) if self.gather is not None and not self.provider.offline
                       else self.policy.choose(Decision(CONTEXT, CONTEXT_OPTIONS, features)))
        # A run without a critic (an Ask) has no critic choice to make: not asked, so nothing is learned from it.
        choices.append(self.policy.choose(Decision(CRITIC, CRITIC_OPTIONS, features)) if self.critic
                       else Choice(CRITIC, "no-review", 1.0))
        if self.critic and choices[2].option == "review":
            choices.append(self.policy.choose(Decision(prompt_point(CRITIC_TEMPLATE),
                                                       self.prompts.variants(CRITIC_TEMPLATE), features)))
        choices.append(self.policy.choose(Decision(TOOL, TOOL_OPTIONS, features)))
        return choices

    def _context(self, task: str, k: int = 6, mix: str = "hybrid", *, gathered: bool = False) -> dict[str, str]:
        budget = self.settings.context_tokens
        steering = _steering(Path(self.ctx.root), budget // 2)
        snippets: list[str] = []
        problem = ""
        try:
            if gathered and self.gather is not None:
                snippets = self.gather(task, max(budget - estimate_tokens(steering), 0))
            elif self.retrieve is not None and k > 0:
                snippets = self.retrieve(task, k, mix)
        except Exception as exc:  # retrieval is a help, never a reason to fail the run
            log.info("retrieval for the prompt failed: %s", exc)
            problem = str(exc)
        kept, used = [], estimate_tokens(steering)
        for snippet in snippets:
            cost = estimate_tokens(snippet)
            if used + cost > budget:
                break
            kept.append(snippet)
            used += cost
        items = "\n".join(s.splitlines()[0] for s in kept if s.strip())
        return {"steering": steering or "(none)",
                "context": as_data("search_code", "\n\n".join(kept)) if kept else "(nothing found)",
                "context_items": items,
                "context_problem": problem or ("" if kept or k == 0 else "the workspace index found no matching code")}

    def _redacted(self, messages: list[Message]) -> list[Message]:
        return self.redactor(messages) if self.redactor is not None else messages

    def _over_budget(self, result: RunResult) -> bool:
        return result.usage.input_tokens + result.usage.output_tokens >= self.settings.token_budget

    def _streamer(self, step: int) -> Callable[[str], None] | None:
        if self.on_event is None:
            return None
        return lambda piece: self._emit("text", step, piece)

    def _emit(self, kind: str, step: int, message: str) -> None:
        if self.on_event is not None:
            self.on_event(AgentEvent(kind, step, message))

    def _finish(self, result: RunResult, writer: TrajectoryWriter | None) -> None:
        self._record(writer, "outcome", stop=result.stop, answer=result.answer, error=result.error,
                     steps=result.steps, usage=result.usage, tool_calls=result.tool_calls,
                     edit=[f.path for f in result.edit.files] if result.edit else [])
        self._emit("stop", result.steps, _STOPS.get(result.stop, result.stop))

    @staticmethod
    def _record(writer: TrajectoryWriter | None, kind: str, **fields: Any) -> None:
        """Into the run's trajectory, and the steps, tool calls and outcome into the event log (core/events.py)."""
        if writer is not None:
            writer.write(kind, **fields)
        run = writer.run_id if writer is not None else ""
        if kind == "model":
            emit("agent_step", run=run, step=fields["step"], tool_calls=len(fields["tool_calls"]))
        elif kind == "tool":
            emit("tool_call", run=run, step=fields["step"], tool=fields["call"]["name"], ok=fields["ok"])
        elif kind == "outcome":
            emit("agent_run", run=run, stop=fields["stop"], steps=fields["steps"], tool_calls=fields["tool_calls"])


_STOPS = {
    "answered": "finished",
    "budget": "stopped: the token budget is spent",
    "iterations": "stopped: the step limit was reached",
    "repeated": "stopped: the same tool call was repeated",
    "cancelled": "cancelled",
    "offline": "finished without a model",
    "error": "stopped: the model call failed",
}


def _steering(root: Path, budget: int) -> str:
    """The team's steering documents, within ``budget`` tokens (the spec stages read the same)."""
    return read_steering(root, budget)


def _copied_placeholder(edit: EditResult | None) -> str:
    """A redaction placeholder the edit would write into a file (the model copied it)."""
    for file in edit.files if edit is not None else ():
        for found in PLACEHOLDER.finditer(file.new_text):
            if found.group(0) not in file.old_text:
                return found.group(0)
    return ""


def _normal(arguments: str) -> str:
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except (json.JSONDecodeError, TypeError):
        return arguments.strip()


def _short(text: str, limit: int = 100) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1] + "…"


def _call_json(call: ToolCall) -> dict[str, str]:
    return {"id": call.id, "name": call.name, "arguments": call.arguments}
