"""Adding and removing imports on real files with libcst: exact text, valid code, every refusal."""

from pathlib import Path

import pytest

from specpilot.ast_tools.edits import EditResult, Refusal
from specpilot.ast_tools.imports import add_import, remove_unused_imports
from specpilot.ast_tools.workspace import Workspace
from tests.unit.ast_tools.test_rename import write

MOD = '''\
#!/usr/bin/env python
"""The module."""

from __future__ import annotations

import os  # the os
from typing import (
    Any,
    Optional,  # legacy
)
from collections import OrderedDict

x: Any = OrderedDict(os.environ)  # odd   spacing
'''


def added(tmp_path: Path, text: str, module: str, name: str | None = None, alias: str | None = None) -> str:
    ws = write(tmp_path, {"m.py": text})
    result = add_import(ws, "m.py", module, name, alias)
    [edit] = result.files
    assert edit.path == "m.py" and edit.version is None
    compile(edit.new_text, "m.py", "exec")
    return edit.new_text


def removed(tmp_path: Path, text: str, path: str = "m.py") -> EditResult:
    ws = write(tmp_path, {path: text})
    result = remove_unused_imports(ws, path)
    for edit in result.files:
        compile(edit.new_text, path, "exec")
    return result


# -- add_import ------------------------------------------------------------------------------
def test_a_name_joins_a_parenthesized_multi_line_list_on_its_own_line(tmp_path: Path) -> None:
    out = added(tmp_path, MOD, "typing", "cast")
    assert out == MOD.replace("    Optional,  # legacy\n", "    Optional,  # legacy\n    cast,\n")


def test_a_list_without_trailing_comma_keeps_that_style_and_the_comment(tmp_path: Path) -> None:
    text = "from typing import (\n    Any,\n    Optional  # legacy\n)\n"
    out = added(tmp_path, text, "typing", "cast", "c")
    assert out == "from typing import (\n    Any,\n    Optional,  # legacy\n    cast as c\n)\n"


def test_a_name_joins_a_single_line_list(tmp_path: Path) -> None:
    out = added(tmp_path, MOD, "collections", "deque")
    assert out == MOD.replace("from collections import OrderedDict\n", "from collections import OrderedDict, deque\n")
    assert added(tmp_path, "from m import (a, b,)\n", "m", "c") == "from m import (a, b, c,)\n"
    assert added(tmp_path, "from m import (a)\n", "m", "c") == "from m import (a, c)\n"
    assert added(tmp_path, "from m import a,b  # x\n", "m", "c") == "from m import a,b,c  # x\n"


def test_a_long_single_line_list_is_still_appended_to(tmp_path: Path) -> None:
    names = ", ".join(f"name_{i}" for i in range(15))
    out = added(tmp_path, f"from m import {names}\n", "m", "extra")
    assert out == f"from m import {names}, extra\n" and len(out) > 100


def test_a_new_statement_follows_the_first_block_of_imports(tmp_path: Path) -> None:
    out = added(tmp_path, MOD, "sys")
    assert out == MOD.replace("from collections import OrderedDict\n",
                              "from collections import OrderedDict\nimport sys\n")
    assert added(tmp_path, MOD, "os.path", alias="osp").count("import os.path as osp\n") == 1


def test_a_future_import_merges_or_goes_first_after_the_docstring(tmp_path: Path) -> None:
    out = added(tmp_path, MOD, "__future__", "division")
    assert out == MOD.replace("import annotations\n", "import annotations, division\n")
    text = '"""Doc."""\n\nimport os\n'
    out = added(tmp_path, text, "__future__", "annotations")
    assert out == '"""Doc."""\n\nfrom __future__ import annotations\n\nimport os\n'


def test_after_future_imports_when_they_are_the_only_imports(tmp_path: Path) -> None:
    text = '"""Doc."""\nfrom __future__ import annotations\n\nx = 1\n'
    out = added(tmp_path, text, "json")
    assert out == '"""Doc."""\nfrom __future__ import annotations\nimport json\n\nx = 1\n'


def test_without_imports_it_goes_after_the_docstring_and_leading_comments(tmp_path: Path) -> None:
    text = '# licence\n"""Doc."""\n# about x\nx = 1\n'
    assert added(tmp_path, text, "json") == '# licence\n"""Doc."""\n\nimport json\n\n# about x\nx = 1\n'
    text = "#!/usr/bin/env python\n# licence\n\nx = 1\n"
    assert added(tmp_path, text, "json") == "#!/usr/bin/env python\n# licence\n\nimport json\n\nx = 1\n"
    assert added(tmp_path, "", "json") == "import json\n"


def test_relative_modules_are_accepted(tmp_path: Path) -> None:
    text = "from . import sibling\nfrom ..pkg.mod import a\n"
    assert added(tmp_path, text, ".", "other") == "from . import sibling, other\nfrom ..pkg.mod import a\n"
    assert added(tmp_path, text, "..pkg.mod", "b") == "from . import sibling\nfrom ..pkg.mod import a, b\n"
    assert added(tmp_path, text, ".sub", "c") == text + "from .sub import c\n"


