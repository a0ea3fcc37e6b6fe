"""The only programs the agent's tools run, and how: tests and lint, never a shell.

``run_tests`` runs ``python -m pytest`` and ``run_lint`` runs ``ruff`` (or
``python -m pyflakes``); any other program is refused. Each runs as an argument
list with the workspace as its folder, under a timeout that kills it and all its
children, with an environment that holds no API keys, tokens, passwords or proxy
settings and tells package managers and model hubs to stay offline. Options that
would write outside the workspace, modify files or reach the network (pytest's
``--basetemp`` and ``--pastebin``, ruff's ``--fix``) are refused too, as are
paths that lead out of the workspace.

Tests run the project's own code, so ``run_argv(..., sandbox=True)`` (what
``run_tests`` asks for) runs them in agents/safety/sandbox.py's sandbox: with
bubblewrap, no writes outside the workspace and a private /tmp, no network, no
home folder; else as an unprivileged user; else plainly, saying so. The
result's ``sandbox`` line says which. Lint runs the linter, not project code, and
is not sandboxed.
"""

from __future__ import annotations

import codecs
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from specpilot.agents.safety import sandbox as sandboxes
from specpilot.agents.safety.paths import SafetyError
from specpilot.llm.safety.redact import redact

ALLOWED_MODULES: tuple[str, ...] = ("pytest", "pyflakes", "ruff")  # run as ``python -m <module>``
ALLOWED_PROGRAMS: tuple[str, ...] = ("ruff",)  # run directly
# Options that write outside the workspace, change files, load code from elsewhere or use the network.
REFUSED_OPTIONS: dict[str, tuple[str, ...]] = {
    "pytest": ("--basetemp", "--junitxml", "--junit-xml", "--result-log", "--resultlog", "--log-file", "--debug",
               "--pastebin", "--rootdir", "--confcutdir", "-c", "--config-file", "-o", "--override-ini", "-p"),
    "ruff": ("--fix", "--unsafe-fixes", "--fix-only", "--add-noqa", "--watch", "--cache-dir", "-o", "--output-file",
             "--config"),
    "pyflakes": (),
}
# ini options ``pytest -o`` may set: none of them writes files or changes where pytest looks.
SAFE_PYTEST_INI: frozenset[str] = frozenset({
    "faulthandler_timeout", "timeout", "timeout_method", "console_output_style", "log_cli", "log_cli_level",
    "log_level", "xfail_strict", "verbosity_assertions", "verbosity_test_cases", "empty_parameter_set_mark",
    "filterwarnings", "asyncio_mode", "asyncio_default_fixture_loop_scope",
})
REFUSED_RUFF_COMMANDS: tuple[str, ...] = ("format", "clean", "server", "analyze")

# Environment variables whose names say they hold a credential (upper-cased substrings).
SECRET_NAME_PARTS: tuple[str, ...] = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH",
                                      "COOKIE", "SESSION", "PRIVATE")
# The model providers' variables go whole (base URLs, organisation and project ids with the keys).
SECRET_NAME_PREFIXES: tuple[str, ...] = ("OPENAI_", "ANTHROPIC_", "AZURE_OPENAI_", "GEMINI_", "MISTRAL_", "COHERE_",
                                         "GROQ_")
PROXY_NAMES: frozenset[str] = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "FTP_PROXY", "NO_PROXY",
                                         "SOCKS_PROXY", "SOCKS5_PROXY", "RSYNC_PROXY", "GIT_PROXY_COMMAND"})
OFFLINE_ENV: dict[str, str] = {
    "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", "UV_OFFLINE": "1", "POETRY_OFFLINE": "1",
    "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "WANDB_MODE": "offline",
    "NPM_CONFIG_OFFLINE": "true", "YARN_ENABLE_OFFLINE_MODE": "1", "GOPROXY": "off", "GOFLAGS": "-mod=mod",
    "CARGO_NET_OFFLINE": "true", "GIT_TERMINAL_PROMPT": "0", "DO_NOT_TRACK": "1",
    "PYTHONUNBUFFERED": "1",  # so that a test killed at the timeout has shown what it printed
    "NO_COLOR": "1",  # escape codes would only cost the model tokens
}
_PYTHON = re.compile(r"python(?:\d+(?:\.\d+)?)?(?:\.exe)?", re.IGNORECASE)
_GRACE_S = 5.0  # after a kill, how long to wait for the rest of the output
_MARKER_ROOM = 64  # characters of the output limit left for the "cut" marker


