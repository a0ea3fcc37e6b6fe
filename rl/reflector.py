"""The reflector: after a run with a verdict, the configured model names the playbook entries that helped or hurt,
and proposes small edits (rl/curator.py's ``Op``), as JSON.

The model sees the role's mutable entries with their ids, the task, the outcome and the end of the answer, all as
data. Its answer must be one JSON object::

    {"helpful": ["bp-1"], "harmful": ["eh-2"],
     "edits": [{"op": "add", "section": "learned patterns", "text": "..."}], "note": "why, briefly"}

:func:`parse` checks it against the playbook: an answer that is not such an object, cites an unknown entry or
proposes an edit that is not one is a :class:`ReflectionError`, and nothing is counted or changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from specpilot.core.errors import SpecPilotError
from specpilot.llm.base import Message, Provider, ProviderError
from specpilot.llm.prompt_templates import as_data
from specpilot.rl.curator import Op
from specpilot.rl.playbook import Playbook, PlaybookError

ANSWER_CHARS = 1500
INSTRUCTIONS = """You improve the playbook a coding assistant's {role} follows. A run just ended with a verdict.
Name the playbook entries (by id) that helped and those that hurt, judging from the task, the outcome and the
answer. Then propose at most three small edits to the mutable sections: add a short, concrete entry that would have
helped; prune an entry that hurt; merge entries that say the same. Never rewrite a section. Fixed sections are not
yours to edit.

Answer with one JSON object and nothing else:
{{"helpful": ["<id>", ...], "harmful": ["<id>", ...],
 "edits": [{{"op": "add" | "prepend" | "prune" | "merge" | "promote", "section": "<section name>",
            "text": "<entry text>", "entry": "<id>", "entries": ["<id>", ...]}}],
 "note": "<one sentence>"}}
Mutable sections: {sections}."""


class ReflectionError(SpecPilotError, ValueError):
    """A reflection that cannot be used; nothing was changed because of it."""


@dataclass(frozen=True, slots=True)
class Reflection:
    helpful: tuple[str, ...]
    harmful: tuple[str, ...]
    ops: tuple[Op, ...]
    note: str = ""


def messages(book: Playbook, task: str, outcome: str, answer: str) -> list[Message]:
    """What the reflector is asked: instructions, then the entries and the run as data."""
    mutable = [s for s in book.sections if s.mutable]
    entries = "\n".join(f"[{e.id}] ({s.name}) {e.text}" for s in mutable for e in s.entries) or "(no entries yet)"
    system = INSTRUCTIONS.format(role=book.role, sections=", ".join(s.name for s in mutable))
    user = "\n\n".join([as_data("playbook entries", entries), as_data("task", task), as_data("outcome", outcome),
                        as_data("answer", answer[-ANSWER_CHARS:])])
    return [Message("system", system), Message("user", user)]


def parse(text: str, book: Playbook) -> Reflection:
    """The reflection in the model's ``text``, checked against ``book`` (module docstring)."""
    found = re.search(r"\{.*\}", text, re.DOTALL)
    if found is None:
        raise ReflectionError("the reflector's answer holds no JSON object")
    try:
        data = json.loads(found.group(0))
    except ValueError as exc:
        raise ReflectionError(f"the reflector's answer is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReflectionError("the reflector's answer is not a JSON object")
    known = book.entries()
    cited: dict[str, tuple[str, ...]] = {}
    for key in ("helpful", "harmful"):
        ids = data.get(key, [])
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ReflectionError(f"'{key}' must be a list of entry ids")
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise ReflectionError(f"'{key}' cites entries the playbook does not have: {', '.join(unknown)}")
        cited[key] = tuple(dict.fromkeys(ids))
    edits = data.get("edits", [])
    if not isinstance(edits, list):
        raise ReflectionError("'edits' must be a list")
    try:
        ops = tuple(Op.from_json(edit) for edit in edits[:3])
    except PlaybookError as exc:
        raise ReflectionError(str(exc)) from None
    return Reflection(cited["helpful"], cited["harmful"], ops, str(data.get("note", ""))[:300])


def reflect(provider: Provider, book: Playbook, task: str, outcome: str, answer: str) -> Reflection:
    """Ask ``provider`` and parse its answer; :class:`ReflectionError` when the call fails or the answer is unusable."""
    try:
        response = provider.chat(messages(book, task, outcome, answer))
    except ProviderError as exc:
        raise ReflectionError(f"the reflector could not be asked: {exc}") from None
    return parse(response.text, book)


def ids_in(text: str, book: Playbook) -> Sequence[str]:
    """The entry ids a rendered prompt showed (``[bp-3]`` markers), in order."""
    known = book.entries()
    return [i for i in dict.fromkeys(re.findall(r"\[([a-z]{1,4}-\d{1,6})\]", text)) if i in known]


def as_json(reflection: Reflection) -> dict[str, Any]:
    return {"helpful": list(reflection.helpful), "harmful": list(reflection.harmful),
            "edits": [op.as_json() for op in reflection.ops], "note": reflection.note}
