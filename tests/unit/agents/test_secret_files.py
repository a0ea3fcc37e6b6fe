"""The deny rule end to end: files of secrets are never indexed, searched, quoted or read, by any
path that reaches a model — the index, every agent tool, the prompt's automatic context — and
secrets inside ordinary files never reach the model whatever formatting a tool adds.

A real workspace index (LanceDB, tree-sitter; full text only, no embedding model), the real
agent tools and the real OpenAI SDK over HTTP to a loopback server that records every byte."""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.loopback.anthropic_server as anthropic_wire
import tests.loopback.openai_server as openai_wire
from specpilot.core.config import Settings
from specpilot.core.scanner import scan
from specpilot.index.engine import WorkspaceIndex
from specpilot.index.search import SearchFilters
from specpilot.spec.trace import find_citations
from tests.loopback import LoopbackServer
from tests.unit.agents.secrets_corpus import fake, gutter, pem
from tests.unit.agents.test_loop import call, session

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

# path -> a unique marker word planted in the file, next to a secret
SECRET_FILES = {
    ".env": "zebraquill", "deploy/.env.production": "ottermaple", "certs/server.pem": "lynxharbor",
    "certs/tls.key": "pumafable", "home/id_rsa": "koalaprism", "home/id_ed25519.pub": "ibexcanyon",
    ".ssh/config.py": "yakmeadow", ".aws/credentials": "newtglacier", "ops/.aws/helper.py": "walrusdune",
    ".npmrc": "bisonpetal", ".pypirc": "gekkoriver", ".netrc": "hyenacomet", "config/secrets.yaml": "tapirlumen",
    "config/credentials.json": "orcaember", "keys/site.p12": "mothsilver", "kube/kubeconfig": "crowtundra",
    "app/Secrets.TOML": "ferretdawn",
}


def plant(root: Path) -> dict[str, str]:
    """Files of secrets, each holding a marker function and a key; returns path -> key."""
    keys = {}
    for rel, marker in SECRET_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        key = "sk-" + fake(ALNUM, 40)
        keys[rel] = key
        path.write_text(f"def {marker}():\n    return '{key}'  # {marker}\n")
    # An ignore file that tries to bring them back cannot: the deny rule is not an ignore rule.
    (root / ".gitignore").write_text("!.env\n!*.pem\n!.aws/\n")
    (root / "app.py").write_text("def ordinary():\n    return 'kept'\n")
    return keys


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "ws"
    root.mkdir()
    return root, plant(root)


def offline_settings() -> Settings:
    settings = Settings()
    settings.embedder.enabled = False
    return settings


def test_the_walker_never_lists_a_file_of_secrets(planted: tuple[Path, dict[str, str]]) -> None:
    root, _ = planted
    listed = {f.path for f in scan(root).files}
    assert "app.py" in listed
    assert listed.isdisjoint(SECRET_FILES), listed & set(SECRET_FILES)


def test_the_index_and_search_never_hold_a_file_of_secrets(planted: tuple[Path, dict[str, str]]) -> None:
    root, keys = planted
    index = WorkspaceIndex(root, offline_settings())
    try:
        index.update()
        assert set(index.manifest.files) <= {"app.py", ".gitignore"} and "app.py" in index.manifest.files
        for rel, marker in SECRET_FILES.items():
            assert index.search(marker, mode="bm25") == [], rel
            assert index.graph.definitions(marker) == [], rel
        assert [hit.name for hit in index.search("ordinary", mode="bm25")] == ["ordinary"]
        # An editor buffer of a file of secrets is not indexed either.
        index.update_paths([".env"], {".env": "def zebraquill():\n    pass\n"})
        assert ".env" not in index.manifest.files and index.search("zebraquill", mode="bm25") == []
    finally:
        index.close()


def test_search_results_never_name_a_file_of_secrets_even_from_an_old_index() -> None:
    accepts = SearchFilters().accepts
    assert accepts("src/app.py") and accepts("lib/secrets.py") and accepts(".env.example")
    for rel in SECRET_FILES:
        assert not accepts(rel), rel


def test_spec_citations_are_never_read_from_a_file_of_secrets(planted: tuple[Path, dict[str, str]]) -> None:
    root, _ = planted
    (root / ".ssh" / "config.py").write_text("# Requirements: R1\ndef f():\n    pass\n")
    (root / "app.py").write_text("# Requirements: R2\ndef ordinary():\n    pass\n")
    assert [(c.path, c.ids) for c in find_citations(root)] == [("app.py", ("R2",))]


