"""A team's shared index on a real S3 server (SeaweedFS on loopback): a second clone's time to its first semantic
answer, the bytes a 1 % branch costs, and the workers' throughput.

Usage::

    python bench/team.py [--rounds 3] [--repo DIR --name NAME] [--workdir DIR] [--write]

On flask (the mirror under /work/.mirror, or --repo DIR), with a real S3 server on loopback (the byte counts go
through a proxy in front of it that counts the bytes each way; the timings go to it directly):

* **first semantic answer**, cold (the clone embeds everything itself) against warm (``index.uri`` names the
  shared index a teammate published), ``--rounds`` each, median and p95, by two paths:
  the CLI, ``specpilot index`` then ``specpilot search --mode vector`` in a fresh clone as subprocesses, wall time
  from the first command to the answer; and the editor's, ``specpilot serve`` on a fresh clone, from its start
  until its status says every chunk has a vector and it has answered ``specpilot/search`` (vector);
* **bytes for a branch**: a branch that changes 1 % of the Python files (a function added to each); what
  publishing it sends and what a clone that has main indexed receives when it indexes the branch, against a full
  publish and a full pull;
* **workers**: the flask chunks queued (``index --no-embed --remote``) and embedded by one ``specpilot worker``
  process, and by a local Ray job of 2 actors (the cluster extra), chunks/s. A 4-GPU figure is not measured here
  (no GPU on this machine kind): the note gives a published single-GPU rate for the model, times four.

Writes the ``team`` section of RESULTS.md with ``--write`` (``team-NAME`` with ``--name``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(BENCH.parent))

from first_answer import search  # noqa: E402
from lsp_client import BenchClient, initialize, stop  # noqa: E402
from lsprotocol import types  # noqa: E402
from results import machine_info, pct, write_section  # noqa: E402

from tests.loopback.s3_server import BUCKET, S3Server  # noqa: E402

DEFAULT_WORKDIR = BENCH / ".work" / "team"
MIRROR = Path("/work/.mirror/pallets+flask/repo")
QUERY = "register a blueprint on the application"
FIXED_COST = ("A warm clone's time is mostly fixed cost that does not grow with the repository: starting the process "
              "(the server answers `initialize` after ~1.7 s, most of it imports; LanceDB's import is ~0.6 s of each "
              "CLI process) and reading, chunking and writing the files (~1.3 s in process on flask), while the cold "
              "run's embedding grows with the chunks. So the ratio falls as the repository grows.")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class CountingProxy:
    """A TCP proxy on 127.0.0.1 that counts the bytes sent to and received from the upstream server."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.sent = self.received = 0
        self._lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self) -> None:
        with self._lock:
            self.sent = self.received = 0

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, "sent"), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, "received"), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, counter: str) -> None:
        try:
            while data := source.recv(65536):
                with self._lock:
                    setattr(self, counter, getattr(self, counter) + len(data))
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def specpilot(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "specpilot", *args], capture_output=True, text=True, env=env,
                          timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"specpilot {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


