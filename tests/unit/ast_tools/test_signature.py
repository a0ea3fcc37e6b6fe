"""Change signature on real files: definitions, every call, overrides, and each refusal."""

from pathlib import Path

import pytest

from specpilot.ast_tools.edits import Refusal, apply
from specpilot.ast_tools.signature import NewParameter, SignatureChange, change_signature
from specpilot.ast_tools.workspace import Workspace
from tests.unit.ast_tools.test_rename import write

MOD = """\
def area(width, height, scale=1):
    \"\"\"Area.\"\"\"
    return width * height * scale


def report():
    return [area(2, 3), area(2, 3, 4), area(width=1, height=5), area(
        7,  # the width
        2,
    )]
"""

USE = """\
from pkg.mod import area as surface
from pkg import mod


def totals():
    return [surface(3, 4, 5), mod.area(1, height=2)]


CALLBACKS = [surface]
"""

SHAPES = """\
class Shape:
    def grow(self, factor, extra=0):
        return factor + extra

    def twice(self):
        return [self.grow(2), Shape.grow(self, 3, extra=1), self.grow(4, 5)]


class Square(Shape):
    def grow(self, factor, extra=0):
        return super().grow(factor, extra) * 2
"""

SHAPES_USE = """\
from pkg.shapes import Square


def run():
    return Square().grow(1, extra=2) + Square().twice()[2]
"""


def workspace(tmp_path: Path) -> Workspace:
    return write(tmp_path, {"pkg/__init__.py": "", "pkg/mod.py": MOD, "pkg/use.py": USE,
                            "pkg/shapes.py": SHAPES, "pkg/shapes_use.py": SHAPES_USE})


def changed(ws: Workspace, path: str, target: str, change: SignatureChange) -> dict[str, str]:
    result = change_signature(ws, path, target, change)
    return {f.path: f.new_text for f in result.files}


def outcomes(root: Path) -> tuple[object, ...]:
    """What the sample code computes: must not change under a signature change."""
    import importlib
    import sys
    sys.path.insert(0, str(root))
    try:
        for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
            del sys.modules[name]
        mod = importlib.import_module("pkg.mod")
        use = importlib.import_module("pkg.use")
        shapes_use = importlib.import_module("pkg.shapes_use")
        return mod.report(), use.totals(), shapes_use.run()
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
            del sys.modules[name]


def apply_and_compare(ws: Workspace, tmp_path: Path, path: str, target: str, change: SignatureChange) -> dict[str, str]:
    before = outcomes(tmp_path)
    result = change_signature(ws, path, target, change)
    apply(result, tmp_path)
    assert outcomes(tmp_path) == before
    return {f.path: f.new_text for f in result.files}


