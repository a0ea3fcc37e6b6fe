"""A playbook rendered with Jinja2: variables, conditionals, the role layout, highest priority first, the budget."""

from __future__ import annotations

from dataclasses import replace

import pytest

from specpilot.llm.prompt_templates import estimate_tokens
from specpilot.rl.playbook import Entry, PlaybookError, Section, seed
from specpilot.rl.playbook_render import render
from specpilot.rl.playbook_store import builtin

VARIABLES = {"root": "/ws", "steering": "Use tabs.", "context": "def f(): pass"}


def test_the_prompt_fills_variables_and_lists_entries_with_their_ids() -> None:
    text = render(builtin("coder"), VARIABLES)
    assert "workspace at /ws" in text and "Use tabs." in text and "{{" not in text
    assert "- Prefer the smallest change that does the task. [bp-1]" in text
    assert "## error handling" not in text  # empty sections are left out
    titles = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    assert titles == ["role", "rules", "steering", "best practices", "context"]  # priority 10, 10, 6, 4, 3


def test_the_coder_layout_extends_the_base_with_its_guidance() -> None:
    assert render(builtin("coder"), {**VARIABLES, "guidance": "Read first."}).endswith("## How to explore\nRead first.")
    assert "How to explore" not in render(builtin("planner"), VARIABLES)


def test_conditionals_and_loops_in_section_text() -> None:
    body = ("{% if steering %}Steer: {{ steering }}{% else %}No steering.{% endif %}"
            "{% for f in files %} [{{ f }}]{% endfor %}")
    book = seed("planner", [("role", 10, False, body)])
    assert "Steer: Use tabs. [a.py] [b.py]" in render(book, {"steering": "Use tabs.", "files": ["a.py", "b.py"]})
    assert "No steering." in render(book, {})


def test_section_text_cannot_reach_python() -> None:
    book = seed("planner", [("role", 10, False, "{{ ''.__class__.__mro__[1].__subclasses__() }}")])
    with pytest.raises(PlaybookError, match="role"):
        render(book, {})


@pytest.mark.parametrize("budget", [40, 80, 150, 300, 600, 8000])
def test_the_prompt_never_exceeds_its_budget(budget: int) -> None:
    book = builtin("architect")
    practices = book.section("best practices")
    assert practices is not None
    many = tuple(Entry(f"bp-{n}", f"Practice number {n} says something useful about designs.", helpful=n % 3)
                 for n in range(1, 60))
    book = book.with_section(Section(practices.name, practices.priority, True, entries=many))
    text = render(book, VARIABLES, budget_tokens=budget)
    assert estimate_tokens(text) <= budget
    if budget == 8000:
        assert "[bp-59]" in text


def test_a_tight_budget_drops_the_least_useful_entries_first() -> None:
    book = builtin("coder")
    practices = book.section("best practices")
    assert practices is not None
    book = book.with_section(Section(practices.name, practices.priority, True, entries=(
        Entry("bp-1", "Useful one.", helpful=9), Entry("bp-2", "Harmful one.", harmful=9),
        Entry("bp-3", "Unknown one."))))
    book = replace(book, sections=tuple(s for s in book.sections  # nothing of lower priority
                                        if s.priority > practices.priority or s.name == practices.name))
    full = render(book, VARIABLES)
    tight = render(book, VARIABLES, budget_tokens=estimate_tokens(full) - 2)  # one short entry must go
    assert "[bp-2]" not in tight and "[bp-1]" in tight and "[bp-3]" in tight
