"""Server logging: to the editor (``window/logMessage``) and to a rotating file.

Records can come from any thread (indexing, watcher, queries); the editor
handler hands them to the event loop, which owns the connection.
"""

from __future__ import annotations

import asyncio
import logging
import logging.handlers
import os
from collections.abc import Callable
from pathlib import Path

from specpilot.core import events
from specpilot.llm.safety.log_redaction import RedactingFormatter

LOG_FILE = "server.log"
LOG_FILE_BYTES = 2 << 20
LOG_FILE_BACKUPS = 3
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class EditorLogHandler(logging.Handler):
    """Forwards records to ``send(level, text)`` on the event loop."""

    def __init__(self, send: Callable[[int, str], None]) -> None:
        super().__init__()
        self._send = send
        self.loop: asyncio.AbstractEventLoop | None = None
        self.setFormatter(RedactingFormatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            text = self.format(record)
            loop.call_soon_threadsafe(self._send, record.levelno, text)
        except RuntimeError:  # the loop closed between the check and the call
            pass
        except Exception:
            self.handleError(record)


def configure(level: str, editor: EditorLogHandler | None, folder: Path | None) -> list[logging.Handler]:
    """Send ``specpilot.*`` records at ``level`` (and pygls warnings, which include
    handler faults) to the editor and to ``folder/server.log``."""
    numeric = LEVELS.get(level, logging.INFO)
    stderr = logging.StreamHandler()  # stdout carries the protocol; editors capture stderr
    stderr.setFormatter(RedactingFormatter(FORMAT))
    stderr.setLevel(max(numeric, logging.WARNING))
    handlers: list[logging.Handler] = [stderr]
    if editor is not None:
        editor.setLevel(numeric)
        handlers.append(editor)
    if folder is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            file_handler = logging.handlers.RotatingFileHandler(
                folder / LOG_FILE, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_BACKUPS, encoding="utf-8")
            file_handler.setFormatter(RedactingFormatter(FORMAT))
            file_handler.setLevel(min(numeric, logging.INFO))  # the file keeps info even when the editor wants less
            handlers.append(file_handler)
        except OSError as exc:
            logging.getLogger("specpilot.server").warning("cannot write the log file in %s: %s", folder, exc)
    for name, floor in (("specpilot", min(numeric, logging.INFO)), ("pygls", logging.WARNING)):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            if getattr(handler, "_specpilot_server", False):
                logger.removeHandler(handler)
                if handler not in handlers:
                    handler.close()
        logger.setLevel(floor)
        for handler in handlers:
            handler._specpilot_server = True  # type: ignore[attr-defined]
            logger.addHandler(handler)
        logger.propagate = False
    return handlers


def event_log(face: str, enabled: bool) -> None:
    """This face's local event log (core/events.py), each line redacted as log lines are; ``enabled`` False (the
    setting observability.eventLog) or ``$SPECPILOT_EVENTS=off``: none."""
    if not enabled or os.environ.get("SPECPILOT_EVENTS", "").lower() == "off":
        events.uninstall()
        return
    from specpilot.llm.safety.redaction import redact

    events.install(face, lambda text: redact(text).text)
