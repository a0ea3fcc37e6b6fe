"""The tree-sitter chunker and symbol graph, on small real snippets per language."""

from __future__ import annotations

import textwrap

import pytest

from specpilot.index.chunker import chunk_file
from specpilot.index.model import Chunk, ParsedFile, SymbolEntry, content_hash


def src(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def by_qname(parsed: ParsedFile) -> dict[str, Chunk]:
    """Chunks by qualified name (first part / ordinal 0 only)."""
    out: dict[str, Chunk] = {}
    for chunk in parsed.chunks:
        out.setdefault(chunk.qualified_name, chunk)
    return out


def symbols(parsed: ParsedFile, kind: str) -> set[tuple[str, str, int, str]]:
    return {(s.name, s.scope, s.line, s.target) for s in parsed.symbols if s.kind == kind}


def source_lines(text: str, chunk: Chunk) -> str:
    return "\n".join(text.split("\n")[chunk.start_line - 1 : chunk.end_line])


# --- Python ---------------------------------------------------------------------

PY = src('''
    """Parse HTTP headers."""
    import os.path
    from email import parser as email_parser

    LIMIT = 100


    def parse_headers(fp, _class=None):
        """Read headers from fp.

        Stops at a blank line.
        """
        return email_parser.Parser(_class=_class).parsestr(fp.read())


    @dataclass(frozen=True)
    class Message(Base):
        """One message."""

        kind: str = "text"

        @property
        def size(self) -> int:
            return len(self.body)

        @size.setter
        def size(self, value: int) -> None:
            self._size = check(value)

        async def send(
            self,
            to: str,
        ) -> bool:
            def retry():
                return deliver(to)
            return retry()
''')


def test_python_symbol_chunks_have_kinds_names_lines_signatures_and_docstrings() -> None:
    parsed = chunk_file("pkg/headers.py", PY)
    chunks = by_qname(parsed)
    assert parsed.language == "python" and parsed.syntax_error is None

    func = chunks["parse_headers"]
    assert (func.kind, func.name, func.start_line, func.end_line) == ("function", "parse_headers", 8, 13)
    assert func.signature == "def parse_headers(fp, _class=None)"
    assert func.docstring == "Read headers from fp.\n\nStops at a blank line."
    assert func.text == source_lines(PY, func)

    cls = chunks["Message"]
    assert cls.kind == "class" and cls.signature == "class Message(Base)"
    assert cls.start_line == 16  # the decorator line belongs to the class
    assert cls.text.startswith("@dataclass(frozen=True)\nclass Message(Base):")
    assert cls.docstring == "One message."

    send = chunks["Message.send"]
    assert send.kind == "method" and send.name == "send"
    assert send.signature == "async def send(self, to: str) -> bool"
    assert chunks["Message.send.retry"].kind == "function"
    assert all(c.path == "pkg/headers.py" for c in parsed.chunks)


def test_python_module_chunk_holds_docstring_imports_and_top_level_code_only() -> None:
    parsed = chunk_file("pkg/headers.py", PY)
    modules = [c for c in parsed.chunks if c.kind == "module"]
    assert len(modules) == 1
    module = modules[0]
    assert module.docstring == "Parse HTTP headers."
    assert "import os.path" in module.text and "LIMIT = 100" in module.text
    assert "def parse_headers" not in module.text and "return retry()" not in module.text
    assert (module.start_line, module.end_line) == (1, 5)


def test_class_chunk_keeps_method_signatures_but_elides_their_bodies() -> None:
    chunks = by_qname(chunk_file("m.py", PY))
    cls = chunks["Message"]
    assert 'kind: str = "text"' in cls.text
    assert "    @property\n    def size(self) -> int:\n        ...\n" in cls.text
    assert "return len(self.body)" not in cls.text
    assert "deliver(to)" not in cls.text
    assert cls.end_line == PY.count("\n")  # the range still spans the whole class
    assert "return len(self.body)" in chunks["Message.size"].text


def test_redefinitions_get_increasing_ordinals_and_unique_ids() -> None:
    parsed = chunk_file("m.py", PY)
    sizes = [c for c in parsed.chunks if c.qualified_name == "Message.size"]
    assert [(c.ordinal, c.start_line) for c in sizes] == [(0, 22), (1, 26)]
    assert "setter" in sizes[1].text
    ids = [c.id for c in parsed.chunks]
    assert len(ids) == len(set(ids))


def test_python_graph_defs_calls_and_imports_with_scopes() -> None:
    parsed = chunk_file("m.py", PY)
    assert {("parse_headers", "", 8, ""), ("Message", "", 17, "class:Base"), ("size", "Message", 23, ""),
            ("size", "Message", 27, ""), ("send", "Message", 30, ""),
            ("retry", "Message.send", 34, "")} <= symbols(parsed, "def")
    calls = symbols(parsed, "call")
    assert ("parsestr", "parse_headers", 13, "") in calls
    assert ("Parser", "parse_headers", 13, "") in calls  # email_parser.Parser(...)
    assert ("check", "Message.size", 28, "") in calls
    assert ("deliver", "Message.send.retry", 35, "") in calls
    assert ("retry", "Message.send", 36, "") in calls
    assert ("dataclass", "", 16, "") in calls
    assert symbols(parsed, "import") == {("os.path", "", 2, "os.path"), ("email_parser", "", 3, "email.parser")}


def test_python_import_forms() -> None:
    parsed = chunk_file("m.py", src("""
        import os.path, sys as system
        from a.b import c as d, e
        from . import sibling
        from ..pkg import *
        from __future__ import annotations

        def f():
            import json
    """))
    assert symbols(parsed, "import") == {
        ("os.path", "", 1, "os.path"), ("system", "", 1, "sys"),
        ("d", "", 2, "a.b.c"), ("e", "", 2, "a.b.e"),
        ("sibling", "", 3, ".sibling"), ("*", "", 4, "..pkg.*"),
        ("annotations", "", 5, "__future__.annotations"),
        ("json", "f", 8, "json"),
    }


# --- splitting --------------------------------------------------------------------


def test_huge_function_is_split_into_parts_sharing_name_and_signature() -> None:
    body = "".join(f"    total += step({i})\n" for i in range(298))
    text = f'def crunch(n):\n    """Adds."""\n{body}'
    parsed = chunk_file("big.py", text, max_chunk_lines=120)
    parts = [c for c in parsed.chunks if c.qualified_name == "crunch"]
    assert [c.ordinal for c in parts] == [0, 1, 2]
    assert all(c.kind == "function" and c.signature == "def crunch(n)" for c in parts)
    assert [c.docstring for c in parts] == ["Adds.", "", ""]
    assert parts[0].start_line == 1 and parts[-1].end_line == 300
    for before, after in zip(parts, parts[1:]):
        assert after.start_line == before.end_line + 1  # no gap, no overlap
    assert all(c.end_line - c.start_line + 1 <= 120 for c in parts)
    assert "\n".join(c.text for c in parts) == text.rstrip("\n")


def test_big_class_becomes_header_chunks_plus_method_chunks() -> None:
    fields = "".join(f"    field_{i}: int = {i}\n" for i in range(30))
    methods = "".join(
        f"    def method_{i}(self, x):\n" + "".join(f"        x = x + {j}\n" for j in range(8)) + "        return x\n\n"
        for i in range(12)
    )
    text = f'class Big:\n    """A big class."""\n{fields}\n{methods}'
    parsed = chunk_file("big.py", text, max_chunk_lines=40)
    headers = [c for c in parsed.chunks if c.qualified_name == "Big"]
    methods_found = [c for c in parsed.chunks if c.kind == "method"]
    assert len(methods_found) == 12
    assert all(c.qualified_name == f"Big.method_{i}" for i, c in enumerate(methods_found))
    assert len(headers) == 2  # 30 fields + 12 elided methods do not fit in 40 lines
    assert [c.ordinal for c in headers] == [0, 1]
    joined = "\n".join(c.text for c in headers)
    assert "field_29: int = 29" in joined and "def method_11(self, x):" in joined
    assert "x = x + 3" not in joined
    assert headers[0].docstring == "A big class." and headers[0].start_line == 1
    assert headers[-1].end_line == methods_found[-1].end_line


def test_long_top_level_code_becomes_overlapping_module_windows() -> None:
    text = "".join(f"print({i})\n" for i in range(200))
    parsed = chunk_file("script.py", text, max_chunk_lines=120, window_lines=60, window_overlap=10)
    assert [(c.kind, c.start_line, c.end_line, c.ordinal) for c in parsed.chunks] == [
        ("module", 1, 60, 0), ("module", 51, 110, 1), ("module", 101, 160, 2), ("module", 151, 200, 3),
    ]


# --- other files ------------------------------------------------------------------


def test_unknown_language_falls_back_to_line_windows() -> None:
    text = "".join(f"line {i}\n" for i in range(1, 131))
    parsed = chunk_file("docs/guide.md", text, window_lines=60, window_overlap=10)
    assert parsed.language == "markdown" and parsed.symbols == []
    assert [(c.kind, c.start_line, c.end_line) for c in parsed.chunks] == [
        ("window", 1, 60), ("window", 51, 110), ("window", 101, 130),
    ]
    first = parsed.chunks[0]
    assert first.name == "guide.md" and first.text.startswith("line 1\n") and first.text.endswith("line 60")
    assert len({c.id for c in parsed.chunks}) == 3
    assert chunk_file("data.unknownext", "x\n").language == "text"


def test_empty_and_blank_files_have_no_chunks() -> None:
    assert chunk_file("empty.py", "").chunks == []
    assert chunk_file("blank.rs", "\n\n   \n").chunks == []
    assert chunk_file("notes.txt", "").chunks == []


def test_syntax_error_is_recorded_and_the_rest_still_chunked() -> None:
    text = "def half_written(:\n    return 1\n\n\ndef still_found():\n    return 2\n"
    parsed = chunk_file("broken.py", text)
    assert parsed.syntax_error is not None and parsed.syntax_error.startswith("line 1:")
    assert "still_found" in by_qname(parsed)

    go = chunk_file("broken.go", "package p\n\nfunc ok() int { return 1 }\n\nfunc bad() {\n\tx := \n")
    assert go.syntax_error is not None and go.syntax_error.startswith("line ")
    assert "ok" in by_qname(go)
    assert chunk_file("fine.go", "package p\n\nfunc ok() {}\n").syntax_error is None


def test_a_failing_parse_falls_back_to_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_outline(*args: object, **kwargs: object) -> None:
        raise RuntimeError("grammar exploded")

    monkeypatch.setattr("specpilot.index.chunker.outline", broken_outline)
    parsed = chunk_file("m.py", PY, window_lines=20, window_overlap=5)
    assert parsed.syntax_error == "parse failed: grammar exploded"
    assert parsed.symbols == []
    assert [c.kind for c in parsed.chunks] == ["window"] * 3
    assert parsed.chunks[0].language == "python" and parsed.chunks[-1].end_line == PY.count("\n")


def test_unchanged_text_same_hashes_and_an_edit_changes_only_its_chunk() -> None:
    first = chunk_file("pkg/headers.py", PY)
    again = chunk_file("pkg/headers.py", PY)
    assert [c.content_hash for c in first.chunks] == [c.content_hash for c in again.chunks]
    assert all(c.content_hash == content_hash(c.embed_text()) for c in first.chunks)

    edited = chunk_file("pkg/headers.py", PY.replace("return len(self.body)", "return len(self.body) + 1"))
    before = {c.id: c.content_hash for c in first.chunks}
    after = {c.id: c.content_hash for c in edited.chunks}
    assert before.keys() == after.keys()
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"pkg/headers.py::Message.size::0"}


