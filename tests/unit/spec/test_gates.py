"""Stage gates on real spec documents: the exact problems a user reads, and the gate written to front matter."""

from __future__ import annotations

from pathlib import Path

from specpilot.spec.documents import parse_design, parse_requirements, parse_review, parse_tasks
from specpilot.spec.frontmatter import split_front_matter
from specpilot.spec.gates import design_gate, record_gate, requirements_gate, review_gate, tasks_gate

REQUIREMENTS = """\
---
spec: 001-csv-export
stage: requirements
---
# CSV export

## User stories
### R1 As an analyst, I want to export a report as CSV, so that I can open it in a spreadsheet. <!-- clarity: 0.8 -->
- R1.1 WHEN the user runs `report export --csv` THE SYSTEM SHALL write the report within 2 s. <!-- clarity: 0.9 -->
- R1.2 IF the target file exists THE SYSTEM SHALL ask before overwriting it. <!-- clarity: {r12} -->

## SLAs
- S1 Export of 10,000 rows completes within 2 s on a laptop. <!-- clarity: 0.9 -->

## Clarifying questions
- Q1 (R1.1) Which delimiter?
  - Answer: comma.
- Q2 (R1.2) Should overwriting need confirmation in non-interactive runs too?
{answer}"""


def requirements(r12: str = "0.7", answer: str = ""):
    model, problems = parse_requirements(REQUIREMENTS.format(r12=r12, answer=answer))
    assert [p for p in problems if p.severity == "error"] == []
    return model


def test_requirements_gate_passes_when_every_item_is_clear() -> None:
    result = requirements_gate(requirements())
    assert (result.stage, result.passed, result.problems) == ("requirements", True, [])


def test_requirements_gate_names_a_vague_item_and_its_unanswered_question() -> None:
    result = requirements_gate(requirements(r12="0.4"))
    assert not result.passed
    assert result.problems == ["R1.2: clarity 0.40 < 0.6 and no answer to Q2"]


def test_an_answered_question_lets_a_low_clarity_item_through() -> None:
    result = requirements_gate(requirements(r12="0.4", answer="  - Answer: No; --force overwrites.\n"))
    assert result.passed and result.problems == []


def test_requirements_gate_fails_an_item_without_a_score_or_question() -> None:
    text = REQUIREMENTS.format(r12="0.7", answer="").replace("within 2 s. <!-- clarity: 0.9 -->", "within 2 s.")
    text = text.replace("within 2 s on a laptop. <!-- clarity: 0.9 -->", "fast. <!-- clarity: 0.3 -->")
    model, _ = parse_requirements(text)
    assert requirements_gate(model).problems == [
        "R1.1: no clarity score", "S1: clarity 0.30 < 0.6 and no clarifying question about it"]


DESIGN = """\
---
stage: design
---
# Design: CSV export

## Candidates
| | A: stdlib csv module | B: pandas |
|---|---|---|
| complexity | low | {cell} |
| risk | low | medium |

## Choice
{choice}
"""


def test_design_gate_passes_two_candidates_and_a_choice_naming_one() -> None:
    for choice in ("A: stdlib csv module, because it adds no dependency.", "We pick pandas for speed.", "**B**."):
        model, _ = parse_design(DESIGN.format(cell="low", choice=choice))
        assert design_gate(model).problems == [], choice


def test_design_gate_fails_a_choice_naming_no_candidate_and_an_empty_choice() -> None:
    model, _ = parse_design(DESIGN.format(cell="low", choice="A better idea: write our own."))
    assert design_gate(model).problems == [
        "the Choice section names none of the candidates (A: stdlib csv module; B: pandas)"]
    model, _ = parse_design(DESIGN.format(cell="low", choice=""))
    assert design_gate(model).problems == ["the Choice section is empty; name the chosen candidate and why"]


def test_design_gate_needs_two_candidates() -> None:
    text = "# Design\n\n## Candidates\n| | A: stdlib csv |\n|---|---|\n| risk | low |\n\n## Choice\nA\n"
    model, _ = parse_design(text)
    result = design_gate(model)
    assert not result.passed
    assert result.problems == [
        "the design compares only one candidate (A: stdlib csv); it needs at least two approaches in the "
        "Candidates table"]


