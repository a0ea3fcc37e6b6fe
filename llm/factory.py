"""Build the provider the settings ask for (``offline`` when there is no model)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from specpilot.core.config import ModelSettings
from specpilot.llm.base import Provider
from specpilot.llm.offline import OfflineProvider
from specpilot.llm.settings import resolve_model_settings

log = logging.getLogger("specpilot.llm")


def make_provider(settings: ModelSettings, env: Mapping[str, str] = os.environ, api_key: str | None = None) -> Provider:
    """The chat provider for ``settings``; raises ``ModelConfigError`` for a provider name or
    base URL that cannot work. A chosen provider without a key gives the offline provider,
    whose answers say why."""
    resolved = resolve_model_settings(settings, env, api_key)
    if resolved.note:
        log.warning("%s", resolved.note)
    log.info("model: %r", resolved)
    if resolved.provider == "openai":
        from specpilot.llm.openai_provider import OpenAIProvider  # the SDKs load only when used

        return OpenAIProvider(resolved)
    if resolved.provider == "anthropic":
        from specpilot.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(resolved)
    return OfflineProvider(resolved.note)
