"""Google's Gemini API through google-genai (google-generativeai is end-of-life).

google-genai does not retry unless asked; it is also given `attempts=1` so that no code path
of its own (it has an implicit reconnect on some transports) retries behind our back, and our
own httpx client, so the transport's errors are known here. google-genai takes about half a
second to import: it is imported when the provider is opened, not when the class is read.

Its batch mode (`GeminiBatches`, for `filler fill --batch`) goes through the same client:
`client.aio.batches.create` sends the requests inline (`POST
/v1beta/models/<model>:batchGenerateContent`, each with `metadata.key` = its custom_id), `get`
polls `batches/<id>` (`BATCH_STATE_PENDING` ... `SUCCEEDED`), and the results come back inline,
in the order the requests were sent (the Gemini docs say so; the metadata is not always echoed).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from zoneinfo import ZoneInfo

import httpx

from filler.batch.jobs import BatchApi, BatchJob, BatchLine, BatchStatus, LineResult, on_batch
from filler.errors import (
    AuthFailed,
    BadRequest,
    BatchTooLarge,
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

__all__ = ["GeminiBatches", "GeminiProvider"]

T = TypeVar("T")

_FINISH = {"STOP": "stop", "MAX_TOKENS": "length"}
_RPC = "type.googleapis.com/google.rpc."
# Gemini's per-day quotas reset at midnight Pacific time.
_QUOTA_DAY = ZoneInfo("America/Los_Angeles")
# google-genai's job states (it renames BATCH_STATE_* to JOB_STATE_*) in the batch words.
_JOB_STATUS = {
    "JOB_STATE_QUEUED": BatchStatus.VALIDATING,
    "JOB_STATE_PENDING": BatchStatus.VALIDATING,
    "JOB_STATE_SUCCEEDED": BatchStatus.COMPLETED,
    "JOB_STATE_PARTIALLY_SUCCEEDED": BatchStatus.COMPLETED,
    "JOB_STATE_FAILED": BatchStatus.FAILED,
    "JOB_STATE_CANCELLING": BatchStatus.CANCELLING,
    "JOB_STATE_CANCELLED": BatchStatus.CANCELLED,
    "JOB_STATE_EXPIRED": BatchStatus.EXPIRED,
}
# A request too large for an inline batch: "Request payload size exceeds the limit".
_TOO_LARGE = ("payload size exceeds", "too large")


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
        contents, config = _contents_and_config(request)
        started = time.perf_counter()
        response = await self.translated(
            self._client.aio.models.generate_content(
                model=self.model, contents=contents, config=config
            )
        )
        return _reply(response, time.perf_counter() - started, self.model)

    def batches(self) -> GeminiBatches:
        return GeminiBatches(self)

    async def translated(self, call: Awaitable[T]) -> T:
        """Await a client call, its errors translated into ours."""
        from google.genai import errors as genai_errors

        try:
            return await call
        except (genai_errors.APIError, httpx.HTTPError, ValueError) as exc:
            raise self._translate(exc) from exc

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


def _contents_and_config(
    request: Request,
) -> tuple[list[types.Content], types.GenerateContentConfig]:
    """The request as Gemini takes it: system messages become the system instruction."""
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
    return contents, config


def _reply(
    response: types.GenerateContentResponse, latency: float, model: str, *, batch: bool = False
) -> Reply:
    candidate = response.candidates[0] if response.candidates else None
    reason = candidate.finish_reason if candidate else None
    return Reply(
        text=response.text or "",
        finish_reason=_FINISH.get(reason.value, reason.value.lower()) if reason else "stop",
        usage=_usage(response.usage_metadata),
        latency_s=latency,
        model=response.model_version or model,
        batch=batch,
    )


class GeminiBatches(BatchApi):
    """Gemini's batch mode, with the requests and their results inline."""

    def __init__(self, provider: GeminiProvider) -> None:
        self.provider = provider
        self._batches = provider._client.aio.batches

    async def submit(self, lines: Sequence[BatchLine]) -> BatchJob:
        from google.genai import types

        inlined = []
        for line in lines:
            contents, config = _contents_and_config(line.request)
            inlined.append(
                types.InlinedRequest(
                    contents=contents, config=config, metadata={"key": line.custom_id}
                )
            )
        try:
            job = await self.provider.translated(
                self._batches.create(
                    model=self.provider.model,
                    src=inlined,
                    config=types.CreateBatchJobConfig(display_name="filler"),
                )
            )
        except BadRequest as exc:
            if any(words in str(exc).lower() for words in _TOO_LARGE):
                raise BatchTooLarge(str(exc), provider=self.provider.name) from exc
            raise
        return _batch_job(job)

    async def poll(self, job_id: str) -> BatchJob:
        return _batch_job(await self._get(job_id))

    async def results(self, job: BatchJob, custom_ids: Sequence[str]) -> list[LineResult]:
        batch = await self._get(job.id)
        inlined = batch.dest.inlined_responses if batch.dest is not None else None
        found = []
        for cid, answer in zip(custom_ids, inlined or (), strict=False):
            if answer.response is not None:
                reply = _reply(answer.response, 0.0, self.provider.model, batch=True)
                found.append(LineResult(cid, reply))
            else:
                error = answer.error
                message = " ".join(str(error.message if error else "no response").split())
                code = f" (code {error.code})" if error is not None and error.code else ""
                found.append(LineResult(cid, error=message + code))
        return found

    async def cancel(self, job_id: str) -> BatchJob:
        await self._on(job_id, self._batches.cancel(name=job_id))
        return await self.poll(job_id)

    async def _get(self, job_id: str) -> types.BatchJob:
        return await self._on(job_id, self._batches.get(name=job_id))

    async def _on(self, job_id: str, call: Awaitable[T]) -> T:
        return await on_batch(self.provider.translated(call), job_id, self.provider.name)


def _batch_job(job: types.BatchJob) -> BatchJob:
    state = job.state.value if job.state is not None else "JOB_STATE_PENDING"
    error = job.error
    return BatchJob(
        id=job.name or "",
        status=_JOB_STATUS.get(state, BatchStatus.IN_PROGRESS),
        errors=(" ".join(str(error.message).split()),) if error and error.message else (),
    )


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
