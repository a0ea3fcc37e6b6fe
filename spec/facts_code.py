"""What a project's Python code says about its options and settings (the "code" part of spec/facts.py)."""

from __future__ import annotations

import ast
import re
from pathlib import PurePosixPath
from typing import Any

from specpilot.core.pyast import parse_python
from specpilot.spec.fact_model import PATH_LITERAL, Facts, Mention, Setting, never_config, normal_key, normal_value

_CONFIG_NAMES = re.compile(r"(?:^|_)(?:cfg|config|conf|hparams|hyperparams|params|settings|hp)$", re.IGNORECASE)
_ARG_LIBRARIES = {"fire", "hydra", "typer", "jsonargparse", "simple_parsing", "tyro", "omegaconf", "docopt"}


def _constant(node: ast.AST | None) -> tuple[bool, Any]:
    """(True, value) for a literal number, string, bool or None (``-1`` included)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        ok, value = _constant(node.operand)
        return (ok, -value) if ok and isinstance(value, (int, float)) and not isinstance(value, bool) else (False, 0)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool, type(None))):
        return True, node.value
    return False, None


def _root_name(node: ast.AST) -> str | None:
    """``cfg`` for ``cfg["a"]["b"]``, ``self.cfg["a"]``, ``cfg.train["a"]``'s closest name-like part."""
    while True:
        if isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute):
            return node.attr
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def read_python(facts: Facts, path: str, text: str) -> None:
    try:
        tree = parse_python(text)
    except (SyntaxError, ValueError):
        return
    options = facts.options.setdefault(path, {})
    names = facts.names
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(normal_key(node.id))
        elif isinstance(node, ast.Attribute):
            names.add(normal_key(node.attr))
            if node.attr == "argv":
                facts.argv_files.add(path)
        elif isinstance(node, ast.arg):
            names.add(normal_key(node.arg))
        elif isinstance(node, ast.keyword) and node.arg:
            names.add(normal_key(node.arg))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if len(node.value) <= 64:
                names.add(normal_key(node.value))
            if PATH_LITERAL.match(node.value) and "/" in node.value and not never_config(node.value):
                facts.code_paths.append(Mention(node.value, path, node.lineno))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else _from_modules(path, node)
            facts.imports.setdefault(path, set()).update(modules)
            if any(m.split(".")[0] in _ARG_LIBRARIES for m in modules) or any(
                    a.name == "HfArgumentParser" for a in node.names):
                facts.free_parsers.add(path)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id == "exec" or \
                    isinstance(node.func, ast.Attribute) and node.func.attr in ("run_path", "run_module"):
                facts.free_parsers.add(path)  # exec(open("configurator.py").read()): options parsed elsewhere
            _call(facts, path, node, options)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _defaults(facts, path, node)
        elif isinstance(node, ast.Subscript):
            ok, key = _constant(node.slice)
            root = _root_name(node.value)
            if ok and isinstance(key, str) and isinstance(node.ctx, ast.Store):
                facts.written_keys.add(normal_key(key))
            elif ok and isinstance(key, str) and root and _CONFIG_NAMES.search(root):
                facts.reads.append(Mention(normal_key(key), path, node.lineno))
        elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and isinstance(
                node.left.value, str) and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            facts.guarded_keys.add(normal_key(node.left.value))
        elif isinstance(node, ast.Dict):
            facts.written_keys.update(normal_key(k.value) for k in node.keys
                                      if isinstance(k, ast.Constant) and isinstance(k.value, str))
    for node in tree.body:
        _assignment(facts, path, node, module_level=True)
        if isinstance(node, ast.ClassDef):
            for child in node.body:
                _assignment(facts, path, child, module_level=False)


def _from_modules(path: str, node: ast.ImportFrom) -> list[str]:
    """``from .cli import parse`` in ``pkg/train.py`` -> ``pkg.cli`` and ``pkg.cli.parse`` (either may be a module)."""
    base = node.module or ""
    if node.level:
        package = list(PurePosixPath(path).parts[:-1])
        package = package[:len(package) - (node.level - 1)] if node.level > 1 else package
        base = ".".join(package + ([base] if base else []))
    return [base] + [f"{base}.{alias.name}" if base else alias.name for alias in node.names]


def _call(facts: Facts, path: str, node: ast.Call, options: dict[str, int]) -> None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    flags = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
             and a.value.startswith("-")]
    if name == "add_argument" and node.args and not isinstance(node.args[0], ast.Constant):
        facts.free_parsers.add(path)  # add_argument(f"--{key}", ...) in a loop: the options are not listed
    if name in ("add_argument", "option", "Option") and flags:
        for flag in flags:
            options.setdefault(flag, node.lineno)
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        ok, dest = _constant(keywords.get("dest"))
        long = next((f for f in flags if f.startswith("--")), flags[0])
        key = normal_key(dest if ok and isinstance(dest, str) else long)
        ok, default = _constant(keywords.get("default"))
        if ok and default is not None:
            facts.settings.append(Setting(key, normal_value(default), path, node.lineno, "code", "defaults to"))
        return
    for keyword in node.keywords:
        ok, value = _constant(keyword.value)
        if keyword.arg and ok and value is not None and not isinstance(value, str):
            facts.settings.append(Setting(normal_key(keyword.arg), normal_value(value), path, keyword.value.lineno,
                                          "code", "passes"))


def _defaults(facts: Facts, path: str, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    positional = node.args.posonlyargs + node.args.args
    pairs = list(zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults, strict=True))
    pairs += [(a, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True) if d is not None]
    for arg, default in pairs:
        ok, value = _constant(default)
        if ok and value is not None and not isinstance(value, str):
            facts.settings.append(Setting(normal_key(arg.arg), normal_value(value), path, default.lineno, "code",
                                          "defaults to"))


def _assignment(facts: Facts, path: str, node: ast.stmt, *, module_level: bool) -> None:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        target, value = node.targets[0].id, node.value
    elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
        target, value = node.target.id, node.value
    else:
        return
    if isinstance(value, ast.Call) and value.args:  # field(default=...) is a keyword; Field(32) is not checked
        return
    if isinstance(value, ast.Call):
        value = next((k.value for k in value.keywords if k.arg == "default"), value)
    if module_level and not target.isupper():
        return
    ok, constant = _constant(value)
    if ok and constant is not None and not isinstance(constant, str):
        facts.settings.append(Setting(normal_key(target), normal_value(constant), path, node.lineno, "code",
                                      "sets"))
