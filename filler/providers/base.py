"""The one interface every provider implements, and the values that cross it.

A provider turns a `Request` (chat messages plus sampling settings) into a `Reply`
(text, finish reason, token usage, latency). It knows its SDK; nothing else in filler
does. Its contract:

- `complete` makes exactly one call to the model: no retries (SDK retries are turned
  off; `filler.providers.retry` is the single retry layer) and no rate limiting
  (`filler.providers.ratelimit` does that around every provider alike).
- Every SDK error is translated at this boundary into a `filler.errors.ProviderError`
  subclass with `raise ... from exc`: `RateLimited(retry_after=...)`, `TransientError`,
  `QuotaExhausted`, `BadRequest`, `AuthFailed`, `ModelNotFound`, `ProviderUnavailable`.
- A reply cut off at the token limit has `finish_reason == "length"`; the pipeline
  re-asks, the provider does not.
- `aclose` releases what the provider holds (HTTP clients, a child server process).

Adding a provider is one module in this package and one line in the registry of
`filler/providers/__init__.py`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from types import TracebackType
from typing import ClassVar, Literal, Self

__all__ = ["Message", "Provider", "ProviderSettings", "Reply", "Request", "Usage"]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class Request:
    """One model call. `unit_id` keys replay files (`<unit id>` or `<unit id>#tests`)."""

    messages: tuple[Message, ...]
    unit_id: str
    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int | None = None


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Reply:
    """What the model said.

    `finish_reason` is "stop", "length" (truncated) or the provider's own word.
    """

    text: str
    finish_reason: str
    usage: Usage
    latency_s: float
    model: str
    # Rate-limit state the server reported with this reply (Groq's x-ratelimit-* headers),
    # as {"remaining-requests": ..., "reset-tokens": ...}; empty when the provider sends none.
    limits: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach a provider; every field has a documented default per provider."""

    model: str = ""
    base_url: str = ""
    api_key: str = ""
    timeout_s: float = 120.0
    model_path: str = ""  # local: a GGUF file other than the bundled SmolLM2
    replies_path: str = ""  # replay: the JSON replies file


class Provider(ABC):
    """A model behind one async call. Subclasses set the class attributes and `complete`."""

    # A class attribute on providers; wrappers (retries, recording) copy their inner provider's.
    name: str
    default_model: ClassVar[str] = ""
    # Environment variables that hold this provider's key, first match wins; empty: no key needed.
    key_env: ClassVar[tuple[str, ...]] = ()
    # How much context the prompts give (see filler.prompts): "compact" for very small models.
    # A class attribute on providers; wrappers copy their inner provider's, like `name`.
    prompt_style: Literal["full", "compact"] = "full"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    @property
    def model(self) -> str:
        return self.settings.model or self.default_model

    @abstractmethod
    async def complete(self, request: Request) -> Reply:
        """Make one call; return the reply or raise a `ProviderError` (see the module docstring)."""

    async def aclose(self) -> None:
        """Release clients and child processes. Safe to call twice."""
        return None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
