"""Extract function on real files with libcst: the exact new code, that it behaves as the
old code did, and every refusal."""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.extract import extract_function
from specpilot.ast_tools.workspace import Workspace
from tests.unit.ast_tools.test_rename import at, write


def extracted(tmp_path: Path, source: str, first: str, last: str, name: str = "helper") -> str:
    """The new text after extracting from the start of ``first`` to the end of ``last``."""
    ws = write(tmp_path, {"m.py": source})
    line, column = at(source, last)
    result = extract_function(ws, "m.py", at(source, first), (line, column + len(last)), name)
    assert [f.path for f in result.files] == ["m.py"]
    assert (tmp_path / "m.py").read_bytes() == source.encode()  # nothing written
    return result.files[0].new_text


def run(text: str, call: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(text, "m.py", "exec"), namespace)
    return eval(call, namespace)


SIMPLE = """\
import math

SCALE = 2


def area(width, height):
    \"\"\"Area of a scaled shape.\"\"\"
    base = width * SCALE
    # scale the height
    side = height + base  # the side
    total = math.sqrt(base * side)
    return round(total, 3)


def unrelated():
    return 0
"""


def test_parameters_in_order_of_first_use_and_one_return_value(tmp_path: Path) -> None:
    out = extracted(tmp_path, SIMPLE, "base = width", "math.sqrt(base * side)")
    assert out == SIMPLE.replace("""\
    base = width * SCALE
    # scale the height
    side = height + base  # the side
    total = math.sqrt(base * side)
    return round(total, 3)
""", """\
    total = helper(width, height)
    return round(total, 3)


def helper(width, height):
    base = width * SCALE
    # scale the height
    side = height + base  # the side
    total = math.sqrt(base * side)
    return total
""")
    assert run(out, "area(3, 4)") == run(SIMPLE, "area(3, 4)")


def test_two_return_values_and_a_tolerant_selection(tmp_path: Path) -> None:
    source = SIMPLE.replace("return round(total, 3)", "return round(total, 3), side")
    ws = write(tmp_path, {"m.py": source})
    # From the end of the docstring line to the start of the return line: only whitespace extra.
    start = (at(source, '"""Area')[0], len('    """Area of a scaled shape."""'))
    result = extract_function(ws, "m.py", start, at(source, "    return round"), "measure")
    out = result.files[0].new_text
    assert "    side, total = measure(width, height)\n    return round(total, 3), side\n" in out
    assert out.endswith("def measure(width, height):\n    base = width * SCALE\n    # scale the height\n"
                        "    side = height + base  # the side\n    total = math.sqrt(base * side)\n"
                        "    return side, total\n\n\ndef unrelated():\n    return 0\n")
    assert run(out, "area(5, 2)") == run(source, "area(5, 2)")
    edits = result.files[0].edits
    assert len(edits) == 2  # the call and the insertion; nothing else moves
    assert edits[1].start == edits[1].end


def test_no_return_value_is_a_plain_call(tmp_path: Path) -> None:
    source = ("def report(items, log):\n    count = len(items)\n    log.append(count)\n"
              "    log.append(max(items))\n    return log\n")
    out = extracted(tmp_path, source, "log.append(count)", "log.append(max(items))")
    assert out == ("def report(items, log):\n    count = len(items)\n    helper(log, count, items)\n"
                   "    return log\n\n\ndef helper(log, count, items):\n    log.append(count)\n"
                   "    log.append(max(items))\n")
    assert run(out, "report([3, 9], [])") == [2, 9]


def test_a_variable_read_earlier_in_the_enclosing_loop_is_returned(tmp_path: Path) -> None:
    source = """\
def running(items):
    out = []
    prev = 0
    for item in items:
        out.append(prev)
        doubled = item * 2
        prev = doubled + 1
    return out
"""
    out = extracted(tmp_path, source, "doubled = item", "prev = doubled + 1", "step")
    assert "        prev = step(item)\n" in out
    assert out.endswith("def step(item):\n    doubled = item * 2\n    prev = doubled + 1\n    return prev\n")
    assert run(out, "running([1, 2, 3])") == run(source, "running([1, 2, 3])") == [0, 3, 5]


