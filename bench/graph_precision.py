"""Precision of `graph callers` for methods defined in several classes, before and after
receiver resolution (issue 16 F), on the standard library's ``email`` package.

The population: every caller edge ``C.m <- caller`` the graph *before* the change
reported for a method name ``m`` (not a dunder) defined in two or more classes of the
package (before, ``callers("C.m")`` was every caller of the name ``m``). A seeded
sample of 50 edges is labelled by hand in ``graph_precision_labels.json`` (each
edge: does some call in the caller's body reach ``C.m``? with a one-line reason).
The "before" graph is built by the code of commit ``BEFORE`` (taken with
``git archive``); the "after" graph by this checkout. After the change an edge is
resolved, ambiguous (kept, flagged) or dropped.

    .venv/bin/python bench/graph_precision.py            # measure, write the section
    .venv/bin/python bench/graph_precision.py --show     # print the sample to label
"""

from __future__ import annotations

import argparse
import email
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.results import machine_info, write_section  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
LABELS = Path(__file__).resolve().parent / "graph_precision_labels.json"
BEFORE = "e1ce631"  # the commit before receiver resolution
PACKAGE = Path(email.__file__).parent
PACKAGE_FILES = sum(1 for _ in PACKAGE.rglob("*.py"))
SEED, SAMPLE = 16, 50
FOLDERS = ("specpilot", "index", "agents", "ast_tools", "spec", "server", "rl")

# Run inside a subprocess with either code base: index the workspace without a model,
# then answer callers() for each symbol (timed).
RUNNER = r"""
import json, sys, time
from pathlib import Path
from specpilot.core.config import Settings
from specpilot.index.engine import WorkspaceIndex
root, symbols = sys.argv[1], json.loads(sys.stdin.read())
settings = Settings()
settings.embedder.enabled = False
index = WorkspaceIndex(Path(root), settings)
index.update(embed=False)
out, times = {}, []
for symbol in symbols:
    t0 = time.perf_counter()
    nodes = index.graph.callers(symbol, limit=10000)
    times.append(time.perf_counter() - t0)
    out[symbol] = [[n.path, n.qualified_name, n.line, getattr(n, "ambiguous", False)] for n in nodes]
from specpilot.index.chunker import chunk_file
files = [(str(p.relative_to(root)), p.read_text(encoding="utf-8")) for p in sorted(Path(root).rglob("*.py"))]
chunk = []
for _ in range(5 if symbols else 0):  # the cost of extracting the graph: chunk every file
    t0 = time.perf_counter()
    for rel, text in files:
        chunk_file(rel, text)
    chunk.append(time.perf_counter() - t0)
classes = []
if not symbols:  # the first call: the methods defined in two or more classes
    rows = index.graph._query("SELECT name, target FROM symbols WHERE kind='def' AND target LIKE 'class:%'", ())
    names = {n for n, _ in rows}
    defs = index.graph._query("SELECT DISTINCT scope, name FROM symbols WHERE kind='def' AND scope != ''", ())
    classes = sorted([s, n] for s, n in defs if s.rpartition(".")[2] in names)
index.close()
print(json.dumps({"callers": out, "times": times, "methods": classes, "chunk": chunk}))
"""


def _before_tree(work: Path) -> Path:
    """The code of commit BEFORE laid out as an importable ``specpilot`` package."""
    tree = work / "before"
    tree.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", BEFORE], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    for folder in FOLDERS[1:]:
        (tree / "specpilot" / folder).symlink_to(tree / folder)
    return tree


