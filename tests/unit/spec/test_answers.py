"""Answers to a spec's open questions: written into requirements.md, the items they clarify rescored, and the
questions still open listed (spec/answers.py, behind ``SpecWorkflow.clarify``)."""

from __future__ import annotations

import pytest

from specpilot.spec.answers import answer_questions, open_questions, rescore
from specpilot.spec.documents import parse_requirements
from specpilot.spec.drafter import draft_requirements
from specpilot.spec.store import SpecError

IDEA = "Add a --json flag to the status command so scripts can read the counts. It should be fast."


@pytest.fixture
def draft() -> str:
    """A real offline draft: R1.1 "shall be fast" (clarity 0.0) with questions Q1-Q3 about it."""
    return draft_requirements(IDEA)


def test_an_answer_is_written_and_its_item_rescored(draft: str) -> None:
    text, notes = answer_questions(draft, {"Q1": " p95 under 200 ms for 10,000 files "}, spec="001-status")
    model, _ = parse_requirements(text)
    question = model.question("Q1")
    item = model.item("R1.1")
    assert question is not None and question.answer == "p95 under 200 ms for 10,000 files"
    assert item is not None and (item.clarity or 0.0) >= 0.6
    assert notes == [f"R1.1: clarity 0.0 -> {item.clarity:.2f}"]
    assert [q.id for q in open_questions(text)] == ["Q2", "Q3"]


def test_repeating_an_answer_changes_nothing(draft: str) -> None:
    text, _ = answer_questions(draft, {"Q1": "p95 under 200 ms"}, spec="001-status")
    again, notes = answer_questions(text, {"Q1": "p95 under 200 ms"}, spec="001-status")
    assert (again, notes) == (text, [])


def test_an_unknown_question_is_refused_with_the_known_ones(draft: str) -> None:
    with pytest.raises(SpecError, match=r"001-status has no question Q9 \(its questions: Q1, Q2, Q3\)"):
        answer_questions(draft, {"Q9": "anything"}, spec="001-status")


def test_every_question_is_open_in_a_fresh_draft(draft: str) -> None:
    listed = open_questions(draft)
    assert [(q.id, q.item, q.answer) for q in listed] == [("Q1", "R1.1", None), ("Q2", "R1.1", None),
                                                          ("Q3", "R1.1", None)]
    assert "fast" in listed[0].text


def test_rescore_never_lowers_a_score_unless_the_answer_adds_vague_words(draft: str) -> None:
    text, _ = answer_questions(draft, {"Q1": "p95 under 200 ms for 10,000 files"}, spec="s")
    model, _ = parse_requirements(text)
    item = model.item("R1.1")
    assert item is not None and item.clarity == 0.7
    assert rescore(model, "R1.1", "p95 under 200 ms for 10,000 files") == 0.7
    _, notes = answer_questions(text, {"Q2": "at most 200 ms"}, spec="s")
    assert notes == ["R1.1: clarity 0.7 -> 0.70"]  # a clear second answer keeps the score
    _, notes = answer_questions(text, {"Q2": "robust and user-friendly"}, spec="s")
    assert notes == ["R1.1: clarity 0.7 -> 0.50"]  # new vague words lower it
    with pytest.raises(SpecError, match="no item R9"):
        rescore(model, "R9", "anything")
