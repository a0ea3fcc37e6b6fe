"""The command policy with real subprocesses: only pytest, ruff and pyflakes run, in the
workspace, without API keys or proxies in their environment; a timeout kills the whole
process tree and says so; long output is cut with a marker that says how much."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from specpilot.agents.safety.commands import check_argv, run_argv, safe_env
from specpilot.agents.safety.paths import SafetyError

PYTEST = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider"]
FAKE_KEY = "sk-proj-" + "Zq3" * 20


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    return root


def write_test(workspace: Path, body: str, name: str = "test_probe.py") -> str:
    (workspace / name).write_text(body)
    return name


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie is dead, only not yet reaped


def test_the_environment_loses_keys_tokens_passwords_and_proxies() -> None:
    base = {
        "PATH": "/usr/bin:/bin", "HOME": "/home/dev", "LANG": "C.UTF-8", "VIRTUAL_ENV": "/home/dev/.venv",
        "OPENAI_API_KEY": FAKE_KEY, "ANTHROPIC_API_KEY": "sk-ant-api03-" + "x1" * 40, "OPENAI_BASE_URL": "http://x",
        "AWS_ACCESS_KEY_ID": "AKIA" + "Q" * 16, "AWS_SECRET_ACCESS_KEY": "w" * 40, "AWS_SESSION_TOKEN": "t" * 40,
        "GITHUB_TOKEN": "ghp_" + "a1" * 18, "HF_TOKEN": "hf_" + "b2" * 17, "DB_PASSWORD": "hunter22",
        "DJANGO_SECRET": "s3cr3t", "GOOGLE_APPLICATION_CREDENTIALS": "/home/dev/sa.json",
        "SSH_AUTH_SOCK": "/tmp/ssh-agent.sock", "npm_config__authToken": "abc",
        "HTTPS_PROXY": "http://user:pw@proxy:3128", "http_proxy": "http://proxy:3128", "ALL_PROXY": "socks5://p",
        "NO_PROXY": "localhost", "DATABASE_URL": "postgres://app:Pa55w0rd!x@db:5432/app",
        "SENTRY_URL": "https://sentry.example.com/1", "MY_SETTING": f"--api-key={FAKE_KEY}",
    }
    env = safe_env(base)
    assert {"PATH", "HOME", "LANG", "VIRTUAL_ENV", "SENTRY_URL"} <= env.keys()
    for name in base.keys() - {"PATH", "HOME", "LANG", "VIRTUAL_ENV", "SENTRY_URL"}:
        assert name not in env, name
    assert env["PIP_NO_INDEX"] == "1" and env["HF_HUB_OFFLINE"] == "1" and env["TRANSFORMERS_OFFLINE"] == "1"
    assert not any("KEY" in name or "TOKEN" in name or name.upper().endswith("_PROXY") for name in env)
    assert env["GOPROXY"] == "off"
    assert base["OPENAI_API_KEY"] == FAKE_KEY  # the caller's mapping is not changed


def test_a_test_run_sees_the_safe_environment_and_the_workspace_as_its_folder(workspace: Path) -> None:
    test = write_test(workspace, (
        "import json, os\n"
        "def test_dump():\n"
        "    with open('seen.json', 'w') as out:\n"
        "        json.dump({'cwd': os.getcwd(), 'env': dict(os.environ)}, out)\n"))
    base = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "SERVICE_TOKEN": "tok-" + "9" * 30,
            "HTTPS_PROXY": "http://user:pw@proxy.example:3128", "SOME_PASSWORD": "hunter22"}
    result = run_argv([*PYTEST, test], workspace, timeout_s=120, max_output_chars=10_000, env=base)
    assert result.returncode == 0, result.output
    assert "1 passed" in result.output and not result.timed_out
    seen = json.loads((workspace / "seen.json").read_text())
    assert Path(seen["cwd"]).resolve() == workspace.resolve()
    names = set(seen["env"])
    assert not {"OPENAI_API_KEY", "SERVICE_TOKEN", "HTTPS_PROXY", "SOME_PASSWORD"} & names
    assert not [n for n in names if any(word in n.upper() for word in ("KEY", "TOKEN", "SECRET", "PASSWORD"))]
    assert FAKE_KEY not in json.dumps(seen)
    assert seen["env"]["PIP_NO_INDEX"] == "1" and seen["env"]["HF_HUB_OFFLINE"] == "1"


def test_a_timeout_kills_the_process_and_its_children_and_says_so(workspace: Path) -> None:
    test = write_test(workspace, (
        "import subprocess, sys, time\n"
        "def test_hangs():\n"
        "    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        "    open('child.pid', 'w').write(str(child.pid))\n"
        "    print('waiting for the child', flush=True)\n"
        "    time.sleep(120)\n"))
    started = time.monotonic()
    result = run_argv([*PYTEST, test], workspace, timeout_s=4, max_output_chars=10_000)
    assert time.monotonic() - started < 60
    assert result.timed_out and result.returncode < 0
    assert "timed out after 4 s" in result.output and "killed" in result.output
    assert "waiting for the child" in result.output  # what it printed before the kill is kept
    assert 4 <= result.seconds < 60
    child = int((workspace / "child.pid").read_text())
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(child), "the test's child process outlived the timeout"


def test_long_output_is_cut_with_a_marker_saying_how_much(workspace: Path) -> None:
    test = write_test(workspace, (
        "def test_noisy():\n"
        "    print('FIRST LINE OF NOISE')\n"
        "    for i in range(2000):\n"
        "        print(f'line {i:05d} ' + 'x' * 40)\n"))
    result = run_argv([*PYTEST, test], workspace, timeout_s=120, max_output_chars=3_000)
    assert result.returncode == 0 and not result.timed_out
    assert len(result.output) <= 3_000
    assert "FIRST LINE OF NOISE" in result.output  # the beginning
    assert "1 passed" in result.output  # and pytest's summary at the end survive
    marker = next(line for line in result.output.splitlines() if "characters of output cut" in line)
    cut = int(marker.split()[1].replace(",", ""))
    full = run_argv([*PYTEST, test], workspace, timeout_s=120, max_output_chars=10_000_000).output
    assert "characters of output cut" not in full
    assert abs(len(full) - (len(result.output) - len(marker) - 2 + cut)) < 20  # timings may differ by a few


def test_short_output_is_whole(workspace: Path) -> None:
    test = write_test(workspace, "def test_ok():\n    print('hello from the test')\n")
    result = run_argv([*PYTEST, test], workspace, timeout_s=120, max_output_chars=10_000)
    assert "hello from the test" in result.output and "cut" not in result.output


def test_ruff_runs_on_the_workspace(workspace: Path) -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).is_file():
        pytest.skip("ruff is not installed")
    (workspace / "bad.py").write_text("import os\n")
    result = run_argv([ruff, "check", "--output-format", "concise", "--no-fix", "--no-cache", "."], workspace,
                      timeout_s=60, max_output_chars=10_000)
    assert result.returncode == 1 and "bad.py:1:8: F401" in result.output


def test_a_program_that_is_not_installed_gives_127(workspace: Path) -> None:
    result = run_argv([str(workspace / "no-such-dir" / "ruff"), "check"], workspace, timeout_s=5,
                      max_output_chars=1_000)
    assert result.returncode == 127 and "cannot be started" in result.output and not result.timed_out


@pytest.mark.parametrize("argv", [
    ["bash", "-c", "touch ran"],
    ["sh", "-c", "touch ran"],
    [sys.executable, "-c", "open('ran', 'w')"],
    [sys.executable, "-m", "pip", "install", "requests"],
    [sys.executable, "ran.py"],
    [sys.executable, "-m", "pytest;", "touch", "ran"],
    ["curl", "https://example.com", "-o", "ran"],
    ["ruff", "format", "."],
    ["ruff", "check", "--fix", "."],
    [sys.executable, "-m", "ruff", "check", "--unsafe-fixes", "."],
    [sys.executable, "-m", "pytest", "--basetemp=/tmp"],
    [sys.executable, "-m", "pytest", "--pastebin=all"],
    [sys.executable, "-m", "pytest", "-p", "evil_plugin"],
    [sys.executable, "-m", "pytest", "-pevil_plugin"],
    [sys.executable, "-m", "pytest", "-o", "addopts=--basetemp=/"],
    [sys.executable, "-m", "pytest", "-ocache_dir=/tmp/x"],
    [sys.executable, "-m", "pytest", "/etc"],
    [sys.executable, "-m", "pytest", "../elsewhere/test_x.py::test_y"],
    [],
])
def test_programs_and_options_off_the_allow_list_are_refused(workspace: Path, argv: list[str]) -> None:
    (workspace / "ran.py").write_text("open('ran', 'w')\n")
    with pytest.raises(SafetyError) as info:
        run_argv(argv, workspace, timeout_s=10, max_output_chars=1_000)
    message = str(info.value)
    assert "not allowed" in message or "outside the workspace" in message or "no command" in message
    assert not (workspace / "ran").exists()


def test_the_tools_own_command_lines_are_allowed(workspace: Path) -> None:
    assert check_argv([sys.executable, "-m", "pytest", "-q", "-rfE", "--no-header", "--color=no", "-p",
                       "no:cacheprovider", "-o", "faulthandler_timeout=55", "-k", "parse and not slow",
                       "tests/test_x.py::test_y", str(workspace / "tests")], workspace) == "pytest"
    assert check_argv(["/usr/local/bin/ruff", "check", "--output-format", "concise", "--no-fix", "--no-cache",
                       "."], workspace) == "ruff"
    assert check_argv(["python3.11", "-m", "pyflakes", "src"], workspace) == "pyflakes"


def test_a_refusal_names_what_is_allowed(workspace: Path) -> None:
    with pytest.raises(SafetyError, match=r"'bash -c x' is not allowed: the agent runs only python -m pytest.*ruff"):
        check_argv(["bash", "-c", "x"], workspace)


@pytest.mark.parametrize("mode", ["auto", "none"])
def test_a_sandboxed_run_says_how_and_a_detached_child_dies_with_it(workspace: Path, mode: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from specpilot.agents.safety import sandbox

    monkeypatch.setenv(sandbox.MODE_VARIABLE, mode)
    test = write_test(workspace, (
        "import subprocess, sys, time\n"
        "def test_detaches():\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(5); open(\"late.txt\", \"w\")'],\n"
        "                     start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "    time.sleep(120)\n"))
    result = run_argv([*PYTEST, test], workspace, timeout_s=4, max_output_chars=10_000, sandbox=True)
    assert result.timed_out, result.output
    expected = "sandbox: bubblewrap" if mode == "auto" and sandbox.bubblewrap_problem() is None else "warning: NOT"
    assert result.sandbox.startswith(expected) or mode == "auto" and result.sandbox.startswith("sandbox: ran as"), \
        result.sandbox
    time.sleep(6)  # it was started before the timeout (4 s) and writes 5 s later
    assert not (workspace / "late.txt").exists(), f"a detached child outlived the run:\n{result.output}"
    assert run_argv([*PYTEST, test], workspace, timeout_s=0.01, max_output_chars=100).sandbox == ""  # not asked
