"""Where the reranker's base training pairs come from: Python source trees read offline, and the pairs one
module yields (index/rerank_mining.py selects among them and adds the hard negatives).

:func:`source_files` walks a root (the installed standard library, the environment's site-packages) and
leaves out test folders, caches, files over :data:`MAX_FILE_BYTES`, and every path that belongs to a
left-out package: the standard-library packages of the public retrieval benchmark (:data:`HELD_OUT`) and
copies of them under another name (``importlib_metadata``), wherever they sit (a vendored folder too).

:func:`module_candidates` reads one module and yields its candidate pairs, each positive with every docstring
removed (so a model cannot match the words instead of the code):

- ``docstring``: a function's first docstring sentence (>= 4 words) -> the function, decorators and signature
  kept;
- ``comment``: a ``#`` comment block of >= 4 words (no pragmas, licences, to-dos or commented-out code) ->
  the statements it precedes, up to :data:`MAX_BLOCK_LINES` lines;
- ``identifier``: a function's name read as words (``parse_cookie_header`` -> "parse cookie header"), for
  names of >= 2 words -> the function.
"""

from __future__ import annotations

import ast
import os
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from specpilot.core.pyast import parse_python
from specpilot.index.reranker import with_context

# Must match bench/retrieval_data.py PACKAGES (tests/unit/index/test_rerank_sources.py checks it): the
# benchmark's packages never reach training, so its figures measure code the reranker has not seen.
HELD_OUT = ("email", "logging", "asyncio", "json", "http", "urllib", "importlib", "concurrent")
# Copies of held-out packages published under another name (backports, vendored copies of them).
HELD_OUT_COPIES = ("importlib_metadata", "importlib_resources")
SKIPPED_DIRS = frozenset({"__pycache__", "test", "tests", "idle_test", "site-packages", "dist-packages",
                          "typeshed"})
MAX_FILE_BYTES = 200_000
MIN_WORDS = 4
MAX_QUERY_WORDS = 40
MAX_FUNCTION_LINES = 120  # longer functions are skipped: they say too much for one sentence
MAX_BLOCK_LINES = 15

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_SENTENCE_END = re.compile(r"\.(?=\s|$)")
_COMMENT_LINE = re.compile(r"^([ \t]*)#(.*)$")
_PRAGMA = re.compile(r"^\s*(!|-\*-|noqa|type:|pragma|pylint:|mypy:|fmt:|isort:|flake8|ruff:|pyright:|nosec|"
                     r"todo|fixme|xxx|hack|vim:|coding[:=])", re.IGNORECASE)
_LICENCE = re.compile(r"copyright|licen[cs]e|spdx|all rights reserved|warranty", re.IGNORECASE)
_CALL = re.compile(r"\s*[\w.]+\s*\(")
_WORD_SPLIT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A pair before its negatives: ``owner`` names the code it came from (module and function or line)."""

    kind: str
    query: str
    positive: str
    source: str
    group: str
    owner: str


# -- the files ----------------------------------------------------------------------------------
def left_out(parts: tuple[str, ...], exclude: tuple[str, ...] = ()) -> str | None:
    """Why the file at ``parts`` (relative to its root) is not read, or None."""
    folders, name = parts[:-1], parts[-1]
    top = folders[0] if folders else name.removesuffix(".py")
    if top in HELD_OUT or top in exclude:
        return "held-out package"
    if any(part in HELD_OUT or part in HELD_OUT_COPIES for part in folders):
        return "held-out package"  # a vendored or backported copy
    if any(part in SKIPPED_DIRS or not part.isidentifier() for part in folders):
        return "test, cache or non-package folder"
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py":
        return "test, cache or non-package folder"
    return None


def source_files(root: Path, exclude: tuple[str, ...] = ()) -> Iterator[tuple[Path, str | None]]:
    """``(path, why it is skipped or None)`` for every ``.py`` file under ``root``, in a stable order;
    folders that are skipped as a whole are not entered."""
    for folder, dirs, files in os.walk(root):
        relative = Path(folder).relative_to(root).parts
        dirs[:] = sorted(d for d in dirs if left_out((*relative, d, "x.py"), exclude) is None)
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = Path(folder) / name
            reason = left_out((*relative, name), exclude)
            if reason is None:
                try:
                    reason = "larger than the size limit" if path.stat().st_size > MAX_FILE_BYTES else None
                except OSError:
                    reason = "cannot be read"
            yield path, reason


def group_of(relative: str) -> str:
    """The top-level package (or module) of a root-relative path."""
    return relative.split("/", 1)[0].removesuffix(".py")


# -- queries ------------------------------------------------------------------------------------
def first_sentence(docstring: str) -> str:
    """The first paragraph's first sentence, whitespace-normalised (as bench/retrieval_data.py reads it)."""
    paragraph = re.split(r"\n\s*\n", docstring.strip(), maxsplit=1)[0]
    match = _SENTENCE_END.search(paragraph)
    sentence = paragraph[:match.end()] if match else paragraph
    return " ".join(sentence.split())


