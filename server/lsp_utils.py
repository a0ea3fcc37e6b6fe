"""Conversions between the engines' plain data and LSP types (the only place that does them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls import uris
from pygls.workspace.position_codec import PositionCodec

from specpilot.ast_tools.edits import EditResult, split_lines
from specpilot.core.config import camel
from specpilot.index.search import SearchHit
from specpilot.index.symbols import OutlineSymbol

SYMBOL_KINDS = {
    "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method,
    "class": types.SymbolKind.Class,
    "module": types.SymbolKind.Module,
    "window": types.SymbolKind.File,
}


def uri_to_path(uri: str) -> Path | None:
    """A ``file:`` URI as an absolute path; None for other schemes (untitled:, git:) and
    for anything that is not a URI string (a client's bad argument)."""
    if not isinstance(uri, str) or not uri.startswith("file:"):
        return None
    try:
        path = uris.to_fs_path(uri)
    except ValueError:  # e.g. a port that is not a number
        return None
    return Path(path) if path and Path(path).is_absolute() else None


def path_to_uri(path: Path) -> str:
    uri = uris.from_fs_path(str(path))
    assert uri is not None
    return uri


# Counts a string's length in the position encoding agreed with the client
# (pygls' ``workspace.position_codec.client_num_units``): UTF-16 units by default.
Units = Callable[[str], int]


def utf16_units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _line(lines: Sequence[str], index: int) -> str:
    return lines[index] if 0 <= index < len(lines) else ""


def line_range(lines: Sequence[str], start_line: int, end_line: int, units: Units = utf16_units) -> types.Range:
    """1-based inclusive lines -> a range from the start of the first to the end of the last."""
    return types.Range(types.Position(start_line - 1, 0),
                       types.Position(end_line - 1, units(_line(lines, end_line - 1))))


def document_symbol(symbol: OutlineSymbol, lines: Sequence[str], units: Units = utf16_units) -> types.DocumentSymbol:
    name_row = symbol.name_line - 1
    name_text = _line(lines, name_row)
    start = units(name_text[:symbol.name_column])
    selection = types.Range(types.Position(name_row, start),
                            types.Position(name_row, start + units(symbol.name)))
    kind = types.SymbolKind.Struct if symbol.is_impl else SYMBOL_KINDS.get(symbol.kind, types.SymbolKind.Variable)
    return types.DocumentSymbol(
        name=f"impl {symbol.name}" if symbol.is_impl else symbol.name,
        kind=kind,
        detail=symbol.detail or None,
        range=line_range(lines, symbol.start_line, symbol.end_line, units),
        selection_range=selection,
        children=[document_symbol(child, lines, units) for child in symbol.children] or None,
    )


def symbol_information(symbol: OutlineSymbol, lines: Sequence[str], uri: str, container: str | None,
                       units: Units = utf16_units) -> list[types.SymbolInformation]:
    """Flat symbols for a client without hierarchical documentSymbol support."""
    out = [types.SymbolInformation(
        name=symbol.name, kind=SYMBOL_KINDS.get(symbol.kind, types.SymbolKind.Variable),
        location=types.Location(uri, line_range(lines, symbol.start_line, symbol.end_line, units)),
        container_name=container)]
    for child in symbol.children:
        out.extend(symbol_information(child, lines, uri, symbol.name, units))
    return out


def hit_range(hit: SearchHit) -> types.Range:
    """Lines of a hit. The end column is not known without the file's text: the
    range ends at the start of the line after the last one, which LSP allows."""
    return types.Range(types.Position(hit.start_line - 1, 0), types.Position(hit.end_line, 0))


def workspace_symbol(hit: SearchHit, root: Path) -> types.WorkspaceSymbol:
    container = hit.qualified_name.rpartition(".")[0] or hit.path
    return types.WorkspaceSymbol(
        name=hit.name, kind=SYMBOL_KINDS.get(hit.kind, types.SymbolKind.Variable),
        location=types.Location(path_to_uri(root / hit.path), hit_range(hit)),
        container_name=container,
    )


def hit_json(hit: SearchHit, root: Path) -> dict[str, Any]:
    """A search hit as the sidebar and agents receive it from ``specpilot/search``."""
    data = {camel(key): value for key, value in hit.to_json().items()}
    data["uri"] = path_to_uri(root / hit.path)
    data["range"] = {"start": {"line": hit.start_line - 1, "character": 0},
                     "end": {"line": hit.end_line, "character": 0}}
    return data


def plain(value: Any) -> Any:
    """Custom-request params arrive as nested namedtuples: make them dicts and lists."""
    if hasattr(value, "_asdict"):
        return {key: plain(item) for key, item in value._asdict().items()}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value


def workspace_edit(result: EditResult, root: Path, codec: PositionCodec, versioned: bool,
                   confirm: str | None = None) -> types.WorkspaceEdit:
    """An engine edit as LSP: versioned ``TextDocumentEdit``s (a buffer edited since
    then rejects them), or plain ``changes`` for a client without documentChanges.
    ``confirm``: a label under which the editor asks the user to confirm each change
    (a change annotation; clients without them apply the edit as usual). A file that
    does not exist yet is created first, and a deleted file is a ``DeleteFile``
    (versioned clients; a client without documentChanges cannot be sent either)."""
    documents: list[types.TextDocumentEdit | types.CreateFile | types.DeleteFile] = []
    annotation = "specpilot" if confirm else None
    for file in result.files:
        lines = split_lines(file.old_text)
        uri = path_to_uri(root / file.path)
        edits: list[types.TextEdit | types.AnnotatedTextEdit | types.SnippetTextEdit] = []
        for edit in file.edits:
            where = types.Range(codec.position_to_client_units(lines, types.Position(*edit.start)),
                                codec.position_to_client_units(lines, types.Position(*edit.end)))
            edits.append(types.AnnotatedTextEdit(annotation_id=annotation, range=where, new_text=edit.new_text)
                         if annotation else types.TextEdit(where, edit.new_text))
        if versioned and file.action == "delete":  # a whole file removed: the editor deletes it
            documents.append(types.DeleteFile(uri=uri, options=types.DeleteFileOptions(ignore_if_not_exists=False),
                                              annotation_id=annotation))
            continue
        if versioned and file.action == "create":  # must not exist: the editor fails the edit if it does
            documents.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(
                overwrite=False, ignore_if_exists=False), annotation_id=annotation))
        elif versioned and file.version is None and not (root / file.path).exists():
            documents.append(types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True),
                                              annotation_id=annotation))
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=file.version)
        documents.append(types.TextDocumentEdit(text_document=identifier, edits=edits))
    annotations = {annotation: types.ChangeAnnotation(label=confirm, needs_confirmation=True)} \
        if annotation and confirm else None
    if versioned:
        return types.WorkspaceEdit(document_changes=documents, change_annotations=annotations)
    return types.WorkspaceEdit(changes={d.text_document.uri: [e for e in d.edits if isinstance(e, types.TextEdit)]
                                        for d in documents if isinstance(d, types.TextDocumentEdit)})