def _run(code: Path | None, root: Path, symbols: list[str]) -> dict:  # type: ignore[type-arg]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if code is not None:  # the old tree comes first on the path, ahead of the editable install
        env["PYTHONPATH"] = str(code)
    result = subprocess.run([sys.executable, "-c", RUNNER, str(root)], input=json.dumps(symbols), env=env,
                            capture_output=True, text=True, check=False, cwd=code or REPO)
    if result.returncode:
        raise SystemExit(f"the graph runner failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _workspace(work: Path, name: str) -> Path:
    root = work / name
    shutil.copytree(PACKAGE, root / "email", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _key(symbol: str, path: str, caller: str) -> str:
    return f"{symbol} <- {path}:{caller}"


def _show(root: Path, sample: list[tuple[str, str, str, int]]) -> None:
    for symbol, path, caller, line in sample:
        name = symbol.rpartition(".")[2]
        print(f"\n== {_key(symbol, path, caller)} (line {line})")
        lines = (root / path).read_text(encoding="utf-8").splitlines()
        for i in range(max(0, line - 1), min(len(lines), line + 40)):
            if f".{name}(" in lines[i] or f" {name}(" in lines[i]:
                print(f"   {i + 1}: {lines[i].strip()[:150]}")


def measure(show: bool) -> str:
    with tempfile.TemporaryDirectory(prefix="graph-precision-") as tmp:
        work = Path(tmp)
        after_root, before_root = _workspace(work, "after"), _workspace(work, "before_ws")
        methods = _run(None, after_root, [])["methods"]
        by_name: dict[str, list[str]] = {}
        for scope, name in methods:
            if not (name.startswith("__") and name.endswith("__")):
                by_name.setdefault(name, []).append(f"{scope}.{name}")
        symbols = sorted(s for found in by_name.values() if len(found) >= 2 for s in found)
        before = _run(_before_tree(work), before_root, symbols)
        after = _run(None, after_root, symbols)
        edges = sorted((s, p, c, line) for s in symbols for p, c, line, _ in before["callers"][s])
        sample = random.Random(SEED).sample(edges, SAMPLE)
        if show:
            _show(after_root, sample)
            return ""
        labels = json.loads(LABELS.read_text(encoding="utf-8"))
        missing = [_key(s, p, c) for s, p, c, _ in sample if _key(s, p, c) not in labels]
        if missing:
            raise SystemExit("unlabelled edges (run with --show):\n" + "\n".join(missing))
        now = {(s, p, c): amb for s in symbols for p, c, _, amb in after["callers"][s]}
        state = {}
        for s, p, c, _ in sample:
            amb = now.get((s, p, c))
            state[(s, p, c)] = "dropped" if amb is None else "ambiguous" if amb else "resolved"
        correct = {(s, p, c): bool(labels[_key(s, p, c)]["correct"]) for s, p, c, _ in sample}
        all_after = [amb for s in symbols for *_, amb in after["callers"][s]]
        chunk = (statistics.median(before["chunk"]), statistics.median(after["chunk"]))
        return _report(symbols, edges, all_after, state, correct, before["times"], after["times"], chunk)


def _ms(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return f"{statistics.median(ordered) * 1000:.2f} ms / {p95 * 1000:.2f} ms"


def _report(symbols: list[str], edges: list[tuple[str, str, str, int]], all_after: list[bool],
            state: dict[tuple[str, str, str], str], correct: dict[tuple[str, str, str], bool],
            t_before: list[float], t_after: list[float], chunk: tuple[float, float]) -> str:
    def count(kind: str) -> tuple[int, int]:
        keys = [k for k, v in state.items() if v == kind]
        return len(keys), sum(correct[k] for k in keys)

    true_total = sum(correct.values())
    (res_n, res_ok), (amb_n, amb_ok), (drop_n, drop_ok) = count("resolved"), count("ambiguous"), count("dropped")
    pct = lambda a, b: f"{100 * a / b:.0f}%" if b else "n/a"  # noqa: E731
    amb_all = sum(all_after)
    return "\n".join([
        "## graph_precision: `graph callers` of same-named methods (issue 16 F)",
        "",
        f"{machine_info()}; `bench/graph_precision.py` (seed {SEED}).",
        "",
        f"Workspace: the standard library's `email` package (Python {sys.version.split()[0]}), no model. "
        f"{len(symbols)} methods `C.m` whose name is defined in two or more classes "
        f"({sum(1 for _ in {s.rpartition('.')[2] for s in symbols})} names); the graph before the change "
        f"(commit {BEFORE}) reported {len(edges)} caller edges for them, after it "
        f"{len(all_after) - amb_all} resolved and {amb_all} ambiguous ({len(edges) - len(all_after)} dropped as "
        "calls on another class).",
        "",
        f"Hand-labelled sample of {SAMPLE} of the before edges (`bench/graph_precision_labels.json`, "
        f"{true_total} really reach `C.m`):",
        "",
        "| graph | edges | correct | precision |",
        "|---|---:|---:|---:|",
        f"| before (by name) | {SAMPLE} | {true_total} | {pct(true_total, SAMPLE)} |",
        f"| after: resolved | {res_n} | {res_ok} | {pct(res_ok, res_n)} |",
        f"| after: ambiguous (flagged) | {amb_n} | {amb_ok} | {pct(amb_ok, amb_n)} |",
        f"| after: resolved + ambiguous | {res_n + amb_n} | {res_ok + amb_ok} | "
        f"{pct(res_ok + amb_ok, res_n + amb_n)} |",
        f"| after: dropped | {drop_n} | {drop_ok} (wrongly dropped) | |",
        "",
        f"Recall of the true edges in the sample after the change: {pct(res_ok + amb_ok, true_total)} "
        f"({res_ok + amb_ok} of {true_total}). `callers` latency per symbol, median / p95: "
        f"before {_ms(t_before)}, after {_ms(t_after)}. Chunking the package's "
        f"{PACKAGE_FILES} files (graph extraction included), median of 5: before {chunk[0]:.2f} s, "
        f"after {chunk[1]:.2f} s.",
        "",
        "True edges the change dropped (dynamic dispatch the file does not show):",
        "",
        *[f"- `{_key(*k)}`" for k, v in sorted(state.items()) if v == "dropped" and correct[k]],
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print the sample with its call lines, for labelling")
    args = parser.parse_args()
    markdown = measure(args.show)
    if markdown:
        print(markdown)
        write_section("graph_precision", markdown)


if __name__ == "__main__":
    main()
