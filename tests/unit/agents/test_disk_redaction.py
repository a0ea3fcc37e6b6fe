"""What SpecPilot writes to disk never holds a raw secret: trajectories, the fine-tune export,
log files (server, CLI, the editor's output panel), build logs and spec documents get the same
redacted text as what is sent to a model."""

from __future__ import annotations

import logging
from pathlib import Path

import tests.loopback.openai_server as openai_wire
from specpilot.agents.session import trajectory_dir
from specpilot.agents.trajectory import TrajectoryWriter, export_finetune, record_feedback
from specpilot.server.logs import EditorLogHandler, configure
from specpilot.spec.store import SpecStore
from tests.loopback import LoopbackServer
from tests.unit.agents.secrets_corpus import SECRET_CASES, pem
from tests.unit.agents.test_loop import call, session

GITHUB = next(c for c in SECRET_CASES if c.id == "github-classic-yaml").secrets[0]
DJANGO = next(c for c in SECRET_CASES if c.id == "django-insecure-key").secrets[0]


def all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.rglob("*")) if p.is_file())


def test_trajectories_and_the_finetune_export_hold_no_secret(tmp_path: Path, openai_server: LoopbackServer) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    key = pem("EC PRIVATE KEY", 120)
    (root / "deploy.txt").write_text("key:\n" + key + f"\nSECRET_KEY = '{DJANGO}'\n")
    openai_server.push(openai_wire.answer(tool_calls=[call("read_file", {"path": "deploy.txt"})]),
                       openai_wire.answer(f"The file holds a key; the CI token was {GITHUB}."),
                       openai_wire.answer("DONE"))
    agent = session(root, openai_server)
    result = agent.run(f"What is in deploy.txt? CI uses {GITHUB}")
    agent.feedback(result.run_id, accepted=True)
    written = all_text(trajectory_dir(root))
    assert "deploy.txt" in written and "[REDACTED:" in written
    body = key.splitlines()[1]
    for secret in (GITHUB, DJANGO, body):
        assert secret not in written
    out = tmp_path / "dataset.jsonl"
    assert export_finetune(trajectory_dir(root), out) == (1, 1)
    exported = out.read_text(encoding="utf-8")
    assert "[REDACTED:" in exported and GITHUB not in exported and body not in exported


def test_the_export_redacts_a_trajectory_written_without_redaction(tmp_path: Path) -> None:
    folder = tmp_path / "trajectories"
    writer = TrajectoryWriter(folder)
    # An older SpecPilot wrote raw text: simulate it by appending the line directly.
    raw = ('{"kind": "conversation", "messages": [{"role": "user", "content": "token: ' + GITHUB + '"}], '
           '"tools": []}\n')
    with writer.path.open("a", encoding="utf-8") as sink:
        sink.write(raw)
    record_feedback(folder, writer.run_id, accepted=True)
    out = tmp_path / "out.jsonl"
    assert export_finetune(folder, out) == (1, 1)
    assert GITHUB not in out.read_text() and "[REDACTED:github_token]" in out.read_text()


def test_server_logs_file_stderr_and_editor_panel_are_redacted(tmp_path: Path) -> None:
    sent: list[str] = []
    editor = EditorLogHandler(lambda level, text: sent.append(text))
    handlers = configure("debug", editor, tmp_path)
    try:
        for handler in handlers:
            assert handler.formatter is not None
            line = handler.format(logging.LogRecord("specpilot.agents", logging.WARNING, __file__, 1,
                                                    "model said %s", (f"use {GITHUB}",), None))
            assert GITHUB not in line and "[REDACTED:github_token]" in line
        logging.getLogger("specpilot.agents").warning("request failed: Authorization: Bearer %s", DJANGO[:30] + "Zz9")
        for handler in handlers:
            handler.flush()
        logged = (tmp_path / "server.log").read_text()
        assert "request failed" in logged and DJANGO[:30] not in logged
    finally:
        for name in ("specpilot", "pygls"):
            for handler in handlers:
                logging.getLogger(name).removeHandler(handler)
            logging.getLogger(name).propagate = True
        for handler in handlers:
            handler.close()


def test_build_logs_and_spec_documents_are_written_redacted(tmp_path: Path) -> None:
    store = SpecStore(tmp_path)
    info = store.create("CSV export")
    path = store.write(info, "build_log", f"# Build log\n\n- ran with GITHUB_TOKEN={GITHUB}\n")
    text = path.read_text()
    assert GITHUB not in text and "GITHUB_TOKEN=[REDACTED:github_token]" in text
    requirements = store.read(info, "requirements")
    store.write(info, "requirements", requirements + f"\nThe deploy key is {GITHUB}.\n")
    assert GITHUB not in (path.parent / "requirements.md").read_text()
