"""Test sandbox: hostile test code run through the real ``run_tests`` tool.

Usage: python bench/sandbox.py [--no-write] [--modes bubblewrap,user,none]

Each case is a workspace whose accepted files on disk (a ``conftest.py``, a test
file, a ``sitecustomize.py``, ``pytest.ini``, a symlink) try one escape: write
to ``$HOME``, to ``/tmp`` or ``/var/tmp`` or ``/dev/shm`` outside the sandbox's
own temporary folder, to the workspace's parent, into the interpreter's
site-packages (a ``.pth``) or ``.git/hooks``; read a planted ``~/.ssh`` key or a
planted ``OPENAI_API_KEY`` (from its own environment or another process's
``/proc/*/environ``); leave a detached process running past the timeout; open a
connection to a server on the host's loopback; write through a symlink that
points out of the workspace. Every hostile file first writes a "ran" marker
into the workspace, so a case whose code never ran cannot pass as contained
(the cases: bench/sandbox_cases.py).

An escape is any evidence outside the workspace afterwards: a file with the
run's token in its name under the home, /tmp, /var/tmp, /dev/shm, /root, the
workspace's parent or site-packages; the key's text in the workspace or the
tool's output; a connection the loopback server accepted; a process still
alive with the token in its command line. The same hostile files are then
proposed (unaccepted buffers) over a harmless workspace: none may run.

Writes section "sandbox" of bench/RESULTS.md. The escapes are counted per
sandbox level that this machine can run (the fallbacks are measured too, to
show what they do not stop); the goal is 0 for the level chosen by default.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import machine_info, write_section  # noqa: E402
from sandbox_cases import HARMLESS, TIMEOUT_S, Case, World, cases  # noqa: E402

from specpilot.agents.safety import sandbox  # noqa: E402
from specpilot.agents.safety.paths import SafetyError  # noqa: E402
from specpilot.agents.tools.context import ToolContext  # noqa: E402
from specpilot.agents.tools.registry import default_registry  # noqa: E402
from specpilot.core.config import Settings  # noqa: E402

TIMING_RUNS = 7


def traces(w: World, ws: Path, output: str) -> list[str]:
    """Evidence that something got out (and clean-up of it)."""
    found = []
    for place in w.places():
        if not place.is_dir():
            continue
        try:
            entries = list(place.iterdir())
        except OSError:
            continue
        for entry in entries:
            if w.token in entry.name and entry.resolve() != ws.resolve() and not entry.name.startswith("ws-"):
                found.append(str(entry))
                _remove(entry)
    if any((ws / ".git" / "hooks").glob(f"*{w.token}*")):
        found.append(".git/hooks written (runs on the next commit)")
    secrets = (w.key, "PRIVATE-" + w.token)
    for loot in ws.glob(f"loot-{w.token}*"):
        text = loot.read_text(errors="replace")
        found += [f"{loot.name} holds {s[:12]}…" for s in secrets if s in text]
    found += [f"tool output holds {s[:12]}…" for s in secrets if s in output]
    if w.connections:
        found.append(f"{len(w.connections)} loopback connection(s)")
        w.connections.clear()
    if (ws / f"late-{w.token}").exists():
        found.append("a detached process wrote after the run")
    found += [f"process {pid} still alive" for pid in _alive(w.token)]
    return found


def _alive(token: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if f"sleeper-{token}".encode() in (entry / "cmdline").read_bytes():
                    pids.append(int(entry.name))
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass
    return pids


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path, ignore_errors=True)


def run_tests(ws: Path, buffers: dict[str, tuple[str, int]] | None = None) -> tuple[str, float]:
    settings = Settings()
    settings.embedder.enabled = False
    settings.agent.test_timeout_s = TIMEOUT_S
    ctx = ToolContext.create(ws, settings)
    ctx.buffers.update(buffers or {})  # proposals: added after the session opened, never accepted
    started = time.perf_counter()
    observation = default_registry().call(ctx, "run_tests", json.dumps({}))
    return observation.content, time.perf_counter() - started


def workspace(w: World, name: str) -> Path:
    ws = w.parent / f"ws-{name}-{uuid.uuid4().hex[:8]}"
    ws.mkdir()
    return ws


def run_case(case: Case, w: World) -> dict[str, Any]:
    ws = workspace(w, case.name)
    files = case.files(ws, w)
    if case.prepare:
        case.prepare(ws, w)
    for rel, text in files.items():
        (ws / rel).parent.mkdir(parents=True, exist_ok=True)
        (ws / rel).write_text(text)
    output, seconds = run_tests(ws)
    time.sleep(case.wait_s)
    found = traces(w, ws, output)
    ran = any(ws.glob(f"ran-{w.token}-*"))
    notice = next((line for line in output.splitlines() if line.startswith(("sandbox:", "warning: NOT"))), "")
    shutil.rmtree(ws, ignore_errors=True)
    return {"case": case.name, "escapes": found, "ran": ran, "seconds": seconds, "notice": notice}


def run_proposed(case: Case, w: World) -> dict[str, Any]:
    ws = workspace(w, f"{case.name}-proposed")
    (ws / "test_harmless.py").write_text(HARMLESS)
    if case.prepare:
        case.prepare(ws, w)
    buffers = {rel: (text, 0) for rel, text in case.files(ws, w).items()}
    output, _ = run_tests(ws, buffers)
    time.sleep(1.0 if case.wait_s else 0.0)
    found = traces(w, ws, output)
    ran = any(ws.glob(f"ran-{w.token}-*"))
    listed = "were NOT run" in output
    shutil.rmtree(ws, ignore_errors=True)
    return {"case": case.name, "ran": ran, "escapes": found, "listed": listed}


def timing(w: World) -> list[float]:
    ws = workspace(w, "timing")
    (ws / "test_harmless.py").write_text(HARMLESS)
    times = [run_tests(ws)[1] for _ in range(TIMING_RUNS)]
    shutil.rmtree(ws, ignore_errors=True)
    return times


def key_holder(key: str) -> subprocess.Popen[bytes]:
    """A process started with the planted key in its environment, as SpecPilot is when the key
    comes from the shell (what a later ``os.environ`` change does not show in /proc/*/environ)."""
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"],
                            env={**os.environ, "OPENAI_API_KEY": key})


def world() -> tuple[World, socket.socket]:
    token = uuid.uuid4().hex[:12]
    base = Path("/var/tmp") / f"specpilot-sandbox-bench-{uuid.uuid4().hex[:8]}"  # not the token: not a trace
    home, parent = base / "home", base / "parent"
    (home / ".ssh").mkdir(parents=True, mode=0o700)
    parent.mkdir()
    listener = socket.create_server(("127.0.0.1", 0))
    w = World(token, base, home, parent, "sk-bench-" + token + "abcdefghijklmnop", listener.getsockname()[1])
    w.ssh_key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nPRIVATE-" + token + "\n")
    w.ssh_key.chmod(0o600)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            w.connections.append(1)
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return w, listener


def measure(modes: list[str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    w, listener = world()
    holder = key_holder(w.key)
    saved = {name: os.environ.get(name) for name in ("HOME", "OPENAI_API_KEY", "GITHUB_TOKEN",
                                                      sandbox.MODE_VARIABLE)}
    os.environ.update(HOME=str(w.home), OPENAI_API_KEY=w.key, GITHUB_TOKEN="ghp_" + w.token)
    by_mode: dict[str, Any] = {}
    proposed: list[dict[str, Any]] = []
    try:
        for mode in modes:
            os.environ[sandbox.MODE_VARIABLE] = mode
            sandbox.bubblewrap_problem.cache_clear()
            try:
                with sandbox.prepare([sys.executable, "-m", "pytest"], w.parent, {}):
                    pass
            except SafetyError as exc:
                by_mode[mode] = {"unavailable": str(exc)}
                print(f"{mode}: unavailable: {exc}", flush=True)
                continue
            rows = []
            for case in cases():
                row = run_case(case, w)
                rows.append(row)
                print(f"{mode} {case.name}: ran={row['ran']} escapes={row['escapes']}", flush=True)
            by_mode[mode] = {"rows": rows, "times": timing(w)}
        os.environ[sandbox.MODE_VARIABLE] = "auto"
        for case in cases():
            row = run_proposed(case, w)
            proposed.append(row)
            print(f"proposed {case.name}: ran={row['ran']} listed={row['listed']}", flush=True)
    finally:
        listener.close()
        holder.kill()
        holder.wait()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(w.base, ignore_errors=True)
    return by_mode, proposed


def markdown(by_mode: dict[str, Any], proposed: list[dict[str, Any]], default: str) -> str:
    names = [c.name for c in cases()]
    lines = ["## Test sandbox: escape attempts and writes outside the workspace (goal 0)", "",
             f"Machine: {machine_info()}", "",
             f"`python bench/sandbox.py`: {len(names)} hostile cases (accepted files on disk, run through the real "
             f"`run_tests` tool with a {TIMEOUT_S:g} s timeout). Default level here: **{default}**. The "
             "other columns force a fallback level (`SPECPILOT_SANDBOX`) to show what it does not stop; a "
             "planted `OPENAI_API_KEY` sits in the bench's environment and in the initial environment of a "
             "process of the same user (as SpecPilot's own, when the key comes from the shell).", ""]
    attempts = {c.name: c.attempt for c in cases()}
    header = "| case | attempt | " + " | ".join(by_mode) + " |"
    lines += [header, "|" + "---|" * (2 + len(by_mode))]
    for name in names:
        cells = []
        for data in by_mode.values():
            if "unavailable" in data:
                cells.append("n/a")
                continue
            row = next(r for r in data["rows"] if r["case"] == name)
            verdict = "contained" if not row["escapes"] else "ESCAPED: " + "; ".join(row["escapes"])[:120]
            cells.append(verdict if row["ran"] else f"{verdict} (hostile code did not run)")
        lines.append(f"| {name} | {attempts[name]} | " + " | ".join(cells) + " |")
    lines.append("")
    for mode, data in by_mode.items():
        if "unavailable" in data:
            lines.append(f"- **{mode}**: not available on this machine: {data['unavailable']}")
            continue
        escaped = sum(1 for r in data["rows"] if r["escapes"])
        ran = sum(1 for r in data["rows"] if r["ran"])
        times = sorted(data["times"])
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        lines.append(f"- **{mode}**: escapes or writes outside in {escaped}/{len(data['rows'])} cases "
                     f"(hostile code ran in {ran}/{len(data['rows'])}); a one-test `run_tests` takes "
                     f"{statistics.median(times):.2f} s median, {p95:.2f} s p95 ({len(times)} runs)")
    ran = sum(1 for r in proposed if r["ran"])
    listed = sum(1 for r in proposed if r["listed"])
    leaked = sum(1 for r in proposed if r["escapes"])
    lines += ["", f"Proposed, unaccepted: the same {len(proposed)} sets of hostile files proposed over a harmless "
              f"workspace: **{ran}/{len(proposed)} ran** (goal 0), {leaked} left traces outside, and the "
              f"observation listed the files it did not run in {listed}/{len(proposed)}."]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--modes", default="bubblewrap,user,none")
    args = parser.parse_args()
    default_problem = sandbox.bubblewrap_problem()
    default = "bubblewrap" if default_problem is None else "user or none (see below)"
    by_mode, proposed = measure(args.modes.split(","))
    text = markdown(by_mode, proposed, default)
    print(text)
    if not args.no_write:
        print(f"wrote {write_section('sandbox', text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
