"""Which model to talk to, resolved from settings, the environment and the editor.

``ModelSettings`` (pyproject / editor settings) say what the user chose; the
environment fills the gaps the way the provider SDKs' own users expect
(``SPECPILOT_PROVIDER``, ``SPECPILOT_MODEL``, ``OPENAI_BASE_URL``,
``OPENAI_API_KEY``, ...). The API key is never a setting: it comes from the
editor's secret storage (the ``api_key`` argument) or the environment.

A provider chosen without a key does not fail: SpecPilot runs offline and
``ResolvedModel.note`` says why, so the user sees one clear sentence instead of
an HTTP 401 on the first request. An OpenAI-compatible local server (a base URL
is set) usually needs no key, so a placeholder is sent instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from specpilot.core.config import ModelSettings
from specpilot.core.errors import SpecPilotError

PROVIDERS = ("openai", "anthropic", "offline")
DEFAULT_MODELS = {"openai": "gpt-5.4-mini", "anthropic": "claude-sonnet-4-6", "offline": ""}
DEFAULT_BASE_URLS = {"openai": "https://api.openai.com/v1", "anthropic": "https://api.anthropic.com"}
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
BASE_URL_VARIABLES = {"openai": "OPENAI_BASE_URL", "anthropic": "ANTHROPIC_BASE_URL"}
LOCAL_SERVER_KEY = "not-needed"  # OpenAI-compatible servers (Ollama, vLLM, llama.cpp) ignore the key


class ModelConfigError(SpecPilotError, ValueError):
    """A model setting that cannot work (an unknown provider, a base URL that is not a URL)."""


@dataclass(frozen=True)
class ResolvedModel:
    """Everything a provider needs for its client. ``repr`` never shows the key."""

    provider: str  # openai | anthropic | offline
    model: str = ""
    base_url: str = ""  # empty: the provider's public endpoint
    api_key: str = field(default="", repr=False)
    key_source: str = ""  # where the key came from: "editor", the variable's name, or "placeholder"
    timeout_s: float = 60.0
    max_tokens: int = 2048
    temperature: float = 0.2
    max_retries: int = 3
    note: str = ""  # why the provider is not the one asked for, or another thing the user should know

    @property
    def endpoint(self) -> str:
        """The URL requests go to, for messages ("cannot reach ...")."""
        return self.base_url or DEFAULT_BASE_URLS.get(self.provider, "")

    @property
    def is_local(self) -> bool:
        """True for an OpenAI-compatible server of the user's own (a base URL without a real key)."""
        return self.key_source == "placeholder"

    def __repr__(self) -> str:
        key = f"set ({self.key_source})" if self.api_key else "unset"
        return (f"ResolvedModel(provider={self.provider!r}, model={self.model!r}, base_url={self.base_url!r}, "
                f"key={key}, timeout_s={self.timeout_s}, max_retries={self.max_retries}, note={self.note!r})")

    __str__ = __repr__


def _first(*values: str | None) -> str:
    for value in values:
        if value and value.strip():
            return value.strip()
    return ""


def provider_name(settings: ModelSettings, env: Mapping[str, str] = os.environ) -> str:
    """The provider ``settings`` choose, in lower case: ``model.provider``, else $SPECPILOT_PROVIDER, else
    offline (not checked: :func:`resolve_model_settings` refuses an unknown one)."""
    return _first(settings.provider, env.get("SPECPILOT_PROVIDER")).lower() or "offline"


def resolve_model_settings(settings: ModelSettings, env: Mapping[str, str] = os.environ,
                           api_key: str | None = None) -> ResolvedModel:
    """Settings first, then the environment, then defaults; raises ``ModelConfigError``
    for a provider name or base URL that cannot work."""
    provider = provider_name(settings, env)
    if provider not in PROVIDERS:
        source = "model.provider" if settings.provider.strip() else "SPECPILOT_PROVIDER"
        raise ModelConfigError(f"{source}: unknown model provider {provider!r}; use one of {', '.join(PROVIDERS)}")
    offline = ResolvedModel("offline", timeout_s=settings.timeout_s, max_tokens=settings.max_tokens,
                            temperature=settings.temperature, max_retries=max(0, settings.max_retries))
    if provider == "offline":
        return offline

    model = _first(settings.model, env.get("SPECPILOT_MODEL")) or DEFAULT_MODELS[provider]
    base_url = _first(settings.base_url, env.get(BASE_URL_VARIABLES[provider])).rstrip("/")
    if base_url and not base_url.startswith(("http://", "https://")):
        source = "model.baseUrl" if settings.base_url.strip() else BASE_URL_VARIABLES[provider]
        raise ModelConfigError(f"{source}: {base_url!r} is not an http:// or https:// URL")

    variable = KEY_VARIABLES[provider]
    key, key_source = _first(api_key), "editor"
    if not key:
        key, key_source = _first(env.get(variable)), variable
    if not key:
        if provider == "openai" and base_url:
            key, key_source = LOCAL_SERVER_KEY, "placeholder"
        else:
            reason = (f"Running offline: model provider {provider!r} is chosen but no API key was found "
                      f"(set {variable} or store a key in the editor)")
            if provider == "openai":
                reason += ", and no model.baseUrl points at a local OpenAI-compatible server"
            return replace(offline, note=f"{reason}.")
    return replace(offline, provider=provider, model=model, base_url=base_url, api_key=key, key_source=key_source)
