"""The spec workflow's stages through the CLI, offline, on a real folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from specpilot.cli import main
from specpilot.spec.documents import parse_requirements, parse_tasks
from specpilot.spec.store import SpecStore

IDEA = "Add a --json flag to the status command so scripts can read the counts. It should be fast."


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, Any]:
    code = main(["spec", *args, "-w", str(root), "--json"])
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.startswith(("{", "[")) else out.err  # a failing gate: JSON, exit 1


def test_an_idea_goes_through_every_stage_once_its_questions_are_answered(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, new = run(capsys, tmp_path, "new", IDEA)
    assert code == 1 and new["spec"].startswith("001-") and new["gate"]["passed"] is False
    assert "clarity" in new["gate"]["problems"][0]
    code, error = run(capsys, tmp_path, "design")
    assert code == 1 and "the requirements gate fails" in error and "--force" in error
    code, listed = run(capsys, tmp_path, "clarify")
    questions = listed["openQuestions"]
    assert questions and questions[0]["item"] == "R1.1"
    assert new["openQuestions"] == questions  # `spec new` lists the questions its draft asks
    code, answered = run(capsys, tmp_path, "clarify", "--answer", f"{questions[0]['id']}=p95 under 200 ms")
    assert answered["gate"]["passed"] is True
    assert [q["id"] for q in answered["openQuestions"]] == [q["id"] for q in questions[1:]]
    store = SpecStore(tmp_path)
    spec = store.resolve(None)
    requirements, problems = parse_requirements(store.read(spec, "requirements"))
    assert not [p for p in problems if p.severity == "error"]
    assert requirements.question(questions[0]["id"]).answer == "p95 under 200 ms"
    assert (requirements.item("R1.1").clarity or 0) >= 0.6  # rescored
    code, design = run(capsys, tmp_path, "design")  # offline: placeholder candidates fail the design gate
    assert code == 1 and design["gate"]["problems"] == ["the candidates are placeholders (needs a model)"]
    code, error = run(capsys, tmp_path, "tasks", "001")
    assert code == 1 and "the design gate fails: the candidates are placeholders" in error
    code, design = run(capsys, tmp_path, "design", "--force")  # --force passes it and records what it let through
    assert code == 0 and design["gate"]["passed"] is True
    front = parse_requirements(store.read(spec, "design"))[0].front  # the front matter, read by the same parser
    assert front["gate"]["forced"] == ["the candidates are placeholders (needs a model)"]
    code, tasks = run(capsys, tmp_path, "tasks", "001")  # the recorded force counts: no second --force
    assert code == 0 and tasks["gate"]["passed"] is True
    parsed, _ = parse_tasks(store.read(spec, "tasks"))
    cited = {r for task in parsed.tasks for r in task.requirements}
    assert {i.id for i in requirements.items if i.kind == "criterion"} <= cited
    code, status = run(capsys, tmp_path, "status")
    assert status == [{"spec": spec.name, "title": spec.title, "stage": "tasks", "status": "draft",
                       "gates": {"requirements": True, "design": True, "tasks": True, "review": None}, "stale": []}]


def test_review_traces_requirements_to_code_and_tests_and_marks_drift(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, tmp_path, "new", "Users can export a report as CSV with `report export --csv`. "
        "IF the target file exists THE CLI SHALL ask before overwriting it.")
    run(capsys, tmp_path, "design", "--force")
    run(capsys, tmp_path, "tasks", "--force")
    store = SpecStore(tmp_path)
    requirements, _ = parse_requirements(store.read(store.resolve(None), "requirements"))
    criteria = [i.id for i in requirements.items if i.kind == "criterion"]
    (tmp_path / "report.py").write_text(f"def export(rows, path):  # Requirements: {', '.join(criteria)}\n"
                                        "    return path\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_report.py").write_text(
        f"def test_export():  # Requirements: {criteria[0]}\n    assert True\n")
    (tmp_path / "README.md").write_text("Run `report export --csv`.\n")
    code, review = run(capsys, tmp_path, "review")
    assert code == (0 if review["gate"]["passed"] else 1)  # a failing gate exits 1
    text = store.read(store.resolve(None), "review")
    assert f"| {criteria[0]} |" in text and "report.py:1 export" in text and "tests/test_report.py" in text
    if len(criteria) > 1:  # the others have code but no test
        assert review["gate"]["passed"] is False and f"{criteria[1]}: no test" in review["gate"]["problems"]
    assert "README.md mentions every quoted term" in text
    code, status = run(capsys, tmp_path, "status")
    assert status[0]["stale"] == []
    (tmp_path / "report.py").write_text((tmp_path / "report.py").read_text() + "\n# changed\n")
    code, status = run(capsys, tmp_path, "status")
    assert status[0]["stale"] == ["report.py"]


def test_force_goes_on_past_a_failing_gate_and_bad_input_is_a_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, tmp_path, "new", IDEA)
    code, _ = run(capsys, tmp_path, "design", "--force")
    assert code == 0
    code, error = run(capsys, tmp_path, "clarify", "--answer", "Q99=yes")
    assert code == 1 and "has no question Q99" in error
    code, error = run(capsys, tmp_path, "clarify", "--answer", "no equals sign")
    assert code == 1 and "QID=TEXT" in error
    code, error = run(capsys, tmp_path, "tasks", "999")
    assert code == 1 and "001-" in error  # the message lists the specs
    code, error = run(capsys, tmp_path, "new", "   ")
    assert code == 1 and "the idea is empty" in error


def test_the_ml_profile_adds_an_environment_and_a_one_epoch_task(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, tmp_path, "new", "Train a classifier that routes support tickets to the right team with "
        "validation accuracy of at least 85% on last year's tickets.", "--profile", "ml")
    run(capsys, tmp_path, "design", "--force")
    code, _ = run(capsys, tmp_path, "tasks", "--force")
    store = SpecStore(tmp_path)
    tasks = store.read(store.resolve(None), "tasks")
    assert code == 0 and "venv.md" in tasks and "--epochs 1" in tasks


def test_with_two_specs_a_citation_naming_one_counts_in_its_review_only(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for idea in ("Users can export a report as CSV.", "Users can export a report as JSON."):
        run(capsys, tmp_path, "new", idea)
    store = SpecStore(tmp_path)
    first, second = [info.name for info in store.list()]
    (tmp_path / "report.py").write_text(f"def export_json(rows):  # Requirements: {second}/R1.1\n    return rows\n"
                                        f"\n\ndef export_csv(rows):  # Requirements: {first.split('-')[0]}/R1.1\n"
                                        "    return rows\n")
    reviews = {}
    for name in (first, second):
        run(capsys, tmp_path, "design", name, "--force")
        run(capsys, tmp_path, "tasks", name, "--force")
        code, review = run(capsys, tmp_path, "review", name)
        assert code == (0 if review["gate"]["passed"] else 1)  # a failing gate exits 1
        reviews[name] = store.read(store.resolve(name), "review")
    assert "report.py:5 export_csv" in reviews[first] and "export_json" not in reviews[first]
    assert "report.py:1 export_json" in reviews[second] and "export_csv" not in reviews[second]
    assert "not in requirements.md" not in reviews[first] + reviews[second]


def _ml_project(root: Path, readme_extra: str = "") -> str:
    """An ml spec whose every traced requirement has a task, code and a test; its config has a key no code reads
    (a warning)."""
    from specpilot.spec.trace import traced_items
    from specpilot.spec.workflow import SpecWorkflow

    flow = SpecWorkflow(root)
    flow.new("Train a small CNN to classify MNIST digits.", profile="ml")
    flow.design(force=True)
    flow.tasks(force=True)
    store = SpecStore(root)
    requirements, _ = parse_requirements(store.read(store.resolve(None), "requirements"))
    ids = ", ".join(item.id for item in traced_items(requirements))
    (root / "train.py").write_text(
        f"# Requirements: {ids}\nimport argparse\n\nimport yaml\n\n"
        "parser = argparse.ArgumentParser()\nparser.add_argument('--epochs', type=int, default=3)\n"
        "cfg = yaml.safe_load(open('config.yaml'))\nprint(cfg['lr'])\n")
    (root / "config.yaml").write_text("lr: 0.1\nbenchmark: true\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_train.py").write_text(f"def test_train():  # Requirements: {ids}\n    assert True\n")
    (root / "README.md").write_text("Train with `python train.py --epochs 3` (settings in config.yaml).\n"
                                    + readme_extra)
    return store.resolve(None).name


def test_the_review_verdict_agrees_with_its_own_report(tmp_path: Path) -> None:
    from specpilot.spec.documents import parse_review
    from specpilot.spec.workflow import SpecWorkflow

    name = _ml_project(tmp_path)
    result = SpecWorkflow(tmp_path).review(name)
    review, _ = parse_review(result.path.read_text(encoding="utf-8"))
    assert result.gate.passed and review.gaps == []
    assert "(warning)" in review.readme  # a warning is listed: the verdict does not say they agree
    assert review.verdict is not None and "code agree" not in review.verdict and "1 warning(s)" in review.verdict
    # a certain disagreement and no gap: the verdict names the disagreement, not "gap(s) above" over no gaps
    (tmp_path / "README.md").write_text((tmp_path / "README.md").read_text() + "Export: `python export.py`.\n")
    result = SpecWorkflow(tmp_path).review(name)
    review, _ = parse_review(result.path.read_text(encoding="utf-8"))
    assert not result.gate.passed and review.gaps == []
    assert review.verdict == "Changes needed: 1 README/config/code disagreement(s) under README and code."
    # a requirement with a test and no code: the gap is listed under Gaps, as "no code", and counted
    (tmp_path / "README.md").write_text("Train with `python train.py --epochs 3` (settings in config.yaml).\n")
    (tmp_path / "train.py").write_text("\n".join((tmp_path / "train.py").read_text().splitlines()[1:]) + "\n")
    result = SpecWorkflow(tmp_path).review(name)
    review, _ = parse_review(result.path.read_text(encoding="utf-8"))
    assert review.gaps and all(gap.endswith("no code") for gap in review.gaps)
    assert review.verdict == f"Changes needed: {len(review.gaps)} gap(s) under Gaps."


def test_a_requirements_document_without_a_title_gives_stages_the_specs_name(tmp_path: Path) -> None:
    """A hand-edited requirements.md that lost its heading and title: later stages use the spec's name, never
    the word None."""
    from specpilot.spec.workflow import SpecWorkflow

    flow = SpecWorkflow(tmp_path)
    path = flow.new("Users can export the report as CSV. The export SHALL finish within 2 seconds.").path
    kept = [line for line in path.read_text().splitlines() if not line.startswith(("# ", "title:"))]
    path.write_text("\n".join(kept) + "\n")
    design = flow.design(force=True).path.read_text()
    tasks = flow.tasks(force=True).path.read_text()
    assert "# Design: export the report as csv" in design
    assert "None" not in design and "None" not in tasks


def test_the_review_scans_with_the_settings_it_is_given(tmp_path: Path) -> None:
    """A server's settings (the editor's index.exclude included) decide which files the review reads
    citations from, as they decide the sidebar's."""
    from specpilot.core.config import load_settings
    from specpilot.spec.workflow import SpecWorkflow
    from tests.unit.spec.test_lookup import write_spec_workspace

    root = write_spec_workspace(tmp_path / "ws")
    assert not [p for p in SpecWorkflow(root).review("001").gate.problems if "R1.1" in p]
    excluded, _ = load_settings(root, [{"index": {"exclude": ["tests/"]}}])
    problems = SpecWorkflow(root, settings=excluded).review("001").gate.problems
    assert "R1.1: no test" in problems
