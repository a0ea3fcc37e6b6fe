"""``specpilot refactor ...``: the refactoring engine from the command line.

Without ``--apply`` the edit is printed as a unified diff and nothing is written;
with it, files are written atomically, and not at all if one changed meanwhile.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK = 0


class RefactorError(Exception):
    """Shown as ``specpilot: error: ...`` with exit status 1."""


def add_parser(sub: Any) -> None:
    p_refactor = sub.add_parser("refactor", help="refactor code through the syntax tree (diff, or --apply)")
    actions = p_refactor.add_subparsers(dest="action", required=True, metavar="ACTION")
    p_rename = actions.add_parser("rename", help="rename the symbol at FILE:LINE:COL (1-based) everywhere")
    p_rename.add_argument("location", metavar="FILE:LINE:COL")
    p_rename.add_argument("new_name", metavar="NEW_NAME")
    p_rename.add_argument("--apply", action="store_true", help="write the files (default: print a diff)")
    p_rename.add_argument("--json", action="store_true", help="the edit as JSON (files, edits, warnings)")
    p_rename.add_argument("-w", "--workspace", type=Path, default=None,
                          help="workspace folder (default: the current folder)")


def parse_location(text: str) -> tuple[Path, int, int]:
    """``FILE:LINE:COL`` (1-based, as in compiler messages) -> (file, 0-based line, column)."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit() or int(parts[1]) < 1 or int(parts[2]) < 1:
        raise RefactorError(f"expected FILE:LINE:COL with 1-based numbers, got {text!r}")
    return Path(parts[0]), int(parts[1]) - 1, int(parts[2]) - 1


def cmd_refactor(args: argparse.Namespace) -> int:
    from specpilot.ast_tools.edits import Refusal, apply
    from specpilot.ast_tools.rename import rename
    from specpilot.ast_tools.workspace import Workspace

    root = (args.workspace or Path.cwd()).expanduser().resolve()
    if not root.is_dir():
        raise RefactorError(f"workspace {root} is not a folder")
    file, line, column = parse_location(args.location)
    ws = Workspace(root)
    try:
        result = rename(ws, str(file if file.is_absolute() else Path.cwd() / file), line, column, args.new_name)
        for warning in result.warnings:
            print(f"specpilot: warning: {warning}", file=sys.stderr)
        if args.json:
            print(json.dumps({"files": [{"path": f.path, "version": f.version, "edits": [
                {"start": list(e.start), "end": list(e.end), "newText": e.new_text} for e in f.edits]}
                for f in result.files], "warnings": result.warnings}, indent=2))
        if args.apply:
            written = apply(result, root)
            print(f"renamed in {len(written)} file{'s' if len(written) != 1 else ''}: "
                  + ", ".join(f.path for f in result.files))
        elif not args.json:
            sys.stdout.write(result.diff())
    except Refusal as exc:
        raise RefactorError(str(exc)) from None
    return EXIT_OK