def test_a_loop_inside_the_selection_may_break(tmp_path: Path) -> None:
    source = ("def first_big(items):\n    found = None\n    for item in items:\n        if item > 10:\n"
              "            found = item\n            break\n    else:\n        found = -1\n    return found\n")
    out = extracted(tmp_path, source, "found = None", "found = -1", "search")
    assert "    found = search(items)\n    return found\n" in out
    assert run(out, "first_big([1, 20, 30])") == 20 and run(out, "first_big([1])") == -1


CLASS = """\
class Counter:
    step = 3

    def __init__(self, n):
        self.n = n

    def bump(self, k):
        extra = k * 2
        self.n += extra + self.step
        return self.n

    def scaled(self, k):
        doubled = k * 2
        return doubled + 1

    @classmethod
    def make(cls, k):
        size = k + cls.step
        return cls(size)

    @staticmethod
    def pure(k):
        half = k / 2
        return half
"""


def test_a_method_using_self_becomes_a_method_after_it(tmp_path: Path) -> None:
    out = extracted(tmp_path, CLASS, "extra = k", "self.step", "grow")
    assert out == CLASS.replace("""\
        extra = k * 2
        self.n += extra + self.step
        return self.n
""", """\
        self.grow(k)
        return self.n

    def grow(self, k):
        extra = k * 2
        self.n += extra + self.step
""")
    assert run(out, "Counter(1).bump(2)") == run(CLASS, "Counter(1).bump(2)") == 8


def test_a_method_not_using_self_gets_a_static_helper(tmp_path: Path) -> None:
    out = extracted(tmp_path, CLASS, "doubled = k", "doubled = k * 2", "double")
    assert ("        doubled = self.double(k)\n        return doubled + 1\n\n"
            "    @staticmethod\n    def double(k):\n        doubled = k * 2\n        return doubled\n") in out
    assert run(out, "Counter(0).scaled(4)") == 9


def test_classmethods_and_staticmethods(tmp_path: Path) -> None:
    out = extracted(tmp_path, CLASS, "size = k", "cls.step", "sized")
    assert ("        size = cls.sized(k)\n        return cls(size)\n\n"
            "    @classmethod\n    def sized(cls, k):\n        size = k + cls.step\n        return size\n") in out
    assert run(out, "Counter.make(1).n") == 4
    out = extracted(tmp_path, CLASS, "half = k", "k / 2", "halve")
    assert "        half = Counter.halve(k)\n" in out
    assert out.endswith("    @staticmethod\n    def halve(k):\n        half = k / 2\n        return half\n")
    assert run(out, "Counter.pure(5)") == 2.5


def test_zero_argument_super_keeps_the_helper_a_method(tmp_path: Path) -> None:
    source = ("class Base:\n    def size(self):\n        return 2\n\n\nclass Child(Base):\n"
              "    def size(self):\n        inner = super().size()\n        return inner * 10\n")
    out = extracted(tmp_path, source, "inner = super", "super().size()", "base_size")
    assert out.endswith("        inner = self.base_size()\n        return inner * 10\n\n"
                        "    def base_size(self):\n        inner = super().size()\n        return inner\n")
    assert run(out, "Child().size()") == 20


def test_statements_under_with_and_try_and_a_variable_kept_when_not_reassigned(tmp_path: Path) -> None:
    source = """\
def load(path, strict):
    label = "default"
    with open(path) as handle:
        try:
            data = handle.read()
            if strict:
                label = data.strip()
        except OSError:
            data = ""
    return data, label
"""
    out = extracted(tmp_path, source, "data = handle", "label = data.strip()", "read_label")
    assert "            data, label = read_label(handle, strict, label)\n        except OSError:\n" in out
    assert out.endswith("def read_label(handle, strict, label):\n    data = handle.read()\n    if strict:\n"
                        "        label = data.strip()\n    return data, label\n")
    (tmp_path / "in.txt").write_text(" text \n")
    call = f"load({str(tmp_path / 'in.txt')!r}, False), load({str(tmp_path / 'in.txt')!r}, True)"
    assert run(out, call) == run(source, call) == ((" text \n", "default"), (" text \n", "text"))


def test_a_nested_function_passes_outer_variables_and_goes_to_module_level(tmp_path: Path) -> None:
    source = """\
def outer(a):
    factor = 10

    def inner(b):
        c = a * factor + b
        return c

    return inner(1)


X = outer(2)
"""
    out = extracted(tmp_path, source, "c = a", "factor + b", "combine")
    assert out == source.replace("        c = a * factor + b\n", "        c = combine(a, factor, b)\n").replace(
        "    return inner(1)\n", "    return inner(1)\n\n\ndef combine(a, factor, b):\n    c = a * factor + b\n"
        "    return c\n")
    assert run(out, "X") == 21


