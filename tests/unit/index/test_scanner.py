"""Workspace scanner: ignore files, skip reasons, symlinks, and the single-path matcher."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from specpilot.core import scanner
from specpilot.core.scanner import (
    BINARY,
    BROKEN_LINK,
    NOT_UTF8,
    OUTSIDE,
    IgnoreMatcher,
    SkippedFile,
    SkippedReason,
    read_source,
    scan,
)
from tests.fixtures import write_files


def listed(root: Path, **kwargs: object) -> list[str]:
    return [f.path for f in scan(root, **kwargs).files]  # type: ignore[arg-type]


def reasons(root: Path, **kwargs: object) -> dict[str, str]:
    return {s.path: s.reason for s in scan(root, **kwargs).skipped}  # type: ignore[arg-type]


needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt",
                                    reason="needs POSIX symlinks")


# --- ignore files ---------------------------------------------------------------------


def test_root_gitignore_hides_files_folders_and_anchored_names(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".gitignore": "*.log\nbuild/\n/top.txt\n",
        "a.py": "x = 1\n",
        "debug.log": "",
        "sub/trace.log": "",
        "build/out.py": "",
        "sub/build/gen.py": "",
        "top.txt": "",
        "sub/top.txt": "",
        "sub/build.py": "",  # `build/` is folder-only
    })
    assert listed(tmp_path) == [".gitignore", "a.py", "sub/build.py", "sub/top.txt"]


def test_nested_gitignore_rules_are_relative_to_their_folder(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".gitignore": "*.gen.py\n",
        "pkg/.gitignore": "/local.txt\n!keep.gen.py\n",
        "local.txt": "",
        "pkg/local.txt": "",
        "pkg/deep/local.txt": "",
        "pkg/keep.gen.py": "",
        "pkg/other.gen.py": "",
        "top.gen.py": "",
    })
    assert listed(tmp_path) == [
        ".gitignore", "local.txt", "pkg/.gitignore", "pkg/deep/local.txt", "pkg/keep.gen.py",
    ]


def test_nothing_inside_an_ignored_folder_comes_back(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".gitignore": "logs/\n!logs/keep.txt\n",
        "logs/keep.txt": "",
        "logs/.gitignore": "!*\n",  # not read: git never looks inside ignored folders
        "main.py": "",
    })
    assert listed(tmp_path) == [".gitignore", "main.py"]


def test_double_star_patterns(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".gitignore": "docs/**/draft.md\n**/tmp/\n",
        "docs/draft.md": "",
        "docs/a/b/draft.md": "",
        "docs/a/final.md": "",
        "src/tmp/x.py": "",
        "tmp/y.py": "",
        "src/main.py": "",
    })
    assert listed(tmp_path) == [".gitignore", "docs/a/final.md", "src/main.py"]


def test_specpilotignore_hides_files_and_overrides_gitignore_in_its_folder(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".gitignore": "generated.py\n",
        ".specpilotignore": "fixtures/\n!generated.py\n",
        "generated.py": "",
        "fixtures/big.json": "",
        "lib/.specpilotignore": "*.txt\n",
        "lib/notes.txt": "",
        "notes.txt": "",
    })
    assert listed(tmp_path) == [
        ".gitignore", ".specpilotignore", "generated.py", "lib/.specpilotignore", "notes.txt",
    ]


def test_exclude_patterns_add_to_ignore_files_but_cannot_reinclude(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".gitignore": "secret.txt\n",
        "vendor/lib.js": "",
        "app.min.js": "",
        "app.js": "",
        "secret.txt": "",
        "docs/README.md": "",
        "docs/notes.md": "",
    })
    got = listed(tmp_path, exclude=["vendor/", "*.min.js", "*.md", "!README.md", "!secret.txt"])
    assert got == [".gitignore", "app.js", "docs/README.md"]


# --- always-skipped folders -------------------------------------------------------------


def test_vcs_cache_and_junk_folders_are_skipped(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".git/config": "",
        ".specpilot/cache/index/data.txt": "",
        ".specpilot/specs/feature.md": "",  # SpecPilot's own folder: specs are no code (issue 16)
        "node_modules/left-pad/index.js": "",
        "pkg/__pycache__/m.cpython-311.pyc": "",
        ".venv/lib/site.py": "",
        "env/pyvenv.cfg": "home = /usr/bin\n",
        "env/lib/site.py": "",
        "venv/__init__.py": "",  # CPython's Lib/venv is source: no pyvenv.cfg
        "pkg/m.py": "",
    })
    assert listed(tmp_path) == ["pkg/m.py", "venv/__init__.py"]


def test_custom_cache_dir_inside_root_is_skipped(tmp_path: Path) -> None:
    write_files(tmp_path, {"idx/chunks.txt": "", "src/idx/real.py": "", "main.py": ""})
    assert listed(tmp_path, cache_dir=tmp_path / "idx") == ["main.py", "src/idx/real.py"]
    assert listed(tmp_path, cache_dir=Path("idx")) == ["main.py", "src/idx/real.py"]  # root-relative


# --- content, size and result shape ------------------------------------------------------


def test_binary_file_is_skipped_with_reason_unless_content_checks_are_off(tmp_path: Path) -> None:
    write_files(tmp_path, {"logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "a.py": "x = 1\n"})
    result = scan(tmp_path)
    assert [f.path for f in result.files] == ["a.py"]
    assert result.skipped == [SkippedFile("logo.png", BINARY)]
    assert listed(tmp_path, check_content=False) == ["a.py", "logo.png"]


def test_file_over_the_size_limit_is_skipped_with_its_size(tmp_path: Path) -> None:
    write_files(tmp_path, {"big.txt": "x" * 101, "edge.txt": "x" * 100})
    result = scan(tmp_path, max_file_bytes=100)
    assert [f.path for f in result.files] == ["edge.txt"]
    assert result.skipped == [SkippedFile("big.txt", "larger than 100 bytes (101)")]


def test_results_are_sorted_relative_posix_paths_with_stat_data(tmp_path: Path) -> None:
    write_files(tmp_path, {"b/z.py": "zz", "a.py": "a", "b/a/y.py": "yyy", "B.txt": ""})
    files = scan(tmp_path).files
    assert [f.path for f in files] == ["B.txt", "a.py", "b/a/y.py", "b/z.py"]
    y = files[2]
    assert y.abs_path == tmp_path / "b" / "a" / "y.py"
    assert y.size == 3
    assert y.mtime_ns == (tmp_path / "b/a/y.py").stat().st_mtime_ns


def test_skips_are_logged_at_debug_level(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    write_files(tmp_path, {"blob.bin": b"\x00\x01"})
    with caplog.at_level(logging.DEBUG, logger="specpilot.core.scanner"):
        scan(tmp_path)
    assert any("blob.bin" in r.getMessage() and BINARY in r.getMessage() for r in caplog.records)


def test_unreadable_folder_and_file_are_skipped_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Simulated: the tests may run as root, where chmod 000 denies nothing.
    write_files(tmp_path, {"locked/a.py": "", "secret.py": "x = 1\n", "ok.py": ""})
    real_scandir, real_open = os.scandir, open

    def scandir(path: str) -> object:
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    def fake_open(path: str, *args: object, **kwargs: object) -> object:
        if os.path.basename(path) == "secret.py":
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(scanner, "open", fake_open, raising=False)
    result = scan(tmp_path)
    assert [f.path for f in result.files] == ["ok.py"]
    assert {s.path: s.reason for s in result.skipped} == {
        "locked": "cannot be read: Permission denied",
        "secret.py": "cannot be read: Permission denied",
    }
    assert read_source(tmp_path / "secret.py") == SkippedReason("cannot be read: Permission denied")


# --- read_source ----------------------------------------------------------------------------


def test_read_source_returns_text_and_strips_a_utf8_bom(tmp_path: Path) -> None:
    write_files(tmp_path, {"bom.py": "\ufeffprint('hé')\n".encode("utf-8"), "plain.py": "x = 'é'\n"})
    assert read_source(tmp_path / "bom.py") == "print('hé')\n"
    assert read_source(tmp_path / "plain.py") == "x = 'é'\n"


def test_read_source_reports_non_utf8_binary_and_too_large(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "latin1.txt": "café\n".encode("latin-1"),
        "blob.bin": b"abc\x00def",
        "big.txt": "x" * 11,
    })
    # scan() leaves decoding to read_source(): the latin-1 file is listed.
    assert "latin1.txt" in listed(tmp_path)
    assert read_source(tmp_path / "latin1.txt") == SkippedReason(NOT_UTF8)
    assert read_source(tmp_path / "blob.bin") == SkippedReason(BINARY)
    assert read_source(tmp_path / "big.txt", 10) == SkippedReason("larger than 10 bytes (11)")
    missing = read_source(tmp_path / "gone.py")
    assert isinstance(missing, SkippedReason) and missing.reason.startswith("cannot be read")


# --- symlinks -------------------------------------------------------------------------------


@pytest.fixture
def workspace_and_outside(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "ws", tmp_path / "outside"
    write_files(root, {"src/real.py": "x = 1\n"})
    write_files(outside, {"leak.py": "password = 1\n", "lib/mod.py": ""})
    return root, outside


@needs_symlinks
def test_symlinks_pointing_outside_are_skipped_and_not_descended(
    workspace_and_outside: tuple[Path, Path],
) -> None:
    root, outside = workspace_and_outside
    (root / "leak.py").symlink_to(outside / "leak.py")
    (root / "lib").symlink_to(outside / "lib", target_is_directory=True)
    result = scan(root)
    assert [f.path for f in result.files] == ["src/real.py"]
    assert {s.path: s.reason for s in result.skipped} == {"leak.py": OUTSIDE, "lib": OUTSIDE}


@needs_symlinks
def test_symlink_to_a_file_inside_is_listed_under_the_link_path(
    workspace_and_outside: tuple[Path, Path],
) -> None:
    root, _ = workspace_and_outside
    (root / "alias.py").symlink_to(root / "src" / "real.py")
    (root / "mirror").symlink_to(root / "src", target_is_directory=True)  # no duplicates
    files = scan(root).files
    assert [f.path for f in files] == ["alias.py", "src/real.py"]
    assert files[0].abs_path == root / "alias.py"
    assert files[0].size == len("x = 1\n")


@needs_symlinks
def test_symlink_loops_end_and_are_reported(tmp_path: Path) -> None:
    write_files(tmp_path, {"sub/a.py": ""})
    (tmp_path / "sub" / "up").symlink_to("..", target_is_directory=True)
    (tmp_path / "ping").symlink_to("pong")
    (tmp_path / "pong").symlink_to("ping")
    result = scan(tmp_path)
    assert [f.path for f in result.files] == ["sub/a.py"]
    assert {s.path: s.reason for s in result.skipped} == {"ping": BROKEN_LINK, "pong": BROKEN_LINK}


# --- IgnoreMatcher ------------------------------------------------------------------------


def test_matcher_answers_for_single_paths(tmp_path: Path) -> None:
    write_files(tmp_path, {
        ".gitignore": "build/\n*.log\n",
        "pkg/.gitignore": "!keep.log\n",
        "env/pyvenv.cfg": "",
    })
    m = IgnoreMatcher(tmp_path, exclude=["*.tmp"])
    assert m.is_ignored("build/new.py")  # need not exist
    assert m.is_ignored("build", is_dir=True)
    assert not m.is_ignored("build", is_dir=False)
    assert m.is_ignored("x.log")
    assert not m.is_ignored("pkg/keep.log")
    assert m.is_ignored(tmp_path / "pkg" / "scratch.tmp")  # absolute paths work too
    assert m.is_ignored("node_modules/x/index.js")
    assert m.is_ignored(".git/HEAD")
    assert m.is_ignored("env/lib/site.py")
    assert m.is_ignored(tmp_path.parent / "elsewhere.py")
    assert not m.is_ignored("src/main.py")


def test_matcher_sees_a_changed_gitignore_after_invalidate(tmp_path: Path) -> None:
    write_files(tmp_path, {"pkg/.gitignore": "*.txt\n"})
    m = IgnoreMatcher(tmp_path)
    assert m.is_ignored("pkg/notes.txt")
    (tmp_path / "pkg" / ".gitignore").write_text("*.md\n", encoding="utf-8")
    assert m.is_ignored("pkg/notes.txt")  # cached until told
    m.invalidate(tmp_path / "pkg" / ".gitignore")  # what a watcher sees change
    assert not m.is_ignored("pkg/notes.txt")
    assert m.is_ignored("pkg/readme.md")
    (tmp_path / ".specpilotignore").write_text("pkg/\n", encoding="utf-8")
    m.invalidate()
    assert m.is_ignored("pkg/notes.txt")


# Random trees and ignore files: the walk (which prunes folders) and the matcher (which
# checks every ancestor) take different paths through the rules and must agree.
NAMES = ["a", "b", "build", "x.py", "y.log"]
PATTERNS = [
    "*.log", "!y.log", "build/", "/a", "a/", "b", "!b", "**/x.py", "a/*.py", "!a/x.py",
    "*.py", "!x.py", "a/**/y.log", "/build/", "b/**", "!b/x.py", "!build/", "x*", "**/a/b",
    "*/", "a/**/", "!*.py", "y.lo[g]", "[!x]*", "?", "!a/", "b/*/", "**", "!**/b",
    "bu?ld", "/*.py", "# note", "",
]
trees = st.lists(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4).map(tuple),
                 min_size=1, max_size=12, unique=True)


def _layout(paths: list[tuple[str, ...]]) -> tuple[list[str], list[str]]:
    """Files (paths that are no other path's folder) and folders, '' for the root."""
    prefixes = {p[:i] for p in paths for i in range(1, len(p))}
    files = sorted("/".join(p) for p in paths if p not in prefixes)
    return files, [""] + sorted("/".join(p) for p in prefixes)


@st.composite
def workspaces(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    files, folders = _layout(draw(trees))
    ignores: dict[str, str] = {}
    for folder in draw(st.lists(st.sampled_from(folders), max_size=4, unique=True)):
        name = draw(st.sampled_from(scanner.IGNORE_FILES))
        lines = draw(st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=4))
        ignores[f"{folder}/{name}" if folder else name] = "\n".join(lines) + "\n"
    return files, ignores


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workspaces(), st.lists(st.sampled_from(PATTERNS), max_size=2))
def test_matcher_agrees_with_scan(ws: tuple[list[str], dict[str, str]], exclude: list[str]) -> None:
    files, ignores = ws
    with tempfile.TemporaryDirectory() as tmp:
        root = write_files(Path(tmp), {**{f: "" for f in files}, **ignores})
        on_disk = files + list(ignores)
        expected = sorted(p for p in on_disk if not IgnoreMatcher(root, exclude=exclude).is_ignored(p))
        assert listed(root, exclude=exclude) == expected


GIT = shutil.which("git")


@pytest.mark.skipif(GIT is None, reason="git not installed")
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workspaces())
def test_gitignore_handling_matches_git(ws: tuple[list[str], dict[str, str]]) -> None:
    files, ignores = ws
    gitignores = {p: text for p, text in ignores.items() if p.endswith(".gitignore")}
    with tempfile.TemporaryDirectory() as tmp:
        root = write_files(Path(tmp), {**{f: "" for f in files}, **gitignores})
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "XDG_CONFIG_HOME": tmp,
               "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
        subprocess.run([GIT, "init", "-q"], cwd=root, env=env, check=True)
        out = subprocess.run([GIT, "ls-files", "--others", "--exclude-standard", "-z"],
                             cwd=root, env=env, check=True, capture_output=True, text=True).stdout
        assert listed(root) == sorted(p for p in out.split("\0") if p)