@dataclass(frozen=True, slots=True)
class CommandResult:
    returncode: int  # negative: killed by that signal (e.g. -9 after the timeout)
    output: str  # stdout and stderr together, cut in the middle (with a marker) past the limit
    timed_out: bool
    seconds: float
    sandbox: str = ""  # how the command was isolated (sandbox.py's notice); "" when it was not asked for


def safe_env(base: Mapping[str, str]) -> dict[str, str]:
    """``base`` without credentials (names with KEY, TOKEN, SECRET, PASSWORD, ..., the model
    providers' variables, values that hold a secret such as ``postgres://u:pw@host``) and
    without proxies, plus the variables that keep package managers and hubs offline."""
    env: dict[str, str] = {}
    for name, value in base.items():
        upper = name.upper()
        if (any(part in upper for part in SECRET_NAME_PARTS) or upper.startswith(SECRET_NAME_PREFIXES)
                or upper in PROXY_NAMES or upper.endswith("_PROXY") or redact(value).findings):
            continue
        env[name] = value
    env.update(OFFLINE_ENV)
    return env


def check_argv(argv: Sequence[str], cwd: Path) -> str:
    """The tool ``argv`` runs (pytest, ruff or pyflakes), or SafetyError saying why it may not run."""
    if not argv:
        raise SafetyError("no command given")
    program = Path(argv[0]).name
    if _PYTHON.fullmatch(program) and len(argv) >= 3 and argv[1] == "-m" and argv[2] in ALLOWED_MODULES:
        tool, args = argv[2], list(argv[3:])
    elif program.lower().removesuffix(".exe") in ALLOWED_PROGRAMS:
        tool, args = program.lower().removesuffix(".exe"), list(argv[1:])
    else:
        allowed = ", ".join([f"python -m {m}" for m in ALLOWED_MODULES] + list(ALLOWED_PROGRAMS))
        raise SafetyError(f"{' '.join(argv[:3])!r} is not allowed: the agent runs only {allowed}")
    if tool == "ruff" and args and args[0] in REFUSED_RUFF_COMMANDS:
        raise SafetyError(f"'ruff {args[0]}' is not allowed (it changes or serves files); the agent runs 'ruff check'")
    root = cwd.resolve()
    for index, arg in enumerate(args):
        if arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
            option, attached = arg[:2], arg[2:]  # -pxdist, -oaddopts=..., -rfE
        else:
            option, _, attached = arg.partition("=")
        value = attached or (args[index + 1] if index + 1 < len(args) else "")
        refusal = _refusal(tool, option, value)
        if refusal is not None:
            raise SafetyError(refusal)
        if arg.startswith("-") or args[index - 1:index] in (["-p"], ["-k"], ["-m"], ["-o"], ["--output-format"]):
            continue
        target = Path(arg.split("::", 1)[0]).expanduser()
        full = (target if target.is_absolute() else root / target).resolve()
        if not full.is_relative_to(root):
            raise SafetyError(f"{arg} is outside the workspace; tests and lint run on workspace files only")
    return tool


def _refusal(tool: str, option: str, value: str) -> str | None:
    """Why ``option`` (with ``value``) may not be given to ``tool``, or None when it may."""
    if tool == "pytest" and option == "-p" and value.startswith("no:"):
        return None  # -p no:cacheprovider only turns a plugin off
    if tool == "pytest" and option in ("-o", "--override-ini"):
        key = value.partition("=")[0].strip()
        if key in SAFE_PYTEST_INI:
            return None
        return f"pytest -o {key} is not allowed for the agent; only {', '.join(sorted(SAFE_PYTEST_INI))} may be set"
    if option in REFUSED_OPTIONS[tool]:
        return (f"{tool} option {option} is not allowed for the agent (it writes files, loads code from elsewhere "
                "or uses the network)")
    return None


