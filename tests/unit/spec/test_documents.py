"""Spec documents: parsing with problems and line numbers, line-exact writers, byte-exact round trips, rendering."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from specpilot.spec.documents import (
    Item,
    Question,
    Requirements,
    Task,
    Tasks,
    add_question,
    parse_build_log,
    parse_design,
    parse_document,
    parse_requirements,
    parse_review,
    parse_tasks,
    render_build_log,
    render_design,
    render_requirements,
    render_review,
    render_tasks,
    set_answer,
    set_clarity,
    set_task_done,
)
from specpilot.spec.frontmatter import SpecFormatError, set_fields, split_front_matter, split_lines

DATA = Path(__file__).parents[2] / "data" / "specs"
DOCUMENTS = ("requirements.md", "tasks.md", "design.md", "build_log.md", "review.md")


def read(kind: str, name: str) -> str:
    return (DATA / kind / name).read_bytes().decode("utf-8")


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


def changes(old: str, new: str) -> list[tuple[list[str], list[str]]]:
    """The (old lines, new lines) of each changed block, line breaks included."""
    a, b = split_lines(old), split_lines(new)
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    return [(a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


# --- round trip --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line_break", ["\n", "\r\n"])
def test_writers_asked_for_what_is_there_return_the_file_byte_for_byte(line_break: str) -> None:
    text = read("good", "requirements.md").replace("\n", line_break)
    model, _ = parse_requirements(text)
    for item in model.items:
        if item.clarity is not None:
            assert set_clarity(text, item.id, item.clarity) == text, item.id
            assert set_clarity(text, item.id, item.clarity, dict(item.notes)) == text, item.id
    for question in model.questions:
        if question.answer is not None:
            assert set_answer(text, question.id, question.answer) == text
    assert set_fields(text, {"stage": "requirements", "gate": model.front["gate"]}) == text

    tasks_text = read("good", "tasks.md").replace("\n", line_break)
    for task in parse_tasks(tasks_text)[0].tasks:
        assert set_task_done(tasks_text, task.id, task.done) == tasks_text


def test_the_hand_written_samples_keep_their_trailing_spaces_and_extras() -> None:
    # Guards the fixtures themselves: the round-trip tests are only meaningful if these are there.
    text = read("good", "requirements.md")
    assert "- Let users export reports as CSV.   \n" in text
    assert "# requirements | design" in text and "<!-- a note to myself" in text
    assert "- [x] T2 Ask before overwriting  \n" in read("good", "tasks.md")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_crlf_files_parse_to_the_same_model_and_problems(name: str) -> None:
    text = read("good", name)
    lf_model, lf_problems = parse_document(name, text)
    crlf_model, crlf_problems = parse_document(name, crlf(text))
    assert crlf_model == lf_model
    assert [(p.line, p.message) for p in crlf_problems] == [(p.line, p.message) for p in lf_problems]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_good_samples_have_no_errors(name: str) -> None:
    _, problems = parse_document(name, read("good", name))
    assert [p for p in problems if p.severity == "error"] == []


# --- what the parsers read ---------------------------------------------------------------------------------


def test_requirements_items_questions_and_lines() -> None:
    model, problems = parse_requirements(read("good", "requirements.md"))
    assert model.title == "CSV export"
    assert model.front["status"] == "draft" and model.front["gate"]["passed"] is False
    assert [(i.id, i.kind, i.parent, i.clarity, i.line) for i in model.items] == [
        ("R1", "story", None, 0.8, 19), ("R1.1", "criterion", "R1", 0.9, 20), ("R1.2", "criterion", "R1", 0.4, 21),
        ("R1.3", "criterion", "R1", 0.7, 22), ("R2", "story", None, None, 26), ("R2.1", "criterion", "R2", 1.0, 27),
        ("S1", "sla", None, 0.9, 30), ("C1", "constraint", None, 1.0, 33), ("K1", "compat", None, 1.0, 36)]
    r12 = model.item("R1.2")
    assert r12 is not None and r12.notes == {"vague": "ask", "missing": "non-interactive runs"}
    assert r12.text == "IF the target file exists THE SYSTEM SHALL ask before overwriting it."
    r13 = model.item("R1.3")
    assert r13 is not None and r13.text == "THE SYSTEM SHALL quote fields that hold commas, following RFC 4180."
    assert model.questions == [
        Question("Q1", "R1.2", "Should overwriting need confirmation in non-interactive runs too?",
                 "No; --force overwrites."),
        Question("Q2", "R1.1", "Which delimiter: comma or semicolon?", None)]
    assert model.item("R9") is None  # inside a code block
    assert [p.line for p in problems] == [48] and problems[0].severity == "warning"
    assert [extra.name for extra in model.extra] == ["Notes from the meeting"]


def test_tasks_fields() -> None:
    model, _ = parse_tasks(read("good", "tasks.md"))
    assert model.tasks[0] == Task(
        "T1", "Add the CSV writer", False, "report rows", "`report/csv.py` with `write_csv(rows, path)`",
        "`tests/test_csv.py::test_writes_header_and_rows`", "2h", [], ["R1.1", "S1"])
    assert [(t.id, t.done, t.depends_on, t.requirements, t.line) for t in model.tasks[1:]] == [
        ("T2", True, ["T1"], ["R1.2"], 15), ("T3", True, ["T1", "T2"], ["R2.1", "C1"], 18)]
    assert model.tasks[2].fields == {"Owner": "bob"}


def test_design_build_log_and_review_contents() -> None:
    design, _ = parse_design(read("good", "design.md"))
    assert design.candidates is not None
    assert design.candidates.candidates == ["A: stdlib csv module", "B: pandas"]
    assert design.candidates.rows[1] == ["risk", "low", "medium"]
    assert design.choice == "A: stdlib csv module, because it adds no dependency (C1)."
    assert [(a.path, a.symbol, a.code_line) for a in design.affected] == [
        ("report/export.py", "export_report", 12), ("report/cli.py", None, None)]
    assert [s.name for s in design.sections] == ["Candidates", "Choice", "Affected code", "Data flow", "Risks"]

    log, _ = parse_build_log(read("good", "build_log.md"))
    assert [(e.task_id, e.at, e.outcome, e.files_touched) for e in log.entries] == [
        ("T1", "2026-11-21 15:00", "done; all tests pass", ["report/csv.py", "tests/test_csv.py"]),
        ("T2", "2026-11-21 16:10", "done", ["report/export.py"])]
    assert log.entries[1].fields == {"Notes": "needs a --force flag"}

    review, _ = parse_review(read("good", "review.md"))
    assert [(r.requirement, r.tasks, r.code, r.tests, r.status, r.line) for r in review.matrix] == [
        ("R1.1", ["T1"], ["report/csv.py"], ["tests/test_csv.py::test_writes_header_and_rows"], "covered", 10),
        ("R1.2", ["T2"], ["report/export.py", "report/cli.py"], [], "no test", 11)]
    assert review.gaps == ["R1.2 has no test."]
    assert review.verdict == "Changes requested: add a test for R1.2."


# --- malformed documents -----------------------------------------------------------------------------------

MALFORMED = {
    "requirements.md": [
        (8, "criterion R1.1 comes before any user story"),
        (9, "user story without an ID"),
        (11, "acceptance criterion without an ID (expected '- R1.1"),
        (12, "R1.2: clarity 'high' is not a number in 0-1"),
        (13, "R1.3: clarity '1.5' is not a number in 0-1"),
        (14, "duplicate ID R1.2 (first on line 12)"),
        (15, "criterion R2.1 is under story R1"),
        (18, "SLA without an ID"),
        (19, "C7 is not an SLA ID"),
        (21, "unknown section 'Wishlist'"),
        (25, "Q1 cites no item"),
        (26, "Q2 cites R7, which is not in this document"),
        (27, "question without an ID"),
    ],
    "tasks.md": [
        (6, "T1 cites no requirement"),
        (8, "task without an ID"),
        (10, "task T2 has no checkbox"),
        (11, "T3 depends on T9, which is not in this document"),
        (11, "T3 depends on itself"),
        (13, "T3: 'banana' is not a requirement ID"),
        (14, "duplicate ID T1 (first on line 6)"),
    ],
    "design.md": [
        (3, "the front matter is not valid YAML"),
        (10, "the table row has 2 cells; its header has 3"),
        (11, "the table row has 4 cells; its header has 3"),
        (17, "affected code entry without a `path`"),
        (19, "unknown section 'Budget'"),
    ],
    "build_log.md": [(3, "build log entry without a task ID")],
    "review.md": [(4, "the traceability matrix needs the columns")],
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_malformed_documents_report_each_problem_at_its_line(name: str) -> None:
    _, problems = parse_document(name, read("malformed", name))
    found = [(p.line, p.message) for p in problems]
    assert len(found) == len(MALFORMED[name]), found
    for (line, message), (want_line, want) in zip(found, MALFORMED[name]):
        assert line == want_line and message.startswith(want), (line, message)


def test_malformed_requirements_still_yield_the_good_parts() -> None:
    model, problems = parse_requirements(read("malformed", "requirements.md"))
    assert [i.id for i in model.items] == ["R1.1", "R1", "R1.2", "R1.3", "R2.1"]
    r12 = model.item("R1.2")
    assert r12 is not None and r12.clarity is None  # 'high' is not a score
    assert {p.severity for p in problems if "Wishlist" in p.message} == {"warning"}


def test_front_matter_problems() -> None:
    assert split_front_matter("---\nstage: [\n---\nbody\n").problems[0].line == 2
    unclosed = split_front_matter("---\nstage: design\n# Title\n")
    assert unclosed.problems[0].line == 1 and "never closed" in unclosed.problems[0].message
    listed = split_front_matter("---\n- a\n- b\n---\n")
    assert "mapping" in listed.problems[0].message
    plain = split_front_matter("# Just a body\n")
    assert plain.fields == {} and plain.body == "# Just a body\n" and not plain.problems


# --- writers -----------------------------------------------------------------------------------------------


def test_set_clarity_rewrites_only_the_comment_and_keeps_crlf() -> None:
    text = crlf(read("good", "requirements.md"))
    new = set_clarity(text, "R1.2", 0.75)
    assert changes(text, new) == [(
        ["- R1.2 IF the target file exists THE SYSTEM SHALL ask before overwriting it. "
         "<!-- clarity: 0.4; vague: ask; missing: non-interactive runs -->\r\n"],
        ["- R1.2 IF the target file exists THE SYSTEM SHALL ask before overwriting it. "
         "<!-- clarity: 0.75; vague: ask; missing: non-interactive runs -->\r\n"])]
    cleared = set_clarity(text, "R1.2", 0.9, {})
    assert parse_requirements(cleared)[0].item("R1.2") == Item(
        "R1.2", "criterion", "IF the target file exists THE SYSTEM SHALL ask before overwriting it.", 0.9, {}, "R1")


def test_set_clarity_adds_a_comment_where_there_is_none_and_on_wrapped_items() -> None:
    text = read("good", "requirements.md")
    new = set_clarity(text, "R2", 0.6, {"vague": "logged"})
    assert changes(text, new) == [(
        ["### R2 As an admin, I want exports logged, so that I can audit them.\n"],
        ["### R2 As an admin, I want exports logged, so that I can audit them."
         " <!-- clarity: 0.6; vague: logged -->\n"])]
    wrapped = set_clarity(text, "R1.3", 1.0)
    assert changes(text, wrapped) == [(["  following RFC 4180. <!-- clarity: 0.7 -->\n"],
                                       ["  following RFC 4180. <!-- clarity: 1.0 -->\n"])]
    with pytest.raises(SpecFormatError, match="no item R9"):
        set_clarity(text, "R9", 0.5)
    with pytest.raises(ValueError, match="0-1"):
        set_clarity(text, "R1", 1.5)


def test_set_answer_rewrites_or_adds_the_answer_line() -> None:
    text = crlf(read("good", "requirements.md"))
    replaced = set_answer(text, "Q1", "Yes, unless --force is given.")
    assert changes(text, replaced) == [(["  - Answer: No; --force overwrites.\r\n"],
                                        ["  - Answer: Yes, unless --force is given.\r\n"])]
    added = set_answer(text, "Q2", "Comma.")
    assert changes(text, added) == [([], ["  - Answer: Comma.\r\n"])]
    assert parse_requirements(added)[0].question("Q2") == Question(
        "Q2", "R1.1", "Which delimiter: comma or semicolon?", "Comma.")
    with pytest.raises(SpecFormatError, match="no question Q7"):
        set_answer(text, "Q7", "x")


def test_add_question_appends_to_the_questions_section() -> None:
    text = read("good", "requirements.md")
    new = add_question(text, "S1", "On which laptop?")
    assert changes(text, new) == [([], ["- Q3 (S1) On which laptop?\n"])]
    lines = split_lines(new)
    q2 = lines.index("- Q2 (R1.1) Which delimiter: comma or semicolon?\n")
    assert lines.index("- Q3 (S1) On which laptop?\n") == q2 + 1
    with pytest.raises(SpecFormatError, match="no item R8"):
        add_question(text, "R8", "?")


def test_add_question_creates_the_section_when_missing() -> None:
    text = "# Spec\r\n\r\n## User stories\r\n### R1 As a user, I want x. <!-- clarity: 0.3 -->"
    new = add_question(text, "R1", "What is x?")
    assert new.startswith(text)
    assert new[len(text):] == "\r\n\r\n## Clarifying questions\r\n\r\n- Q1 (R1) What is x?\r\n"
    assert parse_requirements(new)[0].questions == [Question("Q1", "R1", "What is x?")]


def test_set_task_done_changes_only_the_checkbox() -> None:
    text = read("good", "tasks.md")
    done = set_task_done(text, "T1", True)
    assert changes(text, done) == [(["- [ ] T1 Add the CSV writer\n"], ["- [x] T1 Add the CSV writer\n"])]
    undone = set_task_done(crlf(text), "T2", False)
    assert changes(crlf(text), undone) == [(["- [x] T2 Ask before overwriting  \r\n"],
                                            ["- [ ] T2 Ask before overwriting  \r\n"])]
    with pytest.raises(SpecFormatError, match="no task T9"):
        set_task_done(text, "T9", True)


def test_set_fields_changes_only_the_keys_that_change() -> None:
    text = read("good", "requirements.md")
    new = set_fields(text, {"status": "approved", "gate": {"passed": True, "problems": []}, "owner": "ana"})
    assert changes(text, new) == [
        (["status: draft              # draft | approved\n"], ["status: approved           # draft | approved\n"]),
        (["gate: {passed: false, problems: [\"R1.2: clarity 0.4 < 0.6 and no answer\"]}\n"],
         ["gate: {passed: true, problems: []}\n"]),
        ([], ["owner: ana\n"]),
    ]
    front = split_front_matter(new)
    assert front.fields["status"] == "approved" and front.fields["owner"] == "ana"
    assert front.body == split_front_matter(text).body


def test_set_fields_on_a_document_without_front_matter_and_with_bad_yaml() -> None:
    assert set_fields("# T\r\nbody\r\n", {"stage": "design"}) == "---\r\nstage: design\r\n---\r\n# T\r\nbody\r\n"
    with pytest.raises(SpecFormatError, match="line 3"):
        set_fields(read("malformed", "design.md"), {"stage": "tasks"})


# --- render ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "render"), [
    ("requirements.md", render_requirements), ("tasks.md", render_tasks), ("design.md", render_design),
    ("build_log.md", render_build_log), ("review.md", render_review)])
def test_rendered_documents_parse_back_to_the_same_model(name: str, render) -> None:  # type: ignore[no-untyped-def]
    model, _ = parse_document(name, read("good", name))
    rendered = render(model)
    again, problems = parse_document(name, rendered)
    assert again == model
    assert render(again) == rendered
    assert [p for p in problems if p.severity == "error"] == []


def test_a_drafted_requirements_model_renders_in_the_documented_format() -> None:
    model = Requirements(
        front={"spec": "001-csv-export", "stage": "requirements", "status": "draft",
               "gate": {"passed": False, "problems": []}},
        title="CSV export", goals=["Export reports."],
        items=[Item("R1", "story", "As an analyst, I want CSV.", 0.8),
               Item("R1.1", "criterion", "WHEN asked THE SYSTEM SHALL write CSV.", 0.4, {"vague": "asked"}, "R1"),
               Item("S1", "sla", "Within 2 s.", None)],
        questions=[Question("Q1", "R1.1", "Asked how?", None)])
    text = render_requirements(model)
    assert text == (
        "---\nspec: 001-csv-export\nstage: requirements\nstatus: draft\ngate: {passed: false, problems: []}\n---\n"
        "# CSV export\n\n## Goals\n\n- Export reports.\n\n## User stories\n\n"
        "### R1 As an analyst, I want CSV. <!-- clarity: 0.8 -->\n"
        "- R1.1 WHEN asked THE SYSTEM SHALL write CSV. <!-- clarity: 0.4; vague: asked -->\n\n"
        "## SLAs\n\n- S1 Within 2 s.\n\n## Clarifying questions\n\n- Q1 (R1.1) Asked how?\n")
    assert parse_requirements(text) == (model, [])
    tasks = Tasks({"stage": "tasks"}, "Tasks: CSV export", [Task("T1", "Write it", requirements=["R1.1"])])
    assert parse_tasks(render_tasks(tasks)) == (tasks, [])
