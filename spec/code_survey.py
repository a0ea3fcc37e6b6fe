"""What the code under a path does today, read for ``specpilot spec from-code`` (spec/brownfield.py drafts the
documents from it).

Python files are read with the standard library's :mod:`ast` (nothing is imported or run): each module's public
classes, functions, methods and properties with their signatures, docstring summaries and the exceptions they
raise explicitly, and the argparse options it declares. Files come from the one walker
(``index.scanner.workspace_files``), so ignored, excluded and refused files are never read; other text files are
listed, Python files that do not parse are listed with the reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from specpilot.core.deny import is_denied
from specpilot.core.errors import SpecPilotError
from specpilot.core.pyast import parse_python
from specpilot.core.scanner import workspace_files

UNDOCUMENTED_SCORE = 0.3
_TEXT_SUFFIXES = {".py", ".pyi", ".js", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".c", ".h", ".cpp", ".hpp",
                  ".rb", ".sh", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".json", ".md", ".rst", ".txt", ".sql",
                  ".kt", ".swift", ".cs", ".php", ".scala", ".lua", ".r", ".m"}


class BrownfieldError(SpecPilotError, ValueError):
    """A PATH that cannot be described (outside the workspace, missing, no code); the message is for the user."""


@dataclass(slots=True)
class CodeSymbol:
    """A public function, class or method as the code defines it."""

    name: str  # qualified within the module: ``Cache.get``
    kind: str  # "function", "class", "method" or "property" (read as an attribute: ``Cache.size``)
    line: int
    signature: str = ""  # ``get(key, default=None)``
    summary: str | None = None  # the docstring's first sentence
    raises: list[tuple[str, str | None]] = field(default_factory=list)  # (exception, literal message)


@dataclass(slots=True)
class CliOption:
    flags: str  # ``--limit`` / ``-n, --limit`` / ``path``
    help: str | None
    line: int


@dataclass(slots=True)
class ModuleSurvey:
    path: str  # relative to the workspace, POSIX
    dotted: str
    summary: str | None
    lines: int
    symbols: list[CodeSymbol] = field(default_factory=list)
    options: list[CliOption] = field(default_factory=list)
    imports: dict[str, list[str]] = field(default_factory=dict)  # dotted module -> names imported from it
    calls: set[tuple[str, str]] = field(default_factory=set)  # (caller, "module.function") across modules


@dataclass(slots=True)
class Survey:
    root: Path
    target: str  # PATH as given, relative to the workspace
    modules: list[ModuleSurvey] = field(default_factory=list)
    other_files: list[str] = field(default_factory=list)
    unparsed: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


# --- reading the code ---------------------------------------------------------------------------------------


def _summary(node: ast.AST) -> str | None:
    doc = ast.get_docstring(node) if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                                                        ast.AsyncFunctionDef)) else None
    if not doc or not doc.strip():
        return None
    paragraph = " ".join(doc.strip().split("\n\n")[0].split())
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z`])", paragraph)[0]
    return first.rstrip()


def _signature(node: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> str:
    args = node.args
    names = [a.arg for a in [*args.posonlyargs, *args.args]]
    if method and names and names[0] in ("self", "cls"):
        names = names[1:]
    names += [f"*{args.vararg.arg}"] if args.vararg else []
    names += [a.arg for a in args.kwonlyargs]
    names += [f"**{args.kwarg.arg}"] if args.kwarg else []
    return f"{node.name}({', '.join(names)})"


def _raises(node: ast.AST) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for child in ast.walk(node):
        if not isinstance(child, ast.Raise) or child.exc is None:
            continue
        exc = child.exc
        call = exc if isinstance(exc, ast.Call) else None
        target = call.func if call else exc
        name = ast.unparse(target) if isinstance(target, (ast.Name, ast.Attribute)) else None
        if not name or not name[:1].isupper():
            continue  # a re-raised variable: nothing observable to name
        message = None
        if call and call.args and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str):
            message = call.args[0].value
        elif call and call.args and isinstance(call.args[0], ast.JoinedStr):
            message = ast.unparse(call.args[0])[2:-1]
        if (name, message) not in found:
            found.append((name, message))
    return found


def _public(name: str) -> bool:
    return not name.startswith("_") or name == "__init__"


def _dotted(root: Path, file: Path) -> str:
    """The module's import name: from the package root, the nearest folder up the tree without an
    ``__init__.py`` (``src/flask/sessions.py`` -> ``flask.sessions``), never above the workspace ``root``."""
    parts = [] if file.name == "__init__.py" else [file.stem]
    folder = file.parent
    while folder != root and (folder / "__init__.py").is_file() and root in folder.parents:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ".".join(parts) or file.stem


def _property(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """"getter" for a ``@property`` (or ``cached_property``), "accessor" for its setter or deleter, else None."""
    for decorator in node.decorator_list:
        name = ast.unparse(decorator)
        if name.rpartition(".")[2] in ("property", "cached_property"):
            return "getter"
        if name.endswith((".setter", ".deleter")):
            return "accessor"
    return None


def _options(tree: ast.Module) -> list[CliOption]:
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"):
            continue
        flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not flags:
            continue
        help_text = next((k.value.value for k in node.keywords if k.arg == "help"
                          and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)), None)
        found.append(CliOption(", ".join(flags), help_text, node.lineno))
    return sorted(found, key=lambda o: o.line)


def _read_module(path: str, dotted: str, tree: ast.Module, text: str) -> ModuleSurvey:
    module = ModuleSurvey(path, dotted, _summary(tree), len(text.splitlines()))
    package = module.dotted if path.endswith("__init__.py") else module.dotted.rpartition(".")[0]
    aliases: dict[str, str] = {}  # local name -> "module" or "module.name"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                module.imports.setdefault(alias.name, [])
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[:len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                module.imports.setdefault(base, []).append(alias.name)
                aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(node.name) \
                and node.name != "__init__":
            module.symbols.append(CodeSymbol(node.name, "function", node.lineno, _signature(node, False),
                                             _summary(node), _raises(node)))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            module.symbols.append(CodeSymbol(node.name, "class", node.lineno, node.name, _summary(node)))
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _public(item.name):
                    summary = _summary(item)
                    accessor = _property(item)
                    if accessor == "accessor" or (accessor and item.name == "__init__"):
                        continue  # the setter of a property already described by its getter
                    if accessor:
                        module.symbols.append(CodeSymbol(f"{node.name}.{item.name}", "property", item.lineno,
                                                         f"{node.name}.{item.name}", summary, _raises(item)))
                        continue
                    if item.name == "__init__" and summary is None and not _raises(item):
                        continue  # a plain constructor says nothing the class story does not
                    signature = _signature(item, True)
                    signature = node.name + signature[len("__init__"):] if item.name == "__init__" \
                        else f"{node.name}.{signature}"
                    module.symbols.append(CodeSymbol(f"{node.name}.{item.name}", "method", item.lineno, signature,
                                                     summary, _raises(item)))
    module.options = _options(tree)
    for top in tree.body:
        if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(top):
            if isinstance(node, ast.Call):
                callee = ast.unparse(node.func) if isinstance(node.func, (ast.Name, ast.Attribute)) else ""
                head, _, rest = callee.partition(".")
                if head in aliases:
                    module.calls.add((top.name, aliases[head] + (f".{rest}" if rest else "")))
    return module


def _files_under(root: Path, relative: Path) -> list[Path]:
    """The files under ``relative`` that the one walker lists (``.gitignore``, the deny rule, virtualenvs, the
    workspace's ``exclude``), less hidden ones, by path."""
    prefix = "" if not relative.parts else relative.as_posix() + "/"
    return [f.abs_path for f in workspace_files(root) if f.path.startswith(prefix)
            and not any(part.startswith(".") for part in f.path.split("/"))]


def survey(root: Path, target: str | Path) -> Survey:
    """What the code under ``target`` (a file or folder of the workspace ``root``) defines."""
    root = Path(root).resolve()
    given = Path(target)
    resolved = (given if given.is_absolute() else root / given).resolve()
    try:
        relative = resolved.relative_to(root)
    except ValueError:
        raise BrownfieldError(f"{target} is outside the workspace {root}; give a file or folder inside it") from None
    if not resolved.exists():
        raise BrownfieldError(f"{target} does not exist in the workspace {root}")
    result = Survey(root, relative.as_posix() if relative.parts else root.name)
    if resolved.is_file() and is_denied(relative.as_posix()):
        raise BrownfieldError(f"{target} is refused: SpecPilot never reads files of secrets")
    files = [resolved] if resolved.is_file() else _files_under(root, relative)
    for path in files:
        rel = path.relative_to(root).as_posix()
        if path.suffix != ".py":
            if path.suffix.lower() in _TEXT_SUFFIXES or path.suffix == "":
                result.other_files.append(rel)
            continue
        if path.name.startswith("_") and path.name not in ("__init__.py", "__main__.py"):
            continue  # a private module
        try:
            text = path.read_text(encoding="utf-8")
            tree = parse_python(text, filename=rel)
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            where = f" (line {exc.lineno})" if isinstance(exc, SyntaxError) and exc.lineno else ""
            result.unparsed.append((rel, f"{type(exc).__name__}{where}"))
            continue
        module = _read_module(rel, _dotted(root, path), tree, text)
        if path.name == "__init__.py" and not module.symbols and module.summary is None:
            continue  # an empty package marker
        result.modules.append(module)
    if not result.modules and not result.other_files and not result.unparsed:
        raise BrownfieldError(f"{target} holds no code to describe")
    return result