def test_placeholder_candidates_fail_unless_allowed_offline() -> None:
    model, _ = parse_design(DESIGN.format(cell="needs a model", choice="A: stdlib csv module"))
    assert design_gate(model).problems == ["the candidates are placeholders (needs a model)"]
    offline = design_gate(model, allow_placeholders=True)
    assert offline.passed and offline.problems == []
    assert offline.notes == ["the candidates are placeholders (needs a model); accepted because SpecPilot is offline"]


ML_MODELS = """
## Models
| | A: logistic regression | B: DistilBERT |
|---|---|---|
| parameters | 20k | 66M |
| memory (training, inference) | 1 GiB, 100 MiB | 8 GiB, 1 GiB |
| training time (1 epoch, full run) | 1 min, 5 min | 20 min, 3 h |

## Dataset plan
- Mini sample: 500 tickets, stratified by team.
- Full set: 80k tickets from last year, 80/10/10 split.
"""


def test_the_ml_design_gate_needs_two_models_with_estimates_and_a_dataset_plan() -> None:
    good, problems = parse_design(DESIGN.format(cell="low", choice="A") + ML_MODELS)
    assert [p for p in problems if p.severity == "warning"] == []  # Models and Dataset plan are known sections
    assert design_gate(good, profile="ml").problems == []
    assert design_gate(good).problems == []  # the default profile does not ask for them
    bare, _ = parse_design(DESIGN.format(cell="low", choice="A"))
    assert design_gate(bare, profile="ml").problems == [
        "the Models table compares no models; the ml profile needs at least two candidate models",
        "the design has no Dataset plan (a mini sample and the full set)"]
    thin = ML_MODELS.replace("| parameters | 20k | 66M |\n", "").replace("- Mini sample: 500 tickets, stratified "
                                                                          "by team.\n", "")
    model, _ = parse_design("---\nprofile: ml\n---\n" + DESIGN.format(cell="low", choice="A").split("---\n", 2)[2]
                            + thin)
    assert design_gate(model).problems == [  # the profile read from design.md's own front matter
        "the Models table has no parameters row", "the Dataset plan names no mini sample"]


def test_the_offline_ml_design_draft_passes_by_force_with_its_placeholders_recorded(tmp_path: Path) -> None:
    from specpilot.spec.workflow import SpecWorkflow

    flow = SpecWorkflow(tmp_path)
    spec = flow.new("Train a classifier that routes tickets to teams.", profile="ml").spec
    result = flow.design(spec.name, force=True)
    assert result.gate.passed, result.gate.problems
    design, problems = parse_design(flow.store.read(spec, "design"))
    assert [p.message for p in problems if p.severity == "warning"] == []
    assert design_gate(design, profile="ml").problems == [
        "the candidates are placeholders (needs a model)", "the candidate models are placeholders (needs a model)"]


def test_the_ml_design_gate_wants_each_estimate_as_a_row_of_its_own() -> None:
    def gate_on(models: str) -> list[str]:
        model, _ = parse_design(DESIGN.format(cell="low", choice="A") + models)
        return design_gate(model, profile="ml").problems

    no_memory = ML_MODELS.replace("| memory (training, inference) | 1 GiB, 100 MiB | 8 GiB, 1 GiB |\n", "")
    assert gate_on(no_memory) == ["the Models table has no memory row"]  # "pa-ram-eters" is no memory row
    merged = no_memory.replace("| training time (1 epoch, full run) |", "| memory and training time |")
    assert gate_on(merged) in (["the Models table has no memory row"],  # one row answers one estimate only
                               ["the Models table has no training time row"])
    timed = ML_MODELS.replace("training time (1 epoch, full run)", "inference time")
    assert gate_on(timed) == ["the Models table has no training time row"]  # "time" alone is not training time
    renamed = ML_MODELS.replace("| parameters |", "| params |").replace("| memory (training, inference) |",
                                                                         "| GPU RAM |")
    assert gate_on(renamed) == []


TASKS_HEAD = "---\nstage: tasks\n---\n# Tasks: CSV export\n\n"


def tasks(body: str):
    model, _ = parse_tasks(TASKS_HEAD + body)
    return model


GOOD_TASKS = """\
- [ ] T1 Add the CSV writer
  - Depends on: (none)
  - _Requirements: R1.1, S1_
- [x] T2 Ask before overwriting
  - Depends on: T1
  - _Requirements: R1.2_
"""


