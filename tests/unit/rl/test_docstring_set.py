"""The docstring -> function set: docstrings stripped from the copy, one unambiguous query per documented function."""

from __future__ import annotations

import ast
from pathlib import Path

from specpilot.rl.docstring_set import build, is_built

PACKAGE = '''
"""A module docstring."""


def parse_cookie(header):
    """Split a cookie header into its name and value pairs."""
    return dict(part.split("=", 1) for part in header.split(";"))


class Jar:
    """Holds cookies."""

    def add(self, name, value):
        """Store one cookie under its name for later requests."""
        self.items[name] = value

    def same(self):
        """Store one cookie under its name for later requests."""

    def short(self):
        """Too short."""
'''


def test_the_copy_has_no_docstrings_and_each_query_names_one_function(tmp_path: Path) -> None:
    root = tmp_path / "src"
    (root / "cookies").mkdir(parents=True)
    (root / "cookies" / "__init__.py").write_text(PACKAGE)
    (root / "cookies" / "tests").mkdir()
    (root / "cookies" / "tests" / "test_x.py").write_text('def test_x():\n    """A test that is left out here."""\n')
    ws, queries = build(tmp_path / "work", ("cookies",), root=root)
    copied = (ws / "cookies" / "__init__.py").read_text()
    assert not any(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                   for node in ast.walk(ast.parse(copied)))
    assert not (ws / "cookies" / "tests").exists()
    # the two methods sharing a docstring are ambiguous, the short one has too few words
    assert queries == [{"query": "Split a cookie header into its name and value pairs.", "path": "cookies/__init__.py",
                        "qualified_name": "parse_cookie"}]
    assert is_built(tmp_path / "work", ("cookies",)) and not is_built(tmp_path / "work", ("other",))
    (root / "cookies" / "__init__.py").write_text("def f():\n    pass\n")
    assert build(tmp_path / "work", ("cookies",), root=root)[1] == queries  # a finished build is reused
