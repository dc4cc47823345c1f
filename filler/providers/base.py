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

What filler needs to know before it opens a provider (the variables of its key and server URL,
its default model, whether it calls the network, whether it can work here) is on the class,
and a provider's module imports its SDK only when the provider is opened, so that reading that
knowledge costs no SDK import. Adding a provider is one module in this package and one line in
the registry of `filler/providers/__init__.py`.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import ClassVar, Literal, Self

__all__ = [
    "Message",
    "Provider",
    "ProviderSettings",
    "Purpose",
    "Reply",
    "Request",
    "Usage",
    "replies_key",
]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


class Purpose(enum.Enum):
    """What a model call is for."""

    FILL = enum.auto()  # implement a unit
    DESIGN_TESTS = enum.auto()  # write tests for a unit before it is implemented
    PLAN = enum.auto()  # draft a spec (`filler plan`), for no unit


def replies_key(purpose: Purpose, unit_id: str = "") -> str:
    """The key of a call's replies in a replies file, the format `--record` writes and `replay`
    reads: the unit id for a fill, `<unit id>#tests` for its designed tests, `plan` for a plan."""
    match purpose:
        case Purpose.FILL:
            return unit_id
        case Purpose.DESIGN_TESTS:
            return f"{unit_id}#tests"
        case Purpose.PLAN:
            return "plan"


@dataclass(frozen=True)
class Request:
    """One model call, for `unit_id` ("" for a plan), made for `purpose`."""

    messages: tuple[Message, ...]
    unit_id: str = ""
    purpose: Purpose = Purpose.FILL
    temperature: float = 0.0
    max_tokens: int = 1024
    seed: int | None = None

    @property
    def replies_key(self) -> str:
        return replies_key(self.purpose, self.unit_id)


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
    # Answered through the provider's batch API (`filler fill --batch`): priced at its batch rate.
    batch: bool = False


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach a provider; every field has a documented default per provider."""

    model: str = ""
    base_url: str = ""
    api_key: str = ""
    timeout_s: float = 120.0
    model_path: str = ""  # local: a GGUF file other than the bundled SmolLM2
    replies_path: str = ""  # replay: the JSON replies file


class PromptStyle(enum.StrEnum):
    """How much context a provider's prompts give (see `filler.prompts`)."""

    FULL = "full"  # the package's API, the module's imports and the visible tests
    COMPACT = "compact"  # only the unit: all a very small model (SmolLM2-135M) can use


class Provider(ABC):
    """A model behind one async call. Subclasses set the class attributes and `complete`."""

    # A class attribute on providers; wrappers (retries, recording) copy their inner provider's.
    name: str
    default_model: ClassVar[str] = ""
    # Environment variables that hold this provider's key, first match wins; empty: no key needed.
    key_env: ClassVar[tuple[str, ...]] = ()
    # The variable the provider's SDK reads its server's URL from (OPENAI_BASE_URL, ...); filler
    # reads it after FILLER_BASE_URL. Empty: the provider has no server to point elsewhere.
    base_url_env: ClassVar[str] = ""
    # False for a provider that answers without a network call (replay): it needs no rate
    # limits or retries, and a limiter could reorder a unit's calls, whose replies come in order.
    calls_network: ClassVar[bool] = True
    # A class attribute on providers; wrappers copy their inner provider's, like `name`.
    prompt_style: PromptStyle = PromptStyle.FULL

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    @classmethod
    def key_in(cls, environ: Mapping[str, str]) -> str:
        """This provider's key: the first of `key_env` set in `environ`, or ""."""
        return next((environ[n].strip() for n in cls.key_env if environ.get(n, "").strip()), "")

    @classmethod
    def needs_key(cls, base_url: str) -> bool:
        """Whether a run against `base_url` ("": the provider's default) needs a key."""
        return bool(cls.key_env)

    @classmethod
    def works_here(cls, environ: Mapping[str, str]) -> bool:
        """Whether the provider can work with what `environ` holds; when no provider is named,
        the first that can, in registry order, is chosen. By default: its key is set."""
        return bool(cls.key_in(environ))

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
