"""The deterministic drafter on ideas of different kinds: what a user reads in the drafted documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from specpilot.spec.drafter import AffectedCode, analyse_idea, draft_design, draft_requirements, draft_tasks

CSV_IDEA = """Let users export reports as CSV.
- Users can export a report as CSV from the report page.
- If the target file exists, the CLI asks before overwriting it.
- The export should be fast.
- Export of 10,000 rows completes within 2 s on a laptop.
- No new runtime dependencies.
- Works on Python 3.11+.
"""
IDEAS = {
    "csv": CSV_IDEA,
    "cli_flag": "Add a `--json` flag to `specpilot status`. The command prints the index status as one JSON "
                "object when the flag is given. It should be easy to use.",
    "endpoint": "As an admin, I want to delete a user account, so that I can honour removal requests.\n"
                "The `DELETE /users/{id}` endpoint returns 204 when the user is deleted.\n"
                "If the user does not exist, the endpoint returns 404.\n"
                "The endpoint responds within 300 ms at p95.",
    "cache": "We want to cache search results. The service caches each result for 5 minutes. "
             "Results should be cached efficiently, etc.",
    "ml": "Train a classifier for support tickets.\n"
          "- The classifier reaches at least 90% accuracy on the validation split.\n"
          "- Training runs on one GPU.\n"
          "- Must not use more than 16 GB of GPU memory.",
}


def front_matter(markdown: str) -> dict[str, object]:
    match = re.match(r"^---\n(.*?)\n---\n", markdown, re.S)
    assert match, markdown[:200]
    data = yaml.safe_load(match.group(1))
    assert isinstance(data, dict)
    return data


def item_lines(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if re.match(r"^(### |- )(R\d|S\d|C\d|K\d)", line)]


@pytest.mark.parametrize("name", sorted(IDEAS))
def test_requirements_front_matter_ids_and_scores(name: str) -> None:
    markdown = draft_requirements(IDEAS[name], profile="ml" if name == "ml" else "default")
    meta = front_matter(markdown)
    assert meta["stage"] == "requirements" and meta["status"] == "draft"
    assert meta["profile"] == ("ml" if name == "ml" else "default")
    assert meta["title"] and meta["spec"]
    lines = item_lines(markdown)
    assert lines, markdown
    for line in lines:  # every item carries a clarity score
        assert re.search(r"<!-- clarity: (0(\.\d+)?|1\.0)[;\s]", line), line
    # IDs: stories R1, R2 ... in order; criteria R<n>.1, R<n>.2 ... under their story
    stories = [int(m) for m in re.findall(r"^### R(\d+) ", markdown, re.M)]
    assert stories == list(range(1, len(stories) + 1))
    for story in stories:
        crit = [int(m) for m in re.findall(rf"^- R{story}\.(\d+) ", markdown, re.M)]
        assert crit == list(range(1, len(crit) + 1))
    assert draft_requirements(IDEAS[name], profile="ml" if name == "ml" else "default") == markdown  # stable


@pytest.mark.parametrize("name", sorted(IDEAS))
def test_low_scores_get_questions_and_gate_problems(name: str) -> None:
    markdown = draft_requirements(IDEAS[name])
    low = [re.match(r"^(?:### |- )(\S+)", line).group(1)  # type: ignore[union-attr]
           for line in item_lines(markdown) if float(re.search(r"clarity: ([\d.]+)", line).group(1)) < 0.6]  # type: ignore[union-attr]
    asked = set(re.findall(r"^- Q\d+ \((\S+)\) .+\?$", markdown, re.M))
    assert set(low) == asked
    gate = front_matter(markdown)["gate"]
    assert isinstance(gate, dict)
    assert gate["passed"] is (not low)
    assert [p.split(":")[0] for p in gate["problems"]] == low
    numbers = [int(n) for n in re.findall(r"^- Q(\d+) ", markdown, re.M)]
    assert numbers == list(range(1, len(numbers) + 1))


def test_csv_idea_is_sorted_into_sections() -> None:
    markdown = draft_requirements(CSV_IDEA, title="CSV export", spec="001-csv-export")
    meta = front_matter(markdown)
    assert meta["spec"] == "001-csv-export" and meta["title"] == "CSV export"
    assert "## Goals\n- Let users export reports as CSV." in markdown
    assert "### R1 As a user, I want to export a report as CSV from the report page." in markdown
    assert "- R1.2 IF the target file exists THE CLI SHALL ask before overwriting it. <!-- clarity: 1.0 -->" in markdown
    fast = r"^- R1\.3 THE EXPORT SHALL be fast\. <!-- clarity: 0\.\d+; vague: fast; missing: quantity[^>]*-->$"
    assert re.search(fast, markdown, re.M)
    assert "## SLAs\n- S1 Export of 10,000 rows completes within 2 s on a laptop." in markdown
    assert "## Constraints\n- C1 No new runtime dependencies." in markdown
    assert "## Compatibility\n- K1 Works on Python 3.11+." in markdown
    assert re.search(r"^- Q1 \(R1\.3\) What response time counts as 'fast'", markdown, re.M)


def test_an_empty_idea_or_unknown_profile_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="idea is empty"):
        draft_requirements("  \n")
    with pytest.raises(ValueError, match="unknown spec profile 'gpu'"):
        draft_requirements("Users can log in.", profile="gpu")


def parse_tasks(markdown: str) -> list[dict[str, str]]:
    tasks: list[dict[str, str]] = []
    for line in markdown.splitlines():
        head = re.match(r"^- \[ \] (T\d+) (.+)$", line)
        if head:
            tasks.append({"id": head.group(1), "title": head.group(2)})
        field = re.match(r"^  - (?:_)?([A-Za-z ]+): (.+?)_?$", line)
        if field and tasks:
            tasks[-1][field.group(1)] = field.group(2)
    return tasks


@pytest.mark.parametrize("name", sorted(IDEAS))
@pytest.mark.parametrize("profile", ["default", "ml"])
def test_tasks_cover_every_requirement_in_dependency_order(name: str, profile: str) -> None:
    draft = analyse_idea(IDEAS[name])
    markdown = draft_tasks(draft.items, title=draft.title, profile=profile)
    assert front_matter(markdown)["stage"] == "tasks"
    tasks = parse_tasks(markdown)
    assert [t["id"] for t in tasks] == [f"T{n}" for n in range(1, len(tasks) + 1)]
    cited: set[str] = set()
    for n, task in enumerate(tasks, 1):
        for key in ("Inputs", "Outputs", "Acceptance test", "Estimate", "Depends on", "Requirements"):
            assert task.get(key), (key, task)
        deps = [int(d) for d in re.findall(r"T(\d+)", task["Depends on"])]
        assert all(d < n for d in deps), task  # dependencies come first
        cited |= set(re.split(r",\s*", task["Requirements"]))
    assert {item.id for item in draft.items} <= cited
    assert all(sum(item.id in re.split(r",\s*", t["Requirements"]) for t in tasks) >= 1
               for item in draft.items if item.kind == "criterion")


def test_ml_profile_tasks_set_up_the_environment_and_validate_one_epoch_first() -> None:
    draft = analyse_idea(IDEAS["ml"])
    tasks = parse_tasks(draft_tasks(draft.items, title=draft.title, profile="ml"))
    assert tasks[0]["title"] == "Set up the environment"
    assert "`venv.md`" in tasks[0]["Outputs"] and "Python version" in tasks[0]["Outputs"]
    assert "requirements.txt" in tasks[0]["Outputs"]
    titles = [t["title"] for t in tasks]
    validate = titles.index("Validate on the mini dataset for 1 epoch")
    full = titles.index("Train on the full dataset")
    assert validate < full
    assert "--epochs 1" in tasks[validate]["Acceptance test"]
    assert f"T{validate + 1}" in tasks[full]["Depends on"]
    default = [t["title"] for t in parse_tasks(draft_tasks(draft.items, title=draft.title))]
    assert "Set up the environment" not in default


def test_design_lists_affected_code_and_marks_what_needs_a_model() -> None:
    draft = analyse_idea(CSV_IDEA)
    markdown = draft_design("CSV export", draft.items, [AffectedCode("report/export.py", "export_report", 12),
                                                        ("report/cli.py", "main", 40)], spec="001-csv-export")
    assert front_matter(markdown) == {"spec": "001-csv-export", "stage": "design",
                                      "gate": {"passed": True, "problems": []}}
    assert "- `report/export.py` `export_report` (line 12)\n- `report/cli.py` `main` (line 40)" in markdown
    table = markdown.split("## Candidates\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert table[0].count("needs a model") == 2  # two candidates, both to be filled by a model
    assert all("needs a model" in row for row in table[2:])
    assert "## Data flow" in markdown and "## Risks" in markdown
    assert "R1.3 is unclear" in markdown
    assert "## Models" not in markdown


def test_ml_design_has_two_model_candidates_and_a_dataset_plan() -> None:
    draft = analyse_idea(IDEAS["ml"])
    markdown = draft_design(draft.title, draft.items, [], profile="ml")
    models = markdown.split("## Models\n", 1)[1].split("\n\n", 1)[0]
    assert models.splitlines()[0].count("candidate") == 2
    for field in ("parameters", "memory", "training time"):
        assert re.search(rf"^\| {field}", models, re.M), field
    plan = markdown.split("## Dataset plan\n", 1)[1]
    assert "Mini sample" in plan and "Full set" in plan
    assert "- (retrieval found nothing)" in markdown
    assert not re.search(r"\d+\s*(GB|M|B)\b", models)  # no invented sizes


@pytest.mark.parametrize(("idea", "profile"), [
    ("Train a small CNN to classify MNIST digits with at least 98% test accuracy.", "ml"),
    ("Fine-tune DistilBERT on our support tickets.", "ml"),
    ("Evaluate the ranking model on last week's queries and report the F1 score.", "ml"),
    ("Add a --json flag to the status command.", "default"),
    ("Train new support staff with a tutorial page.", "default"),  # training people, not a model
    ("Evaluate expressions typed into the calculator.", "default"),
])
def test_the_ml_profile_is_chosen_from_an_idea_about_training_or_evaluating_a_model(idea: str,
                                                                                      profile: str) -> None:
    from specpilot.spec.drafter import infer_profile

    assert infer_profile(idea) == profile


def test_spec_new_chooses_the_profile_and_profile_overrides_it(tmp_path: Path) -> None:
    from specpilot.spec.documents import parse_requirements
    from specpilot.spec.workflow import SpecWorkflow

    flow = SpecWorkflow(tmp_path)
    idea = "Train a small CNN to classify MNIST digits."
    chosen = flow.new(idea)
    assert parse_requirements(chosen.path.read_text(encoding="utf-8"))[0].front["profile"] == "ml"
    assert any("profile ml, chosen from the idea" in note for note in chosen.notes)
    overridden = flow.new(idea, profile="default")
    assert parse_requirements(overridden.path.read_text(encoding="utf-8"))[0].front["profile"] == "default"


@pytest.mark.parametrize("idea", [
    "Let users search the logs within 50 ms. Results are sorted by time.",
    "The goal is to answer search queries within 50 ms. Results are sorted by time.",
    "We want the classifier to reach 98% accuracy on the test split. It reads PNG files.",
    "Search the log files. The search returns results within 50 ms.",
])
def test_a_sentence_stating_a_number_becomes_a_traced_item_not_a_goal(idea: str) -> None:
    from specpilot.spec.documents import parse_requirements
    from specpilot.spec.trace import traced_items

    draft = analyse_idea(idea)
    number = "50 ms" if "50 ms" in idea else "98%"
    assert not [goal for goal in draft.goals if number in goal]
    requirements, _ = parse_requirements(draft_requirements(idea))
    traced = [item for item in traced_items(requirements) if number in item.text]
    assert traced and traced[0].kind in ("criterion", "sla"), [(i.id, i.kind, i.text) for i in requirements.items]
    assert "SHALL m" not in traced[0].text and not traced[0].text.startswith("THE SYSTEM SHALL we want")
