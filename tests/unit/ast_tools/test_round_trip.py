"""Unusual formatting survives every refactoring byte for byte outside the edit:
comments between arguments, backslash continuations, odd spacing, tabs and CRLF."""

from collections.abc import Callable
from pathlib import Path

import pytest

from specpilot.ast_tools.decorators import add_decorator
from specpilot.ast_tools.docstrings import set_docstring
from specpilot.ast_tools.edits import EditResult
from specpilot.ast_tools.extract import extract_function
from specpilot.ast_tools.imports import add_import
from specpilot.ast_tools.rename import rename
from specpilot.ast_tools.signature import NewParameter, SignatureChange, change_signature
from specpilot.ast_tools.workspace import Workspace
from tests.unit.ast_tools.test_rename import at, write

SOURCE = """\
import os  # first   comment


def   combine( left ,   # the left side
              right = 1 ,   # the right side
              ) :
    total = left + \\
        right   # continued
    extra = [ 1 ,
              2 ,  # two
            ]
    return total+len( extra )


VALUE = combine( 2 ,   # why two
                 right = 3 )
"""

Op = Callable[[Workspace], EditResult]


def _rename(ws: Workspace) -> EditResult:
    return rename(ws, "m.py", *at(ws.read("m.py").text, "combine"), "merge")


CASES: dict[str, tuple[Op, Callable[[str], str]]] = {
    "rename": (_rename, lambda s: s.replace("combine", "merge")),
    "change signature": (
        lambda ws: change_signature(ws, "m.py", "combine", SignatureChange(rename={"right": "other"})),
        lambda s: s.replace("right = 1 ,", "other = 1 ,").replace("        right   # continued",
                                                                     "        other   # continued")
        .replace("right = 3 )", "other = 3 )")),
    "add parameter": (
        lambda ws: change_signature(ws, "m.py", "combine", SignatureChange(add=[NewParameter("scale", "1")])),
        lambda s: s.replace("              right = 1 ,   # the right side\n",
                            "              right = 1 ,\n              scale=1 ,   # the right side\n")),
    "extract function": (
        lambda ws: extract_function(ws, "m.py", (8, 0), (11, 0), "make_extra"),
        lambda s: s.replace("    extra = [ 1 ,\n              2 ,  # two\n            ]\n",
                            "    extra = make_extra()\n").replace(
            "    return total+len( extra )\n",
            "    return total+len( extra )\n\n\ndef make_extra():\n    extra = [ 1 ,\n              2 ,  # two\n"
            "            ]\n    return extra\n")),
    "add decorator": (
        lambda ws: add_decorator(ws, "m.py", "combine", "functools.cache"),
        lambda s: s.replace("def   combine(", "@functools.cache\ndef   combine(")),
    "set docstring": (
        lambda ws: set_docstring(ws, "m.py", "combine", "Add them."),
        lambda s: s.replace("              ) :\n", '              ) :\n    """Add them."""\n')),
    "add import": (
        lambda ws: add_import(ws, "m.py", "sys"),
        lambda s: s.replace("import os  # first   comment\n", "import os  # first   comment\nimport sys\n")),
}


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def tabs(text: str) -> str:
    """Indentation by tabs (continuation lines keep their spaces)."""
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        depth = len(line) - len(stripped)
        out.append("\t" * (depth // 4) + stripped if depth in (4, 8) else line)
    return "\n".join(out)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("style", ["lf", "crlf", "tabs"])
def test_everything_outside_the_edit_is_kept_byte_for_byte(tmp_path: Path, name: str, style: str) -> None:
    operation, expected = CASES[name]
    convert = {"lf": lambda s: s, "crlf": crlf, "tabs": tabs}[style]
    ws = write(tmp_path, {"m.py": convert(SOURCE)})
    result = operation(ws)
    assert result.files[0].new_text == convert(expected(SOURCE))