def run_argv(argv: Sequence[str], cwd: Path, timeout_s: float, max_output_chars: int,
             *, env: Mapping[str, str] | None = None, sandbox: bool = False) -> CommandResult:
    """Run an allowed ``argv`` (see ``check_argv``) in ``cwd`` without a shell, with
    ``safe_env(env or os.environ)``; kill it and its children after ``timeout_s``. A program
    that cannot be started gives return code 127 and says why in the output. ``sandbox``:
    inside sandbox.py's sandbox (SafetyError when the one required cannot be had)."""
    check_argv(argv, cwd)
    clean = safe_env(os.environ if env is None else env)
    if not sandbox:
        return _run(list(argv), cwd, clean, timeout_s, max_output_chars, {}, "")
    with sandboxes.prepare(argv, cwd, clean) as prepared:
        return _run(prepared.argv, cwd, prepared.env, timeout_s, max_output_chars, prepared.popen, prepared.notice)


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout_s: float, max_output_chars: int,
         popen: dict[str, Any], notice: str) -> CommandResult:
    started = time.monotonic()
    try:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, start_new_session=True, **popen)
    except OSError as exc:  # not installed: 127, as a shell says, so that lint can fall back to pyflakes
        return CommandResult(127, f"{argv[0]} cannot be started: {exc.strerror or exc}\n", False,
                             time.monotonic() - started, notice)
    assert process.stdout is not None
    output = _OutputKeeper(max_output_chars)
    reader = threading.Thread(target=output.read_all, args=(process.stdout,), daemon=True)
    reader.start()
    timed_out = False
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(process)
        process.wait()
    finally:
        if process.poll() is None:  # interrupted while waiting: never leave the tests running
            _kill_group(process)
            process.wait()
    reader.join(_GRACE_S)  # a child that left the group may still hold the pipe open: stop waiting for it
    seconds = time.monotonic() - started
    text = output.text()
    if timed_out:
        text += f"\n[timed out after {timeout_s:g} s; the process and its children were killed]\n"
    return CommandResult(process.returncode, text, timed_out, seconds, notice)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the process and everything it started (it leads its own process group)."""
    killpg = getattr(os, "killpg", None)  # POSIX only; elsewhere the children may outlive it
    try:
        if killpg is not None:
            killpg(process.pid, signal.SIGKILL)
            return
    except (ProcessLookupError, PermissionError):
        pass
    process.kill()


class _OutputKeeper:
    """Keeps the first and the last part of a process's output, never all of it: a test that
    prints in a loop until the timeout must not fill the memory."""

    def __init__(self, max_chars: int) -> None:
        self.budget = max(max_chars, 0)
        self.head_chars = self.budget // 3  # the first errors, then the end with pytest's summary
        self.tail_chars = self.budget - self.head_chars
        self.head = ""
        self.tail = ""
        self.total = 0

    def read_all(self, stream: IO[bytes]) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        while chunk := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
            self._add(decoder.decode(chunk))
        self._add(decoder.decode(b"", final=True))

    def _add(self, piece: str) -> None:
        self.total += len(piece)
        if len(self.head) < self.head_chars:
            room = self.head_chars - len(self.head)
            self.head, piece = self.head + piece[:room], piece[room:]
        self.tail = (self.tail + piece)[-self.tail_chars:] if self.tail_chars else ""

    def text(self) -> str:
        if self.total <= len(self.head) + len(self.tail):
            return self.head + self.tail
        tail = self.tail[_MARKER_ROOM:]  # the marker takes the place of the tail's first characters
        cut = self.total - len(self.head) - len(tail)
        return f"{self.head}\n[... {cut:,} characters of output cut ...]\n{tail}"
