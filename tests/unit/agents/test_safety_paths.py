"""The path guard on a real workspace in tmp_path: traversal, symlinks out, .git, the cache
folder and files of secrets are refused with a message that says why; ordinary files pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from specpilot.agents.safety.paths import PathGuard, SafetyError
from tests.fixtures import write_files


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    write_files(root, {
        "src/app.py": "print('hi')\n",
        "src/notes.txt": "notes\n",
        ".git/config": "[core]\n",
        ".specpilot/cache/index/data.lance": "x",
        ".specpilot/specs/001-login/requirements.md": "# Requirements\n",
        ".env": "DB_PASSWORD=x\n",
        ".env.example": "DB_PASSWORD=\n",
        "certs/server.pem": "pem",
        "deploy/id_rsa": "key",
    })
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside\n")
    return root


@pytest.fixture
def guard(workspace: Path) -> PathGuard:
    return PathGuard(workspace, workspace / ".specpilot" / "cache")


def refused(guard: PathGuard, path: str) -> str:
    with pytest.raises(SafetyError) as info:
        guard.resolve(path)
    with pytest.raises(SafetyError):
        guard.relative(path)
    return str(info.value)


@pytest.mark.parametrize(("path", "expected"), [
    ("src/app.py", "src/app.py"),
    ("./src/../src/app.py", "src/app.py"),
    ("src//notes.txt", "src/notes.txt"),
    ("src/new_module.py", "src/new_module.py"),  # a file a tool proposes to create
    (".specpilot/specs/001-login/requirements.md", ".specpilot/specs/001-login/requirements.md"),
    (".env.example", ".env.example"),  # a template of variable names holds no secrets
    (".", "."),
    ("src", "src"),
])
def test_ordinary_workspace_paths_are_allowed(guard: PathGuard, workspace: Path, path: str, expected: str) -> None:
    assert guard.relative(path) == expected
    assert guard.resolve(path) == (workspace / expected).resolve()


def test_an_absolute_path_inside_the_workspace_is_allowed(guard: PathGuard, workspace: Path) -> None:
    assert guard.relative(str(workspace / "src" / "app.py")) == "src/app.py"


@pytest.mark.parametrize("path", ["../outside/secret.txt", "src/../../outside/secret.txt", "/etc/passwd",
                                  "../project/../outside/secret.txt", "src/../../../../../../etc/hostname"])
def test_paths_that_lead_out_of_the_workspace_are_refused(guard: PathGuard, path: str) -> None:
    message = refused(guard, path)
    assert "outside the workspace" in message and path in message


def test_a_path_that_leaves_and_comes_back_in_is_allowed(guard: PathGuard) -> None:
    assert guard.relative("../project/src/app.py") == "src/app.py"


def test_home_relative_paths_are_refused_unless_they_land_in_the_workspace(
        guard: PathGuard, workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "outside"))
    assert "outside the workspace" in refused(guard, "~/secret.txt")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert guard.relative("~/project/src/app.py") == "src/app.py"
    assert "home folder" in refused(guard, "~no_such_user_specpilot_test/secret.txt")


def test_a_symlink_to_etc_inside_the_workspace_does_not_lead_out(guard: PathGuard, workspace: Path) -> None:
    (workspace / "etc_link").symlink_to("/etc")
    assert "outside the workspace" in refused(guard, "etc_link/passwd")
    assert "outside the workspace" in refused(guard, "etc_link")


def test_a_symlinked_file_pointing_out_is_refused(guard: PathGuard, workspace: Path, tmp_path: Path) -> None:
    (workspace / "src" / "innocent.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    assert "outside the workspace" in refused(guard, "src/innocent.txt")


def test_a_symlinked_directory_leading_out_is_refused(guard: PathGuard, workspace: Path, tmp_path: Path) -> None:
    (workspace / "vendor").symlink_to(tmp_path / "outside", target_is_directory=True)
    assert "outside the workspace" in refused(guard, "vendor/secret.txt")
    assert "outside the workspace" in refused(guard, "vendor/not_there_yet.py")


def test_a_symlink_loop_is_refused_with_a_message(guard: PathGuard, workspace: Path) -> None:
    (workspace / "loop_a").symlink_to(workspace / "loop_b")
    (workspace / "loop_b").symlink_to(workspace / "loop_a")
    message = refused(guard, "loop_a/file.py")
    assert "loop_a/file.py" in message


def test_a_symlink_inside_the_workspace_to_an_ordinary_file_is_allowed(guard: PathGuard, workspace: Path) -> None:
    (workspace / "latest.py").symlink_to(workspace / "src" / "app.py")
    assert guard.relative("latest.py") == "src/app.py"


@pytest.mark.parametrize("path", [".git/config", ".git", "src/../.git/HEAD", ".git/hooks/pre-commit",
                                  "vendor/lib/.git/config", ".GIT/config", ".Git/objects"])
def test_git_folders_are_refused(guard: PathGuard, path: str) -> None:
    message = refused(guard, path)
    assert ".git/" in message.lower() and "may not read" in message


def test_a_symlink_to_git_is_refused(guard: PathGuard, workspace: Path) -> None:
    (workspace / "docs").symlink_to(workspace / ".git", target_is_directory=True)
    assert ".git/" in refused(guard, "docs/config")


@pytest.mark.parametrize("path", [".specpilot/cache/index/data.lance", ".specpilot/cache", ".specpilot/cache/x.db",
                                  ".SpecPilot/Cache/feedback.db"])
def test_the_cache_folder_is_refused(guard: PathGuard, path: str) -> None:
    assert "cache folder" in refused(guard, path)


def test_a_relative_cache_folder_is_the_workspaces(workspace: Path, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # the process's folder must not matter
    guard = PathGuard(workspace, Path(".specpilot/cache"))
    assert "cache folder" in refused(guard, ".specpilot/cache/index/data.lance")


def test_a_cache_folder_outside_the_workspace_is_still_refused_by_absolute_path(workspace: Path,
                                                                               tmp_path: Path) -> None:
    cache = tmp_path / "shared-cache"
    cache.mkdir()
    guard = PathGuard(workspace, cache)
    assert "outside the workspace" in refused(guard, str(cache / "index"))


@pytest.mark.parametrize("path", [".env", "config/.env.production", "prod.env", "certs/server.pem", "deploy/id_rsa",
                                  "id_ed25519.pub", ".npmrc", ".pypirc", "secrets.yaml", "aws/credentials",
                                  "terraform.tfstate", "keystore.jks", "tls.key", "client_secret.json",
                                  ".ENV", "ID_RSA", "Certs/Server.PEM", "Secrets.YAML", ".Env.Local"])
def test_files_of_secrets_are_refused_whatever_their_case(guard: PathGuard, path: str) -> None:
    message = refused(guard, path)
    assert "secrets" in message and path in message


def test_a_link_to_a_file_of_secrets_is_refused(guard: PathGuard, workspace: Path) -> None:
    (workspace / "src" / "settings.txt").symlink_to(workspace / ".env")
    assert "secrets" in refused(guard, "src/settings.txt")


def test_a_link_named_like_a_file_of_secrets_is_refused(guard: PathGuard, workspace: Path) -> None:
    (workspace / "src" / "id_rsa").symlink_to(workspace / "src" / "notes.txt")
    assert "secrets" in refused(guard, "src/id_rsa")


@pytest.mark.parametrize("path", ["", "   ", "src/a\0b.py"])
def test_empty_or_invalid_paths_are_refused(guard: PathGuard, path: str) -> None:
    assert "invalid path" in refused(guard, path)


def test_secret_patterns_can_be_added_to_the_deny_rule(workspace: Path) -> None:
    guard = PathGuard(workspace, secret_patterns=("*.vault",))
    assert guard.is_secret("prod.VAULT")
    assert guard.is_secret(".env")  # the deny rule itself cannot be switched off
    assert "secrets" in refused(guard, "config/prod.vault")


def test_is_secret_names(guard: PathGuard) -> None:
    assert guard.is_secret(".env") and guard.is_secret("ID_RSA") and guard.is_secret("server.Pem")
    assert not guard.is_secret("app.py") and not guard.is_secret(".env.example")
    assert not guard.is_secret("environment.py") and not guard.is_secret("keys.py")


def test_the_guard_roots_at_the_resolved_workspace(tmp_path: Path, workspace: Path) -> None:
    alias = tmp_path / "alias"
    alias.symlink_to(workspace, target_is_directory=True)
    guard = PathGuard(alias)
    assert guard.root == workspace.resolve()
    assert guard.relative(os.path.join(str(alias), "src", "app.py")) == "src/app.py"
