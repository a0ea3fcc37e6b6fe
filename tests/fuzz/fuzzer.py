"""A seeded message generator for the language server, and the run that tallies its answers.

Every request method the server advertises and every command it lists is sent
with params that are valid (real files, real positions), at the boundaries
(position 0 and 2**31 - 1, empty text, huge versions) or broken (wrong types,
missing fields, unknown and non-file URIs, lone surrogates, junk arguments).
Document notifications open, edit (random ranges, random versions), save and
close real and imaginary files, up to ``IN_FLIGHT`` requests run at once, and
``$/cancelRequest`` hits some of them. ``run`` returns what a user would notice:
answers, timeouts, error codes, latency and popups.
"""

from __future__ import annotations

import asyncio
import copy
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wire import Answer, Wire

if (ROOT := str(Path(__file__).resolve().parents[2])) not in sys.path:
    sys.path.append(ROOT)  # this module is imported by name (tests/fuzz/conftest.py, bench/fuzz.py)
from tests.waiting import until  # noqa: E402

IN_FLIGHT = 6
INTERNAL_ERROR = -32603
ERROR_POPUP = 1
MAX_INT = 2**31 - 1
SLOW_COMMANDS = {"specpilot.index.rebuild", "specpilot.agent.run", "specpilot.spec.runTask",
                 "specpilot.spec.new", "specpilot.spec.design", "specpilot.spec.tasks", "specpilot.spec.review",
                 "specpilot.spec.clarify"}
REQUEST_SHARE = 0.6


@dataclass
class Tally:
    messages: int = 0
    notifications: int = 0
    requests: int = 0
    answered: int = 0
    timeouts: list[str] = field(default_factory=list)
    errors: Counter[int] = field(default_factory=Counter)
    internal_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    by_method: Counter[str] = field(default_factory=Counter)
    commands: Counter[str] = field(default_factory=Counter)
    popups: list[tuple[int, str]] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, answer: Answer, params: Any) -> None:
        self.by_method[answer.method] += 1
        if answer.method == "workspace/executeCommand" and isinstance(params, dict):
            self.commands[str(params.get("command"))] += 1
        if answer.timed_out:
            self.timeouts.append(f"{answer.method} {str(params)[:200]}")
            return
        self.answered += 1
        self.latencies.append(answer.seconds)
        if answer.error is not None:
            code = int(answer.error.get("code", 0))
            self.errors[code] += 1
            if code == INTERNAL_ERROR:
                self.internal_errors.append(f"{answer.method} {str(params)[:200]} -> {answer.error.get('message')}")

    @property
    def faulty_popups(self) -> list[str]:
        """Popups that are not the server's deliberate messages (which start with "SpecPilot" and
        are warnings or information, e.g. a rename that also touched strings): errors, pygls'
        "Error in server: ..."."""
        return [text for kind, text in self.popups if kind == ERROR_POPUP or not text.startswith("SpecPilot")]

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return 1000 * (self.latencies[0] if self.latencies else 0.0)
        return 1000 * statistics.quantiles(self.latencies, n=20)[-1]

    @property
    def median_ms(self) -> float:
        return 1000 * statistics.median(self.latencies) if self.latencies else 0.0


