"""Citations found in a real workspace folder, and the traceability matrix built from them."""

from __future__ import annotations

from pathlib import Path

from specpilot.spec.documents import parse_requirements, parse_review, parse_tasks
from specpilot.spec.trace import (
    Citation,
    citations_in,
    find_citations,
    names_spec,
    render_matrix,
    traceability,
    unknown_citations,
)
from tests.fixtures import write_files

REQUIREMENTS = """\
# CSV export

## User stories
### R1 As an analyst, I want CSV export. <!-- clarity: 0.8 -->
- R1.1 THE SYSTEM SHALL write CSV. <!-- clarity: 0.9 -->
- R1.2 IF the file exists THE SYSTEM SHALL ask before overwriting it. <!-- clarity: 0.7 -->
- R1.3 THE SYSTEM SHALL quote commas. <!-- clarity: 0.7 -->

## SLAs
- S1 10,000 rows within 2 s. <!-- clarity: 0.9 -->
"""

TASKS = """\
# Tasks
- [ ] T1 Writer
  - _Requirements: R1.1, S1_
- [ ] T2 Overwrite
  - _Requirements: R1.2_
"""

EXPORT_PY = '''\
"""Report export."""
import csv


# Requirements: R1.1, S1
def write_csv(rows, path):
    with open(path, "w") as stream:
        csv.writer(stream).writerows(rows)


class Exporter:
    def ask(self, path):
        """Ask before overwriting.

        Requirements: R1.2
        """
        return input(f"overwrite {path}? ")

    def quote(self, value):
        return value  # Requirements: R9.9
'''

APP_TS = """\
export function save(path: string) {
  // Requirements: R1.2
  return confirm(path);
}
/*
 * Requirements: R1.1
 */
"""

TEST_EXPORT_PY = '''\
def test_r1_2_asks_before_overwriting():
    pass


def test_writes_rows():
    # Requirements: R1.1
    pass


def helper_r1_3():
    pass
'''


def workspace(root: Path) -> list[Citation]:
    write_files(root, {
        "report/export.py": EXPORT_PY,
        "web/app.ts": APP_TS,
        "tests/test_export.py": TEST_EXPORT_PY,
        "README.md": "Requirements: R1.3 is documented here, which is not code.\n",
        "node_modules/lib/index.js": "// Requirements: R1.3\n",
        ".venv/lib/site.py": "# Requirements: R1.3\n",
        "build/gen.py": "# Requirements: R1.3\n",
        ".gitignore": "build/\n",
        ".specpilot/specs/001-csv-export/notes.py": "# Requirements: R1.3\n",
    })
    return find_citations(root)


def test_finds_python_and_js_citations_with_their_enclosing_symbols(tmp_path: Path) -> None:
    found = {(c.path, c.line, c.ids, c.symbol, c.is_test, c.by_name) for c in workspace(tmp_path)}
    assert found == {
        ("report/export.py", 5, ("R1.1", "S1"), "write_csv", False, False),
        ("report/export.py", 15, ("R1.2",), "Exporter.ask", False, False),
        ("report/export.py", 20, ("R9.9",), "Exporter.quote", False, False),
        ("web/app.ts", 2, ("R1.2",), None, False, False),
        ("web/app.ts", 6, ("R1.1",), None, False, False),
        ("tests/test_export.py", 1, ("R1.2",), "test_r1_2_asks_before_overwriting", True, True),
        ("tests/test_export.py", 6, ("R1.1",), "test_writes_rows", True, False),
    }


def test_ignored_folders_and_non_code_files_are_skipped(tmp_path: Path) -> None:
    cited = {c.path for c in workspace(tmp_path)}
    assert all("R1.3" not in c.ids for c in workspace(tmp_path))
    assert cited == {"report/export.py", "web/app.ts", "tests/test_export.py"}


def test_test_files_are_recognised_by_folder_and_name(tmp_path: Path) -> None:
    write_files(tmp_path, {"pkg/test_io.py": "# Requirements: R1.1\n", "pkg/io_test.go": "// Requirements: R1.1\n",
                     "pkg/io.go": "// Requirements: R1.1\n", "web/app.test.ts": "// Requirements: R1.1\n"})
    assert {(c.path, c.is_test) for c in find_citations(tmp_path)} == {
        ("pkg/test_io.py", True), ("pkg/io_test.go", True), ("pkg/io.go", False), ("web/app.test.ts", True)}


