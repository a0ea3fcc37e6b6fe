"""The Merkle tree of file hashes: equal trees are equal at the root, and a difference is found by fetching only
the nodes on the paths that differ."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specpilot.index.merkle import Entry, Tree, build, diff, parse_node


def fetcher(tree: Tree) -> tuple[list[list[str]], object]:
    asked: list[list[str]] = []

    def fetch(hashes: Sequence[str]) -> Mapping[str, Sequence[Entry]]:
        asked.append(list(hashes))
        return {h: parse_node(tree.node_json(h)) for h in hashes if h in tree.nodes}

    return asked, fetch


def repo(n_dirs: int = 20, per_dir: int = 10, depth: int = 4) -> dict[str, str]:
    files = {}
    for d in range(n_dirs):
        folder = "/".join(f"pkg{d}_{level}" for level in range(1 + d % depth))
        for f in range(per_dir):
            files[f"{folder}/m{f}.py"] = f"h{d}-{f}"
    files["README.md"] = "readme"
    return files


def test_same_files_same_root_whatever_the_order() -> None:
    files = repo()
    assert build(files).root == build(dict(reversed(list(files.items())))).root
    changed = dict(files, **{"pkg3_0/pkg3_1/pkg3_2/pkg3_3/m1.py": "new"})
    assert build(changed).root != build(files).root


def test_one_changed_file_costs_one_node_per_level() -> None:
    files = repo()
    base = build(files)
    path = "pkg3_0/pkg3_1/pkg3_2/pkg3_3/m1.py"
    branch = build(dict(files, **{path: "new"}))
    asked, fetch = fetcher(base)
    found = diff(branch, base.root, fetch)  # type: ignore[arg-type]
    assert found.changed == [path] and found.removed == []
    assert [len(level) for level in asked] == [1, 1, 1, 1, 1]  # root, then one folder per level
    assert found.fetched == 5 < len(base.nodes)
    assert len(found.new_nodes) == 5 and branch.root in found.new_nodes
    assert diff(base, base.root, fetch).changed == []  # type: ignore[arg-type]


def test_added_removed_and_a_file_that_became_a_folder() -> None:
    files = {"a/x.py": "1", "a/y.py": "2", "b.py": "3", "c/d/e.py": "4"}
    base = build(files)
    now = {"a/x.py": "1", "b.py/inner.py": "5", "c/d/e.py": "4", "new/deep/f.py": "6"}
    asked, fetch = fetcher(base)
    found = diff(build(now), base.root, fetch)  # type: ignore[arg-type]
    assert found.changed == ["b.py/inner.py", "new/deep/f.py"]
    assert found.removed == ["a/y.py", "b.py"]
    assert diff(build(now), None, fetch).changed == sorted(now)  # type: ignore[arg-type]


def test_a_missing_node_is_an_error_not_a_silent_difference() -> None:
    base = build({"a/x.py": "1"})
    with pytest.raises(KeyError):
        diff(build({"a/x.py": "2"}), base.root, lambda hashes: {})


def test_a_stored_node_that_is_not_one_is_refused() -> None:
    for bad in ("{}", '[["a","x","h"]]', '[["a","f"]]', "not json"):
        with pytest.raises(ValueError):
            parse_node(bad)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.lists(st.sampled_from("abc"), min_size=1, max_size=3).map(lambda p: "/".join(p) + ".py"),
                       st.sampled_from("0123"), max_size=12),
       st.dictionaries(st.lists(st.sampled_from("abc"), min_size=1, max_size=3).map(lambda p: "/".join(p) + ".py"),
                       st.sampled_from("0123"), max_size=12))
def test_the_diff_is_the_set_difference(old: dict[str, str], new: dict[str, str]) -> None:
    def clean(files: dict[str, str]) -> dict[str, str]:  # a path may not be both a file and a folder
        return {p: h for p, h in files.items() if not any(q.startswith(p[:-3] + "/") for q in files)}

    old, new = clean(old), clean(new)
    base = build(old)
    _, fetch = fetcher(base)
    found = diff(build(new), base.root, fetch)  # type: ignore[arg-type]
    assert set(found.changed) == {p for p, h in new.items() if old.get(p) != h}
    gone = {p for p in old if p not in new}
    assert all(any(p == r or p.startswith(r + "/") or p.startswith(r[:-3] + "/") for r in found.removed) for p in gone)
