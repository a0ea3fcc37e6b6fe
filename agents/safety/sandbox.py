"""Where the workspace's tests run: a sandbox that keeps their writes in the workspace.

``prepare(argv, cwd, env)`` picks the strongest isolation the machine allows and
gives back the command line, environment and process options to run under it:

* ``bubblewrap`` (Debian's ``bubblewrap`` package, the ``bwrap`` program): the
  whole file system read-only; the workspace read-write (its ``.git``, virtual
  environments, ``.specpilot`` and editor folders stay read-only); a private
  ``/tmp`` (a fresh folder, deleted after the run) that is also ``$HOME`` and
  ``$TMPDIR``; the home folders (``/root``, ``/home``, ``$HOME``) and ``/run``
  hidden (so no ``~/.ssh``, no credentials files, no docker socket), with the
  interpreter's own folders shown again read-only; no network (its own network
  namespace: not even the host's loopback), its own process namespace (no other
  process's ``/proc/*/environ``; every process it starts dies with it), a new
  session and ``--die-with-parent``. Whether ``bwrap`` can create namespaces is
  probed once (containers may refuse); if it cannot, the next level is used.
* ``user``: when SpecPilot runs as root without a working ``bwrap``, the tests run
  as the unprivileged ``nobody`` user: they cannot write the user's files, read
  their home or other processes' environments, but they can write world-writable
  folders (``/tmp``, ``/var/tmp``, ``/dev/shm``), use the network, and cannot
  write the workspace unless its permissions let everyone.
* ``none``: a plain subprocess with only the scrubbed environment, the timeout and
  the clean-up of leftover processes; the tool's output says so.

Every level gets the private temporary folder as ``$HOME``/``$TMPDIR`` and a
marker variable; after the run, any process still carrying the marker (one that
detached itself to outlive the timeout) is killed.

``SPECPILOT_SANDBOX`` chooses: ``auto`` (default), ``bubblewrap`` (refuse to run
without it), ``user`` or ``none``.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpilot.agents.safety.paths import SafetyError

MODE_VARIABLE = "SPECPILOT_SANDBOX"
MODES = ("auto", "bubblewrap", "user", "none")
MARKER_VARIABLE = "SPECPILOT_SANDBOX_RUN"
UNPRIVILEGED_USER = "nobody"
# Inside the workspace, kept read-only: history, environments, SpecPilot's and editors' own files.
READ_ONLY_IN_WORKSPACE = (".git", ".hg", ".svn", ".specpilot", ".venv", "venv", ".vscode", ".idea")
HIDDEN = ("/root", "/home", "/run")  # plus $HOME; shown as empty read-only folders
SANDBOX_TMP = "/tmp"
_PROBE_TIMEOUT_S = 10.0


@dataclass
class Prepared:
    """How to start one sandboxed command."""

    kind: str  # bubblewrap | user | none
    notice: str  # one line for the tool's output
    argv: list[str]
    env: dict[str, str]
    popen: dict[str, Any] = field(default_factory=dict)  # extra subprocess.Popen keyword arguments
    marker: str = ""


def requested_mode(env: Mapping[str, str] = os.environ) -> str:
    mode = env.get(MODE_VARIABLE, "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise SafetyError(f"{MODE_VARIABLE}={mode!r} is not a sandbox mode; use one of {', '.join(MODES)}")
    return mode


@functools.cache
def bubblewrap_problem() -> str | None:
    """None when ``bwrap`` is installed and can create its namespaces here, else why not."""
    program = shutil.which("bwrap")
    if program is None:
        return "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    with tempfile.TemporaryDirectory(prefix="specpilot-probe-") as tmp:
        argv = _bubblewrap_argv(program, Path(tmp), Path(tmp), ["/bin/sh", "-c", "exit 0"])
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=_PROBE_TIMEOUT_S,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap cannot be started: {exc}"
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"bwrap cannot create its sandbox here ({reason[-1] if reason else f'exit {done.returncode}'})"
    return None


def unprivileged_problem(cwd: Path, program: str = sys.executable) -> str | None:
    """None when the tests can run as ``nobody``: SpecPilot is root and everyone may read the
    workspace and run the interpreter ``program``."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "SpecPilot does not run as root, so it cannot switch to an unprivileged user"
    try:
        _user()
    except KeyError:
        return f"there is no {UNPRIVILEGED_USER!r} user"
    for folder in [cwd, *cwd.parents]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IXOTH or (folder == cwd and not mode & stat.S_IROTH):
            return f"{folder} is not readable by other users, so {UNPRIVILEGED_USER!r} could not run the tests"
    found = shutil.which(program)
    interpreter = Path(found).resolve() if found else None
    if interpreter is None or not interpreter.stat().st_mode & stat.S_IXOTH or not all(
            folder.stat().st_mode & stat.S_IXOTH for folder in interpreter.parents):
        return f"{UNPRIVILEGED_USER!r} may not run {program} (its folders are private)"
    return None


