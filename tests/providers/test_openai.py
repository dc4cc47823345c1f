"""The openai provider against a loopback server speaking OpenAI chat completions."""

from __future__ import annotations

import pytest

from filler.errors import BadRequest, QuotaExhausted
from filler.providers.base import Provider, ProviderSettings
from filler.providers.openai import OpenAIProvider
from tests.helpers.wire import OPENAI, Canned, LoopbackServer, Seen
from tests.providers.contract import ProviderContract, complete, retried, run


class TestOpenAI(ProviderContract):
    dialect = OPENAI

    def make(self, url: str, *, timeout_s: float = 5.0, model: str = "") -> Provider:
        # Unlike groq's, an OpenAI-compatible base URL includes /v1.
        return OpenAIProvider(
            ProviderSettings(
                model=model, base_url=f"{url}/v1", api_key="sk-test", timeout_s=timeout_s
            )
        )

    def check_request(self, seen: Seen) -> None:
        assert seen.path == "/v1/chat/completions"
        assert seen.headers["authorization"] == "Bearer sk-test"
        assert seen.body is not None
        assert seen.body["model"] == OpenAIProvider.default_model
        assert [m["role"] for m in seen.body["messages"]] == ["system", "user"]
        assert (seen.body["temperature"], seen.body["max_tokens"], seen.body["seed"]) == (0, 256, 7)


def test_insufficient_quota_is_not_retried() -> None:
    """OpenAI's empty-account 429 is a quota that does not refill within the run."""
    exhausted = OPENAI.error(
        429,
        "You exceeded your current quota.",
        type="insufficient_quota",
        code="insufficient_quota",
    )
    with LoopbackServer(OPENAI) as server:
        server.push(exhausted, OPENAI.ok("never"))
        with pytest.raises(QuotaExhausted, match=r"account quota used up: .*add credit"):
            run(lambda: TestOpenAI().make(server.url), retried)
        assert len(server.completions) == 1


def test_a_server_of_ones_own_needs_no_key() -> None:
    """vLLM, llama.cpp, LM Studio: no key configured, the SDK still starts."""
    with LoopbackServer(OPENAI) as server:
        settings = ProviderSettings(base_url=f"{server.url}/v1", model="served-model")
        reply = run(lambda: OpenAIProvider(settings), complete)
        [seen] = server.completions
    assert reply.text == "ok"
    assert seen.body is not None and seen.body["model"] == "served-model"


def test_plain_http_follows_no_redirect() -> None:
    """A local server is reached without TLS, so no redirect may lead the call to https."""
    moved = Canned(307, b"", (("location", "https://127.0.0.1:9/v1/chat/completions"),))
    with LoopbackServer(OPENAI) as server:
        server.push(moved, OPENAI.ok("never"))
        with pytest.raises(BadRequest, match=r"HTTP 307"):
            run(lambda: TestOpenAI().make(server.url), complete)
        assert len(server.completions) == 1
