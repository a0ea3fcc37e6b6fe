"""Answers to a spec's open questions (the clarify stage, spec/workflow.py).

``answer_questions`` writes answers into requirements.md and rescores the items they clarify (``rescore``);
``open_questions`` lists the questions still without an answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from specpilot.spec import clarity
from specpilot.spec.documents import Requirements, parse_requirements, set_answer, set_clarity
from specpilot.spec.store import SpecError


@dataclass(slots=True)
class OpenQuestion:
    id: str
    item: str
    text: str
    answer: str | None


def answer_questions(text: str, answers: Mapping[str, str], *, spec: str) -> tuple[str, list[str]]:
    """requirements.md ``text`` with ``answers`` (question id -> text) written, and a note per item rescored.
    An answer a question has already changes nothing; an unknown question id is refused (``spec``: the
    spec's name, for the message)."""
    model, _ = parse_requirements(text)
    notes: list[str] = []
    for qid, answer in answers.items():
        question = model.question(qid)
        if question is None:
            known = ", ".join(q.id for q in model.questions) or "none"
            raise SpecError(f"{spec} has no question {qid} (its questions: {known})")
        if (question.answer or "").strip() == answer.strip():
            continue  # the answer it has already: nothing to rescore (repeating answers changes nothing)
        text = set_answer(text, qid, answer.strip())
        model, _ = parse_requirements(text)  # as written so far: a second answer sees the first's score
        item = model.item(question.item) if question.item else None
        if item is not None:
            new = rescore(model, item.id, answer.strip())
            text = set_clarity(text, item.id, new)
            model, _ = parse_requirements(text)
            notes.append(f"{item.id}: clarity {item.clarity if item.clarity is not None else '?'} -> {new:.2f}")
    return text, notes


def open_questions(text: str) -> list[OpenQuestion]:
    """The questions of requirements.md ``text`` that have no answer yet."""
    model, _ = parse_requirements(text)
    return [OpenQuestion(q.id, q.item or "", q.text, q.answer) for q in model.questions if not q.answer]


def rescore(model: Requirements, item_id: str, answer: str) -> float:
    """An item's clarity after ``answer`` to one of its questions: the item's text scored with every answer its
    questions have (so the score depends on the answers, not on the order they came in). It never goes below the
    current score unless ``answer`` itself adds vague words the item did not have."""
    item = model.item(item_id)
    if item is None:
        raise SpecError(f"requirements.md has no item {item_id}")
    answers = [q.answer.strip().rstrip(".") for q in model.questions
               if q.answer and q.cites(item_id)]
    combined = clarity.score(". ".join([item.text.rstrip("."), *answers]) + ".").score
    current = item.clarity if item.clarity is not None else 0.0
    others = list(answers)
    if answer.strip().rstrip(".") in others:
        others.remove(answer.strip().rstrip("."))
    already = set(clarity.score(". ".join([item.text, *others])).vague)  # vague words it had without this answer
    adds_vagueness = bool(set(clarity.score(answer).vague) - already)
    return combined if adds_vagueness else max(current, combined)
