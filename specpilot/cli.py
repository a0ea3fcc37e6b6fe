"""``specpilot`` command line: the same engine the language server drives.

Exit codes: 0 ok, 2 usage error, 1 failure (with a one-line reason on stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from specpilot import (
    __version__,
    cli_agent,
    cli_doctor,
    cli_learn,
    cli_mcp,
    cli_models,
    cli_prompts,
    cli_refactor,
    cli_schema,
    cli_search,
    cli_settings,
    cli_spec,
    cli_steering,
    cli_team,
)
from specpilot.core import events
from specpilot.core.config import ConfigProblem, Settings, load_settings, parse_override
from specpilot.core.errors import SpecPilotError, UsageError
from specpilot.core.memory import limit_malloc_arenas

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CliError(SpecPilotError):
    """A failure to report in one line (exit 1)."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-w", "--workspace", type=Path, default=None,
                        help="workspace folder (default: the current folder)")
    parser.add_argument("--cache-path", help="cache folder (default .specpilot/cache in the workspace)")
    parser.add_argument("--model", help="embedding model: packaged name, folder path or local HF name")
    parser.add_argument("--device", help="embedding device: auto, cpu, cuda")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting, e.g. --set index.maxFileBytes=500000 (repeatable)")
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"], default=None)
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="specpilot", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"specpilot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p_index = sub.add_parser("index", help="index a workspace (incremental)")
    p_index.add_argument("path", nargs="?", type=Path, help="workspace folder (default: current folder)")
    p_index.add_argument("--watch", action="store_true", help="keep the index fresh until Ctrl-C")
    p_index.add_argument("--no-embed", action="store_true", help="write chunks only; embed later")
    p_index.add_argument("--rebuild", action="store_true", help="drop chunks and index from scratch")
    p_index.add_argument("--remote", metavar="s3://BUCKET/PREFIX",
                         help="then publish the index to this shared index (what it lacks only)")
    p_index.add_argument("--prune", action="store_true",
                         help="with --remote: also remove done queue entries and table versions over a week old")
    _common(p_index)

    p_search = sub.add_parser("search", help="search the index")
    p_search.add_argument("query", nargs="?", help="natural-language or identifier query")
    p_search.add_argument("--queries", type=Path, metavar="FILE.jsonl",
                          help="batch: one JSON object per line in, one per line out")
    p_search.add_argument("-k", "--k", type=int, default=None, help="number of results")
    p_search.add_argument("--mode", choices=["bm25", "vector", "hybrid", "rerank"], default=None,
                          help="default: search.mode (hybrid; reranked when a reranker model exists)")
    p_search.add_argument("--path", dest="path_glob", help="only paths matching this glob")
    p_search.add_argument("--language", help="only this language (python, go, …)")
    p_search.add_argument("--kind", help="only these kinds (function,method,class,module,window)")
    p_search.add_argument("--graph", action="store_true", help="add call-graph neighbours of top hits")
    p_search.add_argument("--json", action="store_true", help="machine-readable output")
    p_search.add_argument("--no-server", action="store_true",
                          help="search here even when a `specpilot serve` for the workspace could answer")
    p_search.add_argument("-v", "--verbose", action="store_true",
                          help="say on stderr who answered (the running server or this process)")
    _common(p_search)

    cli_team.add_stats_parser(sub)
    cli_team.add_worker_parser(sub)

    p_status = sub.add_parser("status", help="files, chunks, embedded %%, size, last update")
    p_status.add_argument("--json", action="store_true")
    _common(p_status)

    p_graph = sub.add_parser("graph", help="who calls / is called by / neighbours of a symbol")
    p_graph.add_argument("relation", choices=["callers", "callees", "neighbours", "definitions"])
    p_graph.add_argument("symbol", help="name or Qualified.name")
    p_graph.add_argument("--json", action="store_true")
    _common(p_graph)

    p_symbols = sub.add_parser("symbols", help="a file's outline (what the editor shows as document symbols)")
    p_symbols.add_argument("file", type=Path)
    p_symbols.add_argument("--json", action="store_true")
    _common(p_symbols)

    cli_refactor.add_parser(sub)
    cli_agent.add_parsers(sub)
    cli_learn.add_parser(sub)
    cli_models.add_parser(sub)
    cli_prompts.add_parser(sub)
    cli_spec.add_parser(sub)
    cli_doctor.add_parser(sub, _common)
    cli_settings.add_parser(sub)
    cli_steering.add_parser(sub, _common)
    cli_schema.add_parser(sub)
    cli_mcp.add_parser(sub, _common)

    p_serve = sub.add_parser("serve", help="run the language server (stdio unless --tcp)")
    p_serve.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    p_serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on a TCP port instead (for debugging)")
    return parser


def _settings(args: argparse.Namespace, workspace: Path) -> Settings:
    settings, problems = _settings_and_problems(args, workspace)
    _report_problems(problems)
    return settings


