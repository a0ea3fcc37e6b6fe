"""Spec workflow quality check: stages end to end, gate verdicts and clarity scoring against hand labels.

    python bench/spec_eval.py [--limit N]

(a) Ten short ideas of different kinds (bench/spec_eval_data/ideas.json) go offline through every stage on a
copy of examples/sample_workspace: new -> clarify (one answer per open question, taken in turn from the
fixed answer list in the data) -> design -> tasks -> review. A stage whose previous gate fails is forced, and
that is recorded. Every stage must complete. Also ``from-code`` on the whole sample workspace.
(b) Hand-made documents in bench/spec_eval_data/gates/<gate>/ named ``good_*`` (the gate must pass) and
``bad_*`` (it must fail; the name says why); tasks and review documents are checked against
``gates/base_requirements.md``; the design gate runs strictly (placeholder candidates fail).
(c) Clarity scores against hand labels: the "test" rows of tests/unit/spec/clarity_labels.jsonl (never the
"tune" rows the rules were tuned on) plus bench/spec_eval_data/clarity_extra.jsonl, labelled before the
scorer was run on them, each with why. Clear means a score of 0.6 or more.
(d) The ml profile's README/config/code check (spec/consistency.py) on the small ML projects in
bench/spec_eval_data/consistency/<case>/, each labelled in expected.json with the kinds of disagreement it
holds (none when it agrees), written and labelled from the check's specification by someone who had not read
its code. Reported: the verdict (agrees or not) per case, and whether the kinds found are exactly the kinds
expected; each check is timed.

Each stage is timed (median ms). Results go to bench/RESULTS.md (section "spec_eval"); ``--limit N`` runs N
ideas, documents per gate and sentences as a smoke run and leaves RESULTS.md alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from results import machine_info, write_section  # noqa: E402

from specpilot.spec import clarity  # noqa: E402
from specpilot.spec.consistency import check_consistency  # noqa: E402
from specpilot.spec.documents import parse_design, parse_requirements, parse_review, parse_tasks  # noqa: E402
from specpilot.spec.gates import GateResult, design_gate, requirements_gate, review_gate, tasks_gate  # noqa: E402
from specpilot.spec.store import SpecError  # noqa: E402
from specpilot.spec.workflow import GateFailed, SpecWorkflow  # noqa: E402

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "spec_eval_data"
SAMPLE = BENCH.parent / "examples" / "sample_workspace"
LABELS = BENCH.parent / "tests" / "unit" / "spec" / "clarity_labels.jsonl"
STAGES = ("new", "clarify", "design", "tasks", "review")
GATES = ("requirements", "design", "tasks", "review")


def _timed(times: dict[str, list[float]], stage: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    t0 = time.perf_counter()
    try:
        return call(*args, **kwargs)
    finally:
        times.setdefault(stage, []).append((time.perf_counter() - t0) * 1000)


def run_ideas(limit: int | None) -> dict[str, Any]:
    data = json.loads((DATA / "ideas.json").read_text(encoding="utf-8"))
    answers: list[str] = data["answers"]
    ideas = data["ideas"][:limit] if limit else data["ideas"]
    times: dict[str, list[float]] = {}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="spec_eval_") as temp:
        root = Path(temp) / "workspace"
        shutil.copytree(SAMPLE, root, ignore=shutil.ignore_patterns("cache"))  # not the demo's index
        flow = SpecWorkflow(root)
        for idea in ideas:
            row: dict[str, Any] = {"kind": idea["kind"], "completed": [], "forced": [], "gates": {}, "error": None}
            try:
                new = _timed(times, "new", flow.new, idea["idea"])
                name = new.spec.name
                row["completed"].append("new")
                row["questions"] = len(parse_requirements(new.path.read_text(encoding="utf-8"))[0].questions)
                _, open_questions = flow.clarify(name)
                given = {q.id: answers[n % len(answers)] for n, q in enumerate(open_questions)}
                result, _ = _timed(times, "clarify", flow.clarify, name, given)
                row["answered"] = len(given)
                row["completed"].append("clarify")
                row["gates"]["requirements"] = result.gate.passed
                for stage in ("design", "tasks"):
                    call = getattr(flow, stage)
                    try:
                        result = _timed(times, stage, call, name)
                    except GateFailed:
                        row["forced"].append(stage)
                        result = _timed(times, stage, call, name, force=True)
                    row["completed"].append(stage)
                    row["gates"][stage] = result.gate.passed
                result = _timed(times, "review", flow.review, name)
                row["completed"].append("review")
                row["gates"]["review"] = result.gate.passed
            except (SpecError, ValueError) as exc:
                row["error"] = str(exc)
            rows.append(row)
        brownfield = _timed(times, "from-code", flow.from_code, ".")
        from_code = {"requirements": brownfield[0].gate.passed,
                     "design": brownfield[1].gate.passed if len(brownfield) > 1 else None,  # None: not written
                     "questions": len(parse_requirements(brownfield[0].path.read_text(encoding="utf-8"))[0].questions)}
    return {"rows": rows, "times": times, "from_code": from_code}


def _gate_of(gate: str, text: str, base: Any) -> tuple[GateResult, int]:
    """The gate's verdict on ``text`` and how many parse errors it had."""
    parsers: dict[str, Callable[[str], tuple[Any, list[Any]]]] = {
        "requirements": parse_requirements, "design": parse_design, "tasks": parse_tasks, "review": parse_review}
    model, problems = parsers[gate](text)
    errors = sum(1 for p in problems if p.severity == "error")
    if gate == "requirements":
        return requirements_gate(model), errors
    if gate == "design":
        return design_gate(model), errors
    if gate == "tasks":
        return tasks_gate(model, base), errors
    return review_gate(model, base), errors


