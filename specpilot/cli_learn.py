"""``specpilot feedback accept|reject ID``: the verdict on a proposal after the fact (the decision id an
agent run printed, or the one the editor showed), recorded where the editor's verdicts go: the run's
trajectory and the learning policy. ``specpilot learn status|reset``: what the learning loop has learned
(rl/status.py), and forgetting it. ``specpilot learn simulate``: the bandits against simulated users
(rl/benchmark.py); ``specpilot learn report``: PNG plots and a markdown summary of the store (rl/report.py).
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
    p_learn = sub.add_parser("learn", help="what SpecPilot learned from your verdicts (status, report), forget it "
                                           "(reset), or compare the bandits on simulated users (simulate)")
    actions = p_learn.add_subparsers(dest="action", required=True, metavar="ACTION")
    p_status = actions.add_parser("status", help="each decision point: its options, pulls, acceptance, default")
    p_status.add_argument("--json", action="store_true")
    p_reset = actions.add_parser("reset", help="forget every recorded decision and what was learned from it")
    p_reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p_simulate = actions.add_parser("simulate", help="the bandits against simulated users: regret vs uniform random")
    p_simulate.add_argument("--rounds", type=int, default=2000, help="decisions per run (default 2000)")
    p_simulate.add_argument("--seeds", type=int, default=5, help="runs per bandit (default 5)")
    p_simulate.add_argument("--json", action="store_true")
    p_report = actions.add_parser("report", help="PNG plots (acceptance by arm over time) and a markdown summary")
    p_report.add_argument("-o", "--output", type=Path, default=None,
                          help="folder to write into (default: the user cache's learning/report)")
    p_report.add_argument("--json", action="store_true")
    for parser in (p_status, p_reset, p_report):
        parser.add_argument("-w", "--workspace", type=Path, default=None,
                            help="workspace folder whose settings apply (default: the current folder)")


def cmd_feedback(args: argparse.Namespace) -> int:
    from specpilot.project import open_project
    from specpilot.rl.store import FeedbackError

    root = (args.workspace or Path.cwd()).resolve()
    accepted = args.verdict == "accept"
    project = open_project(root)
    try:
        project.feedback(args.decision, accepted=accepted, note=args.note[:2000])
    except FileNotFoundError:
        raise LearnCliError(f"no decision {args.decision!r} in {root}") from None
    except FeedbackError as exc:
        raise LearnCliError(str(exc)) from None
    finally:
        project.close()
    if args.json:
        print(json.dumps({"decision": args.decision, "accepted": accepted, "recorded": True}))
    else:
        print(f"recorded: {args.decision} {'accepted' if accepted else 'rejected'}", file=sys.stderr)
    return EXIT_OK


def cmd_learn(args: argparse.Namespace) -> int:
    from specpilot.core.config import load_settings
    from specpilot.rl.policy import reset_store, shared_store, store_path
    from specpilot.rl.status import status_lines, status_of
    from specpilot.rl.store import FeedbackError

    if args.action == "simulate":
        return _simulate(args)
    root = (args.workspace or Path.cwd()).resolve()
    settings, _ = load_settings(root)
    if args.action == "reset":
        if not args.yes and not _confirm(f"forget everything learned in {store_path()}?"):
            print("nothing changed", file=sys.stderr)
            return EXIT_OK
        print(f"learning store reset: {reset_store()}", file=sys.stderr)
        return EXIT_OK
    try:
        if args.action == "report":
            return _report(shared_store(), args.output, settings.learning, args.json)
        status = status_of(root, settings.learning)
    except FeedbackError as exc:
        raise LearnCliError(str(exc)) from None
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        print("\n".join(status_lines(status)))
    return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    from specpilot.rl.benchmark import simulate, simulation_lines

    try:
        result = simulate(rounds=args.rounds, seeds=args.seeds)
    except ValueError as exc:
        raise LearnCliError(str(exc)) from None
    print(json.dumps(result, indent=2) if args.json else "\n".join(simulation_lines(result)))
    return EXIT_OK


def _report(store: Any, output: Path | None, settings: Any, as_json: bool) -> int:
    import sqlite3

    from specpilot.rl.report import write_report

    try:
        report = write_report(store, output.resolve() if output else None, settings)
    except (OSError, sqlite3.Error) as exc:
        raise LearnCliError(f"could not write the report: {exc}") from None
    if as_json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        print("\n".join([str(report.markdown), *(str(image) for image in report.images)]))
    return EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        raise LearnCliError(f"{question} Run with --yes to confirm without a terminal")
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False
