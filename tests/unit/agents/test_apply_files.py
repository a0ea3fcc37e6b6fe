"""``specpilot agent run --apply`` with an edit that creates and deletes files (unified diffs with
``/dev/null`` on one side), through the real loop, a loopback model server and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.loopback.openai_server as openai_wire
from specpilot.ast_tools.edits import CREATE, DELETE, EDIT
from tests.loopback import LoopbackServer
from tests.unit.agents.test_loop import CALC, FIX, call, model_from_env, project, session  # noqa: F401 (fixture)

NEW_TEST = ("--- /dev/null\n+++ b/tests/test_mul.py\n@@ -0,0 +1,5 @@\n+from calc import mul\n+\n+\n"
            "+def test_mul():\n+    assert mul(2, 3) == 6\n")
DELETE_OLD = ("--- a/legacy.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-# unused\n-OLD = 1\n")


@pytest.fixture
def cli_model(openai_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch, project: Path) -> LoopbackServer:  # noqa: F811
    model_from_env(monkeypatch, openai_server)
    (project / "pyproject.toml").write_text('[tool.specpilot.embedder]\nenabled = false\n')
    (project / "legacy.py").write_text("# unused\nOLD = 1\n")
    return openai_server


def test_agent_run_apply_creates_and_deletes_files(project: Path, cli_model: LoopbackServer,  # noqa: F811
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from specpilot.cli import main

    cli_model.push(openai_wire.answer(tool_calls=[call("propose_patch", {"diff": FIX + NEW_TEST + DELETE_OLD})]),
                   openai_wire.answer("Fixed add, added a test for mul, removed legacy.py."),
                   openai_wire.answer("DONE"))
    assert main(["agent", "run", "-w", str(project), "--quiet", "--no-critic", "Tidy up", "--apply"]) == 0
    out = capsys.readouterr()
    assert "+++ /dev/null" in out.out and "--- /dev/null" in out.out  # the diff shown names both
    assert "wrote 3 file(s)" in out.err
    assert (project / "calc.py").read_text() == CALC.replace("a - b", "a + b")
    assert (project / "tests" / "test_mul.py").read_text().startswith("from calc import mul\n")
    assert not (project / "legacy.py").exists()


def test_a_file_created_or_changed_after_the_proposal_refuses_the_whole_apply(
        project: Path, openai_server: LoopbackServer) -> None:  # noqa: F811
    from specpilot.ast_tools.edits import Refusal, apply

    (project / "legacy.py").write_text("# unused\nOLD = 1\n")
    openai_server.push(openai_wire.answer(tool_calls=[call("propose_patch", {"diff": FIX + NEW_TEST + DELETE_OLD})]),
                       openai_wire.answer("Done."), openai_wire.answer("DONE"))
    result = session(project, openai_server).run("Tidy up")
    assert result.edit is not None and len(result.edit.files) == 3
    (project / "tests" / "test_mul.py").write_text("# the user wrote this while the agent ran\n")
    with pytest.raises(Refusal, match="test_mul.py already exists since it was read; nothing was written"):
        apply(result.edit, project)
    assert (project / "calc.py").read_text() == CALC and (project / "legacy.py").exists()
    (project / "tests" / "test_mul.py").unlink()
    (project / "legacy.py").write_text("# unused\nOLD = 2\n")
    with pytest.raises(Refusal, match="legacy.py changed since it was read"):
        apply(result.edit, project)
    assert (project / "calc.py").read_text() == CALC and not (project / "tests" / "test_mul.py").exists()


def test_the_loop_combines_a_create_a_delete_and_an_edit(project: Path, openai_server: LoopbackServer) -> None:  # noqa: F811
    (project / "legacy.py").write_text("# unused\nOLD = 1\n")
    openai_server.push(openai_wire.answer(tool_calls=[call("propose_patch", {"diff": NEW_TEST})]),
                       openai_wire.answer(tool_calls=[call("propose_patch", {"diff": DELETE_OLD + FIX})]),
                       openai_wire.answer("Done."), openai_wire.answer("DONE"))
    result = session(project, openai_server).run("Tidy up")
    assert result.edit is not None
    assert {f.path: f.action for f in result.edit.files} == {
        "calc.py": EDIT, "legacy.py": DELETE, "tests/test_mul.py": CREATE}
    assert (project / "legacy.py").exists() and not (project / "tests" / "test_mul.py").exists()  # proposed only