def test_windows_line_endings_chunk_like_unix_ones() -> None:
    unix = chunk_file("m.py", PY)
    dos = chunk_file("m.py", PY.replace("\n", "\r\n"))
    assert [(c.id, c.start_line, c.end_line, c.content_hash) for c in dos.chunks] == [
        (c.id, c.start_line, c.end_line, c.content_hash) for c in unix.chunks
    ]


# --- JavaScript / TypeScript --------------------------------------------------------

JS = src("""
    import React, { useState as useS } from 'react';
    import * as path from "node:path";
    const { readFile, join: pathJoin } = require('./fs-utils');

    /**
     * Adds two numbers.
     * @param a first
     */
    export function add(a, b) {
      return helper(a) + math.round(b);
    }

    // Doubles x.
    export const double = (x) => x * 2;

    export class Counter extends Base {
      count = 0;

      increment(step) {
        this.count += step;
        return new Event('inc');
      }
    }
""")


def test_javascript_functions_arrows_classes_and_methods() -> None:
    parsed = chunk_file("src/math.js", JS)
    chunks = by_qname(parsed)
    assert parsed.language == "javascript"

    add = chunks["add"]
    assert (add.kind, add.start_line, add.end_line) == ("function", 5, 11)  # JSDoc included
    assert add.signature == "export function add(a, b)"
    assert add.docstring == "Adds two numbers.\n@param a first"

    double = chunks["double"]
    assert (double.kind, double.signature, double.docstring) == (
        "function", "export const double = (x) =>", "Doubles x.")

    counter = chunks["Counter"]
    assert counter.kind == "class" and counter.signature == "export class Counter extends Base"
    assert "increment(step) {\n    ...\n  }" in counter.text
    inc = chunks["Counter.increment"]
    assert (inc.kind, inc.start_line, inc.end_line, inc.signature) == ("method", 19, 22, "increment(step)")


