"""Delta edits to a playbook (rl/playbook.py), and the curator that proposes them without a model.

An edit (:class:`Op`) is one of:

- ``add`` / ``append`` (at the end) or ``prepend`` (at the start) a new entry in a mutable section;
- ``merge`` entries into one new entry (the merged ones go);
- ``prune`` an entry;
- ``promote`` an entry to the front of its section;
- ``replace_section``: a mutable section's entries replaced whole, only with ``approved`` (a person said yes).

:func:`apply` makes the next version from a list of edits, all or none: an edit of an immutable section, of an
unknown section or entry, or an empty text refuses the whole list with a :class:`PlaybookError` that names it,
and nothing changes. An added entry that says the same as one already there (cosine of the packaged
embedder's vectors at or above ``DUPLICATE_COSINE``, or the same words when no embedder is given) is not added.
Entries longer than ``MAX_ENTRY_CHARS`` are compressed to their first sentences.

:func:`offline` is the curator without a model: rules on the counters alone, so the same counters always give
the same edits: prune what is consistently harmful (utility under 0.1 with at least ``MIN_VOTES`` votes), promote
what is consistently helpful (utility 0.8 or more with at least ``MIN_VOTES`` votes and not first already).
A change is *high risk* when it touches more than ``RISKY_OPS`` entries or replaces a section.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from specpilot.rl.playbook import PRUNE_BELOW, Entry, Playbook, PlaybookError, Section

OPS = ("add", "append", "prepend", "merge", "prune", "promote", "replace_section")
DUPLICATE_COSINE = 0.9
MAX_ENTRY_CHARS = 300
MIN_VOTES = 5
PROMOTE_AT = 0.8
RISKY_OPS = 3

Embed = Callable[[Sequence[str]], np.ndarray]  # texts -> unit vectors (the packaged embedder's embed_texts)


@dataclass(frozen=True, slots=True)
class Op:
    op: str
    section: str = ""
    text: str = ""
    entry: str = ""  # prune, promote
    entries: tuple[str, ...] = ()  # merge
    items: tuple[str, ...] = ()  # replace_section

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in {"op": self.op, "section": self.section, "text": self.text, "entry": self.entry,
                                  "entries": list(self.entries), "items": list(self.items)}.items() if v}

    @classmethod
    def from_json(cls, data: Any) -> Op:
        if not isinstance(data, dict) or data.get("op") not in OPS:
            raise PlaybookError(f"not an edit: {str(data)[:120]} (op must be one of {', '.join(OPS)})")
        return cls(str(data["op"]), str(data.get("section", "")), str(data.get("text", "")),
                   str(data.get("entry", "")), tuple(map(str, data.get("entries", []))),
                   tuple(map(str, data.get("items", []))))


def risky(ops: Sequence[Op]) -> bool:
    touched = sum(max(1, len(op.entries), len(op.items)) for op in ops)
    return touched > RISKY_OPS or any(op.op == "replace_section" for op in ops)


def compress(text: str) -> str:
    """An entry's text, at most ``MAX_ENTRY_CHARS``: whole first sentences when they fit, else cut with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= MAX_ENTRY_CHARS:
        return flat
    kept = ""
    for sentence in re.split(r"(?<=[.!?])\s+", flat):
        if len(kept) + len(sentence) + 1 > MAX_ENTRY_CHARS:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or flat[:MAX_ENTRY_CHARS - 1] + "…"


