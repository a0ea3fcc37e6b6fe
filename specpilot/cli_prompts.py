"""``specpilot prompts show|history|diff|rollback|curate|approve ROLE [VERSION]``: the roles' prompt playbooks
(rl/playbook_store.py): the version in use rendered, the versions and their changes, what changed between two,
going back to an earlier one, a curation by hand with the model-free curator (rl/curator.py), and a person's yes
to a high-risk version (rl/playbook_evolve.py tries it only then)."""

from __future__ import annotations

import argparse
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


def cmd_prompts(args: argparse.Namespace) -> int:
    """Every refusal (an unknown version, a damaged file, nothing to roll back to) is a SpecPilotError: the CLI
    prints it and exits 1."""
    from specpilot.rl import playbook_actions as act

    root = (args.workspace or Path.cwd()).resolve()
    role = args.role
    if args.action == "show":
        shown = act.show(root, role, args.version)
        text = shown["outline"] if args.outline else shown["prompt"]
        out = shown["playbook"] if args.json else None
    elif args.action == "history":
        shown = act.history(root, role)
        lines = [f"{'*' if v['version'] == shown['current'] else ' '} v{v['version']}  {v['state']:<17}  "
                 f"{v['created'] or '-'}  from v{v['parent'] or '-'}  "
                 f"{v['change'].get('reason') or v['change'].get('kind', '')}" for v in shown["versions"]]
        text, out = "\n".join(lines), shown
    elif args.action == "diff":
        shown = act.diff(root, role, args.versions)
        text, out = shown["diff"] or f"v{shown['old']} and v{shown['new']} are the same", shown
    elif args.action == "rollback":
        shown = act.rollback(root, role, args.version)
        text, out = f"the {role} playbook is at v{shown['current']}", shown
    elif args.action == "approve":
        shown = act.approve(root, role, args.version)
        text, out = f"v{args.version} approved: it is tried beside v{shown['current']}", shown
    else:  # curate
        shown = act.curate(root, role)
        text = (f"v{shown['version']} written: {len(shown['ops'])} edit(s); it replaces v{shown['current']} only "
                "through the evidence gate (or `specpilot prompts rollback` to pick one)" if shown["changed"]
                else "nothing to curate: no entry has enough consistent votes")
        out = shown
    print(json.dumps(out, indent=2) if args.json and out is not None else text)
    return EXIT_OK
