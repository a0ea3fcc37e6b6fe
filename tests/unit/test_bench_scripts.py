"""The benchmark scripts are not run by the suite (they take minutes to hours), but
they must at least import against the current engine: a renamed helper once broke
bench/retrieval.py unnoticed."""

import importlib
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
SCRIPTS = sorted(p.stem for p in BENCH.glob("*.py"))


def test_the_benchmark_scripts_are_found() -> None:
    assert {"retrieval", "speed", "lsp_bench"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_benchmark_script_imports(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    module = importlib.import_module(name)
    assert module.__file__ is not None and Path(module.__file__).parent == BENCH
    sys.modules.pop(name, None)
