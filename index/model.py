"""Plain data types shared by the index modules (no LSP, no LanceDB types)."""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass, field
from typing import Any, NamedTuple


def content_hash(text: str) -> str:
    """Stable hash of the text a chunk is embedded from (keys the embedding cache)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class Chunk:
    """One searchable piece of a file: a symbol (function, method, class, module
    header) or, for languages without a grammar, a window of lines.

    ``path`` is workspace-relative with forward slashes; lines are 1-based and
    inclusive. ``content_hash`` covers ``embed_text()`` so that an unchanged chunk
    is never embedded twice.
    """

    path: str
    language: str
    kind: str  # function | method | class | module | window
    name: str
    qualified_name: str
    signature: str
    docstring: str
    start_line: int
    end_line: int
    text: str
    content_hash: str = ""
    ordinal: int = 0  # tells apart chunks with the same qualified name in one file

    @property
    def id(self) -> str:
        return f"{self.path}::{self.qualified_name}::{self.ordinal}"

    def embed_text(self) -> str:
        return embed_text(self.path, self.kind, self.qualified_name, self.signature, self.docstring, self.text)


def embed_text(path: str, kind: str, qualified_name: str, signature: str, docstring: str, text: str) -> str:
    """What the embedder sees: a short header that names the symbol, then the code."""
    header = f"{path} {kind} {qualified_name}"
    if signature:
        header += f"\n{signature}"
    if docstring:
        header += f"\n{docstring}"
    return f"{header}\n{text}"


class SymbolEntry(NamedTuple):
    """A row of the symbol graph (a tuple, so it goes to SQLite as it is).

    ``kind`` is ``def`` (a definition of ``name``), ``call`` (a call of / reference
    to ``name``) or ``import`` (``name`` imported; ``target`` is the module path as
    written). ``scope`` is the qualified name of the enclosing definition, or ``""``
    at module level. A Python class's ``def`` row has target ``class:Base1,Base2``.
    """

    path: str
    name: str
    kind: str
    line: int
    scope: str
    target: str = ""
    # A call's receiver (index/receivers.py): the class whose method it calls, "?"
    # when unknown (an ambiguous edge), "" for a bare call or a language not analysed.
    receiver: str = ""


@dataclass(slots=True)
class ParsedFile:
    path: str
    language: str
    chunks: list[Chunk] = field(default_factory=list)
    symbols: list[SymbolEntry] = field(default_factory=list)
    # A file with syntax errors is still chunked (tree-sitter recovers); the first
    # error location is recorded here so callers can log it.
    syntax_error: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # Parse workers send tens of thousands of chunks and symbols a second. As
        # plain tuples they unpickle about 3x faster than as dataclasses, which keeps
        # the receiving thread's share of the GIL (and so query latency) down.
        return (_parsed_file, (self.path, self.language, [astuple(c) for c in self.chunks],
                               [tuple(s) for s in self.symbols], self.syntax_error))


def _parsed_file(path: str, language: str, chunks: list[tuple[Any, ...]], symbols: list[tuple[Any, ...]],
                 syntax_error: str | None) -> ParsedFile:
    return ParsedFile(path, language, [Chunk(*c) for c in chunks], list(map(SymbolEntry._make, symbols)),
                      syntax_error)