def test_the_matrix_links_tasks_code_and_tests_with_statuses(tmp_path: Path) -> None:
    requirements, _ = parse_requirements(REQUIREMENTS)
    tasks, _ = parse_tasks(TASKS)
    rows = traceability(requirements, tasks, workspace(tmp_path))
    assert [(r.requirement, r.tasks, r.code, r.tests, r.status) for r in rows] == [
        ("R1.1", ["T1"], ["report/export.py:5 write_csv", "web/app.ts:6"], ["tests/test_export.py::test_writes_rows"],
         "ok"),
        ("R1.2", ["T2"], ["report/export.py:15 Exporter.ask", "web/app.ts:2"],
         ["tests/test_export.py::test_r1_2_asks_before_overwriting"], "ok"),
        ("R1.3", [], [], [], "no task"),
        ("S1", ["T1"], ["report/export.py:5 write_csv"], [], "no test"),
    ]


def test_a_requirement_with_a_task_and_a_test_but_no_code_says_so() -> None:
    requirements, _ = parse_requirements(REQUIREMENTS)
    tasks, _ = parse_tasks(TASKS)
    rows = traceability(requirements, tasks, [Citation("tests/test_x.py", 3, ("R1.2",), "test_x", True)])
    assert [(r.requirement, r.status) for r in rows if r.requirement == "R1.2"] == [("R1.2", "no code")]


def test_render_matrix_is_a_table_review_md_parses_back(tmp_path: Path) -> None:
    requirements, _ = parse_requirements(REQUIREMENTS)
    tasks, _ = parse_tasks(TASKS)
    rows = traceability(requirements, tasks, workspace(tmp_path))
    table = render_matrix(rows)
    assert table.splitlines()[:3] == [
        "| Requirement | Tasks | Code | Tests | Status |",
        "|---|---|---|---|---|",
        "| R1.1 | T1 | report/export.py:5 write_csv, web/app.ts:6 | tests/test_export.py::test_writes_rows | ok |",
    ]
    review, problems = parse_review(f"# Review\n\n## Traceability matrix\n\n{table}\n## Verdict\nok\n")
    assert problems == []
    assert review.matrix == rows


def test_unknown_citations_name_the_file_and_line(tmp_path: Path) -> None:
    requirements, _ = parse_requirements(REQUIREMENTS)
    unknown = unknown_citations(requirements, workspace(tmp_path))
    assert [str(u) for u in unknown] == ["report/export.py:20 cites R9.9, which is not in requirements.md"]


def test_a_citation_may_name_its_spec_by_folder_number_or_slug() -> None:
    [js] = citations_in("web/app.ts", "// Requirements: 002-json-export/R1.1, R2\n")
    [py] = citations_in("a.py", "def f():\n    # Requirements: json-export/S1, 2/R1.2, R3\n    return 1\n")
    assert (js.ids, js.specs) == (("R1.1", "R2"), ("002-json-export", ""))
    assert (py.ids, py.specs, py.symbol) == (("S1", "R1.2", "R3"), ("json-export", "2", ""), "f")
    assert py.ids_for("002-json-export") == ("S1", "R1.2", "R3") and py.ids_for("001-csv-export") == ("R3",)
    narrowed = py.for_spec("001-csv-export")
    assert narrowed is not None and narrowed.ids == ("R3",)
    assert js.for_spec("003-other") is not None and js.for_spec("003-other").ids == ("R2",)  # type: ignore[union-attr]
    assert names_spec("002", "002-json-export") and names_spec("2", "002-json-export")
    assert not names_spec("json", "002-json-export") and not names_spec("3", "002-json-export")


def test_unknown_citations_leave_other_specs_ids_to_them(tmp_path: Path) -> None:
    requirements, _ = parse_requirements(REQUIREMENTS)
    write_files(tmp_path, {
        "a.py": "# Requirements: R1.1, R5, 002-json-export/R6, 001-csv-export/R7, 002-json-export/R1.1\n"})
    found = find_citations(tmp_path)
    unknown = unknown_citations(requirements, found, spec="001-csv-export", elsewhere={"R5"})
    assert [u.id for u in unknown] == ["R7"]  # R5 is the other spec's; R6 is qualified with it
    assert [u.id for u in unknown_citations(requirements, found)] == ["R5", "R6", "R7"]
