"""The files a reader of some files is likely to ask about next: what they import, and what imports them.

Used to order the embedding queue (open files, then their neighbours, then the rest).
Python only: module names come from the indexed paths (``pkg/mod.py`` is ``pkg.mod``,
``pkg/__init__.py`` is ``pkg``); relative imports are resolved from the importer's package.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence


def neighbour_files(indexed: Iterable[str], imports_of: Callable[[str], Iterable[tuple[object, str]]],
                    paths: Sequence[str]) -> list[str]:
    """``paths`` (the indexed ones), then the indexed Python files they import and those that
    import them. ``imports_of(path)`` gives ``(anything, imported module name)`` pairs."""
    indexed = list(indexed)
    known = set(indexed)
    files = [p for p in indexed if p.endswith(".py")]
    modules: dict[str, str] = {}
    for rel in files:
        parts = rel[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            modules[".".join(parts)] = rel
    wanted = [p for p in dict.fromkeys(paths) if p in known]
    found: dict[str, None] = dict.fromkeys(wanted)

    def resolve(target: str, importer: str) -> str | None:
        if target.startswith("."):  # relative: from the importer's package
            dots = len(target) - len(target.lstrip("."))
            package = importer.split("/")[:-1]
            package = package[:len(package) - (dots - 1)] if dots > 1 else package
            target = ".".join(package + [target.lstrip(".")]).strip(".")
        while target:
            if target in modules:
                return modules[target]
            target = target.rpartition(".")[0]
        return None

    for rel in wanted:
        if not rel.endswith(".py"):
            continue
        for _, target in imports_of(rel):
            hit = resolve(target, rel)
            if hit is not None:
                found.setdefault(hit, None)
    if wanted:
        for rel in files:
            if rel not in found and any(resolve(t, rel) in wanted for _, t in imports_of(rel)):
                found.setdefault(rel, None)
    return list(found)
