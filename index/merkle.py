"""A Merkle tree of a workspace's file hashes: what differs between two trees, found in time proportional to the
difference, not to the repository.

A file's leaf is its content hash (the index's manifest has it). A folder's node lists its entries, each
``(name, kind, hash)`` with kind ``"f"`` (file) or ``"d"`` (folder), sorted by name; the folder's hash is the
SHA-256 of that list. Two trees with the same root hash hold the same files; otherwise :func:`diff` walks down
from the root, level by level, asking for the other tree's nodes only where the hashes differ (``fetch``: one call
per level, with every node that level needs), so a branch that changes one file in a deep folder costs one node
per level on its path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

Entry = tuple[str, str, str]  # (name, "f" | "d", hash)
Fetch = Callable[[Sequence[str]], Mapping[str, Sequence[Entry]]]  # node hashes -> their entries


def node_hash(entries: Sequence[Entry]) -> str:
    return hashlib.sha256(json.dumps(sorted(entries), separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True)
class Tree:
    """A tree built from ``{path: content hash}``: its root hash and every folder node by hash."""

    root: str
    nodes: dict[str, tuple[Entry, ...]]
    files: dict[str, str] = field(repr=False)

    def node_json(self, node: str) -> str:
        return json.dumps([list(e) for e in self.nodes[node]], separators=(",", ":"))


def parse_node(text: str) -> tuple[Entry, ...]:
    """A node as stored (:meth:`Tree.node_json`); ValueError when it is not one."""
    data = json.loads(text)
    if not isinstance(data, list) or not all(isinstance(e, list) and len(e) == 3 and e[1] in ("f", "d")
                                             and all(isinstance(x, str) for x in e) for e in data):
        raise ValueError("not a Merkle tree node")
    return tuple((e[0], e[1], e[2]) for e in data)


def build(files: Mapping[str, str]) -> Tree:
    """The tree of ``files`` (POSIX relative paths -> content hashes)."""
    children: dict[str, dict[str, tuple[str, str]]] = {"": {}}  # folder -> name -> (kind, file hash or "")
    for path, digest in files.items():
        parts = path.split("/")
        for depth in range(len(parts) - 1):
            parent, name = "/".join(parts[:depth]), parts[depth]
            children.setdefault(parent, {})[name] = ("d", "")
            children.setdefault("/".join(parts[:depth + 1]), {})
        children.setdefault("/".join(parts[:-1]), {})[parts[-1]] = ("f", digest)
    nodes: dict[str, tuple[Entry, ...]] = {}
    hashes: dict[str, str] = {}
    for folder in sorted(children, key=lambda f: -f.count("/") - (1 if f else 0)):  # deepest first
        entries = tuple(sorted((name, kind, digest if kind == "f" else hashes[f"{folder}/{name}" if folder else name])
                               for name, (kind, digest) in children[folder].items()))
        hashes[folder] = node_hash(entries)
        nodes[hashes[folder]] = entries
    return Tree(hashes[""], nodes, dict(files))


@dataclass
class Diff:
    """How a local tree differs from another: files to take from the local side (new or changed), paths only
    the other side has, and how many of the other side's nodes were fetched to find out."""

    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    fetched: int = 0
    new_nodes: list[str] = field(default_factory=list)  # local folder nodes the other side lacks


def diff(local: Tree, other_root: str | None, fetch: Fetch) -> Diff:
    """What differs between ``local`` and the tree whose root is ``other_root`` (None: an empty tree), asking
    ``fetch`` for the other tree's nodes one level at a time. KeyError when ``fetch`` lacks a node it was asked
    for (a half-written tree)."""
    out = Diff()
    if other_root == local.root:
        return out
    if other_root is None:
        out.changed = sorted(local.files)
        out.new_nodes = list(local.nodes)
        return out
    level: list[tuple[str, str, str]] = [("", local.root, other_root)]  # (folder, local hash, other hash)
    while level:
        wanted = sorted({other for _, _, other in level})
        found = fetch(wanted)
        out.fetched += len(wanted)
        following: list[tuple[str, str, str]] = []
        for folder, mine, other in level:
            out.new_nodes.append(mine)
            theirs = {name: (kind, digest) for name, kind, digest in found[other]}
            for name, kind, digest in local.nodes[mine]:
                path = f"{folder}/{name}" if folder else name
                there = theirs.pop(name, None)
                if there == (kind, digest):
                    continue
                if kind == "d" and there is not None and there[0] == "d":
                    following.append((path, digest, there[1]))
                elif kind == "d":
                    out.changed += _files_under(local, digest, path)
                    out.new_nodes += _nodes_under(local, digest)
                    if there is not None:
                        out.removed.append(path)
                else:
                    out.changed.append(path)
                    if there is not None and there[0] == "d":
                        out.removed.append(path)
            out.removed += [f"{folder}/{name}" if folder else name for name in theirs]
        level = following
    out.changed.sort()
    out.removed.sort()
    return out


def _files_under(tree: Tree, node: str, path: str) -> list[str]:
    out = []
    for name, kind, digest in tree.nodes[node]:
        child = f"{path}/{name}"
        out += _files_under(tree, digest, child) if kind == "d" else [child]
    return out


def _nodes_under(tree: Tree, node: str) -> Iterable[str]:
    yield node
    for _, kind, digest in tree.nodes[node]:
        if kind == "d":
            yield from _nodes_under(tree, digest)
