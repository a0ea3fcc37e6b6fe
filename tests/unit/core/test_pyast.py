"""One way to build Python ASTs, safe across threads (CPython 3.11's shared recursion depth, gh-106905)."""

from __future__ import annotations

import ast
import re
import threading
from pathlib import Path

import pytest

from specpilot.core.pyast import parse_python

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("core", "index", "ast_tools", "llm", "spec", "agents", "rl", "server", "mcp_server", "specpilot")


def test_it_parses_as_ast_does_and_raises_the_same_errors() -> None:
    source = "def f(a, b=1):\n    return [x for x in a if x > b]\n"
    assert ast.dump(parse_python(source, "f.py")) == ast.dump(ast.parse(source))
    assert isinstance(parse_python("(1 + 2)", mode="eval"), ast.Expression)
    with pytest.raises(SyntaxError):
        parse_python("def f(:\n", "broken.py")


def test_threads_building_trees_at_once_all_succeed() -> None:
    source = "x = " + "(" * 80 + "1" + ")" * 80 + "\n" + "\n".join(
        f"def f{i}(a):\n    return {{k: [a for a in range(k)] for k in range({i})}}" for i in range(100))
    failures: list[BaseException] = []

    def work() -> None:
        for _ in range(20):
            try:
                parse_python(source)
            except BaseException as exc:  # noqa: BLE001 (the test collects whatever a thread hits)
                failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_no_shipped_module_calls_ast_parse_itself() -> None:
    calls = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else ():
            if path.name == "pyast.py" or "__pycache__" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            calls += [f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}"
                      for m in re.finditer(r"\bast\.parse\(", text)]
    assert calls == [], "use specpilot.core.pyast.parse_python"
