"""The VS Code extension's figures: activation, the first semantic result, the panel's render.

Usage::

    python bench/vscode.py [--runs 3]

Runs the end-to-end test (``npm run test:e2e``: the built ``.vsix`` in code-server, driven in
headless Chromium) ``--runs`` times and the spec panel's browser test (``npm run test:panel``,
which renders the fixture 10 times per run) as many times, and reads the ``figure:`` and
``render:`` lines they print. Each e2e run opens a fresh copy of the sample workspace with an
empty cache, so "first semantic result" includes indexing and embedding it. Node, npm and
code-server come from the Makefile (``make vsix`` and ``make test-extension`` set them up).

Writes the ``vscode`` section of RESULTS.md: medians and the largest value over the runs (p95
over 3 runs would be the largest anyway), with the e2e test's own total for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from results import machine_info, write_section  # noqa: E402

NODE_BIN = ROOT / ".venv" / "node-bin"
LABELS = {
    "activation_to_server_up": "activation → server up (the extension's own log line)",
    "page_load_to_server_up": "page load → server up",
    "workspace_open_to_first_semantic_result": "workspace open → first semantic result in the QuickPick",
    "page_load_to_indexed": "page load → status bar \"SpecPilot: indexed\"",
}


def environment() -> dict[str, str]:
    node_home = (NODE_BIN / "NODE_HOME").read_text().strip()
    env = {**os.environ, "PATH": f"{NODE_BIN}:{os.environ['PATH']}", "NODE_HOME": node_home,
           "SPECPILOT_PYTHON": str(ROOT / ".venv" / "bin" / "python")}
    done = subprocess.run(["bash", str(ROOT / "extension" / "scripts" / "install_code_server.sh")],
                          capture_output=True, text=True, env=env, check=True)
    env["CODE_SERVER"] = done.stdout.strip().splitlines()[-1]
    version = json.loads((ROOT / "package.json").read_text())["version"]
    env["SPECPILOT_VSIX"] = str(ROOT / "dist" / f"specpilot-{version}.vsix")  # built by `make vsix`
    return env


def run(script: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(NODE_BIN / "npm"), "run", "--silent", script], cwd=ROOT, capture_output=True,
                          text=True, env=env, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"npm run {script} failed:\n{done.stdout[-3000:]}\n{done.stderr[-2000:]}")
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = environment()
    figures: dict[str, list[float]] = {}
    renders: list[tuple[float, float]] = []
    load_start = os.getloadavg()[0]
    started = time.monotonic()
    for i in range(args.runs):
        print(f"run {i + 1}/{args.runs}: e2e", file=sys.stderr)
        for name, value in re.findall(r"figure: (\w+) ([\d.]+) ", run("test:e2e", env)):
            figures.setdefault(name, []).append(float(value))
        print(f"run {i + 1}/{args.runs}: panel", file=sys.stderr)
        found = re.search(r"render: median ([\d.]+) ms to the updated DOM, ([\d.]+) ms to the next drawn frame",
                          run("test:panel", env))
        if found:
            renders.append((float(found.group(1)), float(found.group(2))))
    load_end = os.getloadavg()[0]

    def row(label: str, values: list[float], unit: str, scale: float = 1.0) -> str:
        return (f"| {label} | {statistics.median(values) / scale:.2f} {unit} | {max(values) / scale:.2f} {unit} "
                f"| {len(values)} |")

    lines = [
        f"{machine_info()}; 1-minute load average {load_start:.1f} before, {load_end:.1f} after; "
        f"{time.monotonic() - started:.0f} s in all",
        "",
        "VS Code 1.139.1 (code-server 4.139.1) in headless Chromium, the built `.vsix` installed, the sample "
        "workspace (a fresh copy, empty cache) opened; SpecPilot's server from the repository's `.venv`.",
        "",
        "| figure | median | largest | runs |",
        "|---|---|---|---|",
    ]
    for name, label in LABELS.items():
        if name in figures:
            lines.append(row(label, figures[name], "s", 1000.0))
    if renders:
        lines.append(row("spec panel: the spec message → the updated page (median of 10 renders per run)",
                         [r[0] for r in renders], "ms"))
        lines.append(row("spec panel: the spec message → the next drawn frame", [r[1] for r in renders], "ms"))
    if "vsix_size" in figures:
        lines += ["", f"The `.vsix`: {figures['vsix_size'][0] / 1024:.0f} KiB (the bundled extension and webview, "
                      "the manifest, the icon). One end-to-end run, install to last check: "
                      f"{statistics.median(figures.get('e2e_total', [0]))} s (median)."]
    text = "\n".join(lines)
    print(text)
    write_section("vscode", text)


if __name__ == "__main__":
    main()
