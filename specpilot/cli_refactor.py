"""``specpilot refactor ...``: the refactoring engine from the command line.

Without ``--apply`` the edit is printed as a unified diff and nothing is written;
with it, files are written compare-and-swap (core/cas.py): each must still hold
the text the edit was computed from, else none is written and the error names it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specpilot.core.errors import SpecPilotError

if TYPE_CHECKING:
    from specpilot.ast_tools.edits import EditResult

EXIT_OK = 0


class RefactorError(SpecPilotError):
    """Shown as ``specpilot: error: ...`` with exit status 1."""


def add_parser(sub: Any) -> None:
    p_refactor = sub.add_parser("refactor", help="refactor code through the syntax tree (diff, or --apply)")
    actions = p_refactor.add_subparsers(dest="action", required=True, metavar="ACTION")
    p_rename = actions.add_parser("rename", help="rename the symbol at FILE:LINE:COL (1-based) everywhere")
    p_rename.add_argument("location", metavar="FILE:LINE:COL", type=location_argument)
    p_rename.add_argument("new_name", metavar="NEW_NAME")
    p_apply = actions.add_parser(
        "apply", help="run a structured edit document (JSON; see `specpilot refactor schema`)")
    p_apply.add_argument("document", metavar="EDIT.json", help="the edit document, or - for standard input")
    for p_action in (p_rename, p_apply):
        p_action.add_argument("--apply", action="store_true", help="write the files (default: print a diff)")
        p_action.add_argument("--json", action="store_true", help="the edit as JSON (files, edits, warnings)")
        p_action.add_argument("-w", "--workspace", type=Path, default=None,
                              help="workspace folder (default: the current folder)")
    actions.add_parser("schema", help="print the JSON Schema of edit documents")


def parse_location(text: str) -> tuple[Path, int, int]:
    """``FILE:LINE:COL`` (1-based, as in compiler messages) -> (file, 0-based line, column)."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or int(parts[1]) < 1 or int(parts[2]) < 1:
        raise RefactorError(f"expected FILE:LINE:COL with 1-based numbers, got {text!r}")
    return Path(parts[0]), int(parts[1]) - 1, int(parts[2]) - 1


def location_argument(text: str) -> tuple[Path, int, int]:
    """``parse_location`` for argparse: a malformed location is a usage error (exit 2, usage line)."""
    try:
        return parse_location(text)
    except RefactorError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_refactor(args: argparse.Namespace) -> int:
    from specpilot.ast_tools.edits import Refusal

    if args.action == "schema":
        from specpilot.ast_tools.structured import schema_text
        sys.stdout.write(schema_text())
        return EXIT_OK
    root = (args.workspace or Path.cwd()).expanduser().resolve()
    if not root.is_dir():
        raise RefactorError(f"workspace {root} is not a folder")
    try:
        result = _rename(args, root) if args.action == "rename" else _apply_document(args, root)
        _report(result, args, root)
    except Refusal as exc:
        raise RefactorError(str(exc)) from None
    return EXIT_OK


def _rename(args: argparse.Namespace, root: Path) -> EditResult:
    from specpilot.ast_tools.rename import rename
    from specpilot.ast_tools.workspace import Workspace

    file, line, column = args.location  # parsed by location_argument
    return rename(Workspace(root), str(file if file.is_absolute() else Path.cwd() / file), line, column,
                  args.new_name)


def _apply_document(args: argparse.Namespace, root: Path) -> EditResult:
    from specpilot.ast_tools.structured import apply_document
    from specpilot.ast_tools.workspace import Workspace

    try:
        text = sys.stdin.read() if args.document == "-" else Path(args.document).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RefactorError(f"cannot read the edit document {args.document}: {exc}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RefactorError(f"{args.document} is not JSON: {exc}") from None
    return apply_document(Workspace(root), document)  # file_path: relative to the workspace


def _report(result: EditResult, args: argparse.Namespace, root: Path) -> None:
    from specpilot.ast_tools.edits import apply

    for warning in result.warnings:
        print(f"specpilot: warning: {warning}", file=sys.stderr)
    if args.json:
        print(json.dumps({"files": [{"path": f.path, "version": f.version, "edits": [
            {"start": list(e.start), "end": list(e.end), "newText": e.new_text} for e in f.edits]}
            for f in result.files], "warnings": result.warnings}, indent=2))
    if not result.files:
        if not args.json:
            print("nothing to change", file=sys.stderr)
        return
    if args.apply:
        before = len(result.warnings)
        written = apply(result, root)  # compare-and-swap: all files or none (core/cas.py)
        for warning in result.warnings[before:]:
            print(f"specpilot: warning: {warning}", file=sys.stderr)
        print(f"changed {len(written)} file{'s' if len(written) != 1 else ''}: "
              + ", ".join(f.path for f in result.files))
    elif not args.json:
        sys.stdout.write(result.diff())
