"""Groq, through the groq SDK (a Stainless twin of openai's: see `_openai_compat`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar, cast

import groq
import httpx
from groq.types.chat import ChatCompletionMessageParam

from filler.providers._openai_compat import (
    ChatCompletionsProvider,
    Completion,
    SdkErrors,
    chat_messages,
)
from filler.providers.base import ProviderSettings, Request

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
    sdk_errors = SdkErrors(
        status=groq.APIStatusError,
        timeout=groq.APITimeoutError,
        connection=groq.APIConnectionError,
        connect=httpx.ConnectError,
    )

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        self._client = groq.AsyncGroq(
            api_key=settings.api_key,
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
        return await raw.parse(), raw.headers

    async def aclose(self) -> None:
        await self._client.close()
