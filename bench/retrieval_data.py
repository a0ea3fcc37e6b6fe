"""Build the docstring -> function retrieval set from this Python's standard library (the engine's
rl/docstring_set.py, which ``specpilot train policy`` uses too).

Usage::

    python bench/retrieval_data.py WORKDIR [--packages email,json,...] [--force]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from specpilot.rl.docstring_set import PACKAGES, build, is_built, load_queries, stdlib_root, unambiguous

__all__ = ["PACKAGES", "build", "is_built", "load_queries", "stdlib_root", "unambiguous"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--packages", default=",".join(PACKAGES))
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    ws, queries = build(args.workdir, tuple(args.packages.split(",")), force=args.force)
    files = sum(1 for _ in ws.rglob("*.py"))
    per_package = Counter(q["path"].split("/", 1)[0] for q in queries)
    print(f"{files} files in {ws}; {len(queries)} queries: {dict(per_package)}")


if __name__ == "__main__":
    main()
