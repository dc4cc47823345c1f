"""Every provider in one registry, and `open_provider`, the one way the rest of filler gets one.

    async with open_provider(settings) as provider:
        reply = await provider.complete(request)

Adding a provider is one module here and one line in `PROVIDERS`. The stack `open_provider`
builds is the provider, inside `Guarded` (rate limits + retries), inside `Recording` when
`settings.record_path` is set; each layer forwards `name` and `model` of the provider.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from filler.providers.base import Provider
from filler.providers.gemini import GeminiProvider
from filler.providers.groq import GroqProvider
from filler.providers.guarded import Guarded
from filler.providers.local import LocalProvider
from filler.providers.ollama import OllamaProvider
from filler.providers.openai import OpenAIProvider
from filler.providers.ratelimit import RateLimiter
from filler.providers.recording import Recording
from filler.providers.replay import ReplayProvider

if TYPE_CHECKING:
    from filler.config import Settings

__all__ = ["PROVIDERS", "open_provider"]

PROVIDERS: dict[str, type[Provider]] = {
    "groq": GroqProvider,
    "gemini": GeminiProvider,
    "ollama": OllamaProvider,
    "openai": OpenAIProvider,
    "local": LocalProvider,
    "replay": ReplayProvider,
}


def open_provider(settings: Settings) -> Provider:
    """The provider `settings` chose, behind its rate limits, retries and recording."""
    provider = PROVIDERS[settings.provider](settings.provider_settings)
    # Replay makes no network call: nothing to limit or retry, and a limiter could reorder
    # the calls of one unit, whose replies must come out in call order.
    if settings.provider != "replay":
        concurrency = settings.max_concurrency or settings.jobs * settings.samples
        limiter = RateLimiter(settings.rpm, settings.tpm, concurrency)
        provider = Guarded(provider, limiter, settings.retry)
    if settings.record_path is not None:
        provider = Recording(provider, settings.record_path)
    return provider
