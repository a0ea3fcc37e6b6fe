"""Renaming methods and attributes: the class, its family, and what is assumed."""

from pathlib import Path

import pytest

from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.rename import rename
from tests.unit.ast_tools.test_rename import at, renamed, write

SHAPES = """\
class Shape:
    sides = 0

    def __init__(self, name):
        self.name = name

    def area(self):
        return 0

    def describe(self):
        return f"{self.name}: {self.area()}"


class Square(Shape):
    sides = 4

    def __init__(self, side):
        super().__init__("square")
        self.side = side

    def area(self):
        return self.side ** 2
"""

USE = """\
from shapes import Shape, Square


def total(items):
    return sum(item.area() for item in items)


print(Square(2).area(), Shape.area(Square(1)), total([Square(3)]))
"""


def test_a_method_renames_with_its_overrides_and_every_call(tmp_path: Path) -> None:
    ws = write(tmp_path, {"shapes.py": SHAPES, "use.py": USE})
    out = renamed(ws, "shapes.py", "area(self)", "surface")
    assert out["shapes.py"] == SHAPES.replace("area", "surface")
    assert out["use.py"] == USE.replace("area", "surface")


def test_an_attribute_renames_through_self_from_a_use(tmp_path: Path) -> None:
    ws = write(tmp_path, {"shapes.py": SHAPES, "use.py": USE})
    out = renamed(ws, "shapes.py", "name", "label", nth=1)  # self.name = name
    text = out["shapes.py"]
    assert "        self.label = name\n" in text and 'return f"{self.label}: {self.area()}"' in text
    assert "def __init__(self, name):" in text  # the parameter of the same name is another binding


def test_a_member_defined_by_an_unrelated_class_too_is_left_alone_on_unknown_values(tmp_path: Path) -> None:
    other = "class Room:\n    def area(self):\n        return 10\n"
    ws = write(tmp_path, {"shapes.py": SHAPES, "use.py": USE, "rooms.py": other})
    result = rename(ws, "shapes.py", *at(SHAPES, "area", 0), "surface")
    out = {f.path: f.new_text for f in result.files}
    assert "rooms.py" not in out
    assert "item.area()" in out.get("use.py", USE)  # the type of item is unknown
    assert "Shape.surface(Square(1))" in out["use.py"]
    assert any("left unchanged" in w for w in result.warnings)


def test_from_an_unknown_receiver_the_only_defining_class_is_used(tmp_path: Path) -> None:
    ws = write(tmp_path, {"shapes.py": SHAPES, "use.py": USE})
    result = rename(ws, "use.py", *at(USE, "area", 0), "surface")
    assert {f.path for f in result.files} == {"shapes.py", "use.py"}
    assert any("unknown type were renamed" in w for w in result.warnings)


@pytest.mark.parametrize(("needle", "new", "reason"), [
    ("__init__", "setup", "special method"),
    ("def describe", "area", "already a member"),
])
def test_member_refusals(tmp_path: Path, needle: str, new: str, reason: str) -> None:
    ws = write(tmp_path, {"shapes.py": SHAPES})
    line, column = at(SHAPES, needle)
    column += needle.index(needle.split()[-1])
    with pytest.raises(Refusal, match=reason):
        rename(ws, "shapes.py", line, column, new)


def test_an_ambiguous_member_on_an_unknown_value_is_refused(tmp_path: Path) -> None:
    source = ("class A:\n    def run(self):\n        pass\n\n"
              "class B:\n    def run(self):\n        pass\n\ndef go(x):\n    x.run()\n")
    ws = write(tmp_path, {"m.py": source})
    with pytest.raises(Refusal, match="cannot tell which class"):
        rename(ws, "m.py", *at(source, "run", 2), "start")


def test_a_method_used_by_name_in_its_class_body_is_renamed_there_too(tmp_path: Path) -> None:
    source = ("class Fraction:\n    def _add(self, other):\n        return other\n\n"
              "    __add__ = _add\n    pairs = [_add]\n\n    def use(self):\n        _add = 1\n        return _add\n")
    ws = write(tmp_path, {"m.py": source})
    files = renamed(ws, "m.py", "_add", "_plus")
    assert files["m.py"] == source.replace("def _add", "def _plus").replace("__add__ = _add", "__add__ = _plus") \
        .replace("[_add]", "[_plus]")


def test_a_module_function_of_the_same_name_is_not_taken_for_the_method(tmp_path: Path) -> None:
    ws = write(tmp_path, {
        "tr.py": ("class Translations:\n    def install(self, names=None):\n        return names\n\n\n"
                  "def install(domain, names=None):\n    return Translations().install(names=names)\n"),
        "test_tr.py": "import tr\n\n\ndef test(t):\n    return tr.install('x', names=['a']), t.install(names=[])\n",
    })
    text = ws.read("tr.py").text
    files = renamed(ws, "tr.py", "install(self", "setup")
    assert "tr.install('x', names=['a']), t.setup(names=[])" in files["test_tr.py"]
    result = rename(ws, "tr.py", *at(text, "names=None"), "builtins_names")
    assert "tr.install('x', names=['a']), t.install(builtins_names=[])" in result.file("test_tr.py").new_text  # type: ignore[union-attr]


def test_self_uses_in_a_subclass_that_inherits_the_member_are_renamed(tmp_path: Path) -> None:
    source = ("class Base:\n    def area(self):\n        return 1\n\n\n"
              "class Child(Base):\n    def twice(self):\n        return 2 * self.area()\n\n\n"
              "class Other:\n    def area(self):\n        return 3\n\n"
              "    def twice(self):\n        return self.area()\n")
    ws = write(tmp_path, {"m.py": source})
    out = renamed(ws, "m.py", "area", "surface")["m.py"]
    assert "return 2 * self.surface()" in out  # Child inherits Base.area
    assert out.count("surface") == 2 and "    def area(self):\n        return 3" in out  # Other's own
