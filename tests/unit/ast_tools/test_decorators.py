"""Adding and removing decorators on real files with libcst: exact text, and every refusal."""

from pathlib import Path

import pytest

from specpilot.ast_tools.decorators import add_decorator, remove_decorator
from specpilot.ast_tools.edits import FileEdit, Refusal
from specpilot.ast_tools.workspace import Workspace
from tests.unit.ast_tools.test_rename import at, write

MOD = """\
import functools


class Cache:
    # the store
    @property  # read-only
    def size(self):
        return 1

    @functools.lru_cache(maxsize=None)
    @staticmethod
    def get(key):
        return key


def plain(x):   # odd   spacing kept
    return x
"""


def new_text(files: list[FileEdit], path: str = "m.py") -> str:
    [edit] = files
    assert edit.path == path
    return edit.new_text


def test_a_decorator_becomes_the_outermost_by_default(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    out = new_text(add_decorator(ws, "m.py", "Cache.get", "@functools.wraps(f)").files)
    assert out == MOD.replace("    @functools.lru_cache", "    @functools.wraps(f)\n    @functools.lru_cache")


def test_innermost_goes_right_above_the_def(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    out = new_text(add_decorator(ws, "m.py", "Cache.size", "cached", innermost=True).files)
    assert out == MOD.replace("    def size", "    @cached\n    def size")
    assert "    @property  # read-only\n" in out


def test_an_undecorated_function_gets_its_first_decorator_below_its_comment(tmp_path: Path) -> None:
    text = "x = 1\n\n# helper\ndef plain(x):   # odd\n    return x\n"
    ws = write(tmp_path, {"m.py": text})
    out = new_text(add_decorator(ws, "m.py", "plain", "functools.lru_cache(maxsize=None)").files)
    assert out == "x = 1\n\n# helper\n@functools.lru_cache(maxsize=None)\ndef plain(x):   # odd\n    return x\n"


def test_a_target_can_be_a_position(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    out = new_text(add_decorator(ws, "m.py", at(MOD, "plain"), "staticmethod").files)
    assert out == MOD.replace("def plain", "@staticmethod\ndef plain")


def test_crlf_and_tab_indentation_are_kept(tmp_path: Path) -> None:
    text = "class A:\r\n\t@property\r\n\tdef f(self):\r\n\t\treturn 1\r\n"
    ws = write(tmp_path, {"m.py": text})
    out = new_text(add_decorator(ws, "m.py", "A.f", "abc.abstractmethod", innermost=True).files)
    assert out == "class A:\r\n\t@property\r\n\t@abc.abstractmethod\r\n\tdef f(self):\r\n\t\treturn 1\r\n"


def test_a_comment_between_decorators_and_def_stays_above_the_innermost_one(tmp_path: Path) -> None:
    text = "@a\n# about f\ndef f():\n    pass\n"
    ws = write(tmp_path, {"m.py": text})
    out = new_text(add_decorator(ws, "m.py", "f", "b", innermost=True).files)
    assert out == "@a\n# about f\n@b\ndef f():\n    pass\n"


def test_the_open_buffer_is_edited_and_its_version_carried(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "def f():\n    pass\n"})
    ws = Workspace(tmp_path, {"m.py": ("def g():\n    pass\n", 7)})
    [edit] = add_decorator(ws, "m.py", "g", "cache").files
    assert edit.version == 7 and edit.new_text == "@cache\ndef g():\n    pass\n"
    assert (tmp_path / "m.py").read_text() == "def f():\n    pass\n"  # nothing written


def test_edits_touch_only_the_new_line(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    [edit] = add_decorator(ws, "m.py", "plain", "cache").files
    assert [(e.start, e.end, e.new_text) for e in edit.edits] == [((15, 0), (15, 0), "@cache\n")]


@pytest.mark.parametrize("decorator", ["", "@", "not valid(", "a b", "x = 1", "f()\ndef g(): pass"])
def test_an_invalid_decorator_is_refused(tmp_path: Path, decorator: str) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    with pytest.raises(Refusal):
        add_decorator(ws, "m.py", "plain", decorator)


@pytest.mark.parametrize("decorator", ["property", "@ property", "functools.lru_cache( maxsize = None )"])
def test_a_decorator_already_there_is_refused(tmp_path: Path, decorator: str) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    target = "Cache.size" if "property" in decorator else "Cache.get"
    with pytest.raises(Refusal, match="already has @"):
        add_decorator(ws, "m.py", target, decorator)


def test_an_unknown_target_is_refused(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    with pytest.raises(Refusal, match="no function or class 'nope'"):
        add_decorator(ws, "m.py", "nope", "cache")


@pytest.mark.parametrize("decorator", ["functools.lru_cache(maxsize=None)", "@functools.lru_cache(maxsize = None)",
                                       "lru_cache", "functools.lru_cache"])
def test_a_decorator_is_removed_by_code_or_by_name(tmp_path: Path, decorator: str) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    out = new_text(remove_decorator(ws, "m.py", "Cache.get", decorator).files)
    assert out == MOD.replace("    @functools.lru_cache(maxsize=None)\n", "")


def test_removal_keeps_comments_of_other_decorators(tmp_path: Path) -> None:
    text = "@a  # keep a\n\n# about b\n@b  # gone\n# about c\n@c\ndef f():\n    pass\n"
    ws = write(tmp_path, {"m.py": text})
    out = new_text(remove_decorator(ws, "m.py", "f", "b").files)
    assert out == "@a  # keep a\n\n# about b\n# about c\n@c\ndef f():\n    pass\n"
    out = new_text(remove_decorator(write(tmp_path, {"m.py": text}), "m.py", "f", "c").files)
    assert out == "@a  # keep a\n\n# about b\n@b  # gone\n# about c\ndef f():\n    pass\n"


def test_removal_in_a_crlf_tab_file(tmp_path: Path) -> None:
    text = "class A:\r\n\t@property\r\n\t@abc.abstractmethod\r\n\tdef f(self):\r\n\t\treturn 1\r\n"
    ws = write(tmp_path, {"m.py": text})
    out = new_text(remove_decorator(ws, "m.py", "A.f", "property").files)
    assert out == "class A:\r\n\t@abc.abstractmethod\r\n\tdef f(self):\r\n\t\treturn 1\r\n"


def test_an_exact_match_wins_over_name_matches(tmp_path: Path) -> None:
    text = "@functools.lru_cache()\n@lru_cache\ndef f():\n    pass\n"
    ws = write(tmp_path, {"m.py": text})
    out = new_text(remove_decorator(ws, "m.py", "f", "lru_cache").files)
    assert out == "@functools.lru_cache()\ndef f():\n    pass\n"


def test_an_ambiguous_name_is_refused(tmp_path: Path) -> None:
    text = '@app.route("/a")\n@app.route("/b")\ndef f():\n    pass\n'
    ws = write(tmp_path, {"m.py": text})
    with pytest.raises(Refusal, match=r"more than one decorator of f \(lines 1, 2\)"):
        remove_decorator(ws, "m.py", "f", "app.route")
    out = new_text(remove_decorator(ws, "m.py", "f", 'app.route("/b")').files)
    assert out == '@app.route("/a")\ndef f():\n    pass\n'


def test_a_missing_decorator_is_refused_with_the_ones_present(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    with pytest.raises(Refusal, match=r"no decorator matching 'cache'; it has @functools.lru_cache\(maxsize=None\), "
                                      "@staticmethod"):
        remove_decorator(ws, "m.py", "Cache.get", "cache")
    with pytest.raises(Refusal, match="has no decorators"):
        remove_decorator(ws, "m.py", "plain", "cache")
    with pytest.raises(Refusal, match="lru_cach"):  # part of a name is not a name
        remove_decorator(ws, "m.py", "Cache.get", "lru_cach")
