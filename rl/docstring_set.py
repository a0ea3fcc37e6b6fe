"""The public retrieval benchmark's set: docstring -> function queries over this Python's standard library.

``build(workdir)`` copies a few stdlib packages into ``workdir/ws`` with every
docstring removed, and writes ``workdir/queries.jsonl``: one query per function or
method whose docstring's first sentence has at least four words, with that
function as the only right answer. Because the indexed copy has no docstrings,
a search can only find the answer from the code itself.

bench/retrieval.py and the other benchmarks score searches on it; ``specpilot train policy`` (rl/ppo_jobs.py)
learns to gather context on it. Its packages are the reranker's held-out ones (index/rerank_sources.py).
"""

from __future__ import annotations

import ast
import json
import shutil
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from specpilot.core.pyast import parse_python

# The reranker's training data is made the same way (index/rerank_sources.py), and leaves these packages out.
from specpilot.index.rerank_sources import HELD_OUT, first_sentence, strip_docstrings

PACKAGES = HELD_OUT
SKIPPED_DIRS = frozenset({"__pycache__", "test", "tests"})
MIN_WORDS = 4
DONE_MARKER = ".complete"  # written last, so a half-built cache is never reused

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def stdlib_root() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def source_files(package_dir: Path) -> Iterator[Path]:
    """The .py files of a package, skipping caches and test folders."""
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir)
        if not SKIPPED_DIRS.intersection(relative.parts[:-1]):
            yield path


# -- queries -----------------------------------------------------------------------------------
def function_docstrings(tree: ast.Module) -> Iterator[tuple[str, str]]:
    """(qualified name, docstring) for every documented function and method, nested ones too."""

    def visit(node: ast.AST, scope: tuple[str, ...]) -> Iterator[tuple[str, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES):
                inner = scope + (child.name,)
                if isinstance(child, _FUNCTIONS):
                    doc = ast.get_docstring(child, clean=True)
                    if doc:
                        yield ".".join(inner), doc
                yield from visit(child, inner)
            else:
                # if/try/with blocks are not scopes: their definitions keep the outer name.
                yield from visit(child, scope)

    yield from visit(tree, ())


def _queries_for(path: str, source: str) -> Iterator[dict[str, str]]:
    for qualified_name, doc in function_docstrings(parse_python(source)):
        sentence = first_sentence(doc)
        if len(sentence.split()) >= MIN_WORDS:
            yield {"query": sentence, "path": path, "qualified_name": qualified_name}


def unambiguous(queries: list[dict[str, str]]) -> list[dict[str, str]]:
    """Drop queries whose text belongs to more than one function."""
    owners: dict[str, set[tuple[str, str]]] = {}
    for q in queries:
        owners.setdefault(q["query"], set()).add((q["path"], q["qualified_name"]))
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for q in queries:
        key = (q["query"], q["path"], q["qualified_name"])
        # The same function can be defined twice (if/else branches): one query for it is enough.
        if len(owners[q["query"]]) == 1 and key not in seen:
            seen.add(key)
            kept.append(q)
    return kept


# -- building ------------------------------------------------------------------------------------
def load_queries(workdir: Path) -> list[dict[str, str]]:
    text = (workdir / "queries.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def is_built(workdir: Path, packages: tuple[str, ...] = PACKAGES) -> bool:
    """True when ``workdir`` holds a finished build of exactly these packages."""
    marker = workdir / DONE_MARKER
    return marker.is_file() and marker.read_text(encoding="utf-8") == ",".join(packages)


def build(workdir: Path, packages: tuple[str, ...] = PACKAGES, *, force: bool = False,
          root: Path | None = None) -> tuple[Path, list[dict[str, str]]]:
    """Write ``workdir/ws`` (docstring-free copies) and ``workdir/queries.jsonl``.

    ``root`` holds the packages (default: this Python's standard library; another project's source folder for
    the held-out repositories of bench/rerank_quality.py). Returns the workspace root and the queries. An
    existing complete build is reused unless ``force``.
    """
    workdir = Path(workdir)
    ws = workdir / "ws"
    if is_built(workdir, packages) and not force:
        return ws, load_queries(workdir)
    (workdir / DONE_MARKER).unlink(missing_ok=True)
    if ws.exists():
        shutil.rmtree(ws)
    root = root or stdlib_root()
    queries: list[dict[str, str]] = []
    for package in packages:
        package_dir = root / package
        for original in source_files(package_dir):
            rel = f"{package}/{original.relative_to(package_dir).as_posix()}"
            source = original.read_text(encoding="utf-8")
            stripped = strip_docstrings(source)
            parse_python(stripped, filename=rel)  # the stripped copy must still be valid Python
            target = ws / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(stripped, encoding="utf-8")
            queries.extend(_queries_for(rel, source))
    queries = unambiguous(queries)
    with (workdir / "queries.jsonl").open("w", encoding="utf-8") as out:
        for q in queries:
            out.write(json.dumps(q) + "\n")
    (workdir / DONE_MARKER).write_text(",".join(packages), encoding="utf-8")
    return ws, queries
