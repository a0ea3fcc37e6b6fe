"""Setting docstrings on real files with libcst, checked by exact text and by ``ast.get_docstring``."""

import ast
import inspect
from pathlib import Path

import libcst as cst
import pytest

from specpilot.ast_tools.docstrings import docstring_stub, set_docstring
from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.targets import Target
from specpilot.ast_tools.workspace import Workspace
from tests.unit.ast_tools.test_rename import at, write

MOD = """\
#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Licence text.

import os  # the os


class Store:
    '''Old   docstring.'''  # keep me

    def get(self, key):
        return key


def one(): return 1  # one-liner
"""


def doc_set(tmp_path: Path, text: str, target: Target | None, doc: str) -> str:
    ws = write(tmp_path, {"m.py": text})
    [edit] = set_docstring(ws, "m.py", target, doc).files
    assert edit.path == "m.py" and edit.version is None
    return edit.new_text


def docstring_of(text: str, name: str | None) -> str | None:
    tree = ast.parse(text)
    if name is None:
        return ast.get_docstring(tree)
    node: ast.AST = tree
    for part in name.split("."):
        node = next(n for n in ast.iter_child_nodes(node)
                    if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == part)
    assert isinstance(node, (ast.FunctionDef, ast.ClassDef))
    return ast.get_docstring(node)


def test_an_existing_docstring_is_replaced_and_its_comment_kept(tmp_path: Path) -> None:
    out = doc_set(tmp_path, MOD, "Store", "A store.")
    assert out == MOD.replace("'''Old   docstring.'''", '"""A store."""')


def test_a_method_gets_a_multi_line_docstring_indented_to_its_body(tmp_path: Path) -> None:
    doc = "Return the value.\n\nArgs:\n    key: what to look up."
    out = doc_set(tmp_path, MOD, "Store.get", doc)
    assert out == MOD.replace("    def get(self, key):\n", '    def get(self, key):\n'
                              '        """Return the value.\n\n        Args:\n            key: what to look up.\n'
                              '        """\n')
    assert docstring_of(out, "Store.get") == doc


def test_the_text_is_cleaned_like_inspect_cleandoc(tmp_path: Path) -> None:
    doc = "\n  Summary.   \n\n      Indented detail.\n    Less.\n\n"
    out = doc_set(tmp_path, MOD, "Store.get", doc)
    assert docstring_of(out, "Store.get") == "Summary.\n\n  Indented detail.\nLess."
    assert "Summary.   " not in out  # no trailing whitespace written


@pytest.mark.parametrize("doc", ['He said "hi"', 'ends with a quote"', '"""', 'a """ b', 'x""""y',
                                 "back\\slash \\n not a newline", "\\", '""\n"', "tab\there"])
def test_quotes_and_backslashes_round_trip(tmp_path: Path, doc: str) -> None:
    out = doc_set(tmp_path, MOD, "Store.get", doc)
    assert docstring_of(out, "Store.get") == inspect.cleandoc(doc)


def test_a_one_line_body_becomes_an_indented_block(tmp_path: Path) -> None:
    out = doc_set(tmp_path, MOD, "one", "One.")
    assert out.endswith('def one():\n    """One."""\n    return 1  # one-liner\n')
    assert out.startswith(MOD[:MOD.index("def one")])
    assert docstring_of(out, "one") == "One."


def test_a_one_line_class_with_a_docstring_in_a_tab_indented_file(tmp_path: Path) -> None:
    text = "class A:\n\tdef f(self):\n\t\tpass\n\n\nclass B: 'old'\n"
    out = doc_set(tmp_path, text, "B", "New.\nMore.")
    assert out == "class A:\n\tdef f(self):\n\t\tpass\n\n\nclass B:\n\t\"\"\"New.\n\tMore.\n\t\"\"\"\n"
    assert docstring_of(out, "B") == "New.\nMore."


def test_the_module_docstring_goes_after_the_leading_comments(tmp_path: Path) -> None:
    out = doc_set(tmp_path, MOD, None, "The module.")
    assert out == MOD.replace("# Licence text.\n\n", '# Licence text.\n"""The module."""\n\n')
    assert docstring_of(out, None) == "The module."


def test_a_module_docstring_is_the_first_statement_even_before_imports(tmp_path: Path) -> None:
    out = doc_set(tmp_path, "import os\nx = 1\n", None, "Doc.\n\nMore.")
    assert out == '"""Doc.\n\nMore.\n"""\n\nimport os\nx = 1\n'
    assert docstring_of(out, None) == "Doc.\n\nMore."
    assert doc_set(tmp_path, "", None, "Doc.") == '"""Doc."""\n'
    assert doc_set(tmp_path, "# only a comment\n", None, "Doc.") == '# only a comment\n"""Doc."""\n'


