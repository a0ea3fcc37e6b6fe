"""The event log: nothing without a sink; JSON lines, redacted by the face's pass, rotated at the size cap; torn
lines skipped when read back; the setting switches it off."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from specpilot.core import events


@pytest.fixture
def log_folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "events"
    events.uninstall()


def test_nothing_is_written_without_a_sink(log_folder: Path) -> None:
    events.uninstall()
    events.emit("search", ms=1.0)
    assert not log_folder.exists()


def test_events_are_json_lines_redacted_and_read_back(log_folder: Path) -> None:
    events.install("cli", lambda text: text.replace("sk-live-123", "[redacted]"), log_folder)
    events.emit("search", mode="hybrid", ms=12.5, hits=3)
    events.emit("model_call", model="gpt", note="key sk-live-123 in an error")
    lines = (log_folder / "events-cli.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert first["kind"] == "search" and first["face"] == "cli" and first["ms"] == 12.5 and first["at"] > 0
    assert "sk-live-123" not in lines[1] and "[redacted]" in lines[1]
    with (log_folder / "events-cli.jsonl").open("a") as stream:
        stream.write('{"kind": "torn"')  # a crash mid-line
    assert [e["kind"] for e in events.read_events(log_folder)] == ["search", "model_call"]
    assert list(events.read_events(log_folder, since=first["at"] + 3600)) == []


def test_the_log_rotates_at_its_cap(log_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(events, "MAX_BYTES", 2_000)
    monkeypatch.setattr(events, "BACKUPS", 2)
    events.install("server", lambda text: text, log_folder)
    for n in range(300):
        events.emit("request", method="workspace/symbol", ms=float(n), ok=True)
    files = sorted(p.name for p in log_folder.iterdir())
    assert files == ["events-server.jsonl", "events-server.jsonl.1", "events-server.jsonl.2"]
    assert sum(p.stat().st_size for p in log_folder.iterdir()) <= 3 * 2_100
    read = [e["ms"] for e in events.read_events(log_folder)]
    assert read == sorted(read) and read[-1] == 299.0  # oldest file first, the newest events kept


def test_a_folder_that_cannot_be_written_is_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert events.install("cli", lambda text: text, blocker / "events") is None
    assert "event log cannot be written" in caplog.text
    events.emit("search", ms=1.0)  # and emitting is harmless