def test_star_and_nested_imports_are_not_merged_into(tmp_path: Path) -> None:
    text = "from m import *\ntry:\n    from m import a\nexcept ImportError:\n    a = None\n"
    out = added(tmp_path, text, "m", "b")
    assert out == "from m import *\nfrom m import b\n" + text[text.index("try"):]


def test_crlf_and_tabs_are_kept(tmp_path: Path) -> None:
    text = "from m import (\r\n\ta,\r\n)\r\nimport os\r\n\r\nif os:\r\n\tpass\r\n"
    assert added(tmp_path, text, "m", "b") == text.replace("\ta,\r\n", "\ta,\r\n\tb,\r\n")
    assert added(tmp_path, text, "sys") == text.replace("import os\r\n", "import os\r\nimport sys\r\n")


def test_the_open_buffer_is_used_and_its_version_carried(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "import sys\n"})
    ws = Workspace(tmp_path, {"m.py": ("import os\n", 7)})
    [edit] = add_import(ws, "m.py", "json").files
    assert edit.version == 7 and edit.new_text == "import os\nimport json\n"
    assert [(e.start, e.end, e.new_text) for e in edit.edits] == [((1, 0), (1, 0), "import json\n")]


@pytest.mark.parametrize(("module", "name", "alias"), [
    ("os", None, None), ("typing", "Any", None), ("typing", "Optional", None), ("os", "path", None),
    ("numpy", None, "np"), ("a.b", None, None)])
def test_what_is_already_imported_is_a_no_op_with_a_warning(
        tmp_path: Path, module: str, name: str | None, alias: str | None) -> None:
    text = MOD + "import numpy as np\nimport a.b\nfrom os import path\n"
    ws = write(tmp_path, {"m.py": text})
    result = add_import(ws, "m.py", module, name, alias)
    assert result.files == [] and len(result.warnings) == 1 and "already imported" in result.warnings[0]


def test_another_submodule_of_an_imported_package_is_added(tmp_path: Path) -> None:
    assert added(tmp_path, "import os\n", "os.path") == "import os\nimport os.path\n"


@pytest.mark.parametrize(("module", "name", "alias", "line"), [
    ("json", None, "x", 13), ("other", "Any", None, 7), ("sys", None, "os", 6), ("m", "f", None, 15)])
def test_a_local_name_bound_to_something_else_is_refused(
        tmp_path: Path, module: str, name: str | None, alias: str | None, line: int) -> None:
    ws = write(tmp_path, {"m.py": MOD + "\ndef f():\n    pass\n"})
    local = alias or name
    with pytest.raises(Refusal, match=rf"'{local}' is already defined in m.py \(line {line}\)"):
        add_import(ws, "m.py", module, name, alias)


@pytest.mark.parametrize(("module", "name", "alias"), [
    ("", None, None), ("os..path", None, None), ("class", None, None), (".sub", None, None),
    ("m", "*", None), ("m", "a-b", None), ("m", "a", "def"), ("1m", None, None)])
def test_invalid_names_are_refused(tmp_path: Path, module: str, name: str | None, alias: str | None) -> None:
    ws = write(tmp_path, {"m.py": MOD})
    with pytest.raises(Refusal):
        add_import(ws, "m.py", module, name, alias)


# -- remove_unused_imports ------------------------------------------------------------------
UNUSED = '''\
"""Doc."""
from __future__ import annotations

import os  # gone
import sys
import a.b
from typing import (
    TYPE_CHECKING,
    Any,  # unused
    # the rest
    Optional,
)
from m import x as x, y as y2, z

try:
    import ujson as json
except ImportError:
    import json

if TYPE_CHECKING:
    from collections import OrderedDict

__all__ = ["z"]


def f(v: "Optional[int]") -> None:
    print(sys.argv, a.b.c)
'''


def test_unused_names_go_and_everything_deliberate_stays(tmp_path: Path) -> None:
    result = removed(tmp_path, UNUSED)
    [edit] = result.files
    assert edit.new_text == UNUSED.replace("import os  # gone\n", "").replace(
        "    Any,  # unused\n", "").replace("x as x, y as y2, z", "x as x, z")
    assert result.warnings == ["removed unused import os (line 4)", "removed unused import Any from typing (line 9)",
                               "removed unused import y as y2 from m (line 13)"]


def test_a_package_used_through_another_attribute_counts_as_used(tmp_path: Path) -> None:
    assert removed(tmp_path, "import a.b\nimport q.r\nprint(a.b.c, q.x)\n").files == []


