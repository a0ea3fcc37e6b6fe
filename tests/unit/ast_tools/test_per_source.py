"""ast_tools/per_source.py through its two users: a file is parsed (libcst) and its names are bound (ast) once
per workspace, and again when a refactoring step changed its text."""

from __future__ import annotations

from pathlib import Path

from specpilot.ast_tools.bindings import file_names
from specpilot.ast_tools.parsed import parse_file
from specpilot.ast_tools.per_source import built_once
from specpilot.ast_tools.workspace import Source, Workspace


def test_parse_and_names_are_built_once_until_the_text_changes(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("def run():\n    return 1\n")
    ws = Workspace(tmp_path)
    parsed, names = parse_file(ws, "app.py"), file_names(ws, "app.py")
    assert parse_file(ws, "app.py") is parsed and file_names(ws, "app.py") is names
    step = ws.overlay({"app.py": "def run():\n    return 2\n"})
    assert parse_file(step, "app.py") is not parsed and "return 2" in parse_file(step, "app.py").source.text
    assert file_names(step, "app.py") is not names
    assert parse_file(ws, "app.py") is parsed  # the workspace the step started from keeps its own


def test_an_entry_of_another_kind_is_built_again(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    ws = Workspace(tmp_path)
    cache: dict[str, object] = {"app.py": "not a build"}
    built: list[Source] = []

    class Lines:
        def __init__(self, source: Source) -> None:
            self.source = source
            built.append(source)

    first = built_once(ws, cache, "app.py", Lines, Lines)
    assert built_once(ws, cache, "app.py", Lines, Lines) is first and len(built) == 1