def test_javascript_graph() -> None:
    parsed = chunk_file("src/math.js", JS)
    assert symbols(parsed, "import") == {
        ("React", "", 1, "react"), ("useS", "", 1, "react"), ("path", "", 2, "node:path"),
        ("readFile", "", 3, "./fs-utils"), ("pathJoin", "", 3, "./fs-utils"),
    }
    calls = symbols(parsed, "call")
    assert {("helper", "add", 10, ""), ("round", "add", 10, ""), ("Event", "Counter.increment", 21, "")} <= calls
    assert not any(name == "require" for name, *_ in calls)
    assert ("increment", "Counter", 19, "") in symbols(parsed, "def")


TS = src("""
    import type { Config } from './config';

    export interface Store<T> {
      get(key: string): T;
    }

    export enum Mode { Fast, Safe }

    export abstract class Cache<T> implements Store<T> {
      abstract get(key: string): T;

      protected load(key: string): T {
        return fetchValue<T>(key);
      }
    }
""")


def test_typescript_interfaces_enums_and_bodiless_members() -> None:
    parsed = chunk_file("src/cache.ts", TS)
    chunks = by_qname(parsed)
    assert parsed.language == "typescript"
    assert chunks["Store"].kind == "class" and chunks["Store"].signature == "export interface Store<T>"
    assert chunks["Mode"].kind == "class"
    assert chunks["Cache"].signature == "export abstract class Cache<T> implements Store<T>"
    assert chunks["Cache.load"].kind == "method"
    # Interface/abstract members without a body: in the graph, not separate chunks.
    assert "Store.get" not in chunks and "Cache.get" not in chunks
    assert {("get", "Store", 4, ""), ("get", "Cache", 10, "")} <= symbols(parsed, "def")
    assert ("fetchValue", "Cache.load", 13, "") in symbols(parsed, "call")
    assert symbols(parsed, "import") == {("Config", "", 1, "./config")}


