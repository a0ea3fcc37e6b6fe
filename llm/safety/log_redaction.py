"""Log lines pass through redaction before they are written anywhere.

:class:`RedactingFormatter` formats a record as ``logging.Formatter`` does
(message, arguments, traceback) and then redacts the whole line, so a secret in
an exception message, a request dump or a model's answer never reaches a log
file, stderr or the editor's output panel. Every handler SpecPilot installs uses it.
"""

from __future__ import annotations

import logging


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        from specpilot.llm.safety.redaction import redact  # loaded with the first line logged, not at start

        return redact(super().format(record)).text
