"""Compare-and-swap writes: a write refuses, changing nothing, when its file changed since it
was read, and concurrent writers (threads and processes) never lose each other's changes."""

from __future__ import annotations

import multiprocessing
import stat
import threading
from pathlib import Path

import pytest

from specpilot.core import cas
from specpilot.core.cas import Change, WriteConflict, apply_all, delete, digest, read_text, write_text


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".specpilot-tmp"))


@pytest.fixture(params=["exchange", "replace"])
def swap(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of swapping: renameat2's exchange (Linux) and the check-then-replace fallback."""
    if request.param == "replace":
        monkeypatch.setattr(cas, "_renameat2", None)
    elif cas._renameat2 is None:
        pytest.skip("renameat2 is not available on this system")
    return str(request.param)


def test_a_write_with_the_hash_it_read_replaces_the_file_and_keeps_its_mode(tmp_path: Path, swap: str) -> None:
    target = tmp_path / "a.py"
    target.write_text("old\r\n")
    target.chmod(0o640)
    text, seen = read_text(target)
    report = write_text(target, text + "new\r\n", seen)
    assert report.written == [target] and not report.warnings
    assert target.read_bytes() == b"old\r\nnew\r\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_a_stale_write_is_refused_and_changes_nothing(tmp_path: Path, swap: str) -> None:
    target = tmp_path / "a.py"
    target.write_text("one\n")
    _, seen = read_text(target)
    target.write_text("two\n")  # someone else's change, after our read
    with pytest.raises(WriteConflict, match="a.py changed since it was read; nothing was written"):
        write_text(target, "three\n", seen)
    assert target.read_text() == "two\n"
    assert leftovers(tmp_path) == []


def test_create_refuses_an_existing_file_and_makes_missing_folders(tmp_path: Path, swap: str) -> None:
    existing = tmp_path / "a.py"
    existing.write_text("mine\n")
    with pytest.raises(WriteConflict, match="already exists"):
        write_text(existing, "theirs\n", None)
    assert existing.read_text() == "mine\n"
    new = tmp_path / "pkg" / "sub" / "b.py"
    write_text(new, "x = 1\n", None)
    assert new.read_text() == "x = 1\n"
    assert leftovers(new.parent) == []


def test_delete_needs_the_content_it_read(tmp_path: Path, swap: str) -> None:
    target = tmp_path / "gone.py"
    target.write_text("bye\n")
    with pytest.raises(WriteConflict, match="changed"):
        delete(target, digest("something else\n"))
    assert target.read_text() == "bye\n"
    delete(target, digest("bye\n"))
    assert not target.exists() and leftovers(tmp_path) == []
    with pytest.raises(WriteConflict, match="was deleted"):
        delete(target, digest("bye\n"))


def test_a_multi_file_write_refuses_all_when_one_changed(tmp_path: Path, swap: str) -> None:
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "new" / "c.py"
    a.write_text("a\n")
    b.write_text("b\n")
    changes = [Change(a, "A\n", digest("a\n")), Change(b, "B\n", digest("b (before the user typed)\n")),
               Change(c, "C\n", None)]
    with pytest.raises(WriteConflict, match="b.py changed"):
        apply_all(changes)
    assert (a.read_text(), b.read_text()) == ("a\n", "b\n")
    assert not (tmp_path / "new").exists()  # the folder made for c.py was taken back
    apply_all([Change(a, "A\n", digest("a\n")), Change(b, None, digest("b\n")), Change(c, "C\n", None)])
    assert a.read_text() == "A\n" and not b.exists() and c.read_text() == "C\n"


def _add_lines(path: str, tag: str, count: int) -> int:
    """Read-modify-write ``count`` lines into ``path``, retrying on conflicts; returns the conflicts."""
    conflicts = 0
    for i in range(count):
        while True:
            text, seen = read_text(Path(path))
            try:
                write_text(Path(path), text + f"{tag}-{i}\n", seen)
                break
            except WriteConflict:
                conflicts += 1
    return conflicts


def _append_foreign(path: Path, count: int) -> None:
    """Another program appending in place (no SpecPilot lock, no hash)."""
    for i in range(count):
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(f"foreign-{i}\n")


def test_concurrent_writers_in_threads_and_processes_lose_nothing(tmp_path: Path) -> None:
    target = tmp_path / "shared.txt"
    target.write_text("")
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_add_lines, args=(str(target), f"p{n}", 15)) for n in range(3)]
    threads = [threading.Thread(target=_add_lines, args=(str(target), f"t{n}", 15)) for n in range(3)]
    threads.append(threading.Thread(target=_append_foreign, args=(target, 60)))
    for process in processes:
        process.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for process in processes:
        process.join(120)
    assert all(p.exitcode == 0 for p in processes)
    lines = target.read_text().splitlines()
    expected = {f"{who}{n}-{i}" for who in "pt" for n in range(3) for i in range(15)}
    expected |= {f"foreign-{i}" for i in range(60)}
    assert set(lines) == expected and len(lines) == len(expected)
    assert leftovers(tmp_path) == []


def test_a_change_at_the_last_moment_undoes_the_files_already_swapped(tmp_path: Path, swap: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Another program writes b.py after every check passed and a.py was already swapped in
    (the worst moment): the write is refused, a.py is put back and b.py keeps their text."""
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("a\n")
    b.write_text("b\n")
    real_swap = cas._swap

    def swap_with_a_foreign_write_first(change: Change, temp: Path | None) -> object:
        if change.path == b:
            b.write_text("b, edited by someone else\n")
        return real_swap(change, temp)

    monkeypatch.setattr(cas, "_swap", swap_with_a_foreign_write_first)
    with pytest.raises(WriteConflict, match="b.py changed since it was read"):
        apply_all([Change(a, "A\n", digest("a\n")), Change(b, "B\n", digest("b\n"))])
    assert a.read_text() == "a\n" and b.read_text() == "b, edited by someone else\n"
    assert leftovers(tmp_path) == []