def test_tsx_components_count_as_calls() -> None:
    text = src("""
        export const App = () => {
          return <Layout title="x"><div>{render()}</div><Footer /></Layout>;
        };
    """)
    parsed = chunk_file("src/App.tsx", text)
    assert parsed.language == "typescript" and parsed.syntax_error is None
    assert by_qname(parsed)["App"].kind == "function"
    names = {name for name, scope, _, _ in symbols(parsed, "call") if scope == "App"}
    assert names == {"Layout", "Footer", "render"}


# --- Go ---------------------------------------------------------------------------

GO = src("""
    package geo

    import (
    \t"fmt"
    \tstr "strings"
    \t"gopkg.in/yaml.v3"
    )

    // Point is a 2D point.
    type Point struct {
    \tX, Y int
    }

    // Dist returns the distance.
    func (p *Point) Dist(q Point) float64 {
    \treturn fmt.Sprint(str.ToUpper("x")) + helper(q)
    }

    func helper(q Point) float64 { return 0 }
""")


def test_go_types_methods_and_functions() -> None:
    parsed = chunk_file("geo/point.go", GO)
    chunks = by_qname(parsed)
    point = chunks["Point"]
    assert (point.kind, point.signature, point.docstring, point.start_line) == (
        "class", "type Point struct", "Point is a 2D point.", 9)
    dist = chunks["Point.Dist"]
    assert (dist.kind, dist.name, dist.start_line, dist.end_line) == ("method", "Dist", 14, 17)
    assert dist.signature == "func (p *Point) Dist(q Point) float64"
    assert dist.docstring == "Dist returns the distance."
    assert chunks["helper"].kind == "function"
    assert "package geo" in chunks["<module>"].text


def test_go_graph() -> None:
    parsed = chunk_file("geo/point.go", GO)
    assert ("Dist", "Point", 15, "") in symbols(parsed, "def")
    assert {("Sprint", "Point.Dist", 16, ""), ("ToUpper", "Point.Dist", 16, ""),
            ("helper", "Point.Dist", 16, "")} <= symbols(parsed, "call")
    assert symbols(parsed, "import") == {
        ("fmt", "", 4, "fmt"), ("str", "", 5, "strings"), ("yaml", "", 6, "gopkg.in/yaml.v3"),
    }


# --- Rust ---------------------------------------------------------------------------

