"""Groq, through the groq SDK (a Stainless twin of openai's: see `_openai_compat`)."""

from __future__ import annotations

from typing import Any, ClassVar

from filler.providers._openai_compat import ChatCompletionsProvider, Completion, Sdk

__all__ = ["GroqProvider"]


class GroqProvider(ChatCompletionsProvider):
    """Groq's hosted open-weight models. Sends `x-ratelimit-*` headers the limiter follows.

    The default model is a current production model of Groq's (its Llama 3.3 70B was retired
    in 2026); pick any other with `--model`.
    """

    name = "groq"
    default_model = "openai/gpt-oss-120b"
    key_env = ("GROQ_API_KEY",)
    base_url_env = "GROQ_BASE_URL"
    # The SDK appends /openai/v1/... itself: the base URL is the host root.
    default_base_url: ClassVar[str] = "https://api.groq.com"

    @staticmethod
    def _load_sdk() -> Sdk:
        import groq
        import httpx

        return Sdk.of(groq, groq.AsyncGroq, connect=httpx.ConnectError)

    async def _parse(self, raw: Any) -> Completion:
        completion: Completion = await raw.parse()  # groq's raw response parses asynchronously
        return completion

    async def _file_text(self, file_id: str) -> str:
        content = await self._client.files.content(file_id)
        text: str = await content.text()  # groq's binary response is read asynchronously
        return text
