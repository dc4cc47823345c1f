"""Any OpenAI-compatible server through the openai SDK: OpenAI itself, vLLM, llama.cpp's server,
LM Studio, OpenRouter. The base URL includes `/v1`.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

from filler.providers._openai_compat import ChatCompletionsProvider, Completion, Sdk

__all__ = ["OpenAIProvider"]


class OpenAIProvider(ChatCompletionsProvider):
    """OpenAI, or any server that speaks its chat-completions API at `base_url`."""

    name = "openai"
    default_model = "gpt-4o-mini"
    key_env = ("OPENAI_API_KEY",)
    base_url_env = "OPENAI_BASE_URL"
    default_base_url: ClassVar[str] = "https://api.openai.com/v1"
    # Local servers ignore the key, but the SDK refuses to start without one.
    key_when_unset = "not-needed"

    @classmethod
    def needs_key(cls, base_url: str) -> bool:
        # An OpenAI-compatible server of one's own (vLLM, llama.cpp, LM Studio) needs no key.
        own_server = urlsplit(base_url).hostname != urlsplit(cls.default_base_url).hostname
        return not (base_url and own_server)

    @staticmethod
    def _load_sdk() -> Sdk:
        import httpx2
        import openai

        return Sdk.of(openai, openai.AsyncOpenAI, connect=httpx2.ConnectError)

    async def _parse(self, raw: Any) -> Completion:
        completion: Completion = raw.parse()  # openai's raw response parses synchronously
        return completion

    async def _file_text(self, file_id: str) -> str:
        content = await self._client.files.content(file_id)
        text: str = content.text  # read in full by the time the call returns
        return text
