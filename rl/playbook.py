"""A role's prompt as a playbook (Agentic Context Engineering): sections that are either fixed text or itemised
entries that grow by small, curated edits, never by a rewrite.

A :class:`Playbook` belongs to a role (planner, architect, coder, reviewer) and has a version. Its sections each
have a priority and a mutable flag:

- immutable sections (identity, capabilities, the answer's format) are text, written by people; curation never
  touches them;
- mutable sections (error handling, learned patterns, best practices) hold :class:`Entry` items, each with an
  id, helpful/harmful counters and the version that added it. Their utility is the share of helpful votes
  (Laplace-smoothed), and curation prunes those under ``PRUNE_BELOW``.

Section text may use Jinja2 (``{{ steering }}``, ``{% if context %}``); rl/playbook_render.py renders a playbook
into a prompt under a token budget. This module holds the data and its JSON form; rl/playbook_store.py keeps the
versions on disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from specpilot.core.errors import SpecPilotError

ROLES = {"planner": "spec.planner", "architect": "spec.architect", "coder": "agent.system",
         "reviewer": "spec.reviewer"}  # role -> the built-in template its first version is made from
MUTABLE_SECTIONS = (("error handling", 5), ("learned patterns", 4), ("best practices", 4))
PRUNE_BELOW = 0.1
_ID = re.compile(r"[a-z]{1,4}-\d{1,6}")


class PlaybookError(SpecPilotError, ValueError):
    """A playbook that cannot be read or an edit that cannot be made; the message says which and why."""


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    text: str
    helpful: int = 0
    harmful: int = 0
    added_in: int = 1

    @property
    def utility(self) -> float:
        """The share of helpful votes, with one of each assumed (0.5 with no votes)."""
        return (self.helpful + 1) / (self.helpful + self.harmful + 2)


@dataclass(frozen=True, slots=True)
class Section:
    name: str
    priority: int
    mutable: bool
    body: str = ""  # the text of an immutable section (Jinja2)
    entries: tuple[Entry, ...] = ()

    def entry(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == entry_id), None)


@dataclass(frozen=True, slots=True)
class Playbook:
    role: str
    version: int
    sections: tuple[Section, ...]
    parent: int | None = None
    created: str = ""
    change: dict[str, Any] = field(default_factory=dict)  # what made this version from its parent, and why

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def entries(self) -> dict[str, tuple[Section, Entry]]:
        return {e.id: (s, e) for s in self.sections for e in s.entries}

    def with_section(self, new: Section) -> Playbook:
        return replace(self, sections=tuple(new if s.name == new.name else s for s in self.sections))

    def next_id(self, section: str) -> str:
        """A new entry id for ``section``: its initials and the next free number (``bp-7``)."""
        prefix = "".join(word[0] for word in section.split())[:4] or "e"
        used = [int(i.split("-")[1]) for i in self.entries() if i.startswith(prefix + "-")]
        return f"{prefix}-{max(used, default=0) + 1}"

    # -- JSON ------------------------------------------------------------------------------------------------
    def as_json(self) -> dict[str, Any]:
        return {"role": self.role, "version": self.version, "parent": self.parent, "created": self.created,
                "change": self.change,
                "sections": [{"name": s.name, "priority": s.priority, "mutable": s.mutable,
                              **({"entries": [{"id": e.id, "text": e.text, "helpful": e.helpful, "harmful": e.harmful,
                                               "added_in": e.added_in} for e in s.entries]} if s.mutable
                                 else {"body": s.body})} for s in self.sections]}

    @classmethod
    def from_json(cls, data: Any, source: str = "playbook") -> Playbook:
        """The playbook in ``data``; :class:`PlaybookError` naming what is wrong."""
        try:
            role, version = str(data["role"]), int(data["version"])
            sections = []
            for item in data["sections"]:
                mutable = bool(item["mutable"])
                entries = tuple(Entry(str(e["id"]), str(e["text"]), int(e.get("helpful", 0)), int(e.get("harmful", 0)),
                                      int(e.get("added_in", 1))) for e in item.get("entries", [])) if mutable else ()
                sections.append(Section(str(item["name"]), int(item["priority"]), mutable,
                                        "" if mutable else str(item.get("body", "")), entries))
            parent = data.get("parent")
            book = cls(role, version, tuple(sections), None if parent is None else int(parent),
                       str(data.get("created", "")), dict(data.get("change") or {}))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise PlaybookError(f"{source}: not a playbook ({type(exc).__name__}: {exc})") from None
        book.check(source)
        return book

    def check(self, source: str = "playbook") -> None:
        if self.role not in ROLES:
            raise PlaybookError(f"{source}: unknown role {self.role!r} (one of {', '.join(ROLES)})")
        if self.version < 1:
            raise PlaybookError(f"{source}: version must be 1 or more")
        names = [s.name for s in self.sections]
        if len(set(names)) != len(names) or not names:
            raise PlaybookError(f"{source}: section names must be unique, and there must be one")
        ids = [e.id for s in self.sections for e in s.entries]
        if len(set(ids)) != len(ids) or any(not _ID.fullmatch(i) for i in ids):
            raise PlaybookError(f"{source}: entry ids must be unique and look like 'bp-3'")
        if any(e.helpful < 0 or e.harmful < 0 for s in self.sections for e in s.entries):
            raise PlaybookError(f"{source}: counters cannot be negative")


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def seed(role: str, sections: list[tuple[str, int, bool, str]], created: str = "") -> Playbook:
    """Version 1 of ``role``'s playbook from its built-in template's sections ``(title, priority, mutable, body)``:
    fixed sections stay text (``{name}`` placeholders become Jinja2's ``{{ name }}``); a mutable section's
    sentences or bullets become the first best practices; error handling and learned patterns start empty."""
    fixed, practices = [], []
    for title, priority, mutable, body in sections:
        if mutable:
            practices += _items(body)
        else:
            fixed.append(Section(title, priority, False, _PLACEHOLDER.sub(r"{{ \1 }}", body)))
    mutable_sections = []
    for name, priority in MUTABLE_SECTIONS:
        items = practices if name == "best practices" else []
        prefix = "".join(word[0] for word in name.split())
        mutable_sections.append(Section(name, priority, True, entries=tuple(
            Entry(f"{prefix}-{n}", text) for n, text in enumerate(items, start=1))))
    return Playbook(role, 1, tuple(fixed + mutable_sections), None, created,
                    {"kind": "seed", "from": ROLES[role]})


def _items(body: str) -> list[str]:
    """A mutable template section as separate items: its bullets, or else its sentences."""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if lines and all(line.startswith(("-", "*")) for line in lines):
        return [line.lstrip("-* ").strip() for line in lines]
    text = " ".join(lines)
    return [part.strip() for part in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if part.strip()]
