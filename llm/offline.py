"""The provider used when no model is configured: honest, and never pretending.

It answers every turn with the same plain statement -- no model is configured,
what needs one, what still works, and how to configure one -- and makes no tool
calls. The agent loop checks ``offline`` and runs the deterministic parts
(retrieval, spec templates, gates) itself; this text is what the user reads in
place of a model's answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from specpilot.llm.base import ChatResponse, Message, Provider, TextCallback, ToolSpec

NEEDS_A_MODEL = (
    "drafting requirements, design and tasks in prose from an idea",
    "writing or changing code for a task",
    "reviewing changes against the spec",
    "choosing which tool to use next",
)
WORKS_OFFLINE = "indexing and search, refactorings, spec templates, gates and traceability"
HOW_TO_CONFIGURE = (
    "To use a model, set SPECPILOT_PROVIDER=openai with OPENAI_API_KEY, or SPECPILOT_PROVIDER=anthropic with "
    "ANTHROPIC_API_KEY (SPECPILOT_MODEL picks the model), or set provider, model and baseUrl under "
    "[tool.specpilot.model] in pyproject.toml or in the editor's specpilot.model settings; the editor can also "
    "store the key in its secret storage. For a local OpenAI-compatible server (Ollama, vLLM, llama.cpp) set "
    "provider = \"openai\" and baseUrl, e.g. http://localhost:11434/v1; no key is needed."
)


def offline_text(note: str = "") -> str:
    """What the user reads in place of a model's answer; ``note`` says why there is no model."""
    opening = note or "No language model is configured, so SpecPilot is running offline."
    return (f"{opening} These steps need a model and were not done: {'; '.join(NEEDS_A_MODEL)}. "
            f"Still available without one: {WORKS_OFFLINE}. {HOW_TO_CONFIGURE}")


class OfflineProvider(Provider):
    name = "offline"
    offline = True

    def __init__(self, note: str = "") -> None:
        self.note = note  # why we are offline when a provider was asked for
        self.model = ""

    def __repr__(self) -> str:
        return f"OfflineProvider(note={self.note!r})"

    def chat(self, messages: Sequence[Message], tools: Sequence[ToolSpec] = (), *,
             on_text: TextCallback | None = None) -> ChatResponse:
        text = offline_text(self.note)
        if on_text is not None:
            on_text(text)
        return ChatResponse(text=text, provider=self.name, stop_reason="end")
