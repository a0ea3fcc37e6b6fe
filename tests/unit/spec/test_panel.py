"""spec/panel.py: the spec panel's model of a real spec workspace in tmp_path: gates with the
failing checks first, clarity and open questions, tasks by state with the diff of a run, the
review matrix with its gaps, and drift."""

from __future__ import annotations

import json
from pathlib import Path

from specpilot.spec.gates import GateResult, record_gate
from specpilot.spec.lookup import load
from specpilot.spec.panel import spec_detail
from tests.fixtures import write_files
from tests.unit.spec.test_lookup import SPEC, write_spec_workspace

PATCH = "--- a/report/csv.py\n+++ b/report/csv.py\n@@ -1 +1 @@\n-x\n+y\n"
LOG = """\
---
spec: 001-csv-export
stage: implementation
---
# Build log: CSV export

## T1 Add the CSV writer (2026-12-03 10:00 UTC)

- Outcome: answered (proposed, not written): wrote the writer
- Files touched: report/csv.py
- Tests run: (none)
- Run: 20261203-100000-abc123
"""


def gated(root: Path, document: str, result: GateResult) -> None:
    path = root / SPEC / document
    path.write_text(record_gate(path.read_text(), result))


def test_the_model_of_a_spec(tmp_path: Path) -> None:
    root = write_spec_workspace(tmp_path)
    gated(root, "requirements.md", GateResult("requirements", True))
    gated(root, "tasks.md", GateResult("tasks", False, ["T1 cites S1, which is not a criterion",
                                                        "R2 has no task"], forced=["R2 has no task"]))
    trajectories = tmp_path / "trajectories"
    write_files(root, {f"{SPEC}/build_log.md": LOG})
    trajectories.mkdir()
    (trajectories / "20261203-100000-abc123.jsonl").write_text("\n".join([
        json.dumps({"kind": "tool", "call": {"name": "read_file", "arguments": "{}"}, "ok": True}),
        "{torn",
        json.dumps({"kind": "tool", "call": {"name": "propose_patch", "arguments": json.dumps({"diff": "bad"})},
                    "ok": False}),
        json.dumps({"kind": "tool", "call": {"name": "propose_patch", "arguments": json.dumps({"diff": PATCH})},
                    "ok": True})]))

    model = spec_detail(load(root), "001-csv-export", trajectories)
    assert model is not None
    assert (model["name"], model["title"], model["stage"]) == ("001-csv-export", "CSV export", "tasks")
    gates = {g["stage"]: g for g in model["gates"]}
    assert [g["stage"] for g in model["gates"]] == ["requirements", "design", "tasks", "implement", "review"]
    assert gates["requirements"] == {"stage": "requirements", "passed": True,
                                     "checks": [{"text": "every check of this gate passes", "passed": True}]}
    assert gates["design"] == {"stage": "design", "passed": None, "checks": []}  # no design.md yet
    assert gates["tasks"]["passed"] is False
    assert [(c["text"], c["forced"]) for c in gates["tasks"]["checks"]] == [
        ("T1 cites S1, which is not a criterion", False), ("R2 has no task", True)]
    assert gates["implement"]["checks"] == [{"text": "1 of 2 tasks done (open: T1)", "passed": False}]

    requirements = {r["id"]: r for r in model["requirements"]}
    assert requirements["R1.2"]["clarity"] == 0.4
    assert requirements["R1.2"]["questions"] == [
        {"id": "Q1", "text": "Should overwriting need confirmation in non-interactive runs too?"}]
    assert requirements["R1.1"]["questions"] == []
    assert requirements["R1.1"]["place"]["path"] == f"{SPEC}/requirements.md"

    tasks = {t["id"]: t for t in model["tasks"]}
    assert (tasks["T1"]["state"], tasks["T2"]["state"]) == ("in_progress", "done")  # T1 ran, not done
    assert tasks["T1"]["diff"] == PATCH  # the run's accepted patch, not the failed one
    assert "diff" not in tasks["T2"]

    review = {row["requirement"]: row for row in model["review"]}
    assert review["R1.1"]["tasks"] == ["T1"]
    assert [p["label"] for p in review["R1.1"]["code"]] == ["report/csv.py:2 write_csv"]
    assert [p["path"] for p in review["R1.1"]["tests"]] == ["tests/test_csv.py"]
    assert review["R1.1"]["gap"] is None
    assert review["R1.2"]["gap"] == "no code"
    assert model["drift"] == [] and model["stale"] is False


def test_an_unknown_spec_is_none_and_a_missing_run_has_no_diff(tmp_path: Path) -> None:
    root = write_spec_workspace(tmp_path, with_test=False)
    write_files(root, {f"{SPEC}/build_log.md": LOG})
    catalog = load(root)
    assert spec_detail(catalog, "999-nothing") is None
    model = spec_detail(catalog, "001-csv-export", tmp_path / "no-trajectories")
    assert model is not None
    t1 = next(t for t in model["tasks"] if t["id"] == "T1")
    assert "diff" not in t1 and t1["state"] == "in_progress"
    assert next(r for r in model["review"] if r["requirement"] == "R1.1")["gap"] == "no test"