@contextmanager
def prepare(argv: Sequence[str], cwd: Path, env: Mapping[str, str], *,
            mode: str | None = None) -> Iterator[Prepared]:
    """The sandboxed form of ``argv`` run in ``cwd`` with ``env``; on exit, leftover
    processes of the run are killed and its private temporary folder is deleted."""
    mode = mode or requested_mode()
    cwd = cwd.resolve()
    marker = uuid.uuid4().hex
    tmp = Path(tempfile.mkdtemp(prefix="specpilot-sandbox-"))
    try:
        yield _prepared(mode, list(argv), cwd, dict(env), tmp, marker)
    finally:
        kill_marked(marker)
        shutil.rmtree(tmp, ignore_errors=True)


def _prepared(mode: str, argv: list[str], cwd: Path, env: dict[str, str], tmp: Path, marker: str) -> Prepared:
    env[MARKER_VARIABLE] = marker
    reasons = []
    if mode in ("auto", "bubblewrap"):
        problem = bubblewrap_problem()
        if problem is None:
            (tmp / "home").mkdir()
            env.update(HOME=f"{SANDBOX_TMP}/home", TMPDIR=SANDBOX_TMP, TMP=SANDBOX_TMP, TEMP=SANDBOX_TMP)
            wrapped = _bubblewrap_argv(shutil.which("bwrap") or "bwrap", cwd, tmp, argv)
            return Prepared("bubblewrap", "sandbox: bubblewrap (read-only system, writable workspace, private /tmp, "
                            "no network)", wrapped, env, marker=marker)
        if mode == "bubblewrap":
            raise SafetyError(f"{MODE_VARIABLE}=bubblewrap but {problem}; the tests were not run")
        reasons.append(problem)
    env.update(HOME=str(tmp), TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp))
    if mode in ("auto", "user"):
        problem = unprivileged_problem(cwd, argv[0])
        if problem is None:
            user = _user()
            os.chown(tmp, user.pw_uid, user.pw_gid)
            note = f"; {reasons[0]}" if reasons else ""
            return Prepared("user", f"sandbox: ran as the unprivileged user {UNPRIVILEGED_USER!r} (it can still "
                            f"write /tmp and use the network){note}", argv, env,
                            {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}, marker)
        if mode == "user":
            raise SafetyError(f"{MODE_VARIABLE}=user but {problem}; the tests were not run")
        reasons.append(problem)
    why = "; ".join(reasons) if reasons else f"{MODE_VARIABLE}=none"
    return Prepared("none", f"warning: NOT sandboxed ({why}): the tests could write anywhere this user can and "
                    "use the network", argv, env, marker=marker)


def _user() -> Any:
    import pwd  # POSIX only; this level is reached only as root

    return pwd.getpwnam(UNPRIVILEGED_USER)


