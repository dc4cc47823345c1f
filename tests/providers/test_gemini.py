"""The gemini provider (google-genai) against a loopback server speaking `:generateContent`."""

from __future__ import annotations

import re

import pytest

from filler.errors import RateLimited
from filler.providers.base import Message, Provider, ProviderSettings, Request
from filler.providers.gemini import GeminiProvider
from tests.helpers.wire import GEMINI, LoopbackServer, Seen
from tests.providers.contract import ProviderContract, complete, run


class TestGemini(ProviderContract):
    dialect = GEMINI

    def make(self, url: str, *, timeout_s: float = 5.0, model: str = "") -> Provider:
        return GeminiProvider(
            ProviderSettings(model=model, base_url=url, api_key="AIza-test", timeout_s=timeout_s)
        )

    def check_request(self, seen: Seen) -> None:
        assert seen.path == f"/v1beta/models/{GeminiProvider.default_model}:generateContent"
        assert seen.headers["x-goog-api-key"] == "AIza-test"
        assert seen.body is not None
        # System messages become the system instruction; the rest are the turns.
        assert seen.body["systemInstruction"]["parts"] == [{"text": "You implement Python stubs."}]
        assert seen.body["contents"] == [
            {"role": "user", "parts": [{"text": "def double(x: int) -> int: ..."}]}
        ]
        config = seen.body["generationConfig"]
        assert (config["temperature"], config["maxOutputTokens"], config["seed"]) == (0, 256, 7)


def test_assistant_turns_are_sent_as_model_turns() -> None:
    request = Request(
        messages=(Message("user", "a"), Message("assistant", "b"), Message("user", "c")),
        unit_id="pkg.mod:f",
    )
    with LoopbackServer(GEMINI) as server:
        run(lambda: TestGemini().make(server.url), lambda p: p.complete(request))
        [seen] = server.completions
    assert seen.body is not None
    assert [turn["role"] for turn in seen.body["contents"]] == ["user", "model", "user"]
    assert "systemInstruction" not in seen.body


def test_per_minute_quota_is_a_rate_limit_with_the_retry_delay() -> None:
    with LoopbackServer(GEMINI) as server:
        server.push(GEMINI.rate_limited(retry_after_s=12.5))
        with pytest.raises(RateLimited) as raised:
            run(lambda: TestGemini().make(server.url), complete)
    assert raised.value.retry_after == 12.5


def test_daily_quota_resets_at_midnight_pacific() -> None:
    with LoopbackServer(GEMINI) as server:
        server.push(GEMINI.daily_quota())
        with pytest.raises(Exception) as raised:
            run(lambda: TestGemini().make(server.url), complete)
    assert "PerDay" in str(raised.value)
    resets_at = getattr(raised.value, "resets_at", "")
    assert re.match(r"\d{4}-\d\d-\d\d 00:00 P[SD]T", resets_at)
