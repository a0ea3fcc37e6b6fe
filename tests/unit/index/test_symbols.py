"""The outline behind documentSymbol, straight from text (real tree-sitter)."""

from __future__ import annotations

from specpilot.index.symbols import OutlineSymbol, document_outline, flatten

PY = '''import os


@decorated
class Shelf:
    """Books."""

    def add(self, book):
        def check(b):
            return b
        return check(book)

    class Slot:
        def fill(self):
            pass


def top_level(x):  # a comment
    return x
'''


def shape(symbols: list[OutlineSymbol]) -> list[tuple[str, str, int, int, list]]:  # type: ignore[type-arg]
    return [(s.kind, s.name, s.start_line, s.end_line, shape(s.children)) for s in symbols]


def test_python_outline_is_nested_with_lines_and_name_positions() -> None:
    outline = document_outline("shelf.py", PY)
    assert shape(outline) == [
        ("class", "Shelf", 4, 15, [
            ("method", "add", 8, 11, [("function", "check", 9, 10, [])]),
            ("class", "Slot", 13, 15, [("method", "fill", 14, 15, [])]),
        ]),
        ("function", "top_level", 18, 19, []),
    ]
    shelf, top = outline
    assert (shelf.name_line, shelf.name_column) == (5, 6)  # the decorator line is in the range, not the name
    assert (top.name_line, top.name_column, top.detail) == (18, 4, "def top_level(x)")
    assert [s.qualified_name for s in flatten(outline)] == [
        "Shelf", "Shelf.add", "Shelf.add.check", "Shelf.Slot", "Shelf.Slot.fill", "top_level"]


def test_go_methods_nest_under_their_receiver_type() -> None:
    source = ("package p\n\ntype Point struct{ X int }\n\nfunc (p *Point) Move(dx int) {\n\tp.X += dx\n}\n\n"
              "func Origin() Point { return Point{} }\n")
    outline = document_outline("p.go", source)
    assert [(s.name, [c.name for c in s.children]) for s in outline] == [("Point", ["Move"]), ("Origin", [])]


def test_rust_impl_blocks_are_marked() -> None:
    source = "struct Stack;\n\nimpl Stack {\n    fn push(&mut self) {}\n}\n"
    outline = document_outline("s.rs", source)
    impl = [s for s in outline if s.is_impl]
    assert impl and [c.name for c in impl[0].children] == ["push"]


def test_unknown_languages_and_empty_text_have_no_outline() -> None:
    assert document_outline("notes.txt", "def looks_like_python():\n    pass\n") == []
    assert document_outline("empty.py", "   \n") == []


def test_broken_source_still_gives_the_symbols_that_parse() -> None:
    outline = document_outline("broken.py", "def ok():\n    return 1\n\ndef broken(:\n    pass\n")
    assert "ok" in [s.name for s in outline]
