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


SAMPLE_ENTRIES = (("pkg.mod", "report"), ("pkg.use", "totals"), ("pkg.shapes_use", "run"))


def outcomes(root: Path, entries: tuple[tuple[str, str], ...] = SAMPLE_ENTRIES) -> tuple[object, ...]:
    """What the sample code computes (each ``(module, function)`` of ``entries`` called):
    must not change under a signature change."""
    import importlib
    import sys
    sys.path.insert(0, str(root))
    try:
        for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
            del sys.modules[name]
        return tuple(getattr(importlib.import_module(module), function)() for module, function in entries)
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
            del sys.modules[name]


def apply_and_compare(ws: Workspace, tmp_path: Path, path: str, target: str, change: SignatureChange,
                      entries: tuple[tuple[str, str], ...] = SAMPLE_ENTRIES) -> dict[str, str]:
    before = outcomes(tmp_path, entries)
    result = change_signature(ws, path, target, change)
    apply(result, tmp_path)
    assert outcomes(tmp_path, entries) == before
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
    ("class C:\n    def __eq__(self, other):\n        return True\n", "C.__eq__",
     SignatureChange(add=[NewParameter("x")]), "special method"),
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


POINTS = """\
class Point:
    def __init__(self, x, y, label="p"):
        self.x, self.y, self.label = x, y, label

    def moved(self, dx):
        return Point(self.x + dx, self.y, self.label)

    @classmethod
    def origin(cls, label="o"):
        return cls(0, 0, label)

    def parts(self):
        return (type(self).__name__, self.x, self.y, self.label)


class Pixel(Point):
    def bright(self):
        return self.parts() + ("bright",)


class Tiny(Pixel):
    pass


class Named(Point):
    def __init__(self, name, x, y):
        super().__init__(x, y, name)
        self.name = name


class Legacy(Pixel):
    def __init__(self, x, y):
        super(Legacy, self).__init__(x, y, "legacy")


class Explicit(Point):
    def __init__(self, x):
        Point.__init__(self, x, 0, "explicit")
"""

DRAW = """\
from pkg.points import Point, Pixel, Tiny, Named, Legacy, Explicit
from pkg.points import Point as P
import pkg.points as pts


def run():
    return [Point(1, 2).parts(), Point(1, 2, "a").parts(), P(3, 4, "alias").parts(),
            pts.Point(5, 6, label="m").parts(), pts.Point(7, 8, "module").parts(),
            Point(1, 2).moved(1).parts(), Pixel.origin("px").parts(),
            Pixel(1, 2, "pixel").bright(), Tiny(3, 4, "tiny").parts(), Named("n", 5, 6).parts(),
            Legacy(7, 8).parts(), Explicit(9).parts()]


def by_keyword():
    return Point(x=1, y=2, label="kw").parts()


def check(p: Point) -> bool:
    return isinstance(p, Point)


FACTORY = Point
"""

DRAW_ENTRIES = (("pkg.draw", "run"), ("pkg.draw", "by_keyword"))


def points(tmp_path: Path) -> Workspace:
    return write(tmp_path, {"pkg/__init__.py": "", "pkg/points.py": POINTS, "pkg/draw.py": DRAW})


def with_z_before_label(tmp_path: Path) -> dict[str, str]:
    """``z=0`` inserted before ``label`` in Point.__init__, applied, the code run before and after."""
    change = SignatureChange(add=[NewParameter("z", "0", index=3)])
    return apply_and_compare(points(tmp_path), tmp_path, "pkg/points.py", "Point.__init__", change, DRAW_ENTRIES)


def test_adding_a_parameter_to_init_updates_the_class_calls_in_every_file(tmp_path: Path) -> None:
    files = with_z_before_label(tmp_path)
    assert 'def __init__(self, x, y, z=0, label="p"):' in files["pkg/points.py"]
    assert "return Point(self.x + dx, self.y, label=self.label)" in files["pkg/points.py"]
    assert "return cls(0, 0, label=label)" in files["pkg/points.py"]  # a classmethod's cls(...)
    draw = files["pkg/draw.py"]
    assert 'Point(1, 2).parts(), Point(1, 2, label="a").parts(), P(3, 4, label="alias").parts()' in draw
    assert 'pts.Point(5, 6, label="m").parts(), pts.Point(7, 8, label="module").parts()' in draw


