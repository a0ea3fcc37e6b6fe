"""The agent's tools through the registry, as the agent loop calls them: JSON arguments
in, observations out. Real workspaces in tmp_path, a real index (tree-sitter, LanceDB,
the packaged embedder) over the sample workspace, real pytest and ruff subprocesses."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from specpilot.agents.tools import Observation, Tool, ToolArgs, ToolContext, ToolRegistry, default_registry
from specpilot.agents.tools.code import MAX_READ_LINES
from specpilot.agents.tools.run import linter_argv
from specpilot.core.config import Settings
from tests.fixtures import copy_workspace, write_files

SAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sample_workspace"
REGISTRY = default_registry()

GEOMETRY = """\
import math


def area(radius):
    return math.pi * radius ** 2


def describe(radius):
    size = area(radius)
    return f"a circle of area {size:.2f}"
"""
REPORT = """\
from geometry import area


def table(radii):
    return [area(r) for r in radii]
"""


def call(ctx: ToolContext, tool: str, /, **arguments: Any) -> Observation:
    return REGISTRY.call(ctx, tool, json.dumps(arguments))


def workspace(root: Path, files: dict[str, str], settings: Settings | None = None) -> ToolContext:
    return ToolContext.create(write_files(root, files), settings)


@pytest.fixture
def ctx(tmp_path: Path) -> ToolContext:
    root = tmp_path / "ws"
    root.mkdir()
    return workspace(root, {"geometry.py": GEOMETRY, "report.py": REPORT})


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# -- the schema the model sees -----------------------------------------------------------------

def test_every_tool_is_offered_with_a_schema_of_its_arguments() -> None:
    specs = {spec.name: spec for spec in REGISTRY.specs()}
    assert set(specs) == {"search_code", "read_file", "list_symbols", "find_references", "graph_neighbours",
                          "apply_ast_edit", "propose_patch", "run_tests", "run_lint", "read_spec", "update_spec"}
    for spec in specs.values():
        assert spec.parameters["type"] == "object" and len(spec.description) > 40
        assert spec.parameters["additionalProperties"] is False
    required = {name: set(spec.parameters.get("required", [])) for name, spec in specs.items()}
    assert required == {"search_code": {"query"}, "read_file": {"path"}, "list_symbols": {"path"},
                        "find_references": {"path", "line", "column"}, "graph_neighbours": {"symbol"},
                        "apply_ast_edit": {"document"}, "propose_patch": {"diff"}, "run_tests": set(),
                        "run_lint": set(), "read_spec": set(), "update_spec": {"name", "document", "content"}}
    read = specs["read_file"].parameters["properties"]
    assert read["path"]["type"] == "string" and read["start_line"] == {
        "default": 1, "description": "1-based line number", "minimum": 1, "type": "integer"}
    assert specs["search_code"].parameters["properties"]["mode"]["enum"] == [
        "auto", "hybrid", "rerank", "bm25", "vector"]
    assert specs["run_tests"].parameters["properties"]["paths"]["items"]["type"] == "string"
    assert specs["graph_neighbours"].parameters["properties"]["relation"]["enum"] == [
        "neighbours", "callers", "callees", "definitions"]
    assert set(specs["update_spec"].parameters["properties"]["document"]["enum"]) == {
        "requirements", "design", "tasks", "build_log", "review"}
    edit = specs["apply_ast_edit"].parameters
    assert "rename_symbol" in json.dumps(edit["$defs"]) and "title" not in edit


# -- calls the model gets wrong -----------------------------------------------------------------

@pytest.mark.parametrize(("name", "arguments", "expected"), [
    ("read_file", '{"path": "geometry.py",', "not valid JSON"),
    ("read_file", '["geometry.py"]', "must be a JSON object"),
    ("read_file", '{"start_line": 2}', "path: required but missing"),
    ("read_file", '{"path": "geometry.py", "start_line": "two"}', "start_line: Input should be a valid integer"),
    ("read_file", '{"path": "geometry.py", "start_line": 0}', "start_line: Input should be greater than or equal to 1"),
    ("read_file", '{"path": "geometry.py", "end_lines": 3}', "end_lines: is not an argument of this tool"),
    ("find_references", '{"path": "geometry.py", "line": 4}', "column: required but missing"),
    ("search_code", '{"query": "x", "mode": "fuzzy"}',
     "mode: Input should be 'auto', 'hybrid', 'rerank', 'bm25' or 'vector'"),
    ("open_file", '{"path": "geometry.py"}', "there is no tool named 'open_file'; the tools are: search_code"),
])
def test_bad_calls_come_back_as_failed_observations_that_say_what_to_fix(
        ctx: ToolContext, name: str, arguments: str, expected: str) -> None:
    observation = REGISTRY.call(ctx, name, arguments)
    assert observation.ok is False
    assert expected in observation.content
    assert observation.tool == name


def test_a_tool_that_crashes_gives_an_observation_not_an_exception(ctx: ToolContext) -> None:
    class Broken(Tool[ToolArgs]):
        name = "broken"
        description = "always fails"
        args_model = ToolArgs

        def run(self, ctx: ToolContext, args: ToolArgs) -> Observation:
            raise KeyError("missing")

    observation = ToolRegistry([Broken()]).call(ctx, "broken", "")
    assert not observation.ok and "internal error (KeyError: 'missing')" in observation.content


# -- reading ------------------------------------------------------------------------------------

def test_read_file_numbers_the_lines_of_the_range_asked_for(ctx: ToolContext) -> None:
    observation = call(ctx, "read_file", path="geometry.py", start_line=4, end_line=5)
    assert observation.ok
    assert observation.content == ("geometry.py lines 4-5 of 10\n"
                                   "4| def area(radius):\n"
                                   "5|     return math.pi * radius ** 2")


def test_read_file_shows_the_open_buffer_rather_than_the_disk(ctx: ToolContext) -> None:
    ctx.buffers["geometry.py"] = ("def area(r):\n    return 0  # unsaved\n", 7)
    observation = call(ctx, "read_file", path="./geometry.py")
    assert "return 0  # unsaved" in observation.content and "unsaved editor text" in observation.content
    assert "math.pi" not in observation.content


def test_read_file_reads_a_long_file_a_page_at_a_time(ctx: ToolContext) -> None:
    (ctx.root / "long.py").write_text("".join(f"x{n} = {n}\n" for n in range(1, 1001)))
    first = call(ctx, "read_file", path="long.py")
    assert f"lines 1-{MAX_READ_LINES} of 1000" in first.content
    assert f"read on with start_line={MAX_READ_LINES + 1}" in first.content
    assert f"x{MAX_READ_LINES + 1} =" not in first.content
    last = call(ctx, "read_file", path="long.py", start_line=990)
    assert last.content.splitlines()[-1] == "1000| x1000 = 1000"
    past = call(ctx, "read_file", path="long.py", start_line=1001)
    assert not past.ok and "has 1000 lines" in past.content


def test_long_output_is_cut_and_says_how_much(tmp_path: Path) -> None:
    settings = Settings()
    settings.agent.max_output_chars = 500
    ctx = workspace(tmp_path, {"long.py": "".join(f"value_{n} = {n}\n" for n in range(300))}, settings)
    observation = call(ctx, "read_file", path="long.py", end_line=300)
    full = call(ToolContext.create(tmp_path), "read_file", path="long.py", end_line=300).content
    kept, note = observation.content.rsplit("\n", 1)
    assert full.startswith(kept) and len(kept) <= 500
    assert note.startswith(f"[... {len(full) - len(kept):,} of {len(full):,} characters cut")


@pytest.mark.parametrize("path", ["../outside.py", "{root}/../outside.py", "/etc/passwd", "etc_link/passwd",
                                  "outside_link.py"])
def test_read_file_refuses_paths_that_lead_out_of_the_workspace(ctx: ToolContext, path: str) -> None:
    (ctx.root.parent / "outside.py").write_text("SECRET = 1\n")
    (ctx.root / "outside_link.py").symlink_to(ctx.root.parent / "outside.py")
    (ctx.root / "etc_link").symlink_to("/etc")
    observation = call(ctx, "read_file", path=path.format(root=ctx.root))
    assert not observation.ok
    assert observation.content.startswith("refused:") and "outside the workspace" in observation.content
    assert "SECRET" not in observation.content and "root:" not in observation.content


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "logo.png is a binary file"),
    ("latin1.py", "name = 'caf\xe9'\n".encode("latin-1"), "latin1.py is not UTF-8 text"),
    ("huge.py", b"x = 1\n" * 400_000, "huge.py is too large to read (2,400,000 bytes; the limit is 1,000,000)"),
    (".env", b"OPENAI_API_KEY=sk-test\n", "usually holds secrets"),
])
def test_read_file_refuses_files_it_cannot_show_and_says_why(ctx: ToolContext, name: str, data: bytes,
                                                            expected: str) -> None:
    (ctx.root / name).write_bytes(data)
    observation = call(ctx, "read_file", path=name)
    assert not observation.ok and expected in observation.content
    assert "sk-test" not in observation.content


def test_read_file_on_a_missing_file_or_a_folder(ctx: ToolContext) -> None:
    assert call(ctx, "read_file", path="nope.py").content == "nope.py does not exist"
    (ctx.root / "pkg").mkdir()
    (ctx.root / "pkg" / "a.py").write_text("")
    folder = call(ctx, "read_file", path="pkg")
    assert not folder.ok and folder.content == "pkg is a directory, not a file; its entries: a.py"


def test_list_symbols_outlines_the_file(ctx: ToolContext) -> None:
    (ctx.root / "shapes.py").write_text("class Circle:\n    def area(self):\n        return 1\n\n\n"
                                        "def unit():\n    return Circle()\n")
    observation = call(ctx, "list_symbols", path="shapes.py")
    assert observation.ok
    assert observation.content.splitlines() == ["shapes.py:",
                                                "  class Circle  lines 1-3  class Circle",
                                                "    method Circle.area  lines 2-3  def area(self)",
                                                "  function unit  lines 6-7  def unit()"]


def test_find_references_lists_every_use_with_its_line(ctx: ToolContext) -> None:
    observation = call(ctx, "find_references", path="report.py", line=5, column=14)  # inside area(r)
    assert observation.ok
    assert observation.content.splitlines() == [
        "4 references in 2 files:",
        "geometry.py:4:5  def area(radius):",
        "geometry.py:9:12  size = area(radius)",
        "report.py:1:22  from geometry import area",
        "report.py:5:13  return [area(r) for r in radii]",
        "warning: geometry.py:10: the string f\"a circle of area {size:.2f}\" mentions 'area'; left unchanged",
    ]
    off_name = call(ctx, "find_references", path="geometry.py", line=2, column=1)
    assert not off_name.ok and "there is no name at geometry.py:2:1" in off_name.content


def test_tools_that_do_not_search_never_open_the_index(ctx: ToolContext) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("read_file", {"path": "geometry.py"}), ("list_symbols", {"path": "geometry.py"}),
        ("find_references", {"path": "geometry.py", "line": 4, "column": 5})]
    for name, arguments in calls:
        assert call(ctx, name, **arguments).ok
    assert ctx.loaded_index is None
    assert not (ctx.root / ".specpilot").exists()


# -- the index ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolContext]:
    from specpilot.index.embedder import create_embedder
    from specpilot.index.engine import WorkspaceIndex

    root = tmp_path_factory.mktemp("indexed") / "ws"
    copy_workspace(SAMPLE, root)
    settings = Settings()
    index = WorkspaceIndex(root, settings, embedder=create_embedder())
    index.update()
    yield ToolContext.create(root, settings, index=index)
    index.close()


def test_search_code_finds_code_by_meaning_with_its_location(indexed: ToolContext) -> None:
    observation = call(indexed, "search_code", query="parse the http header", k=3)
    assert observation.ok
    first = observation.content.splitlines()[0]
    assert first == "1. httpkit/headers.py:32-49  parse_headers (function)"
    assert "def parse_headers(lines: list[bytes]) -> HeaderMap:" in observation.content
    assert len(observation.data) == 3


def test_search_code_filters_by_path_and_says_when_nothing_matches(indexed: ToolContext) -> None:
    observation = call(indexed, "search_code", query="cache", path_glob="httpkit/**", mode="bm25")
    assert all(hit.path.startswith("httpkit/") for hit in observation.data)
    nothing = call(indexed, "search_code", query="LRUCache", path_glob="web/**", mode="bm25")
    assert nothing.ok and nothing.content == "no code matches 'LRUCache' under web/**"


def test_graph_neighbours_answers_callers_callees_and_definitions(indexed: ToolContext) -> None:
    callers = call(indexed, "graph_neighbours", symbol="parse_cookie", relation="callers")
    assert callers.content.splitlines()[1:] == ["httpkit/cookies.py:19  cookies_from"]
    callees = call(indexed, "graph_neighbours", symbol="cookies_from", relation="callees")
    assert "parse_cookie" in callees.content and "get_all" in callees.content
    definitions = call(indexed, "graph_neighbours", symbol="HeaderMap.get_all", relation="definitions")
    assert definitions.content.splitlines()[1:] == ["httpkit/headers.py:24  HeaderMap.get_all"]
    unknown = call(indexed, "graph_neighbours", symbol="no_such_function")
    assert unknown.ok and unknown.content == "no neighbours found for no_such_function"


def test_search_opens_and_updates_the_index_on_first_use(tmp_path: Path) -> None:
    settings = Settings()
    settings.embedder.enabled = False  # full text only: no model to load
    ctx = workspace(tmp_path, {"geometry.py": GEOMETRY}, settings)
    assert ctx.loaded_index is None
    observation = call(ctx, "search_code", query="describe", mode="bm25")
    assert observation.content.splitlines()[0] == "1. geometry.py:8-10  describe (function)"
    assert ctx.loaded_index is not None
    ctx.loaded_index.close()


# -- proposing edits ----------------------------------------------------------------------------

def test_apply_ast_edit_returns_the_diff_and_writes_nothing(ctx: ToolContext) -> None:
    before = snapshot(ctx.root)
    document = {"file_path": "geometry.py",
                "actions": [{"type": "rename_symbol", "symbol": "area", "new_name": "circle_area"}]}
    observation = call(ctx, "apply_ast_edit", document=document)
    assert observation.ok and observation.proposed_edit is not None
    assert "-def area(radius):\n+def circle_area(radius):" in observation.content
    assert "+from geometry import circle_area" in observation.content
    assert {f.path for f in observation.proposed_edit.files} == {"geometry.py", "report.py"}
    assert "def circle_area(radius):" in observation.proposed_edit.file("geometry.py").new_text  # type: ignore[union-attr]
    assert snapshot(ctx.root) == before


def test_apply_ast_edit_accepts_the_document_as_json_text_and_reports_a_failing_action(ctx: ToolContext) -> None:
    text = json.dumps({"file_path": "geometry.py", "actions": [
        {"type": "add_import", "module": "functools", "name": "cache"},
        {"type": "add_decorator", "symbol": "nowhere", "decorator": "cache"}]})
    observation = call(ctx, "apply_ast_edit", document=text)
    assert not observation.ok and observation.proposed_edit is None
    assert "action 2 (add_decorator) failed, nothing was changed" in observation.content


def test_apply_ast_edit_refuses_a_file_outside_the_workspace(ctx: ToolContext) -> None:
    (ctx.root.parent / "outside.py").write_text("def f():\n    pass\n")
    document = {"file_path": "../outside.py", "actions": [{"type": "set_docstring", "docstring": "x"}]}
    observation = call(ctx, "apply_ast_edit", document=document)
    assert not observation.ok and "outside the workspace" in observation.content


PATCH = """\
--- a/geometry.py
+++ b/geometry.py
@@ -8,3 +8,4 @@ def describe(radius):
 def describe(radius):
     size = area(radius)
