"""``edits.apply``: the CLI's write path (refactor --apply, agent run --apply). It writes through
the compare-and-swap writer: all files or none, never onto text the edit was not computed from,
never outside the workspace; it creates and deletes whole files."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.ast_tools.edits import CREATE, DELETE, EditResult, Refusal, apply, text_change


def files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "a.py").write_text("x = 1\n")
    (tmp_path / "b.py").write_text("from a import x\n")
    return tmp_path


def test_apply_writes_edits_creates_and_deletes(root: Path) -> None:
    result = EditResult([text_change("a.py", None, "x = 1\n", "x = 2\n"),
                         text_change("pkg/new.py", None, "", "y = 3\n", CREATE),
                         text_change("b.py", None, "from a import x\n", "", DELETE)])
    written = apply(result, root)
    assert sorted(p.relative_to(root).as_posix() for p in written) == ["a.py", "b.py", "pkg/new.py"]
    assert files(root) == {"a.py": "x = 2\n", "pkg/new.py": "y = 3\n"}


@pytest.mark.parametrize("stale", ["a.py", "b.py", "pkg/new.py"])
def test_apply_refuses_everything_when_one_file_changed(root: Path, stale: str) -> None:
    result = EditResult([text_change("a.py", None, "x = 1\n", "x = 2\n"),
                         text_change("pkg/new.py", None, "", "y = 3\n", CREATE),
                         text_change("b.py", None, "from a import x\n", "", DELETE)])
    (root / stale).parent.mkdir(exist_ok=True)
    (root / stale).write_text("# the user typed this\n")
    before = files(root)
    with pytest.raises(Refusal, match="nothing was written"):
        apply(result, root)
    assert files(root) == before


def test_apply_refuses_paths_outside_the_workspace(root: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere")
    (root / "out").symlink_to(outside)
    for path in ("../evil.py", "out/evil.py", str(outside / "evil.py")):
        with pytest.raises(Refusal, match="outside the workspace"):
            apply(EditResult([text_change(path, None, "", "owned = True\n", CREATE)]), root)
    assert list(outside.iterdir()) == []


def test_diff_marks_created_and_deleted_files_with_dev_null() -> None:
    created = text_change("n.py", None, "", "y = 3\n", CREATE).diff()
    deleted = text_change("b.py", None, "z = 1\n", "", DELETE).diff()
    assert created.startswith("--- /dev/null\n+++ b/n.py\n")
    assert deleted.startswith("--- a/b.py\n+++ /dev/null\n")
