"""Refactoring correctness on the standard library: our engine against rope.

Usage::

    python bench/refactor_eval.py [--modules textwrap,shlex] [--limit N] [--seed 0]
                                  [--renames-per-module 30] [--signatures-per-module 7]

For each module (default: textwrap, shlex, difflib, fnmatch, configparser,
argparse, fractions, gettext) a temporary workspace holds a copy of the module
and of its tests from the stdlib ``test`` package. A seeded script picks renames
(public and private functions, methods, classes, parameters, locals; new name
``<old>_rn``) and signature changes (add ``new_param=None``). Each case starts
from the pristine copy; the tool runs from a cold start (a fresh ``Workspace``, a
fresh rope ``Project`` without a ``.ropeproject`` folder) and writes its edits,
then the module's tests run and every test's outcome must be what it was before
(``passed``); otherwise the case is ``broken``; a refusal or an exception is
``refused``/``error`` (not passed). The same renames run with rope (PyPI ``rope``).

Every case goes to bench/.work/refactor_eval/results.json (reproducible: file,
line, column, old and new name, category). A run without ``--limit`` rewrites
the ``refactor_eval`` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from refactor_eval_cases import (  # noqa: E402
    DEFAULT_MODULES,
    RENAME_CATEGORIES,
    SIGNATURE_CATEGORIES,
    SWAPPED,
    Case,
    build_workspace,
    choose,
    module_spec,
    restore,
)
from refactor_eval_runner import TOOLS, ToolError, compare, run_tests, warm_up  # noqa: E402
from results import machine_info, pct, write_section  # noqa: E402

WORK = BENCH / ".work" / "refactor_eval"
SLOW_TESTS_S = 10.0


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)



def engine_version() -> str:
    """The commit, and a digest of ast_tools/*.py as loaded (the engine may have uncommitted changes)."""
    root = BENCH.parent
    digest = hashlib.sha256()
    for path in sorted((root / "ast_tools").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "ast_tools"], cwd=root, capture_output=True,
                               text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "unknown", ""
    return f"commit {commit or 'unknown'}{' + uncommitted ast_tools changes' if dirty else ''}, " \
           f"ast_tools sha256 {digest.hexdigest()[:12]}"


def rope_version() -> str:
    try:
        return importlib.metadata.version("rope")
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def signature_available() -> bool:
    try:
        return importlib.util.find_spec("specpilot.ast_tools.signature") is not None
    except ImportError:
        return False


def baseline(spec: Any, pristine: Path, ws: Path, timeout: float) -> dict[str, Any]:
    """The tests' outcomes on the pristine copy, twice: tests whose outcome differs are flaky
    and left out of the comparison."""
    runs = []
    for _ in range(2):
        restore(pristine, ws)
        run = run_tests(ws, spec.top_level(), spec.test_module, timeout)
        if run.crashed:
            raise SystemExit(f"{spec.name}: the tests do not run on the pristine copy: {run.crashed}")
        runs.append(run)
    first, second = runs[0].outcomes, runs[1].outcomes
    flaky = sorted(t for t in set(first) | set(second) if first.get(t, ("?",))[0] != second.get(t, ("?",))[0])
    counts = Counter(outcome for outcome, _ in first.values())
    seconds = statistics.median(r.seconds for r in runs)
    return {"outcomes": first, "flaky": flaky, "counts": dict(counts), "seconds": seconds}


def run_case(case: Case, tool: str, pristine: Path, ws: Path, spec: Any, base: dict[str, Any],
             timeout: float) -> dict[str, Any]:
    restore(pristine, ws)
    record: dict[str, Any] = {}
    try:
        seconds, facts = TOOLS[(tool, case.kind)](ws, case)
    except ToolError as exc:
        record.update(status=exc.kind, reason=str(exc), ms=exc.seconds * 1000)
        return record
    record.update(ms=seconds * 1000, **facts)
    run = run_tests(ws, spec.top_level(), spec.test_module, timeout)
    changes = compare(base["outcomes"], set(base["flaky"]), run)
    record.update(status="broken" if changes else "passed", test_seconds=round(run.seconds, 2))
    if run.crashed:
        record["reason"] = f"the tests did not run: {run.crashed}"[:1500]
    elif changes:
        record["reason"] = f"{len(changes)} test(s) changed: " + " || ".join(changes[:4])[:1500]
    return record


def summarize(cases: list[Case], tool: str, kind: str) -> dict[str, Any]:
    mine = [c for c in cases if c.kind == kind and tool in c.results]
    statuses = Counter(str(c.results[tool]["status"]) for c in mine)
    times = [float(c.results[tool]["ms"]) for c in mine if c.results[tool]["status"] in ("passed", "broken")]
    summary: dict[str, Any] = {"cases": len(mine), **{s: statuses.get(s, 0) for s in
                                                      ("passed", "broken", "refused", "error", "not run")}}
    ran = len(mine) - statuses.get("not run", 0)
    summary["pass_rate"] = summary["passed"] / ran if ran else None
    summary["median_ms"] = statistics.median(times) if times else None
    summary["p95_ms"] = pct(times, 0.95) if times else None
    summary["by_category"] = {}
    for category in sorted({c.category for c in mine}):
        group = [c for c in mine if c.category == category]
        summary["by_category"][category] = {
            "cases": len(group), "passed": sum(c.results[tool]["status"] == "passed" for c in group)}
    return summary


def _rate(summary: dict[str, Any]) -> str:
    rate = summary.get("pass_rate")
    return "n/a" if rate is None else f"{100 * rate:.1f}% ({summary['passed']}/{summary['cases']})"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


def report(cases: list[Case], modules: dict[str, dict[str, Any]], excluded: dict[str, Any], seed: int,
           args: argparse.Namespace, signature_ran: bool) -> str:
    ours, rope = summarize(cases, "ours", "rename"), summarize(cases, "rope", "rename")
    sig_ours, sig_rope = summarize(cases, "ours", "signature"), summarize(cases, "rope", "signature")
    ratio = (ours["median_ms"] / rope["median_ms"]) if ours["median_ms"] and rope["median_ms"] else None
    lines = [
        "## Refactoring correctness on the standard library (bench/refactor_eval.py)",
        "",
        f"Machine: {machine_info()}. Engine: {args.engine}; rope {rope_version()}. Seed {seed}; every case, "
        "with its position, in `bench/.work/refactor_eval/results.json`.",
        "",
        "Each module and its tests (from the stdlib `test` package) are copied into a workspace; the tests "
        "run in a subprocess from it with the copy imported (checked) and the unittest harness from the "
        "stdlib. A case is *passed* when, after the tool wrote its edits, every test's outcome "
        "(ok/FAIL/ERROR/skip) is what it was on the pristine copy; *refused* and *error* count as not passed. "
        "Both tools start cold for each case (a fresh `Workspace`; a fresh rope `Project` with "
        "`ropefolder=None`); the time is the tool's alone (analysis and writing the files), not the tests'. "
        "rope runs `Rename(...).get_changes(new, in_hierarchy=True)` (overrides renamed with a method, as "
        "ours does; strings and comments left alone by both).",
        "",
        "| module | lines (module) | tests (ok/skip) | test run, s | renames | signature changes |",
        "|---|---|---|---|---|---|",
    ]
    for name, facts in modules.items():
        counts = facts["baseline"]["counts"]
        lines.append(f"| {name} | {facts['lines']} | {counts.get('ok', 0)}/{counts.get('skip', 0)} | "
                     f"{facts['baseline']['seconds']:.1f} | {facts['renames']} | {facts['signatures']} |")
    swapped = [f"{m} ({why})" for m, why in SWAPPED.items() if m not in modules]
    if swapped:
        lines += ["", "Swapped for pure-Python modules (fractions, gettext): " + "; ".join(swapped) + "."]
    lines += [
        "",
        "### Renames",
        "",
        "| tool | pass rate | passed | tests broken | refused | error | median ms | p95 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for tool, summary in (("SpecPilot", ours), (f"rope {rope_version()}", rope)):
        lines.append(f"| {tool} | {_rate(summary)} | {summary['passed']} | {summary['broken']} | "
                     f"{summary['refused']} | {summary['error']} | {_ms(summary['median_ms'])} | "
                     f"{_ms(summary['p95_ms'])} |")
    lines += ["", f"Median time per rename, SpecPilot / rope: "
              f"{'n/a' if ratio is None else f'{ratio:.2f}'} (over the renames each tool completed).", "",
              "| category | cases | SpecPilot passed | rope passed |", "|---|---|---|---|"]
    for category in RENAME_CATEGORIES:
        a = ours["by_category"].get(category, {"cases": 0, "passed": 0})
        b = rope["by_category"].get(category, {"cases": 0, "passed": 0})
        lines.append(f"| {category} | {a['cases']} | {a['passed']} | {b['passed']} |")
    target_met = (ours["pass_rate"] is not None and ours["pass_rate"] >= 0.99
                  and (rope["pass_rate"] is None or ours["pass_rate"] >= rope["pass_rate"])
                  and ratio is not None and ratio <= 1.0)
    lines += ["", f"Target (>= 99% passed, at least rope's rate, median time <= rope's): "
              f"{'met' if target_met else 'NOT met'}."]
    lines += ["", "### Signature changes (add `new_param=None` after the last positional-or-keyword parameter)", ""]
    if not signature_ran:
        lines.append(f"Not run: `specpilot.ast_tools.signature` was not available ({sig_ours['cases']} cases "
                     "chosen).")
    else:
        lines += ["| tool | pass rate | passed | tests broken | refused | error | median ms | p95 ms |",
                  "|---|---|---|---|---|---|---|---|"]
        for tool, summary in (("SpecPilot", sig_ours), (f"rope {rope_version()} (ArgumentAdder)", sig_rope)):
            if summary["cases"]:
                lines.append(f"| {tool} | {_rate(summary)} | {summary['passed']} | {summary['broken']} | "
                             f"{summary['refused']} | {summary['error']} | {_ms(summary['median_ms'])} | "
                             f"{_ms(summary['p95_ms'])} |")
        cats = ", ".join(f"{c}: {sig_ours['by_category'].get(c, {'cases': 0})['cases']}"
                         for c in SIGNATURE_CATEGORIES)
        lines += ["", f"Cases by kind: {cats}."]
    lines += ["", "### Left out by the case-picking script", "",
              "Counts over all modules (examples in results.json); what is left out is left out for both tools.", ""]
    totals: Counter[str] = Counter()
    for facts in excluded.values():
        totals.update(facts["counts"])
    lines += [f"- {reason}: {count}" for reason, count in totals.most_common()] or ["- nothing"]
    lines += ["", "### Failures", "",
              "Every case a tool did not pass; identical reasons are listed once. For SpecPilot's, what rope "
              "did with the same case is in brackets.", ""]
    any_failure = False
    for tool, label, other in (("ours", "SpecPilot", "rope"), ("rope", "rope", "ours")):
        groups: dict[tuple[str, str, str], list[Case]] = {}
        for case in cases:
            record = case.results.get(tool)
            if record is None or record["status"] in ("passed", "not run"):
                continue
            reason = str(record.get("reason", "")).replace("\n", " ")
            if case.module not in reason:  # a reason naming no place of its own (a crash of the tool): group it
                key = (case.kind, str(record["status"]), reason[-160:])
            else:
                key = (case.kind, str(record["status"]), f"{case.module}:{case.qualname}:{reason}")
            groups.setdefault(key, []).append(case)
        for (kind, status, _), group in groups.items():
            any_failure = True
            first = group[0]
            reason = str(first.results[tool].get("reason", "")).replace("\n", " ").replace("|", "\\|")[:420]
            where = ", ".join(f"`{c.file}:{c.line + 1}` `{c.qualname}` ({c.category})" for c in group[:12])
            if len(group) > 12:
                where += f" and {len(group) - 12} more"
            theirs = ""
            if tool == "ours":
                statuses = sorted({str(c.results.get(other, {}).get("status", "not run")) for c in group})
                theirs = f" [rope: {', '.join(statuses)}]"
            lines.append(f"- {label}, {kind}, **{status}**{theirs}: {where}: {reason}")
    if not any_failure:
        lines.append("None.")
    if args.limit:
        lines += ["", f"(Smoke run: at most {args.limit} cases of each kind per module.)"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", default=",".join(DEFAULT_MODULES),
                        help="comma-separated single-file stdlib modules with test/test_<name>.py")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="at most N renames and N signature changes per module "
                        "(a smoke run; RESULTS.md is left alone)")
    parser.add_argument("--renames-per-module", type=int, default=30)
    parser.add_argument("--signatures-per-module", type=int, default=7)
    parser.add_argument("--tools", default="ours,rope")
    parser.add_argument("--no-signature", action="store_true", help="renames only")
    parser.add_argument("--no-rope-signature", action="store_true", help="signature changes with our engine only")
    parser.add_argument("--test-timeout", type=float, default=120.0)
    parser.add_argument("--workdir", type=Path, default=WORK)
    args = parser.parse_args()

    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    args.engine = engine_version()
    log(f"engine: {args.engine}; rope {rope_version()}")
    specs = [module_spec(m.strip()) for m in args.modules.split(",") if m.strip()]
    args.workdir.mkdir(parents=True, exist_ok=True)
    signature_ran = not args.no_signature and signature_available()
    if not args.no_signature and not signature_ran:
        log("specpilot.ast_tools.signature is not there yet: signature changes are chosen but not run")

    warm_up(tools, ["rename", "signature"] if signature_ran else ["rename"])
    cases: list[Case] = []
    modules: dict[str, dict[str, Any]] = {}
    excluded: dict[str, Any] = {}
    out_json = args.workdir / "results.json"

    def save() -> None:
        out_json.write_text(json.dumps({
            "machine": machine_info(), "engine": args.engine, "rope": rope_version(), "seed": args.seed,
            "argv": sys.argv[1:], "modules": {
                name: {k: v for k, v in facts.items() if k != "baseline"} | {
                    "baseline": {k: v for k, v in facts["baseline"].items() if k != "outcomes"}}
                for name, facts in modules.items()},
            "excluded": excluded, "signature_ran": signature_ran,
            "summary": {f"{tool}/{kind}": summarize(cases, tool, kind) for tool in tools
                        for kind in ("rename", "signature")},
            "cases": [c.to_json() for c in cases]}, indent=1), encoding="utf-8")

    for spec in specs:
        pristine, ws = args.workdir / spec.name / "pristine", args.workdir / spec.name / "ws"
        build_workspace(spec, pristine)
        base = baseline(spec, pristine, ws, args.test_timeout)
        if base["seconds"] > SLOW_TESTS_S:
            log(f"warning: {spec.name}'s tests take {base['seconds']:.1f} s; consider another module")
        chosen, why = choose(spec, pristine, args.renames_per_module, args.signatures_per_module, args.seed)
        renames = [c for c in chosen if c.kind == "rename"]
        signatures = [c for c in chosen if c.kind == "signature"] if not args.no_signature else []
        if args.limit:
            renames, signatures = renames[:args.limit], signatures[:args.limit]
        lines = sum((pristine / s).read_text(encoding="utf-8").count("\n")
                    for s in (spec.target(x) for x in spec.sources) if (pristine / s).is_file())
        modules[spec.name] = {"lines": lines, "baseline": base, "renames": len(renames),
                              "signatures": len(signatures), "test_module": spec.test_module}
        excluded[spec.name] = {"counts": why.counts, "examples": why.examples}
        log(f"{spec.name}: {sum(1 for v in base['outcomes'].values() if v[0] == 'ok')} tests ok on the copy "
            f"({base['seconds']:.1f} s), {len(base['flaky'])} flaky; {len(renames)} renames, "
            f"{len(signatures)} signature changes; excluded {why.counts}")
        for case in [*renames, *signatures]:
            cases.append(case)
            for tool in tools:
                if case.kind == "signature" and (not signature_ran or (tool == "rope" and args.no_rope_signature)):
                    if tool == "ours":
                        case.results[tool] = {"status": "not run", "reason": "signature.py not available"}
                    continue
                record = run_case(case, tool, pristine, ws, spec, base, args.test_timeout)
                case.results[tool] = record
                reason = f"  [{str(record.get('reason', ''))[:160]}]" if record["status"] != "passed" else ""
                log(f"{tool:4} {case.kind:9} {case.category:16} {spec.name}:{case.qualname} -> "
                    f"{record['status']} {record['ms']:.0f} ms{reason}")
        restore(pristine, ws)
        save()

    save()
    for tool in tools:
        for kind in ("rename", "signature"):
            summary = summarize(cases, tool, kind)
            if summary["cases"]:
                log(f"{tool} {kind}: pass rate {_rate(summary)}, broken {summary['broken']}, refused "
                    f"{summary['refused']}, error {summary['error']}, not run {summary['not run']}, "
                    f"median {_ms(summary['median_ms'])} ms, p95 {_ms(summary['p95_ms'])} ms")
    log(f"results: {out_json}")
    if not args.limit:
        markdown = report(cases, modules, excluded, args.seed, args, signature_ran)
        log(f"wrote {write_section('refactor_eval', markdown)}")


if __name__ == "__main__":
    main()
