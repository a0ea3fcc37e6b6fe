"""Prompt templates: sections with priorities, fenced examples that keep their headings, budgets, overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.llm.prompt_templates import PromptError, PromptLibrary, estimate_tokens, parse_template

TEMPLATE = """---
name: demo
version: 2
---
## role {priority=10}
You write {document}.

## format {priority=9}
Answer like this:

```markdown
# Title

## Goals
- <goal>
```

## style {priority=2, mutable}
Be brief.
"""


def test_sections_keep_their_priorities_and_a_fenced_example_keeps_its_headings() -> None:
    template = parse_template(TEMPLATE, "demo.md")
    assert (template.name, template.version) == ("demo", 2)
    assert [(s.title, s.priority, s.mutable) for s in template.sections] == [
        ("role", 10, False), ("format", 9, False), ("style", 2, True)]
    text = template.render({"document": "requirements.md"})
    assert "You write requirements.md." in text
    assert "## Goals\n- <goal>" in text  # inside the fence: text of the format section, not a section of its own


def test_a_budget_drops_the_lowest_priority_sections_first() -> None:
    template = parse_template(TEMPLATE, "demo.md")
    full = template.render()
    short = template.render(budget_tokens=estimate_tokens(full) - 1)
    assert "Be brief." not in short and "## Goals" in short and "You write" in short
    assert template.render(budget_tokens=estimate_tokens("You write {document}.")) == "You write {document}."


@pytest.mark.parametrize(("text", "message"), [
    ("Some text\n## role\nx\n", "text before the first '## section' header"),
    ("---\nname: x\n", "front matter is not closed"),
    ("## role {priority=high}\nx\n", "priority must be a whole number"),
    ("## role {loud}\nx\n", "unknown attribute 'loud'"),
])
def test_malformed_templates_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(PromptError, match=message):
        parse_template(text, "bad.md")


def test_a_workspace_copy_wins_over_the_built_in_template(tmp_path: Path) -> None:
    (tmp_path / "spec.planner.md").write_text("## role {priority=10}\nPlan tersely.\n")
    assert PromptLibrary(tmp_path).get("spec.planner").render() == "Plan tersely."
    with pytest.raises(PromptError, match="no prompt template 'nope'"):
        PromptLibrary(tmp_path).get("nope")


@pytest.mark.parametrize(("name", "headings"), [
    ("spec.planner", ["## Goals", "## User stories", "## SLAs", "## Clarifying questions"]),
    ("spec.architect", ["## Candidates", "## Choice", "## Affected code", "## Data flow", "## Risks", "## Models",
                        "## Dataset plan"]),
    ("spec.reviewer", ["## Verdict", "## Reviewer notes"]),
])
def test_the_spec_role_prompts_show_the_model_every_heading_of_their_document(name: str, headings: list[str]) -> None:
    text = PromptLibrary().get(name).render()
    assert [h for h in headings if h not in text] == []
