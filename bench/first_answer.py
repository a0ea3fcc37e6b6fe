"""How soon the language server answers on a fresh, flask-sized repository.

    python bench/first_answer.py [--base-commit REV] [--saves 20] [--edits 20]

flask is not installed here, so the workspace is a copy of the standard library's
``email`` package without ``mime/`` (about flask's size: files and chunks are printed
with the results). The embedding model is the configured one; the cache starts empty.

* first answer: from ``initialize`` (with two files open, as an editor restores
  them), a few natural-language queries with known targets are asked in turn every
  0.5 s through ``specpilot/search``; the time at which each first has its target
  in the top 5, and the first of them all.
* save: a new function is appended to an open file (buffer and disk) and saved;
  the time until ``specpilot/search`` finds it (polled every 10 ms), and until the
  server's ``specpilot/indexStatus`` after the save.
* unsaved edit: the same through ``didChange`` only (so the buffer debounce counts).
* for both: the first status after the edit that says every chunk has its vector
  (read at the end of the 0.3 s pause after each edit), and the load average.

``--base-commit`` runs the same scenario first against that commit (a git
worktree; the server imports its modules instead of the working tree's; parse
workers, separate processes, still import the working tree's), for the ratios;
``--after-commit`` does the same for the second run. Results go to bench/RESULTS.md (section "first_answer").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

from lsprotocol import types

sys.path.insert(0, str(Path(__file__).parent))
from lsp_client import BenchClient, did_insert, did_open, initialize, stop  # noqa: E402
from results import machine_info, write_section  # noqa: E402
from speed import pct  # noqa: E402

WORK = Path(__file__).parent / ".work" / "first_answer"
REPO = Path(__file__).resolve().parent.parent
OPEN = ["email/utils.py", "email/message.py"]
# (query, acceptable targets: qualified names); none shares a word with its target's name. Targets:
# utils.py or _parseaddr.py (open / imported by the open utils.py), message.py (open). Whether full text
# alone finds a target is checked at the end (mode bm25): those answers need no vectors.
QUERIES = [
    ("create a unique identifier string for a new mail", ["make_msgid"]),
    ("turn the text of a mail date header into a timestamp with its offset",
     ["parsedate_to_datetime", "parsedate_tz", "_parsedate_tz", "parsedate"]),
    ("put a backslash before every backslash and double quote", ["quote"]),
    ("which attachment name did the sender give this part", ["Message.get_filename"]),
    ("which character set does this part declare", ["Message.get_content_charset", "Message.get_charset"]),
    ("is this message made of several parts", ["Message.is_multipart"]),
    ("take away the angle brackets or surrounding quotes from a value", ["unquote"]),
]
LAUNCH = """import sys, runpy
import __editable___specpilot_0_1_0_finder as finder
finder.MAPPING.update({k: v.replace(%(main)r, %(base)r) for k, v in finder.MAPPING.items()})
sys.argv = ["specpilot", "serve"]
runpy.run_module("specpilot", run_name="__main__", alter_sys=True)
"""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def make_workspace(dest: Path) -> tuple[int, int]:
    if dest.exists():
        shutil.rmtree(dest)
    source = Path(sysconfig.get_paths()["stdlib"]) / "email"
    shutil.copytree(source, dest / "email", ignore=shutil.ignore_patterns("__pycache__", "*.rst", "mime"))
    files = sorted((dest / "email").rglob("*.py"))
    return len(files), sum(len(f.read_text().splitlines()) for f in files)


async def search(client: BenchClient, query: str, k: int = 5, mode: str | None = None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"query": query, "k": k} | ({"mode": mode} if mode else {})
    answer = await client.protocol.send_request_async("specpilot/search", params)
    hits = answer["hits"] if isinstance(answer, dict) else answer.hits
    return [h if isinstance(h, dict) else h._asdict() for h in hits]


def names(hits: list[dict[str, Any]]) -> list[str]:
    return [str(h.get("qualifiedName") or h.get("name") or "") for h in hits]


def hit(found: list[str], targets: list[str]) -> bool:
    return any(n == t or n.endswith("." + t) for n in found for t in targets)


async def first_answers(client: BenchClient, started: float) -> dict[str, Any]:
    found: dict[str, float] = {}
    ask: list[float] = []
    rounds_ready = 0  # rounds asked once every chunk had its vector
    while len(found) < len(QUERIES) and time.perf_counter() - started < 240 and rounds_ready < 2:
        rounds_ready += client.state == "ready"
        for query, targets in QUERIES:
            if query in found:
                continue
            t0 = time.perf_counter()
            hits = names(await search(client, query))
            ask.append(time.perf_counter() - t0)
            if hit(hits, targets):
                found[query] = time.perf_counter() - started
        await asyncio.sleep(0.5)
    return {"found": found, "ask_ms_p50": statistics.median(ask) * 1000 if ask else 0.0}


def _open(client: BenchClient, root: Path, rel: str) -> tuple[str, str]:
    path = root / rel
    uri, text = path.as_uri(), path.read_text()
    client.text_document_did_open(did_open(uri, text))
    return uri, text


async def _until_found(client: BenchClient, name: str, limit: float = 10.0) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        if name in names(await search(client, name, 5)):
            return time.perf_counter() - t0
        await asyncio.sleep(0.01)
    return float("inf")


async def edits(client: BenchClient, root: Path, count: int, save: bool, tag: str) -> dict[str, Any]:
    rel = "email/quoprimime.py" if save else "email/base64mime.py"
    path = root / rel
    uri, text = _open(client, root, rel)
    await asyncio.sleep(1.0)
    searchable: list[float] = []
    status: list[float] = []
    vectors: list[float] = []  # until a status says every chunk has its vector (seen by the end of the pause)
    load = [os.getloadavg()[0]]
    for n in range(count):
        name = f"zz_{tag}_helper_{n}"
        addition = f"\n\ndef {name}(value):\n    return value * {n + 2}\n"
        end = len(text.splitlines())
        text += addition
        client.text_document_did_change(did_insert(uri, n + 2, end, addition))
        before = len(client.statuses)
        t0 = time.perf_counter()
        if save:
            path.write_text(text)
            client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
        searchable.append(await _until_found(client, name))
        while len(client.statuses) == before and time.perf_counter() - t0 < 5:
            await asyncio.sleep(0.005)
        if len(client.statuses) > before:
            status.append(client.status_times[before] - t0)
        await asyncio.sleep(0.3)
        vectors.extend([at - t0 for at, s in zip(client.status_times[before:], client.statuses[before:])
                        if s.get("embedded") == s.get("chunks")][:1])
    load.append(os.getloadavg()[0])
    return {"searchable": searchable, "status": status, "vectors": vectors, "load": load}


async def scenario(command: list[str], label: str, saves: int, edit_count: int) -> dict[str, Any]:
    root = WORK / label
    files, lines = make_workspace(root)
    client = BenchClient()
    started = time.perf_counter()
    await client.start_io(*command, cwd=str(root))
    caps = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
        workspace=types.WorkspaceClientCapabilities(configuration=True, workspace_folders=True))
    await initialize(client, root, caps)
    for rel in OPEN:
        _open(client, root, rel)
    first = await first_answers(client, started)
    log(f"{label}: first answers {first}")
    while client.state != "ready" and time.perf_counter() - started < 600:
        await asyncio.sleep(0.2)
    ready = time.perf_counter() - started
    first["lexical"] = {query: hit(names(await search(client, query, mode="bm25")), targets)
                        for query, targets in QUERIES}
    chunks = client.statuses[-1].get("chunks") if client.statuses else None
    saved = await edits(client, root, saves, True, "saved")
    unsaved = await edits(client, root, edit_count, False, "typed")
    await stop(client, 60)
    return {"files": files, "lines": lines, "chunks": chunks, "ready_s": ready, "first": first,
            "save": saved["searchable"], "save_status": saved["status"], "save_vectors": saved["vectors"],
            "edit": unsaved["searchable"], "edit_status": unsaved["status"], "edit_vectors": unsaved["vectors"],
            "load": saved["load"] + unsaved["load"]}


def base_command(commit: str, label: str = "base") -> list[str]:
    base = WORK / f"tree-{label}"
    if base.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, check=False)
    subprocess.run(["git", "worktree", "add", "--detach", str(base), commit], cwd=REPO, check=True,
                   capture_output=True)
    return [sys.executable, "-c", LAUNCH % {"main": str(REPO), "base": str(base)}]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} / {pct(values, 0.95) * 1000:.0f}" if values else "-"


def report(runs: dict[str, dict[str, Any]], commit: str | None, after_commit: str | None) -> str:
    some = next(iter(runs.values()))
    rows = ["| | " + " | ".join(runs) + " |", "|---|" + "---|" * len(runs)]

    def row(title: str, cell: Any) -> None:
        rows.append(f"| {title} | " + " | ".join(cell(r) for r in runs.values()) + " |")

    def first(r: dict[str, Any]) -> str:
        found = r["first"]["found"]
        return f"{min(found.values()):.1f} s" if found else "none in 240 s"

    def semantic(r: dict[str, Any]) -> str:
        found = [t for q, t in r["first"]["found"].items() if not r["first"]["lexical"].get(q)]
        return f"{min(found):.1f} s" if found else "none"

    def query_cell(r: dict[str, Any], q: str) -> str:
        at = f"{r['first']['found'][q]:.1f} s" if q in r["first"]["found"] else "not found"
        return at + (" (full text finds it too)" if r["first"]["lexical"].get(q) else "")

    row("first natural-language answer with its target in the top 5 (from initialize)", first)
    row("… of those full text alone does not answer", semantic)
    for query, _ in QUERIES:
        row(f"… «{query}»", lambda r, q=query: query_cell(r, q))
    row("all chunks embedded (state ready)", lambda r: f"{r['ready_s']:.1f} s")
    row(f"save → searchable, p50 / p95 ms (n={len(some['save'])})", lambda r: ms(r["save"]))
    row("save → the server's indexStatus, p50 / p95 ms", lambda r: ms(r["save_status"]))
    row(f"unsaved edit → searchable, p50 / p95 ms (n={len(some['edit'])}; debounce 400 ms)",
        lambda r: ms(r["edit"]))
    row("unsaved edit → the server's indexStatus, p50 / p95 ms", lambda r: ms(r["edit_status"]))
    for key, what in (("save_vectors", "save"), ("edit_vectors", "unsaved edit")):
        row(f"{what} → a status with every chunk embedded, p50 / p95 ms (edits seen within the pause)",
            lambda r, k=key, n=len(some["save"]): f"{ms(r[k])} ({len(r[k])}/{n})" if k in r else "-")
    row("load average (1 min) over the edits: min–max (2 cores, shared)",
        lambda r: f"{min(r['load']):.1f}–{max(r['load']):.1f}" if r.get("load") else "-")
    head = [machine_info(), "", f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Workspace: a copy of "
            f"the stdlib `email` package without `mime/` ({some['files']} files, {some['lines']} lines, "
            f"{some['chunks']} chunks; "
            "flask is not installed here), a fresh cache, the default model, two files open from the start "
            f"({', '.join(OPEN)}). Queries every 0.5 s; searchability polled every 10 ms through "
            "`specpilot/search`."]
    if commit:
        head.append(f"`before` = commit {commit} (git worktree), run in the same script just before `after`"
                    + (f" (commit {after_commit}, also a worktree)." if after_commit else "."))
    return "\n".join(head + [""] + rows) + "\n"


async def main_async(args: argparse.Namespace) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    runs: dict[str, dict[str, Any]] = {}
    if args.base_commit:
        runs["before"] = await scenario(base_command(args.base_commit), "before", args.saves, args.edits)
        log(f"before: {runs['before']}")
    after = base_command(args.after_commit, "after") if args.after_commit else \
        [sys.executable, "-m", "specpilot", "serve"]
    runs["after"] = await scenario(after, "after", args.saves, args.edits)
    log(f"after: {runs['after']}")
    for tree in WORK.glob("tree-*"):  # the worktrees made for --base-commit / --after-commit
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, check=False)
    markdown = report(runs, args.base_commit, args.after_commit)
    print(markdown)
    if args.write:
        write_section("first_answer", markdown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-commit")
    parser.add_argument("--after-commit", help="run `after` from this commit (default: the working tree)")
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="write the section into bench/RESULTS.md")
    asyncio.run(main_async(parser.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
