"""Idea coverage: does ``spec new`` keep every need of a long idea, offline and with a model?

    python bench/idea_coverage.py [--limit N]

Data: bench/spec_eval_data/long_ideas.json, 20 long ideas (3-8 sentences, 10 of them ML projects), each with the
distinct needs a person listed for it ("clauses"). The ideas and their labels were written and committed before
the clause checker (spec/clauses.py) and the drafter's clause splitting were run on them; the rules were
developed on other ideas (tests/unit/spec/test_clauses.py, test_drafter_clauses.py), so these are held out.

For each idea:
- offline: ``SpecWorkflow.new`` with no model (the deterministic drafter); the requirements.md it writes is
  checked with ``clauses.uncovered`` against the checker's own split of the idea and against the hand-labelled
  clauses (a clause is covered when one story/criterion/SLA/constraint/compatibility item holds 60% of its content
  words, every number it states and its negation);
- with a model: ``SpecWorkflow.new`` with a planner that answers over HTTP through the real OpenAI SDK from a
  loopback server. No real LLM is reachable from this machine, so the loopback model is scripted to make the
  mistake the issue reported: it keeps the first clause of each sentence only and drops the last sentence. Its
  answer is measured as sent, and the requirements.md that ``spec new`` writes after the checker added what the
  answer left out;
- the title: words, whether it is cut inside a word (a word that is not in the idea) or ends on a function word.

The drafter before this work (commit ``BASELINE``, read with ``git show``) is measured the same way for
comparison. Results go to bench/RESULTS.md (section "idea_coverage"); ``--limit N`` runs N ideas as a smoke run
and leaves RESULTS.md alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT))  # tests.loopback: the scripted model server the tests use
from results import machine_info, write_section  # noqa: E402

import tests.loopback.openai_server as wire  # noqa: E402
from specpilot.core.config import ModelSettings  # noqa: E402
from specpilot.llm.factory import make_provider  # noqa: E402
from specpilot.spec import clarity, ears  # noqa: E402
from specpilot.spec.authoring import Author  # noqa: E402
from specpilot.spec.clauses import Clause, clauses, covers, sentence_clauses, split_sentences, uncovered  # noqa: E402
from specpilot.spec.documents import parse_requirements  # noqa: E402
from specpilot.spec.workflow import SpecWorkflow  # noqa: E402
from tests.loopback import serving  # noqa: E402
from tests.loopback.openai_server import OpenAIServer  # noqa: E402

DATA = BENCH / "spec_eval_data" / "long_ideas.json"
BASELINE = "b3415ef1e726557e3b9105ee887b55e2e971ee25"  # the drafter before spec/clauses.py
FUNCTION_WORDS = {"a", "an", "the", "of", "to", "and", "or", "for", "with", "in", "on", "at", "by", "from", "that",
                  "which", "so", "is", "are", "be", "into", "onto", "its", "their", "our", "about", "against", "across",
                  "between", "through", "during", "like", "how", "what", "whether", "but", "than", "within", "under",
                  "over", "per", "via", "as", "when", "if", "while", "after", "before", "until", "because", "without",
                  "using", "who", "whose", "where", "can", "should", "must", "will", "not", "no", "each", "every"}
EXAMPLES = (0, 10, 11)  # the worked examples: an ML idea, a CLI tool, a web feature


def baseline_drafter() -> types.ModuleType | None:
    """spec/drafter.py and spec/ears.py as they were at ``BASELINE`` (None when git cannot show them)."""
    try:
        sources = {name: subprocess.run(["git", "show", f"{BASELINE}:spec/{name}.py"], cwd=ROOT, check=True,
                                        capture_output=True, text=True).stdout for name in ("ears", "drafter")}
    except (OSError, subprocess.CalledProcessError):
        return None
    old_ears = types.ModuleType("baseline_ears")
    sys.modules["baseline_ears"] = old_ears
    exec(compile(sources["ears"], "baseline_ears.py", "exec"), old_ears.__dict__)  # noqa: S102  # our own history
    old = types.ModuleType("baseline_drafter")
    sys.modules["baseline_drafter"] = old
    old.__dict__["_BASELINE_EARS"] = old_ears
    source = sources["drafter"].replace("from specpilot.spec import clarity, ears",
                                        "from specpilot.spec import clarity\nears = _BASELINE_EARS")
    exec(compile(source, "baseline_drafter.py", "exec"), old.__dict__)  # noqa: S102
    return old


def dropping_answer(idea: str) -> str:
    """What the scripted model answers: a story from the first sentence's first clause, then one EARS criterion
    from the first clause of each following sentence, and nothing from the last sentence (the issue's failure:
    "be fast and not break existing apps" became one criterion and whole clauses went missing)."""
    sentences = split_sentences(idea)
    first = sentence_clauses(sentences[0])[0].rstrip(".")
    story = f"As a user, I want {first[:1].lower() + first[1:]}."
    lines = [f"# {' '.join(first.split()[:5])}", "", "## Goals", f"- {sentences[0]}", "", "## User stories",
             f"### R1 {story} <!-- clarity: {clarity.format_score(clarity.score(story).score)} -->"]
    for n, sentence in enumerate(sentences[1:-1], 1):
        text = ears.rewrite(sentence_clauses(sentence)[0])
        lines.append(f"- R1.{n} {text} <!-- clarity: {clarity.format_score(clarity.score(text).score)} -->")
    return "\n".join(lines) + "\n"


def _title_checks(title: str, idea: str) -> dict[str, Any]:
    words = title.split()
    idea_words = {w.strip(".,;:()`'\"").lower() for w in idea.replace("`", "").split()}
    return {"title": title, "words": len(words),
            "cut_word": any(w.strip(".,;:()`'\"").lower() not in idea_words for w in words),
            "ends_on_function_word": bool(words) and words[-1].lower() in FUNCTION_WORDS}


def _cover_rows(found: list[Clause], model: Any) -> list[dict[str, Any]]:
    rows = []
    for clause in found:
        by = [item for item in model.items if covers(item.text, clause)]
        rows.append({"clause": clause.text, "by": [(item.id, item.text) for item in by[:2]]})
    return rows


def separate(found: list[Clause], items: list[Any]) -> int:
    """How many clauses have an item of their own: one that covers that clause and no other clause of the idea
    (a criterion holding "be fast and not break existing apps" covers two and counts for neither)."""
    return sum(1 for clause in found
               if any(covers(item.text, clause) and not any(covers(item.text, other) for other in found
                                                            if other is not clause) for item in items))


def run(limit: int | None) -> dict[str, Any]:
    ideas = json.loads(DATA.read_text(encoding="utf-8"))["ideas"]
    ideas = ideas[:limit] if limit else ideas
    old = baseline_drafter()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="idea_coverage_") as temp, serving(OpenAIServer()) as server:
        offline_flow = SpecWorkflow(Path(temp) / "offline")
        settings = ModelSettings(provider="openai", base_url=server.base_url, model=wire.MODEL, max_retries=1)
        author = Author(make_provider(settings, env={}, api_key="sk-bench-IdeaCoverage0123456789"))
        model_flow = SpecWorkflow(Path(temp) / "model", author=author)
        for entry in ideas:
            idea = entry["idea"]
            found = clauses(idea)
            labelled = [Clause(text, n, text) for n, text in enumerate(entry["clauses"])]
            t0 = time.perf_counter()
            offline = offline_flow.new(idea)
            offline_ms = (time.perf_counter() - t0) * 1000
            requirements, _ = parse_requirements(offline.path.read_text(encoding="utf-8"))
            answer = dropping_answer(idea)
            server.push(wire.answer(answer))
            t0 = time.perf_counter()
            with_model = model_flow.new(idea)
            model_ms = (time.perf_counter() - t0) * 1000
            repaired, _ = parse_requirements(with_model.path.read_text(encoding="utf-8"))
            row: dict[str, Any] = {
                "kind": entry["kind"], "ml": entry["ml"], "idea": idea, "sentences": len(split_sentences(idea)),
                "clauses": len(found), "labelled": len(labelled),
                "offline_uncovered": [c.text for c in uncovered(found, requirements)],
                "offline_uncovered_labelled": [c.text for c in uncovered(labelled, requirements)],
                "answer_uncovered": [c.text for c in uncovered(found, answer)],
                "answer_uncovered_labelled": [c.text for c in uncovered(labelled, answer)],
                "model_uncovered": [c.text for c in uncovered(found, repaired)],
                "model_uncovered_labelled": [c.text for c in uncovered(labelled, repaired)],
                "model_notes": [n for n in with_model.notes if n.startswith("added ")],
                "separate": separate(found, requirements.items),
                "items": len(requirements.items), "offline_ms": offline_ms, "model_ms": model_ms,
                "gate": offline.gate.passed, "cover": _cover_rows(found, requirements),
                **_title_checks(requirements.title or "", idea)}
            if old is not None:
                before, _ = parse_requirements(old.draft_requirements(idea))
                row["baseline_uncovered"] = [c.text for c in uncovered(found, before)]
                row["baseline_uncovered_labelled"] = [c.text for c in uncovered(labelled, before)]
                row["baseline_title"] = _title_checks(before.title or "", idea)
                row["baseline_separate"] = separate(found, before.items)
            rows.append(row)
    return {"rows": rows, "baseline": old is not None}


def _pct(covered: int, total: int) -> str:
    return f"{covered}/{total} = {covered / total:.1%}" if total else "-"


def report(data: dict[str, Any]) -> str:  # noqa: C901  # one table per measure, in order
    rows = data["rows"]
    n_clauses = sum(r["clauses"] for r in rows)
    n_labelled = sum(r["labelled"] for r in rows)

    def covered(key: str, total: int) -> tuple[int, str]:
        count = total - sum(len(r[key]) for r in rows)
        return count, _pct(count, total)

    off, off_text = covered("offline_uncovered", n_clauses)
    off_l, off_l_text = covered("offline_uncovered_labelled", n_labelled)
    _, ans_text = covered("answer_uncovered", n_clauses)
    _, ans_l_text = covered("answer_uncovered_labelled", n_labelled)
    mod, mod_text = covered("model_uncovered", n_clauses)
    mod_l, mod_l_text = covered("model_uncovered_labelled", n_labelled)
    goal = lambda c, t: "met" if t and c / t >= 0.95 else "NOT met"  # noqa: E731
    words = [r["words"] for r in rows]
    ml = [r for r in rows if r["ml"]]
    lines = ["## Idea coverage: spec new keeps every need of a long idea (bench/idea_coverage.py)", "",
             machine_info(), "",
             f"{len(rows)} long ideas ({len(ml)} ML projects; {statistics.median(r['sentences'] for r in rows):g} "
             "sentences median) in bench/spec_eval_data/long_ideas.json, written and committed with their "
             "hand-labelled needs before the clause checker and the drafter changes ran on them, and held out: "
             "the rules were developed on the ideas in tests/unit/spec/test_clauses.py and "
             "test_drafter_clauses.py. Two exceptions, stated plainly: while the very first split rules were "
             "written, 11 single sentences of these ideas (e.g. \"Training must fit on a single 24 GB GPU and "
             "finish in under 6 hours\") were run through the splitter by hand, and 2 of them (near) verbatim are "
             "in test_clauses.py; and the four fixes listed below were made after bench runs on these ideas. "
             "A clause counts as covered when one story, criterion, SLA, constraint or compatibility item holds "
             "60% of its content words, every number it states and its negation.", "",
             "| measure | the checker's clauses | hand-labelled clauses |", "|---|---:|---:|",
             f"| clauses | {n_clauses} | {n_labelled} |",
             f"| offline (deterministic drafter), covered | {off_text} | {off_l_text} |",
             f"| with a model: the loopback model's answer as sent | {ans_text} | {ans_l_text} |",
             f"| with a model: requirements.md after `spec new` added what it left out | {mod_text} | {mod_l_text} |"]
    if data["baseline"]:
        _, base_text = covered("baseline_uncovered", n_clauses)
        _, base_l_text = covered("baseline_uncovered_labelled", n_labelled)
        lines.append(f"| before: the drafter at {BASELINE[:7]}, offline | {base_text} | {base_l_text} |")
    lines.append(f"| offline: clauses with an item of their own (no other clause in it) | "
                 f"{_pct(sum(r['separate'] for r in rows), n_clauses)} | - |")
    if data["baseline"]:
        lines.append(f"| before ({BASELINE[:7]}): clauses with an item of their own | "
                     f"{_pct(sum(r['baseline_separate'] for r in rows), n_clauses)} | - |")
    lines += ["", f"- Goal >= 95% covered: offline **{goal(off, n_clauses)}** ({off_text} checker clauses, "
              f"{off_l_text} hand-labelled); with a model **{goal(mod, n_clauses)}** ({mod_text}; "
              f"{mod_l_text} hand-labelled).",
              "- Word coverage alone is lenient: the old drafter kept each sentence whole, so a criterion holding "
              "\"fit on a GPU and finish in 6 hours\" covered both needs by its words. The row \"clauses with an "
              "item of their own\" shows the change the issue asked for: each need in its own story or criterion.",
              "- Held-out discipline: one smoke run on the first 2 ideas (--limit 2) showed two general faults "
              "(a title cut before a number left \"... in the next\"; \"it\" in a second clause lost its noun); "
              "after the first full run, two more (a comma inside \"3,000-line\" cut the title to \"Split the "
              "3\"; \"Users want to choose ... about\" ended on a preposition). Each was reproduced on new ideas "
              "in tests/unit/spec/test_drafter_clauses.py and fixed there as a general rule; the figures here are "
              "from the run after those fixes. Nothing else was changed after seeing these ideas.",
              f"- The checker found {n_clauses} clauses where a person listed {n_labelled}: it leaves some "
              "coordinated needs whole (its split is conservative), so the hand-labelled column is the stricter "
              "measure. Titles are whole words and end on a content word, but can still stop inside a noun phrase "
              "(the 8-word cut falls on the last phrase boundary it finds).",
              "- No real LLM is reachable from this machine. The model path uses the real OpenAI SDK against a "
              "loopback server scripted to drop clauses (it keeps the first clause of each sentence and drops the "
              "last sentence), so the figure shows the checker's repair, not a model's quality.",
              f"- Titles: median {statistics.median(words):g} words, longest {max(words)}; cut inside a word: "
              f"{sum(r['cut_word'] for r in rows)}; ending on a function word: "
              f"{sum(r['ends_on_function_word'] for r in rows)}"
              + (f" (before: median {statistics.median(r['baseline_title']['words'] for r in rows):g} words, "
                 f"ending on a function word {sum(r['baseline_title']['ends_on_function_word'] for r in rows)})"
                 if data["baseline"] else "") + ".",
              f"- Time: `spec new` offline median {statistics.median(r['offline_ms'] for r in rows):.1f} ms, with "
              f"the loopback model median {statistics.median(r['model_ms'] for r in rows):.1f} ms an idea.", "",
              "| idea | sentences | clauses (hand) | items | uncovered offline (hand) | model answer uncovered "
              "| after repair | before | title |", "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        before = str(len(r["baseline_uncovered"])) if data["baseline"] else "-"
        lines.append(f"| {r['kind']} | {r['sentences']} | {r['clauses']} ({r['labelled']}) | {r['items']} | "
                     f"{len(r['offline_uncovered'])} ({len(r['offline_uncovered_labelled'])}) | "
                     f"{len(r['answer_uncovered'])} | {len(r['model_uncovered'])} | {before} | {r['title']} |")
    missed = [(r["kind"], c, "checker") for r in rows for c in r["offline_uncovered"]] + \
        [(r["kind"], c, "hand") for r in rows for c in r["offline_uncovered_labelled"]] + \
        [(r["kind"], c, "model, checker") for r in rows for c in r["model_uncovered"]] + \
        [(r["kind"], c, "model, hand") for r in rows for c in r["model_uncovered_labelled"]]
    lines += ["", "Clauses left uncovered (every one):"]
    lines += [f"- {kind} ({source}): \"{clause}\"" for kind, clause, source in missed] or ["- none"]
    lines += ["", "### Worked examples", ""]
    for index in [i for i in EXAMPLES if i < len(rows)]:
        r = rows[index]
        lines += [f"**{r['kind']}** (title: \"{r['title']}\"). Idea: \"{r['idea']}\"", "",
                  "| clause | covered by |", "|---|---|"]
        for cover in r["cover"]:
            by = "; ".join(f"{item_id} {text}" for item_id, text in cover["by"]) or "**uncovered**"
            lines.append(f"| {cover['clause']} | {by} |")
        if r["model_notes"]:
            lines += ["", f"With the dropping model: {r['model_notes'][0]}"]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="a smoke run over N ideas; RESULTS.md is left alone")
    args = parser.parse_args()
    data = run(args.limit)
    markdown = report(data)
    print(markdown)
    if args.limit is None:
        write_section("idea_coverage", markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
