"""Workspaces and refactoring cases for bench/refactor_eval.py.

A workspace is one standard-library module (a file, or a package) copied with its
tests from the stdlib ``test`` package. The cases (renames and signature
changes) are chosen by a seeded script from what ``ast`` finds in the module's
own files; the tests are never refactored targets, only edited along. Names the tests reach
through strings or computed lookups are left out (bench/refactor_eval_reach.py).
"""

from __future__ import annotations

import ast
import importlib
import random
import re
import shutil
import sysconfig
from dataclasses import asdict, dataclass, field
from pathlib import Path

from refactor_eval_reach import computed_lookups, own_nodes, string_reached_names

STDLIB = Path(sysconfig.get_paths()["stdlib"])
RENAME_CATEGORIES = ("public function", "private function", "method", "class", "parameter", "local")
SIGNATURE_CATEGORIES = ("function", "method")
NEW_PARAM = "new_param"


@dataclass(frozen=True)
class ModuleSpec:
    """A stdlib module and its tests. ``sources`` and ``tests`` are stdlib-relative
    paths; tests are copied to the workspace root (``test/test_x.py`` -> ``test_x.py``)."""

    name: str
    sources: tuple[str, ...]
    tests: tuple[str, ...]
    test_module: str
    note: str = ""

    @staticmethod
    def simple(name: str, note: str = "") -> ModuleSpec:
        return ModuleSpec(name, (f"{name}.py",), (f"test/test_{name}.py",), f"test_{name}", note)

    def target(self, rel: str) -> str:
        """Workspace path of a stdlib-relative source or test path."""
        return rel[len("test/"):] if rel.startswith("test/") else rel

    def top_level(self) -> list[str]:
        """Importable names of the module's own files (what the runner must load from the copy)."""
        return sorted({self.target(s).split("/")[0].removesuffix(".py") for s in self.sources})


# The project's acceptance text suggests textwrap, shlex, difflib, fnmatch, csv, json, configparser
# and argparse. csv and json run mostly C (_csv, _json): swapped for two pure-Python modules.
DEFAULT_MODULES = ("textwrap", "shlex", "difflib", "fnmatch", "configparser", "argparse", "fractions", "gettext")
SWAPPED = {
    "csv": "csv.py is a thin layer over the C module _csv (reader, writer and dialect validation are C)",
    "json": "json's scanner and encoder run in the C module _json for half of its tests, and its tests "
            "reach the module only as self.json (pyjson or cjson, picked at run time) from a package "
            "that imports itself as test.test_json",
}


def module_spec(name: str) -> ModuleSpec:
    if not (STDLIB / f"{name}.py").is_file() or not (STDLIB / "test" / f"test_{name}.py").is_file():
        raise SystemExit(f"{name}: this benchmark takes a single-file stdlib module with test/test_{name}.py")
    return ModuleSpec.simple(name)


