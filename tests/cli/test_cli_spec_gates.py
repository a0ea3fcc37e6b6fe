"""``specpilot spec gates``: the gates run again on the documents as they are, through a real subprocess."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_exit_codes import run
from tests.unit.spec.test_lookup import write_spec_workspace


def test_gates_report_and_the_exit_status_follows_them(tmp_path: Path) -> None:
    root = write_spec_workspace(tmp_path / "ws")
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    done = run("spec", "gates", "001", "-w", str(root), cwd=tmp_path)
    as_json = run("spec", "gates", "001", "-w", str(root), "--json", cwd=tmp_path)
    gates = {g["stage"]: g for g in json.loads(as_json.stdout)["gates"]}
    assert done.returncode == 1 == as_json.returncode, done.stderr  # a gate fails
    assert done.stdout.splitlines()[0] == "001-csv-export: CSV export (stage tasks)"
    assert "    - R1.2: clarity 0.40 < 0.6 and no answer to Q1" in done.stdout
    assert "    - T2: cites R9, which is not in requirements.md" in done.stdout
    assert [(s, g["passed"]) for s, g in gates.items()] == [("requirements", False), ("design", None),
                                                            ("tasks", False), ("review", None)]
    for stage, gate in gates.items():
        mark = {True: "pass", False: "FAIL", None: "-"}[gate["passed"]]
        assert any(line.split()[:2] == [stage, mark] for line in done.stdout.splitlines())
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before  # nothing is written
    missing = run("spec", "gates", "042", "-w", str(root), cwd=tmp_path)
    assert missing.returncode == 1 and "042" in missing.stderr