def run_gates(limit: int | None) -> dict[str, Any]:
    base, _ = parse_requirements((DATA / "gates" / "base_requirements.md").read_text(encoding="utf-8"))
    report: dict[str, Any] = {}
    for gate in GATES:
        files = sorted((DATA / "gates" / gate).glob("*.md"))
        if limit:
            files = [f for f in files if f.name.startswith("good_")][:limit] + \
                    [f for f in files if f.name.startswith("bad_")][:limit]
        cases = []
        for path in files:
            expected = path.name.startswith("good_")
            t0 = time.perf_counter()
            result, _ = _gate_of(gate, path.read_text(encoding="utf-8"), base)
            ms = (time.perf_counter() - t0) * 1000
            cases.append({"file": path.name, "expected": expected, "passed": result.passed, "ms": ms,
                          "problems": result.problems})
        right = sum(1 for c in cases if c["expected"] == c["passed"])
        good = sum(1 for c in cases if c["expected"])
        report[gate] = {"cases": cases, "right": right, "n": len(cases), "good": good, "bad": len(cases) - good}
    return report


def clarity_rows() -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines() if line.strip()]
    held_out = [dict(r, source="clarity_labels.jsonl test") for r in rows if r.get("split") == "test"]
    extra = [dict(json.loads(line), source="clarity_extra.jsonl")
             for line in (DATA / "clarity_extra.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    return held_out + extra


def run_clarity(limit: int | None) -> dict[str, Any]:
    rows = clarity_rows()[:limit] if limit else clarity_rows()
    counts = {"tp": 0, "tn": 0, "fp": 0, "fn": 0}  # positive = labelled clear
    wrong = []
    times = []
    for row in rows:
        t0 = time.perf_counter()
        found = clarity.score(row["text"])
        times.append((time.perf_counter() - t0) * 1000)
        key = ("t" if found.clear == row["clear"] else "f") + ("p" if found.clear else "n")
        counts[key] += 1
        if found.clear != row["clear"]:
            wrong.append({"text": row["text"], "label": row["clear"], "score": found.score, "why": row["why"]})
    right = counts["tp"] + counts["tn"]
    return {"n": len(rows), "right": right, "counts": counts, "wrong": wrong, "ms": times,
            "extra": sum(1 for r in rows if r["source"] == "clarity_extra.jsonl")}


def run_consistency(limit: int | None) -> list[dict[str, Any]]:
    cases = sorted(p for p in (DATA / "consistency").iterdir() if (p / "expected.json").is_file())
    rows = []
    for case in cases[:limit] if limit else cases:
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            result = check_consistency(case)
            times.append((time.perf_counter() - t0) * 1000)
        kinds = sorted(f.kind for f in result.findings)
        rows.append({"case": case.name, "expected": sorted(expected["kinds"]), "found": kinds,
                     "messages": [f.message for f in result.findings], "ms": statistics.median(times)})
    return rows


def report(ideas: dict[str, Any], gates: dict[str, Any], scores: dict[str, Any],
           consistency: list[dict[str, Any]]) -> str:
    rows = ideas["rows"]
    complete = sum(1 for r in rows if r["completed"] == list(STAGES))
    lines = ["## Spec workflow quality (bench/spec_eval.py)", "", machine_info(), "",
             f"### Stages, offline, on a copy of examples/sample_workspace: {complete}/{len(rows)} ideas complete "
             "every stage", "",
             "| idea | questions | answered | requirements gate | design | tasks | review | forced |",
             "|---|---:|---:|---|---|---|---|---|"]
    mark = {True: "pass", False: "fail", None: "-"}
    for r in rows:
        g = r["gates"]
        lines.append(f"| {r['kind']} | {r.get('questions', '-')} | {r.get('answered', '-')} | "
                     f"{mark[g.get('requirements')]} | {mark[g.get('design')]} | {mark[g.get('tasks')]} | "
                     f"{mark[g.get('review')]} | {', '.join(r['forced']) or '-'}"
                     + (f" (error: {r['error']})" if r["error"] else "") + " |")
    fc = ideas["from_code"]
    lines += ["", "The review gate fails by design here: no code or tests cite the new requirements yet. "
              "`from-code .` on the same workspace: requirements gate "
              f"{mark[fc['requirements']]} ({fc['questions']} clarifying questions about undocumented code), "
              + (f"design gate {mark[fc['design']]} (candidate B left to a model)." if fc["design"] is not None
                 else "design.md not written while the requirements gate fails."), "",
              "| stage | n | median ms |", "|---|---:|---:|"]
    for stage, values in ideas["times"].items():
        lines.append(f"| {stage} | {len(values)} | {statistics.median(values):.1f} |")
    lines += ["", "### Gate verdicts on hand-made documents (bench/spec_eval_data/gates)", "",
              "| gate | good | bad | right | accuracy | median ms | misjudged |", "|---|---:|---:|---:|---:|---:|---|"]
    for gate, g in gates.items():
        wrong = [c["file"] for c in g["cases"] if c["expected"] != c["passed"]]
        median = statistics.median(c["ms"] for c in g["cases"]) if g["cases"] else 0.0
        lines.append(f"| {gate} | {g['good']} | {g['bad']} | {g['right']}/{g['n']} | "
                     f"{g['right'] / g['n']:.0%} | {median:.2f} | {', '.join(wrong) or '-'} |")
    c = scores["counts"]
    accuracy = scores["right"] / scores["n"] if scores["n"] else 0.0
    verdict = "met" if accuracy >= 0.85 else "NOT met"
    lines += ["", f"### Clarity scoring against hand labels ({scores['n']} sentences: the held-out \"test\" rows of "
              f"tests/unit/spec/clarity_labels.jsonl and {scores['extra']} new ones)", "",
              f"- Accuracy {scores['right']}/{scores['n']} = {accuracy:.1%} (target >= 85%: **{verdict}**); "
              f"median {statistics.median(scores['ms']):.3f} ms a sentence.",
              "- Confusion (positive = clear): "
              f"clear scored clear {c['tp']}, unclear scored unclear {c['tn']}, "
              f"unclear scored clear {c['fp']}, clear scored unclear {c['fn']}."]
    lines += [f"- Misjudged: \"{w['text']}\" (label {'clear' if w['label'] else 'unclear'}, score "
              f"{w['score']}; {w['why']})" for w in scores["wrong"]]
    verdicts = sum(1 for r in consistency if bool(r["expected"]) == bool(r["found"]))
    exact = sum(1 for r in consistency if r["expected"] == r["found"])
    agreeing = sum(1 for r in consistency if not r["expected"])
    n = len(consistency)
    lines += ["", f"### README/config/code check of the ml profile ({n} projects in "
              f"bench/spec_eval_data/consistency, {agreeing} agreeing, {n - agreeing} with planted disagreements)",
              "", f"- Verdict right (agrees or not): {verdicts}/{n}; kinds of disagreement exactly as labelled: "
              f"{exact}/{n}; median {statistics.median(r['ms'] for r in consistency):.1f} ms a project.", "",
              "| project | expected | found | right |", "|---|---|---|---|"]
    for r in consistency:
        mark_row = "yes" if r["expected"] == r["found"] else "verdict only" if bool(r["expected"]) == bool(
            r["found"]) else "NO"
        lines.append(f"| {r['case']} | {', '.join(r['expected']) or 'agrees'} | {', '.join(r['found']) or 'agrees'}"
                     f" | {mark_row} |")
    wrong = [r for r in consistency if r["expected"] != r["found"]]
    lines += [f"- {r['case']}: found " + ("; ".join(r["messages"]) or "nothing") for r in wrong]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None,
                        help="a smoke run over N ideas, documents per label and sentences; RESULTS.md is left alone")
    args = parser.parse_args()
    ideas = run_ideas(args.limit)
    gates = run_gates(args.limit)
    scores = run_clarity(args.limit)
    consistency = run_consistency(args.limit)
    markdown = report(ideas, gates, scores, consistency)
    print(markdown)
    if args.limit is None:
        write_section("spec_eval", markdown)
    failed = [r["kind"] for r in ideas["rows"] if r["completed"] != list(STAGES)]
    if failed:
        print(f"stages did not complete for: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