class Generator:
    def __init__(self, rng: random.Random, root: Path, capabilities: dict[str, Any]) -> None:
        self.rng = rng
        self.root = root
        self.files = sorted(p for p in root.rglob("*") if p.is_file() and ".specpilot" not in p.parts)
        self.open: dict[str, tuple[int, list[str]]] = {}  # uri -> (version, lines) as the client sees them
        self.ever_opened: set[str] = set()  # a mutated didClose may have left any of them open
        self.actions: list[Any] = []  # code actions the server listed, for codeAction/resolve
        self.commands = list((capabilities.get("executeCommandProvider") or {}).get("commands") or [])
        self.requests = requests_of(capabilities)
        self._next_commands: list[str] = []
        self.sent_once: set[str] = set()

    # -- values ---------------------------------------------------------------------------------
    def text(self) -> str:
        pieces = ["def f(x):\n    return x\n", "class A:\n    pass\n", "é", "😀", "\ud800", "\udfff", "\r\n", "\n",
                  "REQ-1", "T1", "parse_headers", "HeaderMap", "    ", "\t", "\x00", "#", "'''", "(", ")", "[x"]
        return "".join(self.rng.choice(pieces) for _ in range(self.rng.randint(0, 12)))

    def junk(self, depth: int = 0) -> Any:
        pick = self.rng.randrange(10 if depth < 2 else 7)
        if pick < 6:
            return [None, True, -1, MAX_INT + 1, 1.5, ""][pick]
        if pick == 6:
            return self.text()
        if pick == 7:
            return [self.junk(depth + 1)]
        return {"x" if pick == 8 else self.text(): self.junk(depth + 1)}

    def real_uri(self) -> str:
        return self.rng.choice(self.files).as_uri()

    def uri(self) -> Any:
        roll = self.rng.random()
        if roll < 0.7:
            return self.rng.choice(list(self.open) or [self.real_uri()]) if self.rng.random() < 0.5 \
                else self.real_uri()
        return self.rng.choice([
            (self.root / f"missing_{self.rng.randrange(5)}.py").as_uri(), (self.root / "missing.md").as_uri(),
            "file:///tmp/outside_any_folder.py", "untitled:Untitled-1", "http://example.com/a.py",
            "git:/x.py?ref", "", "not a uri", "file://", "file:///%zz%%", "file:///\ud800.py", self.root.as_uri(),
            (self.root / "httpkit").as_uri(), 42, None])

    def lines_of(self, uri: Any) -> list[str]:
        if uri in self.open:
            return self.open[uri][1]
        try:
            return Path(uri.removeprefix("file://")).read_text(encoding="utf-8").split("\n")
        except (AttributeError, OSError, UnicodeError, ValueError):
            return [""]

    def position(self, uri: Any) -> Any:
        lines = self.lines_of(uri)
        roll = self.rng.random()
        if roll < 0.75:
            line = self.rng.randrange(len(lines))
            return {"line": line, "character": self.rng.randint(0, len(lines[line]) + 1)}
        return self.rng.choice([{"line": 0, "character": 0}, {"line": MAX_INT, "character": MAX_INT},
                                {"line": len(lines), "character": 0}, {"line": 0, "character": 10**6},
                                {"line": -1, "character": 0}, {"line": "1", "character": 0}, {"line": 1.5},
                                {"character": 3}, [0, 0], None])

    def range_(self, uri: Any) -> Any:
        start, end = self.position(uri), self.position(uri)
        if isinstance(start, dict) and isinstance(end, dict) and self.rng.random() < 0.8:
            a = (start.get("line"), start.get("character"))
            b = (end.get("line"), end.get("character"))
            if all(isinstance(v, int) for v in (*a, *b)) and b < a:
                start, end = end, start
        return {"start": start, "end": end}

    def doc(self, uri: Any) -> dict[str, Any]:
        return {"uri": uri}

    # -- mutation -------------------------------------------------------------------------------
    def mutate(self, params: Any) -> Any:
        """``params`` unchanged (most of the time), or with one field broken or removed."""
        roll = self.rng.random()
        if roll < 0.7:
            return params
        params = copy.deepcopy(params)
        if roll < 0.75 or not isinstance(params, dict) or not params:
            return self.junk()
        paths = list(_paths(params))
        path = self.rng.choice(paths)
        target = params
        for key in path[:-1]:
            target = target[key]
        if isinstance(target, dict) and self.rng.random() < 0.4:
            target.pop(path[-1], None)
        else:
            target[path[-1]] = self.junk()
        return params

    # -- requests -------------------------------------------------------------------------------
    def request(self) -> tuple[str, Any, bool]:
        """(method, params, omit params)."""
        method = self.rng.choice(self.requests)
        if method == "workspace/executeCommand":
            command = self.command()
            if command["command"] not in self.sent_once:  # each command once as generated, then mutated too
                self.sent_once.add(command["command"])
                return method, command, False
            return method, self.mutate(command), False
        uri = self.uri()
        params: Any
        if method == "workspace/symbol":
            params = {"query": self.rng.choice(["parse", "HeaderMap", "invoice total", "", " ", self.text()])}
        elif method == "specpilot/search":
            params = {"query": self.rng.choice(["parse headers", "money", self.text()]),
                      "k": self.rng.choice([None, 1, 5, 0, 500]), "mode": self.rng.choice([None, "bm25", "x"]),
                      "filters": self.rng.choice([None, {"language": "python"}, {"bad": "x"}])}
        elif method == "specpilot/specTree":
            params = self.rng.choice([{}, {"uri": uri}, None])
        elif method == "codeAction/resolve":
            params = self.rng.choice(self.actions) if self.actions and self.rng.random() < 0.7 else {
                "title": "x", "data": {"uri": uri, "version": self.rng.randint(-1, 5),
                                       "offer": self.junk()}}
        elif method in ("textDocument/documentSymbol", "textDocument/codeLens"):
            params = {"textDocument": self.doc(uri)}
        elif method == "textDocument/codeAction":
            params = {"textDocument": self.doc(uri), "range": self.range_(uri),
                      "context": {"diagnostics": [], "only": self.rng.choice([None, ["refactor"], ["quickfix"]])}}
        elif method == "textDocument/references":
            params = {"textDocument": self.doc(uri), "position": self.position(uri),
                      "context": {"includeDeclaration": self.rng.random() < 0.5}}
        elif method == "textDocument/rename":
            params = {"textDocument": self.doc(uri), "position": self.position(uri),
                      "newName": self.rng.choice(["renamed", "class", "", "a b", "x\ud800", "HeaderMap2"])}
        else:  # hover, definition, prepareRename and any other position request
            params = {"textDocument": self.doc(uri), "position": self.position(uri)}
        omit = self.rng.random() < 0.02
        return method, self.mutate(params), omit

    def command(self) -> dict[str, Any]:
        rng = self.rng
        if not self._next_commands:  # each command in turn (shuffled), so a short run sends them all
            self._next_commands = self.commands + ["specpilot.nope", ""]
            rng.shuffle(self._next_commands)
        name = self._next_commands.pop()
        uri = self.uri()
        where = self.position(uri) or {}
        spot = {"uri": uri, **(where if isinstance(where, dict) else {})}
        arguments: dict[str, list[Any]] = {
            "specpilot.search": [{"query": "parse headers"}],
            "specpilot.index.status": [],
            "specpilot.index.rebuild": [],
            "specpilot.refactor.addDecorator": [{**spot, "decorator": rng.choice(["staticmethod", "", "1x"])}],
            "specpilot.refactor.changeSignature": [{**spot, "add": [{"name": "flag", "default": "None"}]}],
            "specpilot.refactor.apply": [{"file_path": uri, "actions": [{"action": "rename", "x": 1}]}],
            "specpilot.spec.new": [{"idea": self.text() or "retry failed uploads", "title": rng.choice([None, "T"])}],
            "specpilot.spec.clarify": [{"answers": {"Q1": "yes"}}],
            "specpilot.spec.design": [{"force": True}],
            "specpilot.spec.tasks": [{}],
            "specpilot.spec.review": [{}],
            "specpilot.spec.runTask": [{"taskId": rng.choice(["T1", "", "T99"])}],
            "specpilot.spec.markDone": [{"taskId": "T1", "done": rng.choice([True, "yes"])}],
            "specpilot.agent.run": [{"uri": uri, "version": rng.randint(-1, 3), "offer": self.junk()}],
        }
        if name == "specpilot.index.rebuild" and name in self.sent_once and rng.random() < 0.8:
            name = "specpilot.index.status"  # a rebuild re-reads the folder: now and then is enough
        args = arguments.get(name, [self.junk()])
        if rng.random() < 0.15:
            args = [self.junk() for _ in range(rng.randrange(3))]
        return {"command": name, "arguments": args}

    # -- notifications --------------------------------------------------------------------------
    def notification(self, in_flight: list[int]) -> tuple[str, Any]:
        roll = self.rng.random()
        if roll < 0.3:
            return self.did_open()
        if roll < 0.6 and self.open:
            return self.did_change()
        if roll < 0.72:
            return self.did_close()
        if roll < 0.8:
            uri = self.uri()
            return "textDocument/didSave", self.mutate({"textDocument": self.doc(uri)})
        if roll < 0.86:
            return "$/cancelRequest", {"id": self.rng.choice(in_flight or [0])}
        if roll < 0.92:
            kind = self.rng.choice([1, 2, 3, 7])
            return "workspace/didChangeWatchedFiles", self.mutate({"changes": [{"uri": self.uri(), "type": kind}]})
        if roll < 0.95:
            return "$/setTrace", {"value": self.rng.choice(["off", "messages", "verbose", "loud"])}
        if roll < 0.96:
            return "workspace/didChangeWorkspaceFolders", self.mutate({"event": {
                "added": [{"uri": (self.root / "missing_folder").as_uri(), "name": "x"}], "removed": []}})
        if roll < 0.97:  # settings the folder already has, or junk the server must shrug off
            return "workspace/didChangeConfiguration", self.rng.choice([
                {"settings": {"specpilot": {"embedder": {"enabled": False}}}}, {"settings": None},
                {"settings": self.junk()}])
        if roll < 0.98:
            return "specpilot/setApiKey", self.rng.choice([{"key": ""}, {"key": self.junk()}, self.junk()])
        return "textDocument/didOpen", self.junk()

    def did_open(self) -> tuple[str, Any]:
        uri = self.uri() if self.rng.random() < 0.3 else self.real_uri()
        if isinstance(uri, str) and uri.startswith("file://") and self.rng.random() < 0.8:
            text = "\n".join(self.lines_of(uri))
        else:
            text = self.text()
        version = self.rng.choice([0, 1, 7, MAX_INT])
        if isinstance(uri, str):
            self.open[uri] = (version, text.split("\n"))
            self.ever_opened.add(uri)
        language = "python" if str(uri).endswith(".py") else "markdown"
        return "textDocument/didOpen", self.mutate({"textDocument": {
            "uri": uri, "languageId": language, "version": version, "text": text}})

    def did_change(self) -> tuple[str, Any]:
        uri = self.rng.choice(list(self.open))
        version, lines = self.open[uri]
        version = version + 1 if self.rng.random() < 0.9 else self.rng.choice([0, version - 1, -5])
        new_text = self.text()
        if self.rng.random() < 0.1:
            change: dict[str, Any] = {"text": new_text}
            lines = new_text.split("\n")
        else:
            change = {"range": self.range_(uri), "text": new_text}
            lines = _apply(lines, change)
        self.open[uri] = (version, lines)
        return "textDocument/didChange", self.mutate({"textDocument": {"uri": uri, "version": version},
                                                      "contentChanges": [change]})

    def did_close(self) -> tuple[str, Any]:
        uri = self.rng.choice(list(self.open)) if self.open and self.rng.random() < 0.8 else self.uri()
        if isinstance(uri, str):
            self.open.pop(uri, None)
        return "textDocument/didClose", self.mutate({"textDocument": {"uri": uri}})


