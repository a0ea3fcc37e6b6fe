"""A file's outline (the editor's documentSymbol): its definitions, nested.

Computed from the text it is given (an open buffer's unsaved text, or the file
on disk) with the same tree-sitter query pass as the chunker, so it is never
stale and costs a few milliseconds. Plain data with 1-based lines and 0-based
character columns; ``server/lsp_utils.py`` turns it into LSP symbols.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from specpilot.index.languages import get_parser, spec_for_path
from specpilot.index.outline import IMPL, Definition, definitions
from specpilot.index.spans import span_of


@dataclass(slots=True)
class OutlineSymbol:
    name: str
    kind: str  # function | method | class
    detail: str  # the signature
    qualified_name: str
    start_line: int  # 1-based, inclusive; decorators and leading comments included
    end_line: int
    name_line: int  # 1-based line of the name
    name_column: int  # 0-based character column of the name in that line
    is_impl: bool = False  # a Rust impl block (named after its type)
    children: list[OutlineSymbol] = field(default_factory=list)


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


def _name_column(line: str, name: str) -> int:
    """Where ``name`` stands as a whole word in ``line`` (else the indentation)."""
    start = line.find(name)
    while start != -1:
        end = start + len(name)
        if (start == 0 or not _is_word(line[start - 1])) and (end == len(line) or not _is_word(line[end])):
            return start
        start = line.find(name, start + 1)
    return len(line) - len(line.lstrip())


def document_outline(path: str, text: str) -> list[OutlineSymbol]:
    """Top-level symbols of ``text`` (as file ``path``), each with its children.

    Files in a language without a grammar have no outline (an empty list).
    """
    spec = spec_for_path(path)
    if spec is None or not text.strip():
        return []
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    src = text.encode("utf-8", "replace")
    tree = get_parser(spec.grammar).parse(src)
    python = spec.grammar == "python"
    made: dict[int, OutlineSymbol] = {}  # id(Definition) -> symbol
    by_name: dict[str, OutlineSymbol] = {}
    roots: list[OutlineSymbol] = []
    for d in definitions(spec, tree):
        if not d.kind:
            continue
        span = span_of(d, src, python)
        last = min(span.last_row, len(lines) - 1)
        symbol = OutlineSymbol(
            d.name, d.kind, span.signature, d.qualified_name, span.first_row + 1, last + 1,
            d.name_row + 1, _name_column(lines[d.name_row], d.name), d.role == IMPL,
        )
        made[id(d)] = symbol
        parent = _parent_symbol(d, made) or (by_name.get(d.scope) if d.scope else None)
        (parent.children if parent is not None else roots).append(symbol)
        by_name.setdefault(d.qualified_name, symbol)
    return roots


def _parent_symbol(d: Definition, made: dict[int, OutlineSymbol]) -> OutlineSymbol | None:
    """The nearest enclosing definition that has a symbol (Go methods have none:
    they are nested under their receiver type by scope instead)."""
    parent = d.parent
    while parent is not None:
        symbol = made.get(id(parent))
        if symbol is not None:
            return symbol
        parent = parent.parent
    return None


def flatten(symbols: list[OutlineSymbol]) -> list[OutlineSymbol]:
    """Every symbol of the tree, parents before their children."""
    out: list[OutlineSymbol] = []
    for symbol in symbols:
        out.append(symbol)
        out.extend(flatten(symbol.children))
    return out
