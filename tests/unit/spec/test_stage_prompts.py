"""The spec stages' requests and instructions, built once for SpecPilot's author and the MCP prompts."""

from __future__ import annotations

from pathlib import Path

from specpilot.project import open_project
from specpilot.spec.documents import parse_requirements
from specpilot.spec.stage_prompts import (
    ROLES,
    design_query,
    design_request,
    requirements_request,
    review_request,
    stage_messages,
)


def test_each_request_marks_what_it_quotes_as_data() -> None:
    assert requirements_request("CSV export", "ml") == 'Profile: ml\n\n<data source="idea">\nCSV export\n</data>'
    design = design_request("# Reqs", [("a.py", "f", 3)], "default")
    assert '<data source="retrieved code">\n- `a.py` `f` (line 3)\n</data>' in design
    assert '<data source="retrieved code">\n(nothing)\n</data>' in design_request("# Reqs", [], "default")
    review = review_request("R", "T", "D", "")
    assert review.index('source="requirements.md"') < review.index('source="tasks.md"') < review.index(
        'source="review.md draft"') and '<data source="cited code">\n(none)\n</data>' in review


def test_the_messages_carry_the_roles_template_and_the_steering(tmp_path: Path) -> None:
    steering = tmp_path / ".specpilot" / "steering"
    steering.mkdir(parents=True)
    (steering / "tech.md").write_text("We ship on Python 3.11.\n", encoding="utf-8")
    system, user = stage_messages(ROLES["design"], "the request", root=tmp_path, context_tokens=6_000)
    assert system.role == "system" and "We ship on Python 3.11." in system.content
    assert user.role == "user" and user.content == "the request"
    bare, _ = stage_messages(ROLES["design"], "x", root=None, context_tokens=6_000)
    assert "We ship on Python 3.11." not in bare.content


def test_the_design_searches_for_the_title_stories_and_criteria(tmp_path: Path) -> None:
    project = open_project(tmp_path)
    made = project.workflow(author=False, retrieval=False).new("Export search results as CSV so users can share "
                                                               "them")
    project.close()
    model, _ = parse_requirements(made.path.read_text(encoding="utf-8"))
    query = design_query(model, "fallback title")
    criteria = [i.text for i in model.items if i.kind == "criterion"]
    assert criteria and query.startswith(model.title) and all(text in query for text in criteria)
    assert design_query(model.__class__(), "fallback title") == "fallback title"
