"""The ml profile's README/config/code check on real projects: what it reports where nothing was planted.

    python bench/consistency_real.py DIR [DIR ...] [--write]

Each DIR is a checkout of a public ML project (its git commit is reported when it has one). The check is run
five times per project (median ms reported) and every error is printed, so a person can judge each one: a real
disagreement, or a false alarm. ``--write`` puts the table in bench/RESULTS.md (section "consistency_real").
The projects are not in this repository; bench/RESULTS.md names the ones used and their commits.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from results import machine_info, write_section  # noqa: E402

from specpilot.spec.consistency import Consistency, check_consistency  # noqa: E402


def commit_of(root: Path) -> str:
    found = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                           check=False)
    return found.stdout.strip() or "-"


def run(root: Path) -> tuple[Consistency, float]:
    times = []
    result = check_consistency(root)
    for _ in range(5):
        t0 = time.perf_counter()
        result = check_consistency(root)
        times.append((time.perf_counter() - t0) * 1000)
    return result, statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="+", type=Path)
    parser.add_argument("--write", action="store_true", help="write the table to bench/RESULTS.md")
    parser.add_argument("--note", default="", help="a person's judgement of the errors, written under them")
    args = parser.parse_args()
    lines = ["## README/config/code check on real ML projects (bench/consistency_real.py)", "", machine_info(), "",
             "| project | commit | README commands | README settings | config files | Python files | errors | "
             "warnings | median ms |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    errors: list[str] = []
    for root in args.dirs:
        result, ms = run(root)
        facts = result.facts
        warnings = len(result.findings) - len(result.errors)
        lines.append(f"| {root.name} | {commit_of(root)} | {len(facts.commands)} | "
                     f"{sum(1 for s in facts.settings if s.source == 'readme')} | {len(facts.configs)} | "
                     f"{len(facts.python_files)} | {len(result.errors)} | {warnings} | {ms:.0f} |")
        errors += [f"- {root.name}: {finding.message}" for finding in result.errors]
    lines += ["", "Errors (each fails an ml review gate):", ""] + (errors or ["- none"])
    if args.note:
        lines += ["", args.note]
    markdown = "\n".join(lines)
    print(markdown)
    if args.write:
        write_section("consistency_real", markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
