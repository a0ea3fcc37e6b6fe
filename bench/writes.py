"""Edits land only where meant: lost concurrent writes and misapplied stale edits.

(a) Concurrent writes. Writers in threads and in processes append unique lines to one
file by read-modify-write through ``specpilot.core.cas`` (retrying when it reports a
conflict), while foreign programs append to the same file in place (no lock, no
hash: an editor or a formatter would not ask). A write is lost when its line is
missing at the end: some write replaced the file without having seen it. The same
race runs once more with the check-then-replace writer SpecPilot had before
(compare the text, then temp file + ``os.replace``, no lock, no re-check) to show
what the harness catches.

(b) Stale edits against the real server (``python -m specpilot serve`` over stdio). A
rename request is raced with a didChange of the same buffer; each answer is checked
the way a client applies it: a ``TextDocumentEdit`` tagged with version v is applied
to the client's text at v, so every range must hold the old name there. An edit that
does not is misapplied. Three races: the change sent 0-10 ms after the request (it
moves the renamed name's uses down a line), right behind the request (it moves every
line, so the request's position points into another function after it), and right
before it (the request's position is in the changed text: the rename must go through).

Writes the ``writes`` section of bench/RESULTS.md.
    python bench/writes.py [--rounds 5] [--tries 120]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException

sys.path.insert(0, str(Path(__file__).parent))
from lsp_client import BenchClient, did_insert, did_open, initialize  # noqa: E402
from results import machine_info, write_section  # noqa: E402

from specpilot.core import cas  # noqa: E402

THREADS = 20
PROCESSES = 20
WRITES_EACH = 5
FOREIGN_APPENDS = 120
SERVER = [sys.executable, "-m", "specpilot", "serve"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


# -- (a) concurrent writes -------------------------------------------------------------------------

def naive_write(path: Path, new_text: str, seen_text: str) -> None:
    """The writer SpecPilot had before cas.py: compare, then temp file and os.replace."""
    if path.read_text(encoding="utf-8") != seen_text:
        raise cas.WriteConflict("changed")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(new_text.encode("utf-8"))
    os.replace(tmp, path)


def writer(path: str, tag: str, count: int, start_at: float, mode: str) -> dict[str, Any]:
    """``count`` read-modify-write appends of ``tag-i`` lines; returns latencies and conflicts."""
    target = Path(path)
    while time.time() < start_at:
        time.sleep(0.001)
    latencies, conflicts, gave_up = [], 0, 0
    for i in range(count):
        began = time.perf_counter()
        for _ in range(500):
            text = target.read_bytes().decode("utf-8")
            try:
                if mode == "cas":
                    cas.write_text(target, text + f"{tag}-{i}\n", cas.digest(text))
                else:
                    naive_write(target, text + f"{tag}-{i}\n", text)
                break
            except cas.WriteConflict:
                conflicts += 1
                time.sleep(random.uniform(0, 0.002))
        else:
            gave_up += 1
        latencies.append((time.perf_counter() - began) * 1000)
    return {"latencies": latencies, "conflicts": conflicts, "gave_up": gave_up}


def foreign(path: str, tag: str, count: int, start_at: float) -> int:
    """Another program changing the file in place: O_APPEND writes, no lock, no hash."""
    while time.time() < start_at:
        time.sleep(0.001)
    for i in range(count):
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(f"{tag}-{i}\n")
        time.sleep(random.uniform(0, 0.004))
    return count


def race(mode: str, rounds: int) -> dict[str, Any]:
    lost, expected_total, conflicts, gave_up, latencies = 0, 0, 0, 0, []
    wall = []
    context = get_context("spawn")
    with ProcessPoolExecutor(PROCESSES + 1, mp_context=context) as processes, \
            ThreadPoolExecutor(THREADS + 2) as threads:
        list(processes.map(time.sleep, [0.0] * (PROCESSES + 1)))  # workers started before the clock runs
        for round_ in range(rounds):
            folder = Path(tempfile.mkdtemp(prefix="specpilot-writes-"))
            target = folder / "shared.py"
            target.write_text("")
            start_at = time.time() + 0.3
            began = time.perf_counter()
            jobs = [processes.submit(writer, str(target), f"p{n}", WRITES_EACH, start_at, mode)
                    for n in range(PROCESSES)]
            jobs += [threads.submit(writer, str(target), f"t{n}", WRITES_EACH, start_at, mode)
                     for n in range(THREADS)]
            outside = [processes.submit(foreign, str(target), "fp", FOREIGN_APPENDS, start_at),
                       threads.submit(foreign, str(target), "ft", FOREIGN_APPENDS, start_at)]
            results = [job.result() for job in jobs]
            for job in outside:
                job.result()
            wall.append(time.perf_counter() - began - 0.3)
            lines = target.read_text(encoding="utf-8").splitlines()
            done = {f"{who}{n}-{i}" for who, many in (("p", PROCESSES), ("t", THREADS))
                    for n in range(many) for i in range(WRITES_EACH)}
            given_up = sum(r["gave_up"] for r in results)
            done |= {f"{tag}-{i}" for tag in ("fp", "ft") for i in range(FOREIGN_APPENDS)}
            lost += len(done - set(lines)) - given_up  # a writer that gave up wrote nothing
            expected_total += len(done)
            conflicts += sum(r["conflicts"] for r in results)
            gave_up += given_up
            latencies += [x for r in results for x in r["latencies"]]
            leftovers = [p.name for p in folder.iterdir() if p.name != "shared.py"]
            if leftovers:
                print(f"round {round_}: temporary files left: {leftovers}", flush=True)
            shutil.rmtree(folder, ignore_errors=True)
            print(f"[{mode}] round {round_ + 1}/{rounds}: lost so far {lost}", flush=True)
    return {"lost": lost, "changes": expected_total, "conflicts": conflicts, "gave_up": gave_up,
            "p50": statistics.median(latencies), "p95": pct(latencies, 0.95), "wall": statistics.median(wall),
            "writes": len(latencies)}


# -- (b) stale edits against the server --------------------------------------------------------------

OLD = "target"
TEXT = "def other(): return 0\ndef target():\n    return 1\n\n\nvalue = target() + target() + other()\n"


def misapplied(edit: types.WorkspaceEdit, uri: str, texts: dict[int, str]) -> int:
    """How many text edits of ``uri`` do not hold the old name in the text of their tagged version."""
    wrong = 0
    for change in edit.document_changes or []:
        if not isinstance(change, types.TextDocumentEdit) or change.text_document.uri != uri:
            continue
        version = change.text_document.version
        lines = texts[version].splitlines(keepends=True) if version in texts else []
        for text_edit in change.edits:
            start, end = text_edit.range.start, text_edit.range.end
            found = lines[start.line][start.character:end.character] if start.line < len(lines) else None
            wrong += start.line != end.line or found != OLD
    for uri_, edits in (edit.changes or {}).items():  # unversioned: applied to whatever the client has
        wrong += len(edits) if uri_ == uri else 0
    return wrong


async def stale_edits(tries: int) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix="specpilot-stale-"))
    (root / "app.py").write_text(TEXT)
    client = BenchClient("specpilot-bench-writes")
    await client.start_io(*SERVER, cwd=str(root))
    caps = types.ClientCapabilities(workspace=types.WorkspaceClientCapabilities(
        workspace_folders=True, configuration=True,
        workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=True)))
    await initialize(client, root, caps, {"embedder": {"enabled": False}})
    deadline = time.monotonic() + 120
    while not any(s.get("state") == "ready" for s in client.statuses) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    uri = (root / "app.py").as_uri()
    rng = random.Random(15)
    outcomes = {"misapplied": 0, "refused": 0, "stale_tag": 0, "applied_ok": 0, "other_error": 0}
    latencies: list[float] = []
    kinds = ("after", "behind", "before")
    for race_kind in kinds:
        texts = {1: TEXT}
        version = 1
        client.text_document_did_open(did_open(uri, TEXT))
        for attempt in range(tries // len(kinds)):
            text = texts[version]
            line = text.splitlines().index("def target():")
            if race_kind == "after":  # a blank line below target's body: its uses move down
                at, new_text = line + 2, text.replace("\n\n\n", "\n\n\n\n", 1)
            else:  # a blank line on top: every line moves, (line, 5) now points into ``other``
                at, new_text = 0, "\n" + text
            texts[version + 1] = new_text

            def change(version: int = version, at: int = at) -> None:
                client.text_document_did_change(did_insert(uri, version + 1, at, "\n"))

            if race_kind == "before":  # the change first: the request's position is in the new text
                change()
                line += 1
            began = time.perf_counter()
            request = asyncio.ensure_future(client.text_document_rename_async(types.RenameParams(
                types.TextDocumentIdentifier(uri), types.Position(line, 5), f"renamed_{attempt}")))
            if race_kind == "after":
                await asyncio.sleep(rng.choice([0.0, 0.001, 0.002, 0.005, 0.01]))
                change()
            elif race_kind == "behind":
                await asyncio.sleep(0)  # the request is written; the change goes right behind it
                change()
            version += 1
            try:
                edit = await request
            except JsonRpcException as exc:
                outcomes["refused" if exc.code == -32801 else "other_error"] += 1
                continue
            finally:
                latencies.append((time.perf_counter() - began) * 1000)
            if edit is None:
                outcomes["other_error"] += 1
                continue
            wrong = misapplied(edit, uri, texts)
            tags = {c.text_document.version for c in edit.document_changes or []
                    if isinstance(c, types.TextDocumentEdit) and c.text_document.uri == uri}
            if wrong:
                outcomes["misapplied"] += 1
            elif tags == {version}:
                outcomes["applied_ok"] += 1  # the client is at this version: it applies it, correctly
            else:
                outcomes["stale_tag"] += 1  # the client is past this version: it rejects the edit
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    shutil.rmtree(root, ignore_errors=True)
    return {**outcomes, "tries": len(kinds) * (tries // len(kinds)), "p50": statistics.median(latencies),
            "p95": pct(latencies, 0.95)}


def row(cells: list[Any]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def race_row(name: str, r: dict[str, Any], bold: bool) -> str:
    lost = f"**{r['lost']}**" if bold else r["lost"]
    return row([name, r["changes"], lost, r["conflicts"], r["gave_up"], f"{r['p50']:.2f}", f"{r['p95']:.2f}",
                f"{r['wall']:.2f}"])


def markdown(cas_race: dict[str, Any], naive: dict[str, Any], stale: dict[str, Any], rounds: int) -> str:
    writers = f"{THREADS} threads + {PROCESSES} processes"
    race_head = row(["writer", "changes", "lost", "conflicts retried", "gave up", "write p50 ms", "write p95 ms",
                     "round wall s"])
    stale_head = row(["misapplied", "refused (ContentModified)", "sent tagged with the older version "
                      "(client rejects)", "applied, correct", "other errors", "answer p50 ms", "answer p95 ms"])
    stale_row = row([f"**{stale['misapplied']}**", stale["refused"], stale["stale_tag"], stale["applied_ok"],
                     stale["other_error"], f"{stale['p50']:.1f}", f"{stale['p95']:.1f}"])
    return f"""## Writes: lost concurrent writes, misapplied stale edits