def test_await_makes_an_async_helper_called_with_await(tmp_path: Path) -> None:
    source = """\
import asyncio


async def fetch(n):
    await asyncio.sleep(0)
    value = n + 1
    return value * 2
"""
    out = extracted(tmp_path, source, "await asyncio", "value = n + 1", "load")
    assert "    value = await load(n)\n    return value * 2\n" in out
    assert out.endswith("async def load(n):\n    await asyncio.sleep(0)\n    value = n + 1\n    return value\n")
    assert asyncio.run(run(out, "fetch(3)")) == asyncio.run(run(source, "fetch(3)")) == 8


def test_crlf_file_gets_crlf_lines_and_keeps_the_rest(tmp_path: Path) -> None:
    source = "def f(a):\r\n    b = a + 1\r\n    c = b * 2\r\n    return c\r\n\r\n\r\ndef g():\r\n    pass\r\n"
    out = extracted(tmp_path, source, "b = a", "c = b * 2")
    assert out == ("def f(a):\r\n    c = helper(a)\r\n    return c\r\n\r\n\r\n"
                   "def helper(a):\r\n    b = a + 1\r\n    c = b * 2\r\n    return c\r\n"
                   "\r\n\r\ndef g():\r\n    pass\r\n")
    assert run(out, "f(1)") == 4


def test_tab_indented_file_uses_tabs(tmp_path: Path) -> None:
    source = "def f(a):\n\tif a:\n\t\tb = a + 1\n\t\tb *= 3\n\t\treturn b\n\treturn 0\n"
    out = extracted(tmp_path, source, "b = a", "b *= 3")
    assert out == ("def f(a):\n\tif a:\n\t\tb = helper(a)\n\t\treturn b\n\treturn 0\n\n\n"
                   "def helper(a):\n\tb = a + 1\n\tb *= 3\n\treturn b\n")
    assert run(out, "f(2)") == 9


def test_comments_kept_and_multiline_strings_untouched(tmp_path: Path) -> None:
    source = '''\
def f(rows):
    if rows:
        # header first
        text = """a
  b
"""  # the template
        text += str(len(rows))  # count
        return text
    return ""
'''
    out = extracted(tmp_path, source, "# header first", "# count", "template")
    assert out == source.replace('''\
        # header first
        text = """a
  b
"""  # the template
        text += str(len(rows))  # count
''', '''\
        # header first
        text = template(rows)
''') + '''

def template(rows):
    text = """a
  b
"""  # the template
    text += str(len(rows))  # count
    return text
'''
    assert run(out, "f([1, 2])") == run(source, "f([1, 2])") == "a\n  b\n2"


def test_an_open_buffer_wins_and_its_version_is_carried(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "def f():\n    pass\n"})
    buffer = "def f(a):\n    b = a + 1\n    print(b)\n"
    ws = Workspace(tmp_path, buffers={"m.py": (buffer, 12)})
    result = extract_function(ws, "m.py", (1, 4), (2, 12), "show")
    edit = result.files[0]
    assert edit.version == 12 and edit.old_text == buffer
    assert edit.new_text == buffer.replace("    b = a + 1\n    print(b)\n", "    show(a)\n") + (
        "\n\ndef show(a):\n    b = a + 1\n    print(b)\n")
    assert (tmp_path / "m.py").read_text() == "def f():\n    pass\n"


def test_a_file_without_final_newline(tmp_path: Path) -> None:
    source = "def f(a):\n    b = a + 1\n    return b"
    out = extracted(tmp_path, source, "b = a", "a + 1")
    assert out == "def f(a):\n    b = helper(a)\n    return b\n\n\ndef helper(a):\n    b = a + 1\n    return b"


FUNC = "def f(a):\n    b = a + 1\n    c = b * 2\n    return c\n"


