"""Google's Gemini API through google-genai (google-generativeai is end-of-life).

google-genai does not retry unless asked; it is also given `attempts=1` so that no code path
of its own (it has an implicit reconnect on some transports) retries behind our back, and our
own httpx client, so the transport's errors are known here. google-genai takes about half a
second to import: it is imported when the provider is opened, not when the class is read.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

import httpx

from filler.errors import (
    AuthFailed,
    BadRequest,
    ModelNotFound,
    ProviderError,
    ProviderUnavailable,
    QuotaExhausted,
    RateLimited,
    TransientError,
)
from filler.providers.base import Provider, ProviderSettings, Reply, Request, Usage
from filler.providers.ratelimit import parse_duration

if TYPE_CHECKING:
    from google.genai import errors as genai_errors
    from google.genai import types

__all__ = ["GeminiProvider"]

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_RPC = "type.googleapis.com/google.rpc."
# Gemini's per-day quotas reset at midnight Pacific time.
_QUOTA_DAY = ZoneInfo("America/Los_Angeles")


class GeminiProvider(Provider):
    """Gemini models. `base_url` is the host root; the API version is v1beta."""

    name = "gemini"
    default_model = "gemini-3.5-flash"
    key_env = ("GEMINI_API_KEY", "GOOGLE_API_KEY")
    base_url_env = "GOOGLE_GEMINI_BASE_URL"
    default_base_url: ClassVar[str] = "https://generativelanguage.googleapis.com"

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        from google import genai
        from google.genai import types

        self._http = httpx.AsyncClient()
        self._client = genai.Client(
            api_key=settings.api_key,
            http_options=types.HttpOptions(
                base_url=self.base_url,
                api_version="v1beta",
                timeout=int(settings.timeout_s * 1000),
                retry_options=types.HttpRetryOptions(attempts=1),
                httpx_async_client=self._http,
            ),
        )

    @property
    def base_url(self) -> str:
        return self.settings.base_url or self.default_base_url

    async def complete(self, request: Request) -> Reply:
        from google.genai import errors as genai_errors
        from google.genai import types

        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        contents = [
            types.Content(
                role="model" if m.role == "assistant" else "user",
                parts=[types.Part(text=m.content)],
            )
            for m in request.messages
            if m.role != "system"
        ]
        config = types.GenerateContentConfig(
            system_instruction=system or None,
            temperature=request.temperature,
            max_output_tokens=request.max_tokens,
            seed=request.seed,
        )
        started = time.perf_counter()
        try:
            response = await self._client.aio.models.generate_content(
                model=self.model, contents=contents, config=config
            )
        except (genai_errors.APIError, httpx.HTTPError, ValueError) as exc:
            raise self._translate(exc) from exc
        latency = time.perf_counter() - started
        candidate = response.candidates[0] if response.candidates else None
        reason = candidate.finish_reason if candidate else None
        return Reply(
            text=response.text or "",
            finish_reason=_FINISH.get(reason.value, reason.value.lower()) if reason else "stop",
            usage=_usage(response.usage_metadata),
            latency_s=latency,
            model=response.model_version or self.model,
        )

    async def aclose(self) -> None:
        await self._client.aio.aclose()
        await self._http.aclose()

    def _translate(self, exc: Exception) -> ProviderError:
        from google.genai import errors as genai_errors

        if isinstance(exc, genai_errors.APIError):
            return self._from_status(exc)
        if isinstance(exc, httpx.TimeoutException):
            return TransientError(
                f"timeout: no reply within {self.settings.timeout_s:g} s", provider=self.name
            )
        if isinstance(exc, httpx.ConnectError):
            return ProviderUnavailable(
                f"cannot connect to {self.base_url}; point filler elsewhere with --base-url, "
                f"FILLER_BASE_URL or {self.base_url_env}",
                provider=self.name,
            )
        if isinstance(exc, httpx.HTTPError):
            return TransientError(f"connection dropped: {exc}", provider=self.name)
        return TransientError(f"malformed reply: {exc}", provider=self.name)

    def _from_status(self, exc: genai_errors.APIError) -> ProviderError:
        code, detail = exc.code, " ".join((exc.message or str(exc)).split())
        details = _details(exc.details)
        if code == 429:
            quota_ids = [
                str(violation.get("quotaId", ""))
                for item in details.get("QuotaFailure", ())
                for violation in item.get("violations", ())
                if isinstance(violation, Mapping)
            ]
            if any("PerDay" in quota_id for quota_id in quota_ids):
                when = _next_quota_day()
                return QuotaExhausted(
                    f"daily quota used up ({', '.join(quota_ids)}): {detail}; it resets at {when}",
                    provider=self.name,
                    resets_at=when,
                )
            delays = [str(item.get("retryDelay", "")) for item in details.get("RetryInfo", ())]
            wait = next((s for s in map(parse_duration, delays) if s is not None), None)
            return RateLimited(
                f"rate limit (HTTP 429): {detail}", provider=self.name, retry_after=wait
            )
        invalid_key = any(
            item.get("reason") == "API_KEY_INVALID" for item in details.get("ErrorInfo", ())
        )
        if code in (401, 403) or invalid_key:
            return AuthFailed(
                f"the key was refused (HTTP {code}: {detail}); "
                f"set {' or '.join(self.key_env)} to a valid key",
                provider=self.name,
            )
        if code == 404:
            return ModelNotFound(
                f"model '{self.model}' not found (HTTP 404: {detail}); {self.name}'s default is "
                f"'{self.default_model}': choose one with --model or FILLER_MODEL",
                provider=self.name,
            )
        if code == 408 or code >= 500:
            return TransientError(f"server error (HTTP {code}): {detail}", provider=self.name)
        return BadRequest(f"request refused (HTTP {code}): {detail}", provider=self.name)


def _usage(meta: types.GenerateContentResponseUsageMetadata | None) -> Usage:
    if meta is None:
        return Usage()
    # Thinking tokens are billed as output.
    output = (meta.candidates_token_count or 0) + (meta.thoughts_token_count or 0)
    return Usage(meta.prompt_token_count or 0, output)


def _details(body: object) -> dict[str, list[Mapping[str, Any]]]:
    """The error's `google.rpc` details by short type name: {"RetryInfo": [...], ...}."""
    error = body.get("error", body) if isinstance(body, Mapping) else None
    items = error.get("details") if isinstance(error, Mapping) else None
    found: dict[str, list[Mapping[str, Any]]] = {}
    if isinstance(items, Sequence):
        for item in items:
            if isinstance(item, Mapping):
                kind = str(item.get("@type", "")).removeprefix(_RPC)
                found.setdefault(kind, []).append(item)
    return found


def _next_quota_day() -> str:
    now = datetime.now(_QUOTA_DAY)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.strftime("%Y-%m-%d %H:%M %Z (midnight Pacific time)")