def build_workspace(spec: ModuleSpec, dest: Path) -> None:
    """A fresh copy of the module and its tests in ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for rel in (*spec.sources, *spec.tests):
        source = STDLIB / rel
        target = dest / spec.target(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)


def restore(pristine: Path, work: Path) -> None:
    """Make ``work`` an exact copy of ``pristine`` again (files, and nothing else)."""
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(pristine, work)


def python_files(root: Path, rels: tuple[str, ...]) -> list[str]:
    """Workspace-relative .py files under the given workspace paths."""
    found: list[str] = []
    for rel in rels:
        path = root / rel
        if path.is_dir():
            found += sorted(p.relative_to(root).as_posix() for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        elif path.suffix == ".py":
            found.append(rel)
    return found


@dataclass
class Case:
    """One refactoring. ``line`` is 0-based, ``column`` counts code points (the engine's API);
    ``offset`` is rope's: characters from the start of the file with line ends read as ``\\n``."""

    kind: str  # "rename" or "signature"
    module: str
    file: str
    line: int
    column: int
    offset: int
    old: str
    new: str
    category: str
    qualname: str
    target: str | None = None  # signature changes: the qualified name, when it is unique in the file
    index: int = 0  # signature changes: where rope's ArgumentAdder inserts (positional parameters before it)
    results: dict[str, dict[str, object]] = field(default_factory=dict)

    def label(self) -> str:
        return f"{self.module}:{self.file}:{self.line + 1} {self.qualname}"

    def to_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Candidate:
    file: str
    line: int  # 0-based
    column: int  # code points
    name: str
    category: str
    qualname: str
    node: ast.AST | None = None
    cls: str | None = None  # the enclosing class's qualified name, for methods and their parameters
    positional: int = 0  # functions: positional-or-keyword parameters (self included)


def _char_column(line_text: str, byte_column: int) -> int:
    return len(line_text.encode("utf-8")[:byte_column].decode("utf-8"))


_DEF = re.compile(r"(?:async\s+)?def\s+(\w+)|class\s+(\w+)")


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


class _Collector(ast.NodeVisitor):
    """Functions, methods, classes, parameters and function locals of one file."""

    def __init__(self, rel: str, text: str) -> None:
        self.rel = rel
        self.lines = text.split("\n")
        self.found: list[Candidate] = []
        self.stack: list[ast.AST] = []
        self.names: list[str] = []

    def _name_position(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> tuple[int, int]:
        line = node.lineno - 1
        text = self.lines[line]
        start = _char_column(text, node.col_offset)
        match = _DEF.match(text, start)
        assert match is not None and (match.group(1) or match.group(2)) == node.name, (self.rel, node.lineno)
        return line, match.start(1) if match.group(1) else match.start(2)

    def _position(self, node: ast.arg | ast.Name) -> tuple[int, int]:
        line = node.lineno - 1
        return line, _char_column(self.lines[line], node.col_offset)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        qual = ".".join([*self.names, node.name])
        line, column = self._name_position(node)
        self.found.append(Candidate(self.rel, line, column, node.name, "class", qual, node))
        self.stack.append(node)
        self.names.append(node.name)
        self.generic_visit(node)
        self.stack.pop()
        self.names.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        qual = ".".join([*self.names, node.name])
        line, column = self._name_position(node)
        in_class = bool(self.stack) and isinstance(self.stack[-1], ast.ClassDef)
        if in_class:
            category = "method"
        else:
            category = "private function" if node.name.startswith("_") else "public function"
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in node.decorator_list)
        receiver = positional[0].arg if in_class and not static and positional else None
        cls = ".".join(self.names) if in_class else None
        self.found.append(Candidate(self.rel, line, column, node.name, category, qual, node, cls,
                                    positional=len(positional)))
        params = [*positional, *([args.vararg] if args.vararg else []), *args.kwonlyargs,
                  *([args.kwarg] if args.kwarg else [])]
        param_names = {p.arg for p in params}
        for param in params:
            if param.arg == receiver or param.arg in ("self", "cls"):
                continue
            line, column = self._position(param)
            self.found.append(Candidate(self.rel, line, column, param.arg, "parameter", f"{qual}({param.arg})", node,
                                        cls))
        for name, position in _locals(node, param_names).items():
            line, column = self._position(position)
            self.found.append(Candidate(self.rel, line, column, name, "local", f"{qual}:{name}", node))
        self.stack.append(node)
        self.names.append(node.name)
        self.generic_visit(node)
        self.stack.pop()
        self.names.pop()

    visit_AsyncFunctionDef = visit_FunctionDef


def _locals(function: ast.FunctionDef | ast.AsyncFunctionDef, params: set[str]) -> dict[str, ast.Name]:
    """Names a function binds itself (first binding in source order), when nothing
    reaches them by name at run time (``locals()``, ``vars()``, ``eval``, ``exec``)."""
    declared: set[str] = set()
    first: dict[str, ast.Name] = {}
    for node in own_nodes(function):
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            declared.update(node.names)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                node.func.id in ("locals", "eval", "exec") or (node.func.id == "vars" and not node.args)):
            return {}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            known = first.get(node.id)
            if known is None or (node.lineno, node.col_offset) < (known.lineno, known.col_offset):
                first[node.id] = node
    return {name: node for name, node in first.items()
            if name not in params and name not in declared and name != "_" and not _is_dunder(name)}


