"""``specpilot ask``, ``specpilot agent run`` and ``specpilot export-finetune``.

``ask`` answers a question about the code with read-only tools and cites
file:line; ``agent run`` works on a task with every tool and prints each step as
it happens; its proposed edit is shown as a diff and written only with
``--apply`` (asked y/N on a terminal, the answer being the run's feedback; written
atomically, and not at all if a file changed meanwhile); high-risk
files (conftest.py, pytest.ini, sitecustomize.py, .pth, CI files: see
agents/safety/risk.py) are asked y/N one by one on a terminal and left out
elsewhere unless ``--allow-risky``, and the summary says which. Without a
configured model both say so and do the parts that need none.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from specpilot.core.errors import SpecPilotError

EXIT_OK = 0


class AgentCliError(SpecPilotError):
    """Shown as ``specpilot: error: ...`` with exit status 1."""


def add_parsers(sub: Any) -> None:
    p_ask = sub.add_parser("ask", help="answer a question about the code, citing file:line")
    p_ask.add_argument("question")
    p_agent = sub.add_parser("agent", help="run the coding agent on a task")
    actions = p_agent.add_subparsers(dest="action", required=True, metavar="ACTION")
    p_run = actions.add_parser("run", help="work on a task; the edit is shown as a diff (--apply writes it)")
    p_run.add_argument("task")
    p_run.add_argument("--apply", action="store_true", help="write the proposed edit")
    p_run.add_argument("--allow-risky", action="store_true",
                       help="with --apply, also write high-risk files (conftest.py, pytest.ini, sitecustomize.py, "
                            "*.pth, Makefile, CI files, ...) without asking; on a terminal each one is asked y/N, "
                            "elsewhere they are not written")
    p_run.add_argument("--no-critic", action="store_true", help="skip the review pass")
    for parser in (p_ask, p_run):
        parser.add_argument("-w", "--workspace", type=Path, default=None,
                            help="workspace folder (default: the current folder)")
        parser.add_argument("--json", action="store_true", help="the result as JSON")
        parser.add_argument("--quiet", action="store_true", help="print only the result, not each step")
    p_export = sub.add_parser("export-finetune",
                              help="write accepted agent runs as a chat-format JSONL dataset for fine-tuning")
    p_export.add_argument("-w", "--workspace", type=Path, default=None)
    p_export.add_argument("-o", "--out", type=Path, default=Path("specpilot-finetune.jsonl"))
    p_export.add_argument("--include-unrated", action="store_true",
                          help="also runs nobody accepted or rejected")


def cmd_ask(args: argparse.Namespace) -> int:
    return _run(args, args.question, ask=True)


def cmd_agent(args: argparse.Namespace) -> int:
    return _run(args, args.task, ask=False)


def _run(args: argparse.Namespace, task: str, *, ask: bool) -> int:
    from specpilot.agents.loop import AgentEvent
    from specpilot.ast_tools.edits import Refusal, apply
    from specpilot.project import open_project

    root = (args.workspace or Path.cwd()).resolve()
    printer = None if args.quiet or args.json else _printer()
    project = open_project(root)
    for problem in project.problems:
        print(f"specpilot: {problem}", file=sys.stderr)
    session = project.agent_session()
    for note in session.notes:
        print(f"specpilot: {note}", file=sys.stderr)

    def on_event(event: AgentEvent) -> None:
        if printer is not None:
            printer(event)

    try:
        result = session.run(task, ask=ask, on_event=on_event if printer is not None else None,
                             critic=not getattr(args, "no_critic", False))
    finally:
        session.close()
    if args.json:
        print(json.dumps({"answer": result.answer, "stop": result.stop, "steps": result.steps,
                          "toolCalls": result.tool_calls, "error": result.error, "runId": result.run_id,
                          "usage": {"inputTokens": result.usage.input_tokens,
                                    "outputTokens": result.usage.output_tokens,
                                    "costUsd": result.usage.cost_usd},
                          "diff": result.edit.diff() if result.edit else "",
                          "highRisk": [{"path": p, "reason": r} for p, r in _high_risk(result.edit)]}, indent=2))
    else:
        print()
        print(result.answer)
        if result.edit is not None:
            print()
            print(result.edit.diff(), end="")
            for path, reason in _high_risk(result.edit):
                print(f"high-risk: {path} ({reason}); --apply writes it only when confirmed", file=sys.stderr)
        usage = result.usage
        cost = f", ~${usage.cost_usd:.4f}" if usage.cost_usd else ""
        print(f"\n[{result.stop}; {result.steps} step(s), {result.tool_calls} tool call(s), "
              f"{usage.input_tokens + usage.output_tokens} tokens{cost}]", file=sys.stderr)
    if result.stop == "error":
        raise AgentCliError(result.error or "the agent run failed")
    if not ask and result.edit is not None and not getattr(args, "apply", False) and not args.json:
        print(f"decision {result.run_id}: `specpilot feedback accept|reject {result.run_id}` records your verdict "
              "(what the learning loop learns from)", file=sys.stderr)
    if not ask and getattr(args, "apply", False) and result.edit is not None:
        if not _wanted(result.edit):
            session.feedback(result.run_id, accepted=False, note="declined at --apply's prompt")
            print("not applied; recorded as rejected", file=sys.stderr)
            return EXIT_OK
        edit, held = _confirmed(result.edit, allow=getattr(args, "allow_risky", False))
        try:
            if edit.files:
                apply(edit, root)  # compare-and-swap: every file as the agent read it, or nothing written
                for warning in edit.warnings:
                    print(f"specpilot: warning: {warning}", file=sys.stderr)
        except Refusal as exc:
            raise AgentCliError(str(exc)) from None
        if edit.files:
            session.feedback(result.run_id, accepted=True, note="applied with --apply")
        print(f"wrote {len(edit.files)} file(s)", file=sys.stderr)
        for path, why in held:
            print(f"not applied: {path} ({why})", file=sys.stderr)
    return EXIT_OK


def _wanted(edit: Any) -> bool:
    """``--apply`` on a terminal asks "apply this edit? [y/N]" (the verdict is the run's feedback);
    without a terminal the flag itself is the answer."""
    if not sys.stdin.isatty():
        return True
    try:
        return input(f"apply this edit to {len(edit.files)} file(s)? [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _high_risk(edit: Any) -> list[tuple[str, str]]:
    from specpilot.agents.safety.risk import high_risk_reason

    found = [(f.path, high_risk_reason(f.path, f.new_text, f.old_text)) for f in (edit.files if edit else [])]
    return [(path, reason) for path, reason in found if reason is not None]


def _confirmed(edit: Any, *, allow: bool) -> tuple[Any, list[tuple[str, str]]]:
    """The edit without the high-risk files the user did not confirm (asked y/N on a terminal;
    refused without one unless ``allow``), and those files with why they were left out."""
    from specpilot.agents.safety.risk import hold_back_risky

    interactive = sys.stdin.isatty()

    def approve(path: str, reason: str) -> bool:
        if allow:
            return True
        if not interactive:
            return False
        print(f"{path} is a high-risk edit: {reason}", file=sys.stderr)
        try:
            return input(f"apply {path}? [y/N] ").strip().lower() in ("y", "yes")
        except EOFError:
            return False

    kept, held = hold_back_risky(edit, approve)
    why = "high-risk, not confirmed" if interactive else "high-risk; no terminal to confirm: rerun with --allow-risky"
    return kept, [(path, f"{why}: {reason}") for path, reason in held]


def _printer() -> Any:
    state = {"text": False}

    def show(event: Any) -> None:
        if event.kind == "text":
            sys.stdout.write(event.message)
            sys.stdout.flush()
            state["text"] = True
            return
        if state["text"]:
            sys.stdout.write("\n")
            state["text"] = False
        marks = {"start": "▶", "tool": "→", "observation": "  ←", "critique": "✎", "stop": "■"}
        print(f"{marks.get(event.kind, '·')} {event.message}", flush=True)
    return show


def cmd_export_finetune(args: argparse.Namespace) -> int:
    from specpilot.agents.session import trajectory_dir
    from specpilot.agents.trajectory import export_finetune
    from specpilot.core.config import load_settings

    root = (args.workspace or Path.cwd()).resolve()
    settings, problems = load_settings(root)  # the runs are where the workspace's cachePath put them
    for problem in problems:
        print(f"specpilot: {problem}", file=sys.stderr)
    folder = trajectory_dir(root, settings)
    written, seen = export_finetune(folder, args.out, include_unrated=args.include_unrated)
    print(f"wrote {written} example(s) from {seen} run(s) to {args.out}")
    if not seen:
        print(f"specpilot: no agent runs recorded in {folder}", file=sys.stderr)
    return EXIT_OK
