"""Identifier-aware terms for the full-text index.

LanceDB's tokenizer splits on whitespace; this module decides what the words are.
An identifier is kept whole (so ``parse_headers`` matches exactly) and also split
into its snake_case / camelCase parts (so "parse the headers" matches it too).
The same function builds the indexed text and the query text.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9]+")
# Boundaries inside an identifier: lower->Upper, ACRONYMWord, letter<->digit.
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
MAX_TERM = 40  # the FTS index drops longer tokens anyway


def split_identifier(word: str) -> list[str]:
    """``parseHTTPHeaders_v2`` -> ``['parse', 'http', 'headers', 'v', '2']``."""
    return [part.lower() for piece in word.split("_") if piece for part in _PARTS.findall(piece)]


@lru_cache(maxsize=1 << 18)
def _word_terms(word: str) -> tuple[str, ...]:
    lowered = word.lower().strip("_")
    if not lowered:
        return ()
    parts = split_identifier(word)
    whole = (lowered,) if len(lowered) <= MAX_TERM else ()
    return whole + tuple(parts) if len(parts) > 1 else whole


def terms(text: str) -> list[str]:
    """Lower-cased terms: each identifier whole, then its parts when it has several."""
    out: list[str] = []
    for word in _WORD.findall(text):
        out.extend(_word_terms(word))  # code repeats its identifiers: cache per word
    return out


def term_text(text: str) -> str:
    return " ".join(terms(text))


def looks_like_identifier(query: str) -> bool:
    """A single token such as ``parse_headers``, ``HTTPMessage`` or ``Parser.parse``."""
    stripped = query.strip()
    return bool(stripped) and " " not in stripped and bool(re.fullmatch(r"[A-Za-z_][\w.:]*", stripped))
