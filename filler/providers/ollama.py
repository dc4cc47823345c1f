"""A local or remote Ollama server through the ollama client.

The client has no timeout of its own (one is passed) and no retries; an unreachable server
raises the built-in `ConnectionError`. The client is imported when the provider is opened:
choosing a provider reads this class, and that should not cost the client's ~0.2 s import.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import ClassVar
from urllib.parse import urlsplit

import httpx

from filler.errors import (
    BadRequest,
    ModelNotFound,
    ProviderError,
    ProviderUnavailable,
    RateLimited,
    TransientError,
)
from filler.providers.base import Provider, ProviderSettings, Reply, Request, Usage

__all__ = ["OllamaProvider", "ollama_url"]

_DEFAULT_PORT = 11434
# How long an Ollama has to answer when filler looks for one (no provider named).
_PROBE_TIMEOUT_S = 0.3


def ollama_url(host: str) -> str:
    """A full URL from an `OLLAMA_HOST`-style value, read as the ollama client reads it.

    "0.0.0.0" and "gpu:8000" are plain http with port 11434 by default; with a scheme,
    "https://gpu/ollama" keeps the scheme's own port.
    """
    default_port = {"http": 80, "https": 443}
    if "://" not in host:
        host, default_port = f"http://{host}", {"http": _DEFAULT_PORT}
    parts = urlsplit(host)
    port = parts.port or default_port.get(parts.scheme, _DEFAULT_PORT)
    return f"{parts.scheme}://{parts.hostname or '127.0.0.1'}:{port}{parts.path.rstrip('/')}"


class OllamaProvider(Provider):
    """Models served by Ollama; pull the model first (`ollama pull <model>`)."""

    name = "ollama"
    default_model = "qwen2.5-coder:1.5b"
    base_url_env = "OLLAMA_HOST"
    default_base_url: ClassVar[str] = f"http://127.0.0.1:{_DEFAULT_PORT}"

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        import ollama

        self._client = ollama.AsyncClient(host=self.base_url, timeout=settings.timeout_s)

    @classmethod
    def works_here(cls, environ: Mapping[str, str]) -> bool:
        """An Ollama answers `GET /api/tags` at OLLAMA_HOST (else the default) within 0.3 s."""
        host = environ.get(cls.base_url_env, "").strip()
        url = ollama_url(host) if host else cls.default_base_url
        try:
            response = httpx.get(f"{url}/api/tags", timeout=_PROBE_TIMEOUT_S)
            return response.status_code == 200 and "models" in response.json()
        except (httpx.HTTPError, ValueError):
            return False

    @property
    def base_url(self) -> str:
        return (
            ollama_url(self.settings.base_url) if self.settings.base_url else self.default_base_url
        )

    async def complete(self, request: Request) -> Reply:
        import ollama

        options: dict[str, float | int] = {
            "temperature": request.temperature,
            "num_predict": request.max_tokens,
        }
        if request.seed is not None:
            options["seed"] = request.seed
        started = time.perf_counter()
        try:
            response = await self._client.chat(
                model=self.model,
                messages=[{"role": m.role, "content": m.content} for m in request.messages],
                options=options,
                stream=False,
            )
        except (ollama.ResponseError, ConnectionError, httpx.HTTPError, ValueError) as exc:
            raise self._translate(exc) from exc
        return Reply(
            text=response.message.content or "",
            finish_reason=response.done_reason or "stop",
            usage=Usage(response.prompt_eval_count or 0, response.eval_count or 0),
            latency_s=time.perf_counter() - started,
            model=response.model or self.model,
        )

    async def aclose(self) -> None:
        await self._client.close()  # type: ignore[no-untyped-call]  # ollama leaves it unannotated

    def _translate(self, exc: Exception) -> ProviderError:
        import ollama

        if isinstance(exc, ollama.ResponseError):
            status, detail = exc.status_code, " ".join(str(exc.error).split())
            if status == 404:
                return ModelNotFound(
                    f"model '{self.model}' is not on the Ollama server at {self.base_url} "
                    f"({detail}); run `ollama pull {self.model}`, or choose a pulled one with "
                    "--model or FILLER_MODEL",
                    provider=self.name,
                )
            if status == 429:
                return RateLimited(f"rate limit (HTTP 429): {detail}", provider=self.name)
            if status in (408, -1) or status >= 500:
                return TransientError(f"server error (HTTP {status}): {detail}", provider=self.name)
            return BadRequest(f"request refused (HTTP {status}): {detail}", provider=self.name)
        if isinstance(exc, ConnectionError):
            return ProviderUnavailable(
                f"cannot connect to Ollama at {self.base_url}; start it (`ollama serve`) or set "
                "OLLAMA_HOST or --base-url",
                provider=self.name,
            )
        if isinstance(exc, httpx.TimeoutException):
            return TransientError(
                f"timeout: no reply within {self.settings.timeout_s:g} s", provider=self.name
            )
        if isinstance(exc, httpx.HTTPError):
            return TransientError(f"connection dropped: {exc}", provider=self.name)
        return TransientError(f"malformed reply: {exc}", provider=self.name)
