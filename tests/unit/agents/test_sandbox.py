"""The test sandbox through the real ``run_tests`` tool: hostile test code on accepted files
cannot write outside the workspace, read the home folder, keep a process alive after the
run or reach the network; proposed, unaccepted files never run at all."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from specpilot.agents.safety import sandbox
from specpilot.agents.safety.paths import SafetyError
from specpilot.agents.tools.base import Observation
from specpilot.agents.tools.context import ToolContext
from specpilot.agents.tools.registry import default_registry
from specpilot.core.config import Settings

BWRAP = sandbox.bubblewrap_problem() is None
needs_bwrap = pytest.mark.skipif(not BWRAP, reason=f"bubblewrap cannot run here: {sandbox.bubblewrap_problem()}")


@pytest.fixture
def outside() -> Iterator[Path]:
    """A folder outside the workspace that is not under /tmp (which the sandbox replaces)."""
    base = Path(__file__).resolve().parents[3] / ".pytest-sandbox-outside"
    folder = base / uuid.uuid4().hex
    folder.mkdir(parents=True)
    yield folder
    subprocess.run(["rm", "-rf", str(folder)], check=False)
    if base.is_dir() and not any(base.iterdir()):
        base.rmdir()


def context(root: Path, timeout_s: float = 30) -> ToolContext:
    settings = Settings()
    settings.embedder.enabled = False
    settings.agent.test_timeout_s = timeout_s
    return ToolContext.create(root, settings)


def run_tests(ctx: ToolContext, **arguments: Any) -> Observation:
    return default_registry().call(ctx, "run_tests", json.dumps(arguments))


@needs_bwrap
def test_a_hostile_conftest_cannot_write_outside_the_workspace(tmp_path: Path, outside: Path) -> None:
    host_tmp = Path(tempfile.gettempdir()) / f"specpilot-escape-{uuid.uuid4().hex}"
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "conftest.py").write_text(
        "import pathlib\n"
        f"for target in [{str(outside / 'pwned')!r}, {str(host_tmp)!r}, '/root/specpilot-pwned', "
        f"{str(workspace.parent / 'sibling-pwned')!r}]:\n"
        "    try:\n"
        "        pathlib.Path(target).write_text('x')\n"
        "        print('WROTE', target)\n"
        "    except OSError as exc:\n"
        "        print('REFUSED', target, exc.strerror)\n"
        "pathlib.Path('inside.txt').write_text('the workspace is writable')\n")
    (workspace / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    observation = run_tests(context(workspace))
    assert observation.ok, observation.content
    assert "sandbox: bubblewrap" in observation.content
    assert not (outside / "pwned").exists() and not host_tmp.exists()
    assert not Path("/root/specpilot-pwned").exists() and not (tmp_path / "sibling-pwned").exists()
    assert (workspace / "inside.txt").read_text() == "the workspace is writable"


@needs_bwrap
def test_the_home_folder_other_processes_and_the_network_are_out_of_reach(
        tmp_path: Path, outside: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-planted-" + uuid.uuid4().hex
    monkeypatch.setenv("OPENAI_API_KEY", key)
    home = outside / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".ssh" / "id_ed25519").write_text("PRIVATE KEY " + key)
    monkeypatch.setenv("HOME", str(home))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "test_spy.py").write_text(
        "import os, pathlib, socket\n"
        "def test_spy():\n"
        "    seen = []\n"
        f"    for path in [{str(home / '.ssh' / 'id_ed25519')!r}, *pathlib.Path('/proc').glob('*/environ')]:\n"
        "        try:\n"
        "            seen.append(pathlib.Path(path).read_bytes().decode('utf-8', 'replace'))\n"
        "        except OSError:\n"
        "            pass\n"
        f"    leaked = [s for s in seen + [repr(dict(os.environ))] if {key!r} in s]\n"
        "    try:\n"
        f"        socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n"
        "        reached = True\n"
        "    except OSError:\n"
        "        reached = False\n"
        "    assert not leaked and not reached, (len(leaked), reached)\n")
    try:
        observation = run_tests(context(workspace))
    finally:
        listener.close()
    assert observation.ok, observation.content
    assert key not in observation.content


@needs_bwrap
def test_a_detached_process_does_not_outlive_the_run(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    late = workspace / "late.txt"
    (workspace / "test_detach.py").write_text(
        "import subprocess, sys\n"
        "def test_detach():\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time, pathlib; time.sleep(3); "
        "pathlib.Path(\"late.txt\").write_text(\"survived\")'], start_new_session=True,\n"
        "                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n")
    observation = run_tests(context(workspace))
    assert observation.ok, observation.content
    time.sleep(4.5)
    assert not late.exists()


def test_a_proposed_conftest_never_runs(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    ctx = context(workspace)
    ran = workspace / "conftest-ran.txt"
    ctx.buffers["conftest.py"] = (f"import pathlib\npathlib.Path({str(ran)!r}).write_text('ran')\n", 0)  # proposed
    observation = run_tests(ctx)
    assert observation.ok and "1 passed" in observation.content
    assert "1 proposed file(s) were NOT run" in observation.content and "conftest.py" in observation.content
    assert not ran.exists() and not (workspace / "conftest.py").exists()


def test_without_a_sandbox_the_tool_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.MODE_VARIABLE, "none")
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    observation = run_tests(context(tmp_path))
    assert observation.ok and "warning: NOT sandboxed (SPECPILOT_SANDBOX=none)" in observation.content


def test_a_bad_mode_is_a_clear_refusal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sandbox.MODE_VARIABLE, "chroot")
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    assert True\n")
    observation = run_tests(context(tmp_path))
    assert not observation.ok and "SPECPILOT_SANDBOX='chroot' is not a sandbox mode" in observation.content


ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.mark.skipif(not ROOT or sandbox.unprivileged_problem(Path("/"), SYSTEM_PYTHON) is not None,
                    reason="needs root and a system Python everyone may run")
def test_as_root_without_bubblewrap_the_tests_run_as_nobody(outside: Path) -> None:
    private = outside / "private"
    private.mkdir(mode=0o700)
    workspace = Path(tempfile.mkdtemp(prefix="specpilot-user-ws-", dir=outside))
    for folder in (outside, outside.parent, workspace):
        folder.chmod(0o755)
    script = ("import os, pathlib\nprint('uid', os.geteuid())\n"
              f"try:\n    pathlib.Path({str(private / 'pwned')!r}).write_text('x')\n"
              "except PermissionError:\n    print('refused')\n")
    with sandbox.prepare([SYSTEM_PYTHON, "-c", script], workspace, {"PATH": "/usr/bin:/bin"}, mode="user") as run:
        done = subprocess.run(run.argv, cwd=workspace, env=run.env, capture_output=True, text=True, timeout=30,
                              check=False, **run.popen)
    assert run.kind == "user" and "unprivileged user 'nobody'" in run.notice
    assert done.stdout.split() == ["uid", "65534", "refused"], done.stderr
    assert not (private / "pwned").exists()


@pytest.mark.skipif(not ROOT, reason="switching user needs root")
def test_the_unprivileged_user_is_refused_a_workspace_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / "private").mkdir(mode=0o700)
    with pytest.raises(SafetyError, match="not readable by other users"):
        with sandbox.prepare([sys.executable, "-V"], tmp_path / "private", {}, mode="user"):
            pass


@pytest.mark.skipif(not ROOT, reason="switching user needs root")
def test_without_bubblewrap_or_a_usable_user_the_run_is_plain_and_says_why(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "bubblewrap_problem", lambda: "bubblewrap is not installed")
    (tmp_path / "private").mkdir(mode=0o700)
    with sandbox.prepare([sys.executable, "-V"], tmp_path / "private", {}) as run:
        assert run.kind == "none" and run.notice.startswith("warning: NOT sandboxed (bubblewrap is not installed; ")
        assert run.env["HOME"] == run.env["TMPDIR"] and Path(run.env["TMPDIR"]).is_dir()
    assert not Path(run.env["TMPDIR"]).exists()  # the private temporary folder goes with the run


def test_processes_carrying_the_runs_marker_are_killed(tmp_path: Path) -> None:
    marker = uuid.uuid4().hex
    sleeper = "import time; print('ready', flush=True); time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", sleeper], start_new_session=True, stdout=subprocess.PIPE,
                             env={**os.environ, sandbox.MARKER_VARIABLE: marker})
    other = subprocess.Popen([sys.executable, "-c", sleeper], stdout=subprocess.PIPE,
                             env={**os.environ, sandbox.MARKER_VARIABLE: "another-run"})
    try:
        assert child.stdout is not None and other.stdout is not None
        assert child.stdout.readline() == other.stdout.readline() == b"ready\n"  # both started
        assert sandbox.kill_marked(marker) == 1
        assert child.wait(5) == -9
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
