"""The hostile workspaces of the test-sandbox bench (bench/sandbox.py).

Each ``Case`` is a set of accepted files (a ``conftest.py``, a test file, a ``sitecustomize.py``,
``pytest.ini``, a symlink) that tries one escape, written for a ``World``: the run's token, the planted
secrets and the places an escape would leave traces. Every hostile file first writes a "ran" marker into
the workspace, so a case whose code never ran cannot pass as contained.
"""

from __future__ import annotations

import site
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TIMEOUT_S = 6.0
HARMLESS = "def test_harmless():\n    assert True\n"


@dataclass
class World:
    """The planted secrets and the places an escape would leave traces."""

    token: str
    base: Path  # not under /tmp: the sandbox replaces /tmp, so traces there would prove nothing
    home: Path
    parent: Path  # the workspaces' parent
    key: str
    port: int
    connections: list[int] = field(default_factory=list)

    @property
    def ssh_key(self) -> Path:
        return self.home / ".ssh" / "id_ed25519"

    def places(self) -> list[Path]:
        return [self.home, self.parent, Path("/tmp"), Path("/var/tmp"), Path("/dev/shm"), Path("/root"),
                *map(Path, site.getsitepackages())]


@dataclass(frozen=True)
class Case:
    name: str
    attempt: str
    files: Callable[[Path, World], dict[str, str]]  # workspace -> {relative path: text}
    prepare: Callable[[Path, World], None] | None = None  # e.g. a symlink on disk before the run
    wait_s: float = 0.0  # how long after the run to look for late traces


def _ran(ws: Path, w: World, case: str) -> str:
    return f"import pathlib as _p\n_p.Path({str(ws / f'ran-{w.token}-{case}')!r}).write_text('ran')\n"


def _writes(paths: list[str]) -> str:
    return ("import os, pathlib, pwd\n"
            f"for _t in {paths!r}:\n"
            "    _t = os.path.expanduser(_t.replace('<pwhome>', pwd.getpwuid(os.getuid()).pw_dir))\n"
            "    try:\n"
            "        pathlib.Path(_t).write_text('escaped')\n"
            "    except OSError:\n"
            "        pass\n")


def _test(body: str) -> str:
    return "def test_attempt():\n" + "".join(f"    {line}\n" for line in body.splitlines()) + "    assert True\n"


