"""Language registry: extensions, grammars, per-thread parsers, shipped queries."""

from __future__ import annotations

import threading

import pytest

from specpilot.index.languages import (
    get_parser,
    get_query,
    language_for_path,
    spec_for_path,
    supported_extensions,
)


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("pkg/mod.py", "python"), ("stubs/x.pyi", "python"),
        ("web/app.mjs", "javascript"), ("web/App.jsx", "javascript"),
        ("src/a.ts", "typescript"), ("src/App.tsx", "typescript"), ("src/b.cts", "typescript"),
        ("cmd/main.go", "go"), ("src/lib.rs", "rust"), ("src/Main.java", "java"),
        ("README.md", "markdown"), ("pyproject.toml", "toml"), ("ci.yml", "yaml"),
        ("data.json", "json"), ("x.c", "c"), ("x.hpp", "cpp"), ("run.sh", "shell"),
        ("Dockerfile", "dockerfile"), ("UPPER.PY", "python"),
        ("LICENSE", None), ("blob.xyz", None),
    ],
)
def test_language_for_path(path: str, language: str | None) -> None:
    assert language_for_path(path) == language


def test_only_grammar_languages_have_a_spec() -> None:
    tsx = spec_for_path("App.tsx")
    assert tsx is not None and (tsx.name, tsx.grammar) == ("typescript", "tsx")
    assert spec_for_path("README.md") is None
    assert ".rs" in supported_extensions() and ".md" not in supported_extensions()


@pytest.mark.parametrize("grammar", ["python", "javascript", "typescript", "tsx", "go", "rust", "java"])
def test_every_shipped_query_compiles_against_its_grammar(grammar: str) -> None:
    query = get_query(grammar)
    names = {query.capture_name(i) for i in range(query.capture_count)}
    assert {"name", "call", "import"} <= names


def test_parsers_are_cached_per_thread() -> None:
    mine = get_parser("python")
    assert get_parser("python") is mine
    theirs: list[object] = []
    thread = threading.Thread(target=lambda: theirs.append(get_parser("python")))
    thread.start()
    thread.join()
    assert theirs and theirs[0] is not mine
