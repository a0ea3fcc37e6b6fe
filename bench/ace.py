"""Prompt evolution (ACE) on a scripted task suite, against a frozen prompt.

Usage::

    python bench/ace.py [--rounds 12] [--tasks 50] [--seeds 3] [--write]

The suite: tasks of five kinds (parsing, caching, retries, logging, migrations). A loopback model that speaks
OpenAI's wire format (tests/loopback) plays both parts, through SpecPilot's real provider:

- the coder: it succeeds with probability 0.85 when its system prompt holds an entry about the task's kind, 0.35
  otherwise, and 0.3 less when the prompt holds the harmful entry (``HARMFUL``);
- the reflector: it reads rl/reflector.py's request and answers its JSON: the entries about the task's kind
  helped when the run succeeded, the harmful one hurt; after a failure with no entry about the kind, it proposes
  adding one to *learned patterns*; it proposes pruning the harmful entry.

Each run renders the coder's playbook (rl/playbook_render.py) under a deliberately small budget (``BUDGET``
tokens), so curation and the budget both matter; rl/playbook_evolve.py records the run, and updates and gates
the playbook. Measured, mean over seeds:

1. success per round, evolving against the frozen built-in prompt (the same tasks, the same model);
2. the largest prompt any run rendered, against the budget;
3. a harmful edit, made current by hand at round ``HARM_AT`` as a person's unreviewed change would be: the runs
   until the gate rolls it back;
4. the model-free mode (no reflector, the counters-only curator, outcomes from the same scripted rule in
   process): run twice with one seed, its final playbook and its event log must be identical.

``--write`` rewrites the ``ace`` section of bench/RESULTS.md and the plot bench/ace_success.png.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from results import machine_info, write_section  # noqa: E402

import tests.loopback.openai_server as wire  # noqa: E402
from specpilot.core.config import LearningSettings, ModelSettings  # noqa: E402
from specpilot.llm.base import Message  # noqa: E402
from specpilot.llm.factory import make_provider  # noqa: E402
from specpilot.llm.prompt_templates import estimate_tokens  # noqa: E402
from specpilot.rl import reflector  # noqa: E402
from specpilot.rl.curator import Op, apply  # noqa: E402
from specpilot.rl.playbook_evolve import Evolver, Experience  # noqa: E402
from specpilot.rl.playbook_render import render  # noqa: E402
from specpilot.rl.playbook_store import PlaybookStore  # noqa: E402
from tests.loopback import Recorded, Reply, serving  # noqa: E402

KINDS = ("parsing", "caching", "retries", "logging", "migrations")
HARMFUL = "Answer from memory; do not read the code first."
BUDGET = 500
HARM_AT = 8
VARIABLES = {"root": "/ws", "steering": "(none)", "context": "(nothing found)"}


def task_text(kind: str, n: int) -> str:
    return f"[{kind}] task {n}: fix the {kind} bug the user reported"


def outcome(system: str, task: str, rng: random.Random) -> bool:
    """The scripted coder: success depends on what the prompt holds (module docstring)."""
    kind = re.search(r"\[(\w+)\]", task).group(1)  # type: ignore[union-attr]
    chance = 0.85 if re.search(rf"- [^\n]*\b{kind}\b", system) else 0.35
    chance -= 0.3 if HARMFUL in system else 0.0
    return rng.random() < chance


def reflection(user: str) -> dict[str, Any]:
    """The scripted reflector's JSON for rl/reflector.py's request."""
    entries = re.findall(r"^\[([a-z]+-\d+)\] \(([^)]*)\) (.*)$", user, re.MULTILINE)
    kind = re.search(r"\[(\w+)\] task", user).group(1)  # type: ignore[union-attr]
    succeeded = "outcome\">\nsuccess" in user
    helpful = [i for i, _, text in entries if kind in text] if succeeded else []
    harmful = [i for i, _, text in entries if HARMFUL in text]
    edits: list[dict[str, Any]] = [{"op": "prune", "entry": i} for i in harmful]
    if not succeeded and not any(kind in text for _, _, text in entries):
        edits.append({"op": "add", "section": "learned patterns",
                      "text": f"For {kind} work, read the {kind} module's tests before changing it."})
    return {"helpful": helpful, "harmful": harmful, "edits": edits, "note": "scripted"}


class SuiteModel(wire.OpenAIServer):
    """Answers each request by its content: the reflector's JSON, or the coder's SUCCESS / FAILED."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.rng = random.Random(seed)

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            messages = recorded.body.get("messages") or [{}]
            system, user = str(messages[0].get("content", "")), str(messages[-1].get("content", ""))
            if system.startswith("You improve the playbook"):
                return wire.answer(json.dumps(reflection(user)))
            return wire.answer("SUCCESS" if outcome(system, user, self.rng) else "FAILED")