-    return f"a circle of area {size:.2f}"
+    unit = "cm²"
+    return f"a circle of area {size:.2f} {unit}"
--- /dev/null
+++ b/docs/notes.md
@@ -0,0 +1,2 @@
+# Notes
+Areas are in cm².
"""


def test_propose_patch_checks_the_diff_and_returns_the_edit_without_writing(ctx: ToolContext) -> None:
    before = snapshot(ctx.root)
    observation = call(ctx, "propose_patch", diff=PATCH)
    assert observation.ok, observation.content
    edit = observation.proposed_edit
    assert edit is not None and [f.path for f in edit.files] == ["geometry.py", "docs/notes.md"]
    assert edit.files[0].new_text == GEOMETRY.replace(
        '    return f"a circle of area {size:.2f}"\n',
        '    unit = "cm²"\n    return f"a circle of area {size:.2f} {unit}"\n')
    assert edit.files[0].edits[0].start == (9, 0)  # only the changed line is replaced
    assert (edit.files[1].old_text, edit.files[1].new_text) == ("", "# Notes\nAreas are in cm².\n")
    assert snapshot(ctx.root) == before


def test_propose_patch_finds_a_hunk_whose_line_number_is_off(ctx: ToolContext) -> None:
    observation = call(ctx, "propose_patch", diff=PATCH.replace("@@ -8,3 +8,4 @@", "@@ -2,3 +2,4 @@"))
    assert observation.ok and observation.proposed_edit is not None
    assert 'unit = "cm²"' in observation.proposed_edit.files[0].new_text


def test_propose_patch_applies_to_the_open_buffer(ctx: ToolContext) -> None:
    buffer = GEOMETRY.replace("{size:.2f}", "{size:.3f}")
    ctx.buffers["geometry.py"] = (buffer, 12)
    stale = call(ctx, "propose_patch", diff=PATCH)
    assert not stale.ok
    assert "hunk 1 (@@ -8,3 +8,4 @@ def describe(radius):) of geometry.py does not apply: line 10 should be " \
           "'    return f\"a circle of area {size:.2f}\"' but is '    return f\"a circle of area {size:.3f}\"'" \
           in stale.content
    fresh = call(ctx, "propose_patch", diff=PATCH.replace(".2f}\"\n+", ".3f}\"\n+"))
    assert fresh.ok and fresh.proposed_edit is not None and fresh.proposed_edit.files[0].version == 12


def test_propose_patch_says_when_only_whitespace_differs(ctx: ToolContext) -> None:
    observation = call(ctx, "propose_patch", diff=PATCH.replace("     size = area", "  size = area"))
    assert not observation.ok
    assert "its lines match at line 8 only if whitespace is ignored (check the indentation)" in observation.content


@pytest.mark.parametrize(("target", "expected"), [
    ("../outside.py", "outside the workspace"),
    ("/etc/passwd", "outside the workspace"),
    ("etc_link/hosts", "outside the workspace"),
    (".git/config", "inside .git/"),
])
def test_propose_patch_refuses_paths_outside_the_workspace(ctx: ToolContext, target: str, expected: str) -> None:
    (ctx.root / "etc_link").symlink_to("/etc")
    diff = f"--- /dev/null\n+++ {target}\n@@ -0,0 +1 @@\n+owned = True\n"
    observation = call(ctx, "propose_patch", diff=diff)
    assert not observation.ok and observation.content.startswith("refused:") and expected in observation.content
    assert observation.proposed_edit is None


def test_propose_patch_refuses_what_it_cannot_express(ctx: ToolContext) -> None:
    not_a_diff = call(ctx, "propose_patch", diff="please change area to use tau")
    assert not not_a_diff.ok and "no file headers found" in not_a_diff.content
    partial = call(ctx, "propose_patch", diff="--- a/report.py\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-from geometry "
                                               "import area\n")
    assert not partial.ok and "the hunks leave 4 line(s) of it" in partial.content
    exists = call(ctx, "propose_patch", diff="--- /dev/null\n+++ b/report.py\n@@ -0,0 +1 @@\n+x = 1\n")
    assert not exists.ok and "report.py already exists" in exists.content


# -- running checks -----------------------------------------------------------------------------

TESTS = """\
import time

