"""Does any planted secret reach a model? And how often does redaction touch ordinary code?

    python bench/redaction.py [--limit N]

(a) Leaks. A workspace is planted with the fake secrets of tests/unit/agents/secrets_corpus.py (each case
in a file of an ordinary name, ``.py`` when it parses as Python, else ``.txt``) and with files of secrets
the deny rule refuses (``.env``, ``id_rsa``, ``.aws/credentials``, ...). For each planted file one agent
run goes over the real OpenAI SDK to a loopback server that records every byte: the task names words of
the file that are not part of a secret (so the prompt's automatic context retrieves it), and the
scripted model calls every tool that can quote it: read_file, list_symbols, search_code,
graph_neighbours, find_references, propose_patch (a diff whose context lines hold the secret), run_lint,
and run_tests on a test that prints every planted file when it fails. A secret counts as leaked when it,
or any 12 characters of it, appears in any request (raw, or any JSON string decoded). Goal: 0.
(b) False positives: findings on ordinary code (the installed standard library's .py files, whose few
literal test passwords count against us), per 10,000 lines, and the corpus of ordinary snippets that look
random. Goal: at most 1 per 10,000 lines. Also the throughput of redact() on that code, beside the detector
as it was before this change (commit 8c79525^, run in the same process) as a baseline.

Results go to bench/RESULTS.md (section "redaction"); ``--limit N`` plants N cases only and leaves
RESULTS.md alone.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from results import machine_info, write_section  # noqa: E402

import tests.loopback.openai_server as openai_wire  # noqa: E402
from specpilot.agents.session import AgentSession  # noqa: E402
from specpilot.core.config import Settings  # noqa: E402
from specpilot.llm.safety.redaction import redact  # noqa: E402
from tests.loopback import serving  # noqa: E402
from tests.loopback.openai_server import OpenAIServer  # noqa: E402
from tests.unit.agents.secrets_corpus import ORDINARY_CASES, SECRET_CASES, fake  # noqa: E402

BASELINE_COMMIT = "8c79525^"
DEBUG = bool(os.environ.get("SPECPILOT_BENCH_DEBUG"))
DENIED = (".env", "deploy/.env.local", "home/id_rsa", "home/id_ed25519", ".aws/credentials", ".ssh/config",
          "certs/tls.key", "certs/server.pem", ".npmrc", ".pypirc", ".netrc", "config/secrets.yaml",
          "config/credentials.json", "kube/kubeconfig", "infra/prod.tfvars")
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PRINTER = '''import pathlib


def test_planted_files_are_as_expected():
    root = pathlib.Path(__file__).resolve().parent.parent
    shown = [p.read_text(errors="replace") for p in sorted((root / "planted").iterdir())]
    shown += [(root / name).read_text(errors="replace") for name in {denied!r} if (root / name).is_file()]
    assert not shown, "\\n".join(shown)
'''


def call(name: str, arguments: dict[str, Any], n: int) -> tuple[str, str, str]:
    return (f"call_{n}", name, json.dumps(arguments))


def plant(root: Path, limit: int | None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(path, kind, secrets) for every planted file."""
    planted: list[tuple[str, str, tuple[str, ...]]] = []
    (root / "planted").mkdir(parents=True)
    (root / "tests").mkdir()
    for case in SECRET_CASES[:limit]:
        try:
            ast.parse(case.text)
            suffix = ".py"
        except SyntaxError:
            suffix = ".txt"
        rel = f"planted/{case.id.replace('-', '_')}{suffix}"
        (root / rel).write_text(case.text, encoding="utf-8")
        planted.append((rel, case.kind, case.secrets))
    for rel in DENIED[: None if limit is None else max(1, limit // 4)]:
        secret = "sk-" + fake(ALNUM, 40)
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"def read_{Path(rel).name.replace('.', '_').replace('-', '_')}():\n    return '{secret}'\n")
        planted.append((rel, "deny rule", (secret,)))
    (root / "tests" / "test_printer.py").write_text(PRINTER.format(denied=DENIED))
    return planted


def words(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Words of the file for the task and the searches: never a piece of one of its secrets (a task that
    quotes part of a key is the user's own text, and such a piece has nothing to recognise it by)."""
    found = [w for w in "".join(c if c.isalnum() or c == "_" else " " for c in text).split()
             if 3 <= len(w) <= 20 and not any(w in secret for secret in secrets)]
    return " ".join(found[:4]) or "config"


def script(rel: str, text: str, secrets: tuple[str, ...]) -> list[Any]:
    lines = text.splitlines() or [""]
    first = lines[0]
    diff = f"--- a/{rel}\n+++ b/{rel}\n@@ -1,{len(lines)} +1,{len(lines) + 1} @@\n" + \
        "".join(f" {line}\n" for line in lines) + "+# reviewed\n"
    calls = [call("read_file", {"path": rel}, 1), call("list_symbols", {"path": rel}, 2),
             call("search_code", {"query": words(text, secrets)}, 3),
             call("graph_neighbours", {"symbol": words(first, secrets)}, 4),
             call("find_references", {"path": rel, "line": 1, "column": 1}, 5),
             call("propose_patch", {"diff": diff}, 6), call("run_lint", {"paths": [rel]}, 7),
             call("run_tests", {"paths": ["tests/test_printer.py"]}, 8)]
    return [openai_wire.answer(tool_calls=[c]) for c in calls] + [openai_wire.answer("Reviewed."),
                                                                     openai_wire.answer("DONE")]


def leaked(secret: str, text: str) -> bool:
    if secret in text:
        return True
    return len(secret) >= 24 and any(secret[i:i + 12] in text for i in range(0, len(secret) - 12, 4))


def leak_run(limit: int | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, serving(OpenAIServer()) as server:
        root = Path(tmp) / "ws"
        root.mkdir()
        planted = plant(root, limit)
        settings = Settings()
        settings.model.provider, settings.model.base_url = "openai", server.base_url
        settings.model.model, settings.model.max_retries, settings.model.timeout_s = openai_wire.MODEL, 1, 30.0
        settings.embedder.enabled = False
        settings.agent.max_iterations, settings.agent.token_budget = 12, 10_000_000
        agent = AgentSession.open(root, settings=settings, api_key="sk-bench-LoopKey0123456789abcdefXYZ", env={})
        by_kind: Counter[str] = Counter()
        leaks: Counter[str] = Counter()
        examples: list[str] = []
        started = time.perf_counter()
        tools_answered = 0
        try:
            for rel, kind, secrets in planted:
                server.requests.clear()
                text = (root / rel).read_text(encoding="utf-8")
                server.push(*script(rel, text, secrets))
                agent.run(f"Review {rel}: {words(text, secrets)}")
                seen = server.seen_decoded()
                tools_answered += sum(1 for r in server.requests for m in r.body.get("messages", [])
                                      if m.get("role") == "tool")
                for secret in secrets:
                    by_kind[kind] += 1
                    if leaked(secret, seen):
                        leaks[kind] += 1
                        examples.append(f"{rel} ({kind})")
                        if DEBUG:
                            at = next(i for i in range(len(secret) - 11) if secret[i:i + 12] in seen)
                            where = seen.find(secret[at:at + 12])
                            print("LEAK", rel, repr(seen[max(0, where - 400):where + 80]), file=sys.stderr)
        finally:
            agent.close()
        return {"secrets": sum(by_kind.values()), "kinds": len(by_kind), "files": len(planted),
                "leaked": sum(leaks.values()), "leaks": dict(leaks), "examples": examples[:10],
                "runs": len(planted), "seconds": time.perf_counter() - started,
                "requests": tools_answered}


def _baseline_redact() -> Any:
    """The detector as it was before this change, loaded from git into this process."""
    root = Path(__file__).resolve().parent.parent
    try:
        source = subprocess.run(["git", "show", f"{BASELINE_COMMIT}:llm/safety/redact.py"], cwd=root,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "baseline_redact.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("baseline_redact", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    sys.modules["baseline_redact"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.redact


def false_positives(limit: int | None) -> dict[str, Any]:
    lib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in lib.rglob("*.py") if "site-packages" not in p.parts)[:limit and limit * 20]
    texts = []
    for path in files:
        try:
            texts.append((path.relative_to(lib).as_posix(), path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    lines = sum(text.count("\n") for _, text in texts)
    found: Counter[str] = Counter()
    examples: list[str] = []
    timings: dict[str, list[float]] = {"SpecPilot": [], "baseline": []}
    baseline = _baseline_redact()
    for attempt in range(3):
        t0 = time.perf_counter()
        for rel, text in texts:
            result = redact(text)
            if attempt == 0:
                for finding in result.findings:
                    found[finding.kind] += 1
                    if len(examples) < 20:
                        examples.append(f"{rel}:{finding.line} ({finding.kind})")
        timings["SpecPilot"].append(time.perf_counter() - t0)
        if baseline is not None:
            t0 = time.perf_counter()
            for _, text in texts:
                baseline(text)
            timings["baseline"].append(time.perf_counter() - t0)
    ordinary_touched = sum(1 for _, text in ORDINARY_CASES if redact(text).findings)
    return {"lines": lines, "files": len(texts), "findings": sum(found.values()), "by_kind": dict(found),
            "examples": examples, "timings": timings, "ordinary": len(ORDINARY_CASES),
            "ordinary_touched": ordinary_touched}


def report(leaks: dict[str, Any], fp: dict[str, Any]) -> str:
    per_10k = fp["findings"] / max(1, fp["lines"]) * 10_000
    ours = sorted(fp["timings"]["SpecPilot"])
    base = sorted(fp["timings"]["baseline"])
    rows = [
        "## Redaction and the deny rule (bench/redaction.py)",
        "",
        machine_info(),
        "",
        "### Planted secrets through every tool and the prompt's automatic context (goal 0 reach the model)",
        "",
        "| planted | formats (kinds) | files | agent runs | tool results sent | reached the loopback model |",
        "|---|---|---|---|---|---|",
        f"| {leaks['secrets']} | {leaks['kinds']} | {leaks['files']} | {leaks['runs']} | {leaks['requests']} | "
        f"**{leaks['leaked']}** |",
        "",
        "Each run: read_file, list_symbols, search_code, graph_neighbours, find_references, propose_patch (the "
        "secret in the diff's context lines), run_lint, run_tests (a failing test that prints every planted file), "
        "then the answer and the critic; the task names words of the file (never a piece of a secret), so the "
        "automatic context retrieves it. "
        f"Files refused by the deny rule: {', '.join('`' + d + '`' for d in DENIED)}.",
    ]
    if leaks["leaked"]:
        rows += ["", "Leaked: " + "; ".join(leaks["examples"])]
    rows += [
        "",
        "### False positives on ordinary code (goal at most 1 per 10,000 lines)",
        "",
        "| code | files | lines | findings | per 10,000 lines | ordinary look-alike snippets touched |",
        "|---|---|---|---|---|---|",
        f"| the installed standard library | {fp['files']} | {fp['lines']:,} | {fp['findings']} | {per_10k:.2f} | "
        f"{fp['ordinary_touched']} of {fp['ordinary']} |",
        "",
        "Findings by kind: " + (", ".join(f"{k} {v}" for k, v in sorted(fp["by_kind"].items())) or "none") +
        ". They are literal test passwords (`password = 'python'`, `pwd=\"python\"`): a password literal under a "
        "password name is redacted by design.",
        "",
        "### Speed of redact() on that code (3 passes; median, max)",
        "",
        "| detector | median s | max s | lines/s (median) |",
        "|---|---|---|---|",
        f"| SpecPilot (deny-rule change, views, detect-secrets rules) | {ours[1]:.2f} | {ours[-1]:.2f} | "
        f"{fp['lines'] / ours[1]:,.0f} |",
    ]
    if base:
        rows.append(f"| baseline: the detector before ({BASELINE_COMMIT}) | {base[1]:.2f} | {base[-1]:.2f} | "
                    f"{fp['lines'] / base[1]:,.0f} |")
        rows += ["", f"Ratio of medians: {ours[1] / base[1]:.2f}x the baseline's time. The extra time is the second "
                 "look at decorated text (gutters, diffs, escaped literals) and the vendor rules."]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="plant N cases (a smoke run; RESULTS.md untouched)")
    args = parser.parse_args()
    leaks = leak_run(args.limit)
    print(json.dumps({k: v for k, v in leaks.items() if k != "examples"}), flush=True)
    fp = false_positives(args.limit)
    print(json.dumps({k: v for k, v in fp.items() if k not in ("examples", "timings")}), flush=True)
    text = report(leaks, fp)
    print(text)
    if args.limit is None:
        write_section("redaction", text)
    return 1 if leaks["leaked"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
