"""The single retry layer, driving the real openai provider against a loopback server."""

from __future__ import annotations

import itertools
import re

import pytest

from filler.errors import BadRequest, ProviderError, Retryable
from filler.providers.base import Provider, ProviderSettings
from filler.providers.openai import OpenAIProvider
from filler.providers.retry import RetryPolicy, resets_at, with_retries
from tests.helpers.wire import OPENAI, LoopbackServer
from tests.providers.contract import REQUEST, run


def provider(server: LoopbackServer) -> Provider:
    return OpenAIProvider(ProviderSettings(base_url=f"{server.url}/v1", timeout_s=5))


def fill_with(server: LoopbackServer, policy: RetryPolicy) -> str:
    async def call(p: Provider) -> str:
        return (await with_retries(lambda: p.complete(REQUEST), policy)).text

    return run(lambda: provider(server), call)


def gaps(server: LoopbackServer) -> list[float]:
    return [b.started - a.finished for a, b in itertools.pairwise(server.completions)]


def test_backoff_is_kept_when_longer_than_the_server_asks() -> None:
    policy = RetryPolicy(max_attempts=3, initial_wait_s=0.4, jitter_s=0.0)
    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.rate_limited(retry_after_ms=100), OPENAI.ok("done"))
        assert fill_with(server, policy) == "done"
        assert 0.4 <= gaps(server)[0] < 1.0


def test_backoff_grows_between_server_errors() -> None:
    policy = RetryPolicy(max_attempts=3, initial_wait_s=0.1, jitter_s=0.0)
    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.server_error(), OPENAI.server_error(502), OPENAI.ok("done"))
        assert fill_with(server, policy) == "done"
        first, second = gaps(server)
    assert 0.1 <= first < 0.2
    assert 0.2 <= second < 0.4


def test_a_wait_longer_than_the_cap_gives_up_at_once_saying_when_it_resets() -> None:
    """No second attempt: the server asked for two minutes, more than we would ever wait."""
    policy = RetryPolicy(max_attempts=5, max_wait_s=5)
    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.rate_limited(retry_after_s=120), OPENAI.ok("never"))
        with pytest.raises(ProviderError) as raised:
            fill_with(server, policy)
        assert len(server.completions) == 1
    message = str(raised.value)
    assert not isinstance(raised.value, Retryable)
    assert message.startswith("openai: rate limit (HTTP 429)")
    assert "gave up after 1 attempt(s)" in message
    assert re.search(r"resets in 120 s \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)", message)
    assert raised.value.provider == "openai"


def test_total_time_bounds_the_retries() -> None:
    policy = RetryPolicy(max_attempts=50, max_total_s=0.5, initial_wait_s=0.2, jitter_s=0.0)
    with LoopbackServer(OPENAI) as server:
        server.push(*[OPENAI.server_error()] * 50)
        with pytest.raises(ProviderError, match="server error"):
            fill_with(server, policy)
        calls = server.completions
        assert 2 <= len(calls) <= 3
        assert calls[-1].started - calls[0].started < 0.5


def test_a_rate_limit_without_retry_after_says_what_to_do() -> None:
    policy = RetryPolicy(max_attempts=2, initial_wait_s=0.01, jitter_s=0.0)
    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.rate_limited(), OPENAI.rate_limited())
        with pytest.raises(ProviderError, match="did not say when it resets: lower --jobs"):
            fill_with(server, policy)


def test_errors_that_cannot_pass_are_not_retried() -> None:
    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.error(400, "messages: field required"), OPENAI.ok("never"))
        with pytest.raises(BadRequest, match="messages: field required"):
            fill_with(server, RetryPolicy(initial_wait_s=0.01))
        assert len(server.completions) == 1


def test_resets_at_is_a_readable_utc_time() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", resets_at(90))