def test_tasks_gate_passes_full_coverage_in_dependency_order() -> None:
    result = tasks_gate(tasks(GOOD_TASKS), requirements())
    assert (result.stage, result.passed, result.problems) == ("tasks", True, [])


def test_tasks_gate_reports_uncovered_and_unknown_ids() -> None:
    body = GOOD_TASKS.replace("R1.1, S1", "R1.1, R7.3").replace("Depends on: T1", "Depends on: T1, T9")
    assert tasks_gate(tasks(body), requirements()).problems == [
        "T1: cites R7.3, which is not in requirements.md",
        "T2: depends on T9, which is not in tasks.md",
        "S1: no task cites it",
    ]


def test_tasks_gate_reports_a_dependency_cycle_and_out_of_order_tasks() -> None:
    cycle = GOOD_TASKS.replace("Depends on: (none)", "Depends on: T2")
    assert tasks_gate(tasks(cycle), requirements()).problems == ["T1: dependency cycle T1 -> T2 -> T1"]
    swapped = ("- [ ] T1 Ask before overwriting\n  - Depends on: T2\n  - _Requirements: R1.2_\n"
               "- [ ] T2 Add the CSV writer\n  - _Requirements: R1.1, S1_\n")
    assert tasks_gate(tasks(swapped), requirements()).problems == [
        "T1: depends on T2, which comes after it; move T2 up"]
    itself = GOOD_TASKS.replace("Depends on: T1", "Depends on: T2")
    assert tasks_gate(tasks(itself), requirements()).problems == ["T2: depends on itself"]


REVIEW = """\
---
stage: review
---
# Review: CSV export

## Traceability matrix
| Requirement | Tasks | Code | Tests | Status |
|---|---|---|---|---|
| R1.1 | T1 | report/csv.py:3 write_csv | tests/test_csv.py::test_r1_1_writes | ok |
| R1.2 | T2 | report/csv.py:9 ask | {r12_tests} | {status} |
{s1}
## Verdict
Ready.
"""


def test_review_gate_passes_when_every_requirement_has_a_task_code_and_a_test() -> None:
    text = REVIEW.format(r12_tests="tests/test_csv.py:20", status="ok",
                         s1="| S1 | T1 | report/csv.py:3 write_csv | bench/test_speed.py:4 | ok |\n")
    model, _ = parse_review(text)
    assert review_gate(model, requirements()).passed


def test_review_gate_tells_no_code_apart_from_no_test() -> None:
    no_code = REVIEW.format(r12_tests="tests/test_csv.py:20", status="ok",
                            s1="| S1 | T1 | | bench/test_speed.py:4 | no code |\n")
    assert review_gate(parse_review(no_code)[0], requirements()).problems == ["S1: no code"]
    no_test = REVIEW.format(r12_tests="tests/test_csv.py:20", status="ok",
                            s1="| S1 | T1 | report/csv.py:3 write_csv | | no test |\n")
    assert review_gate(parse_review(no_test)[0], requirements()).problems == ["S1: no test"]
    neither = REVIEW.format(r12_tests="tests/test_csv.py:20", status="ok", s1="| S1 | T1 | | | no code |\n")
    assert review_gate(parse_review(neither)[0], requirements()).problems == ["S1: no code and no test"]


def test_review_gate_names_requirements_without_a_test_or_a_row() -> None:
    model, _ = parse_review(REVIEW.format(r12_tests="", status="no test", s1=""))
    result = review_gate(model, requirements())
    assert not result.passed
    assert result.problems == ["R1.2: no test", "S1: not in the traceability matrix"]


def test_record_gate_writes_the_result_into_front_matter_and_keeps_the_body() -> None:
    text = REQUIREMENTS.format(r12="0.4", answer="")
    written = record_gate(text, requirements_gate(requirements(r12="0.4")))
    front = split_front_matter(written)
    assert front.fields["gate"] == {"passed": False, "problems": ["R1.2: clarity 0.40 < 0.6 and no answer to Q2"]}
    assert front.fields["spec"] == "001-csv-export"
    assert front.body == split_front_matter(text).body
    passed = record_gate(written, requirements_gate(requirements()))
    assert split_front_matter(passed).fields["gate"] == {"passed": True, "problems": []}
    assert passed.count("gate:") == 1
