"""The learning loop through the real server with learning on: an agent run's decisions are recorded,
the editor's verdict (``specpilot/feedback``) becomes their reward, ``specpilot.learn.status`` shows it,
and ``specpilot.learn.reset`` forgets it. The store is a file of this test module, never the user's."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

import tests.loopback.openai_server as wire
from specpilot.server.lsp_utils import plain
from tests.e2e.conftest import learning_client_fixture, start
from tests.e2e.test_api_keys import options
from tests.loopback.openai_server import OpenAIServer

STORE = Path(tempfile.mkdtemp(prefix="specpilot-learning-e2e-")) / "feedback.sqlite3"


learning_client = learning_client_fixture(STORE)


async def command(client: LanguageClient, name: str, *arguments: Any) -> Any:
    return plain(await client.workspace_execute_command_async(types.ExecuteCommandParams(name, list(arguments))))


async def test_verdicts_reach_the_learning_store_and_status_shows_them(learning_client: LanguageClient,
                                                                       project: Path, model: OpenAIServer) -> None:
    client = learning_client
    await start(client, project, options=options(model))
    await command(client, "specpilot.learn.reset")
    runs = []
    for verdict in (True, False, True):
        model.push(wire.answer("f returns 1."))
        result = await command(client, "specpilot.agent.run", {"task": "What does f return?", "ask": True})
        runs.append(result["runId"])
        await client.protocol.send_request_async("specpilot/feedback",
                                                 {"decisionId": result["runId"], "accepted": verdict})
    status = await command(client, "specpilot.learn.status")
    assert status["active"] is True and status["store"] == str(STORE.resolve())
    [context] = [p for p in status["points"] if p["point"] == "context"]  # an Ask's one real choice
    assert sum(a["pulls"] for a in context["arms"]) == 3
    assert sum(a["rewarded"] for a in context["arms"]) == 3
    rewards = sum((a["acceptance"] or 0) * a["rewarded"] for a in context["arms"])
    assert round(rewards) == 2  # two accepted, one rejected
    assert not [p for p in status["points"] if p["point"] == "critic"]  # an Ask has no critic to choose

    assert (await command(client, "specpilot.learn.reset"))["reset"] is True
    assert (await command(client, "specpilot.learn.status"))["points"] == []


async def test_a_search_result_opened_is_recorded_with_its_rank(learning_client: LanguageClient,
                                                                 project: Path) -> None:
    import pytest
    from pygls.exceptions import JsonRpcException

    client = learning_client
    await start(client, project, options={"embedder": {"enabled": False}})
    await command(client, "specpilot.learn.reset")
    answer = plain(await client.protocol.send_request_async("specpilot/search", {"query": "invoice line total"}))
    assert answer["hits"] and answer["decisionId"].startswith("d-")
    for bad in ({"rank": 0}, {"rank": "2"}, {"rank": True}):
        with pytest.raises(JsonRpcException, match="rank"):
            await client.protocol.send_request_async("specpilot/feedback", {
                "decisionId": answer["decisionId"], "accepted": True, **bad})
    recorded = plain(await client.protocol.send_request_async("specpilot/feedback", {
        "decisionId": answer["decisionId"], "accepted": True, "rank": 2}))
    assert recorded == {"recorded": True, "kind": "decision"}
    with pytest.raises(JsonRpcException, match="already has an outcome"):
        await client.protocol.send_request_async("specpilot/feedback", {
            "decisionId": answer["decisionId"], "accepted": True, "rank": 1})
    with pytest.raises(JsonRpcException, match="no decision 'd-nothing'"):
        await client.protocol.send_request_async("specpilot/feedback", {"decisionId": "d-nothing", "accepted": True})
    status = await command(client, "specpilot.learn.status")
    [search] = [p for p in status["points"] if p["point"] == "search"]
    assert [(a["arm"], a["pulls"], a["rewarded"]) for a in search["arms"]] == [("hybrid@0.7", 1, 1)]
    # The command (agents, scripts) records nothing.
    by_command = await command(client, "specpilot.search", {"query": "invoice line total"})
    assert "decisionId" not in by_command


async def test_a_search_keeps_its_impression_and_a_promoted_fusion_weight_ranks_the_next(
        learning_client: LanguageClient, project: Path) -> None:
    from specpilot.rl.search_clicks import FUSION_POINT, impression_of
    from specpilot.rl.store import FeedbackStore

    client = learning_client
    await start(client, project, options={})
    await command(client, "specpilot.learn.reset")
    query = {"query": "total of the invoice lines"}
    first = plain(await client.protocol.send_request_async("specpilot/search", query))
    await client.protocol.send_request_async("specpilot/feedback", {
        "decisionId": first["decisionId"], "accepted": True, "rank": 1})
    with FeedbackStore(STORE) as store:
        [(decision, data)] = store.impressions("search")
        impression = impression_of(decision, data)
        assert impression is not None and impression.weight == 0.7 and len(impression.shown) == len(first["hits"])
        assert [c.rank for c in impression.clicks] == [1]
        store.record_promotion(FUSION_POINT, "0", previous="0.7", evidence={"test": True})
    second = plain(await client.protocol.send_request_async("specpilot/search", query))
    status = await command(client, "specpilot.learn.status")
    [search] = [p for p in status["points"] if p["point"] == "search"]
    assert sorted(a["arm"] for a in search["arms"]) == ["hybrid@0", "hybrid@0.7"]
    assert search["default"] == "hybrid@0" and search["promotions"][-1]["previous"] == "0.7"
    assert [h["score"] for h in second["hits"]] != [h["score"] for h in first["hits"]]


async def test_learn_simulate_and_report_through_the_server(learning_client: LanguageClient, project: Path,
                                                            model: OpenAIServer, tmp_path: Path) -> None:
    from pygls.exceptions import JsonRpcException

    client = learning_client
    await start(client, project, options=options(model))
    await command(client, "specpilot.learn.reset")
    table = await command(client, "specpilot.learn.simulate", {"rounds": 150, "seeds": 1, "out": str(tmp_path)})
    assert [row["bandit"] for row in table["rows"]][0] == "uniform" and table["rounds"] == 150
    assert sorted(Path(p).name for p in table["files"]) == ["simulation.json", "simulation.png"]
    with pytest.raises(JsonRpcException, match="seeds"):
        await command(client, "specpilot.learn.simulate", {"seeds": 0})

    model.push(wire.answer("f returns 1."))
    result = await command(client, "specpilot.agent.run", {"task": "What does f return?", "ask": True})
    await client.protocol.send_request_async("specpilot/feedback", {"decisionId": result["runId"], "accepted": True})
    report = await command(client, "specpilot.learn.report", {"folder": project.as_uri(), "out": tmp_path.as_uri()})
    assert report["markdown"] == str(tmp_path / "report.md") and Path(report["markdown"]).is_file()
    names = sorted(Path(p).name for p in report["images"])
    assert "acceptance-context.png" in names and "simulation.png" in names
    assert all(Path(p).stat().st_size > 0 for p in report["images"])
    with pytest.raises(JsonRpcException, match="absolute"):
        await command(client, "specpilot.learn.report", {"out": "relative/folder"})


async def test_a_code_action_listed_is_a_decision_and_running_it_accepts_it(learning_client: LanguageClient,
                                                                            project: Path, model: OpenAIServer) -> None:
    from tests.e2e.conftest import open_document, until
    from tests.e2e.test_agent import SOURCE, listed
    from tests.e2e.test_code_actions import command_of

    client = learning_client
    (project / "text.py").write_text(SOURCE)
    await start(client, project, options=options(model))
    await command(client, "specpilot.learn.reset")
    open_document(client, project / "text.py", SOURCE, 1)
    actions = [a for a in await listed(client, project, 0) if a.title.startswith("SpecPilot")]
    ids = [command_of(a)[1][0]["decisionId"] for a in actions]
    assert len(ids) == 3 and len(set(ids)) == 3 and all(i.startswith("d-") for i in ids)

    async def recorded() -> bool:
        status = await command(client, "specpilot.learn.status")
        return any(p["point"] == "code_action" and sum(a["pulls"] for a in p["arms"]) == 3 for p in status["points"])

    await until(recorded, timeout=20)  # recorded off the request, after the answer
    explain = next(a for a in actions if a.title == "SpecPilot: Explain this")
    model.push(wire.answer("slugify is not written yet."))
    await client.workspace_execute_command_async(types.ExecuteCommandParams(*command_of(explain)))
    status = await command(client, "specpilot.learn.status")
    [point] = [p for p in status["points"] if p["point"] == "code_action"]
    arms = {a["arm"]: (a["pulls"], a["rewarded"], a["acceptance"]) for a in point["arms"]}
    assert arms == {"explain": (1, 1, 1.0), "implement": (1, 0, None), "tests": (1, 0, None)}


async def test_a_workspace_symbol_picked_is_recorded_with_its_rank(learning_client: LanguageClient,
                                                                   project: Path) -> None:
    from tests.e2e.conftest import capabilities, until, wait_for_status

    client = learning_client
    caps = capabilities()
    assert caps.workspace is not None
    caps.workspace.symbol = types.WorkspaceSymbolClientCapabilities(
        resolve_support=types.ClientSymbolResolveOptions(properties=["location.range"]))  # as VS Code says
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name=project.name)],
        initialization_options={"embedder": {"enabled": False}}))
    await wait_for_status(client, lambda s: s["state"] == "ready")
    await command(client, "specpilot.learn.reset")
    found = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="invoice"))
    assert found and all(isinstance(s, types.WorkspaceSymbol) for s in found)
    picked = found[1]
    assert not hasattr(picked.location, "range")  # held back until the pick
    data = plain(picked.data)
    assert data["rank"] == 2 and data["decisionId"].startswith("d-")

    async def offered() -> bool:
        status = await command(client, "specpilot.learn.status")
        return any(p["point"] == "workspace_symbol" for p in status["points"])

    await until(offered, timeout=20)
    resolved = await client.workspace_symbol_resolve_async(picked)
    assert isinstance(resolved.location, types.Location) and resolved.location.range.start.line >= 0
    assert resolved.location.uri == picked.location.uri
    status = await command(client, "specpilot.learn.status")
    [point] = [p for p in status["points"] if p["point"] == "workspace_symbol"]
    assert [(a["arm"], a["pulls"], a["rewarded"]) for a in point["arms"]] == [("semantic", 1, 1)]
    again = await client.workspace_symbol_resolve_async(found[0])  # a second pick: resolved, verdict kept
    assert isinstance(again.location, types.Location)


async def test_a_client_that_does_not_resolve_gets_the_ranges_at_once(learning_client: LanguageClient,
                                                                      project: Path) -> None:
    await start(learning_client, project, options={"embedder": {"enabled": False}})
    found = await learning_client.workspace_symbol_async(types.WorkspaceSymbolParams(query="invoice"))
    assert found and all(isinstance(s.location, types.Location) and s.location.range is not None for s in found)
