"""Callers of same-named methods of different classes: each Python resolution rule
(self., annotated parameter, constructor assigned in scope, inherited method) and the
ambiguous edges, through the real tree-sitter chunker into a real SQLite graph."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpilot.index.chunker import chunk_file
from specpilot.index.graph_store import GraphNode, GraphStore

SHAPES = '''\
class Shape:
    def area(self):
        return 0

    def describe(self):
        return self.area()


class Square(Shape):
    def area(self):
        return 4


class Circle(Shape):
    def area(self):
        return 3

    def twice(self):
        return 2 * self.area()


class Dot(Shape):
    def size(self):
        return self.area()


class Unit(Square):
    def report(self):
        return super().area()
'''

USES = '''\
from shapes import Circle, Square


def by_annotation(s: Square, c: "Circle | None"):
    return s.area() + c.area()


def by_constructor():
    sq = Square()
    return sq.area()


def unknown(thing):
    return thing.area()


def rebound(flag):
    x = Square()
    if flag:
        x = Circle()
    return x.area()


def explicit():
    return Circle.area(Circle())


def strings(parts):
    return ", ".join(parts)


class Holder:
    def __init__(self, made):
        self.shape = None
        self.shape = Circle()
        self.other = made

    def run(self):
        return self.shape.area() + self.other.area()
'''


@pytest.fixture()
def graph(tmp_path: Path) -> GraphStore:
    store = GraphStore(tmp_path / "graph.db")
    store.replace_files({p: chunk_file(p, text).symbols for p, text in
                         (("shapes.py", SHAPES), ("uses.py", USES))})
    return store


def edges(nodes: list[GraphNode]) -> set[tuple[str, bool]]:
    return {(n.qualified_name, n.ambiguous) for n in nodes}


def test_self_call_resolves_to_the_enclosing_class(graph: GraphStore) -> None:
    assert ("Circle.twice", False) in edges(graph.callers("Circle.area"))
    assert "Circle.twice" not in {n.qualified_name for n in graph.callers("Square.area")}


def test_self_call_to_an_inherited_method_resolves_to_the_base(graph: GraphStore) -> None:
    # Dot has no area: self.area() in Dot reaches Shape.area; in Shape itself too.
    shape = edges(graph.callers("Shape.area"))
    assert {("Dot.size", False), ("Shape.describe", False)} <= shape
    assert "Dot.size" not in {n.qualified_name for n in graph.callers("Square.area")}


def test_self_call_in_a_base_may_run_a_subclass_override_and_is_flagged(graph: GraphStore) -> None:
    # self.area() in Shape.describe runs Circle.area for a Circle: kept, as ambiguous.
    assert ("Shape.describe", True) in edges(graph.callers("Circle.area"))
    # An exact receiver (a constructor) never reaches a subclass.
    assert "by_constructor" not in {n.qualified_name for n in graph.callers("Unit.area")}


def test_super_call_goes_to_the_single_base(graph: GraphStore) -> None:
    assert ("Unit.report", False) in edges(graph.callers("Square.area"))
    assert "Unit.report" not in {n.qualified_name for n in graph.callers("Circle.area")}


def test_annotated_parameters_resolve_including_optional_string_annotations(graph: GraphStore) -> None:
    assert ("by_annotation", False) in edges(graph.callers("Square.area"))
    assert ("by_annotation", False) in edges(graph.callers("Circle.area"))
    assert "by_annotation" not in {n.qualified_name for n in graph.callers("Shape.area")}


def test_constructor_assigned_in_scope_resolves(graph: GraphStore) -> None:
    assert ("by_constructor", False) in edges(graph.callers("Square.area"))
    assert "by_constructor" not in {n.qualified_name for n in graph.callers("Circle.area")}


def test_explicit_class_receiver_resolves(graph: GraphStore) -> None:
    assert ("explicit", False) in edges(graph.callers("Circle.area"))
    assert "explicit" not in {n.qualified_name for n in graph.callers("Square.area")}


def test_attribute_of_self_resolves_from_the_class_assignments(graph: GraphStore) -> None:
    # self.shape is only ever Circle() (None is a placeholder); self.other is a parameter.
    assert ("Holder.run", False) in edges(graph.callers("Circle.area"))
    assert ("Holder.run", True) in edges(graph.callers("Square.area"))


def test_unknown_or_conflicting_receivers_are_kept_and_flagged_ambiguous(graph: GraphStore) -> None:
    for cls in ("Shape", "Square", "Circle"):
        found = edges(graph.callers(f"{cls}.area"))
        assert ("unknown", True) in found  # a parameter without an annotation
        assert ("rebound", True) in found  # Square() and Circle() bound to the same name


def test_plain_name_lists_every_call_with_what_it_resolved_to(graph: GraphStore) -> None:
    by_name = {(n.qualified_name, n.callee, n.ambiguous) for n in graph.callers("area")}
    assert ("Circle.twice", "Circle.area", False) in by_name
    assert ("Dot.size", "Shape.area", False) in by_name
    assert ("unknown", "area", True) in by_name
    assert {n.callee for n in graph.callers("join")} == {"str.join"}


def test_callees_give_call_sites_and_resolved_definitions(graph: GraphStore) -> None:
    [edge] = graph.callees("Circle.twice")
    assert (edge.path, edge.line, edge.callee, edge.ambiguous) == ("shapes.py", 19, "Circle.area", False)
    assert [(d.path, d.line) for d in edge.definitions] == [("shapes.py", 15)]
    [unknown] = graph.callees("unknown")
    assert unknown.ambiguous and len(unknown.definitions) == 3  # Shape, Square and Circle define area
    sites = {(e.callee, e.path, e.line) for e in graph.callees("by_constructor")}
    assert sites == {("Square", "uses.py", 9), ("Square.area", "uses.py", 10)}


def test_neighbours_skip_ambiguous_calls_with_several_candidates(graph: GraphStore) -> None:
    assert {n.qualified_name for n in graph.neighbours("unknown")} == set()
    assert "Circle.area" in {n.qualified_name for n in graph.neighbours("Circle.twice")}


def test_a_graph_written_before_receivers_is_rebuilt_on_open(tmp_path: Path) -> None:
    import sqlite3

    from specpilot.core.config import Settings
    from specpilot.index.engine import WorkspaceIndex
    from specpilot.index.health import GRAPH

    root = tmp_path / "ws"
    root.mkdir()
    (root / "shapes.py").write_text(SHAPES)
    (root / "uses.py").write_text(USES)
    settings = Settings()
    settings.embedder.enabled = False
    index = WorkspaceIndex(root, settings)
    index.update(embed=False)
    folder = index.folder
    index.close()
    db = sqlite3.connect(folder / GRAPH)  # what schema 1 wrote: no receiver column
    db.execute("ALTER TABLE symbols DROP COLUMN receiver")
    db.commit()
    db.close()
    index = WorkspaceIndex(root, settings)
    try:
        assert index.needs_reindex
        index.update(embed=False)
        assert ("unknown", True) in edges(index.graph.callers("Circle.area"))
        assert "by_constructor" not in {n.qualified_name for n in index.graph.callers("Circle.area")}
    finally:
        index.close()
