"""Any OpenAI-compatible server through the openai SDK: OpenAI itself, vLLM, llama.cpp's server,
LM Studio, OpenRouter. The base URL includes `/v1`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx2
import openai

from filler.providers._openai_compat import ChatCompletionsProvider, Completion, SdkErrors

__all__ = ["OpenAIProvider"]


class OpenAIProvider(ChatCompletionsProvider):
    """OpenAI, or any server that speaks its chat-completions API at `base_url`."""

    name = "openai"
    default_model = "gpt-4o-mini"
    key_env = ("OPENAI_API_KEY",)
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    base_url_hint: ClassVar[str] = "--base-url, FILLER_BASE_URL or OPENAI_BASE_URL"
    client_class = openai.AsyncOpenAI
    http_client_class = openai.DefaultAsyncHttpxClient
    # Local servers ignore the key, but the SDK refuses to start without one.
    key_when_unset = "not-needed"
    sdk_errors = SdkErrors(
        status=openai.APIStatusError,
        timeout=openai.APITimeoutError,
        connection=openai.APIConnectionError,
        connect=httpx2.ConnectError,
    )

    async def _parse(self, raw: Any) -> Completion:
        completion: Completion = raw.parse()  # openai's raw response parses synchronously
        return completion
