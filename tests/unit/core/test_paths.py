"""The cache folder rules: which ``cachePath`` values are refused, and where a ``*`` .gitignore may go."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from specpilot.core.config import Settings
from specpilot.core.paths import (
    CACHE_GITIGNORE,
    CACHE_MARKER,
    CachePathError,
    ensure_cache,
    resolve_cache_path,
)

PROJECT_IGNORE = "build/\n*.pyc\n"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    root = home / "code" / "project"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("print('hi')\n")
    (root / ".gitignore").write_text(PROJECT_IGNORE)
    monkeypatch.setenv("HOME", str(home))
    return root


def refusal(workspace: Path, value: str) -> str:
    with pytest.raises(CachePathError) as caught:
        ensure_cache(workspace, value)
    return str(caught.value)


def assert_project_untouched(workspace: Path) -> None:
    assert (workspace / ".gitignore").read_text() == PROJECT_IGNORE
    assert not (workspace / CACHE_MARKER).exists()
    assert sorted(p.name for p in workspace.iterdir()) == [".gitignore", "src"]


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_an_empty_cache_path_is_refused_and_the_project_gitignore_kept(workspace: Path, value: str) -> None:
    assert "empty" in refusal(workspace, value)
    assert_project_untouched(workspace)


@pytest.mark.parametrize("value", [".", "./", "src/..", "{root}", "{root}/"])
def test_the_workspace_folder_itself_is_refused(workspace: Path, value: str) -> None:
    assert "workspace folder itself" in refusal(workspace, value.format(root=workspace))
    assert_project_untouched(workspace)


@pytest.mark.parametrize("value", ["..", "../..", "{parent}", "/"])
def test_a_folder_above_the_workspace_is_refused(workspace: Path, value: str) -> None:
    message = refusal(workspace, value.format(parent=workspace.parent))
    assert "contains the workspace" in message
    assert not (workspace.parent / ".gitignore").exists()
    assert not (workspace.parent / CACHE_MARKER).exists()
    assert_project_untouched(workspace)


def test_a_link_that_points_at_the_workspace_is_refused(workspace: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-project"
    link.symlink_to(workspace, target_is_directory=True)
    assert "workspace folder itself" in refusal(workspace, str(link))
    assert_project_untouched(workspace)


@pytest.mark.parametrize("value", ["/etc", "/etc/specpilot", "/usr", "/usr/lib/specpilot-cache", "/bin",
                                   "/sbin", "/lib", "/lib64", "/proc", "/sys/kernel", "/dev", "/boot", "/run"])
def test_system_folders_and_what_is_below_them_are_refused(workspace: Path, value: str) -> None:
    assert "system folder" in refusal(workspace, value)
    assert not Path(value, CACHE_MARKER).exists()


@pytest.mark.parametrize("value", ["/var", "/tmp", "/home", "/root", "~"])
def test_shared_folders_themselves_are_refused(workspace: Path, value: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "other-home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "other-home"))  # a home folder that does not hold the workspace
    message = refusal(workspace, value)
    # /tmp also holds the test's workspace: then that reason comes first
    assert "shared folder" in message or (value == "/tmp" and "contains the workspace" in message)
    assert not Path(value, CACHE_MARKER).expanduser().exists()


def test_a_cache_below_home_or_tmp_is_fine(workspace: Path, tmp_path: Path) -> None:
    below_home = ensure_cache(workspace, "~/.cache/specpilot/project")
    assert below_home == (tmp_path / "home" / ".cache" / "specpilot" / "project").resolve()
    assert (below_home / ".gitignore").read_text() == CACHE_GITIGNORE
    assert resolve_cache_path(workspace, "/root/.cache/specpilot-unit-test") == Path(
        "/root/.cache/specpilot-unit-test")
    assert not Path("/root/.cache/specpilot-unit-test").exists()  # checking creates nothing


def test_a_relative_path_is_taken_from_the_workspace_not_the_current_folder(
        workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    folder = ensure_cache(workspace, "cache-here")
    assert folder == workspace / "cache-here"
    assert list(elsewhere.iterdir()) == []


def test_a_created_folder_gets_the_gitignore_and_the_marker(workspace: Path) -> None:
    folder = ensure_cache(workspace, ".specpilot/cache")
    assert (folder / ".gitignore").read_text() == CACHE_GITIGNORE
    assert (folder / CACHE_MARKER).read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    (folder / ".gitignore").unlink()  # deleted by hand: SpecPilot's own folder gets it back
    assert ensure_cache(workspace, ".specpilot/cache") == folder
    assert (folder / ".gitignore").read_text() == CACHE_GITIGNORE
    assert_project_untouched_except_specpilot(workspace)


def assert_project_untouched_except_specpilot(workspace: Path) -> None:
    assert (workspace / ".gitignore").read_text() == PROJECT_IGNORE
    assert sorted(p.name for p in workspace.iterdir()) == [".gitignore", ".specpilot", "src"]


def test_an_existing_empty_folder_is_used_without_a_gitignore(workspace: Path, tmp_path: Path) -> None:
    mine = tmp_path / "my-cache"
    mine.mkdir()
    assert ensure_cache(workspace, str(mine)) == mine.resolve()
    assert not (mine / ".gitignore").exists()
    (mine / "index").mkdir()  # SpecPilot wrote its index there
    assert ensure_cache(workspace, str(mine)) == mine.resolve()  # and may use it again
    assert not (mine / ".gitignore").exists()


def test_an_existing_folder_with_other_files_is_refused(workspace: Path) -> None:
    message = refusal(workspace, "src")
    assert "already holds files" in message
    assert sorted(p.name for p in (workspace / "src").iterdir()) == ["app.py"]
    assert_project_untouched(workspace)


def test_a_cache_from_before_the_marker_is_still_recognised(workspace: Path) -> None:
    old = workspace / ".specpilot" / "cache"
    (old / "index").mkdir(parents=True)
    (old / ".gitignore").write_text(CACHE_GITIGNORE)
    assert ensure_cache(workspace, ".specpilot/cache") == old
    assert (old / CACHE_MARKER).exists()
    (old / ".gitignore").unlink()
    ensure_cache(workspace, ".specpilot/cache")
    assert (old / ".gitignore").read_text() == CACHE_GITIGNORE


def test_a_file_in_the_way_is_refused(workspace: Path) -> None:
    assert "is a file" in refusal(workspace, "src/app.py/cache")


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root to run the check as another user (root may write anywhere)")
def test_a_folder_that_is_not_writable_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o755)
    root = tmp_path / "ws"
    root.mkdir(mode=0o777)
    tmp_path.chmod(0o755)
    code = ("import sys; from pathlib import Path; from specpilot.core.paths import ensure_cache, CachePathError\n"
            "try:\n    ensure_cache(Path(sys.argv[1]), sys.argv[2])\n"
            "except CachePathError as exc:\n    print(exc)\n")
    for parent in tmp_path.parents:  # let the other user reach the temporary folders
        if str(parent).startswith("/tmp/"):
            parent.chmod(parent.stat().st_mode | 0o755)
    done = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable,
                           "-c", code, str(root), str(locked / "cache")],
                          capture_output=True, text=True, timeout=60, env={**os.environ, "HOME": str(root)})
    assert "is not writable" in done.stdout, done.stderr
    assert list(locked.iterdir()) == []


def test_the_engine_refuses_a_bad_cache_path_before_writing(workspace: Path) -> None:
    from specpilot.index.engine import WorkspaceIndex

    with pytest.raises(CachePathError):
        WorkspaceIndex(workspace, Settings(cache_path=""))
    assert_project_untouched(workspace)
