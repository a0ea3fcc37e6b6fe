"""``specpilot feedback accept|reject ID``: the verdict on a proposal after the fact (the decision id an
agent run printed, or the one the editor showed), recorded where the editor's verdicts go: the run's
trajectory and the learning policy.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from specpilot.core.errors import SpecPilotError

EXIT_OK = 0


class LearnCliError(SpecPilotError):
    """Shown as ``specpilot: error: ...`` with exit status 1."""


def add_parser(sub: Any) -> None:
    p_feedback = sub.add_parser("feedback", help="accept or reject a proposal after the fact, by its decision id")
    p_feedback.add_argument("verdict", choices=("accept", "reject"))
    p_feedback.add_argument("decision", metavar="ID", help="the decision id (an agent run prints it)")
    p_feedback.add_argument("--note", default="", help="why, in a few words (kept with the verdict)")
    p_feedback.add_argument("-w", "--workspace", type=Path, default=None,
                            help="workspace folder (default: the current folder)")
    p_feedback.add_argument("--json", action="store_true")


def cmd_feedback(args: argparse.Namespace) -> int:
    from specpilot.project import open_project

    root = (args.workspace or Path.cwd()).resolve()
    accepted = args.verdict == "accept"
    project = open_project(root)
    session = project.agent_session()
    try:
        session.feedback(args.decision, accepted=accepted, note=args.note[:2000])
    except FileNotFoundError:
        raise LearnCliError(f"no decision {args.decision!r} in {root}") from None
    finally:
        session.close()
    if args.json:
        print(json.dumps({"decision": args.decision, "accepted": accepted, "recorded": True}))
    else:
        print(f"recorded: {args.decision} {'accepted' if accepted else 'rejected'}", file=sys.stderr)
    return EXIT_OK
