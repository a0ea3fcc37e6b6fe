"""From a decision's features to a bandit's context.

A decision point (core/policy.py) passes numeric features only. Categorical ones are one-hot names
such as ``task=fix`` or ``lang=python`` with the value 1.0; :func:`features` builds them from what a
face knows about the request (task kind, language, spec profile, repository size, query length).
The context's ``bucket`` (what per-bucket learners key on) is the sorted list of the one-hot names
that are set; every feature, numeric ones included, goes to the linear learners.
"""

from __future__ import annotations

from collections.abc import Mapping

from specpilot.rl.events import Context

# Repository size buckets by file count (what the index holds): small, medium, large, huge.
SIZE_BUCKETS = ((200, "s"), (2_000, "m"), (20_000, "l"))
# Query (task) length buckets by words.
LENGTH_BUCKETS = ((6, "short"), (25, "medium"))


def _bucket(value: int, edges: tuple[tuple[int, str], ...], last: str) -> str:
    return next((name for edge, name in edges if value < edge), last)


def features(*, task: str = "", language: str = "", profile: str = "", files: int | None = None,
             words: int | None = None, **numbers: float) -> dict[str, float]:
    """The features of a decision: one-hot ``task=``, ``lang=``, ``profile=``, ``size=`` and ``qlen=``
    names (those given), plus any numeric ones passed by name."""
    out: dict[str, float] = {}
    for name, value in (("task", task), ("lang", language), ("profile", profile)):
        if value:
            out[f"{name}={value.strip().lower()}"] = 1.0
    if files is not None:
        out[f"size={_bucket(files, SIZE_BUCKETS, 'xl')}"] = 1.0
    if words is not None:
        out[f"qlen={_bucket(words, LENGTH_BUCKETS, 'long')}"] = 1.0
    out.update({name: float(value) for name, value in numbers.items()})
    return out


def context_of(given: Mapping[str, float]) -> Context:
    """The bandit context of a decision's features: the set one-hot names are its bucket."""
    bucket = "|".join(sorted(name for name, value in given.items() if "=" in name and value))
    return Context(bucket, dict(given))