def _settings_and_problems(args: argparse.Namespace, workspace: Path) -> tuple[Settings, list[ConfigProblem]]:
    overrides: list[dict[str, Any]] = []
    for text in args.overrides:
        mapping, error = parse_override(text)
        if error:
            raise UsageError(error)
        overrides.append(mapping)
    flags: dict[str, Any] = {}
    if args.cache_path is not None:  # an empty value is refused by name, not silently dropped
        flags["cachePath"] = args.cache_path
    if args.log_level:
        flags["logLevel"] = args.log_level
    if args.model:
        flags.setdefault("embedder", {})["model"] = args.model
    if args.device:
        flags.setdefault("embedder", {})["device"] = args.device
    overrides.append(flags)
    settings, problems = load_settings(workspace, overrides)
    if not settings.observability.event_log:
        events.uninstall()
    return settings, list(problems)


def _report_problems(problems: Sequence[ConfigProblem]) -> None:
    for problem in problems:
        print(f"specpilot: warning: {problem}", file=sys.stderr)


def _require_index(args: argparse.Namespace, workspace: Path) -> None:
    """Refuse a workspace that was never indexed, before anything is created in it."""
    from specpilot.core.paths import cache_dir

    settings, _ = _settings_and_problems(args, workspace)  # problems are reported when the index opens
    if not (cache_dir(workspace, settings.cache_path) / "index").is_dir():
        raise CliError(f"not indexed: run specpilot index (workspace {workspace})")


def _workspace(path: Path | None) -> Path:
    folder = (path or Path.cwd()).expanduser()
    if not folder.exists():
        raise CliError(f"workspace {folder} does not exist")
    if not folder.is_dir():
        raise CliError(f"workspace {folder} is not a folder")
    return folder.resolve()


def configure_logging(level: str) -> None:
    """Our own messages at the chosen level; third-party libraries only when they warn."""
    from specpilot.llm.safety.log_redaction import RedactingFormatter  # here: a search the server answers logs nothing

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("specpilot: %(levelname)s: %(message)s"))
    ours = logging.getLogger("specpilot")
    ours.handlers[:] = [handler]
    ours.setLevel(level.upper())
    ours.propagate = False
    logging.getLogger().setLevel(logging.WARNING)


def _open_index(args: argparse.Namespace, workspace: Path):  # type: ignore[no-untyped-def]
    from specpilot.index.embedder import EmbedderError
    from specpilot.index.engine import WorkspaceIndex

    settings = _settings(args, workspace)
    configure_logging(args.log_level or "warning")  # the logLevel setting is for the server log
    try:
        index = WorkspaceIndex(workspace, settings)
    except EmbedderError as exc:
        raise CliError(str(exc)) from exc
    for notice in index.store.notices:
        print(f"specpilot: {notice.message}", file=sys.stderr)
    if index.needs_reindex:  # a repair on open emptied the index: index the source files again
        index.update(embed=False)
    from specpilot.rl.search_clicks import apply_learned_weight

    apply_learned_weight(index)  # a fusion weight learned from the editor's clicks ranks here too
    return index


def cmd_index(args: argparse.Namespace) -> int:
    from specpilot.cli_progress import ProgressView

    if args.prune and not args.remote:
        raise UsageError("--prune needs --remote (the shared index to prune)")
    workspace = _workspace(args.path or args.workspace)
    index = _open_index(args, workspace)
    started = time.perf_counter()
    with ProgressView(enabled=not args.quiet) as view:
        run = index.rebuild if args.rebuild else index.update
        report = run(view.update, embed=not args.no_embed)
    if not args.no_embed and index.settings.embedder.enabled:  # the light query encoder for `search`, once
        from specpilot.index.query_encoder import export_in_background

        export_in_background(index.settings.embedder.model)
    status = index.status()
    print(f"indexed {workspace}: {report.files_changed} files changed, {report.files_deleted} removed, "
          f"{report.chunks_written} chunks written, {report.embedded} embedded, "
          f"{len(report.skipped)} skipped in {time.perf_counter() - started:.1f}s")
    print(f"index: {status.files} files, {status.chunks} chunks, {status.embedded_percent:.0f}% embedded")
    if index.shared is not None:
        print(index.shared.describe())
    for path, reason in report.skipped[:20]:
        print(f"  skipped {path}: {reason}", file=sys.stderr)
    if len(report.skipped) > 20:
        print(f"  … and {len(report.skipped) - 20} more skipped", file=sys.stderr)
    if args.remote:
        from specpilot.cli_team import publish_index

        try:
            publish_index(index, args.remote, quiet=args.quiet, queue=args.no_embed, prune=args.prune)
        finally:
            if not args.watch:
                index.close()
    if args.watch:
        return _watch(index)
    index.close()
    return EXIT_OK


