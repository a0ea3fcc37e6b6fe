"""``specpilot search``: a query, or a file of them, against the workspace's index.

A single query goes first to a running ``specpilot serve`` of the workspace (its socket), which answers in
milliseconds; otherwise, or with ``--no-server``, this process opens the index and searches it, reading the
light ONNX query encoder in a thread meanwhile. ``--queries FILE.jsonl`` answers one JSON line per line in.
Heavy modules (the index, LanceDB) are imported inside the functions, only when this process searches.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from specpilot.core.errors import UsageError


def cmd_search(args: argparse.Namespace) -> int:
    from specpilot import cli

    if bool(args.query) == bool(args.queries):
        raise UsageError("give either a QUERY or --queries FILE.jsonl")
    if args.k is not None and args.k <= 0:
        raise UsageError("--k must be a positive number")
    workspace = cli._workspace(args.workspace)
    if args.query and not args.no_server:
        answered = _ask_server(args, workspace)
        if answered is not None:
            _show_hits(answered, args.json)
            return cli.EXIT_OK
    elif args.verbose:
        print("specpilot: searching in this process", file=sys.stderr)
    _start_query_encoder(args, workspace)
    from specpilot.index.search import SearchError

    cli._require_index(args, workspace)
    index = cli._open_index(args, workspace)
    if not index.manifest.files:
        raise cli.CliError(f"no index for {workspace}; run `specpilot index {workspace}` first")
    if args.queries:
        return _batch_search(index, args)
    try:
        hits = index.search(args.query, k=args.k, mode=args.mode, filters=_filters(args),
                            graph_neighbours=args.graph or None, note=_say)
    except SearchError as exc:
        raise UsageError(str(exc)) from exc
    _show_hits([h.to_json() for h in hits], args.json)
    return cli.EXIT_OK


def _filters(args: argparse.Namespace, item: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    from specpilot.index.search import SearchFilters

    item = item or {}
    given = item.get("filters") or {}
    return SearchFilters(path_glob=given.get("path", args.path_glob), language=given.get("language", args.language),
                         kind=given.get("kind", args.kind))


def _ask_server(args: argparse.Namespace, workspace: Path) -> list[dict[str, Any]] | None:
    """The hits from a running ``specpilot serve`` of this workspace (its socket), or None when
    none answers for the same settings; imports nothing heavy, so an answer costs milliseconds."""
    from specpilot import cli
    from specpilot.core.paths import cache_dir
    from specpilot.core.query_socket import SocketUnavailable, ask, settings_fingerprint

    settings, problems = cli._settings_and_problems(args, workspace)
    started = time.perf_counter()
    request = {"op": "search", "workspace": str(workspace),
               "settings": settings_fingerprint(settings, cache_dir(workspace, settings.cache_path)),
               "query": args.query, "k": args.k, "mode": args.mode, "graph": args.graph or None,
               "filters": {"path": args.path_glob, "language": args.language, "kind": args.kind}}
    try:
        answer = ask(workspace, request)
    except SocketUnavailable as exc:
        if args.verbose:
            print(f"specpilot: searching in this process: {exc}", file=sys.stderr)
        return None
    cli._report_problems(problems)  # as the search here would have
    if args.verbose:
        print(f"specpilot: answered by the running server (pid {answer.get('pid')}) in "
              f"{(time.perf_counter() - started) * 1000:.0f} ms", file=sys.stderr)
    for note in answer.get("notes") or []:
        _say(str(note))
    hits: list[dict[str, Any]] = answer.get("hits") or []
    return hits


def _say(note: str) -> None:
    print(f"specpilot: {note}", file=sys.stderr)


def _start_query_encoder(args: argparse.Namespace, workspace: Path) -> None:
    """Read the ONNX query encoder in a thread while LanceDB is imported and the index opened."""
    from specpilot import cli

    settings, _ = cli._settings_and_problems(args, workspace)
    if (args.mode or settings.search.mode) in ("vector", "hybrid", "rerank") and settings.embedder.enabled:
        from specpilot.index.query_encoder import preload_query_encoder

        preload_query_encoder(settings.embedder.model, settings.embedder.max_seq_length)


def _show_hits(hits: list[dict[str, Any]], as_json: bool) -> None:
    """Print hits (``SearchHit.to_json`` form, as both this process and the server give them)."""
    if as_json:
        print(json.dumps(hits, indent=2))
        return
    if not hits:
        print("no results")
    for rank, hit in enumerate(hits, 1):
        print(f"{rank:2}. {hit['score']:7.3f}  {hit['path']}:{hit['start_line']}-{hit['end_line']}  {hit['kind']} "
              f"{hit['qualified_name']}  [{hit['source']}]")
        if hit["signature"]:
            print(f"      {hit['signature'][:110]}")


def _batch_search(index, args: argparse.Namespace) -> int:  # type: ignore[no-untyped-def]
    from specpilot import cli
    from specpilot.index.search import SearchError

    path: Path = args.queries
    if not path.is_file():
        raise cli.CliError(f"queries file {path} not found")
    failures = 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("query"), str):
                    raise ValueError('each line must be an object with a "query" string')
                notes: list[str] = []
                hits = index.search(item["query"], k=item.get("k", args.k), mode=item.get("mode", args.mode),
                                    filters=_filters(args, item), graph_neighbours=item.get("graph"),
                                    note=notes.append)
                out = {"query": item["query"], "results": [h.to_json() for h in hits]}
                if notes:
                    out["notes"] = notes
                if "id" in item:
                    out["id"] = item["id"]
            except (ValueError, SearchError) as exc:
                failures += 1
                out = {"line": number, "error": str(exc)}
            print(json.dumps(out), flush=True)
    if failures:
        print(f"specpilot: {failures} query line(s) failed", file=sys.stderr)
    return cli.EXIT_OK
