"""Rename on real files with libcst: what changes, what must not, and every refusal."""

from pathlib import Path

import pytest

from specpilot.ast_tools.edits import Refusal, apply
from specpilot.ast_tools.rename import rename
from specpilot.ast_tools.workspace import Workspace
from tests.fixtures import write_files


def write(root: Path, files: dict[str, str]) -> Workspace:
    return Workspace(write_files(root, files))


def at(text: str, needle: str, nth: int = 0) -> tuple[int, int]:
    """0-based (line, column) of the ``nth`` occurrence of ``needle``."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index)
    return line, index - (text.rfind("\n", 0, index) + 1)


def renamed(ws: Workspace, path: str, needle: str, new: str, nth: int = 0) -> dict[str, str]:
    text = ws.read(path).text
    result = rename(ws, path, *at(text, needle, nth), new)
    return {f.path: f.new_text for f in result.files}


MOD = """\
import os

LIMIT = 10  # the limit


def parse_headers(lines, limit=LIMIT):
    \"\"\"Parse headers.\"\"\"
    count = 0
    for line in lines:  # every line
        count += 1
    return count


def caller():
    parse_headers = "shadow"
    return parse_headers


def other():
    return parse_headers([], limit=1) + len(os.sep)
"""


def test_a_function_is_renamed_at_its_definition_and_uses_but_not_where_shadowed(tmp_path: Path) -> None:
    ws = write(tmp_path, {"pkg/mod.py": MOD})
    out = renamed(ws, "pkg/mod.py", "parse_headers", "read_headers")["pkg/mod.py"]
    assert "def read_headers(lines, limit=LIMIT):" in out
    assert "return read_headers([], limit=1)" in out
    assert '    parse_headers = "shadow"\n    return parse_headers\n' in out  # a different binding
    assert out.replace("read_headers", "parse_headers") == MOD  # nothing else moved, comments kept


def test_a_local_variable_is_renamed_only_in_its_function(tmp_path: Path) -> None:
    ws = write(tmp_path, {"pkg/mod.py": MOD})
    out = renamed(ws, "pkg/mod.py", "count", "total", nth=1)["pkg/mod.py"]
    assert "    total = 0\n" in out and "        total += 1\n" in out and "    return total\n" in out
    assert out.count("total") == 3


def test_a_parameter_rename_updates_keyword_arguments(tmp_path: Path) -> None:
    ws = write(tmp_path, {"pkg/mod.py": MOD})
    out = renamed(ws, "pkg/mod.py", "limit=", "max_lines")["pkg/mod.py"]
    assert "def parse_headers(lines, max_lines=LIMIT):" in out
    assert "parse_headers([], max_lines=1)" in out


def test_imports_aliases_and_module_attributes_follow_across_files(tmp_path: Path) -> None:
    ws = write(tmp_path, {
        "pkg/__init__.py": 'from .mod import parse_headers\n\n__all__ = ["parse_headers"]\n',
        "pkg/mod.py": MOD,
        "app/use_from.py": "from pkg.mod import parse_headers\n\nparse_headers([])\n",
        "app/use_alias.py": "from pkg.mod import parse_headers as ph\n\nph([])\n",
        "app/use_module.py": ("import pkg.mod\nfrom pkg import mod as m\n\n"
                              "pkg.mod.parse_headers([])\nm.parse_headers([])\n"),
        "app/use_package.py": "from pkg import parse_headers\n\nx = parse_headers\n",
        "app/unrelated.py": "def parse_headers():\n    return 1\n\nparse_headers()\n",
    })
    out = renamed(ws, "app/use_from.py", "parse_headers", "read_headers", nth=1)
    assert out["pkg/mod.py"].count("read_headers") == 2
    assert out["app/use_from.py"] == "from pkg.mod import read_headers\n\nread_headers([])\n"
    assert out["app/use_alias.py"] == "from pkg.mod import read_headers as ph\n\nph([])\n"
    assert out["app/use_module.py"].count("read_headers") == 2
    assert out["pkg/__init__.py"] == 'from .mod import read_headers\n\n__all__ = ["read_headers"]\n'
    assert out["app/use_package.py"] == "from pkg import read_headers\n\nx = read_headers\n"
    assert "app/unrelated.py" not in out  # its own function of the same name


def test_an_alias_is_renamed_locally(tmp_path: Path) -> None:
    ws = write(tmp_path, {"pkg/mod.py": MOD, "app/a.py": "from pkg.mod import parse_headers as ph\n\nph([])\n"})
    out = renamed(ws, "app/a.py", "ph", "headers", nth=1)
    assert out == {"app/a.py": "from pkg.mod import parse_headers as headers\n\nheaders([])\n"}


def test_global_statements_and_unusual_formatting_are_kept(tmp_path: Path) -> None:
    text = ("COUNTER = 0\r\n\r\ndef bump(\r\n\tstep,  # how much\r\n):\r\n"
            "\tglobal COUNTER\r\n\tCOUNTER += \\\r\n\t\tstep\r\n")
    ws = write(tmp_path, {"m.py": text})
    out = renamed(ws, "m.py", "COUNTER", "TOTAL")["m.py"]
    assert out == text.replace("COUNTER", "TOTAL")


def test_string_mentions_are_warned_about_not_changed(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": 'def helper():\n    pass\n\nf = getattr(obj, "helper")\n'})
    result = rename(ws, "m.py", 0, 5, "assist")
    assert 'getattr(obj, "helper")' in result.files[0].new_text
    assert any("helper" in w and "left unchanged" in w for w in result.warnings)


@pytest.mark.parametrize(("source", "needle", "new", "reason"), [
    ("def f():\n    pass\n", "f", "not-valid", "not a valid Python identifier"),
    ("def f():\n    pass\n", "f", "class", "keyword"),
    ("def f():\n    pass\n\ndef g():\n    pass\n", "f(", "g", "already defined"),
    ("x = len([])\n", "len", "size", "builtin"),
    ("import os\n\nos.getcwd()\n", "getcwd", "cwd", "outside the workspace"),
    ("from os.path import join\n\njoin('a')\n", "join", "glue", "outside the workspace"),
    ("def f(a):\n    b = 1\n    return a + b\n", "a", "b", "already defined"),
    ("X = 1\n\ndef f():\n    Y = 2\n    return X + Y\n", "X", "Y", "would be shadowed"),
    ("def f(:\n", "f", "g", "syntax error"),
])
def test_refusals(tmp_path: Path, source: str, needle: str, new: str, reason: str) -> None:
    ws = write(tmp_path, {"m.py": source})
    with pytest.raises(Refusal, match=reason):
        rename(ws, "m.py", *at(source, needle), new)


def test_no_name_under_the_cursor_and_paths_outside_are_refused(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": "x = 1\n"})
    with pytest.raises(Refusal, match="no name"):
        rename(ws, "m.py", 0, 4, "y")
    with pytest.raises(Refusal, match="outside the workspace"):
        rename(ws, "../elsewhere.py", 0, 0, "y")


def test_open_buffers_win_and_apply_refuses_a_changed_file(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "value = 1\n"})
    ws = Workspace(tmp_path, buffers={"m.py": ("value = 2\nprint(value)\n", 7)})
    result = rename(ws, "m.py", 0, 0, "amount")
    edit = result.files[0]
    assert edit.version == 7 and edit.new_text == "amount = 2\nprint(amount)\n"
    assert [(e.start, e.end, e.new_text) for e in edit.edits] == [((0, 0), (0, 5), "amount"),
                                                                   ((1, 6), (1, 11), "amount")]
    with pytest.raises(Refusal, match="changed since"):
        apply(result, tmp_path)  # the disk holds other text than the buffer the edit was made on
    assert (tmp_path / "m.py").read_text() == "value = 1\n"
    on_disk = rename(Workspace(tmp_path), "m.py", 0, 0, "amount")
    apply(on_disk, tmp_path)
    assert (tmp_path / "m.py").read_text() == "amount = 1\n"


def test_a_parameter_rename_reaches_keyword_arguments_in_other_files(tmp_path: Path) -> None:
    ws = write(tmp_path, {
        "pkg/mod.py": MOD,
        "app/a.py": "from pkg.mod import parse_headers as ph\n\nph([], limit=2)\n",
        "app/b.py": "import pkg.mod\n\npkg.mod.parse_headers([], limit=3)\n",
        "app/c.py": "def parse_headers(lines, limit=0):\n    return limit\n\nparse_headers([], limit=4)\n",
    })
    out = renamed(ws, "pkg/mod.py", "limit=", "max_lines")
    assert out["app/a.py"] == "from pkg.mod import parse_headers as ph\n\nph([], max_lines=2)\n"
    assert out["app/b.py"] == "import pkg.mod\n\npkg.mod.parse_headers([], max_lines=3)\n"
    assert "app/c.py" not in out  # its own function


def test_a_function_local_that_shares_the_name_is_never_renamed_with_the_global(tmp_path: Path) -> None:
    source = ("def indent(text):\n    return text\n\n\nclass W:\n    def wrap(self, first):\n"
              "        if first:\n            indent = '>'\n        else:\n            indent = ' '\n"
              "        return len(indent) + len(indent(''))\n")
    ws = write(tmp_path, {"m.py": source})
    files = renamed(ws, "m.py", "indent", "indent_lines")
    assert files["m.py"].startswith("def indent_lines(text):")
    assert "return len(indent) + len(indent(''))" in files["m.py"]  # both are the local (a bug in the source)


def test_renaming_an_init_or_method_parameter_renames_keywords_in_other_files(tmp_path: Path) -> None:
    ws = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/wrap.py": ("class Wrapper:\n    def __init__(self, width=70):\n        self.width = width\n\n"
                        "    def fill(self, text, margin=0):\n        return text, margin\n"),
        "test_wrap.py": ("from pkg.wrap import Wrapper\n\n\ndef test():\n"
                         "    w = Wrapper(width=10)\n    return w.fill('x', margin=2), dict(width=3)\n"),
    })
    text = ws.read("pkg/wrap.py").text
    files = renamed(ws, "pkg/wrap.py", "width=70", "columns")
    assert "Wrapper(columns=10)" in files["test_wrap.py"]
    assert "dict(width=3)" in files["test_wrap.py"]  # another callee
    assert "def __init__(self, columns=70):\n        self.width = columns" in files["pkg/wrap.py"]
    result = rename(ws, "pkg/wrap.py", *at(text, "margin=0"), "indent")
    assert "w.fill('x', indent=2)" in result.file("test_wrap.py").new_text  # type: ignore[union-attr]


def test_a_new_name_that_would_capture_a_builtin_in_use_is_refused(tmp_path: Path) -> None:
    source = "def size(items):\n    return 0\n\n\ndef count(items):\n    return len(items) + size(items)\n"
    ws = write(tmp_path, {"m.py": source})
    with pytest.raises(Refusal, match="builtin 'len' used at m.py:6"):
        rename(ws, "m.py", *at(source, "size"), "len")
    result = rename(ws, "m.py", *at(source, "size"), "max")  # max is not used here: a warning only
    assert any("shadows a Python builtin" in w for w in result.warnings)


def test_a_local_rename_refuses_capturing_an_outer_name_used_in_the_function(tmp_path: Path) -> None:
    source = "LIMIT = 3\n\n\ndef f(items):\n    n = len(items)\n    return n > LIMIT\n"
    ws = write(tmp_path, {"m.py": source})
    with pytest.raises(Refusal, match="'LIMIT' used at m.py:6"):
        rename(ws, "m.py", *at(source, "n ="), "LIMIT")


def test_a_parameter_rename_follows_kwargs_forwarding(tmp_path: Path) -> None:
    ws = write(tmp_path, {
        "wrap.py": ("class Wrapper:\n    def __init__(self, width=70, hyphens=True):\n"
                    "        self.hyphens = hyphens\n\n\n"
                    "def wrap(text, width=70, **kwargs):\n    return Wrapper(width=width, **kwargs)\n\n\n"
                    "def shout(text, hyphens=False, **kwargs):\n    return wrap(text, **kwargs)\n"),
        "use.py": "from wrap import wrap, shout\n\nwrap('a', hyphens=False)\nshout('a', hyphens=True)\n",
    })
    files = renamed(ws, "wrap.py", "hyphens=True", "break_on_hyphens")
    assert "wrap('a', break_on_hyphens=False)" in files["use.py"]
    assert "shout('a', hyphens=True)" in files["use.py"]  # shout has its own hyphens: not forwarded
    assert "def shout(text, hyphens=False, **kwargs):" in files["wrap.py"]


def test_an_init_parameter_rename_reaches_module_qualified_class_calls(tmp_path: Path) -> None:
    ws = write(tmp_path, {
        "matcher.py": "class Matcher:\n    def __init__(self, isjunk=None):\n        self.isjunk = isjunk\n\n\n"
                      "def isjunk(x):\n    return False\n",
        "test_matcher.py": "import matcher\n\nm = matcher.Matcher(isjunk=None)\nj = matcher.isjunk(x=1)\n",
    })
    files = renamed(ws, "matcher.py", "isjunk=None", "is_junk")
    assert "m = matcher.Matcher(is_junk=None)\nj = matcher.isjunk(x=1)\n" in files["test_matcher.py"]


def test_a_parameter_rename_warns_where_its_class_is_used_as_a_value(tmp_path: Path) -> None:
    source = ("class Help:\n    def __init__(self, option_strings):\n        self.o = option_strings\n\n\n"
              "REGISTRY = {'help': Help}\nhelper = Help(option_strings=[])\n")
    ws = write(tmp_path, {"m.py": source})
    result = rename(ws, "m.py", *at(source, "option_strings"), "options")
    assert "Help(options=[])" in result.files[0].new_text
    assert result.warnings == ["Help is used as a value at m.py:6: calls through it that pass "
                               "'option_strings' by keyword are not updated"]


def test_an_init_parameter_rename_reaches_calls_of_subclasses_that_inherit_it(tmp_path: Path) -> None:
    ws = write(tmp_path, {
        "parser.py": "class Parser:\n    def __init__(self, add_help=True):\n        self.add_help = add_help\n",
        "test_parser.py": ("import parser\n\n\nclass Quiet(parser.Parser):\n    pass\n\n\nclass Own(Quiet):\n"
                           "    def __init__(self, add_help=1):\n        super().__init__()\n\n\n"
                           "a, b = Quiet(add_help=False), Own(add_help=False)\n"),
    })
    files = renamed(ws, "parser.py", "add_help=True", "with_help")
    assert "a, b = Quiet(with_help=False), Own(add_help=False)\n" in files["test_parser.py"]


def test_a_parameter_rename_warns_about_calls_that_unpack_a_mapping(tmp_path: Path) -> None:
    source = ("def make(name, add_help=True):\n    return name\n\n\n"
              "def forward(**kwargs):\n    return make('a', **kwargs)\n\n\n"
              "OPTIONS = {'add_help': False}\nmade = make('b', **OPTIONS)\n")
    ws = write(tmp_path, {"m.py": source})
    result = rename(ws, "m.py", *at(source, "add_help"), "with_help")
    assert result.warnings == ["m.py:10: make(...) is called with **mapping; an 'add_help' key in it is not renamed",
                               "m.py:9: the string 'add_help' mentions 'add_help'; left unchanged"]
