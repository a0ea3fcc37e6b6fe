"""LockedDict: a worker thread walks it while another thread adds and removes keys."""

from __future__ import annotations

import threading
import time

import pytest

from specpilot.server.shared_maps import LockedDict


def _race(mapping: dict[str, int], seconds: float = 0.5) -> list[BaseException]:
    errors: list[BaseException] = []
    stop = threading.Event()

    def walk() -> None:
        while not stop.is_set():
            try:
                for key, value in mapping.items():
                    time.sleep(0)  # let the writer run mid-walk, as a syscall in a handler would
                    assert isinstance(key, str) and isinstance(value, int)
                for _key in mapping:
                    time.sleep(0)
            except RuntimeError as exc:  # "dictionary changed size during iteration"
                errors.append(exc)
                return

    def write() -> None:
        i = 0
        while not stop.is_set():
            mapping[f"new{i}"] = i
            mapping.pop(f"new{i - 50}", None)
            i += 1
            time.sleep(0)

    threads = [threading.Thread(target=walk), threading.Thread(target=write)]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return errors


def test_walking_a_plain_dict_while_it_changes_fails() -> None:
    """The failure LockedDict exists for (if this passes, the race test below proves nothing)."""
    errors = _race({f"k{i}": i for i in range(200)})
    assert errors and "changed size" in str(errors[0])


def test_walking_a_locked_dict_while_it_changes_works() -> None:
    mapping: LockedDict[str, int] = LockedDict({f"k{i}": i for i in range(200)})
    assert _race(mapping) == []
    assert mapping["k0"] == 0 and len(mapping.keys()) == len(mapping)


def test_locked_dict_keeps_dict_behaviour() -> None:
    mapping: LockedDict[str, int] = LockedDict(a=1)
    mapping.update(b=2)
    assert mapping.setdefault("c", 3) == 3 and mapping.pop("a") == 1 and mapping.pop("zz", None) is None
    with pytest.raises(KeyError):
        mapping.pop("zz")
    assert sorted(mapping.items()) == [("b", 2), ("c", 3)] and mapping.copy() == {"b": 2, "c": 3}
    del mapping["b"]
    assert list(mapping) == ["c"] and dict(mapping) == {"c": 3}