from geometry import area


def test_unit_circle():
    assert round(area(1), 2) == 3.14


def test_diameter_is_not_radius():
    assert area(2) == 3.14


def test_hangs():
    time.sleep(60)
"""


def test_run_tests_reports_the_summary_and_the_failures_first(ctx: ToolContext) -> None:
    (ctx.root / "test_geometry.py").write_text(TESTS)
    observation = call(ctx, "run_tests", paths=["test_geometry.py"], keyword="not hangs")
    assert not observation.ok
    lines = observation.content.splitlines()
    assert lines[0].startswith("pytest: 1 failed, 1 passed, 1 deselected in ") and lines[0].endswith("(exit code 1)")
    assert lines[1].startswith("FAILED test_geometry.py::test_diameter_is_not_radius - assert")
    assert observation.data["failures"] == [lines[1]]
    passing = call(ctx, "run_tests", paths=["test_geometry.py::test_unit_circle"])
    assert passing.ok and passing.content.startswith("pytest: 1 passed in ")


def test_run_tests_stops_a_test_that_hangs(tmp_path: Path) -> None:
    settings = Settings()
    settings.agent.test_timeout_s = 8
    ctx = workspace(tmp_path, {"geometry.py": GEOMETRY, "test_geometry.py": TESTS}, settings)
    observation = call(ctx, "run_tests", paths=["test_geometry.py"], keyword="hangs")
    assert not observation.ok and observation.data["timed_out"]
    assert observation.content.startswith("pytest did not finish within 8s and was stopped; it was running "
                                          "test_geometry.py::test_hangs, waiting at test_geometry.py:15 in "
                                          "test_hangs.")
    assert "_pytest/runner.py" not in observation.content  # pytest's own frames are left out
    assert observation.data["seconds"] < 30


def test_run_tests_refuses_paths_outside_the_workspace_and_missing_ones(ctx: ToolContext) -> None:
    outside = call(ctx, "run_tests", paths=["../"])
    assert not outside.ok and "outside the workspace" in outside.content
    missing = call(ctx, "run_tests", paths=["tests/test_nothing.py"])
    assert not missing.ok and missing.content == "tests/test_nothing.py does not exist"


def test_run_tests_sees_unsaved_text_but_never_runs_proposed_edits(ctx: ToolContext) -> None:
    (ctx.root / "test_geometry.py").write_text(TESTS)
    before = snapshot(ctx.root)
    ctx.accepted["geometry.py"] = ctx.buffers["geometry.py"] = (GEOMETRY.replace("math.pi", "3"), 3)  # the user's
    observation = call(ctx, "run_tests", paths=["test_geometry.py::test_unit_circle"])
    assert not observation.ok and "1 failed" in observation.content  # area(1) is 3 in the buffer
    assert "ran on a copy of the workspace with the unsaved text of 1 file(s): geometry.py" in observation.content
    assert snapshot(ctx.root) == before
    del ctx.accepted["geometry.py"]  # now the same text is a proposal the model made: it is not run
    observation = call(ctx, "run_tests", paths=["test_geometry.py::test_unit_circle"])
    assert observation.ok and "1 proposed file(s) were NOT run" in observation.content
    assert "geometry.py" in observation.content.split("NOT run", 1)[1]


@pytest.mark.skipif(linter_argv() is None or linter_argv()[0] != "ruff", reason="ruff is a test dependency")  # type: ignore[index]
def test_run_lint_reports_problems_with_their_location(ctx: ToolContext) -> None:
    (ctx.root / "messy.py").write_text("import os\n\n\ndef f():\n    return undefined_name\n")
    before = snapshot(ctx.root)
    observation = call(ctx, "run_lint", paths=["messy.py"])
    assert not observation.ok and observation.content.startswith("ruff: problems found")
    assert "messy.py:1:8: F401" in observation.content and "messy.py:5:12: F821" in observation.content
    assert snapshot(ctx.root) == before  # a check never fixes
    clean = call(ctx, "run_lint", paths=["geometry.py"])
    assert clean.ok and clean.content.startswith("ruff: no problems found")


def test_without_a_linter_on_the_search_path_none_is_found(tmp_path: Path) -> None:
    assert linter_argv(search_path=str(tmp_path)) is None
    (tmp_path / "ruff").write_text("#!/bin/sh\n")
    os.chmod(tmp_path / "ruff", 0o755)
    found = linter_argv(search_path=str(tmp_path))
    assert found is not None and found[1][:2] == [str(tmp_path / "ruff"), "check"]


# -- specs --------------------------------------------------------------------------------------

def make_spec(root: Path, folder: str, documents: dict[str, str], mtime: float) -> None:
    spec = root / ".specpilot" / "specs" / folder
    spec.mkdir(parents=True)
    for name, text in documents.items():
        (spec / f"{name}.md").write_text(text)
        os.utime(spec / f"{name}.md", (mtime, mtime))


def test_read_spec_reads_the_latest_spec_or_the_one_named(ctx: ToolContext) -> None:
    assert call(ctx, "read_spec").content == "there are no specs yet in .specpilot/specs; create one first"
    make_spec(ctx.root, "001-login", {"requirements": "# Login\nR1 ...\n", "design": "# Design\n"}, 1_000_000)
    make_spec(ctx.root, "002-rate-limit", {"requirements": "# Rate limit\nR1 ...\n"}, 2_000_000)
    latest = call(ctx, "read_spec")
    assert latest.ok and latest.content == ".specpilot/specs/002-rate-limit/requirements.md:\n# Rate limit\nR1 ...\n"
    for name in ("001-login", "login", "1", "001"):
        assert "# Design" in call(ctx, "read_spec", name=name, document="design").content
    missing = call(ctx, "read_spec", name="rate-limit", document="tasks")
    assert not missing.ok and "tasks.md does not exist yet; this spec has: requirements" in missing.content
    unknown = call(ctx, "read_spec", name="billing")
    assert not unknown.ok and "the specs are: 001-login, 002-rate-limit" in unknown.content


def test_update_spec_proposes_the_document_and_writes_nothing(ctx: ToolContext) -> None:
    make_spec(ctx.root, "001-login", {"requirements": "# Login\nR1 old\n"}, 1_000_000)
    before = snapshot(ctx.root)
    replace = call(ctx, "update_spec", name="login", document="requirements", content="# Login\nR1 new")
    assert replace.ok and replace.proposed_edit is not None
    (edit,) = replace.proposed_edit.files
    assert (edit.path, edit.old_text, edit.new_text) == (".specpilot/specs/001-login/requirements.md",
                                                         "# Login\nR1 old\n", "# Login\nR1 new\n")
    assert "-R1 old\n+R1 new" in replace.content
    create = call(ctx, "update_spec", name="Password Reset", document="design", content="# Design\n")
    assert create.ok and create.proposed_edit is not None
    assert [f.path for f in create.proposed_edit.files] == [".specpilot/specs/002-password-reset/design.md"]
    assert snapshot(ctx.root) == before
