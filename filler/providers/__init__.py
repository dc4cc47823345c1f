"""Every provider in one registry, and `open_provider`, the one way the rest of filler gets one.

    async with open_provider(settings) as provider:
        reply = await provider.complete(request)

Adding a provider is one module here and one line in `PROVIDERS`, which imports a provider's
module only when its class is first asked for; the module imports its SDK only when the
provider is opened. `PROVIDERS` lists them in the order they are tried when no provider is
named (see `Provider.works_here`). The stack `open_provider` builds is the provider, inside
`Guarded` (rate limits + retries) unless it makes no network call, inside `Recording` when
`settings.record_path` is set; each layer forwards `name` and `model` of the provider.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import TYPE_CHECKING

from filler.providers.base import Provider
from filler.providers.guarded import Guarded
from filler.providers.ratelimit import RateLimiter
from filler.providers.recording import Recording

if TYPE_CHECKING:
    from filler.config import Settings

__all__ = ["PROVIDERS", "open_provider"]


class _Registry(Mapping[str, type[Provider]]):
    """Provider classes by name, each module imported when its class is first asked for.

    The provider modules are light (their SDKs, about a second to import together, come in when
    a provider is opened), but the worker processes, which import `filler.providers.base` for
    its data types, need none of them.
    """

    def __init__(self, where: dict[str, str]) -> None:
        self._where = where

    def __getitem__(self, name: str) -> type[Provider]:
        module, _, attribute = self._where[name].partition(":")
        provider: type[Provider] = getattr(import_module(module), attribute)
        return provider

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, name: object) -> bool:
        return name in self._where


PROVIDERS: Mapping[str, type[Provider]] = _Registry(
    {
        "groq": "filler.providers.groq:GroqProvider",
        "gemini": "filler.providers.gemini:GeminiProvider",
        "openai": "filler.providers.openai:OpenAIProvider",
        "ollama": "filler.providers.ollama:OllamaProvider",
        "local": "filler.providers.local:LocalProvider",
        "replay": "filler.providers.replay:ReplayProvider",
    }
)


def open_provider(settings: Settings) -> Provider:
    """The provider `settings` chose, behind its rate limits, retries and recording."""
    provider = PROVIDERS[settings.provider](settings.provider_settings)
    if provider.calls_network:
        concurrency = settings.max_concurrency or settings.jobs * settings.samples
        limiter = RateLimiter(settings.rpm, settings.tpm, concurrency)
        provider = Guarded(provider, limiter, settings.retry)
    if settings.record_path is not None:
        provider = Recording(provider, settings.record_path)
    return provider
