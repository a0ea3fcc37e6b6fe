"""Which language a file is in, and the tree-sitter grammar, parser and queries for it.

Grammars come from the installed ``tree_sitter_<lang>`` wheels and are built on
first use only, so importing this module is cheap and a process that never sees a
Rust file never loads the Rust grammar. Parsers are not thread-safe, so each
thread gets its own; ``Language`` and ``Query`` objects are immutable and shared.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath

from tree_sitter import Language, Parser, Query


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """A language we parse with tree-sitter.

    ``name`` is what users see (the ``language`` field of chunks); ``grammar`` picks
    the grammar variant (``tsx`` files are TypeScript parsed with the TSX grammar).
    ``query_files`` are concatenated, in order, into the one query run per file.
    ``braces``: bodies are delimited by ``{ }`` (everything but Python), which
    decides how an elided body is rendered in a class chunk.
    """

    name: str
    grammar: str
    module: str
    factory: str
    query_files: tuple[str, ...]
    braces: bool = True


_SPECS: dict[str, LanguageSpec] = {
    spec.grammar: spec
    for spec in (
        LanguageSpec("python", "python", "tree_sitter_python", "language", ("python.scm",), braces=False),
        LanguageSpec(
            "javascript", "javascript", "tree_sitter_javascript", "language",
            ("ecmascript.scm", "javascript.scm", "jsx.scm"),
        ),
        LanguageSpec(
            "typescript", "typescript", "tree_sitter_typescript", "language_typescript",
            ("ecmascript.scm", "typescript.scm"),
        ),
        LanguageSpec(
            "typescript", "tsx", "tree_sitter_typescript", "language_tsx",
            ("ecmascript.scm", "typescript.scm", "jsx.scm"),
        ),
        LanguageSpec("go", "go", "tree_sitter_go", "language", ("go.scm",)),
        LanguageSpec("rust", "rust", "tree_sitter_rust", "language", ("rust.scm",)),
        LanguageSpec("java", "java", "tree_sitter_java", "language", ("java.scm",)),
    )
}

# Extension -> grammar key of a language we chunk by symbols.
_GRAMMAR_BY_EXT: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".rs": "rust",
    ".java": "java",
}

# Languages we only name (their files are chunked into line windows).
_NAME_BY_EXT: dict[str, str] = {
    ".md": "markdown", ".markdown": "markdown", ".mdx": "markdown", ".rst": "restructuredtext",
    ".txt": "text",
    ".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".jsonc": "json",
    ".ini": "ini", ".cfg": "ini", ".xml": "xml", ".html": "html", ".htm": "html",
    ".css": "css", ".scss": "scss", ".less": "less",
    ".c": "c", ".h": "c",
    ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".cs": "csharp", ".kt": "kotlin", ".kts": "kotlin", ".swift": "swift", ".scala": "scala",
    ".rb": "ruby", ".php": "php", ".lua": "lua", ".pl": "perl", ".r": "r", ".jl": "julia",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".fish": "shell", ".ps1": "powershell",
    ".sql": "sql", ".proto": "protobuf", ".graphql": "graphql", ".tf": "terraform",
    ".vue": "vue", ".svelte": "svelte", ".dart": "dart", ".ex": "elixir", ".exs": "elixir",
    ".erl": "erlang", ".hs": "haskell", ".ml": "ocaml", ".zig": "zig", ".nim": "nim",
}

_NAME_BY_FILENAME: dict[str, str] = {
    "dockerfile": "dockerfile", "makefile": "makefile", "gnumakefile": "makefile",
    "cmakelists.txt": "cmake", "justfile": "just",
}


def _suffix(path: str) -> str:
    return PurePosixPath(path).suffix.lower()


def spec_for_path(path: str) -> LanguageSpec | None:
    """The tree-sitter language for ``path``, or ``None`` if we have no grammar."""
    grammar = _GRAMMAR_BY_EXT.get(_suffix(path))
    return _SPECS[grammar] if grammar else None


def language_for_path(path: str) -> str | None:
    """The language name of ``path`` (``"python"``, ``"markdown"`` …), or ``None``."""
    spec = spec_for_path(path)
    if spec is not None:
        return spec.name
    name = PurePosixPath(path).name.lower()
    return _NAME_BY_EXT.get(_suffix(path)) or _NAME_BY_FILENAME.get(name)


def supported_extensions() -> frozenset[str]:
    """Extensions chunked by symbols (the rest fall back to line windows)."""
    return frozenset(_GRAMMAR_BY_EXT)


@cache
def get_language(grammar: str) -> Language:
    """The compiled grammar for a grammar key (``"python"``, ``"tsx"`` …)."""
    spec = _SPECS[grammar]
    module = importlib.import_module(spec.module)
    return Language(getattr(module, spec.factory)())


_local = threading.local()


def get_parser(grammar: str) -> Parser:
    """A parser for ``grammar`` owned by the calling thread."""
    parsers: dict[str, Parser] | None = getattr(_local, "parsers", None)
    if parsers is None:
        parsers = _local.parsers = {}
    parser = parsers.get(grammar)
    if parser is None:
        parser = parsers[grammar] = Parser(get_language(grammar))
    return parser


def query_source(grammar: str) -> str:
    """The text of the definitions/calls/imports query for ``grammar``."""
    folder = resources.files(__package__).joinpath("queries")
    return "\n".join(folder.joinpath(name).read_text("utf-8") for name in _SPECS[grammar].query_files)


@cache
def get_query(grammar: str) -> Query:
    """The compiled definitions/calls/imports query (see ``queries/*.scm``)."""
    return Query(get_language(grammar), query_source(grammar))


@cache
def get_definitions_query(grammar: str) -> Query:
    """The same query with calls and imports switched off (an outline needs neither)."""
    query = Query(get_language(grammar), query_source(grammar))
    names = {query.capture_name(i) for i in range(query.capture_count)}
    for name in ("call", "import", "require", "bind"):
        if name in names:
            query.disable_capture(name)
    return query


@cache
def get_error_query(grammar: str) -> Query:
    """Finds syntax errors; only run on trees whose root reports ``has_error``."""
    return Query(get_language(grammar), "(ERROR) @error (MISSING) @missing")
