"""Traceability: which code and tests cite which requirement, and the review's matrix built from that.

Code and tests cite requirements with a comment naming their IDs::

    # Requirements: R1.2, R1.3          (Python, shell, Ruby, YAML, TOML)
    // Requirements: R1.2               (JS/TS, Go, Rust, Java, C, C#, Kotlin, Swift)
    /* Requirements: R1.2 */  or a ``* Requirements: R1.2`` line of a block comment

and, in Python, a ``Requirements: R1.2`` line inside a docstring. An ID may name its spec, by folder name,
number or slug: ``# Requirements: 002-csv-export/R1.2, csv-export/R1.3, 2/S1``; an ID without one cites that ID
in every spec defining it. A Python citation belongs to the innermost
``def``/``class`` around it (found with the stdlib :mod:`ast`), or to the one that starts right below it, so a
comment written above a function is that function's. Tests are also linked by name: a Python test function
whose name holds the ID with its dot as an underscore, ``test_r1_2_asks_before_overwriting`` for R1.2.

A file counts as a test when it lies under a ``tests/`` folder or is named ``test_*.py``, ``*_test.*``,
``*.test.*`` or ``*.spec.*``. The workspace is walked with the one walker (``index.scanner.workspace_files``), so
``.gitignore``, ``.specpilotignore``, the deny rule, virtualenvs, ``node_modules``, the workspace's ``exclude``
setting, binary and huge files are skipped like for the index; the ``.specpilot`` folder (where the specs
themselves live) is skipped too.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from specpilot.core.config import Settings, load_settings
from specpilot.core.pyast import parse_python
from specpilot.core.scanner import read_source, workspace_files
from specpilot.spec.documents import Item, MatrixRow, Requirements, Tasks

__all__ = [
    "Citation", "UnknownCitation", "citations_in", "find_citations", "is_test_path", "names_spec", "render_matrix",
    "traceability", "traced_items", "unknown_citations", "workspace_files",
]

_ID = r"(?:R\d+(?:\.\d+)?|[SCK]\d+)"
_REF = rf"(?:[a-z0-9][a-z0-9-]*/)?{_ID}"  # an ID, optionally qualified by its spec: 002-csv-export/R1.2
_ID_LIST = rf"({_REF}(?:[ \t]*,[ \t]*{_REF})*)\b"
_HASH_COMMENT = re.compile(rf"#[ \t]*Requirements[ \t]*:[ \t]*{_ID_LIST}")
_SLASH_COMMENT = re.compile(rf"(?://+|/\*+|^[ \t]*\*+)[ \t]*Requirements[ \t]*:[ \t]*{_ID_LIST}")
_DOCSTRING_LINE = re.compile(rf"\bRequirements[ \t]*:[ \t]*{_ID_LIST}")
_NAME_ID = re.compile(r"(?:^|_)(r\d+(?:_\d+)?|[sck]\d+)(?=_|$)")

_HASH_LANGUAGES = {".py", ".pyi", ".sh", ".bash", ".rb", ".pl", ".r", ".yaml", ".yml", ".toml"}
_SLASH_LANGUAGES = {
    ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".rs", ".java", ".kt", ".kts", ".scala", ".swift",
    ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".dart", ".php",
}


@dataclass(frozen=True, slots=True)
class Citation:
    """``ids`` cited at ``path`` (workspace-relative, forward slashes) line ``line`` (1-based). ``symbol`` is the
    Python ``def``/``class`` it belongs to (``Class.method``), None elsewhere. ``by_name`` marks a test linked by
    its function name rather than by a comment. ``specs`` holds, for each ID, the spec it was qualified with
    (``""`` when none; empty when no ID is qualified)."""

    path: str
    line: int
    ids: tuple[str, ...]
    symbol: str | None = None
    is_test: bool = False
    by_name: bool = False
    specs: tuple[str, ...] = ()

    def qualifier(self, index: int) -> str:
        return self.specs[index] if index < len(self.specs) else ""

    def ids_for(self, spec: str) -> tuple[str, ...]:
        """The IDs this citation cites in the spec folder ``spec``: the unqualified ones and those naming it."""
        return tuple(cited for index, cited in enumerate(self.ids)
                     if not self.qualifier(index) or names_spec(self.qualifier(index), spec))

    def for_spec(self, spec: str) -> Citation | None:
        """This citation narrowed to the IDs it cites in ``spec`` (None when there are none)."""
        if not self.specs:
            return self
        ids = self.ids_for(spec)
        return replace(self, ids=ids, specs=()) if ids else None

    @property
    def where(self) -> str:
        """``path:line symbol`` for code, ``path::symbol`` for a test function."""
        if self.is_test and self.symbol:
            return f"{self.path}::{self.symbol}"
        return f"{self.path}:{self.line}" + (f" {self.symbol}" if self.symbol else "")


@dataclass(frozen=True, slots=True)
class UnknownCitation:
    """Code citing ``id``, which requirements.md does not define."""

    path: str
    line: int
    id: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} cites {self.id}, which is not in requirements.md"


def is_test_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else ""
    stem = name.split(".", 1)[0]
    return ("tests" in parts[:-1] or (name.startswith("test_") and name.endswith(".py"))
            or stem.endswith("_test") or ".test." in name or ".spec." in name)


def names_spec(qualifier: str, spec: str) -> bool:
    """Whether a citation's ``qualifier`` names the spec folder ``spec`` (``002-csv-export``): by its whole name,
    its number (``002`` or ``2``) or its slug (``csv-export``)."""
    number, _, slug = spec.partition("-")
    if qualifier in (spec, slug):
        return True
    return qualifier.isdigit() and number.isdigit() and int(qualifier) == int(number)


def _ids(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A citation's ID list as ``(ids, specs)``; ``specs`` is empty when no ID is qualified."""
    refs = [part.strip().rpartition("/") for part in text.split(",")]
    specs = tuple(ref[0] for ref in refs)
    return tuple(ref[2] for ref in refs), specs if any(specs) else ()


