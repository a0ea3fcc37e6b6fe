"""One Python file parsed by libcst with the metadata the refactorings use."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import libcst as cst
from libcst.metadata import (
    CodeRange,
    MetadataWrapper,
    PositionProvider,
    Scope,
    ScopeProvider,
)

from specpilot.ast_tools.edits import Refusal, line_starts
from specpilot.ast_tools.per_source import built_once
from specpilot.ast_tools.workspace import Source, Workspace


@dataclass
class ParsedFile:
    source: Source
    wrapper: MetadataWrapper

    @property
    def path(self) -> str:
        return self.source.path

    @property
    def module(self) -> cst.Module:
        return self.wrapper.module

    @cached_property
    def scopes(self) -> Mapping[cst.CSTNode, Scope | None]:
        if "positions" in self.__dict__:
            return self.wrapper.resolve(ScopeProvider)
        # Every user of scopes needs positions too; one batch is ~15% cheaper than two.
        both = self.wrapper.resolve_many([ScopeProvider, PositionProvider])
        self.__dict__["positions"] = both[PositionProvider]
        return cast(Mapping[cst.CSTNode, Scope | None], both[ScopeProvider])

    @cached_property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        return self.wrapper.resolve(PositionProvider)

    @cached_property
    def parents(self) -> Mapping[cst.CSTNode, cst.CSTNode]:
        """Each node's parent. Built from the nodes' fields: libcst's ParentNodeProvider
        gives the same map about eight times slower (a visitor pass)."""
        parents: dict[cst.CSTNode, cst.CSTNode] = {}
        stack: list[cst.CSTNode] = [self.module]
        while stack:
            node = stack.pop()
            for child in _fields_children(node):
                parents[child] = node
                stack.append(child)
        return parents

    @cached_property
    def line_starts(self) -> list[int]:
        return line_starts(self.source.text)

    def span(self, node: cst.CSTNode) -> tuple[int, int]:
        """Character offsets of ``node`` in the text."""
        where = self.positions[node]
        starts = self.line_starts
        return (starts[where.start.line - 1] + where.start.column,
                starts[where.end.line - 1] + where.end.column)

    def line_of(self, node: cst.CSTNode) -> int:
        """1-based line of ``node``."""
        return self.positions[node].start.line

    def names(self) -> Iterator[cst.Name]:
        for node in self.positions:
            if isinstance(node, cst.Name):
                yield node


_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The child nodes of ``node`` (in no particular order)."""
    names = _FIELDS.get(type(node))
    if names is None:
        names = _FIELDS[type(node)] = tuple(f.name for f in dataclasses.fields(node))
    for name in names:
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def code(node: cst.CSTNode) -> str:
    """The source text of ``node`` (as libcst writes it)."""
    return cst.Module(body=[]).code_for_node(node)


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and everything under it, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def parse_file(ws: Workspace, path: str) -> ParsedFile:
    """``path`` of the workspace parsed, once per workspace: a refactoring that reads a
    file several times (definitions, imports, string mentions) parses it once."""
    return built_once(ws, ws.parsed, path, ParsedFile, parse)


def parse(source: Source) -> ParsedFile:
    try:
        module = cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        raise Refusal(f"{source.path} has a syntax error at line {exc.raw_line}; fix it first") from None
    return ParsedFile(source, MetadataWrapper(module, unsafe_skip_copy=True))