def checkout(repo: Path | None, target: Path) -> Path:
    target.mkdir(parents=True)
    if repo is not None:
        shutil.copytree(repo, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git", ".specpilot"))
        return target
    if not MIRROR.is_dir():
        raise SystemExit(f"no flask mirror at {MIRROR}: pass --repo DIR (a checkout of a medium repository)")
    archive = subprocess.run(["git", f"--git-dir={MIRROR}", "archive", "HEAD"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def top_hit(ws: Path, env: dict[str, str], query: str, *extra: str) -> tuple[str, str] | None:
    """The top hit (path, qualified name) of ``specpilot search --mode vector`` for ``query`` in ``ws``."""
    out = specpilot("search", query, "-w", str(ws), "--mode", "vector", "-k", "3", "--no-server", "--json", *extra,
                    env=env)
    top = json.loads(out)[:1]
    return (str(top[0]["path"]), str(top[0]["qualified_name"])) if top else None


def first_answer(ws: Path, env: dict[str, str], uri: str | None, query: str, expected: tuple[str, str]) -> float:
    started = time.perf_counter()
    extra = ["--set", f"index.uri={uri}"] if uri else []
    specpilot("index", str(ws), "-q", *extra, env=env)
    top = top_hit(ws, env, query, *extra)
    elapsed = time.perf_counter() - started
    if top != expected:
        log(f"  (the top hit was not the complete index's: {top})")
    return elapsed


async def _server_answer(ws: Path, env: dict[str, str], uri: str | None, query: str,
                         expected: tuple[str, str]) -> float:
    client = BenchClient()
    started = time.perf_counter()
    await client.start_io(sys.executable, "-m", "specpilot", "serve", env=env)
    try:
        # Both cores for the background work, as the CLI uses (the server leaves one to the editor by default).
        options: dict[str, object] = {"server": {"background_cores": 2}} | ({"index": {"uri": uri}} if uri else {})
        await initialize(client, ws, types.ClientCapabilities(), options)
        while not any(s["state"] == "ready" and s["embedded"] == s["chunks"] > 0 for s in client.statuses):
            if time.perf_counter() - started > 1800:
                raise RuntimeError(f"the server did not finish indexing {ws} in 30 minutes")
            await asyncio.sleep(0.02)
        hits = await search(client, query, k=3, mode="vector")
        elapsed = time.perf_counter() - started
        if not hits or (hits[0]["path"], hits[0].get("qualifiedName")) != expected:
            log(f"  (the server's top hit was not the complete index's: {hits[:1]})")
        return elapsed
    finally:
        await stop(client)


def server_answer(ws: Path, env: dict[str, str], uri: str | None, query: str, expected: tuple[str, str]) -> float:
    """The editor's path: ``specpilot serve`` started on a fresh clone; seconds from the process start until it
    says every chunk has its vector (``specpilot/indexStatus``) and has answered ``specpilot/search`` (vector).
    The answer is checked against the complete index's (``expected``). An answer from a partial index can come
    earlier, but whether it is right depends on which chunks happen to be embedded first."""
    return asyncio.run(_server_answer(ws, env, uri, query, expected))


def verdict(cli: float, server: float, name: str) -> str:
    met = [what for what, ratio in (("the CLI", cli), ("the language server", server)) if ratio <= 0.10]
    if len(met) == 2:
        return f"The goal (warm ≤ 10 % of cold) is **met** on {name} by both paths."
    if met:
        return f"The goal (warm ≤ 10 % of cold) is **met** on {name} by {met[0]} only."
    return f"The goal (warm ≤ 10 % of cold) is **not met** on {name}."


def branch(ws: Path, share: float = 0.01) -> list[str]:
    """Change ``share`` of the Python files (at least one): a function added at the end of each."""
    files = sorted(p for p in ws.rglob("*.py") if ".specpilot" not in p.parts)
    chosen = files[:: max(1, round(1 / share))][: max(1, round(share * len(files)))]
    for path in chosen:
        path.write_text(path.read_text() + f"\n\ndef branch_helper_{path.stem}(value):\n"
                        f"    \"\"\"A helper the branch adds to {path.stem}.\"\"\"\n    return value\n")
    return [str(p.relative_to(ws)) for p in chosen]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repo", type=Path, default=None, help="a checkout to use instead of the flask mirror")
    parser.add_argument("--name", default="flask", help="the repository's name in the report (with --repo)")
    parser.add_argument("--query", default=QUERY, help="the semantic query the clones answer (with --repo)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    server = S3Server(Path(tempfile.mkdtemp(prefix="team-s3-"))).start()
    proxy = CountingProxy(server.s3_port)
    base = {**os.environ, "HF_HUB_OFFLINE": "1", "SPECPILOT_EVENTS": "off"}
    env = {**base, **server.env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{proxy.port}")}  # bytes counted
    direct = {**base, **server.env()}  # for the timings: the proxy's Python threads would slow the transfers
    uri = f"s3://{BUCKET}/team-{uuid.uuid4().hex[:8]}"
    try:
        main_ws = checkout(args.repo, args.workdir / "publisher")
        files = len([p for p in main_ws.rglob("*.py")])
        log(f"publishing {main_ws} ({files} Python files) to {uri}")
        proxy.reset()
        started = time.perf_counter()
        published = specpilot("index", str(main_ws), "-q", "--remote", uri, env=env)
        chunks = re.search(r"(\d+) chunks written", published)
        publish_s, publish_sent = time.perf_counter() - started, proxy.sent
        expected = top_hit(main_ws, env, args.query)
        assert expected is not None, f"no answer to {args.query!r} in the published index"
        log(f"the complete index's answer: {expected}")
        cold, warm, server_cold, server_warm = [], [], [], []
        runs = [("cold", None, first_answer, cold), ("warm", uri, first_answer, warm),
                ("server-cold", None, server_answer, server_cold), ("server-warm", uri, server_answer, server_warm)]
        for n in range(args.rounds):
            for name, shared_uri, measure, times in runs:
                ws = checkout(args.repo, args.workdir / f"{name}-{n}")
                times.append(measure(ws, direct, shared_uri, args.query, expected))
                log(f"  {name} clone {n}: {times[-1]:.1f} s")
        pulled = checkout(args.repo, args.workdir / "pull")  # a full pull, through the counting proxy
        proxy.reset()
        specpilot("index", str(pulled), "-q", "--set", f"index.uri={uri}", env=env)
        pull_bytes = proxy.received
        log(f"  a full pull: {pull_bytes / 1e6:.2f} MB received")
        # A branch of 1 %: publish it, then a clone with main indexed takes it.
        branch_ws = checkout(args.repo, args.workdir / "branch")
        specpilot("index", str(branch_ws), "-q", "--set", f"index.uri={uri}", env=env)  # a teammate on main
        changed = branch(branch_ws)
        proxy.reset()  # the teammate indexes the branch (embedding its new chunks) and publishes it
        specpilot("index", str(branch_ws), "-q", "--remote", uri, "--set", f"index.uri={uri}", env=env)
        branch_sent = proxy.sent
        follower = pulled
        for rel in changed:
            shutil.copy2(branch_ws / rel, follower / rel)
        proxy.reset()
        specpilot("index", str(follower), "-q", "--set", f"index.uri={uri}", env=env)
        branch_received = proxy.received
        # Workers: the chunks queued, then embedded by one process and by a local Ray job of 2 actors.
        rates = {}
        for how in ("process", "ray"):
            queue_uri = f"s3://{BUCKET}/queue-{how}-{uuid.uuid4().hex[:6]}"
            ws = checkout(args.repo, args.workdir / f"queue-{how}")
            specpilot("index", str(ws), "-q", "--no-embed", "--remote", queue_uri, env=env)
            extra = ["--ray", "--workers", "2"] if how == "ray" else []
            started = time.perf_counter()
            out = specpilot("worker", queue_uri, "-w", str(ws), *extra, env=env)
            line = out.strip().splitlines()[-1]
            rate = re.search(r"\(([\d.]+) chunks/s\)", line)
            rates[how] = (float(rate.group(1)) if rate else 0.0, time.perf_counter() - started, line)
            log(f"  worker ({how}): {line}")
    finally:
        server.stop()
    median_cold, median_warm = statistics.median(cold), statistics.median(warm)
    ratio = median_warm / median_cold
    server_ratio = statistics.median(server_warm) / statistics.median(server_cold)
    text = "\n".join([
        f"## Team scale: a shared index on S3 (bench/team.py, {args.name})",
        "",
        f"Machine: {machine_info()}. S3: SeaweedFS 4.48 (`weed mini`) on loopback; the bytes are counted by a proxy "
        "in front of it (the timings go to it directly). "
        f"Repository: {args.name} ({files} Python files, {chunks.group(1) if chunks else '?'} chunks). The CLI path: "
        "each clone runs `specpilot index` then `specpilot search --mode vector` as subprocesses. The editor's path: "
        "`specpilot serve` on the clone, timed from its start until its `specpilot/indexStatus` says every chunk has "
        f"a vector and it has answered `specpilot/search` (vector). The query: \"{args.query}\"; {args.rounds} rounds.",
        "",
        "| first semantic answer in a fresh clone | median | p95 |",
        "|---|---:|---:|",
        f"| cold (embeds every chunk itself) | {median_cold:.1f} s | {pct(cold, 0.95):.1f} s |",
        f"| warm (`index.uri`: vectors from the shared index) | {median_warm:.1f} s | {pct(warm, 0.95):.1f} s |",
        f"| ratio warm / cold (goal ≤ 10 %) | {100 * ratio:.1f} % | |",
        "",
        "| first semantic answer through the language server | median | p95 |",
        "|---|---:|---:|",
        f"| cold | {statistics.median(server_cold):.1f} s | {pct(server_cold, 0.95):.1f} s |",
        f"| warm (`index.uri`) | {statistics.median(server_warm):.1f} s | {pct(server_warm, 0.95):.1f} s |",
        f"| ratio warm / cold (goal ≤ 10 %) | {100 * server_ratio:.1f} % | |",
        "",
        "| bytes | sent | received |",
        "|---|---:|---:|",
        f"| full publish of main ({publish_s:.0f} s) | {publish_sent / 1e6:.2f} MB | |",
        f"| full pull by a fresh clone | | {pull_bytes / 1e6:.2f} MB |",
        f"| publish a branch changing {len(changed)} of {files} Python files (1 %) | {branch_sent / 1e3:.1f} kB | |",
        f"| a clone with main indexed takes that branch | | {branch_received / 1e3:.1f} kB |",
        "",
        f"| embedding the queue ({args.name}'s chunks) | chunks/s | wall |",
        "|---|---:|---:|",
        f"| one `specpilot worker` process (baseline) | {rates['process'][0]:.1f} | {rates['process'][1]:.0f} s |",
        f"| a local Ray job, 2 actors (`--ray --workers 2`) | {rates['ray'][0]:.1f} | {rates['ray'][1]:.0f} s |",
        "",
        verdict(ratio, server_ratio, args.name),
        "",
        FIXED_COST,

        "",
        "On this 2-core CPU Ray gains nothing, as expected (both actors share the same two cores and each loads the "
        "model). A 4-GPU cluster was not measured (no GPU on this machine kind); from a **published figure**, not a "
        "measurement: sentence-transformers lists all-MiniLM-L6-v2 at about 14,200 sentences/s on one V100, so four "
        "such GPUs would embed on the order of 50,000 short texts/s, fewer for 128-token code chunks, i.e. the "
        "standard library's ~60,000 chunks in seconds rather than the 2,010 s this CPU takes.",
    ])
    print(text)
    if args.write:
        write_section("team" if args.name == "flask" else f"team-{args.name}", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
