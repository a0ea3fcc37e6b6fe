"""Where a definition's chunk starts and ends, its signature and its docstring.

A chunk covers the definition plus what belongs to it above: decorators,
annotations, Rust attributes, ``export`` and the comment block directly above
it. The signature is the definition's head up to its body, whitespace-normalized.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass

from tree_sitter import Node

from .outline import Definition

# Wrappers whose range belongs to the definition they wrap.
_ALWAYS_WRAPS = frozenset({"decorated_definition", "export_statement", "ambient_declaration", "expression_statement"})
# Wrappers that belong to the definition only when they hold nothing else
# (`const a = () => 1, b = 2` keeps its declaration to itself).
_SOLE_WRAPS = frozenset({"lexical_declaration", "variable_declaration", "type_declaration"})

_COMMENTS = frozenset({"comment", "line_comment", "block_comment"})
_LEADING = _COMMENTS | {"attribute_item"}
_NOT_SIGNATURE = _LEADING | {"decorator", "marker_annotation", "annotation"}
# Bodies that are really part of the head: `struct Pair(u32, u32);`.
_INLINE_BODIES = frozenset({"ordered_field_declaration_list"})

_MAX_SIGNATURE = 400
_SPACE_AFTER_OPEN = re.compile(r"([(\[]) ")
_TRAILING_COMMA = re.compile(r",\s*\n\s*([)\]])")
_SPACE_BEFORE_CLOSE = re.compile(r" ([)\]])")


@dataclass(slots=True)
class Span:
    """Rows (0-based, inclusive) of a definition's chunk.

    ``header_row`` is the last row of the signature: in a class chunk a method is
    shown down to that row and its body is elided.
    """

    first_row: int
    header_row: int
    last_row: int
    signature: str
    docstring: str


def _end_row(node: Node) -> int:
    point = node.end_point
    # A node ending at column 0 (Rust line comments keep their newline) ends on the row above.
    return point.row - 1 if point.column == 0 and point.row > node.start_point.row else point.row


def _outermost(node: Node) -> Node:
    top = node
    parent = top.parent
    while parent is not None and (
        parent.type in _ALWAYS_WRAPS or (parent.type in _SOLE_WRAPS and parent.named_child_count == 1)
    ):
        top = parent
        parent = top.parent
    return top


def _leading(top: Node) -> tuple[int, list[Node]]:
    """First row including the comment/attribute block right above ``top``, and its comments."""
    row = top.start_point.row
    comments: list[Node] = []
    sibling = top.prev_named_sibling
    while sibling is not None and sibling.type in _LEADING:
        if _end_row(sibling) < row - 1:
            break  # a blank line separates it
        before = sibling.prev_sibling
        if before is not None and before.end_point.row == sibling.start_point.row and before.type not in _LEADING:
            break  # a trailing comment of the code before
        text = sibling.text or b""
        if text.startswith((b"//!", b"/*!", b"#!")):
            break  # Rust inner docs and shebangs describe the file
        if sibling.type in _COMMENTS:
            comments.append(sibling)
        row = sibling.start_point.row
        sibling = sibling.prev_named_sibling
    comments.reverse()
    return row, comments


def _signature_start(top: Node) -> int:
    for child in top.children:
        if child.type in _NOT_SIGNATURE:
            continue
        if child.type == "modifiers":  # Java: skip annotations, keep `public static`
            for modifier in child.children:
                if modifier.type not in _NOT_SIGNATURE:
                    return modifier.start_byte
            continue
        return child.start_byte
    return top.start_byte


def _signature_end(d: Definition) -> int:
    node = d.node
    if node.type == "function_definition":  # Python: stop before the `:`
        last = node.child_by_field_name("return_type") or node.child_by_field_name("parameters")
        return last.end_byte if last is not None else node.end_byte
    if node.type == "class_definition":
        last = node.child_by_field_name("superclasses") or node.child_by_field_name("type_parameters")
        return (last or node.child_by_field_name("name") or node).end_byte
    body = d.body
    if body is None or body.type in _INLINE_BODIES:
        return node.end_byte
    return body.start_byte


def normalize_signature(raw: str) -> str:
    """``def f(\\n    a,\\n    b\\n)`` -> ``def f(a, b)``."""
    if ",\n" in raw or ", \n" in raw:  # black-style parameter lists end with `,\n)`
        raw = _TRAILING_COMMA.sub(r"\1", raw)
    text = " ".join(raw.split()) if "\n" in raw or "  " in raw or "\t" in raw else raw.strip()
    if "( " in text or "[ " in text:
        text = _SPACE_AFTER_OPEN.sub(r"\1", text)
    if " )" in text or " ]" in text:
        text = _SPACE_BEFORE_CLOSE.sub(r"\1", text)
    text = text.rstrip(" {:;")
    return text if len(text) <= _MAX_SIGNATURE else text[: _MAX_SIGNATURE - 1] + "…"


def _signature(d: Definition, top: Node, src: bytes) -> tuple[str, int]:
    """The signature text and its last row."""
    if d.node.type == "type_spec":  # Go: `type Point struct`, not the field list
        head = src[d.node.start_byte : d.node.end_byte].split(b"\n", 1)[0].split(b"{", 1)[0]
        return normalize_signature("type " + head.decode("utf-8", "replace")), d.node.start_point.row
    start = _signature_start(top)
    end = max(_signature_end(d), start)
    signature = normalize_signature(src[start:end].decode("utf-8", "replace"))
    # Rows of `end`: everything before the body (or the `{` row) is head.
    end_row = d.node.start_point.row + src.count(b"\n", d.node.start_byte, end)
    return signature, end_row


def python_docstring(block: Node | None) -> str:
    """The docstring of a Python body (a ``block`` or the ``module``), or ``""``."""
    if block is None or block.named_child_count == 0:
        return ""
    statement: Node | None = block.named_child(0)
    while statement is not None and statement.type == "comment":
        statement = statement.next_named_sibling
    if statement is None or statement.type != "expression_statement":
        return ""
    string = statement.named_child(0)
    if string is None or string.type != "string" or statement.named_child_count != 1:
        return ""
    return clean_string_literal((string.text or b"").decode("utf-8", "replace"))


def clean_string_literal(raw: str) -> str:
    """``r'''  text\\n   more'''`` -> ``"text\\nmore"`` (quotes, prefix and indentation gone)."""
    body = raw.lstrip("rRbBuUfF")
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    if body.startswith(quote) and body.endswith(quote) and len(body) >= 2 * len(quote):
        body = body[len(quote) : len(body) - len(quote)]
    return inspect.cleandoc(body)


def clean_comments(comments: list[Node]) -> str:
    """Doc text of a comment block, with ``//``, ``///``, ``/** */``, ``*``, ``#`` markers stripped."""
    out: list[str] = []
    for comment in comments:
        for line in (comment.text or b"").decode("utf-8", "replace").splitlines():
            text = line.strip()
            for marker in ("/**", "/*!", "/*", "///", "//!", "//", "#"):
                if text.startswith(marker):
                    text = text[len(marker) :]
                    break
            else:
                if text.startswith("*") and not text.startswith("*/"):
                    text = text[1:]
            if text.endswith("*/"):
                text = text[:-2]
            out.append(text[1:] if text.startswith(" ") else text)
    return "\n".join(out).strip("\n").rstrip()


def span_of(d: Definition, src: bytes, python: bool) -> Span:
    """Rows, signature and docstring of a definition that gets a chunk."""
    top = _outermost(d.node)
    first_row, comments = _leading(top)
    signature, header_row = _signature(d, top, src)
    docstring = python_docstring(d.body) if python else clean_comments(comments)
    return Span(first_row, header_row, max(_end_row(top), header_row), signature, docstring)
