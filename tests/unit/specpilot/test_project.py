"""The engine façade both faces build with open_project: one wiring of settings, index, spec store, model and
agent, and neither face wires the workflow or the agent by itself."""

from __future__ import annotations

import ast
from pathlib import Path

from specpilot.core.config import Settings
from specpilot.index.engine import WorkspaceIndex
from specpilot.project import open_project

ROOT = Path(__file__).resolve().parents[3]


def offline_settings() -> Settings:
    settings = Settings()
    settings.embedder.enabled = False
    return settings


def test_the_workflow_shares_the_projects_store_with_the_editors_buffers(tmp_path: Path) -> None:
    buffers: dict[str, tuple[str, int]] = {}
    project = open_project(tmp_path, settings=offline_settings(), buffers=buffers)
    flow = project.workflow(retrieval=False)
    assert project.author() is None  # no model configured: the drafter writes
    first = flow.new("Users can export the report as CSV.").spec.name
    flow.new("Admins can archive old reports.")
    assert flow.store is project.specs
    buffers[f".specpilot/specs/{first}/design.md"] = ("# Design\n", 2)  # open in the editor: the latest
    assert flow.store.resolve().name == first


def test_a_lent_index_answers_retrieval_and_is_not_closed_by_the_project(tmp_path: Path) -> None:
    (tmp_path / "report.py").write_text("def export_csv(rows):\n    return ','.join(rows)\n")
    index = WorkspaceIndex(tmp_path, offline_settings())
    try:
        index.update()
        project = open_project(tmp_path, settings=offline_settings(), index=index)
        assert ("report.py", "export_csv", 1) in project.retrieve("export csv", 5)
        project.close()
        assert index.search("export_csv", mode="bm25")  # still open: the server owns it
    finally:
        index.close()


def test_settings_problems_are_kept_for_the_face_to_report(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.specpilot.search]\nk = "many"\n')
    project = open_project(tmp_path)
    assert [p.key for p in project.problems] == ["tool.specpilot.search.k"]
    assert project.settings.search.k == Settings().search.k


def test_neither_face_wires_the_workflow_or_the_agent_itself() -> None:
    """The CLI (specpilot/cli*.py) and the server build SpecWorkflow and AgentSession only through the façade."""
    faces = [*sorted((ROOT / "specpilot").glob("cli*.py")), *sorted((ROOT / "server").rglob("*.py"))]
    wired: list[str] = []
    for path in faces:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = ast.unparse(node.func)
                if name in ("SpecWorkflow", "AgentSession.open", "AgentSession", "Author", "make_provider"):
                    wired.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}(...)")
    assert len(faces) > 10 and wired == []
