"""How fast the command line answers: ``--help`` of every command, and ``ask`` /
``agent run`` with no model configured, each timed as a fresh process.

Targets (issue 16): every ``--help`` within 0.3 s; ``ask`` and ``agent run`` without a
model within 2 s, on an indexed workspace (they search the index full-text and never
load the embedding model). Writes the ``cli_speed`` section of bench/RESULTS.md.

    python bench/cli_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_info, pct, write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "examples" / "sample_workspace"
HELP_TARGET_S, NO_MODEL_TARGET_S = 0.3, 2.0
MODEL_VARIABLES = ("SPECPILOT_PROVIDER", "SPECPILOT_MODEL", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL",
                   "ANTHROPIC_BASE_URL")


def command_paths() -> list[tuple[str, ...]]:
    """Every command and sub-command of the parser, e.g. ("refactor", "rename")."""
    from specpilot.cli import build_parser

    found: list[tuple[str, ...]] = []

    def walk(parser: argparse.ArgumentParser, prefix: tuple[str, ...]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    found.append((*prefix, name))
                    walk(child, (*prefix, name))

    walk(build_parser(), ())
    return found


def specpilot() -> list[str]:
    """The installed ``specpilot`` script, as a user runs it (else ``python -m specpilot``)."""
    script = Path(sys.executable).parent / "specpilot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "specpilot"]


def timed(args: list[str], cwd: Path, env: dict[str, str], runs: int) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} exited {done.returncode}: {done.stderr[-500:]}")
    return times


def row(label: str, times: list[float], target: float) -> str:
    median = statistics.median(times)
    verdict = "yes" if pct(times, 0.95) <= target else "no"
    return f"| `{label}` | {median:.3f} | {pct(times, 0.95):.3f} | {max(times):.3f} | {len(times)} | {verdict} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh processes per command (at least 5)")
    parser.add_argument("--no-write", action="store_true", help="print the section, do not write RESULTS.md")
    options = parser.parse_args()
    runs = max(5, options.runs)
    env = {k: v for k, v in os.environ.items() if k not in MODEL_VARIABLES}
    env["HF_HUB_OFFLINE"] = "1"
    base = specpilot()
    header = ["| command | median s | p95 s | max s | runs | within target |", "|---|---|---|---|---|---|"]
    help_rows, help_worst = [], 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for path in [(), *command_paths()]:
            times = timed([*base, *path, "--help"], folder, env, runs)
            help_worst = max(help_worst, pct(times, 0.95))
            help_rows.append(row(" ".join(["specpilot", *path, "--help"]), times, HELP_TARGET_S))
            print(help_rows[-1], flush=True)
        sys.path.insert(0, str(ROOT))
        from tests.fixtures import copy_workspace

        workspace = copy_workspace(SAMPLE, folder / "ws")
        timed([*base, "index", "-q", str(workspace)], folder, env, 1)  # embeds: the index a user has
        model_rows, model_worst = [], 0.0
        for args in (["ask", "parse the http header"], ["agent", "run", "parse the http header"]):
            times = timed([*base, *args, "--quiet"], workspace, env, runs)
            model_worst = max(model_worst, pct(times, 0.95))
            model_rows.append(row(f"specpilot {args[0]}{' run' if args[0] == 'agent' else ''} … (indexed, no model)",
                                  times, NO_MODEL_TARGET_S))
            print(model_rows[-1], flush=True)
    load = os.getloadavg()[0]
    markdown = "\n".join([
        "## CLI speed (`bench/cli_speed.py`)", "",
        f"Machine: {machine_info()}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"Command: `python bench/cli_speed.py --runs {runs}`. Each figure is the wall time of a fresh "
        f"`specpilot` process (the installed script), {runs} runs; load average at the end {load:.1f} "
        "(other work shared the machine).", "",
        f"### `--help` (target: p95 ≤ {HELP_TARGET_S} s; worst p95 {help_worst:.3f} s)", "",
        *header, *help_rows, "",
        f"### Without a model (target: p95 ≤ {NO_MODEL_TARGET_S} s; worst p95 {model_worst:.3f} s)", "",
        "On a copy of examples/sample_workspace indexed with embeddings. The answer says how to configure a "
        "model and lists the code a full-text (BM25) search of the index finds; the embedding model is not "
        "loaded (before this, the hybrid search loaded it: about 6 s on this machine).", "",
        *header, *model_rows,
    ])
    if options.no_write:
        print(markdown)
    else:
        print(f"wrote the cli_speed section of {write_section('cli_speed', markdown)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