def apply(book: Playbook, ops: Sequence[Op], *, reason: str, approved: bool = False,
          embed: Embed | None = None) -> Playbook:
    """The next version of ``book`` with ``ops`` made, all or none (module docstring)."""
    if not ops:
        raise PlaybookError("no edits to make")
    version = book.version + 1
    current = book
    skipped: list[str] = []
    for n, op in enumerate(ops, start=1):
        where = f"edit {n} ({op.op})"
        section = current.section(op.section) if op.section else None
        if op.op in ("prune", "promote"):
            found = current.entries().get(op.entry)
            if found is None:
                raise PlaybookError(f"{where}: no entry {op.entry!r}")
            section = found[0]
        elif op.op == "merge":
            found_all = [current.entries().get(i) for i in op.entries]
            if len(op.entries) < 2 or any(f is None for f in found_all):
                raise PlaybookError(f"{where}: merge needs two or more known entries (got {list(op.entries)})")
            sections = {f[0].name for f in found_all if f is not None}
            if len(sections) != 1:
                raise PlaybookError(f"{where}: merged entries must share a section")
            section = current.section(sections.pop())
        if section is None:
            raise PlaybookError(f"{where}: no section {op.section!r}")
        if not section.mutable:
            raise PlaybookError(f"{where}: section {section.name!r} is fixed; only people edit it")
        if op.op in ("add", "append", "prepend", "merge") and not op.text.strip():
            raise PlaybookError(f"{where}: the entry's text is empty")
        entries = list(section.entries)
        if op.op in ("add", "append", "prepend"):
            text = compress(op.text)
            if _duplicate(text, [e.text for s in current.sections for e in s.entries], embed):
                skipped.append(f"{where}: says what an entry already says")
                continue
            new = Entry(current.next_id(section.name), text, added_in=version)
            entries = [new, *entries] if op.op == "prepend" else [*entries, new]
        elif op.op == "merge":
            first = min(i for i, e in enumerate(entries) if e.id in op.entries)
            merged = Entry(current.next_id(section.name), compress(op.text), added_in=version)
            entries = [e for e in entries if e.id not in op.entries]
            entries.insert(first, merged)
        elif op.op == "prune":
            entries = [e for e in entries if e.id != op.entry]
        elif op.op == "promote":
            chosen = next(e for e in entries if e.id == op.entry)
            entries = [chosen, *(e for e in entries if e.id != op.entry)]
        elif op.op == "replace_section":
            if not approved:
                raise PlaybookError(f"{where}: replacing section {section.name!r} whole needs a person's approval")
            entries = [Entry(f"{current.next_id(section.name).split('-')[0]}-{n}", compress(t), added_in=version)
                       for n, t in enumerate(op.items, start=1) if t.strip()]
        current = current.with_section(replace(section, entries=tuple(entries)))
    if current == book:
        raise PlaybookError("the edits change nothing" + (f" ({'; '.join(skipped)})" if skipped else ""))
    return replace(current, version=version, parent=book.version,
                   change={"kind": "curate", "reason": reason, "ops": [op.as_json() for op in ops],
                           "skipped": skipped, "approved": approved})


def _duplicate(text: str, existing: Sequence[str], embed: Embed | None) -> bool:
    if not existing:
        return False
    if embed is None:
        words = _words(text)
        return any(words == _words(other) for other in existing)
    vectors = np.asarray(embed([text, *existing]), dtype=np.float32)
    return bool(np.max(vectors[1:] @ vectors[0]) >= DUPLICATE_COSINE)


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"[a-z0-9]+", text.lower()))


def offline(book: Playbook) -> list[Op]:
    """The model-free curator's edits for ``book``'s counters (module docstring); [] when nothing is due."""
    ops: list[Op] = []
    for section in book.sections:
        if not section.mutable:
            continue
        for position, entry in enumerate(section.entries):
            votes = entry.helpful + entry.harmful
            if votes >= MIN_VOTES and entry.utility < PRUNE_BELOW:
                ops.append(Op("prune", entry=entry.id))
            elif votes >= MIN_VOTES and entry.utility >= PROMOTE_AT and position > 0 \
                    and not _leads(section, entry):
                ops.append(Op("promote", entry=entry.id))
    return ops


def _leads(section: Section, entry: Entry) -> bool:
    """True when every entry before ``entry`` is at least as useful (promoting it would change nothing useful)."""
    before = section.entries[:section.entries.index(entry)]
    return all(other.utility >= entry.utility for other in before)