def _apply(lines: list[str], change: dict[str, Any]) -> list[str]:
    """The client's copy after an edit (best effort: a broken range leaves it as it was)."""
    try:
        start, end = change["range"]["start"], change["range"]["end"]
        (sl, sc), (el, ec) = (start["line"], start["character"]), (end["line"], end["character"])
        if not all(isinstance(v, int) and 0 <= v for v in (sl, sc, el, ec)) or sl >= len(lines) or el >= len(lines):
            return lines
        text = "\n".join(lines)
        offsets = [0]
        for line in lines:
            offsets.append(offsets[-1] + len(line) + 1)
        a = offsets[sl] + min(sc, len(lines[sl]))
        b = offsets[el] + min(ec, len(lines[el]))
        if b < a:
            return lines
        return (text[:a] + change["text"] + text[b:]).split("\n")
    except (KeyError, TypeError):
        return lines


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*prefix, index))
            out.extend(_paths(item, (*prefix, index)))
    return out


def requests_of(capabilities: dict[str, Any]) -> list[str]:
    """The request methods the server advertises in its capabilities, plus its own."""
    by_capability = {
        "hoverProvider": ["textDocument/hover"], "definitionProvider": ["textDocument/definition"],
        "referencesProvider": ["textDocument/references"], "documentSymbolProvider": ["textDocument/documentSymbol"],
        "workspaceSymbolProvider": ["workspace/symbol"], "codeLensProvider": ["textDocument/codeLens"],
        "executeCommandProvider": ["workspace/executeCommand"],
    }
    methods = [m for key, names in by_capability.items() if capabilities.get(key) for m in names]
    code_action = capabilities.get("codeActionProvider")
    if code_action:
        methods.append("textDocument/codeAction")
        if isinstance(code_action, dict) and code_action.get("resolveProvider"):
            methods.append("codeAction/resolve")
    rename = capabilities.get("renameProvider")
    if rename:
        methods.append("textDocument/rename")
        if isinstance(rename, dict) and rename.get("prepareProvider"):
            methods.append("textDocument/prepareRename")
    return methods + ["specpilot/search", "specpilot/specTree"]


