"""index/rerank_sources.py: which files the reranker's base training reads, and the pairs one module yields."""

from __future__ import annotations

import ast
from pathlib import Path

from specpilot.index.rerank_sources import (
    HELD_OUT,
    MAX_BLOCK_LINES,
    first_sentence,
    identifier_words,
    left_out,
    module_candidates,
    source_files,
    strip_docstrings,
)

REPO = Path(__file__).resolve().parents[3]

MODULE = '''\
import functools


@functools.lru_cache(maxsize=None)
def parse_cookie_header(header: str) -> dict[str, str]:
    """Split a cookie header into its name and value pairs.

    More words that are not the first sentence.
    """
    def clean(part):
        """Nested go too."""
        return part.strip()

    return dict(clean(p).split("=", 1) for p in header.split(";"))


def loadConfigFile(path):
    return open(path).read()


def stub_only():
    """A stub with nothing but its docstring here."""
    ...


def summarise(values):
    total = 0
    # Sum the values that are positive numbers only
    for value in values:
        if value > 0:
            total += value
    count = len(values)

    # noqa: this is a pragma line not a comment
    mean = total / count
    # x = compute(values)
    return mean
'''


def test_held_out_matches_the_benchmark_packages() -> None:
    from specpilot.rl.docstring_set import PACKAGES

    bench_text = (REPO / "bench" / "retrieval_data.py").read_text(encoding="utf-8")
    assert "from specpilot.rl.docstring_set import PACKAGES" in bench_text  # the benchmark's set is the engine's
    assert PACKAGES == HELD_OUT == ("email", "logging", "asyncio", "json", "http", "urllib", "importlib", "concurrent")


def test_held_out_tests_and_copies_are_left_out() -> None:
    assert left_out(("json", "decoder.py")) == "held-out package"
    assert left_out(("email.py",)) == "held-out package"
    assert left_out(("mylib", "_vendor", "logging", "handlers.py")) == "held-out package"
    assert left_out(("importlib_metadata", "__init__.py")) == "held-out package"
    assert left_out(("mylib", "_vendor", "urllib3", "util.py")) is None  # not the standard library's urllib
    assert left_out(("mylib", "tests", "helpers.py")) is not None
    assert left_out(("mylib", "test_things.py")) is not None
    assert left_out(("mylib-1.0.dist-info", "x.py")) is not None
    assert left_out(("extra", "core.py"), exclude=("extra",)) == "held-out package"
    assert left_out(("mylib", "core.py")) is None


def test_source_files_skip_large_files_and_do_not_enter_left_out_folders(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "__pycache__").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "big.py").write_text("#" * 300_000)
    (tmp_path / "pkg" / "__pycache__" / "a.py").write_text("x = 1\n")
    (tmp_path / "json").mkdir()
    (tmp_path / "json" / "x.py").write_text("x = 1\n")
    found = {path.relative_to(tmp_path).as_posix(): why for path, why in source_files(tmp_path)}
    assert found == {"pkg/a.py": None, "pkg/big.py": "larger than the size limit"}


def test_queries_read_like_the_benchmark() -> None:
    assert first_sentence("Split a header.  More.\n\nOther paragraph.") == "Split a header."
    assert identifier_words("_parse_cookieHeader") == ["parse", "cookie", "header"]
    assert identifier_words("HTTPServerRequest") == ["http", "server", "request"]


def test_docstring_and_identifier_pairs_strip_every_docstring() -> None:
    found = module_candidates(MODULE, "src/pkg/mod.py", "pkg")
    docstrings = {c.query: c for c in found if c.kind == "docstring"}
    assert list(docstrings) == ["Split a cookie header into its name and value pairs."]  # the stub is left out
    positive = docstrings["Split a cookie header into its name and value pairs."].positive
    # Where the code is comes first (as a searched chunk's file and qualified name), then the code.
    assert positive.startswith("#> pkg/mod.py parse_cookie_header\n@functools.lru_cache(maxsize=None)\n"
                               "def parse_cookie_header(header: str)")
    assert '"""' not in positive and "Nested go" not in positive
    assert "return part.strip()" in positive and positive.endswith('split(";"))')
    identifiers = {c.query: c.positive for c in found if c.kind == "identifier"}
    assert identifiers["parse cookie header"] == positive
    assert identifiers["load config file"] == "#> pkg/mod.py loadConfigFile\ndef loadConfigFile(path):\n" \
                                              "    return open(path).read()"
    assert all(c.source == "src/pkg/mod.py" and c.group == "pkg" for c in found)


def test_signatures_and_doctests_are_no_queries() -> None:
    text = 'def replace(a, b):\n    """replace(a, b) -> a copy with b in place of a"""\n    return (a, b)\n\n\n' \
           'def double(x):\n    """>>> double(2) gives four back"""\n    return 2 * x\n'
    assert [c.kind for c in module_candidates(text, "m.py", "m")] == []


def test_comment_pairs_take_the_block_below_up_to_a_blank_line() -> None:
    comments = {c.query: c.positive for c in module_candidates(MODULE, "m.py", "m") if c.kind == "comment"}
    assert comments == {"Sum the values that are positive numbers only":  # in function summarise
                        "#> m.py summarise\nfor value in values:\n    if value > 0:\n        total += value\n"
                        "count = len(values)"}


def test_a_long_block_is_cut_and_a_docstring_alone_leaves_pass() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(30))
    text = f'def outer():\n    # Set up all the many numbered values\n{body}\n\n\ndef wrap_it_up():\n' \
           f'    def inner():\n        """Only a docstring."""\n    return inner\n'
    found = module_candidates(text, "m.py", "m")
    block = next(c.positive for c in found if c.kind == "comment")
    assert block.splitlines() == ["#> m.py outer", *(f"x{i} = {i}" for i in range(MAX_BLOCK_LINES))]
    wrap = next(c.positive for c in found if c.query == "wrap it up")
    assert wrap == "#> m.py wrap_it_up\ndef wrap_it_up():\n    def inner():\n        pass\n    return inner"


def test_strip_docstrings_leaves_pass_and_every_other_line_where_it_was() -> None:
    source = 'class A:\n    """Doc\n    two."""  # kept\n\n    def f(self):\n        """One."""\n        return 1\n'
    stripped = strip_docstrings(source)
    assert stripped == "class A:\n    pass  # kept\n\n\n    def f(self):\n        pass\n        return 1\n"
    assert len(stripped.splitlines()) == len(source.splitlines())
    ast.parse(stripped)
