"""``specpilot steering init [-w PATH] [--force] [--json]``: draft the steering documents.

Writes ``.specpilot/steering/product.md``, ``tech.md`` and ``structure.md`` from the workspace
(spec/steering.py) for the team to edit; every spec stage's prompt and the agent's include them.
A file someone wrote or edited is kept unless ``--force``. Exit status 0, also when a file was
kept (the output says which and why); 1 when the workspace cannot be read.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

_SAID = {"written": "written", "updated": "redrafted", "unchanged": "unchanged", "kept": "kept"}


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = sub.add_parser("steering", help="steering documents every model prompt includes")
    actions = parser.add_subparsers(dest="steering_command", required=True, metavar="ACTION")
    init = actions.add_parser("init", help="draft product.md, tech.md and structure.md from the workspace")
    init.add_argument("--force", action="store_true", help="also replace files someone edited")
    init.add_argument("--json", action="store_true", help="machine-readable output")
    common(init)


def cmd_steering(args: argparse.Namespace) -> int:
    from specpilot import cli
    from specpilot.spec.steering import SteeringError, init

    workspace = cli._workspace(args.workspace)
    settings = cli._settings(args, workspace)
    cli.configure_logging(args.log_level or "error")
    try:
        result = init(workspace, force=args.force, settings=settings)
    except (SteeringError, OSError) as exc:
        raise cli.CliError(f"steering init: {exc}") from None
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
        return 0
    for outcome in result.outcomes:
        shown = outcome.path.relative_to(workspace) if outcome.path.is_relative_to(workspace) else outcome.path
        reason = f" ({outcome.reason})" if outcome.reason else ""
        print(f"{_SAID[outcome.status]:>10}  {shown}{reason}")
    if result.redacted:
        print(f"{result.redacted} secret(s) found in the workspace were redacted from the drafts")
    if any(o.status in ("written", "updated") for o in result.outcomes):
        print("Edit them to say what only the team knows; every spec stage and agent prompt includes them.")
    return 0