# --- Python -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scope:
    name: str
    start: int  # first line, decorators included
    body_start: int
    end: int
    is_function: bool
    children: list[_Scope] = field(default_factory=list)


def _defs(node: ast.AST) -> Iterable[ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef]:
    """The defs directly inside ``node``, looking through ``if``/``try``/``with`` blocks but not into other defs."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child
        else:
            yield from _defs(child)


def _scopes(node: ast.AST, prefix: str = "") -> list[_Scope]:
    found: list[_Scope] = []
    for child in _defs(node):
        name = f"{prefix}{child.name}"
        start = min([child.lineno, *(d.lineno for d in child.decorator_list)])
        scope = _Scope(name, start, child.lineno, child.end_lineno or child.lineno,
                       not isinstance(child, ast.ClassDef))
        scope.children = _scopes(child, f"{name}.")
        found.append(scope)
    return found


def _walk(scopes: Iterable[_Scope]) -> Iterable[_Scope]:
    for scope in scopes:
        yield scope
        yield from _walk(scope.children)


def _symbol_at(scopes: list[_Scope], line: int, next_code_line: int | None) -> str | None:
    """The scope starting on ``next_code_line`` (a comment above a def), else the innermost one around ``line``."""
    if next_code_line is not None:
        below = [s for s in _walk(scopes) if s.start == next_code_line]
        if below:
            return below[0].name
    inner: str | None = None
    level = scopes
    while True:
        around = next((s for s in level if s.start <= line <= s.end), None)
        if around is None:
            return inner
        inner, level = around.name, around.children


def _docstring_spans(tree: ast.Module) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                spans.append((first.lineno, first.end_lineno or first.lineno))
    return spans


def _python_citations(path: str, text: str, is_test: bool) -> list[Citation]:
    lines = text.splitlines()
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError):
        tree = None
    scopes = _scopes(tree) if tree else []
    docstrings = _docstring_spans(tree) if tree else []
    found: list[Citation] = []
    for number, content in enumerate(lines, start=1):
        in_docstring = any(start <= number <= end for start, end in docstrings)
        match = (_DOCSTRING_LINE if in_docstring else _HASH_COMMENT).search(content)
        if match is None:
            continue
        next_code = None
        if content.lstrip().startswith("#"):
            next_code = next((n for n in range(number + 1, len(lines) + 1)
                              if lines[n - 1].strip() and not lines[n - 1].lstrip().startswith("#")), None)
        ids, specs = _ids(match.group(1))
        found.append(Citation(path, number, ids, _symbol_at(scopes, number, next_code), is_test, specs=specs))
    if is_test:
        for scope in _walk(scopes):
            if not scope.is_function or not scope.name.rsplit(".", 1)[-1].startswith("test"):
                continue
            ids = tuple(dict.fromkeys(token.upper().replace("_", ".")
                                      for token in _NAME_ID.findall(scope.name.rsplit(".", 1)[-1].lower())))
            if ids:
                found.append(Citation(path, scope.body_start, ids, scope.name, True, by_name=True))
    return sorted(found, key=lambda citation: (citation.line, citation.by_name))


def citations_in(path: str, text: str) -> list[Citation]:
    """The citations in one file's ``text``; ``path`` (workspace-relative) picks the comment syntax."""
    suffix = PurePosixPath(path).suffix.lower()
    is_test = is_test_path(path)
    if suffix in (".py", ".pyi"):
        return _python_citations(path, text, is_test)
    pattern = _SLASH_COMMENT if suffix in _SLASH_LANGUAGES else _HASH_COMMENT if suffix in _HASH_LANGUAGES else None
    if pattern is None:
        return []
    found = []
    for number, content in enumerate(text.splitlines(), start=1):
        if match := pattern.search(content):
            ids, specs = _ids(match.group(1))
            found.append(Citation(path, number, ids, None, is_test, specs=specs))
    return found


