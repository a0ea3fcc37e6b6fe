"""What the editor offers where, and the edits the offers resolve to."""

from pathlib import Path

import pytest

from specpilot.ast_tools.edits import Refusal
from specpilot.ast_tools.offers import Offer, free_name, offers, resolve
from tests.unit.ast_tools.test_rename import write

SOURCE = """\
import functools


class Cache:
    @functools.cache
    def get(self, key):
        \"\"\"Look up.\"\"\"
        x = 1
        if key:
            y = x + 1
            z = y * 2
        return x


def café(): return "é"
"""


def kinds(start: tuple[int, int], end: tuple[int, int] | None = None, text: str = SOURCE) -> list[str]:
    return [o.kind for o in offers("m.py", text, start, end or start)]


def test_a_cursor_on_a_definition_offers_the_rewrites_it_can_take() -> None:
    assert kinds((5, 9)) == ["remove_decorator", "add_decorator", "change_signature"]  # it has a docstring
    assert kinds((3, 7)) == ["docstring", "add_decorator"]  # a class: no signature
    assert kinds((4, 5)) == kinds((5, 9))  # on the decorator line too
    [docstring, *_] = offers("m.py", SOURCE, (14, 2), (14, 2))
    assert (docstring.kind, docstring.line, docstring.column) == ("docstring", 14, 4)


@pytest.mark.parametrize(("start", "end", "offered"), [
    ((7, 0), (8, 0), True),  # one whole line
    ((7, 8), (7, 13), True),  # the statement without its indentation
    ((9, 0), (11, 0), True),  # inside the if
    ((8, 0), (11, 0), True),  # the whole if
    ((7, 0), (10, 5), False),  # cuts through the if
    ((7, 10), (8, 0), False),  # starts inside a statement
    ((0, 0), (1, 0), False),  # module level
])
def test_extract_is_offered_for_whole_statements_in_a_function(start: tuple[int, int], end: tuple[int, int],
                                                              offered: bool) -> None:
    assert ("extract" in kinds(start, end)) is offered


def test_nothing_is_offered_in_a_file_that_does_not_parse() -> None:
    assert kinds((5, 9), text=SOURCE + "def broken(:\n") == []


def test_offers_resolve_to_edits_of_the_file(tmp_path: Path) -> None:
    ws = write(tmp_path, {"m.py": SOURCE})
    by_kind = {o.kind: o for o in offers("m.py", SOURCE, (14, 2), (14, 2))}
    stub = resolve(ws, by_kind["docstring"]).files[0].new_text
    assert 'def café():\n    """TODO: summarize café.\n' in stub
    removed = resolve(ws, next(o for o in offers("m.py", SOURCE, (5, 9), (5, 9)) if o.kind == "remove_decorator"))
    assert removed.files[0].new_text == SOURCE.replace("    @functools.cache\n", "")
    [extract] = [o for o in offers("m.py", SOURCE, (9, 0), (11, 0)) if o.kind == "extract"]
    extracted = resolve(ws, Offer.from_data(extract.data())).files[0].new_text
    assert "        if key:\n            self.extracted(x)\n        return x\n" in extracted
    assert "    @staticmethod\n    def extracted(x):\n        y = x + 1\n" in extracted
    with pytest.raises(Refusal, match="needs more input"):
        resolve(ws, next(o for o in offers("m.py", SOURCE, (5, 9), (5, 9)) if o.kind == "change_signature"))
    with pytest.raises(Refusal, match="not a SpecPilot code action"):
        Offer.from_data({"title": "x"})


def test_a_free_name_avoids_every_name_in_the_file() -> None:
    assert free_name("x = 1\n", "extracted") == "extracted"
    assert free_name("def extracted(): pass\nextracted_2 = 1\n", "extracted") == "extracted_3"