@dataclass
class Exclusions:
    """Why candidates were left out, name -> reason, and counts by reason."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, what: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        examples = self.examples.setdefault(reason, [])
        if len(examples) < 8:
            examples.append(what)


def _is_property(node: ast.AST | None) -> bool:
    decorators = getattr(node, "decorator_list", [])
    return any((isinstance(d, ast.Name) and d.id in ("property", "cached_property"))
               or (isinstance(d, ast.Attribute) and d.attr in ("setter", "getter", "deleter", "cached_property"))
               for d in decorators)


def _external_override(spec: ModuleSpec, candidate: Candidate) -> str | None:
    """The stdlib base class outside the module whose attribute a method overrides, if any:
    renaming such a method changes behaviour whatever the tool (like a special method)."""
    if candidate.cls is None:
        return None
    module_name = spec.target(candidate.file).removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    try:
        obj: object = importlib.import_module(module_name)  # the stdlib original: the same code as the copy
        for part in candidate.cls.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None  # a class defined inside a function: not reachable, assume no outside base
    own = set(spec.top_level())
    for base in getattr(obj, "__mro__", ())[1:]:
        if base.__module__.split(".")[0] not in own and candidate.name in vars(base):
            return f"{base.__module__}.{base.__qualname__}"
    return None


def collect(spec: ModuleSpec, root: Path) -> tuple[list[Candidate], list[Candidate], Exclusions]:
    """(rename candidates, signature-change candidates, exclusions) of a workspace."""
    sources = python_files(root, tuple(spec.target(s) for s in spec.sources))
    tests = python_files(root, tuple(spec.target(t) for t in spec.tests))
    reached, keywords, classes = string_reached_names(root, tests, sources)
    lookups, looked_up = computed_lookups(root, [*sources, *tests])
    all_text = "\n".join((root / rel).read_text(encoding="utf-8") for rel in [*sources, *tests])
    renames: list[Candidate] = []
    signatures: list[Candidate] = []
    excluded = Exclusions()
    for rel in sources:
        text = (root / rel).read_text(encoding="utf-8")
        collector = _Collector(rel, text)
        collector.visit(ast.parse(text))
        for candidate in collector.found:
            what = f"{rel}:{candidate.line + 1} {candidate.qualname} ({candidate.category})"
            if candidate.category in ("public function", "private function", "method") and (
                    not _is_dunder(candidate.name) or candidate.name == "__init__"):
                if _is_property(candidate.node):
                    excluded.add("signature change of a property (it takes no arguments)", what)
                else:
                    signatures.append(candidate)
            if _is_dunder(candidate.name):
                excluded.add("special method", what)
                continue
            if re.search(rf"\b{re.escape(candidate.name)}_rn\b", all_text):
                excluded.add("the new name is taken", what)
                continue
            through = (keywords if candidate.category == "parameter" else
                       {} if candidate.category == "local" else reached).get(candidate.name)
            if through is None and candidate.category == "class":
                through = classes.get(candidate.name)
            if through is not None:
                excluded.add("reached by the tests through strings", f"{what}: {through}")
                continue
            function = candidate.qualname.split("(")[0].split(".")[-1]
            prefix = next((p for p in lookups if function.startswith(p) and function != p), None)
            dynamic = (f"{prefix!r}... at {lookups[prefix]}" if prefix is not None
                       else f"{function!r} at {looked_up[function]}" if function in looked_up else None)
            if dynamic is not None and candidate.category in ("method", "parameter") and candidate.cls is not None:
                excluded.add("a method called through getattr with a computed name (the method, or its parameter)",
                             f"{what}: {dynamic}")
                continue
            if candidate.category == "method":
                base = _external_override(spec, candidate)
                if base is not None:
                    excluded.add("overrides a method of a class outside the module", f"{what}: {base}")
                    continue
            renames.append(candidate)
    return renames, signatures, excluded


def _offset(text: str, line: int, column: int) -> int:
    """Rope's offset: rope reads files with ``\\r\\n`` and ``\\r`` turned into ``\\n``."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return sum(len(x) + 1 for x in lines[:line]) + column


def _balanced(rng: random.Random, groups: dict[str, list[Candidate]], count: int) -> list[Candidate]:
    """Round-robin over the categories, each shuffled: categories with few candidates give
    all they have and the others fill the rest."""
    pools = {key: rng.sample(items, len(items)) for key, items in groups.items()}
    picked: list[Candidate] = []
    while len(picked) < count and any(pools.values()):
        for key in sorted(pools):
            if pools[key] and len(picked) < count:
                picked.append(pools[key].pop())
    return picked


def choose(spec: ModuleSpec, root: Path, renames: int, signatures: int, seed: int) -> tuple[list[Case], Exclusions]:
    """The cases of one module, deterministic for a seed."""
    rng = random.Random(f"{seed}:{spec.name}")
    rename_pool, signature_pool, excluded = collect(spec, root)
    cases: list[Case] = []
    seen: set[tuple[str, str, str]] = set()
    unique: list[Candidate] = []
    for candidate in rename_pool:  # one binding once (e.g. a local assigned in two branches)
        key = (candidate.file, candidate.qualname, candidate.category)
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    by_category = {c: [x for x in unique if x.category == c] for c in RENAME_CATEGORIES}
    texts: dict[str, str] = {}
    for candidate in _balanced(rng, by_category, renames):
        text = texts.setdefault(candidate.file, (root / candidate.file).read_text(encoding="utf-8"))
        cases.append(Case("rename", spec.name, candidate.file, candidate.line, candidate.column,
                          _offset(text, candidate.line, candidate.column), candidate.name,
                          f"{candidate.name}_rn", candidate.category, candidate.qualname))
    qualnames = [c.qualname for c in signature_pool]
    by_kind = {"function": [c for c in signature_pool if c.category != "method"],
               "method": [c for c in signature_pool if c.category == "method"]}
    for candidate in _balanced(rng, by_kind, signatures):
        text = texts.setdefault(candidate.file, (root / candidate.file).read_text(encoding="utf-8"))
        target = candidate.qualname if qualnames.count(candidate.qualname) == 1 else None
        cases.append(Case("signature", spec.name, candidate.file, candidate.line, candidate.column,
                          _offset(text, candidate.line, candidate.column), candidate.name, NEW_PARAM,
                          "method" if candidate.category == "method" else "function", candidate.qualname,
                          target=target, index=candidate.positional))
    return cases, excluded
