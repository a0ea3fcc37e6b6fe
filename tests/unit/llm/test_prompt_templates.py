"""Prompt templates: sections with priorities, fenced examples that keep their headings, budgets, overrides,
and variants (ids, versions, the format contract each keeps, workspace copies, malformed files)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from specpilot.llm.prompt_templates import (
    PromptError,
    PromptLibrary,
    PromptTemplate,
    estimate_tokens,
    parse_template,
    prompt_point,
)

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


# -- variants ---------------------------------------------------------------------------------------------------
# The variables each template's callers pass to render (agents/loop.py, spec/authoring.py).
CALLER_VARIABLES = {
    "agent.system": {"root", "steering", "context", "context_items", "context_problem"},
    "agent.critic": set(),
    "spec.planner": {"steering"},
    "spec.architect": {"steering"},
    "spec.reviewer": {"steering"},
}
# The sections that hold a role's format contract (what the parsers of the answer rely on): every variant keeps
# them word for word.
CONTRACT = {
    "agent.system": ["rules"],
    "agent.critic": ["verdict"],
    "spec.planner": ["format", "rules"],
    "spec.architect": ["format", "ml profile", "rules"],
    "spec.reviewer": ["format", "rules"],
}
ALL_VARIANTS = [(name, variant) for name in CALLER_VARIABLES for variant in PromptLibrary().variants(name)]


def section(template: PromptTemplate, title: str) -> str:
    return next(s.body for s in template.sections if s.title == title)


def test_every_role_has_at_least_two_variants_with_ids_and_versions() -> None:
    library = PromptLibrary()
    found = {name: {v: library.load(name, v).version for v in library.variants(name)} for name in CALLER_VARIABLES}
    assert found == {
        "agent.system": {"default": 2, "plan-first": 1, "read-first": 1},
        "agent.critic": {"default": 1, "checklist": 1},
        "spec.planner": {"default": 2, "checklist": 1},
        "spec.architect": {"default": 2, "risks-first": 1},
        "spec.reviewer": {"default": 2, "traceability": 1},
    }
    assert all(library.variants(name)[0] == "default" for name in CALLER_VARIABLES)  # the fixed policy's pick
    assert library.get("spec.planner") == library.load("spec.planner") == library.load("spec.planner", "default")
    assert [prompt_point(name) for name in CALLER_VARIABLES] == [
        "prompt.coder", "prompt.critic", "prompt.planner", "prompt.architect", "prompt.reviewer"]


@pytest.mark.parametrize(("name", "variant"), ALL_VARIANTS)
def test_every_variant_renders_with_its_callers_variables_and_keeps_the_format_contract(name: str,
                                                                                         variant: str) -> None:
    library = PromptLibrary()
    template, default = library.load(name, variant), library.load(name)
    assert (template.name, template.variant) == (name, variant)
    assert template.placeholders() == default.placeholders() <= CALLER_VARIABLES[name]
    text = template.render({key: f"<{key} value>" for key in CALLER_VARIABLES[name]})
    assert re.search(r"\{[a-z_]+\}", text) is None  # every placeholder filled
    assert [section(template, t) for t in CONTRACT[name]] == [section(default, t) for t in CONTRACT[name]]
    if variant != "default":  # a real alternative, not a copy
        assert [s.title for s in template.sections] != [s.title for s in default.sections] or \
            section(template, "role") != section(default, "role")


@pytest.mark.parametrize(("name", "headings"), [
    ("spec.planner", ["## Goals", "## User stories", "## SLAs", "## Clarifying questions"]),
    ("spec.architect", ["## Candidates", "## Choice", "## Affected code", "## Data flow", "## Risks", "## Models",
                        "## Dataset plan"]),
    ("spec.reviewer", ["## Verdict", "## Reviewer notes"]),
])
def test_every_variant_of_a_spec_role_shows_every_heading_of_its_document(name: str, headings: list[str]) -> None:
    library = PromptLibrary()
    for variant in library.variants(name):
        text = library.load(name, variant).render()
        assert [h for h in headings if h not in text] == [], variant


def test_a_workspace_variant_wins_over_the_built_in_one_and_may_add_new_ones(tmp_path: Path) -> None:
    (tmp_path / "spec.planner@checklist.md").write_text(
        "---\nname: spec.planner\nvariant: checklist\nversion: 7\n---\n## role {priority=10}\nEvolved checklist.\n")
    (tmp_path / "spec.planner@terse.md").write_text("## role {priority=10}\nPlan tersely.\n")  # no front matter
    library = PromptLibrary(tmp_path)
    assert library.variants("spec.planner") == ("default", "checklist", "terse")
    evolved = library.load("spec.planner", "checklist")
    assert (evolved.version, evolved.render(), evolved.source) == (7, "Evolved checklist.",
                                                                   str(tmp_path / "spec.planner@checklist.md"))
    terse = library.load("spec.planner", "terse")
    assert (terse.name, terse.variant, terse.version) == ("spec.planner", "terse", 1)
    assert library.load("spec.planner").version == 2  # the built-in default is untouched
    with pytest.raises(PromptError, match="no prompt template 'spec.planner' variant 'gone'"):
        library.load("spec.planner", "gone")
    with pytest.raises(PromptError, match="is not a variant id"):
        library.load("spec.planner", "../../etc/passwd")
    with pytest.raises(PromptError, match="no prompt template 'nope'"):
        library.variants("nope")


@pytest.mark.parametrize(("file", "text", "message"), [
    ("spec.planner@loud.md", "## role {loud}\nx\n", "unknown attribute 'loud'"),
    ("spec.planner@Loud Voice.md", "## role\nx\n", "variant 'Loud Voice' must be lower-case"),
    ("spec.planner@calm.md", "---\nvariant: loud\n---\n## role\nx\n", "the front matter says variant 'loud'"),
    ("spec.planner@calm.md", "---\nname: spec.architect\n---\n## role\nx\n", "names the template 'spec.architect'"),
    ("spec.planner@calm.md", "---\nversion: two\n---\n## role\nx\n", "version must be a whole number"),
])
def test_a_malformed_variant_file_is_a_clear_error_naming_the_file(tmp_path: Path, file: str, text: str,
                                                                   message: str) -> None:
    (tmp_path / file).write_text(text)
    library = PromptLibrary(tmp_path)
    with pytest.raises(PromptError, match=message) as listed:  # listing reads every variant: the error is certain
        library.variants("spec.planner")
    assert str(tmp_path / file) in str(listed.value)
    variant = file.removeprefix("spec.planner@").removesuffix(".md")
    if variant != "Loud Voice":
        with pytest.raises(PromptError, match=message) as loaded:
            library.load("spec.planner", variant)
        assert str(tmp_path / file) in str(loaded.value)
    assert library.load("spec.planner").version == 2  # the default still loads
