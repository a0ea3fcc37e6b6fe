"""The spec stages' prompts over MCP: the same instructions and request SpecPilot's own author sends."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import MCPError

from specpilot.llm.prompt_templates import PromptLibrary
from tests.unit.mcp_server.conftest import Connect, spec_through_tasks
from tests.unit.mcp_server.test_resources import make_spec


async def test_the_requirements_prompt_is_the_planners_with_steering_and_the_idea(sample: Path,
                                                                                  connect: Connect) -> None:
    steering = sample / ".specpilot" / "steering"
    steering.mkdir(parents=True)
    (steering / "product.md").write_text("# Product\n\nUsers are support engineers.\n", encoding="utf-8")
    async with connect(sample) as (client, _):
        listed = {p.name: p for p in (await client.list_prompts()).prompts}
        got = await client.get_prompt("spec_requirements", {"idea": "Export results as CSV", "profile": "default"})
    assert set(listed) == {"spec_requirements", "spec_design", "spec_implement", "spec_review"}
    assert [a.name for a in listed["spec_requirements"].arguments if a.required] == ["idea"]
    instructions, request = (m.content.text for m in got.messages)
    assert [m.role for m in got.messages] == ["user", "user"]  # MCP prompts have no system role
    planner = PromptLibrary().load("spec.planner").render({"steering": "STEERING"})
    assert instructions.startswith(planner.split("STEERING")[0][:200])  # the planner's own template ...
    assert "Users are support engineers." in instructions  # ... with the steering documents in it
    assert "Profile: default" in request and "Export results as CSV" in request


async def test_the_design_prompt_cites_code_from_the_index(sample: Path, connect: Connect) -> None:
    spec = make_spec(sample)
    async with connect(sample) as (client, _):
        got = await client.get_prompt("spec_design", {"spec": spec})
    request = got.messages[1].content.text
    assert '<data source="requirements.md">' in request and "Export search results as CSV" in request
    assert '<data source="retrieved code">' in request and "httpkit/" in request


async def test_prompts_that_cannot_be_built_are_errors_that_say_why(sample: Path, connect: Connect) -> None:
    spec = make_spec(sample)
    async with connect(sample) as (client, _):
        messages = []
        for name, arguments in [("spec_requirements", {}), ("spec_requirements", {"idea": "x", "profile": "web"}),
                                ("spec_review", {"spec": spec}), ("spec_design", {"spec": "no-such-spec"}),
                                ("spec_nothing", {})]:
            with pytest.raises(MCPError) as caught:
                await client.get_prompt(name, arguments)
            assert caught.value.code == -32602
            messages.append(caught.value.message)
        still = await client.get_prompt("spec_requirements", {"idea": "Export results as CSV"})
    assert "needs the argument idea" in messages[0]
    assert "profile must be one of default, ml" in messages[1]
    assert "no review.md yet" in messages[2] and "specpilot spec review" in messages[2]
    assert "no-such-spec" in messages[3]
    assert "no prompt named 'spec_nothing'" in messages[4]
    assert len(still.messages) == 2


async def test_the_implement_prompt_is_the_agents_task(sample: Path, connect: Connect) -> None:
    spec = spec_through_tasks(sample)
    async with connect(sample) as (client, _):
        got = await client.get_prompt("spec_implement", {"spec": spec, "task": "t1"})
        with pytest.raises(MCPError) as unknown:
            await client.get_prompt("spec_implement", {"spec": spec, "task": "T99"})
    (text,) = (m.content.text for m in got.messages)
    assert text.startswith(f"Do task T1 of the spec {spec} (") and "Requirement R1.1: " in text
    assert "with a comment `# Requirements: R1, R1.1`" in text
    assert unknown.value.code == -32602 and "its tasks: T1" in unknown.value.message
