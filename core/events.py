"""SpecPilot's event log: one JSON object per thing worth counting, for ``specpilot stats`` and the metrics.

Any layer records an event with :func:`emit` (``emit("search", mode="hybrid", ms=12.5, hits=10)``); it costs a
dictionary when no face listens. A face (the server, the CLI, the MCP server) installs the sinks: the JSONL
file (:func:`install`: ``events-<face>.jsonl`` in the user cache's ``events/``, rotated at ``MAX_BYTES`` with
``BACKUPS`` old files, so at most about 25 MiB per face; each line redacted by the redactor the face passes, the
same pass as its log lines) and, opt-in, the Prometheus metrics (server/metrics.py), which read the same events.

Kinds and their fields (every event also has ``kind``, ``at`` (seconds since the epoch) and ``face``):

- ``request``: an LSP request or command answered: ``method``, ``ms``, ``ok``;
- ``index``: an index pass: ``workspace``, ``files``, ``chunks``, ``embedded``, ``reused``, ``seconds``;
- ``embed``: vectors computed: ``count``, ``seconds``;
- ``search``: ``mode``, ``k``, ``hits``, ``ms``;
- ``agent_step`` and ``tool_call``: ``run``, ``step``, ``tool``, ``ok``;
- ``model_call``: ``provider``, ``model``, ``input_tokens``, ``output_tokens``, ``cost_usd`` (None: unknown price),
  ``ms``;
- ``feedback``: ``point``, ``accepted``; ``promotion``: ``point``, ``arm``, ``kind``.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

LOGGER = "specpilot.events"
MAX_BYTES = 5 << 20
BACKUPS = 4

_log = logging.getLogger(LOGGER)
_log.propagate = False  # events are not log lines: never in the server's log or the editor's output
_log.setLevel(logging.INFO)
_face = "cli"


def emit(kind: str, **fields: Any) -> None:
    """Record one event (nothing happens when no sink is installed)."""
    if not _log.handlers:
        return
    _log.info(kind, extra={"event": {"kind": kind, "at": round(time.time(), 3), "face": _face, **fields}})


class _JsonLines(logging.Formatter):
    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        event = getattr(record, "event", None) or {"kind": record.getMessage()}
        return self.redact(json.dumps(event, default=str, separators=(",", ":")))


def events_dir() -> Path:
    from specpilot.core.paths import user_cache_dir

    return user_cache_dir() / "events"


def install(face: str, redact: Callable[[str], str], folder: Path | None = None) -> logging.Handler | None:
    """Write this process's events to ``folder`` (default :func:`events_dir`) as ``events-<face>.jsonl``;
    None when the folder cannot be written (the face goes on without the log)."""
    global _face
    _face = face
    folder = folder or events_dir()
    uninstall()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(folder / f"events-{face}.jsonl", maxBytes=MAX_BYTES,
                                                       backupCount=BACKUPS, encoding="utf-8")
    except OSError as exc:
        logging.getLogger("specpilot").warning("the event log cannot be written in %s: %s", folder, exc)
        return None
    handler.setFormatter(_JsonLines(redact))
    _log.addHandler(handler)
    return handler


def add_sink(handler: logging.Handler) -> None:
    """Another reader of every event (the metrics): ``handler.emit`` gets records whose ``event`` is the dict."""
    _log.addHandler(handler)


def remove_sink(handler: logging.Handler) -> None:
    _log.removeHandler(handler)
    handler.close()


def uninstall() -> None:
    """Stop writing the event log file (other sinks stay)."""
    for handler in list(_log.handlers):
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            remove_sink(handler)


def read_events(folder: Path | None = None, since: float = 0.0) -> Iterator[dict[str, Any]]:
    """Every event in ``folder``'s logs (oldest files first) at or after ``since``; torn lines are skipped."""
    folder = folder or events_dir()
    files = sorted(folder.glob("events-*.jsonl*"), key=lambda p: (p.name.split(".jsonl")[0],
                                                                   -int(p.suffix[1:]) if p.suffix[1:].isdigit()
                                                                   else 0))
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and float(event.get("at") or 0) >= since:
                yield event