def test_no_tool_and_no_prompt_context_sends_a_file_of_secrets(planted: tuple[Path, dict[str, str]],
                                                                 openai_server: LoopbackServer) -> None:
    root, keys = planted
    calls = []
    for rel, marker in SECRET_FILES.items():
        calls += [call("read_file", {"path": rel}), call("list_symbols", {"path": rel}),
                  call("search_code", {"query": marker}), call("graph_neighbours", {"symbol": marker}),
                  call("find_references", {"path": rel, "line": 1, "column": 5})]
    calls.append(call("read_file", {"path": "../ws/.env"}))
    calls.append(call("search_code", {"query": "return", "path_glob": "**"}))
    openai_server.push(*[openai_wire.answer(tool_calls=[c]) for c in calls],
                       openai_wire.answer("Nothing there."), openai_wire.answer("DONE"))
    markers = " ".join(SECRET_FILES.values())
    session(root, openai_server, max_iterations=len(calls) + 2).run(f"Find {markers}")
    text = openai_server.seen_decoded()
    assert "ordinary" in text or "no code matches" in text  # the tools did answer
    for rel, key in keys.items():
        assert key not in text, rel
        # The marker was in the task itself; it must never come back as code from the file.
        assert f"def {SECRET_FILES[rel]}" not in text, rel
    refusals = [m["content"] for r in openai_server.requests for m in r.body["messages"]
                if m["role"] == "tool" and "may not read" in m["content"]]
    assert len(refusals) >= 2 * len(SECRET_FILES)  # read_file and list_symbols of each say why


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_secrets_in_ordinary_files_never_reach_the_model_through_tool_formatting(
        tmp_path: Path, provider: str, openai_server: LoopbackServer, anthropic_server: LoopbackServer) -> None:
    server = openai_server if provider == "openai" else anthropic_server
    wire = openai_wire if provider == "openai" else anthropic_wire
    root = tmp_path / "ws"
    (root / "ops").mkdir(parents=True)
    key_block = pem("RSA PRIVATE KEY", 300)
    yaml_pw = "Zq" + fake(ALNUM, 14)
    django = fake(ALNUM + "!@#%^&*(-_=+)", 50) + "=="
    (root / "ops" / "notes.txt").write_text("deploy with this key:\n" + key_block)
    (root / "ops" / "db.yml").write_text(f"db:\n  user: app\n  password: {yaml_pw}\n")
    (root / "settings.py").write_text(f"SECRET_KEY = '{django}'\nDEBUG = True\n")
    patch = ("--- a/ops/db.yml\n+++ b/ops/db.yml\n@@ -1,3 +1,3 @@\n db:\n   user: app\n"
             f"-  password: {yaml_pw}\n+  password: {yaml_pw}X\n")
    server.push(wire.answer(tool_calls=[call("read_file", {"path": "ops/notes.txt"})]),
                       wire.answer(tool_calls=[call("read_file", {"path": "ops/db.yml"})]),
                       wire.answer(tool_calls=[call("read_file", {"path": "settings.py"})]),
                       wire.answer(tool_calls=[call("propose_patch", {"diff": patch})]),
                       wire.answer(tool_calls=[call("search_code", {"query": "SECRET_KEY"})]),
                       wire.answer("Done."), wire.answer("DONE"))
    session(root, server, provider).run("Look at the ops files")
    text = server.seen_decoded()
    body_lines = [line for line in key_block.splitlines() if not line.startswith("-----")]
    assert not [line for line in body_lines if line in text]
    assert yaml_pw not in text and django not in text and django[:20] not in text
    assert "DEBUG = True" in text and "user: app" in text  # the rest went
    assert "2| [REDACTED:private_key]" in text  # the gutter stays around the placeholder
    assert all(r.body for r in server.requests)  # every body stayed valid JSON


def test_the_gutter_helper_numbers_lines() -> None:
    assert gutter("a\nb", 9) == " 9| a\n10| b\n"



def test_a_linter_quoting_a_bare_piece_of_a_key_does_not_leak_it(tmp_path: Path,
                                                                   openai_server: LoopbackServer) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    body = fake(ALNUM, 48)
    # Read as Python, `sk-<body>` is a subtraction: the linter reports the body as an undefined name, bare.
    (root / "keys.py").write_text(f"OPENAI_API_KEY=sk-{body}\n")
    openai_server.push(openai_wire.answer(tool_calls=[call("run_lint", {"paths": ["keys.py"]})]),
                       openai_wire.answer("Lint done."), openai_wire.answer("DONE"))
    session(root, openai_server).run("Lint keys.py")
    text = openai_server.seen_decoded()
    assert "run_lint" in text and "Undefined name" in text  # the linter did speak
    assert body not in text and body[:12] not in text


def test_a_secret_found_once_is_redacted_in_any_later_shape() -> None:
    from specpilot.llm.safety.known_secrets import KnownSecrets
    from specpilot.llm.safety.redaction import redact

    body = fake(ALNUM, 40)
    assert f"ghp_{body[:36]}" not in redact(f"token: ghp_{body[:36]}").text
    later = redact(f"error at column 5: unexpected `{body[:36]}`").text
    assert body[:36] not in later and "[REDACTED:github_token]" in later
    memory = KnownSecrets(limit=2)
    for value in ("first1234567890", "second123456789", "third1234567890"):
        memory.learn(value, "secret")
    assert len(memory) == 2 and list(memory.find("first1234567890 third1234567890")) == [(16, 31, "secret")]
    memory.learn("plainwords", "password")  # a word alone is not worth redacting everywhere
    assert list(memory.find("plainwords")) == []


def test_refactorings_never_read_a_file_of_secrets_even_from_an_open_buffer(
        planted: tuple[Path, dict[str, str]]) -> None:
    from specpilot.ast_tools.edits import Refusal
    from specpilot.ast_tools.workspace import Workspace

    root, _ = planted
    workspace = Workspace(root, {".aws/tool.py": ("from app import ordinary\nordinary()\n", 3)})
    assert "app.py" in workspace.python_files()
    assert not any(p.startswith((".aws/", ".ssh/", "ops/.aws/")) for p in workspace.python_files())
    with pytest.raises(Refusal, match="may not read"):
        workspace.read(".aws/tool.py")
