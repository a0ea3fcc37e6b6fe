"""index/lance.py, the one door to LanceDB: a cold import skips the namespace REST
client's ~150 API modules (about 1 s of every cold ``specpilot search``), LanceDB still
works, code that uses the client still gets it, and no other module imports LanceDB
around the door."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LAYERS = ("core", "index", "ast_tools", "llm", "spec", "agents", "rl", "server")


def run_fresh(code: str) -> str:
    """stdout of a fresh interpreter running ``code`` (imports are per process)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_cold_import_loads_no_namespace_api_module_and_lancedb_still_reads_and_writes(tmp_path: Path) -> None:
    out = run_fresh(f"""
import json, sys
from specpilot.index.lance import lancedb
db = lancedb.connect({str(tmp_path)!r})
table = db.create_table("t", data=[{{"id": "a", "vector": [1.0, 0.0]}}, {{"id": "b", "vector": [0.0, 1.0]}}])
hits = table.search([0.9, 0.1]).limit(1).to_list()
apis = sorted(m for m in sys.modules if m.startswith("lance_namespace_urllib3_client.api"))
print(json.dumps({{"apis": apis, "hit": hits[0]["id"]}}))
""")
    result = json.loads(out)
    assert result == {"apis": [], "hit": "a"}


def test_the_deferred_package_runs_its_init_when_one_of_its_names_is_used() -> None:
    out = run_fresh("""
import sys
from specpilot.index import lance
from lance_namespace_urllib3_client import ApiClient, TableApi
import lance_namespace_urllib3_client as client
print(ApiClient.__name__, TableApi.__name__, client.__version__, hasattr(client, "no_such_name"))
""")
    assert out.split() == ["ApiClient", "TableApi", out.split()[2], "False"]
    assert out.split()[2][0].isdigit()  # the package's own __version__, set by its __init__


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    out = run_fresh("""
from specpilot.index import lance
import lance_namespace_urllib3_client as client
try:
    client.surely_not_defined
except AttributeError as error:
    print("AttributeError", "surely_not_defined" in str(error))
""")
    assert out.split() == ["AttributeError", "True"]


def test_no_module_imports_lancedb_except_through_the_door() -> None:
    offenders: list[str] = []
    files = [p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")] + list((ROOT / "specpilot").glob("*.py"))
    for path in files:
        if path == ROOT / "index" / "lance.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "lancedb" or n.startswith("lancedb.") for n in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
