"""`specpilot graph` output through a real subprocess: callers of one of several
same-named methods, ambiguous edges marked, callees with their locations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run
from tests.unit.index.test_graph_receivers import SHAPES, USES

NO_MODEL = ["--set", "embedder.enabled=false"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("graph") / "ws"
    root.mkdir()
    (root / "shapes.py").write_text(SHAPES)
    (root / "uses.py").write_text(USES)
    result = run("index", str(root), "-q", *NO_MODEL)
    assert result.returncode == 0, result.stderr
    return root


def test_callers_show_resolved_and_ambiguous_edges(workspace: Path) -> None:
    result = run("graph", "callers", "Circle.area", "-w", str(workspace), *NO_MODEL)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "shapes.py:19  Circle.twice  calls Circle.area" in lines
    assert "uses.py:14  unknown  calls Circle.area  (ambiguous)" in lines
    assert not any("by_constructor" in line or "Dot.size" in line for line in lines)


def test_callers_json_has_the_ambiguity_and_callee(workspace: Path) -> None:
    result = run("graph", "callers", "Square.area", "-w", str(workspace), "--json", *NO_MODEL)
    found = {(c["qualifiedName"], c["callee"], c["ambiguous"]) for c in json.loads(result.stdout)}
    assert ("by_constructor", "Square.area", False) in found
    assert ("rebound", "Square.area", True) in found


def test_callees_print_call_sites_and_definition_locations(workspace: Path) -> None:
    result = run("graph", "callees", "by_constructor", "-w", str(workspace), *NO_MODEL)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["uses.py:9  Square  -> shapes.py:9",
                                          "uses.py:10  Square.area  -> shapes.py:10"]
    edges = json.loads(run("graph", "callees", "unknown", "-w", str(workspace), "--json", *NO_MODEL).stdout)
    assert [(e["path"], e["line"], e["ambiguous"], len(e["definitions"])) for e in edges] == [("uses.py", 14, True, 3)]
