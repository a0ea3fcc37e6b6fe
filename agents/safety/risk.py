"""High-risk edits: files that make code run at start-up, on the next test run, build,
install, commit or CI job, which the user must confirm one by one.

``high_risk_reason(path, new_text, old_text)`` is the one place that decides. The
editor's preview flags these files (a change annotation that needs confirmation,
labelled with the reason) and ``agent run --apply`` writes them only after a "y"
or with ``--allow-risky``.

Always high-risk, at any depth: ``conftest.py``, ``sitecustomize.py``,
``usercustomize.py``, ``*.pth``; test, build and CI configuration
(``pytest.ini``, ``.pytest.ini``, ``tox.ini``, ``setup.cfg``, ``setup.py``,
``noxfile.py``, ``Makefile``/``GNUmakefile``/``makefile``/``*.mk``,
``.pre-commit-config.yaml``, ``.envrc``, ``.gitlab-ci.yml``) and anything under
``.ci/``, ``.github/workflows/``, ``.circleci/``, ``.vscode/`` or ``.git/``.
``pyproject.toml`` only when the edit changes a table that runs or loads code:
``[tool.pytest*]``, ``[tool.tox]``, ``[tool.hatch]``, ``[tool.setuptools]``,
``[tool.poetry]`` plugins, scripts or build, ``[tool.pdm]`` scripts,
``[build-system]``, ``[project.scripts]``, ``[project.gui-scripts]``,
``[project.entry-points]`` (pytest plugins register there); an edit that leaves
those tables as they were (a dependency, the version, ``[tool.ruff]``) is
ordinary. A pyproject.toml that cannot be parsed counts as high-risk (what it
changes cannot be told).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from specpilot.ast_tools.edits import EditResult

_STARTUP = "Python runs it at start-up (every interpreter of this environment)"
_TESTS = "pytest loads it before any test runs, so it runs code on the next test run"
_NAMES: dict[str, str] = {
    "conftest.py": _TESTS,
    "sitecustomize.py": _STARTUP,
    "usercustomize.py": _STARTUP,
    "pytest.ini": "pytest configuration: it can add plugins and options to every test run",
    ".pytest.ini": "pytest configuration: it can add plugins and options to every test run",
    "tox.ini": "tox/pytest configuration: it sets the commands that test runs execute",
    "setup.cfg": "build and pytest configuration: it can add plugins, entry points and commands",
    "setup.py": "it runs when the package is built or installed",
    "noxfile.py": "nox runs it as the test sessions' code",
    "makefile": "make runs its commands",
    "gnumakefile": "make runs its commands",
    ".pre-commit-config.yaml": "its hooks run on every git commit",
    ".envrc": "direnv runs it when entering the folder",
    ".gitlab-ci.yml": "continuous integration runs its commands",
}
_FOLDERS: dict[str, str] = {
    ".ci": "continuous integration runs what is here",
    ".github/workflows": "continuous integration runs what is here",
    ".circleci": "continuous integration runs what is here",
    ".vscode": "editor settings and tasks: they can choose the interpreter and run commands",
    ".git": "git's own folder: hooks run on commits",
}
# pyproject.toml tables (dotted keys) that run or load code
PYPROJECT_TABLES: tuple[str, ...] = (
    "build-system", "project.scripts", "project.gui-scripts", "project.entry-points", "tool.pytest", "tool.tox",
    "tool.hatch", "tool.setuptools", "tool.poetry.plugins", "tool.poetry.scripts", "tool.poetry.build",
    "tool.pdm.scripts", "tool.pdm.build",
)


def high_risk_reason(path: str, new_text: str | None = None, old_text: str | None = None) -> str | None:
    """Why writing ``new_text`` over ``old_text`` at workspace-relative ``path`` needs the
    user's explicit confirmation, or None for an ordinary edit. ``None`` texts: the file
    does not exist (before) or is deleted (after)."""
    posix = PurePosixPath(path.replace("\\", "/"))
    name = posix.name.lower()
    if name in _NAMES:
        return f"{posix.name}: {_NAMES[name]}"
    if name.endswith(".pth"):
        return f"{posix.name}: a .pth file in site-packages runs its import lines at every Python start-up"
    if name.endswith(".mk"):
        return f"{posix.name}: make runs its commands"
    folder = posix.parent.as_posix()
    for prefix, why in _FOLDERS.items():
        if folder == prefix or folder.startswith(prefix + "/") or f"/{prefix}/" in f"/{folder}/":
            return f"{posix.as_posix()}: {why}"
    if name == "pyproject.toml":
        return _pyproject_reason(posix.name, new_text, old_text)
    return None


def _pyproject_reason(name: str, new_text: str | None, old_text: str | None) -> str | None:
    if new_text is None:
        return f"{name} is deleted: it holds the build system and test configuration"
    new = _parsed(new_text)
    old = _parsed(old_text) if old_text is not None else {}
    if new is None:
        return f"{name} would not parse as TOML, so what it changes in the build and test configuration is unknown"
    if old is None:
        old = {}
    changed = [table for table in PYPROJECT_TABLES if _table(new, table) != _table(old, table)]
    if not changed:
        return None
    return (f"{name}: the edit changes [{'], ['.join(changed)}], which decide what runs when the tests run or "
            "the package is built or installed")


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def _table(data: dict[str, Any], dotted: str) -> Any:
    """The table at ``dotted`` ("tool.pytest" also covers "tool.pytest.ini_options")."""
    value: Any = data
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def hold_back_risky(edit: EditResult, approve: Callable[[str, str], bool]) -> tuple[EditResult, list[tuple[str, str]]]:
    """``edit`` without the high-risk files ``approve(path, reason)`` turned down, and those
    files with their reasons (the caller says what was not applied and why)."""
    kept = EditResult(warnings=list(edit.warnings))
    held: list[tuple[str, str]] = []
    for file in edit.files:
        reason = high_risk_reason(file.path, file.new_text, file.old_text)
        if reason is not None and not approve(file.path, reason):
            held.append((file.path, reason))
        else:
            kept.files.append(file)
    return kept, held
