"""The structured edit API: validation against the schema, every action type, order, abort."""

import json
from pathlib import Path

import pytest

from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.structured import SCHEMA_PATH, apply_document, schema_text
from specpilot.ast_tools.workspace import Workspace
from tests.unit.ast_tools.test_rename import write

SOURCE = """\
import os
import sys


class Cache:
    def get(self, key, default=None):
        value = self.data.get(key, default)
        return value


def total(items):
    count = 0
    for item in items:
        count += item
    doubled = count * 2
    return doubled
"""


def run(ws: Workspace, *actions: dict[str, object]) -> str:
    result = apply_document(ws, {"file_path": "m.py", "actions": list(actions)})
    assert [f.path for f in result.files] == ["m.py"]
    return result.files[0].new_text


def test_the_published_schema_is_the_one_the_models_generate() -> None:
    assert SCHEMA_PATH.read_text() == schema_text(), "run: python -c 'from specpilot.ast_tools.structured " \
        "import *; SCHEMA_PATH.write_text(schema_text())'"
    schema = json.loads(SCHEMA_PATH.read_text())
    kinds = {ref["$ref"].rsplit("/", 1)[1] for ref in schema["properties"]["actions"]["items"]["oneOf"]}
    assert kinds >= {"RenameVariable", "RenameSymbol", "ChangeFunctionSignature", "AddDecorator",
                     "RemoveDecorator", "ExtractFunction", "SetDocstring", "AddImport"}


def test_actions_apply_in_order_to_the_evolving_text(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": SOURCE})
    text = run(ws,
               {"type": "rename_symbol", "symbol": "Cache.get", "new_name": "lookup"},
               {"type": "rename_variable", "old_name": "value", "function": "Cache.lookup", "new_name": "found"},
               {"type": "change_function_signature", "symbol": "total", "add": [{"name": "start", "default": "0"}]},
               {"type": "add_import", "module": "functools", "name": "cache"},
               {"type": "add_decorator", "symbol": "total", "decorator": "cache"},
               {"type": "set_docstring", "symbol": "Cache", "docstring": "Values by key."},
               {"type": "remove_unused_imports"})
    assert "def lookup(self, key, default=None):" in text
    assert "found = self.data.get(key, default)\n        return found" in text
    assert "@cache\ndef total(items, start=0):" in text
    assert '    """Values by key."""' in text
    assert "import os" not in text and "import sys" not in text
    assert "from functools import cache" in text
    compile(text, "m.py", "exec")


def test_extract_function_by_lines_and_remove_decorator(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": "import functools\n\n\n@functools.cache\n" + SOURCE.split("\n\n\n", 2)[2]})
    text = run(ws, {"type": "extract_function", "start_line": 6, "end_line": 8, "new_name": "add_up"},
               {"type": "remove_decorator", "line": 4, "decorator": "cache"})
    assert "def total(items):\n    count = add_up(items)\n" in text
    assert "def add_up(items):" in text and "@functools.cache" not in text
    namespace: dict[str, object] = {}
    exec(compile(text, "m.py", "exec"), namespace)
    assert namespace["total"]([1, 2, 3]) == 12  # type: ignore[operator]


def test_the_result_carries_the_open_buffer_version(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "def f():\n    return 1\n"})
    ws = Workspace(tmp_path, {"m.py": (SOURCE, 12)})
    result = apply_document(ws, {"file_path": "m.py", "actions": [
        {"type": "rename_symbol", "line": 11, "new_name": "grand_total"},
        {"type": "set_docstring", "docstring": "Sums."}]})
    assert result.files[0].version == 12
    assert result.files[0].old_text == SOURCE
    assert result.files[0].new_text.startswith('"""Sums."""\n')


@pytest.mark.parametrize(("document", "message"), [
    ({"actions": [{"type": "remove_unused_imports"}]}, "file_path: Field required"),
    ({"file_path": "m.py", "actions": []}, "actions: List should have at least 1 item"),
    ({"file_path": "m.py", "actions": [{"type": "explode"}]}, "does not match any of the expected tags"),
    ({"file_path": "m.py", "actions": [{"type": "add_import", "module": "os", "colour": 1}]},
     "actions.0.add_import.colour: Extra inputs are not permitted"),
    ({"file_path": "m.py", "actions": [{"type": "rename_symbol", "symbol": "total", "new_name": "2x"}]},
     "actions.0.rename_symbol.new_name: String should match pattern"),
    ({"file_path": "m.py", "actions": [{"type": "extract_function", "start_line": 0, "end_line": 1,
                                        "new_name": "f"}]}, "greater than or equal to 1"),
    ('{"file_path": "m.py", "actions": [', "Invalid JSON"),
])
def test_documents_off_the_schema_are_refused_with_the_field(tmp_path: Path, document: object, message: str) -> None:
    ws = write(tmp_path, {"m.py": SOURCE})
    with pytest.raises(Refusal, match="does not match the schema") as caught:
        apply_document(ws, document)
    assert message in str(caught.value)


@pytest.mark.parametrize(("document", "message"), [
    ({"file_path": "m.py", "actions": [{"type": "rename_symbol", "symbol": "total", "new_name": "grand"},
                                       {"type": "rename_symbol", "symbol": "total", "new_name": "x"}]},
     r"action 2 \(rename_symbol\) failed, nothing was changed: m.py has no function or class 'total'"),
    ({"file_path": "m.py", "actions": [{"type": "rename_symbol", "new_name": "x"}]}, "give 'symbol'"),
    ({"file_path": "m.py", "actions": [{"type": "rename_variable", "new_name": "x"}]}, "give 'line' and 'column'"),
    ({"file_path": "m.py", "actions": [{"type": "rename_variable", "old_name": "nothing", "new_name": "x"}]},
     "'nothing' does not occur in m.py"),
    ({"file_path": "m.py", "actions": [{"type": "extract_function", "start_line": 30, "end_line": 40,
                                        "new_name": "f"}]}, "not a range of m.py"),
    ({"file_path": "notes.txt", "actions": [{"type": "remove_unused_imports"}]}, "not a Python file"),
    ({"file_path": "../elsewhere.py", "actions": [{"type": "remove_unused_imports"}]}, "outside the workspace"),
])
def test_a_failing_action_aborts_the_document_with_its_reason(tmp_path: Path, document: object,
                                                              message: str) -> None:
    ws = write(tmp_path / "ws", {"m.py": SOURCE, "notes.txt": "hi\n"})
    with pytest.raises(Refusal, match=message):
        apply_document(ws, document)
    assert (tmp_path / "ws" / "m.py").read_text() == SOURCE
