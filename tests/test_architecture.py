"""The rules ARCHITECTURE.md states, checked: the layers import only downwards, only server/ speaks LSP, and
every cross-package import resolves, for mypy (real types, never Any) and for an editor (jedi)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Each layer and the layers it may import (besides itself). Bottom first; see ARCHITECTURE.md.
ENGINES = {"core", "index", "ast_tools", "llm", "spec", "agents", "rl"}
MAY_IMPORT: dict[str, set[str]] = {
    "core": set(),
    "index": {"core"},
    "ast_tools": {"core"},
    "llm": {"core"},
    "spec": {"core", "index", "ast_tools", "llm"},
    "agents": {"core", "index", "ast_tools", "llm", "spec"},
    "rl": {"core", "index", "ast_tools", "llm", "spec", "agents"},
    "facade": ENGINES,  # specpilot/project.py: the engine façade both faces build
    "server": ENGINES | {"facade"},
    "mcp_server": ENGINES | {"facade"},  # the MCP face: `specpilot mcp` (the CLI starts it, as it starts the server)
    "cli": ENGINES | {"facade", "server", "mcp_server"},
}
FACADE = ("project",)
LSP_PACKAGES = ("pygls", "lsprotocol")


def layer_files() -> dict[str, list[Path]]:
    files = {layer: sorted((ROOT / layer).rglob("*.py")) for layer in MAY_IMPORT if layer not in ("cli", "facade")}
    files["facade"] = [ROOT / "specpilot" / f"{name}.py" for name in FACADE]
    files["cli"] = [p for p in sorted((ROOT / "specpilot").glob("*.py")) if p.stem not in FACADE]  # not the links
    return files


def imported(path: Path) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module == "specpilot":  # from specpilot import cli, __version__
                found += [(node.lineno, f"specpilot.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, node.module))
    return found


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "specpilot" or len(parts) < 2 or parts[1].startswith("__"):
        return None  # not ours, or the package's own __version__
    if parts[1] in FACADE:
        return "facade"
    return parts[1] if parts[1] in MAY_IMPORT else "cli"


def test_layers_import_only_downwards_and_only_the_server_speaks_lsp() -> None:
    broken: list[str] = []
    for layer, files in layer_files().items():
        assert files, f"no files found for {layer}"
        for path in files:
            for line, module in imported(path):
                where = f"{path.relative_to(ROOT)}:{line}"
                target = layer_of(module)
                if target is not None and target != layer and target not in MAY_IMPORT[layer]:
                    broken.append(f"{where} ({layer}) imports {module} ({target})")
                if module.split(".")[0] in LSP_PACKAGES and layer != "server":
                    broken.append(f"{where} ({layer}) imports {module}: only server/ speaks LSP")
    assert broken == []


def test_the_walk_sees_a_violation() -> None:
    """The rule check itself: an upward import is caught."""
    assert layer_of("specpilot.agents.loop") == "agents" and "agents" not in MAY_IMPORT["spec"]
    assert "rl" not in MAY_IMPORT["agents"]  # the agent asks core/policy.py's seam, never rl/ itself
    assert layer_of("specpilot.cli_spec") == "cli" and "cli" not in MAY_IMPORT["server"]


@pytest.mark.slow
def test_mypy_resolves_cross_package_imports_to_real_types() -> None:
    """With ignore_missing_imports only for named third-party modules, an unresolved specpilot import is an
    error; reveal_type shows the real types (with the old package-dir mapping every one of them was Any)."""
    done = subprocess.run([sys.executable, "-m", "mypy", "tests/typecheck/reveal_types.py"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    revealed = [line.split('Revealed type is "', 1)[1].rstrip('"') for line in done.stdout.splitlines()
                if "Revealed type is" in line]
    expected = (ROOT / "tests/typecheck/expected_reveals.txt").read_text().splitlines()
    assert revealed == expected, done.stdout[-3000:]
    assert "import-not-found" not in done.stdout and "import-untyped" not in done.stdout, done.stdout[-3000:]


def test_an_editor_follows_cross_package_imports() -> None:
    import jedi  # a test dependency (pyproject's test extras): its absence is a failure, not a skip
    source = (ROOT / "specpilot/project.py").read_text()
    line_no, column = next((i + 1, line.index("workflow") + 1) for i, line in enumerate(source.splitlines())
                           if "from specpilot.spec.workflow import" in line)
    script = jedi.Script(source, path=str(ROOT / "specpilot/project.py"), project=jedi.Project(str(ROOT)))
    targets = script.goto(line_no, column, follow_imports=True)
    assert [Path(str(t.module_path)).resolve() for t in targets] == [(ROOT / "spec/workflow.py").resolve()]


def test_every_module_has_a_test_file_or_architecture_names_one() -> None:
    """Each module has tests/**/test_<module>.py, or ARCHITECTURE.md's test map names an existing test file
    that mentions it (imports it or the module that uses it, named in the map's second column)."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = text.split("<!-- test-map -->", 1)[1].split("<!-- /test-map -->", 1)[0]
    mapped: dict[str, tuple[str, str]] = {}
    for row in table.splitlines():
        cells = [c.strip().strip("`") for c in row.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].endswith(".py"):
            mapped[cells[0]] = (cells[1], cells[2])
    names = {p.name for p in (ROOT / "tests").rglob("test_*.py")}
    modules = [p for layer in ENGINES | {"server", "mcp_server"} for p in (ROOT / layer).rglob("*.py")]
    modules += list((ROOT / "specpilot").glob("*.py"))
    missing: list[str] = []
    for module in sorted(modules):
        if module.name in ("__init__.py", "__main__.py") or f"test_{module.stem}.py" in names:
            continue
        rel = module.relative_to(ROOT).as_posix()
        if rel not in mapped:
            missing.append(f"{rel}: no test_{module.stem}.py and no row in ARCHITECTURE.md's test map")
            continue
        test_file, through = mapped[rel]
        path = ROOT / test_file
        if not path.is_file():
            missing.append(f"{rel}: the map names {test_file}, which does not exist")
        elif through.split(".")[-1] not in path.read_text(encoding="utf-8"):
            missing.append(f"{rel}: {test_file} does not mention {through}")
    assert missing == []