def test_an_existing_module_docstring_is_replaced(tmp_path: Path) -> None:
    text = "# c\nr'''Old.'''\n\nimport os\n"
    out = doc_set(tmp_path, text, None, "New.")
    assert out == '# c\n"""New."""\n\nimport os\n'


def test_crlf_files_keep_crlf_in_the_docstring(tmp_path: Path) -> None:
    text = "def f():\r\n    return 1\r\n"
    out = doc_set(tmp_path, text, "f", "Line one.\nLine two.")
    assert out == 'def f():\r\n    """Line one.\r\n    Line two.\r\n    """\r\n    return 1\r\n'
    assert docstring_of(out, "f") == "Line one.\nLine two."


def test_a_bytes_or_f_string_first_statement_is_not_a_docstring(tmp_path: Path) -> None:
    text = "def f():\n    b'bytes'\n"
    out = doc_set(tmp_path, text, "f", "Doc.")
    assert out == "def f():\n    \"\"\"Doc.\"\"\"\n    b'bytes'\n"


def test_the_target_can_be_a_position_and_the_buffer_version_is_kept(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "x = 1\n"})
    text = "def f(a):\n    return a\n"
    ws = Workspace(tmp_path, {"m.py": (text, 7)})
    [edit] = set_docstring(ws, "m.py", at(text, "f("), "Doc.").files
    assert edit.version == 7
    assert edit.new_text == 'def f(a):\n    """Doc."""\n    return a\n'
    assert [(e.start, e.end) for e in edit.edits] == [((1, 0), (1, 0))]  # one inserted line


@pytest.mark.parametrize("doc", ["", "   ", "\n\t\n"])
def test_an_empty_text_is_refused(tmp_path: Path, doc: str) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    with pytest.raises(Refusal, match="empty"):
        set_docstring(ws, "m.py", "Store", doc)


def test_unknown_targets_and_syntax_errors_are_refused(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": MOD, "bad.py": "def f(:\n"})
    with pytest.raises(Refusal, match="no function or class 'nope'"):
        set_docstring(ws, "m.py", "nope", "Doc.")
    with pytest.raises(Refusal, match="syntax error"):
        set_docstring(ws, "bad.py", None, "Doc.")


def _function(code: str) -> cst.FunctionDef | cst.ClassDef:
    node = cst.parse_module(code).body[0]
    assert isinstance(node, (cst.FunctionDef, cst.ClassDef))
    return node


def test_a_stub_lists_parameters_without_self_and_a_return_value() -> None:
    stub = docstring_stub(_function(
        "def get(self, key: str, /, default=None, *args, strict: bool, **kwargs) -> int:\n    return 1\n"))
    assert stub == ("TODO: summarize get.\n\nArgs:\n    key: TODO.\n    default: TODO.\n    *args: TODO.\n"
                    "    strict: TODO.\n    **kwargs: TODO.\n\nReturns:\n    TODO.")


def test_a_stub_has_no_returns_for_none_or_a_bare_return() -> None:
    assert docstring_stub(_function("def f() -> None:\n    pass\n")) == "TODO: summarize f."
    assert docstring_stub(_function("def f(cls):\n    return\n")) == "TODO: summarize f."
    nested = "def f(x):\n    def g():\n        return 1\n    g()\n"
    assert docstring_stub(_function(nested)) == "TODO: summarize f.\n\nArgs:\n    x: TODO."
    assert docstring_stub(_function("def f():\n    return 2\n")).endswith("Returns:\n    TODO.")


def test_a_class_stub_lists_its_init_parameters() -> None:
    cls = _function("class C:\n    def __init__(self, size):\n        self.size = size\n")
    assert docstring_stub(cls) == "TODO: summarize C.\n\nArgs:\n    size: TODO."
    assert docstring_stub(_function("class D: pass\n")) == "TODO: summarize D."


def test_a_stub_can_be_set_as_the_docstring(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    stub = docstring_stub(_function("def get(self, key):\n    return key\n"))
    [edit] = set_docstring(ws, "m.py", "Store.get", stub).files
    assert docstring_of(edit.new_text, "Store.get") == stub
    assert '        """TODO: summarize get.\n\n        Args:\n            key: TODO.\n' in edit.new_text
