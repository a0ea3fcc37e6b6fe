"""Spec documents as data: parsers that report problems instead of failing, line-exact writers, renderers.

A spec lives in ``.specpilot/specs/NNN-slug/`` as five Markdown files a person may edit by hand, each with a
small YAML front matter (see :mod:`specpilot.spec.frontmatter`). Each file has a module here whose docstring
describes its format: ``requirements`` (requirements.md), ``tasks`` (tasks.md), ``design`` (design.md),
``build_log`` (build_log.md) and ``review`` (review.md); ``markdown`` holds the line, section and table
reading they share. Import from this package: its modules are the layout, this is the API.

Parsing never changes text. Each ``parse_*`` returns ``(model, problems)``; problems carry 1-based file lines.
Model fields named ``line`` (and ``sections``, the layout of the file) are left out of equality, so a model
rendered with ``render_*`` parses back equal to itself. The writers (:func:`set_clarity`, :func:`set_answer`,
:func:`add_question`, :func:`set_task_done`) change only the lines they must and keep every other byte,
line breaks and trailing whitespace included; asked to write what is already there, they return the text
unchanged. They raise :class:`SpecFormatError` for an unknown ID.

Lines inside fenced code blocks are never read as structure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from specpilot.spec.documents.build_log import BuildLog, LogEntry, parse_build_log, render_build_log
from specpilot.spec.documents.design import AffectedCode, CandidateTable, Design, parse_design, render_design
from specpilot.spec.documents.markdown import Section
from specpilot.spec.documents.requirements import (
    Item,
    Question,
    Requirements,
    add_question,
    parse_requirements,
    render_requirements,
    set_answer,
    set_clarity,
)
from specpilot.spec.documents.review import MatrixRow, Review, parse_review, render_review
from specpilot.spec.documents.tasks import Task, Tasks, parse_tasks, render_tasks, set_task_done
from specpilot.spec.frontmatter import Problem, SpecFormatError

__all__ = [
    "AffectedCode", "BuildLog", "CandidateTable", "Design", "Item", "LogEntry", "MatrixRow", "Problem",
    "Question", "Requirements", "Review", "Section", "SpecFormatError", "Task", "Tasks", "add_question",
    "parse_build_log", "parse_design", "parse_document", "parse_requirements", "parse_review", "parse_tasks",
    "render_build_log", "render_design", "render_requirements", "render_review", "render_tasks", "set_answer",
    "set_clarity", "set_task_done",
]

_PARSERS: dict[str, Callable[[str], tuple[Any, list[Problem]]]] = {
    "requirements.md": parse_requirements, "design.md": parse_design, "tasks.md": parse_tasks,
    "build_log.md": parse_build_log, "review.md": parse_review,
}


def parse_document(name: str, text: str) -> tuple[Any, list[Problem]]:
    """Parse a spec document by its file name (``requirements.md``, ``design.md``, ...)."""
    parser = _PARSERS.get(name)
    if parser is None:
        raise SpecFormatError(f"{name!r} is not a spec document; expected one of {', '.join(_PARSERS)}")
    return parser(text)
