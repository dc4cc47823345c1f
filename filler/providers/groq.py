"""Groq, through the groq SDK (a Stainless twin of openai's: see `_openai_compat`)."""

from __future__ import annotations

from typing import Any, ClassVar

import groq
import httpx

from filler.providers._openai_compat import ChatCompletionsProvider, Completion, SdkErrors

__all__ = ["GroqProvider"]


class GroqProvider(ChatCompletionsProvider):
    """Groq's hosted open-weight models. Sends `x-ratelimit-*` headers the limiter follows.

    The default model is a current production model of Groq's (its Llama 3.3 70B was retired
    in 2026); pick any other with `--model`.
    """

    name = "groq"
    default_model = "openai/gpt-oss-120b"
    key_env = ("GROQ_API_KEY",)
    # The SDK appends /openai/v1/... itself: the base URL is the host root.
    default_base_url: ClassVar[str] = "https://api.groq.com"
    client_class = groq.AsyncGroq
    http_client_class = groq.DefaultAsyncHttpxClient
    sdk_errors = SdkErrors(
        status=groq.APIStatusError,
        timeout=groq.APITimeoutError,
        connection=groq.APIConnectionError,
        connect=httpx.ConnectError,
    )

    async def _parse(self, raw: Any) -> Completion:
        completion: Completion = await raw.parse()  # groq's raw response parses asynchronously
        return completion