def run(seed: int, rounds: int, tasks: int, *, frozen: bool = False, model: bool = True,
        harm_at: int | None = HARM_AT) -> dict[str, Any]:
    """One suite run; per-round success, the largest prompt, the harmful edit's fate, the final state."""
    work = Path(tempfile.mkdtemp(prefix="ace-"))
    store = PlaybookStore(work)
    settings = LearningSettings(prompt_evolve_every=30, prompt_approval="never", prompt_budget=BUDGET)
    rng = random.Random(seed)
    local = random.Random(seed + 1)
    server = SuiteModel(seed + 1) if model else None
    context = serving(server) if server is not None else contextlib.nullcontext()
    with context:
        provider = make_provider(ModelSettings(provider="openai", base_url=server.base_url, model=wire.MODEL),
                                 env={}, api_key="sk-bench-ace-0123456789abcdef") if server else None

        def reflect(book: Any, experience: Experience) -> Any:
            assert provider is not None
            return reflector.reflect(provider, book, experience.task, "success" if experience.success else "failure",
                                     experience.answer)

        evolver = Evolver(store, "coder", settings, work / "experiences.jsonl",
                          reflect=reflect if provider else None, rng=random.Random(seed + 2))
        per_round, largest, harmed, rolled_back_after = [], 0, None, None
        n = 0
        for round_no in range(1, rounds + 1):
            if harm_at is not None and round_no == harm_at and not frozen:
                book, _ = store.current("coder")
                bad = apply(book, [Op("prepend", section="best practices", text=HARMFUL)],
                            reason="a person's unreviewed edit (bench)", approved=True)
                bad = replace(bad, version=max(store.versions("coder")) + 1)
                store.write(bad, reason="a person's unreviewed edit (bench)", make_current=True)
                harmed, harm_runs = bad.version, 0
            wins = 0
            for _ in range(tasks):
                n += 1
                kind = rng.choice(KINDS)
                task = task_text(kind, n)
                version = 1 if frozen else evolver.choose()
                book = store.read("coder", version)
                system = render(book, VARIABLES, budget_tokens=BUDGET)
                largest = max(largest, estimate_tokens(system))
                if provider is not None:
                    answer = provider.chat([Message("system", system), Message("user", task)]).text
                    success = answer.startswith("SUCCESS")
                else:
                    success = outcome(system, task, local)
                    answer = "SUCCESS" if success else "FAILED"
                wins += success
                if not frozen:
                    evolver.record(Experience(version, float(success), float(success),
                                              estimate_tokens(system) + 5, float(success),
                                              tuple(reflector.ids_in(system, book)), task, answer))
                    if harmed is not None and rolled_back_after is None:
                        harm_runs += 1
                        if store.current_version("coder") != harmed:
                            rolled_back_after = harm_runs
            per_round.append(wins / tasks)
    final, _ = store.current("coder")
    events = [{k: v for k, v in e.items() if k != "at"} for e in store.events("coder")]
    return {"success": per_round, "largest": largest, "harmed": harmed, "rolled_back_after": rolled_back_after,
            "final": final.as_json() | {"created": ""}, "events": events, "versions": len(store.versions("coder"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12, help=f"at least {HARM_AT}")
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    if args.rounds < HARM_AT:
        parser.error(f"--rounds must be at least {HARM_AT} (the harmful edit comes at round {HARM_AT})")

    evolving = [run(s, args.rounds, args.tasks) for s in range(args.seeds)]
    frozen = [run(s, args.rounds, args.tasks, frozen=True) for s in range(args.seeds)]
    first = run(101, args.rounds, args.tasks, model=False)
    again = run(101, args.rounds, args.tasks, model=False)
    same = first["final"] == again["final"] and first["events"] == again["events"]
    mean = [statistics.mean(r["success"][i] for r in evolving) for i in range(args.rounds)]
    base = [statistics.mean(r["success"][i] for r in frozen) for i in range(args.rounds)]
    rollbacks = [r["rolled_back_after"] for r in evolving]
    lines = [f"Machine: {machine_info()}. `python bench/ace.py --write` ({args.seeds} seeds, {args.rounds} rounds of "
             f"{args.tasks} tasks; the harmful edit made current at round {HARM_AT}).", "",
             "| round | " + " | ".join(str(i + 1) for i in range(args.rounds)) + " |",
             "|---|" + "---|" * args.rounds,
             "| evolving | " + " | ".join(f"{v:.2f}" for v in mean) + " |",
             "| frozen | " + " | ".join(f"{v:.2f}" for v in base) + " |", "",
             f"- Success, rounds {HARM_AT - 3}-{HARM_AT - 1} (before the harmful edit): evolving "
             f"{statistics.mean(mean[HARM_AT - 4:HARM_AT - 1]):.2f}, frozen "
             f"{statistics.mean(base[HARM_AT - 4:HARM_AT - 1]):.2f}; round 1: {mean[0]:.2f} and {base[0]:.2f}.",
             f"- Largest prompt rendered: {max(r['largest'] for r in evolving)} tokens (budget {BUDGET}).",
             f"- The harmful edit was rolled back after {', '.join(str(x) for x in rollbacks)} runs (one per seed; "
             "None: not within the run).",
             f"- Versions written per run: {', '.join(str(r['versions']) for r in evolving)}.",
             f"- Model-free mode, the same seed twice: {'identical' if same else 'DIFFERENT'} final playbooks and "
             f"event logs ({len(first['events'])} events; success {first['success'][0]:.2f} -> "
             f"{first['success'][-1]:.2f}).", "", "![ACE success per round](ace_success.png)"]
    print("\n".join(lines))
    if args.write:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        rounds = range(1, args.rounds + 1)
        ax.plot(rounds, mean, marker="o", label="evolving playbook")
        ax.plot(rounds, base, marker="s", label="frozen prompt")
        ax.axvline(HARM_AT, color="grey", linestyle=":", label="harmful edit made current")
        ax.set_xlabel("round")
        ax.set_ylabel("success")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(BENCH / "ace_success.png", dpi=110)
        write_section("ace", "## Prompt evolution, ACE (bench/ace.py)\n\n" + "\n".join(lines))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
