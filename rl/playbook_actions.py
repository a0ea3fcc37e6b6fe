"""What ``specpilot prompts ...`` and the server's ``specpilot.prompts.*`` commands do, once for both faces: each
action answers JSON-ready data; every refusal is a :class:`~specpilot.rl.playbook.PlaybookError` with its reason.

- ``show``: a version (default: the one in use) rendered, its outline and its JSON;
- ``history``: every version, what made it and where it stands (:func:`state`), the current one and the events;
- ``diff``: the outlines of two versions compared (default: the current one and its parent);
- ``rollback``: an earlier version in use again (default: the parent);
- ``curate``: the model-free curator's edits as a new version, tried only through the evidence gate;
- ``approve``: a person's yes to a high-risk version.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specpilot.rl.curator import apply, offline
from specpilot.rl.playbook import Playbook, PlaybookError
from specpilot.rl.playbook_render import render
from specpilot.rl.playbook_store import PlaybookStore

CURATED = "curated by hand (model-free rules)"


def outline(book: Playbook) -> str:
    """A playbook as sections and entries, with ids and votes: what ``diff`` compares."""
    lines = []
    for section in sorted(book.sections, key=lambda s: -s.priority):
        lines.append(f"## {section.name} (priority {section.priority}{', mutable' if section.mutable else ''})")
        if section.mutable:
            lines += [f"- [{e.id}] {e.text}  (+{e.helpful} / -{e.harmful}, since v{e.added_in})"
                      for e in section.entries] or ["(empty)"]
        else:
            lines += section.body.splitlines()
        lines.append("")
    return "\n".join(lines)


def show(root: Path, role: str, version: int | None = None) -> dict[str, Any]:
    store = PlaybookStore(root)
    book, notes = (store.read(role, version), []) if version is not None else store.current(role)
    prompt = render(book, {"root": str(root), "steering": "{{ steering }}", "context": "{{ context }}"})
    return {"role": role, "version": book.version, "current": store.current_version(role), "prompt": prompt,
            "outline": outline(book), "playbook": book.as_json(), "notes": notes}


def state(store: PlaybookStore, book: Playbook, current: int, candidate: int | None,
          events: Sequence[dict[str, Any]]) -> str:
    """Where a version stands: ``current`` (in use), ``awaiting approval`` (a high-risk change no person has
    approved yet), ``on trial`` (tried beside the current one until the evidence gate decides), ``rejected``
    (dropped or rolled back by the gate), or ``earlier`` (kept, so it can be used again)."""
    if book.version == current:
        return "current"
    if book.version == candidate:
        waits = book.change.get("pending_approval") and not store.approved(book.role, book.version)
        return "awaiting approval" if waits else "on trial"
    if any(e.get("kind") == "candidate_rejected" and e.get("version") == book.version for e in events):
        return "rejected"
    return "earlier"


def history(root: Path, role: str) -> dict[str, Any]:
    store = PlaybookStore(root)
    current, candidate, events = store.current_version(role), store.candidate(role), store.events(role)
    return {"role": role, "current": current, "candidate": candidate,
            "versions": [{"version": b.version, "parent": b.parent, "created": b.created, "change": b.change,
                          "state": state(store, b, current, candidate, events)} for b in store.history(role)],
            "events": events}


def diff(root: Path, role: str, versions: Sequence[int] = ()) -> dict[str, Any]:
    if len(versions) > 2:
        raise PlaybookError("diff takes one or two versions")
    store = PlaybookStore(root)
    new_v = versions[-1] if versions else store.current(role)[0].version
    new = store.read(role, new_v)
    old = store.read(role, versions[0] if len(versions) == 2 else (new.parent or new.version))
    text = "\n".join(difflib.unified_diff(outline(old).splitlines(), outline(new).splitlines(),
                                          f"{role} v{old.version}", f"{role} v{new.version}", lineterm=""))
    return {"role": role, "old": old.version, "new": new.version, "diff": text}


def rollback(root: Path, role: str, version: int | None = None) -> dict[str, Any]:
    book = PlaybookStore(root).rollback(role, version)
    return {"role": role, "current": book.version}


def curate(root: Path, role: str) -> dict[str, Any]:
    store = PlaybookStore(root)
    book, _ = store.current(role)
    ops = offline(book)
    if not ops:
        return {"role": role, "changed": False, "current": book.version}
    new = apply(book, ops, reason=CURATED)
    store.write(new, reason=CURATED, make_current=False)
    return {"role": role, "changed": True, "version": new.version, "current": book.version,
            "ops": [op.as_json() for op in ops]}


def approve(root: Path, role: str, version: int) -> dict[str, Any]:
    store = PlaybookStore(root)
    store.approve(role, version)
    return {"role": role, "approved": version, "current": store.current_version(role)}
