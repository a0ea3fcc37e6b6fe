"""``specpilot prompts show|history|diff|rollback|curate|approve ROLE [VERSION]``: the roles' prompt playbooks
(rl/playbook_store.py): the version in use rendered, the versions and their changes, what changed between two,
going back to an earlier one, a curation by hand with the model-free curator (rl/curator.py), and a person's yes
to a high-risk version (rl/playbook_evolve.py tries it only then)."""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path
from typing import Any

from specpilot.rl.playbook import ROLES

EXIT_OK = 0


def add_parser(sub: Any) -> None:
    p_prompts = sub.add_parser("prompts", help="the roles' prompt playbooks: show, history, diff, rollback, curate")
    actions = p_prompts.add_subparsers(dest="action", required=True, metavar="ACTION")
    parsers = {
        "show": actions.add_parser("show", help="a version of a role's playbook (default: the one in use), rendered"),
        "history": actions.add_parser("history", help="every version of a role's playbook and what made it"),
        "diff": actions.add_parser("diff", help="what changed between two versions (default: the current one and "
                                                "its parent)"),
        "rollback": actions.add_parser("rollback", help="use an earlier version again (default: the parent)"),
        "curate": actions.add_parser("curate", help="apply the model-free curator's edits (prune the consistently "
                                                    "harmful, promote the consistently helpful) as a new version"),
        "approve": actions.add_parser("approve", help="approve a high-risk version, so it is tried beside the current "
                                                      "one (the evidence gate still decides)"),
    }
    for name, parser in parsers.items():
        parser.add_argument("role", choices=tuple(ROLES), help="planner, architect, coder or reviewer")
        if name in ("show", "rollback"):
            parser.add_argument("version", nargs="?", type=int, default=None)
        if name == "approve":
            parser.add_argument("version", type=int)
        if name == "diff":
            parser.add_argument("versions", nargs="*", type=int, metavar="VERSION", help="one or two versions")
        parser.add_argument("-w", "--workspace", type=Path, default=None,
                            help="workspace folder (default: the current folder)")
        parser.add_argument("--json", action="store_true")
    parsers["show"].add_argument("--outline", action="store_true", help="sections and entries with their ids and "
                                                                        "votes, not the rendered prompt")


def outline(book: Any) -> str:
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


def cmd_prompts(args: argparse.Namespace) -> int:
    from specpilot.rl.curator import apply, offline
    from specpilot.rl.playbook import PlaybookError
    from specpilot.rl.playbook_render import render
    from specpilot.rl.playbook_store import PlaybookStore

    root = (args.workspace or Path.cwd()).resolve()
    store = PlaybookStore(root)
    role = args.role
    # Every refusal (an unknown version, a damaged file, nothing to roll back to) is a SpecPilotError: the CLI
    # prints it and exits 1.
    if args.action == "show":
        book = store.read(role, args.version) if args.version is not None else store.current(role)[0]
        if args.json:
            print(json.dumps(book.as_json(), indent=2))
        else:
            print(outline(book) if args.outline else render(book, {"root": str(root), "steering": "{{ steering }}",
                                                                   "context": "{{ context }}"}))
    elif args.action == "history":
        current = store.current_version(role)
        books = store.history(role)
        if args.json:
            print(json.dumps({"current": current, "versions": [b.as_json() for b in books],
                              "events": store.events(role)}, indent=2))
        for book in books if not args.json else ():
            mark = "*" if book.version == current else " "
            change = book.change.get("reason") or book.change.get("kind", "")
            print(f"{mark} v{book.version}  {book.created or '-'}  from v{book.parent or '-'}  {change}")
    elif args.action == "diff":
        if len(args.versions) > 2:
            raise PlaybookError("diff takes one or two versions")
        now = store.current(role)[0]
        new_v = args.versions[1] if len(args.versions) == 2 else (args.versions[0] if args.versions
                                                                 else now.version)
        new = store.read(role, new_v)
        old_v = args.versions[0] if len(args.versions) == 2 else (new.parent or new.version)
        old = store.read(role, old_v)
        lines = difflib.unified_diff(outline(old).splitlines(), outline(new).splitlines(),
                                     f"{role} v{old.version}", f"{role} v{new.version}", lineterm="")
        text = "\n".join(lines)
        print(json.dumps({"old": old.version, "new": new.version, "diff": text}) if args.json
              else (text or f"v{old.version} and v{new.version} are the same"))
    elif args.action == "approve":
        store.approve(role, args.version)
        print(json.dumps({"approved": args.version}) if args.json
              else f"v{args.version} approved: it is tried beside v{store.current_version(role)}")
    elif args.action == "rollback":
        book = store.rollback(role, args.version)
        print(json.dumps({"current": book.version}) if args.json else f"the {role} playbook is at v{book.version}")
    else:  # curate
        book, _ = store.current(role)
        ops = offline(book)
        if not ops:
            print(json.dumps({"changed": False}) if args.json else "nothing to curate: no entry has enough "
                                                                   "consistent votes")
            return EXIT_OK
        new = apply(book, ops, reason="curated by hand (model-free rules)")
        store.write(new, reason="curated by hand (model-free rules)", make_current=False)
        print(json.dumps({"changed": True, "version": new.version, "ops": [o.as_json() for o in ops]})
              if args.json else f"v{new.version} written: {len(ops)} edit(s); it replaces v{book.version} only "
                                "through the evidence gate (or `specpilot prompts rollback` to pick one)")
    return EXIT_OK