`bench/writes.py` — {machine_info()}.

Concurrent writes lost (goal 0). {writers} append {WRITES_EACH} lines each to one file by
read-modify-write, retrying on a conflict, while a foreign thread and a foreign process append
{FOREIGN_APPENDS} lines each in place (no lock, no hash); {rounds} rounds. A change is lost when its
line is missing at the end. Latency is per write, retries included.

{race_head}
|---|---|---|---|---|---|---|---|
{race_row("specpilot.core.cas (now)", cas_race, True)}
{race_row("check-then-replace (before)", naive, False)}

Stale edits misapplied (goal 0). {stale['tries']} renames against the real server over stdio, each raced
with a didChange of the same buffer: a third sent 0-10 ms after the request (moving the name's uses), a
third right behind it (moving every line, so the request's position points at another function
afterwards), a third right before it (the position is in the changed text). An answer is misapplied
when a range does not hold the old name in the client's text of the version it is tagged with.

{stale_head}
|---|---|---|---|---|---|---|
{stale_row}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tries", type=int, default=120)
    parser.add_argument("--no-write", action="store_true", help="print the section instead of writing it")
    parser.add_argument("--stale-only", action="store_true", help="only (b), printed")
    args = parser.parse_args()
    if args.stale_only:
        print(asyncio.run(stale_edits(args.tries)))
        return
    cas_race = race("cas", args.rounds)
    naive = race("naive", args.rounds)
    stale = asyncio.run(stale_edits(args.tries))
    text = markdown(cas_race, naive, stale, args.rounds)
    print(text)
    if not args.no_write:
        write_section("writes", text)


if __name__ == "__main__":
    main()
