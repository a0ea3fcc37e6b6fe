"""What `specpilot graph callers|callees|neighbours|definitions SYMBOL` prints.

Callers: ``path:line  Caller.qualified_name`` (the first call's line), ``(ambiguous)``
when the call's receiver is unknown. Callees: the call site ``path:line``, the
callee and where it is defined (``-> def_path:line``). ``--json`` gives the same
as objects.
"""

from __future__ import annotations

import json
from typing import Any

from specpilot.index.graph_store import CallEdge, GraphNode, GraphStore


def _node(node: GraphNode) -> dict[str, Any]:
    return {"path": node.path, "qualifiedName": node.qualified_name, "line": node.line}


def _edge(edge: CallEdge) -> dict[str, Any]:
    return {"name": edge.name, "callee": edge.callee, "path": edge.path, "line": edge.line,
            "ambiguous": edge.ambiguous, "definitions": [_node(d) for d in edge.definitions]}


def graph_result(graph: GraphStore, relation: str, symbol: str) -> list[dict[str, Any]]:
    if relation == "callees":
        return [_edge(e) for e in graph.callees(symbol)]
    if relation == "callers":
        return [{**_node(n), "callee": n.callee, "ambiguous": n.ambiguous} for n in graph.callers(symbol)]
    nodes = graph.neighbours(symbol) if relation == "neighbours" else graph.definitions(symbol)
    return [_node(n) for n in nodes]


def _line(relation: str, item: dict[str, Any]) -> str:
    flag = "  (ambiguous)" if item.get("ambiguous") else ""
    if relation == "callees":
        defs = ", ".join(f"{d['path']}:{d['line']}" for d in item["definitions"][:3])
        if len(item["definitions"]) > 3:
            defs += f" and {len(item['definitions']) - 3} more"
        where = f"  -> {defs}" if defs else "  (not defined in the workspace)"
        return f"{item['path']}:{item['line']}  {item['callee']}{flag}{where}"
    callee = f"  calls {item['callee']}" if relation == "callers" and "." in item.get("callee", "") else ""
    return f"{item['path']}:{item['line']}  {item['qualifiedName']}{callee}{flag}"


def render_graph(graph: GraphStore, relation: str, symbol: str, as_json: bool) -> str:
    result = graph_result(graph, relation, symbol)
    if as_json:
        return json.dumps(result, indent=2)
    if not result:
        return f"no {relation} found for {symbol}"
    return "\n".join(_line(relation, item) for item in result)
