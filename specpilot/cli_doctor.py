"""``specpilot doctor [--repair] [--json]``: the index's self-check, on demand.

Without ``--repair`` nothing is changed: the index folder is checked as it is
(the same check every command runs when it opens the index, see
index/health.py). With ``--repair`` the index is opened, which repairs what is
damaged, and a repair that emptied the index indexes the source files again
(vectors come back from the embedding cache; chunks it never held wait for the
next ``specpilot index``). Exit status: 0 healthy (or repaired), 1 problems
found and not repaired.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

EXIT_OK, EXIT_PROBLEMS = 0, 1


def add_parser(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    parser = sub.add_parser("doctor", help="check the index for damage; --repair fixes it")
    parser.add_argument("--repair", action="store_true", help="repair what is damaged (re-index if needed)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    common(parser)


def cmd_doctor(args: argparse.Namespace) -> int:
    from specpilot import cli
    from specpilot.index.embedder import EmbedderError
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.identity import check_workspace

    workspace = cli._workspace(args.workspace)
    settings = cli._settings(args, workspace)
    cli.configure_logging(args.log_level or "error")  # the one line below says it all
    try:
        found = check_workspace(workspace, settings)
    except EmbedderError as exc:
        raise cli.CliError(str(exc)) from exc
    out: dict[str, Any] = {"workspace": str(workspace), **found.to_json()}
    healthy = found.healthy
    if args.repair and not found.healthy:
        index = WorkspaceIndex(workspace, settings)
        try:
            done = index.store.health
            if index.needs_reindex:
                index.update(embed=False)
            after = index.check()
        finally:
            index.close()
        healthy = after.healthy
        out.update(repaired=done.repaired, summary=done.summary(), healthyAfter=after.healthy)
        if not after.healthy:
            out["problemsAfter"] = [str(p) for p in after.problems]
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        _print(out, found)
    return EXIT_OK if healthy else EXIT_PROBLEMS


def _print(out: dict[str, Any], found: Any) -> None:
    if not found.thorough:
        print("note: another SpecPilot process has the index open; whether its parts agree was not checked")
    if found.healthy:
        print(f"{out['workspace']}: {found.summary()}")
        return
    print(f"{out['workspace']}: {len(found.problems)} problem(s) found in {found.seconds * 1000:.0f} ms")
    for problem in found.problems:
        print(f"  {problem}")
    if "healthyAfter" in out:
        print(out["summary"])
        if not out["healthyAfter"]:
            print("still damaged after the repair: " + "; ".join(out["problemsAfter"]), file=sys.stderr)
    else:
        print("run `specpilot doctor --repair` to repair it (or any index command: they repair on open)")