def test_adding_a_defaulted_parameter_at_the_end_changes_only_the_definition(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    files = apply_and_compare(ws, tmp_path, "pkg/mod.py", "area", SignatureChange(add=[NewParameter("depth", "1")]))
    assert list(files) == ["pkg/mod.py"]
    assert files["pkg/mod.py"] == MOD.replace("scale=1):", "scale=1, depth=1):")


def test_inserting_a_parameter_turns_later_positional_arguments_into_keywords(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    change = SignatureChange(add=[NewParameter("unit", "'m'", index=2)])
    files = apply_and_compare(ws, tmp_path, "pkg/mod.py", "area", change)
    assert "def area(width, height, unit='m', scale=1):" in files["pkg/mod.py"]
    assert "area(2, 3, scale=4)" in files["pkg/mod.py"]
    assert "area(2, 3)," in files["pkg/mod.py"]  # calls that do not reach the new place stay
    assert "surface(3, 4, scale=5)" in files["pkg/use.py"]  # through an import alias


def test_a_parameter_added_to_a_function_with_star_args_becomes_keyword_only(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": "def f(a, *rest):\n    return a, rest\n\n\nf(1, 2, 3)\n"})
    files = changed(ws, "m.py", "f", SignatureChange(add=[NewParameter("flag", "False")]))
    assert files["m.py"] == "def f(a, *rest, flag=False):\n    return a, rest\n\n\nf(1, 2, 3)\n"


def test_renaming_a_parameter_renames_its_uses_and_keyword_arguments_everywhere(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    files = apply_and_compare(ws, tmp_path, "pkg/mod.py", "area", SignatureChange(rename={"width": "w"}))
    assert 'def area(w, height, scale=1):\n    """Area."""\n    return w * height * scale' in files["pkg/mod.py"]
    assert "area(w=1, height=5)" in files["pkg/mod.py"]
    assert "pkg/use.py" not in files  # it passes width positionally: nothing to rename there
    assert "width" not in files["pkg/mod.py"].replace("# the width", "")


def test_reordering_moves_positional_arguments_and_keeps_comments(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    change = SignatureChange(order=["height", "width", "scale"])
    files = apply_and_compare(ws, tmp_path, "pkg/mod.py", "area", change)
    text = files["pkg/mod.py"]
    assert "def area(height, width, scale=1):" in text
    assert ("area(3, 2), area(3, 2, 4), area(width=1, height=5), area(\n"
            "        2,  # the width\n        7,\n    )") in text
    assert "surface(4, 3, 5)" in files["pkg/use.py"]
    assert "mod.area(width=1, height=2)" in files["pkg/use.py"]  # the run of positionals breaks: keyword


def test_removing_an_unused_parameter_nobody_passes(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": "def f(a, b=2, unused=None):\n    return a + b\n\n\nf(1)\nf(1, b=3)\n"})
    files = changed(ws, "m.py", "f", SignatureChange(remove=["unused"]))
    assert files["m.py"] == "def f(a, b=2):\n    return a + b\n\n\nf(1)\nf(1, b=3)\n"


def test_a_method_change_reaches_overrides_and_calls_through_self_the_class_and_super(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    change = SignatureChange(add=[NewParameter("mode", "None", index=2)], rename={"extra": "bonus"})
    files = apply_and_compare(ws, tmp_path, "pkg/shapes.py", "Shape.grow", change)
    text = files["pkg/shapes.py"]
    assert text.count("def grow(self, factor, mode=None, bonus=0):") == 2
    assert "self.grow(2), Shape.grow(self, 3, bonus=1), self.grow(4, bonus=5)" in text
    assert "super().grow(factor, bonus=extra)" not in text and "super().grow(factor, bonus=bonus) * 2" in text
    assert "Square().grow(1, bonus=2)" in files["pkg/shapes_use.py"]


def test_a_function_used_as_a_value_is_reported(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    result = change_signature(ws, "pkg/mod.py", "area", SignatureChange(add=[NewParameter("depth")]))
    assert any("pkg/use.py:9" in w and "used as a value" in w for w in result.warnings)


def test_open_buffers_win_and_carry_their_version(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "def f(a):\n    return a\n"})
    ws = Workspace(tmp_path, {"m.py": ("def f(a, b=1):\n    return a\n\n\nf(a=1, b=2)\n", 4)})
    result = change_signature(ws, "m.py", (0, 4), SignatureChange(rename={"b": "c"}))
    assert result.files[0].version == 4
    assert result.files[0].new_text == "def f(a, c=1):\n    return a\n\n\nf(a=1, c=2)\n"


def test_crlf_and_multiline_parameter_lists_keep_their_layout(tmp_path: Path) -> None:
    text = "def f(\r\n    a,\r\n    b,\r\n):\r\n    return a - b\r\n\r\n\r\nf(\r\n    1,\r\n    2,\r\n)\r\n"
    ws = write(tmp_path, {"m.py": text})
    files = changed(ws, "m.py", "f", SignatureChange(order=["b", "a", "c"], add=[NewParameter("c", "0")]))
    assert files["m.py"] == ("def f(\r\n    b,\r\n    a,\r\n    c=0,\r\n):\r\n    return a - b\r\n\r\n\r\n"
                             "f(\r\n    2,\r\n    1,\r\n)\r\n")


@pytest.mark.parametrize(("source", "target", "change", "message"), [
    ("def f(a, b):\n    return a\n\n\nf(1, 2)\n", "f", SignatureChange(remove=["b"]), "passes 'b'"),
    ("def f(a, b=0):\n    return a\n\n\nf(1, b=2)\n", "f", SignatureChange(remove=["b"]), "passes 'b'"),
    ("def f(a, b):\n    return a + b\n", "f", SignatureChange(remove=["b"]), "still used in the body"),
    ("class C:\n    def m(self):\n        return 1\n", "C.m", SignatureChange(remove=["self"]), "receiver"),
    ("def f(a):\n    return a\n", "f", SignatureChange(remove=["z"]), "has no parameter 'z'"),
    ("def f(a):\n    return a\n", "f", SignatureChange(), "empty"),
    ("class C:\n    pass\n", "C", SignatureChange(add=[NewParameter("x")]), "is a class"),
    ("class C:\n    def __init__(self):\n        pass\n", "C.__init__", SignatureChange(add=[NewParameter("x")]),
     "special method"),
    ("def f(a):\n    return a\n", "f", SignatureChange(add=[NewParameter("a")]), "already has a parameter 'a'"),
    ("X = 1\n\n\ndef f(a):\n    return a + X\n", "f", SignatureChange(add=[NewParameter("X")]),
     "already used in the body"),
    ("def f(a):\n    return a\n", "f", SignatureChange(add=[NewParameter("b", "1 +")]), "not a Python expression"),
    ("def f(a):\n    return a\n", "f", SignatureChange(add=[NewParameter("b", "1", index=5)]),
     "out of range"),
    ("def f(a, b):\n    return a\n", "f", SignatureChange(add=[NewParameter("c", "1", index=1)]),
     "cannot come before 'b'"),
    ("def f(a):\n    return a\n", "f", SignatureChange(add=[NewParameter("class")]), "keyword"),
    ("def f(a):\n    return a\n", "f", SignatureChange(rename={"a": "2x"}), "not a valid Python identifier"),
    ("def f(a, b):\n    return a\n\n\nf(*[1, 2])\n", "f", SignatureChange(order=["b", "a"]), "unpacks *[1, 2]"),
    ("def f(a, b=1):\n    return a\n", "f", SignatureChange(order=["b", "a"]), "cannot follow 'b'"),
    ("def f(a, b):\n    return a\n", "f", SignatureChange(order=["a"]), "each positional parameter once"),
    ("def f(a, /, b):\n    return a\n", "f", SignatureChange(order=["b", "a"]), "positional-only"),
    ("class C:\n    @property\n    def p(self):\n        return 1\n", "C.p", SignatureChange(add=[NewParameter("x")]),
     "property"),
    ("def f(a):\n    return a\n", "g", SignatureChange(add=[NewParameter("x")]), "no function or class 'g'"),
    ("def f(a:\n", "f", SignatureChange(add=[NewParameter("x")]), "syntax error"),
])
def test_refusals_say_why_and_change_nothing(tmp_path: Path, source: str, target: str,
                                             change: SignatureChange, message: str) -> None:
    ws = write(tmp_path, {"m.py": source})
    with pytest.raises(Refusal, match=message.replace("(", r"\(").replace("[", r"\[").replace("*", r"\*")):
        change_signature(ws, "m.py", target, change)
    assert (tmp_path / "m.py").read_text() == source


def test_overrides_with_other_parameters_are_refused(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": "class A:\n    def m(self, x):\n        return x\n\n\n"
                                  "class B(A):\n    def m(self, y):\n        return y\n"})
    with pytest.raises(Refusal, match="different parameters"):
        change_signature(ws, "m.py", "A.m", SignatureChange(add=[NewParameter("z")]))