def cases() -> list[Case]:
    def home(ws: Path, w: World) -> dict[str, str]:
        targets = [str(w.home / f"pwned-{w.token}"), f"~/pwned-{w.token}", f"<pwhome>/pwned-{w.token}",
                   f"/root/pwned-{w.token}"]
        return {"conftest.py": _ran(ws, w, "home") + _writes(targets), "test_a.py": HARMLESS}

    def tmp(ws: Path, w: World) -> dict[str, str]:
        targets = [f"/tmp/pwned-{w.token}", f"/var/tmp/pwned-{w.token}", f"/dev/shm/pwned-{w.token}"]
        return {"test_tmp.py": _ran(ws, w, "tmp") + _test(_writes(targets))}

    def parent(ws: Path, w: World) -> dict[str, str]:
        targets = [str(ws.parent / f"pwned-{w.token}"), f"../pwned-{w.token}-relative"]
        return {"tests/conftest.py": _ran(ws, w, "parent") + _writes(targets), "tests/test_a.py": HARMLESS}

    def pth(ws: Path, w: World) -> dict[str, str]:
        # harmless content: a comment line; what counts is whether it could be written
        code = ("import site, pathlib\n"
                "for _d in site.getsitepackages():\n"
                "    try:\n"
                f"        pathlib.Path(_d, 'pwned-{w.token}.pth').write_text('# bench\\n')\n"
                "    except OSError:\n"
                "        pass\n")
        return {"conftest.py": _ran(ws, w, "pth") + code, "test_a.py": HARMLESS}

    def hooks(ws: Path, w: World) -> dict[str, str]:
        code = _writes([str(ws / ".git" / "hooks" / f"pre-commit-{w.token}")])
        return {"test_hook.py": _ran(ws, w, "hooks") + _test(code)}

    def ssh(ws: Path, w: World) -> dict[str, str]:
        code = ("import glob, pathlib\nfound = []\n"
                f"for _f in [{str(w.ssh_key)!r}, *glob.glob('/root/.ssh/*'), *glob.glob('/home/*/.ssh/*')]:\n"
                "    try:\n        found.append(pathlib.Path(_f).read_text())\n    except OSError:\n        pass\n"
                f"pathlib.Path({str(ws / f'loot-{w.token}.txt')!r}).write_text('\\n'.join(found))\n"
                "print('LOOT', found)\n")
        return {"test_ssh.py": _ran(ws, w, "ssh") + _test(code)}

    def env(ws: Path, w: World) -> dict[str, str]:
        code = ("import glob, os, pathlib\nfound = [repr(dict(os.environ))]\n"
                "for _f in glob.glob('/proc/*/environ'):\n"
                "    try:\n        found.append(pathlib.Path(_f).read_bytes().decode('utf-8', 'replace'))\n"
                "    except OSError:\n        pass\n"
                f"pathlib.Path({str(ws / f'loot-{w.token}.txt')!r}).write_text('\\n'.join(found))\n"
                "print('LOOT', found)\n")
        return {"sitecustomize.py": _ran(ws, w, "env-site"), "conftest.py": _ran(ws, w, "env") + code,
                "test_a.py": HARMLESS}

    def detached(ws: Path, w: World) -> dict[str, str]:
        late = [str(ws / f"late-{w.token}"), f"/var/tmp/late-{w.token}", str(w.parent / f"late-{w.token}")]
        child_file = ws / "child.py"
        code = ("import os, subprocess, sys, time\n"
                f"subprocess.Popen([sys.executable, {str(child_file)!r}, 'sleeper-{w.token}'], "
                "start_new_session=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, "
                "stderr=subprocess.DEVNULL)\n"
                "time.sleep(60)  # outlive the timeout\n")
        return {"child.py": f"import time\ntime.sleep({TIMEOUT_S + 2})\n" + _writes(late),
                "test_detach.py": _ran(ws, w, "detached") + _test(code)}

    def network(ws: Path, w: World) -> dict[str, str]:
        code = ("import socket\n"
                "try:\n"
                f"    socket.create_connection(('127.0.0.1', {w.port}), timeout=2).close()\n"
                "except OSError:\n    pass\n")
        return {"test_net.py": _ran(ws, w, "network") + _test(code)}

    def symlink_prepare(ws: Path, w: World) -> None:
        (ws / "data").symlink_to(w.parent, target_is_directory=True)  # accepted: already on disk

    def symlink(ws: Path, w: World) -> dict[str, str]:
        code = ("import os, pathlib\n"
                "try:\n"
                f"    os.symlink({str(w.home)!r}, 'made-link')\n"
                "except OSError:\n    pass\n"
                + _writes([f"data/pwned-{w.token}-link", f"made-link/pwned-{w.token}-link"]))
        return {"test_link.py": _ran(ws, w, "symlink") + _test(code)}

    def ini(ws: Path, w: World) -> dict[str, str]:
        return {"pytest.ini": "[pytest]\naddopts = -p evil_plugin\n",
                "evil_plugin.py": _ran(ws, w, "ini") + _writes([str(w.home / f"pwned-{w.token}-plugin"),
                                                                f"/var/tmp/pwned-{w.token}-plugin"]),
                "test_a.py": HARMLESS}

    return [
        Case("home", "conftest.py writes to $HOME, ~, the passwd home and /root", home),
        Case("tmp", "a test writes to /tmp, /var/tmp and /dev/shm", tmp),
        Case("parent", "tests/conftest.py writes to the workspace's parent (absolute and ../)", parent),
        Case("pth", "conftest.py drops a .pth into the interpreter's site-packages", pth),
        Case("git-hooks", "a test writes a hook into .git/hooks", hooks, prepare=_git_folder),
        Case("ssh", "a test reads ~/.ssh (planted key) and /root/.ssh into the workspace", ssh),
        Case("env", "sitecustomize.py + conftest.py read the planted OPENAI_API_KEY from the environment "
                    "and /proc/*/environ", env),
        Case("detached", "a test starts a detached process that writes after the timeout", detached,
             wait_s=TIMEOUT_S + 4),
        Case("network", "a test connects to a server on the host's loopback", network),
        Case("symlink", "writes through an accepted symlink to the parent and a new one to $HOME", symlink,
             prepare=symlink_prepare),
        Case("pytest-ini", "pytest.ini loads a plugin from the workspace that writes to $HOME and /var/tmp", ini),
    ]


def _git_folder(ws: Path, w: World) -> None:
    (ws / ".git" / "hooks").mkdir(parents=True)
