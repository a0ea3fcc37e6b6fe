"""Secrets already found once are recognised again in any shape, for the life of the process.

A tool's output can quote a piece of a secret with nothing around it that says
"secret": a linter reports ``Undefined name `M0Xvq...``` for the body of
``OPENAI_API_KEY=sk-M0Xvq...`` read as Python. ``specpilot.llm.safety.redaction.redact``
teaches every secret it finds to :data:`KNOWN`, and replaces every later
occurrence of it, or of one of its long letter-and-digit pieces, whatever
surrounds it. Values are kept in memory only, never written, and a bounded
number of them (the oldest go first).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterator

MIN_PIECE_CHARS = 10
MAX_VALUES = 4096
_PIECE = re.compile(r"[A-Za-z0-9]{%d,}" % MIN_PIECE_CHARS)  # noqa: UP031 - a regex quantifier, not text


def _distinctive(piece: str) -> bool:
    """Letters mixed with digits, or long: a word on its own is not worth redacting everywhere."""
    has_digit = any(c.isdigit() for c in piece)
    has_alpha = any(c.isalpha() for c in piece)
    return (has_digit and has_alpha) or len(piece) >= 20


class KnownSecrets:
    def __init__(self, limit: int = MAX_VALUES) -> None:
        self._pieces: OrderedDict[str, str] = OrderedDict()  # piece -> kind
        self._limit = limit
        self._lock = threading.Lock()

    def learn(self, value: str, kind: str) -> None:
        """Remember ``value`` (a secret just found) and its long letter-and-digit pieces."""
        pieces = {value} if len(value) >= MIN_PIECE_CHARS and _distinctive(value) else set()
        pieces.update(p for p in _PIECE.findall(value) if _distinctive(p))
        if not pieces:
            return
        with self._lock:
            for piece in pieces:
                self._pieces[piece] = kind
                self._pieces.move_to_end(piece)
            while len(self._pieces) > self._limit:
                self._pieces.popitem(last=False)

    def find(self, text: str) -> Iterator[tuple[int, int, str]]:
        """``(start, end, kind)`` of every occurrence in ``text`` of a remembered secret or piece."""
        with self._lock:
            pieces = list(self._pieces.items())
        for piece, kind in pieces:
            position = text.find(piece)
            while position >= 0:
                yield position, position + len(piece), kind
                position = text.find(piece, position + len(piece))

    def __len__(self) -> int:
        return len(self._pieces)

    def forget(self) -> None:
        with self._lock:
            self._pieces.clear()


KNOWN = KnownSecrets()
"""The process's memory of secrets found so far."""