def test_subclasses_that_inherit_init_have_their_calls_updated(tmp_path: Path) -> None:
    draw = with_z_before_label(tmp_path)["pkg/draw.py"]
    assert 'Pixel(1, 2, label="pixel").bright(), Tiny(3, 4, label="tiny").parts()' in draw  # Tiny: through Pixel


def test_a_subclass_with_its_own_init_keeps_it_and_its_calls_but_its_super_call_is_updated(tmp_path: Path) -> None:
    files = with_z_before_label(tmp_path)
    text = files["pkg/points.py"]
    assert "    def __init__(self, name, x, y):\n        super().__init__(x, y, label=name)" in text
    assert "    def __init__(self, x, y):\n        super(Legacy, self).__init__(x, y, label=\"legacy\")" in text
    assert 'Named("n", 5, 6).parts(),\n            Legacy(7, 8).parts(), Explicit(9).parts()]' in files["pkg/draw.py"]


def test_explicit_init_calls_through_the_class_pass_the_receiver(tmp_path: Path) -> None:
    text = with_z_before_label(tmp_path)["pkg/points.py"]
    assert 'Point.__init__(self, x, 0, label="explicit")' in text


def test_renaming_an_init_parameter_renames_keyword_arguments_at_class_calls(tmp_path: Path) -> None:
    change = SignatureChange(rename={"label": "tag"})
    files = apply_and_compare(points(tmp_path), tmp_path, "pkg/points.py", "Point.__init__", change, DRAW_ENTRIES)
    text = files["pkg/points.py"]
    assert 'def __init__(self, x, y, tag="p"):\n        self.x, self.y, self.label = x, y, tag' in text
    assert 'pts.Point(5, 6, tag="m")' in files["pkg/draw.py"]
    assert 'Point(x=1, y=2, tag="kw")' in files["pkg/draw.py"]


def test_reordering_init_parameters_moves_arguments_at_class_super_and_explicit_calls(tmp_path: Path) -> None:
    change = SignatureChange(order=["self", "y", "x", "label"])
    files = apply_and_compare(points(tmp_path), tmp_path, "pkg/points.py", "Point.__init__", change, DRAW_ENTRIES)
    text = files["pkg/points.py"]
    assert "super().__init__(y, x, name)" in text and 'Point.__init__(self, 0, x, "explicit")' in text
    assert 'Point(2, 1).parts(), Point(2, 1, "a").parts()' in files["pkg/draw.py"]
    assert 'Named("n", 5, 6)' in files["pkg/draw.py"]  # its own __init__: its calls stay


def test_a_class_used_as_a_value_is_reported_but_not_its_annotations(tmp_path: Path) -> None:
    result = change_signature(points(tmp_path), "pkg/points.py", "Point.__init__",
                              SignatureChange(add=[NewParameter("z", "0")]))
    factory = DRAW.splitlines().index("FACTORY = Point") + 1
    assert [w for w in result.warnings if "used as a value" in w] == [
        f"pkg/draw.py:{factory}: Point is used as a value; calls through it are not updated"]


K_MODULE = """\
from dataclasses import dataclass


class K:
    def __init__(self, a, unused=None):
        self.a = a


class Own(K):
    def __init__(self, unused):
        super().__init__(unused)


@dataclass
class Data(K):
    unused: int = 0
"""


def test_removing_an_init_parameter_a_class_call_passes_is_refused(tmp_path: Path) -> None:
    use = "from pkg.k import K\n\nK(1, unused=2)\n"
    ws = write(tmp_path, {"pkg/__init__.py": "", "pkg/k.py": K_MODULE, "pkg/use.py": use})
    with pytest.raises(Refusal, match="pkg/use.py:3 passes 'unused'"):
        change_signature(ws, "pkg/k.py", "K.__init__", SignatureChange(remove=["unused"]))
    assert (tmp_path / "pkg/use.py").read_text() == use


def test_subclasses_with_their_own_or_a_generated_init_keep_their_calls(tmp_path: Path) -> None:
    use = "from pkg.k import Own, Data\n\nOwn(unused=2)\nData(unused=3)\n"
    ws = write(tmp_path, {"pkg/__init__.py": "", "pkg/k.py": K_MODULE, "pkg/use.py": use})
    files = changed(ws, "pkg/k.py", "K.__init__", SignatureChange(remove=["unused"]))
    assert list(files) == ["pkg/k.py"]
    assert "    def __init__(self, a):\n        self.a = a\n" in files["pkg/k.py"]
    compile(files["pkg/k.py"], "pkg/k.py", "exec")
