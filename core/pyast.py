"""Python source into the standard library's AST, safe to call from several threads at once.

CPython 3.11 keeps the AST builder's recursion depth in state shared by all threads (fixed in later releases,
gh-106905): two threads building ASTs at the same moment can corrupt it, and one of them fails with
``SystemError: AST constructor recursion depth mismatch``. The server builds ASTs from several worker threads
(the spec catalog for a hover, the code survey, refactorings), and a fuzz run hit it once. So every ``ast.parse``
in SpecPilot goes through :func:`parse_python`, which builds one tree at a time. Parsing holds the GIL anyway, so
nothing runs slower for it.
"""

from __future__ import annotations

import ast
import threading
from typing import Any

_BUILDING = threading.Lock()


def parse_python(source: str | bytes, filename: str = "<unknown>", mode: str = "exec") -> Any:
    """``ast.parse(source, filename, mode)``, one tree at a time across threads; the same errors
    (SyntaxError, ValueError, RecursionError) for the caller to handle."""
    with _BUILDING:
        return ast.parse(source, filename=filename, mode=mode)