async def run(wire: Wire, root: Path, capabilities: dict[str, Any], count: int, seed: int,
              timeout: float = 30.0, slow_timeout: float = 120.0) -> tuple[Tally, Generator]:
    """Send ``count`` messages (about 60% requests); wait for every answer."""
    rng = random.Random(seed)
    generator = Generator(rng, root, capabilities)
    tally = Tally()
    started = time.perf_counter()
    popups_before = len(wire.popups())
    slots = asyncio.Semaphore(IN_FLIGHT)
    tasks: list[asyncio.Task[None]] = []
    in_flight: list[int] = []

    async def one(method: str, params: Any, omit: bool) -> None:
        limit = slow_timeout if method == "workspace/executeCommand" and isinstance(params, dict) \
            and str(params.get("command")) in SLOW_COMMANDS else timeout
        msg_id = wire.new_id()
        in_flight.append(msg_id)
        try:
            answer = await wire.request(method, params, timeout=limit, omit_params=omit, msg_id=msg_id)
        finally:
            in_flight.remove(msg_id)
            slots.release()
        tally.add(answer, params)
        if method == "textDocument/codeAction" and isinstance(answer.result, list):
            generator.actions.extend(a for a in answer.result if isinstance(a, dict) and "data" in a)
            del generator.actions[:-20]

    for _ in range(count):
        if not wire.alive:
            break
        tally.messages += 1
        if rng.random() < REQUEST_SHARE:
            method, params, omit = generator.request()
            tally.requests += 1
            await slots.acquire()
            tasks.append(asyncio.ensure_future(one(method, params, omit)))
        else:
            method, params = generator.notification(in_flight)
            tally.notifications += 1
            await wire.notify(method, params)
    if tasks:
        await asyncio.gather(*tasks)
    tally.seconds = time.perf_counter() - started
    tally.popups = wire.popups()[popups_before:]
    return tally, generator


