"""``specpilot spec ...``: the spec workflow from the command line.

Stage commands take an optional spec name (``001``, the slug, or the folder name)
and otherwise act on the most recently changed spec. A stage whose previous gate
fails is refused with the failing checks, unless ``--force``. A stage whose own gate
fails still writes its document, lists the problems and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from specpilot.core.errors import SpecPilotError

EXIT_OK, EXIT_FAILURE = 0, 1


class SpecCliError(SpecPilotError):
    """Shown as ``specpilot: error: ...`` with exit status 1."""


def add_parser(sub: Any) -> None:
    p_spec = sub.add_parser("spec", help="the spec workflow: requirements -> design -> tasks")
    actions = p_spec.add_subparsers(dest="action", required=True, metavar="ACTION")
    p_new = actions.add_parser("new", help="draft requirements.md from an idea")
    p_new.add_argument("idea")
    p_new.add_argument("--title", default=None)
    p_new.add_argument("--profile", choices=["default", "ml"], default=None,
                       help="default: ml when the idea is about training or evaluating a model")
    p_from_code = actions.add_parser("from-code", help="draft requirements.md and design.md from existing code")
    p_from_code.add_argument("path", metavar="PATH", help="a file or folder of the workspace")
    p_from_code.add_argument("--title", default=None)
    p_clarify = actions.add_parser("clarify", help="list open questions; --answer Q1=TEXT writes answers")
    p_clarify.add_argument("name", nargs="?")
    p_clarify.add_argument("--answer", action="append", default=[], metavar="QID=TEXT")
    p_design = actions.add_parser("design", help="draft design.md (the requirements gate must pass)")
    p_design.add_argument("name", nargs="?")
    p_tasks = actions.add_parser("tasks", help="draft tasks.md (the design gate must pass)")
    p_tasks.add_argument("name", nargs="?")
    for parser in (p_design, p_tasks):
        parser.add_argument("--force", action="store_true", help="go on although the previous gate fails")
    p_run = actions.add_parser("run-task", help="run the agent on one task; the edit is a diff (--apply writes it)")
    p_run.add_argument("task_id", metavar="TASK_ID")
    p_run.add_argument("name", nargs="?")
    p_run.add_argument("--apply", action="store_true", help="write the proposed edit and tick the task")
    p_review = actions.add_parser("review", help="review.md: traceability matrix, gaps, verdict")
    p_review.add_argument("name", nargs="?")
    actions.add_parser("status", help="specs, their stages and gates")
    p_gates = actions.add_parser("gates", help="run a spec's gates again on its documents as they are now "
                                               "(exit 1 when one fails)")
    p_gates.add_argument("name", nargs="?", help="the spec (default: the one changed last)")
    p_show = actions.add_parser("show", help="one spec as the editor's spec panel shows it: gates, questions, "
                                             "tasks, review gaps, drift")
    p_show.add_argument("name", nargs="?", help="the spec (its folder name or number)")
    for parser in (p_new, p_clarify, p_design, p_tasks, *actions.choices.values()):
        if not any(a.dest == "workspace" for a in parser._actions):
            parser.add_argument("-w", "--workspace", type=Path, default=None,
                                help="workspace folder (default: the current folder)")
            parser.add_argument("--json", action="store_true")


def cmd_spec(args: argparse.Namespace) -> int:
    from specpilot.project import open_project
    from specpilot.spec.store import SpecError

    root = (args.workspace or Path.cwd()).resolve()
    project = open_project(root)
    if args.action == "design":
        project.prepare_index = _index_first(project)
    staged: list[Any] = []  # the stage results whose gate decides the exit status
    try:
        flow = project.workflow(author=args.action in ("new", "design", "review"), retrieval=args.action == "design")
        if args.action == "new":
            from specpilot.spec.answers import open_questions

            made = flow.new(args.idea, title=args.title, profile=args.profile)
            staged.append(_stage(made, args, open_questions(made.path.read_text(encoding="utf-8"))))
        elif args.action == "from-code":
            staged = list(flow.from_code(args.path, title=args.title))
            if args.json:  # one JSON document: a list of the two stage results
                print(json.dumps([_stage_json(result, []) for result in staged], indent=2))
            else:
                for result in staged:
                    _stage(result, args)
        elif args.action == "clarify":
            result, questions = flow.clarify(args.name, answers_from(args.answer))
            _stage(result, args, questions)
        elif args.action == "design":
            staged.append(_stage(flow.design(args.name, force=args.force), args))
        elif args.action == "tasks":
            staged.append(_stage(flow.tasks(args.name, force=args.force), args))
        elif args.action == "run-task":
            _run_task(project, flow, args)
        elif args.action == "review":
            staged.append(_stage(flow.review(args.name), args))
        elif args.action == "gates":
            return _gates(project, args)
        elif args.action == "show":
            from specpilot.cli_spec_show import show

            return show(project, args.name, args.json)
        else:
            _status(flow, args)
    except (SpecError, ValueError) as exc:
        raise SpecCliError(str(exc)) from None
    finally:
        project.close()
    failed = [result.document for result in staged if not result.gate.passed]
    if failed:  # the document is written, but the stage is not done: exit 1, as a refused stage does
        print(f"specpilot: error: the {' and '.join(failed)} gate fails (see the problems above)", file=sys.stderr)
        return EXIT_FAILURE
    return EXIT_OK


def _stage_json(result: Any, questions: list[Any]) -> dict[str, Any]:
    return {"spec": result.spec.name, "document": result.document, "path": str(result.path),
            "gate": {"passed": result.gate.passed, "problems": result.gate.problems}, "notes": result.notes,
            "openQuestions": [{"id": q.id, "item": q.item, "text": q.text} for q in questions]}


def _stage(result: Any, args: argparse.Namespace, questions: list[Any] | None = None) -> Any:
    """Print a stage's result (and return it)."""
    if args.json:
        print(json.dumps(_stage_json(result, questions or []), indent=2))
        return result
    print(f"{result.spec.name}: wrote {result.path}")
    verdict = "passes" if result.gate.passed else "fails"
    print(f"{result.document} gate {verdict}" + (":" if result.gate.problems else ""))
    for problem in result.gate.problems:
        print(f"  - {problem}")
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    if questions is not None:
        if questions:
            print(f"open questions (answer with: specpilot spec clarify {result.spec.name} --answer QID=TEXT):")
            for question in questions:
                print(f"  {question.id} ({question.item}) {question.text}")
        else:
            print("no open questions")
    return result