def _watch(index) -> int:  # type: ignore[no-untyped-def]
    from specpilot.index.watch import IndexWatcher

    def on_update(report, batch):  # type: ignore[no-untyped-def]
        print(f"updated {len(batch)} path(s): {report.files_changed} changed, {report.files_deleted} removed, "
              f"{report.embedded} embedded", flush=True)

    def stop(signum, frame):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # a service manager's stop is as clean as Ctrl-C
    watcher = IndexWatcher(index, on_update=on_update).start()
    print(f"watching {index.root} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        watcher.stop()
        index.close()
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    workspace = _workspace(args.workspace)
    _require_index(args, workspace)
    index = _open_index(args, workspace)
    status = index.status()
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(status.last_update)) if status.last_update else "never"
    if args.json:
        print(json.dumps({"root": status.root, "files": status.files, "chunks": status.chunks,
                          "embedded": status.embedded, "embeddedPercent": round(status.embedded_percent, 1),
                          "diskBytes": status.disk_bytes, "lastUpdate": status.last_update,
                          "model": status.model}))
    else:
        print(f"workspace   {status.root}\nfiles       {status.files}\nchunks      {status.chunks}\n"
              f"embedded    {status.embedded} ({status.embedded_percent:.1f}%)\n"
              f"index size  {status.disk_bytes / 1e6:.1f} MB\nlast update {when}\nmodel       {status.model}")
    return EXIT_OK


def cmd_graph(args: argparse.Namespace) -> int:
    workspace = _workspace(args.workspace)
    _require_index(args, workspace)
    index = _open_index(args, workspace)
    from specpilot.cli_graph import render_graph

    print(render_graph(index.graph, args.relation, args.symbol, args.json))
    return EXIT_OK


def cmd_symbols(args: argparse.Namespace) -> int:
    from specpilot.index.symbols import OutlineSymbol, document_outline

    path: Path = args.file
    if not path.is_file():
        raise CliError(f"{path} is not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{path} is not UTF-8 text") from None
    outline = document_outline(path.name, text)

    def as_json(symbol: OutlineSymbol) -> dict[str, Any]:
        return {"name": symbol.name, "kind": symbol.kind, "detail": symbol.detail, "line": symbol.name_line,
                "startLine": symbol.start_line, "endLine": symbol.end_line,
                "children": [as_json(child) for child in symbol.children]}

    def show(symbols: list[OutlineSymbol], depth: int) -> None:
        for symbol in symbols:
            print(f"{'  ' * depth}{symbol.kind:8} {symbol.name}  {symbol.start_line}-{symbol.end_line}")
            show(symbol.children, depth + 1)

    if args.json:
        print(json.dumps([as_json(s) for s in outline], indent=2))
    elif not outline:
        print(f"no symbols in {path}")
    else:
        show(outline, 0)
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from specpilot.server.main import serve

    tcp = None
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        if not host or not port.isdigit():
            raise UsageError(f"--tcp expects HOST:PORT, got {args.tcp!r}")
        tcp = (host, int(port))
    return serve(tcp)


COMMANDS = {"index": cmd_index, "search": cli_search.cmd_search, "status": cmd_status, "graph": cmd_graph,
            "symbols": cmd_symbols, "serve": cmd_serve, "refactor": cli_refactor.cmd_refactor,
            "ask": cli_agent.cmd_ask, "agent": cli_agent.cmd_agent, "export-finetune": cli_agent.cmd_export_finetune,
            "feedback": cli_learn.cmd_feedback, "learn": cli_learn.cmd_learn,
            "train": cli_models.cmd_train, "models": cli_models.cmd_models, "prompts": cli_prompts.cmd_prompts,
            "spec": cli_spec.cmd_spec, "settings": cli_settings.cmd_settings, "doctor": cli_doctor.cmd_doctor,
            "steering": cli_steering.cmd_steering, "schema": cli_schema.cmd_schema, "mcp": cli_mcp.cmd_mcp,
            "stats": cli_team.cmd_stats, "worker": cli_team.cmd_worker}


def _deepest(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The (sub)command parser the arguments reached: its usage line is the one to show."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            child = action.choices.get(getattr(args, action.dest, None) or "")
            if child is not None:
                return _deepest(child, args)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("LANCE_LOG", "error")
    limit_malloc_arenas()  # before LanceDB and torch start their threads
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)  # exits 2 on usage errors
    if extra:  # reported with the usage line of the command they were given to
        _deepest(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command not in ("serve", "mcp"):  # those two install their own (server/logs.py)
        from specpilot.server.logs import event_log

        event_log("cli", True)  # observability.eventLog is honoured once a command reads the settings
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        _deepest(parser, args).print_usage(sys.stderr)
        print(f"specpilot: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except SpecPilotError as exc:  # every engine's refusal: its message, its exit status
        print(f"specpilot: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("specpilot: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, not a traceback
        logging.getLogger("specpilot").debug("unexpected failure", exc_info=True)
        print(f"specpilot: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
