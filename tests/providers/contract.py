"""What every network provider owes the rest of filler, checked against a loopback server.

Each provider's test module subclasses `ProviderContract` (as `Test<Provider>`), names its
wire dialect and how to build the provider for a URL, and so runs every check below against a
server that speaks its real protocol. Retries go through the real retry layer.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator
from typing import ClassVar, TypeVar

import pytest

from filler.errors import (
    AuthFailed,
    ModelNotFound,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    Retryable,
    TransientError,
)
from filler.providers.base import Message, Provider, Reply, Request
from filler.providers.retry import RetryPolicy, with_retries
from tests.helpers.wire import Dialect, LoopbackServer, Seen

T = TypeVar("T")

REQUEST = Request(
    messages=(
        Message("system", "You implement Python stubs."),
        Message("user", "def double(x: int) -> int: ..."),
    ),
    unit_id="pkg.mod:double",
    temperature=0.0,
    max_tokens=256,
    seed=7,
)
# Quick backoff so that tests measure the server's retry-after, not our own waits.
FAST = RetryPolicy(max_attempts=4, max_total_s=20, max_wait_s=5, initial_wait_s=0.01, jitter_s=0.01)
CLOSED_URL = "http://127.0.0.1:9"  # the discard port: nothing listens there


def run(make: Callable[[], Provider], use: Callable[[Provider], Awaitable[T]]) -> T:
    """Open a provider, use it and close it, in a fresh event loop."""

    async def scenario() -> T:
        async with make() as provider:
            return await use(provider)

    return asyncio.run(scenario())


def complete(provider: Provider) -> Awaitable[Reply]:
    return provider.complete(REQUEST)


def retried(provider: Provider) -> Awaitable[Reply]:
    return with_retries(lambda: provider.complete(REQUEST), FAST)


class ProviderContract(ABC):
    dialect: ClassVar[Dialect]
    # Which faults the provider's service has at all (Ollama has no keys and no quotas).
    has_auth: ClassVar[bool] = True
    has_daily_quota: ClassVar[bool] = True
    sends_retry_after: ClassVar[bool] = True

    @abstractmethod
    def make(self, url: str, *, timeout_s: float = 5.0, model: str = "") -> Provider:
        """The provider under test, pointed at a server root URL."""

    @abstractmethod
    def check_request(self, seen: Seen) -> None:
        """Assert that `REQUEST` went over the wire as the real service expects it."""

    @pytest.fixture
    def server(self) -> Iterator[LoopbackServer]:
        with LoopbackServer(self.dialect) as server:
            yield server

    def test_happy_path(self, server: LoopbackServer) -> None:
        server.push(self.dialect.ok("return x * 2", prompt_tokens=11, completion_tokens=6))
        reply = run(lambda: self.make(server.url), complete)
        assert reply.text == "return x * 2"
        assert reply.finish_reason == "stop"
        assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (11, 6)
        assert reply.model == "loopback-model"
        assert 0 < reply.latency_s < 5
        [seen] = server.completions
        self.check_request(seen)

    def test_truncated_reply_says_length(self, server: LoopbackServer) -> None:
        server.push(self.dialect.ok("def double(x):\n    return", finish="length"))
        reply = run(lambda: self.make(server.url), complete)
        assert reply.finish_reason == "length"
        assert reply.text == "def double(x):\n    return"

    def test_rate_limit_waits_as_told_then_succeeds(self, server: LoopbackServer) -> None:
        server.push(self.dialect.rate_limited(retry_after_ms=300), self.dialect.ok("late"))
        reply = run(lambda: self.make(server.url), retried)
        assert reply.text == "late"
        first, second = server.completions
        waited = second.started - first.finished
        assert (0.3 if self.sends_retry_after else 0.0) <= waited < 1.5

    def test_server_error_then_success(self, server: LoopbackServer) -> None:
        server.push(self.dialect.server_error(500), self.dialect.ok("fine"))
        assert run(lambda: self.make(server.url), retried).text == "fine"
        assert len(server.completions) == 2

    def test_timeout_is_transient(self, server: LoopbackServer) -> None:
        server.push(self.dialect.slow(5))
        started = time.monotonic()
        with pytest.raises(TransientError, match="timeout"):
            run(lambda: self.make(server.url, timeout_s=0.3), complete)
        assert time.monotonic() - started < 4  # the server would have answered after 5 s

    def test_malformed_json_is_transient(self, server: LoopbackServer) -> None:
        server.push(self.dialect.malformed())
        with pytest.raises(TransientError, match="malformed"):
            run(lambda: self.make(server.url), complete)

    def test_daily_quota_is_not_retried(self, server: LoopbackServer) -> None:
        if not self.has_daily_quota:
            pytest.skip(f"{self.dialect.name} has no quotas")
        server.push(self.dialect.daily_quota(), self.dialect.ok("never"))
        with pytest.raises(QuotaExhausted, match="daily quota") as raised:
            run(lambda: self.make(server.url), retried)
        # The message itself says when the quota comes back: the CLI prints only that line.
        assert raised.value.resets_at
        assert f"it resets at {raised.value.resets_at}" in str(raised.value)
        assert len(server.completions) == 1

    def test_refused_key_is_not_retried(self, server: LoopbackServer) -> None:
        if not self.has_auth:
            pytest.skip(f"{self.dialect.name} has no keys")
        server.push(self.dialect.unauthorized(), self.dialect.ok("never"))
        with pytest.raises(AuthFailed, match="API_KEY"):
            run(lambda: self.make(server.url), retried)
        assert len(server.completions) == 1

    def test_unknown_model_names_model_and_fix(self, server: LoopbackServer) -> None:
        server.push(self.dialect.model_not_found("retired-model"), self.dialect.ok("never"))
        with pytest.raises(ModelNotFound) as raised:
            run(lambda: self.make(server.url, model="retired-model"), retried)
        message = str(raised.value)
        assert "'retired-model'" in message
        assert "--model" in message or "ollama pull" in message
        assert len(server.completions) == 1

    def test_unreachable_host_says_which_url(self) -> None:
        with pytest.raises(ProviderUnavailable) as raised:
            run(lambda: self.make(CLOSED_URL), retried)
        assert "127.0.0.1:9" in str(raised.value)

    def test_persistent_server_error_gives_up_naming_it(self, server: LoopbackServer) -> None:
        server.push(*[self.dialect.server_error(503)] * FAST.max_attempts)
        with pytest.raises(ProviderError, match=r"server error \(HTTP 503\).*gave up after 4") as e:
            run(lambda: self.make(server.url), retried)
        assert not isinstance(e.value, Retryable)
        assert len(server.completions) == FAST.max_attempts