def _run_task(project: Any, flow: Any, args: argparse.Namespace) -> None:
    for problem in project.problems:
        print(f"specpilot: {problem}", file=sys.stderr)
    session = project.agent_session()
    for note in session.notes:
        print(f"specpilot: {note}", file=sys.stderr)
    try:
        result, stage = flow.run_task(args.task_id, args.name, apply=args.apply,
                                      run_agent=lambda task: session.run(task))
        if args.apply and result.edit is not None:
            session.feedback(result.run_id, accepted=True, note="applied with spec run-task --apply")
    finally:
        session.close()
    if args.json:
        print(json.dumps({"spec": stage.spec.name, "task": args.task_id, "stop": result.stop,
                          "answer": result.answer, "diff": result.edit.diff() if result.edit else "",
                          "buildLog": str(stage.path)}, indent=2))
        return
    print(result.answer)
    if result.edit is not None:
        print()
        print(result.edit.diff(), end="")
    print(f"{stage.spec.name}: recorded in {stage.path}", file=sys.stderr)


def _status(flow: Any, args: argparse.Namespace) -> None:
    rows = flow.status()
    if args.json:
        print(json.dumps([{"spec": r.spec.name, "title": r.spec.title, "stage": r.spec.stage,
                           "status": r.spec.status, "gates": r.gates, "stale": r.stale} for r in rows], indent=2))
        return
    if not rows:
        print("no specs yet: `specpilot spec new \"an idea\"` starts one")
        return
    marks = {True: "pass", False: "FAIL", None: "-"}
    width = max(len("spec"), *(len(r.spec.name) for r in rows))
    print(f"{'spec':<{width}}  {'stage':<14} {'requirements':<13} {'design':<7} {'tasks':<6} review")
    for row in rows:
        g = row.gates
        stale = f"  STALE: {', '.join(row.stale[:3])} changed since the review" if row.stale else ""
        print(f"{row.spec.name:<{width}}  {row.spec.stage:<14} {marks[g['requirements']]:<13} "
              f"{marks[g['design']]:<7} {marks[g['tasks']]:<6} {marks[g['review']]}{stale}")


def _gates(project: Any, args: argparse.Namespace) -> int:
    from specpilot.spec.gate_check import check_gates, render

    info, checks = check_gates(project.specs, args.name)
    if args.json:
        print(json.dumps({"spec": info.name, "gates": [c.as_json() for c in checks]}, indent=2))
    else:
        print(render(info, checks))
    return EXIT_FAILURE if any(c.passed is False for c in checks) else EXIT_OK


def _index_first(project: Any) -> Callable[[Any], None]:
    """Before the design's first search: a workspace that was never indexed is indexed first (what
    ``specpilot index`` does, with its progress on stderr), so the design can cite code."""
    from specpilot.core.paths import cache_dir

    never_indexed = not (cache_dir(project.root, project.settings.cache_path) / "index").exists()  # not opened yet

    def prepare(index: Any) -> None:
        from specpilot.cli_progress import ProgressView

        for notice in index.store.notices:
            print(f"specpilot: {notice.message}", file=sys.stderr)
        if never_indexed or index.needs_reindex:  # none yet, or a repair on open emptied it
            print("specpilot: indexing the workspace first, for the design's affected code", file=sys.stderr)
            with ProgressView() as view:
                report = index.update(view.update, embed=never_indexed)
            print(f"specpilot: indexed {report.files_seen} files", file=sys.stderr)
    return prepare


def answers_from(pairs: Sequence[str]) -> dict[str, str]:
    """``["Q1=No; --force overwrites", ...]`` -> ``{"Q1": "No; --force overwrites"}`` (``spec clarify --answer``)."""
    answers = {}
    for pair in pairs:
        qid, sep, text = pair.partition("=")
        if not sep or not qid.strip() or not text.strip():
            raise SpecCliError(f"an answer is QID=TEXT, e.g. Q1=\"only on --force\"; got {pair!r}")
        answers[qid.strip().upper()] = text.strip()
    return answers
