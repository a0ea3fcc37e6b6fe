"""Settings from pyproject.toml, workspace/configuration and initializationOptions."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import NO_MODEL, search, start, symbols, until, wait_for_status


def hit_count(answer: dict) -> int:  # type: ignore[type-arg]
    return len(answer["hits"])


async def test_each_source_applies_and_later_sources_win(client: LanguageClient, project: Path) -> None:
    (project / "pyproject.toml").write_text(
        "[tool.specpilot]\nembedder = { enabled = false }\nsearch = { k = 2, mode = 'bm25' }\n")
    client.set_configuration({"search": {"k": 3}}, section="specpilot")
    await start(client, project, options={"search": {"mode": "bm25"}})
    # pyproject turned the model off and set k=2; the editor's k=3 wins over it
    assert hit_count(await search(client, query="invoice line")) == 3
    status = (await search(client, query="format_money"))["hits"][0]
    assert status["source"] == "bm25"


async def test_initialization_options_win_over_editor_settings(client: LanguageClient, project: Path) -> None:
    client.set_configuration({"search": {"k": 3}}, section="specpilot")
    await start(client, project, options={"embedder": {"enabled": False}, "search": {"k": 4}})
    assert hit_count(await search(client, query="invoice line header")) == 4


async def test_changed_configuration_is_read_again(client: LanguageClient, project: Path) -> None:
    client.set_configuration({"search": {"k": 2}, "embedder": {"enabled": False}}, section="specpilot")
    await start(client, project)
    assert hit_count(await search(client, query="invoice line header")) == 2
    client.set_configuration({"search": {"k": 5}, "embedder": {"enabled": False}}, section="specpilot")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))

    async def five() -> bool:
        return hit_count(await search(client, query="invoice line header")) == 5

    await until(five)
    # The log says what changed (the only change here: k).
    assert [m.message.split("settings changed: ")[1] for m in client.log_messages
            if "settings changed: " in m.message] == ["search.k"]


async def test_a_bad_setting_is_shown_and_the_default_used(client: LanguageClient, project: Path) -> None:
    client.set_configuration({"index": {"maxFileBytes": "big"}, "search": {"k": 0},
                              "embedder": {"enabled": False}, "colour": "blue"}, section="specpilot")
    await start(client, project)
    shown = " ".join(m.message for m in client.messages if m.type == types.MessageType.Warning)
    assert "index.maxFileBytes" in shown and "search.k" in shown and "colour" in shown
    assert hit_count(await search(client, query="invoice line header money")) == 10  # default k
    assert "format_money" in [h["name"] for h in (await search(client, query="format_money"))["hits"]]


async def test_settings_pushed_by_a_client_without_configuration_requests(
        client: LanguageClient, project: Path) -> None:
    await start(client, project, options={"embedder": {"enabled": False}}, configuration=False)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"specpilot": {"search": {"k": 1}}}))

    async def one() -> bool:
        return hit_count(await search(client, query="invoice line header")) == 1

    await until(one)


# -- issue 15 E: a bad setting is refused by name, and the value in use stays ----------------------------

def warnings(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Warning]


def warned(client: LanguageClient, *needles: str) -> bool:
    return any(all(n in m for n in needles) for m in warnings(client))


def changed(client: LanguageClient, section: dict | None = None) -> None:  # type: ignore[type-arg]
    if section is not None:
        client.set_configuration(section, section="specpilot")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))


async def test_huge_values_from_initialization_options_are_refused_and_symbols_answer(
        client: LanguageClient, project: Path) -> None:
    await start(client, project, options={**NO_MODEL, "search": {"k": 1e18},
                                          "server": {"workspaceSymbolLimit": 1e18}})
    assert warned(client, "search.k", "between 1 and 200", "keeping 10")
    assert warned(client, "server.workspaceSymbolLimit", "between 1 and 1_000")
    assert "format_money" in await symbols(client, "format_money")
    assert hit_count(await search(client, query="invoice line header money")) == 10


async def test_negative_and_oversized_values_from_the_editor_are_refused(
        client: LanguageClient, project: Path) -> None:
    client.set_configuration({"search": {"k": -3}, "index": {"maxFileBytes": -1, "watchDebounceMs": -5},
                              "server": {"backgroundCores": -2, "bufferDebounceMs": -1},
                              "embedder": {"enabled": False, "maxSeqLength": 100000}}, section="specpilot")
    await start(client, project)
    for key in ("search.k", "index.maxFileBytes", "index.watchDebounceMs", "server.backgroundCores",
                "server.bufferDebounceMs", "embedder.maxSeqLength"):
        assert warned(client, f"'{key}'", "must be between"), (key, warnings(client))
    assert hit_count(await search(client, query="invoice line header money")) == 10
    assert "format_money" in await symbols(client, "format_money")


async def test_an_oversized_sequence_length_does_not_break_indexing(client: LanguageClient, project: Path) -> None:
    # the real model: 100000 tokens per chunk is what broke indexing
    ready = await start(client, project, options={"embedder": {"maxSeqLength": 100000}}, wait=False)
    assert ready.capabilities is not None
    status = await wait_for_status(client, lambda s: s["state"] == "ready" and s["embedded"] == s["chunks"] > 0)
    assert status["error"] is None
    assert warned(client, "embedder.maxSeqLength", "between 16 and 512", "keeping 128")
    hits = (await search(client, query="add an invoice line", mode="vector"))["hits"]
    assert hits and all(h["source"] != "bm25" for h in hits)


async def test_bad_values_pushed_while_running_keep_the_values_in_use(
        client: LanguageClient, project: Path) -> None:
    client.set_configuration({**NO_MODEL, "search": {"k": 3}}, section="specpilot")
    await start(client, project)
    assert hit_count(await search(client, query="invoice line header money")) == 3
    changed(client, {"search": {"k": 1e18}, "embedder": {"enabled": False, "maxSeqLength": 100000}})

    async def refused() -> bool:
        return warned(client, "search.k", "keeping 3") and warned(client, "embedder.maxSeqLength")

    await until(refused)
    assert hit_count(await search(client, query="invoice line header money")) == 3  # in use, not the default
    assert "format_money" in await symbols(client, "format_money")
    shown = len(warnings(client))
    changed(client)  # the same bad values again: already shown, not shown twice
    changed(client, {**NO_MODEL, "search": {"k": 4}})

    async def four() -> bool:
        return hit_count(await search(client, query="invoice line header money")) == 4

    await until(four)
    assert len(warnings(client)) == shown
    changed(client, {**NO_MODEL, "search": {"k": 0}})  # fixed, then broken again: shown again

    async def again() -> bool:
        return warned(client, "search.k", "got 0", "keeping 4")

    await until(again)
    assert hit_count(await search(client, query="invoice line header money")) == 4


async def test_bad_values_pushed_by_a_client_without_configuration_requests(
        client: LanguageClient, project: Path) -> None:
    await start(client, project, options={**NO_MODEL, "search": {"k": 2}}, configuration=False)
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"specpilot": {"search": {"k": -1}, "embedder": {"maxSeqLength": 100000}}}))

    async def refused() -> bool:
        return warned(client, "search.k", "got -1") and warned(client, "embedder.maxSeqLength", "got 100000")

    await until(refused)
    assert hit_count(await search(client, query="invoice line header money")) == 2


async def test_a_bad_cache_path_pushed_while_running_keeps_the_working_index(
        client: LanguageClient, project: Path) -> None:
    (project / ".gitignore").write_text("dist/\n")
    client.set_configuration(NO_MODEL, section="specpilot")
    await start(client, project)
    cache = project / ".specpilot" / "cache"
    assert (cache / ".gitignore").read_text().endswith("*\n")
    for bad, reason in (("", "empty"), (str(project), "workspace folder itself"),
                        (str(project.parent), "contains the workspace"), ("/etc", "system folder")):
        changed(client, {**NO_MODEL, "cachePath": bad})

        async def refused(reason: str = reason) -> bool:
            return warned(client, "cachePath", reason)

        await until(refused)
        assert "format_money" in await symbols(client, "format_money")
        assert "format_money" in [h["name"] for h in (await search(client, query="format_money"))["hits"]]
    assert (project / ".gitignore").read_text() == "dist/\n"
    assert not (project.parent / ".gitignore").exists() and not (project / "CACHEDIR.TAG").exists()
    assert not Path("/etc/CACHEDIR.TAG").exists()


async def test_a_good_cache_path_moves_the_index(client: LanguageClient, project: Path, tmp_path: Path) -> None:
    client.set_configuration(NO_MODEL, section="specpilot")
    await start(client, project)
    moved = tmp_path / "caches" / "project"
    after = len(client.statuses)  # type: ignore[attr-defined]
    changed(client, {**NO_MODEL, "cachePath": str(moved)})
    await wait_for_status(client, lambda s: s["state"] == "ready" and s["files"] > 0, after=after)
    assert (moved / "index").is_dir() and (moved / ".gitignore").read_text().endswith("*\n")
    assert "format_money" in await symbols(client, "format_money")
    assert not warnings(client)
