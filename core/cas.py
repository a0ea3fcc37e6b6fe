"""Compare-and-swap writes of workspace files: the one writer every SpecPilot write goes through.

A caller remembers the content hash of what it read (``digest``) and passes it as ``expected``;
``None`` means "the file must not exist" (a create). A write then

1. takes an exclusive ``flock`` on the file's folder (SpecPilot's own writers, threads or
   processes, queue here, so none of them slips between another's check and its replace; no
   lock file is left behind),
2. checks every target's hash and refuses all of them, writing nothing, if any changed,
3. writes each new text to a temporary file in the same folder (``O_EXCL``) and fsyncs it,
4. checks again, then swaps each temporary file in.

Against writers that are not SpecPilot (an editor, a formatter) the last gap is closed by the
swap itself where the system allows: on Linux an update is ``renameat2(RENAME_EXCHANGE)``, which
leaves the replaced file at the temporary name, so its content is compared with ``expected``
after the swap and swapped back if a foreign change slipped in (or if a program still holds it
open for writing, which a read lease reveals, so an in-place write cannot land in it later);
a create is a hard link, which fails if the file appeared; a delete moves the file aside first
and checks what it moved. Where that is not available (another system, a file system without
exchange), the check runs right before ``os.replace``. A multi-file write undoes the files
already swapped when a later one turns out to have changed, so the user sees all or none.

Paths are absolute or relative to the current folder; this module knows no workspace jail:
callers check that a path is inside the workspace first.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import logging
import os
import secrets
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpilot.core.errors import SpecPilotError

try:
    import fcntl
except ImportError:  # Windows: no flock; the hash checks and the swap remain
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("specpilot.core.cas")

LOCK_TIMEOUT_S = 10.0
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_NO_EXCHANGE = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EPERM}


class WriteConflict(SpecPilotError):
    """A file changed since its content was read (or appeared, or vanished); nothing of the
    write that raised it was left changed. The message names the files, for the user."""


@dataclass(frozen=True, slots=True)
class Change:
    """One file of a write. ``new_text`` None deletes the file; ``expected`` None means the file
    must not exist (a create), otherwise it is the ``digest`` of the content the caller read."""

    path: Path
    new_text: str | None
    expected: str | None


@dataclass(slots=True)
class WriteReport:
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def digest(data: bytes | str) -> str:
    """The content hash ``expected`` takes: SHA-256 of the bytes (text as UTF-8), in hex."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def current(path: Path) -> str | None:
    """The hash of the file's content now; None when it does not exist."""
    try:
        return digest(Path(path).read_bytes())
    except (FileNotFoundError, NotADirectoryError):
        return None


def read_text(path: Path) -> tuple[str, str]:
    """The file's text (UTF-8, line breaks kept) and the hash to write it back with."""
    data = Path(path).read_bytes()
    return data.decode("utf-8"), digest(data)


def write_text(path: Path, new_text: str, expected: str | None) -> WriteReport:
    """Replace (or, with ``expected`` None, create) one file; WriteConflict if it changed."""
    return apply_all([Change(Path(path), new_text, expected)])


def delete(path: Path, expected: str) -> WriteReport:
    """Delete one file if its content still hashes to ``expected``; WriteConflict otherwise."""
    return apply_all([Change(Path(path), None, expected)])


def apply_all(changes: Sequence[Change]) -> WriteReport:
    """Write every change, or none: every target is checked before any is touched."""
    targets = [Path(os.path.abspath(change.path)) for change in changes]
    if len(set(targets)) != len(targets):
        raise ValueError("a write names the same file twice")
    for change in changes:
        if change.new_text is None and change.expected is None:
            raise ValueError(f"deleting {change.path} needs the hash of the content to delete")
    planned = [Change(target, change.new_text, change.expected) for target, change in zip(targets, changes)]
    _check(planned)  # fail fast, before any folder is made
    made = _make_folders(planned)
    try:
        with _locked(sorted({change.path.parent for change in planned})):
            _check(planned)
            return _swap_all(planned)
    except BaseException:
        for folder in reversed(made):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _check(changes: Sequence[Change]) -> None:
    problems = []
    for change in changes:
        now = current(change.path)
        if now == change.expected:
            continue
        if change.expected is None:
            problems.append(f"{change.path} already exists")
        elif now is None:
            problems.append(f"{change.path} was deleted")
        else:
            problems.append(f"{change.path} changed")
    if problems:
        raise WriteConflict("; ".join(problems) + " since it was read; nothing was written. "
                            "Read the files again and redo the edit")


def _make_folders(changes: Sequence[Change]) -> list[Path]:
    made: list[Path] = []
    for change in changes:
        missing = [folder for folder in (change.path.parent, *change.path.parent.parents) if not folder.exists()]
        for folder in reversed(missing):
            with contextlib.suppress(FileExistsError):
                folder.mkdir()
                made.append(folder)
    return made


@contextlib.contextmanager
def _locked(folders: Sequence[Path]) -> Iterator[None]:
    """Exclusive flocks on ``folders`` (taken in sorted order, so two writers never deadlock)."""
    handles: list[int] = []
    try:
        for folder in folders if fcntl is not None else ():  # Windows opens no folder handles
            handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            handles.append(handle)
            _flock(handle, folder)
        yield
    finally:
        for handle in reversed(handles):
            os.close(handle)  # closing releases the lock


def _flock(handle: int, folder: Path) -> None:
    assert fcntl is not None
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    delay = 0.001
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() > deadline:
                raise WriteConflict(f"another SpecPilot write has held {folder} for over {LOCK_TIMEOUT_S:.0f} s; "
                                    "nothing was written") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.05)