async def close_all(wire: Wire, generator: Generator) -> None:
    """Close every document the run left open (the disk wins again)."""
    for uri in sorted(generator.ever_opened):
        await wire.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    generator.open.clear()


async def check_answers(wire: Wire, root: Path) -> None:
    """Answers that must be right after the storm (the fixture project, tests/data/server/project)."""
    headers = (root / "httpkit" / "headers.py").as_uri()

    async def outline() -> list[str] | None:
        answer = await wire.request("textDocument/documentSymbol", {"textDocument": {"uri": headers}})
        return [s["name"] for s in answer.result or []] or None

    assert await until(outline, interval=0.2) == ["HeaderMap", "parse_headers"]

    async def symbol() -> bool:
        answer = await wire.request("workspace/symbol", {"query": "parse_headers"})
        return any(s["name"] == "parse_headers" for s in answer.result or [])

    await until(symbol, interval=0.2)

    async def search() -> bool:
        answer = await wire.request("specpilot/search", {"query": "format money cents currency", "mode": "bm25"})
        hits = (answer.result or {}).get("hits") or [{}]
        return hits[0].get("path") == "billing/invoice.py"

    await until(search, interval=0.2)
    rename = await wire.request("textDocument/prepareRename", {
        "textDocument": {"uri": headers}, "position": {"line": 5, "character": 7}})
    assert rename.error is None and rename.result["placeholder"] == "HeaderMap", rename
    missing = await wire.request("textDocument/hover", {
        "textDocument": {"uri": (root / "missing.md").as_uri()}, "position": {"line": 0, "character": 0}})
    assert missing.error is None and missing.result is None, missing
    unknown = await wire.request("workspace/executeCommand", {"command": "specpilot.nope", "arguments": []})
    assert unknown.error is not None and unknown.error["code"] == -32602, unknown