def find_citations(root: Path, settings: Settings | None = None) -> list[Citation]:
    """Every citation in the workspace at ``root``, by path then line. Files that cannot be read are skipped."""
    found: list[Citation] = []
    settings = settings or load_settings(Path(root))[0]
    for scanned in workspace_files(root, settings):
        suffix = PurePosixPath(scanned.path).suffix.lower()
        if suffix not in _HASH_LANGUAGES and suffix not in _SLASH_LANGUAGES:
            continue
        text = read_source(scanned.abs_path, settings.index.max_file_bytes)
        if isinstance(text, str):
            found.extend(citations_in(scanned.path, text))
    return found


# --- the matrix ---------------------------------------------------------------------------------------------


def traced_items(requirements: Requirements) -> list[Item]:
    """The requirements that need a task, code and a test: acceptance criteria, SLAs, and user stories that have
    no criteria of their own (constraints and compatibility requirements are checked by review, not traced)."""
    with_criteria = {item.parent for item in requirements.items if item.kind == "criterion"}
    return [item for item in requirements.items
            if item.kind in ("criterion", "sla") or (item.kind == "story" and item.id not in with_criteria)]


def traceability(requirements: Requirements, tasks: Tasks | None, citations: Iterable[Citation]) -> list[MatrixRow]:
    """One row per traced requirement: the tasks citing it, the code (``path:line symbol``) and tests citing it,
    and a status: ``ok``, or the first gap of ``no task``, ``no code``, ``no test``."""
    citations = list(citations)
    rows: list[MatrixRow] = []
    for item in traced_items(requirements):
        task_ids = [task.id for task in (tasks.tasks if tasks else []) if item.id in task.requirements]
        citing = [citation for citation in citations if item.id in citation.ids]
        code = list(dict.fromkeys(c.where for c in citing if not c.is_test))
        tests = list(dict.fromkeys(c.where for c in citing if c.is_test))
        status = "no task" if not task_ids else "no code" if not code else "no test" if not tests else "ok"
        rows.append(MatrixRow(item.id, task_ids, code, tests, status))
    return rows


def render_matrix(rows: Iterable[MatrixRow]) -> str:
    """The rows as review.md's Markdown table (``| Requirement | Tasks | Code | Tests | Status |``)."""
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    out = [line(["Requirement", "Tasks", "Code", "Tests", "Status"]), "|---|---|---|---|---|"]
    for row in rows:
        out.append(line([row.requirement, ", ".join(row.tasks), ", ".join(row.code), ", ".join(row.tests),
                         row.status]))
    return "\n".join(out) + "\n"


def unknown_citations(requirements: Requirements, citations: Iterable[Citation], *, spec: str | None = None,
                      elsewhere: Iterable[str] = ()) -> list[UnknownCitation]:
    """Comments citing an ID requirements.md (of the spec folder ``spec``) does not define. IDs qualified with
    another spec, and unqualified IDs that another spec defines (``elsewhere``), are not this spec's. Tests
    linked by name are left out: a name such as ``test_s3_upload`` may mean something else."""
    known = {item.id for item in requirements.items}
    others = set(elsewhere)
    found = []
    for citation in citations:
        if citation.by_name:
            continue
        for index, cited in enumerate(citation.ids):
            qualifier = citation.qualifier(index)
            if qualifier and spec is not None and not names_spec(qualifier, spec):
                continue
            if cited not in known and (qualifier or cited not in others):
                found.append(UnknownCitation(citation.path, citation.line, cited))
    return found
