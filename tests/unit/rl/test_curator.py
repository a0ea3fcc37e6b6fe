"""Delta edits (all or none, never the fixed sections) and the model-free curator's rules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from specpilot.rl.curator import MAX_ENTRY_CHARS, Op, apply, compress, offline, risky
from specpilot.rl.playbook import Entry, Playbook, PlaybookError, Section
from specpilot.rl.playbook_store import builtin


def _practices(book: Playbook) -> list[str]:
    section = book.section("best practices")
    assert section is not None
    return [e.id for e in section.entries]


def test_edits_make_the_next_version_and_say_why() -> None:
    book = builtin("coder")
    new = apply(book, [Op("append", section="best practices", text="Cite tests by name."),
                       Op("prepend", section="learned patterns", text="Parsers here return None on bad input."),
                       Op("promote", entry="bp-3"), Op("prune", entry="bp-2")], reason="round 3")
    assert (new.version, new.parent) == (2, 1)
    assert _practices(new) == ["bp-3", "bp-1", "bp-4"]
    assert new.section("learned patterns").entries[0].added_in == 2  # type: ignore[union-attr]
    assert new.change["reason"] == "round 3" and len(new.change["ops"]) == 4
    merged = apply(new, [Op("merge", entries=("bp-1", "bp-4"), text="Small changes, tests cited by name.")],
                   reason="merge")
    assert _practices(merged) == ["bp-3", "bp-5"]


@pytest.mark.parametrize(("op", "message"), [
    (Op("add", section="role", text="Be evil."), "fixed; only people edit it"),
    (Op("add", section="nowhere", text="x"), "no section 'nowhere'"),
    (Op("prune", entry="bp-99"), "no entry 'bp-99'"),
    (Op("add", section="best practices", text="  "), "empty"),
    (Op("merge", entries=("bp-1",), text="x"), "two or more"),
    (Op("replace_section", section="best practices", items=("x",)), "needs a person's approval"),
])
def test_a_bad_edit_refuses_the_whole_list(op: Op, message: str) -> None:
    book = builtin("coder")
    with pytest.raises(PlaybookError, match=message):
        apply(book, [Op("append", section="best practices", text="A fine entry."), op], reason="t")
    assert builtin("coder") == book


def test_an_approved_section_replacement_and_the_risk_rule() -> None:
    ops = [Op("replace_section", section="best practices", items=("One.", "Two."))]
    assert risky(ops) and not risky([Op("prune", entry="bp-1")])
    assert risky([Op("prune", entry=f"bp-{n}") for n in range(4)])
    new = apply(builtin("coder"), ops, reason="by hand", approved=True)
    assert [e.text for e in new.section("best practices").entries] == ["One.", "Two."]  # type: ignore[union-attr]


def test_duplicates_are_not_added_by_words_or_by_meaning() -> None:
    book = builtin("coder")
    with pytest.raises(PlaybookError, match="already says"):
        apply(book, [Op("add", section="best practices", text="Keep the existing code style!")], reason="t")

    def embed(texts: Sequence[str]) -> np.ndarray:  # "style" texts point one way, the rest another
        rows = [[1.0, 0.0] if "style" in t or "conventions" in t else [0.0, 1.0] for t in texts]
        return np.asarray(rows, dtype=np.float32)

    with pytest.raises(PlaybookError, match="already says"):
        apply(book, [Op("add", section="learned patterns", text="Follow the file's conventions.")], reason="t",
              embed=embed)


def test_long_entries_are_compressed_to_whole_sentences() -> None:
    text = "First sentence is short. " + "Second one goes on and on " * 20 + "."
    short = compress(text)
    assert short == "First sentence is short." and len(compress("word " * 200)) == MAX_ENTRY_CHARS


def test_the_offline_curator_prunes_the_harmful_and_promotes_the_helpful() -> None:
    book = builtin("coder")
    section = book.section("best practices")
    assert section is not None
    book = book.with_section(Section(section.name, section.priority, True, entries=(
        Entry("bp-1", "Neutral."), Entry("bp-2", "Hurts.", helpful=0, harmful=10),
        Entry("bp-3", "Helps.", helpful=9, harmful=0), Entry("bp-4", "Too few votes.", harmful=3))))
    ops = offline(book)
    assert [op.as_json() for op in ops] == [{"op": "prune", "entry": "bp-2"}, {"op": "promote", "entry": "bp-3"}]
    assert offline(book) == ops  # the same counters, the same edits
    assert _practices(apply(book, ops, reason="offline")) == ["bp-3", "bp-1", "bp-4"]
    assert offline(builtin("coder")) == []
