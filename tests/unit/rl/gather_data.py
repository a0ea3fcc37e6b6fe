"""Recorded episodes whose best strategy depends on the query: an identifier's answer is among the keyword search's
results only; a sentence's answer is only a call-graph neighbour of hybrid search's best result. No single fixed
strategy of rl/gather.py answers both kinds; choosing by the query does."""

from __future__ import annotations

from typing import Any

from specpilot.rl.gather import Task
from specpilot.rl.gather_sources import ReplaySource

TARGET = ("t.py", "target")


def _items(prefix: str) -> list[list[Any]]:
    return [[f"{prefix}{i}", f"{prefix}.py", f"{prefix}_{i}", 100, round(1.0 - i * 0.05, 3)] for i in range(10)]


def episode(n: int) -> tuple[Task, ReplaySource]:
    identifier = n % 2 == 0
    query = f"parse_thing_{n}" if identifier else f"split the raw lines of request {n} into names"
    searches = {"bm25": _items("k"), "vector": _items("v"), "hybrid": _items("h")}
    expand: dict[str, dict[str, list[list[Any]]]] = {"graph": {}, "read_file": {}, "references": {}}
    if identifier:
        searches["bm25"][1] = ["T", *TARGET, 100, 0.95]
    else:
        expand["graph"]["h0"] = [["T", *TARGET, 50, 0.0]]
    data = {"query": query, "searches": searches, "expand": expand, "rerank": None, "file_tokens": {}}
    return Task(f"t{n}", query, (TARGET,)), ReplaySource(data)


def episodes(count: int, start: int = 0) -> list[tuple[Task, ReplaySource]]:
    return [episode(n) for n in range(start, start + count)]
