"""Split a source file into searchable chunks and extract its symbol graph.

Files in a language with a grammar (see ``languages.py``) are chunked by symbol:

* every function and method is a chunk (``function`` / ``method``); nested
  functions get their own chunk too and also stay in their parent's text;
* every class-like definition (Python/JS/TS/Java classes, interfaces, enums,
  records, Go type declarations, Rust structs/enums/traits/impl blocks) is a
  ``class`` chunk whose text is the class with each method's (and nested
  class's) body elided to ``...``: the header, docstring, fields and the method
  signatures stay, so the chunk reads as an outline of the class;
* what is left at module level (docstring, imports, constants, top-level code)
  becomes a ``module`` chunk, or several line windows of kind ``module`` when
  it is long.

A chunk longer than ``max_chunk_lines`` is split into parts of about equal size
that share the qualified name and signature (the docstring goes with the first
part) and differ by ``ordinal``. Files without a grammar, and files the parser
gives up on, are cut into overlapping line windows.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import PurePosixPath

from tree_sitter import QueryCursor, Tree

from .languages import LanguageSpec, get_error_query, get_parser, language_for_path, spec_for_path
from .model import Chunk, ParsedFile, SymbolEntry, content_hash, embed_text
from .outline import Definition, outline
from .spans import Span, python_docstring, span_of

MODULE = "<module>"

logger = logging.getLogger(__name__)


class _Emitter:
    """Builds chunks for one file, numbering repeated qualified names."""

    def __init__(self, path: str, language: str) -> None:
        self.path = path
        self.language = language
        self.chunks: list[Chunk] = []
        self._ordinals: dict[str, int] = {}

    def emit(
        self, kind: str, name: str, qualified_name: str, signature: str, docstring: str,
        first_row: int, last_row: int, text: str,
    ) -> None:
        ordinal = self._ordinals.get(qualified_name, 0)
        self._ordinals[qualified_name] = ordinal + 1
        digest = content_hash(embed_text(self.path, kind, qualified_name, signature, docstring, text))
        self.chunks.append(
            Chunk(self.path, self.language, kind, name, qualified_name, signature, docstring,
                  first_row + 1, last_row + 1, text, digest, ordinal)
        )


def _parts(count: int, max_lines: int) -> list[tuple[int, int]]:
    """``[start, stop)`` index ranges cutting ``count`` lines into near-equal parts."""
    if count <= max_lines:
        return [(0, count)]
    n_parts = -(-count // max_lines)
    size = -(-count // n_parts)
    return [(i, min(i + size, count)) for i in range(0, count, size)]


def _windows(count: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """``[start, stop)`` ranges of ``size`` lines overlapping by ``overlap``."""
    step = max(1, size - max(0, overlap))
    out: list[tuple[int, int]] = []
    start = 0
    while start < count:
        stop = min(start + size, count)
        out.append((start, stop))
        if stop == count:
            break
        start += step
    return out


def _window_chunks(
    emitter: _Emitter, lines: Sequence[str], window_lines: int, window_overlap: int
) -> None:
    name = PurePosixPath(emitter.path).name
    for start, stop in _windows(len(lines), max(1, window_lines), window_overlap):
        if not any(line.strip() for line in lines[start:stop]):
            continue
        emitter.emit("window", name, f"{name}:{start + 1}-{stop}", "", "", start, stop - 1,
                     "\n".join(lines[start:stop]))


def _class_lines(
    d: Definition, span: Span, spans: dict[Definition, Span], lines: list[str], braces: bool
) -> tuple[list[int], list[str]]:
    """Rows and text of a class with its methods' and nested classes' bodies elided."""
    rows: list[int] = []
    texts: list[str] = []
    row = span.first_row
    for child in d.children:
        child_span = spans.get(child)
        if child_span is None:
            continue
        elide_from = child_span.header_row + 1
        elide_to = child_span.last_row
        if braces and lines[elide_to].lstrip().startswith("}"):
            elide_to -= 1  # keep the closing brace line
        if elide_from > elide_to or elide_from < row:
            continue
        rows.extend(range(row, elide_from))
        texts.extend(lines[row:elide_from])
        first = lines[elide_from]
        rows.append(elide_from)
        texts.append(first[: len(first) - len(first.lstrip())] + "...")
        row = elide_to + 1
    rows.extend(range(row, span.last_row + 1))
    texts.extend(lines[row : span.last_row + 1])
    return rows, texts


def _definition_chunks(
    emitter: _Emitter, d: Definition, spans: dict[Definition, Span], lines: list[str],
    spec: LanguageSpec, max_chunk_lines: int,
) -> None:
    span = spans[d]
    if d.kind == "class":
        rows, texts = _class_lines(d, span, spans, lines, spec.braces)
    else:
        rows = list(range(span.first_row, span.last_row + 1))
        texts = lines[span.first_row : span.last_row + 1]
    parts = _parts(len(rows), max_chunk_lines)
    for index, (start, stop) in enumerate(parts):
        # Parts tile the definition's range, elided lines included.
        last_row = rows[stop] - 1 if stop < len(rows) else span.last_row
        emitter.emit(d.kind, d.name, d.qualified_name, span.signature,
                     span.docstring if index == 0 else "",
                     rows[start], last_row, "\n".join(texts[start:stop]))


def _module_chunks(
    emitter: _Emitter, lines: list[str], covered: bytearray, docstring: str,
    max_chunk_lines: int, window_lines: int, window_overlap: int,
) -> None:
    """The non-blank lines no definition chunk covers, gaps shown as one blank line."""
    rows = [row for row, line in enumerate(lines) if not covered[row] and line.strip()]
    if not rows:
        return
    name = PurePosixPath(emitter.path).name
    if len(rows) <= max_chunk_lines:
        ranges = [(0, len(rows))]
    else:
        ranges = _windows(len(rows), max(1, window_lines), window_overlap)
    for index, (start, stop) in enumerate(ranges):
        texts: list[str] = []
        previous = -2
        for row in rows[start:stop]:
            if texts and row != previous + 1:
                texts.append("")
            texts.append(lines[row])
            previous = row
        emitter.emit("module", name, MODULE, "", docstring if index == 0 else "",
                     rows[start], rows[stop - 1], "\n".join(texts))


def first_syntax_error(spec: LanguageSpec, tree: Tree) -> str | None:
    """``"line N: syntax error"`` for the first error in ``tree``, if any."""
    if not tree.root_node.has_error:
        return None
    captures = QueryCursor(get_error_query(spec.grammar)).captures(tree.root_node)
    nodes = captures.get("error", []) + captures.get("missing", [])
    if not nodes:
        return "syntax error"
    # Recovery can wrap a whole file in one ERROR node; the innermost error that
    # ends first points at the actual mistake.
    first = min(nodes, key=lambda node: (node.end_byte, -node.start_byte))
    line = first.start_point.row + 1
    if first.is_missing:
        return f"line {line}: syntax error (missing {first.type!r})"
    return f"line {line}: syntax error"


def chunk_file(
    path: str, text: str, *, max_chunk_lines: int = 120, window_lines: int = 60, window_overlap: int = 10
) -> ParsedFile:
    """Chunk one file and extract its symbol graph.

    ``path`` is workspace-relative with forward slashes; it picks the language and
    is stored on every chunk and symbol. See the module docstring for what the
    chunks are. Never raises on bad source: syntax errors are recorded in
    ``ParsedFile.syntax_error`` and the file is chunked anyway.
    """
    spec = spec_for_path(path)
    language = spec.name if spec is not None else (language_for_path(path) or "text")
    parsed = ParsedFile(path, language)
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if not text.strip():
        return parsed
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # the final newline does not start a line
    max_chunk_lines = max(1, max_chunk_lines)
    emitter = _Emitter(path, language)
    parsed.chunks = emitter.chunks
    if spec is None:
        _window_chunks(emitter, lines, window_lines, window_overlap)
        return parsed

    try:
        parsed.symbols, parsed.syntax_error = _symbol_chunks(
            emitter, spec, text, lines, max_chunk_lines, window_lines, window_overlap
        )
    except Exception as exc:  # a grammar or chunker bug must not lose the file
        logger.warning("chunking %s by symbols failed; using line windows", path, exc_info=True)
        emitter = _Emitter(path, language)
        parsed.chunks = emitter.chunks
        parsed.symbols = []
        parsed.syntax_error = f"parse failed: {exc}"
        _window_chunks(emitter, lines, window_lines, window_overlap)
    return parsed


def _symbol_chunks(
    emitter: _Emitter, spec: LanguageSpec, text: str, lines: list[str],
    max_chunk_lines: int, window_lines: int, window_overlap: int,
) -> tuple[list[SymbolEntry], str | None]:
    """Parse, emit the module and definition chunks; return graph rows and the syntax error."""
    src = text.encode("utf-8", "replace")
    tree = get_parser(spec.grammar).parse(src)
    found = outline(emitter.path, spec, tree)
    python = spec.grammar == "python"
    spans = {d: span_of(d, src, python) for d in found.definitions if d.kind}
    covered = bytearray(len(lines))
    for span in spans.values():
        span.last_row = min(span.last_row, len(lines) - 1)
        span.header_row = min(span.header_row, span.last_row)
        covered[span.first_row : span.last_row + 1] = b"\x01" * (span.last_row + 1 - span.first_row)
    docstring = python_docstring(tree.root_node) if python else ""
    _module_chunks(emitter, lines, covered, docstring, max_chunk_lines, window_lines, window_overlap)
    for d in found.definitions:
        if d.kind:
            _definition_chunks(emitter, d, spans, lines, spec, max_chunk_lines)
    return found.symbols, first_syntax_error(spec, tree)
