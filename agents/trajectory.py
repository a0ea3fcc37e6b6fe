"""Every agent run leaves a trajectory: one JSON object per line, flushed as it happens.

``<cache>/trajectories/<run id>.jsonl`` records the prompt versions, each model
call (the text and tool calls it returned, its token usage), each tool call and
its observation, the critiques, the outcome, and at the end the whole
conversation as it was sent to the model. Every record is redacted before it is
written, like every request. When the user accepts
or rejects the proposed edit, a ``feedback`` line is appended. A crash loses at
most the line being written.

``export_finetune`` turns the accepted runs into a chat-format JSONL dataset
(``{"messages": [...], "tools": [...]}`` per line, OpenAI's fine-tuning format).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

from specpilot.llm.base import Message, ToolSpec
from specpilot.llm.safety.redaction import redact_json


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:8]


_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


class TrajectoryWriter:
    def __init__(self, folder: Path, run_id: str | None = None) -> None:
        self.run_id = run_id or new_run_id()
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / f"{self.run_id}.jsonl"

    def write(self, kind: str, **fields: Any) -> None:
        # What is written to disk is redacted like what is sent: tool results, answers and tasks hold file text.
        plain = json.loads(json.dumps(fields, default=_plain, ensure_ascii=False))
        record = {"t": round(time.time(), 3), "kind": kind, **redact_json(plain, [], json_text=True)}
        line = json.dumps(record, ensure_ascii=False)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


def _run_path(folder: Path, run_id: str) -> Path:
    """The trajectory of ``run_id``; FileNotFoundError when there is none (or the id is not a run id, such as
    ``../x``: an id names a file in ``folder`` and nothing else)."""
    if not _RUN_ID.match(run_id) or not (folder / f"{run_id}.jsonl").is_file():
        raise FileNotFoundError(f"no trajectory {run_id!r} in {folder}")
    return folder / f"{run_id}.jsonl"


def record_feedback(folder: Path, run_id: str, accepted: bool, note: str = "") -> None:
    """The user's verdict on a run's proposal (accepted: the edit was applied)."""
    _run_path(folder, run_id)
    TrajectoryWriter(folder, run_id).write("feedback", accepted=accepted, note=note)


def run_choices(folder: Path, run_id: str) -> list[dict[str, Any]]:
    """The policy's choices recorded when the run started (core/policy.py), as JSON objects."""
    start = next((e for e in read(_run_path(folder, run_id)) if e.get("kind") == "start"), {})
    choices = start.get("choices")
    return choices if isinstance(choices, list) else []


def read(path: Path) -> list[dict[str, Any]]:
    """The events of one trajectory; a torn last line (a crash mid-write) is skipped."""
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def trajectories(folder: Path) -> Iterator[Path]:
    if folder.is_dir():
        yield from sorted(folder.glob("*.jsonl"))


def wire_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages in the chat fine-tuning format (OpenAI's)."""
    out: list[dict[str, Any]] = []
    for message in messages:
        item: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.tool_calls:
            item["tool_calls"] = [{"id": c.id, "type": "function",
                                   "function": {"name": c.name, "arguments": c.arguments}}
                                  for c in message.tool_calls]
        if message.role == "tool":
            item["tool_call_id"] = message.tool_call_id
        out.append(item)
    return out


def wire_tools(tools: list[ToolSpec]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": t.name, "description": t.description,
                                              "parameters": t.parameters}} for t in tools]


def export_finetune(folder: Path, out: Path, *, include_unrated: bool = False) -> tuple[int, int]:
    """Write the accepted runs' conversations to ``out``; (examples written, runs seen).
    A run counts as accepted when its last feedback line says so."""
    written = seen = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as sink:
        for path in trajectories(folder):
            seen += 1
            events = read(path)
            feedback = [e for e in events if e.get("kind") == "feedback"]
            accepted = bool(feedback[-1].get("accepted")) if feedback else include_unrated
            conversation = next((e for e in reversed(events) if e.get("kind") == "conversation"), None)
            if not accepted or conversation is None:
                continue
            example = {"messages": conversation["messages"], "tools": conversation.get("tools", [])}
            # Redacted again: a trajectory written by an older SpecPilot, or edited by hand, may hold a secret.
            sink.write(json.dumps(redact_json(example, [], json_text=True), ensure_ascii=False) + "\n")
            written += 1
    return written, seen
