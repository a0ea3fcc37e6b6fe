"""Settings from pyproject.toml, workspace/configuration and initializationOptions."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from .conftest import search, start, until


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