@pytest.mark.parametrize(("source", "first", "last", "name", "reason"), [
    (FUNC, "b = a", "b * 2", "not-valid", "not a valid Python identifier"),
    (FUNC, "b = a", "b * 2", "class", "keyword"),
    (FUNC + "\n\ndef helper():\n    pass\n", "b = a", "b * 2", "helper", "already defined at module level"),
    ("import helper\n\n" + FUNC, "b = a", "b * 2", "helper", "already defined at module level"),
    (FUNC, "b = a", "b * 2", "b", "would be shadowed"),
    ("def g(helper):\n    def f(a):\n        b = a + 1\n        c = b * 2\n        return c\n",
     "b = a", "b * 2", "helper", "would be shadowed"),
    (FUNC + "\nX = helper\n", "b = a", "b * 2", "helper", "already used"),
    (FUNC.replace("c = b * 2", "c = len(b)"), "b = a", "len(b)", "len", "already used"),
    ("class C:\n    def helper(self):\n        pass\n\n    def m(self):\n        x = 1\n        return x\n",
     "x = 1", "x = 1", "helper", "already defined in class 'C'"),
    ("a = 1\nb = a + 1\n", "a = 1", "a + 1", "helper", "module level"),
    ("class C:\n    a = 1\n    b = a + 1\n", "a = 1", "a + 1", "helper", "class body"),
    ("class C:\n    def m(self):\n        pass\n", "def m", "pass", "helper", "class body"),
    (FUNC, "= a", "b * 2", "helper", "cuts through the statement at line 2"),
    (FUNC, "b = a", "b * ", "helper", "cuts through the statement at line 3"),
    (FUNC, "(a)", "a + 1", "helper", "cuts through the statement at line 1"),
    ("def f(a):\n    if a:\n        b = 1\n    else:\n        b = 2\n    return b\n",
     "b = 1", "b = 2", "helper", "spans different blocks"),
    ("def f(a):\n    if a:\n        b = 1\n    c = 2\n    return b + c\n",
     "b = 1", "c = 2", "helper", "spans different blocks"),
    (FUNC, "b = a", "return c", "helper", "returns"),
    ("def f(a):\n    b = yield a\n    print(b)\n", "b = yield", "print(b)", "helper", "yields"),
    ("def f(a):\n    yield from a\n", "yield", "from a", "helper", "yields"),
    ("def f(a):\n    for x in a:\n        if x:\n            break\n", "if x", "break", "helper", "break"),
    ("def f(a):\n    while a:\n        a -= 1\n        continue\n", "a -= 1", "continue", "helper", "continue"),
    ("def f(a):\n    for x in a:\n        for y in x:\n            pass\n        else:\n            break\n",
     "for y", "break", "helper", "break"),
    ("X = 0\n\ndef f(a):\n    global X\n    X = a\n", "global X", "X = a", "helper", "global or nonlocal"),
    ("X = 0\n\ndef f(a):\n    global X\n    X = a\n    b = 1\n", "X = a", "b = 1", "helper",
     "assigns 'X', which 'f' declares global"),
    ("def f(a):\n    def g():\n        nonlocal a\n        a = 2\n    g()\n", "nonlocal a", "a = 2", "helper",
     "global or nonlocal"),
    ("class C:\n    def m(self):\n        def inner():\n            return self.__x\n        return inner\n",
     "return self.__x", "return self.__x", "helper", "returns"),
    ("class C:\n    def m(self):\n        def inner():\n            y = self.__x\n            print(y)\n"
     "        return inner\n", "y = self", "print(y)", "helper", "private name '__x'"),
    ("def f(a):\n    b = a + 1\n\n    # note\n    return b\n", "\n\n", "# note", "helper", "holds no statement"),
    ("def f(a):\n    b = await a\n    return b\n", "b = await", "await a", "helper", "'f' is not async"),
    ("def f(:\n    pass\n", "pass", "pass", "helper", "syntax error"),
])
def test_refusals(tmp_path: Path, source: str, first: str, last: str, name: str, reason: str) -> None:
    ws = write(tmp_path, {"m.py": source})
    line, column = at(source, last)
    with pytest.raises(Refusal, match=reason):
        extract_function(ws, "m.py", at(source, first), (line, column + len(last)), name)


def test_an_empty_selection_is_refused(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": FUNC})
    with pytest.raises(Refusal, match="empty"):
        extract_function(ws, "m.py", (1, 4), (1, 4), "helper")


def test_yield_and_return_in_a_nested_function_of_the_selection_are_fine(tmp_path: Path) -> None:
    source = "def f(a):\n    def gen():\n        yield a\n        return\n    items = list(gen())\n    return items\n"
    out = extracted(tmp_path, source, "def gen", "list(gen())", "collect")
    assert "    items = collect(a)\n    return items\n" in out
    assert run(out, "f(7)") == [7]
