"""The text-synchronisation notifications a client sends, built once for the e2e tests and the bench
scripts that drive the real server (bench/first_answer.py, bench/writes.py). Plain lsprotocol types:
no client, no pytest."""

from __future__ import annotations

from lsprotocol import types


def did_open(uri: str, text: str, version: int = 1, language: str = "python") -> types.DidOpenTextDocumentParams:
    """``textDocument/didOpen`` for ``uri`` holding ``text`` at ``version``."""
    return types.DidOpenTextDocumentParams(
        types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text))


def did_insert(uri: str, version: int, line: int, text: str) -> types.DidChangeTextDocumentParams:
    """``textDocument/didChange`` to ``version``: ``text`` inserted at the start of ``line``
    (the line count of the old text appends it)."""
    at = types.Position(line, 0)
    return types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangePartial(range=types.Range(at, at), text=text)])


def did_replace(uri: str, version: int, text: str) -> types.DidChangeTextDocumentParams:
    """``textDocument/didChange`` to ``version``: the whole text is now ``text``."""
    return types.DidChangeTextDocumentParams(
        types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        [types.TextDocumentContentChangeWholeDocument(text=text)])
