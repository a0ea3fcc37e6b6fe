import sqlite3
from pathlib import Path

from specpilot.index.graph_store import GraphStore
from specpilot.index.model import SymbolEntry
from tests.sqlite_lock import open_while_write_locked


def entries() -> list[SymbolEntry]:
    return [
        SymbolEntry("a.py", "parse", "def", 1, ""),
        SymbolEntry("a.py", "helper", "def", 10, ""),
        SymbolEntry("a.py", "helper", "call", 3, "parse"),
        SymbolEntry("b.py", "Client", "def", 1, ""),
        SymbolEntry("b.py", "send", "def", 2, "Client"),
        SymbolEntry("b.py", "parse", "call", 4, "Client.send"),
        SymbolEntry("b.py", "parse", "import", 1, "", "a.parse"),
    ]


def test_callers_callees_and_neighbours(tmp_path: Path) -> None:
    graph = GraphStore(tmp_path / "g.db")
    graph.replace_files({"a.py": entries()[:3], "b.py": entries()[3:]})
    assert [n.qualified_name for n in graph.callers("parse")] == ["Client.send"]
    assert [(e.name, e.path, e.line) for e in graph.callees("parse")] == [("helper", "a.py", 3)]
    assert [(d.path, d.line) for d in graph.callees("parse")[0].definitions] == [("a.py", 10)]
    assert [n.qualified_name for n in graph.definitions("Client.send")] == ["Client.send"]
    names = {n.qualified_name for n in graph.neighbours("parse")}
    assert names == {"helper", "Client.send"}
    assert graph.imports_of("b.py") == [("parse", "a.parse")]


def test_replacing_and_deleting_a_file_drops_its_edges(tmp_path: Path) -> None:
    graph = GraphStore(tmp_path / "g.db")
    graph.replace_files({"a.py": entries()[:3], "b.py": entries()[3:]})
    graph.replace_files({"b.py": [SymbolEntry("b.py", "Client", "def", 1, "")]})
    assert graph.callers("parse") == []
    graph.delete_paths(["a.py"])
    assert graph.definitions("parse") == []
    assert graph.count() == 1


def test_a_new_graph_file_waits_for_another_process_writing_to_it(tmp_path: Path) -> None:
    # SQLite refuses the switch to WAL at once while another connection holds the write lock; the index opening
    # the file (the CLI while the server creates it) waits for the lock instead of failing.
    path = tmp_path / "g.db"

    def open_graph() -> int:
        graph = GraphStore(path)
        graph.replace_files({"a.py": entries()[:3]})
        return graph.count()

    assert open_while_write_locked(path, open_graph) == 3
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone() == ("wal",)
