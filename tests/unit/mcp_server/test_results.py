"""What leaves the MCP server: cut to the token budget with a note, then redacted; the structured part too."""

from __future__ import annotations

from specpilot.mcp_server.results import Outgoing, estimate_tokens, prepare, safe_text, tool_result

KEY = "AKIA" + "Q3EGRTWXZ5JH7KLM"


def test_a_long_answer_is_cut_to_the_budget_and_says_so() -> None:
    text = "\n".join(f"line {n}: " + "x" * 60 for n in range(400))
    out, data, _ = prepare(Outgoing(text, {"rows": 400}), budget_tokens=250)
    assert len(out) <= 250 * 4 + 200 and out.startswith("line 0: ")
    assert "characters cut" in out and "ask for less" in out
    assert data == {"rows": 400, "truncated": True, "fullTokens": estimate_tokens(text)}


def test_a_short_answer_is_left_whole() -> None:
    out, data, _ = prepare(Outgoing("three short lines\nb\nc", {"n": 1}), budget_tokens=250)
    assert out == "three short lines\nb\nc" and data == {"n": 1}


def test_secrets_are_redacted_in_the_text_and_the_data_after_the_cut() -> None:
    result = tool_result(Outgoing(f"aws_access_key_id = {KEY}\n", {"note": f"key {KEY}"}, error=True), 2_000)
    assert KEY not in result.content[0].text and "[REDACTED:" in result.content[0].text
    assert result.structured_content is not None and KEY not in str(result.structured_content)
    assert result.is_error is True
    assert KEY not in safe_text(f"resource with {KEY}") and safe_text("plain", 10) == "plain"


def test_tokens_are_estimated_at_four_characters() -> None:
    assert [estimate_tokens(t) for t in ("", "abc", "abcd", "abcde")] == [0, 1, 1, 2]