@dataclass(slots=True)
class _Done:
    change: Change
    aside: Path | None  # the old content, kept until every file is swapped (None: a create)
    exchanged: bool  # True: swapped with renameat2, so undoing is one more exchange


def _swap_all(changes: Sequence[Change]) -> WriteReport:
    temps: dict[Path, Path] = {}
    done: list[_Done] = []
    try:
        for change in changes:
            if change.new_text is not None:
                temps[change.path] = _temp_with(change.path, change.new_text.encode("utf-8"),
                                                 like=change.path if change.expected is not None else None)
        _check(changes)
        for change in changes:
            done.append(_swap(change, temps.pop(change.path, None)))
    except BaseException:
        notes = _undo(done)
        for temp in temps.values():
            temp.unlink(missing_ok=True)
        if notes:
            log.error("undoing a refused write: %s", "; ".join(notes))
        raise
    report = WriteReport()
    for step in done:
        if step.aside is not None:
            step.aside.unlink(missing_ok=True)
        report.written.append(step.change.path)
        if step.change.new_text is not None and current(step.change.path) != digest(step.change.new_text):
            report.warnings.append(f"{step.change.path} was changed again by another program right after "
                                   "SpecPilot wrote it; check it")
    for folder in sorted({change.path.parent for change in changes}):
        _fsync_folder(folder)
    return report


def _swap(change: Change, temp: Path | None) -> _Done:
    target = change.path
    if change.new_text is None:  # delete: move the file aside, then check what was moved
        aside = _free_name(target)
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            raise WriteConflict(f"{target} was deleted since it was read; nothing was written") from None
        if _open_for_writing(aside) or current(aside) != change.expected:
            _put_back(aside, target)
            raise WriteConflict(f"{target} changed since it was read; nothing was written")
        return _Done(change, aside, exchanged=False)
    assert temp is not None
    if change.expected is None:  # create: a hard link fails if the name appeared meanwhile
        try:
            os.link(temp, target)
        except FileExistsError:
            temp.unlink(missing_ok=True)
            raise WriteConflict(f"{target} was created by someone else since it was checked; "
                                "nothing was written") from None
        except OSError:  # no hard links here: check, then rename
            if target.exists():
                temp.unlink(missing_ok=True)
                raise WriteConflict(f"{target} was created by someone else; nothing was written") from None
            os.replace(temp, target)
            return _Done(change, None, exchanged=False)
        temp.unlink(missing_ok=True)
        return _Done(change, None, exchanged=False)
    try:
        exchanged = _exchange(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    if exchanged:  # temp now holds what was at target: is it what the caller read?
        if _open_for_writing(temp) or current(temp) != change.expected:
            _exchange(temp, target)
            temp.unlink(missing_ok=True)
            raise WriteConflict(f"{target} changed since it was read; nothing was written")
        return _Done(change, temp, exchanged=True)
    old = target.read_bytes() if target.exists() else None
    if old is None or digest(old) != change.expected:
        temp.unlink(missing_ok=True)
        raise WriteConflict(f"{target} changed since it was read; nothing was written")
    os.replace(temp, target)
    return _Done(change, _temp_with(target, old, like=target), exchanged=False)


def _open_for_writing(path: Path) -> bool:
    """Whether another program holds the file open for writing, so it could still change the content
    just swapped out (an in-place writer that opened it before the swap). Linux refuses a read lease
    on such a file; where leases are unavailable (not the owner, another system) this says False and
    the content check alone decides."""
    lease = getattr(fcntl, "F_SETLEASE", None)
    if fcntl is None or lease is None:
        return False
    try:
        handle = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.fcntl(handle, lease, fcntl.F_RDLCK)
        fcntl.fcntl(handle, lease, fcntl.F_UNLCK)
        return False
    except OSError as exc:
        return exc.errno in (errno.EAGAIN, errno.EBUSY)
    finally:
        os.close(handle)


def _undo(done: Sequence[_Done]) -> list[str]:
    """Put back the files already swapped by a write that is being refused."""
    notes = []
    for step in reversed(done):
        target = step.change.path
        try:
            if step.change.new_text is None:
                assert step.aside is not None
                _put_back(step.aside, target)
            elif step.aside is None:  # a create
                if current(target) == digest(step.change.new_text):
                    target.unlink()
            elif step.exchanged:
                _exchange(step.aside, target)
                step.aside.unlink(missing_ok=True)
            else:
                os.replace(step.aside, target)
        except (OSError, WriteConflict) as exc:
            notes.append(f"{target}: {exc}")
    return notes


def _put_back(aside: Path, target: Path) -> None:
    try:
        os.link(aside, target)
    except FileExistsError:
        raise WriteConflict(f"{target} was recreated by someone else while SpecPilot deleted it; the old "
                            f"content is kept in {aside}") from None
    aside.unlink(missing_ok=True)


def _free_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.{secrets.token_hex(6)}.specpilot-tmp")


def _temp_with(target: Path, data: bytes, like: Path | None) -> Path:
    """A new file beside ``target`` holding ``data``, fsynced; it takes ``like``'s permissions
    (a new file: the umask's)."""
    while True:
        temp = _free_name(target)
        try:
            handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if like is not None:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(temp, like.stat().st_mode & 0o7777)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _load_renameat2() -> Any:
    try:
        return ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError, TypeError):  # not glibc >= 2.28 (macOS, Windows, musl)
        return None


_renameat2 = _load_renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Swap two names atomically; False where the system or file system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code == errno.ENOENT:
        raise WriteConflict(f"{b} was deleted since it was read; nothing was written")
    if code in _NO_EXCHANGE:
        log.debug("renameat2 exchange unavailable for %s (%s): checking right before the replace", b,
                  os.strerror(code))
        return False
    raise OSError(code, os.strerror(code), str(b))


def _fsync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