RUST = src("""
    use std::collections::HashMap;
    use std::io::{self, Read as R};

    /// A counter.
    #[derive(Debug, Clone)]
    pub struct Counter {
        counts: HashMap<String, u32>,
    }

    impl Counter {
        /// Makes one.
        pub fn new() -> Self {
            Counter { counts: HashMap::new() }
        }
    }

    pub trait Named {
        fn name(&self) -> String;
        fn shout(&self) -> String { self.name().to_uppercase() }
    }

    mod tests {
        #[test]
        fn counts() { helper::<u8>(1); }
    }
""")


def test_rust_structs_impls_traits_and_modules() -> None:
    parsed = chunk_file("src/lib.rs", RUST)
    chunks = [(c.kind, c.qualified_name, c.ordinal, c.start_line, c.end_line) for c in parsed.chunks]
    assert ("class", "Counter", 0, 4, 8) in chunks  # doc comment + attribute included
    assert ("class", "Counter", 1, 10, 15) in chunks  # the impl block
    assert ("method", "Counter.new", 0, 11, 14) in chunks
    assert ("class", "Named", 0, 17, 20) in chunks
    assert ("method", "Named.shout", 0, 19, 19) in chunks
    assert ("function", "tests.counts", 0, 23, 24) in chunks
    named = by_qname(parsed)
    assert named["Counter"].docstring == "A counter." and named["Counter"].signature == "pub struct Counter"
    assert named["Counter.new"].docstring == "Makes one."
    assert named["Counter.new"].signature == "pub fn new() -> Self"


def test_rust_graph() -> None:
    parsed = chunk_file("src/lib.rs", RUST)
    defs = symbols(parsed, "def")
    assert {("Counter", "", 6, ""), ("new", "Counter", 12, ""), ("name", "Named", 18, ""),
            ("counts", "tests", 24, "")} <= defs
    calls = symbols(parsed, "call")
    assert {("new", "Counter.new", 13, ""), ("name", "Named.shout", 19, ""),
            ("to_uppercase", "Named.shout", 19, ""), ("helper", "tests.counts", 24, "")} <= calls
    assert symbols(parsed, "import") == {
        ("HashMap", "", 1, "std::collections::HashMap"), ("io", "", 2, "std::io"), ("R", "", 2, "std::io::Read"),
    }


# --- Java ---------------------------------------------------------------------------

JAVA = src("""
    package com.acme;

    import java.util.List;
    import static org.junit.Assert.*;

    /**
     * A repository.
     */
    @Service
    public class Repo<T> extends Base {
        private final List<T> items;

        /** Makes one. */
        public Repo(List<T> items) { this.items = items; }

        @Override
        public int size() {
            return items.size() + new Counter().get();
        }

        interface Listener { void changed(); }
    }
""")


def test_java_classes_methods_and_annotations() -> None:
    parsed = chunk_file("src/Repo.java", JAVA)
    chunks = by_qname(parsed)
    repo = chunks["Repo"]
    assert (repo.kind, repo.start_line, repo.end_line) == ("class", 6, 22)
    assert repo.signature == "public class Repo<T> extends Base"
    assert repo.docstring == "A repository."
    size = chunks["Repo.size"]
    assert (size.kind, size.start_line, size.end_line, size.signature) == ("method", 16, 19, "public int size()")
    assert size.text.startswith("    @Override\n")
    assert chunks["Repo.Repo"].docstring == "Makes one."
    assert chunks["Repo.Listener"].kind == "class"
    assert "return items.size()" not in repo.text


def test_java_graph() -> None:
    parsed = chunk_file("src/Repo.java", JAVA)
    assert {("size", "Repo.size", 18, ""), ("Counter", "Repo.size", 18, ""), ("get", "Repo.size", 18, "")} <= symbols(
        parsed, "call")
    assert ("changed", "Repo.Listener", 21, "") in symbols(parsed, "def")
    assert symbols(parsed, "import") == {("List", "", 3, "java.util.List"), ("*", "", 4, "org.junit.Assert.*")}


@pytest.mark.parametrize(
    ("path", "text"),
    [("a.py", PY), ("a.js", JS), ("a.ts", TS), ("a.go", GO), ("a.rs", RUST), ("A.java", JAVA)],
)
def test_every_symbol_row_and_chunk_is_well_formed(path: str, text: str) -> None:
    parsed = chunk_file(path, text)
    n_lines = text.count("\n")
    assert parsed.chunks and parsed.symbols
    for chunk in parsed.chunks:
        assert 1 <= chunk.start_line <= chunk.end_line <= n_lines
        assert chunk.kind in {"function", "method", "class", "module"}
    for symbol in parsed.symbols:
        assert isinstance(symbol, SymbolEntry) and symbol.path == path
        assert symbol.kind in {"def", "call", "import"} and 1 <= symbol.line <= n_lines and symbol.name