def identifier_words(name: str) -> list[str]:
    """``_parse_cookieHeader2`` -> ``["parse", "cookie", "header", "2"]``."""
    return [word.lower() for part in name.split("_") for word in _WORD_SPLIT.findall(part)]


def _usable_query(text: str) -> str | None:
    words = text.split()
    if len(words) > MAX_QUERY_WORDS:
        words = first_sentence(text).split()
    if not MIN_WORDS <= len(words) <= MAX_QUERY_WORDS or ">>>" in text or _CALL.match(text):
        return None  # too short or long, a doctest, or a signature (``__replace__(*, version=...)``)
    return " ".join(words)


def _looks_like_code(text: str) -> bool:
    """Commented-out code: the comment parses as Python and has code punctuation."""
    if not any(mark in text for mark in "()=[]{}") and not text.rstrip().endswith(":"):
        return False
    try:
        _parse(text.strip())
    except (SyntaxError, ValueError):
        return False
    return True


def _parse(text: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # "invalid escape sequence" in old code: not ours to fix
        return parse_python(text)


# -- positives ----------------------------------------------------------------------------------
def _char_col(line: str, byte_col: int) -> int:
    """ast columns count UTF-8 bytes; string slicing needs characters."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def _docstring(node: ast.AST) -> ast.Expr | None:
    body = getattr(node, "body", None)
    if isinstance(node, (ast.Module, *_SCOPES)) and body:
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            return first
    return None


def strip_docstrings(source: str) -> str:
    """``source`` with each module, class and function docstring replaced by ``pass``: the code a search over
    such a copy reads has none of the words a docstring query was taken from. The line count is unchanged (the
    docstring's other lines become blank), so every other statement keeps its line number. Raises SyntaxError
    when the input does not parse."""
    tree = _parse(source)
    found = [doc for node in ast.walk(tree) if (doc := _docstring(node)) is not None]
    lines = source.splitlines(keepends=True)
    for doc in sorted(found, key=lambda n: (n.lineno, n.col_offset), reverse=True):  # earlier ones stay valid
        first, last = doc.lineno - 1, (doc.end_lineno or doc.lineno) - 1
        start = _char_col(lines[first], doc.col_offset)
        rest = lines[last][_char_col(lines[last], doc.end_col_offset or 0):]
        newline = "\n" if rest.endswith("\n") else ""
        # Whatever followed the docstring (a comment, "; x = 1") stays on the `pass` line.
        lines[first:last + 1] = [lines[first][:start] + "pass" + rest.rstrip("\r\n") + newline] + \
            ["\n"] * (last - first)
    return "".join(lines)


def _start_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno] + [d.lineno for d in decorators])


def code_text(lines: list[str], nodes: list[ast.stmt], max_lines: int | None = None) -> str | None:
    """The source of the consecutive statements ``nodes`` (decorators included) with every docstring in them
    removed and the first line's indentation taken off; at most ``max_lines`` lines. None when a docstring
    shares its line with other code (rare; such code is left out)."""
    start, end = _start_line(nodes[0]), nodes[-1].end_lineno or nodes[-1].lineno
    drop: set[int] = set()
    passes: dict[int, str] = {}  # a body that was only its docstring keeps a ``pass``
    for owner in (n for top in nodes for n in ast.walk(top)):
        doc = _docstring(owner)
        if doc is None:
            continue
        first, last = doc.lineno, doc.end_lineno or doc.lineno
        head = lines[first - 1][:_char_col(lines[first - 1], doc.col_offset)]
        tail = lines[last - 1][_char_col(lines[last - 1], doc.end_col_offset or 0):].strip()
        if head.strip() or (tail and not tail.startswith("#")):
            return None
        drop.update(range(first, last + 1))
        if len(getattr(owner, "body", ())) == 1:
            passes[first] = head + "pass"
    kept = [passes.get(number, lines[number - 1]) for number in range(start, end + 1)
            if number not in drop or number in passes]
    indent = len(lines[start - 1]) - len(lines[start - 1].lstrip())
    dedented = [line[indent:] if line[:indent].isspace() else line for line in kept]
    if max_lines is not None:
        dedented = dedented[:max_lines]
    text = "\n".join(line.rstrip() for line in dedented).strip("\n")
    return text or None


def _trivial(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A body with nothing but its docstring, ``pass``, ``...`` or ``raise NotImplementedError``."""
    body = function.body[1:] if _docstring(function) is not None else function.body
    for statement in body:
        if isinstance(statement, ast.Pass):
            continue
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            continue
        if isinstance(statement, ast.Raise) and "NotImplementedError" in ast.dump(statement):
            continue
        return False
    return True


# -- one module ---------------------------------------------------------------------------------
def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    def visit(node: ast.AST, scope: tuple[str, ...]) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES):
                inner = (*scope, child.name)
                if isinstance(child, _FUNCTIONS):
                    yield ".".join(inner), child
                yield from visit(child, inner)
            else:
                yield from visit(child, scope)

    yield from visit(tree, ())


def _statement_lists(tree: ast.Module) -> dict[int, tuple[list[ast.stmt], int]]:
    """First line of every statement -> (the body it belongs to, its index there)."""
    found: dict[int, tuple[list[ast.stmt], int]] = {}
    for node in ast.walk(tree):
        for _, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                for index, statement in enumerate(value):
                    found.setdefault(_start_line(statement), (value, index))
    return found


def _string_lines(tree: ast.Module) -> set[int]:
    """Lines inside multi-line strings (a ``#`` there is text, not a comment)."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and (node.end_lineno or node.lineno) > node.lineno:
            inside.update(range(node.lineno + 1, (node.end_lineno or node.lineno) + 1))
    return inside


def _comment_blocks(lines: list[str], tree: ast.Module) -> Iterator[tuple[int, int, str]]:
    """``(last comment line, indentation, text)`` for each run of whole-line comments at one indentation."""
    in_strings = _string_lines(tree)
    run: list[str] = []
    indent = -1
    for number, line in enumerate(lines + [""], start=1):
        match = _COMMENT_LINE.match(line) if number not in in_strings else None
        if match and (not run or len(match.group(1)) == indent):
            run.append(match.group(2))
            indent = len(match.group(1))
            continue
        if run:
            yield number - 1, indent, "\n".join(run)
        run, indent = ([match.group(2)], len(match.group(1))) if match else ([], -1)


def _comment_query(text: str) -> str | None:
    lines = [line.strip().lstrip("#").strip() for line in text.splitlines()]
    if any(_PRAGMA.match(line) or _LICENCE.search(line) or _looks_like_code(line) for line in lines if line):
        return None
    words = " ".join(lines)
    if not re.search(r"[A-Za-z]{3}", words):
        return None
    return _usable_query(words)


def _enclosing(functions: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]], line: int) -> str:
    """The qualified name of the innermost function holding ``line`` ("" at module level)."""
    holding = [(f.lineno, name) for name, f in functions if f.lineno <= line <= (f.end_lineno or f.lineno)]
    return max(holding)[1] if holding else ""


def _comment_pairs(lines: list[str], tree: ast.Module, source: str, group: str, path: str) -> Iterator[Candidate]:
    statements = _statement_lists(tree)
    functions = list(_functions(tree))
    for last, indent, text in _comment_blocks(lines, tree):
        query = _comment_query(text)
        if query is None:
            continue
        following = last + 1
        while following <= len(lines) and not lines[following - 1].strip():
            following += 1
        if following != last + 1 or following not in statements:
            continue  # a blank line parts the comment from the code, or the next line starts no statement
        body, index = statements[following]
        if body[index].col_offset != indent:
            continue
        block = [body[index]]
        size = (body[index].end_lineno or following) - following + 1
        for statement in body[index + 1:]:
            begin = _start_line(statement)
            gap = lines[(block[-1].end_lineno or begin) : begin - 1]
            length = (statement.end_lineno or begin) - begin + 1
            if gap or size + length > MAX_BLOCK_LINES:
                break  # a blank line or a comment ends the block
            block.append(statement)
            size += length
        if all(isinstance(s, (ast.Import, ast.ImportFrom, ast.Pass)) for s in block):
            continue
        positive = code_text(lines, block, MAX_BLOCK_LINES)
        if positive:
            yield Candidate("comment", query, with_context(path, _enclosing(functions, following), positive), source,
                            group, f"{source}:{following}")


def module_candidates(text: str, source: str, group: str) -> list[Candidate]:
    """Every candidate pair of one module's source ``text``; SyntaxError (or ValueError) when it does not
    parse."""
    tree = _parse(text)
    lines = text.splitlines()
    path = source.split("/", 1)[-1]  # the file within its root, as a workspace's search hit names it
    found: list[Candidate] = []
    for qualified_name, function in _functions(tree):
        if _trivial(function) or (function.end_lineno or 0) - _start_line(function) + 1 > MAX_FUNCTION_LINES:
            continue
        positive = code_text(lines, [function])
        if not positive:
            continue
        positive = with_context(path, qualified_name, positive)
        owner = f"{source}:{qualified_name}"
        doc = ast.get_docstring(function, clean=True)
        query = _usable_query(first_sentence(doc)) if doc else None
        if query:
            found.append(Candidate("docstring", query, positive, source, group, owner))
        words = identifier_words(function.name)
        if len(words) >= 2 and not function.name.startswith(("test", "__")):
            found.append(Candidate("identifier", " ".join(words), positive, source, group, owner))
    found.extend(_comment_pairs(lines, tree, source, group, path))
    return found
