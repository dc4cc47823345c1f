"""Any OpenAI-compatible server through the openai SDK: OpenAI itself, vLLM, llama.cpp's server,
LM Studio, OpenRouter. The base URL includes `/v1`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, cast

import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam

from filler.providers._openai_compat import (
    ChatCompletionsProvider,
    Completion,
    SdkErrors,
    chat_messages,
)
from filler.providers.base import ProviderSettings, Request

__all__ = ["OpenAIProvider"]

# Local servers ignore the key, but the SDK refuses to start without one.
_NO_KEY = "not-needed"


class OpenAIProvider(ChatCompletionsProvider):
    """OpenAI, or any server that speaks its chat-completions API at `base_url`."""

    name = "openai"
    default_model = "gpt-4o-mini"
    key_env = ("OPENAI_API_KEY",)
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    base_url_hint: ClassVar[str] = "--base-url, FILLER_BASE_URL or OPENAI_BASE_URL"
    sdk_errors = SdkErrors(
        status=openai.APIStatusError,
        timeout=openai.APITimeoutError,
        connection=openai.APIConnectionError,
        connect=httpx2.ConnectError,
    )

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self._client = openai.AsyncOpenAI(
            api_key=settings.api_key or _NO_KEY,
            base_url=self.base_url,
            timeout=settings.timeout_s,
            max_retries=0,
        )

    async def _create(self, request: Request) -> tuple[Completion, Mapping[str, str]]:
        raw = await self._client.chat.completions.with_raw_response.create(
            model=self.model,
            messages=cast("list[ChatCompletionMessageParam]", chat_messages(request)),
            temperature=request.temperature,
            max_tokens=request.max_tokens,
            seed=request.seed,
        )
        return raw.parse(), raw.headers

    async def aclose(self) -> None:
        await self._client.close()