def _bubblewrap_argv(bwrap: str, cwd: Path, tmp: Path, argv: list[str]) -> list[str]:
    command = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
               "--bind", str(tmp), SANDBOX_TMP]
    hidden = _hidden_folders(cwd)
    # /tmp is replaced by the private folder: an interpreter or virtualenv living under it (a checkout
    # in /tmp) is shown again read-only, like one under a hidden home folder.
    shown = _shown_again([*hidden, Path(SANDBOX_TMP).resolve()], cwd, argv[0])
    # Mounts go outermost first, so a folder hidden inside one shown again (a $HOME inside a checkout
    # in /tmp) is hidden on top of it, and one shown again inside a hidden folder is shown on top of that.
    mounts = [(folder, "--tmpfs") for folder in hidden] + [(folder, "--ro-bind") for folder in shown]
    for folder, kind in sorted(mounts, key=lambda mount: (len(mount[0].parts), mount[1] == "--ro-bind")):
        command += [kind, str(folder)] if kind == "--tmpfs" else [kind, str(folder), str(folder)]
    command += ["--bind", str(cwd), str(cwd)]
    for name in READ_ONLY_IN_WORKSPACE:
        inside = cwd / name
        if inside.exists() and not inside.is_symlink():
            command += ["--ro-bind", str(inside), str(inside)]
    for folder in hidden:
        command += ["--remount-ro", str(folder)]
    command += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--die-with-parent", "--new-session", "--chdir", str(cwd), "--", *argv]
    return command


def _hidden_folders(cwd: Path) -> list[Path]:
    candidates = {Path(p) for p in HIDDEN}
    try:
        candidates.add(Path.home())
    except RuntimeError:  # no $HOME and no passwd entry
        pass
    hidden = []
    for folder in sorted(candidates):
        try:
            folder = folder.resolve()
        except OSError:
            continue
        # the workspace may lie under a hidden folder (it is shown again), never the reverse
        if folder.is_dir() and folder != Path("/") and not folder.is_relative_to(cwd):
            hidden.append(folder)
    # one hidden folder inside another is already hidden
    return [f for f in hidden if not any(f != o and f.is_relative_to(o) for o in hidden)]


def _shown_again(hidden: list[Path], cwd: Path, program: str) -> list[Path]:
    """Folders under a hidden one that the interpreter needs: its environment, its base
    installation, SpecPilot's own import path; the workspace comes separately."""
    wanted: set[Path] = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    wanted |= {Path(p) for p in sys.path if p}
    interpreter = Path(program)
    if interpreter.is_absolute():
        wanted |= {interpreter.parent.parent, interpreter.resolve().parent.parent}
        config = interpreter.parent.parent / "pyvenv.cfg"
        if config.is_file():
            for line in config.read_text(encoding="utf-8", errors="replace").splitlines():
                key, _, value = line.partition("=")
                if key.strip() == "home" and value.strip():
                    wanted.add(Path(value.strip()).parent)
    shown: list[Path] = []
    for path in wanted:
        try:
            path = path.resolve()
        except OSError:
            continue
        if (path.is_dir() and any(path.is_relative_to(h) and path != h for h in hidden)
                and not path.is_relative_to(cwd)):
            shown.append(path)
    return sorted(p for p in shown if not any(p != o and p.is_relative_to(o) for o in shown))


def kill_marked(marker: str) -> int:
    """Kill every process whose environment carries this run's marker (it detached itself to
    outlive the run); how many were killed. Linux only: elsewhere nothing is found."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    killed: set[int] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return 0
    quiet = 0
    while quiet < 3:  # a process may be starting (between fork and exec) or start another: look again
        found = 0
        for entry in proc.iterdir():
            if not entry.name.isdigit() or int(entry.name) in killed or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if needle in environ.split(b"\0"):
                try:
                    os.kill(int(entry.name), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    continue
                killed.add(int(entry.name))
                found += 1
        quiet = 0 if found else quiet + 1
        time.sleep(0.05)
    return len(killed)