@pytest.mark.parametrize(("text", "expected"), [
    ("from m import (\n    a,  # keep\n    b,  # gone\n)\nfrom n import c, d\nprint(a, c)\n",
     "from m import (\n    a,  # keep\n)\nfrom n import c\nprint(a, c)\n"),
    ("from m import (\n    a,  # keep\n    b  # gone\n)\nprint(a)\n",
     "from m import (\n    a  # keep\n)\nprint(a)\n"),
    ("from m import (a, b)\nimport os, sys\nprint(a, sys)\n",
     "from m import (a)\nimport sys\nprint(a, sys)\n"),
])
def test_removing_the_last_name_fixes_commas_and_keeps_comments(tmp_path: Path, text: str, expected: str) -> None:
    [edit] = removed(tmp_path, text).files
    assert edit.new_text == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("from m import (\n    a,\n    # section\n    b,\n)\nprint(b)\n",
     "from m import (\n    # section\n    b,\n)\nprint(b)\n"),
    ("import os\n\n# third party\nimport requests  # http\n\n\ndef f():\n    return os\n",
     "import os\n\n# third party\n\n\ndef f():\n    return os\n"),
])
def test_comment_lines_of_a_removed_name_or_line_stay(tmp_path: Path, text: str, expected: str) -> None:
    [edit] = removed(tmp_path, text).files
    assert edit.new_text == expected


def test_a_removed_import_leaves_the_rest_of_its_line(tmp_path: Path) -> None:
    text = "import os; x = 1\ny = 2; import sys\n"
    [edit] = removed(tmp_path, text).files
    assert edit.new_text == "x = 1\ny = 2\n"


def test_crlf_and_the_buffer_version(tmp_path: Path) -> None:
    write(tmp_path, {"m.py": "x = 1\n"})
    text = "import os\r\nimport sys\r\n\r\nif sys:\r\n\tpass\r\n"
    result = remove_unused_imports(Workspace(tmp_path, {"m.py": (text, 7)}), "m.py")
    [edit] = result.files
    assert edit.version == 7 and edit.new_text == "import sys\r\n\r\nif sys:\r\n\tpass\r\n"


def test_nothing_unused_means_no_files(tmp_path: Path) -> None:
    result = removed(tmp_path, "import os\nfrom m import *\n__all__ = ['x']\nprint(os)\n")
    assert result.files == [] and result.warnings == []


def test_dunder_all_in_any_form_counts_as_used(tmp_path: Path) -> None:
    text = "from m import a, b, c\n__all__: list[str] = ['a']\n__all__ += ('b',)\n__all__.extend(['c'])\n"
    assert removed(tmp_path, text).files == []


def test_an_init_file_is_left_alone(tmp_path: Path) -> None:
    result = removed(tmp_path, "import os\n", "pkg/__init__.py")
    assert result.files == [] and "re-exports" in result.warnings[0]


def test_a_file_with_a_syntax_error_is_refused(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": "import os\ndef f(:\n"})
    with pytest.raises(Refusal, match="syntax error"):
        remove_unused_imports(ws, "m.py")
    with pytest.raises(Refusal, match="syntax error"):
        add_import(ws, "m.py", "sys")


def test_added_imports_run_and_bind_their_names(tmp_path: Path) -> None:
    import collections
    import os.path

    text = '"""Doc."""\nfrom collections import OrderedDict\n\nvalue = 1\n'
    for module, name, alias, local, expected in [
            ("collections", "deque", None, "deque", collections.deque),
            ("collections", "deque", "dq", "dq", collections.deque),
            ("os.path", None, None, "os", os),
            ("os.path", None, "osp", "osp", os.path)]:
        namespace: dict[str, object] = {}
        exec(added(tmp_path, text, module, name, alias), namespace)
        assert namespace[local] is expected and namespace["OrderedDict"] is collections.OrderedDict


def test_blank_lines_around_removed_lines_are_not_doubled_or_left_at_the_top(tmp_path: Path) -> None:
    [edit] = removed(tmp_path, "import os\n\nx = 1\n").files
    assert edit.new_text == "x = 1\n"
    [edit] = removed(tmp_path, "import os\nimport sys\n\n\ndef f():\n    return os\n").files
    assert edit.new_text == "import os\n\n\ndef f():\n    return os\n"
    assert [(e.start, e.end, e.new_text) for e in edit.edits] == [((1, 0), (2, 0), "")]
    [edit] = removed(tmp_path, "x = 1\n\n# last\nimport os\n").files
    assert edit.new_text == "x = 1\n\n# last\n"


def test_a_comment_after_the_last_kept_name_is_not_lost(tmp_path: Path) -> None:
    [edit] = removed(tmp_path, "from m import (\n    a,  # note\n    b)\nprint(a)\n").files
    assert edit.new_text == "from m import (\n    a,  # note\n)\nprint(a)\n"


def test_explicit_re_exports_stay(tmp_path: Path) -> None:
    assert removed(tmp_path, "import os as os\nfrom m import a as a\n").files == []
