"""Loopback HTTP servers that speak each provider's real wire protocol, with scripted faults.

A `LoopbackServer` listens on 127.0.0.1 (a free port) in a background thread and answers in one
`Dialect`: `OPENAI` (OpenAI and Groq chat completions), `GEMINI` (`:generateContent`) or
`OLLAMA` (`/api/chat`, `/api/tags`). Each completion request takes the next scripted `Canned`
response from its queue; when the queue is empty it answers `respond(request_body)` if given
(a reply text or a `Canned`), else "ok". Every request is recorded with its timings, and the
server tracks how many completion requests were in flight at once.

    with LoopbackServer(OPENAI) as server:
        server.push(OPENAI.rate_limited(retry_after_ms=300), OPENAI.ok("def f(): ..."))
        ...  # point a provider at server.url
        assert len(server.completions) == 2

`latency_s` delays every answer, for throughput benchmarks against a fixed-latency server.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = [
    "GEMINI",
    "OLLAMA",
    "OPENAI",
    "Canned",
    "Dialect",
    "LoopbackServer",
    "Seen",
    "chat_completion",
]

Json = dict[str, Any]


@dataclass(frozen=True)
class Canned:
    """One scripted HTTP response; `delay_s` holds it back (beyond a client timeout, say)."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    delay_s: float = 0.0


@dataclass(frozen=True)
class Seen:
    """One request the server handled (header names in lower case), with monotonic times."""

    method: str
    path: str
    headers: dict[str, str]
    body: Json | None
    started: float
    finished: float


def _json(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> Canned:
    return Canned(status, json.dumps(payload).encode(), headers)


class Dialect(ABC):
    """How one provider's server talks: its completion paths, success and error bodies."""

    name = ""

    @abstractmethod
    def is_completion(self, method: str, path: str) -> bool:
        """See the dialects."""

    def extra(self, method: str, path: str) -> Canned | None:
        """Answers to the protocol's other endpoints (model lists), or None."""
        return None

    @abstractmethod
    def ok(
        self,
        text: str,
        *,
        finish: str = "stop",
        prompt_tokens: int = 7,
        completion_tokens: int = 5,
        model: str = "loopback-model",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Canned:
        """See the dialects."""

    @abstractmethod
    def error(self, status: int, message: str, **extra: Any) -> Canned:
        """See the dialects."""

    @abstractmethod
    def rate_limited(
        self, *, retry_after_s: float | None = None, retry_after_ms: int | None = None
    ) -> Canned:
        """See the dialects."""

    @abstractmethod
    def daily_quota(self, *, retry_after_s: float = 722) -> Canned:
        """See the dialects."""

    def unauthorized(self) -> Canned:
        return self.error(401, "Invalid API Key", code="invalid_api_key")

    def model_not_found(self, model: str) -> Canned:
        return self.error(
            404,
            f"The model `{model}` does not exist or you do not have access to it.",
            code="model_not_found",
        )

    def server_error(self, status: int = 500) -> Canned:
        return self.error(status, "Internal server error")

    def malformed(self) -> Canned:
        return Canned(200, b'{"choices": [{"message": ', (("Content-Type", "application/json"),))

    def slow(self, seconds: float, text: str = "late") -> Canned:
        canned = self.ok(text)
        return Canned(canned.status, canned.body, canned.headers, delay_s=seconds)


def chat_completion(
    text: str,
    model: str,
    prompt_tokens: int,
    completion_tokens: int,
    *,
    finish: str = "stop",
    completion_id: str = "chatcmpl-loopback",
) -> Json:
    """An OpenAI chat completion object, as a reply body or a line of a batch's output."""
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": 1_790_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


class _OpenAIDialect(Dialect):
    """OpenAI chat completions; Groq serves the same under /openai/v1."""

    name = "openai"

    def is_completion(self, method: str, path: str) -> bool:
        return method == "POST" and path in ("/v1/chat/completions", "/openai/v1/chat/completions")

    def extra(self, method: str, path: str) -> Canned | None:
        if method == "GET" and path.endswith("/v1/models"):
            return _json(200, {"object": "list", "data": [{"id": "loopback-model"}]})
        return None

    def ok(
        self,
        text: str,
        *,
        finish: str = "stop",
        prompt_tokens: int = 7,
        completion_tokens: int = 5,
        model: str = "loopback-model",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Canned:
        payload = chat_completion(text, model, prompt_tokens, completion_tokens, finish=finish)
        return _json(200, payload, headers)

    def error(self, status: int, message: str, **extra: Any) -> Canned:
        headers = tuple((key, str(value)) for key, value in extra.pop("headers", {}).items())
        body = {"message": message, "type": extra.pop("type", "invalid_request_error"), **extra}
        return _json(status, {"error": body}, headers)

    def rate_limited(
        self, *, retry_after_s: float | None = None, retry_after_ms: int | None = None
    ) -> Canned:
        headers: dict[str, str] = {}
        if retry_after_s is not None:
            headers["retry-after"] = f"{retry_after_s:g}"
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(retry_after_ms)
        return self.error(
            429,
            "Rate limit reached for model `loopback-model` in organization `org_1` on requests "
            "per minute (RPM): Limit 30, Used 30, Requested 1.",
            type="requests",
            code="rate_limit_exceeded",
            headers=headers,
        )

    def daily_quota(self, *, retry_after_s: float = 722) -> Canned:
        return self.error(
            429,
            "Rate limit reached for model `loopback-model` in organization `org_1` on tokens per "
            "day (TPD): Limit 100000, Used 99950, Requested 800. Please try again in 12m2s.",
            type="tokens",
            code="rate_limit_exceeded",
            headers={"retry-after": f"{retry_after_s:g}"},
        )

    def model_decommissioned(self, model: str) -> Canned:
        return self.error(
            400,
            f"The model `{model}` has been decommissioned and is no longer supported.",
            code="model_decommissioned",
        )


class _GeminiDialect(Dialect):
    """The Gemini API's `POST /v1beta/models/<model>:generateContent`."""

    name = "gemini"

    def is_completion(self, method: str, path: str) -> bool:
        return (
            method == "POST"
            and path.startswith("/v1beta/models/")
            and path.endswith(":generateContent")
        )

    def ok(
        self,
        text: str,
        *,
        finish: str = "stop",
        prompt_tokens: int = 7,
        completion_tokens: int = 5,
        model: str = "loopback-model",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Canned:
        reason = {"stop": "STOP", "length": "MAX_TOKENS"}.get(finish, finish.upper())
        payload = {
            "candidates": [
                {
                    "content": {"parts": [{"text": text}], "role": "model"},
                    "finishReason": reason,
                    "index": 0,
                }
            ],
            "usageMetadata": {
                "promptTokenCount": prompt_tokens,
                "candidatesTokenCount": completion_tokens,
                "totalTokenCount": prompt_tokens + completion_tokens,
            },
            "modelVersion": model,
            "responseId": "loopback",
        }
        return _json(200, payload, headers)

    def error(self, status: int, message: str, **extra: Any) -> Canned:
        statuses = {
            400: "INVALID_ARGUMENT",
            403: "PERMISSION_DENIED",
            404: "NOT_FOUND",
            429: "RESOURCE_EXHAUSTED",
            500: "INTERNAL",
            503: "UNAVAILABLE",
        }
        body: Json = {"code": status, "message": message, "status": statuses.get(status, "UNKNOWN")}
        if "details" in extra:
            body["details"] = extra["details"]
        return _json(status, {"error": body})

    def _quota(self, quota_id: str, retry_delay: str) -> Canned:
        return self.error(
            429,
            "You exceeded your current quota, please check your plan and billing details.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                    "violations": [
                        {
                            "quotaMetric": "generativelanguage.googleapis.com/"
                            "generate_content_free_tier_requests",
                            "quotaId": quota_id,
                            "quotaDimensions": {"location": "global", "model": "loopback-model"},
                            "quotaValue": "250",
                        }
                    ],
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [{"description": "Learn more", "url": "https://ai.google.dev/"}],
                },
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay},
            ],
        )

    def rate_limited(
        self, *, retry_after_s: float | None = None, retry_after_ms: int | None = None
    ) -> Canned:
        seconds = retry_after_s if retry_after_s is not None else (retry_after_ms or 0) / 1000
        return self._quota("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", f"{seconds:g}s")

    def daily_quota(self, *, retry_after_s: float = 43) -> Canned:
        return self._quota(
            "GenerateRequestsPerDayPerProjectPerModel-FreeTier", f"{retry_after_s:g}s"
        )

    def unauthorized(self) -> Canned:
        # Gemini answers a bad key with 400 and an ErrorInfo, not 401.
        return self.error(
            400,
            "API key not valid. Please pass a valid API key.",
            details=[
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                }
            ],
        )

    def model_not_found(self, model: str) -> Canned:
        return self.error(
            404,
            f"models/{model} is not found for API version v1beta, or is not supported for "
            "generateContent.",
        )


class _OllamaDialect(Dialect):
    """Ollama's `POST /api/chat` (non-streaming) and `GET /api/tags`."""

    name = "ollama"

    def is_completion(self, method: str, path: str) -> bool:
        return method == "POST" and path == "/api/chat"

    def extra(self, method: str, path: str) -> Canned | None:
        if method == "GET" and path == "/api/tags":
            return _json(
                200, {"models": [{"name": "qwen2.5-coder:1.5b", "model": "qwen2.5-coder:1.5b"}]}
            )
        return None

    def ok(
        self,
        text: str,
        *,
        finish: str = "stop",
        prompt_tokens: int = 7,
        completion_tokens: int = 5,
        model: str = "loopback-model",
        headers: tuple[tuple[str, str], ...] = (),
    ) -> Canned:
        payload = {
            "model": model,
            "created_at": "2026-11-22T00:00:00Z",
            "message": {"role": "assistant", "content": text},
            "done": True,
            "done_reason": finish,
            "total_duration": 1000,
            "load_duration": 10,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 100,
            "eval_count": completion_tokens,
            "eval_duration": 100,
        }
        return _json(200, payload, headers)

    def error(self, status: int, message: str, **extra: Any) -> Canned:
        return _json(status, {"error": message})

    def rate_limited(
        self, *, retry_after_s: float | None = None, retry_after_ms: int | None = None
    ) -> Canned:
        return self.error(429, "too many requests")

    def daily_quota(self, *, retry_after_s: float = 0) -> Canned:
        return self.error(429, "too many requests")

    def model_not_found(self, model: str) -> Canned:
        return self.error(404, f'model "{model}" not found, try pulling it first')


OPENAI = _OpenAIDialect()
GEMINI = _GeminiDialect()
OLLAMA = _OllamaDialect()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver listens with a backlog of 5: more connections opened at once than that lose
    # their SYN and the client's kernel retries it after a full second, like no real API server.
    request_queue_size = 128
    owner: LoopbackServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle adds 40 ms to every answer.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._connections.add(self.connection)

    def finish(self) -> None:
        self.server.owner._connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        self.server.owner._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.owner._handle(self, "POST")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads `server.requests` instead."""


@dataclass
class _Stats:
    in_flight: int = 0
    max_in_flight: int = 0
    requests: list[Seen] = field(default_factory=list)


class LoopbackServer:
    """A scripted server for one `Dialect` on 127.0.0.1; see the module docstring."""

    def __init__(
        self,
        dialect: Dialect,
        *,
        latency_s: float = 0.0,
        respond: Callable[[Json], Canned | str] | None = None,
    ) -> None:
        self.dialect = dialect
        self.latency_s = latency_s
        self.respond = respond
        self._queue: deque[Canned] = deque()
        self._lock = threading.Lock()
        self._stats = _Stats()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[Seen]:
        with self._lock:
            return list(self._stats.requests)

    @property
    def completions(self) -> list[Seen]:
        return [
            seen for seen in self.requests if self.dialect.is_completion(seen.method, seen.path)
        ]

    @property
    def max_in_flight(self) -> int:
        return self._stats.max_in_flight

    def max_started_within(self, seconds: float) -> int:
        """The most completion requests that arrived within any span shorter than `seconds`."""
        starts = sorted(seen.started for seen in self.completions)
        most, first = 0, 0
        for last, started in enumerate(starts):
            while started - starts[first] >= seconds:
                first += 1
            most = max(most, last - first + 1)
        return most

    def forget(self) -> None:
        """Drop the requests seen so far (a warm-up's) and the in-flight maximum."""
        with self._lock:
            self._stats = _Stats(in_flight=self._stats.in_flight)

    def push(self, *responses: Canned) -> None:
        with self._lock:
            self._queue.extend(responses)

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        # A short poll interval: `stop` waits for the serving loop to notice.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release any held-back answer and close every open connection."""
        self._stopping.set()
        if self._server is None:
            return
        self._server.shutdown()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, method: str, path: str, body: Json | None) -> tuple[Canned, bool]:
        """The response, and whether the request is a completion (counted in flight)."""
        if self.dialect.is_completion(method, path):
            with self._lock:
                queued = self._queue.popleft() if self._queue else None
            if queued is not None:
                return queued, True
            answer = self.respond(body or {}) if self.respond else "ok"
            return (self.dialect.ok(answer) if isinstance(answer, str) else answer), True
        extra = self.dialect.extra(method, path)
        return (extra or self.dialect.error(404, f"no route {method} {path}")), False

    def _handle(self, handler: _Handler, method: str) -> None:
        started = time.monotonic()
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        path = handler.path.split("?", 1)[0]
        headers = {name.lower(): value for name, value in handler.headers.items()}
        canned, counted = self._answer(method, path, body)
        if counted:
            with self._lock:
                self._stats.in_flight += 1
                self._stats.max_in_flight = max(self._stats.max_in_flight, self._stats.in_flight)
        seen = False
        try:
            delay = canned.delay_s + (self.latency_s if counted else 0.0)
            if delay:
                self._stopping.wait(delay)
            handler.send_response(canned.status)
            names = {name.lower() for name, _ in canned.headers}
            if "content-type" not in names:
                handler.send_header("Content-Type", "application/json")
            for name, value in canned.headers:
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(canned.body)))
            handler.end_headers()
            # Seen before the body goes out: a client holding the reply must find its request
            # in `requests` (and a warm-up's must never land after `forget`).
            self._record(Seen(method, path, headers, body, started, time.monotonic()))
            seen = True
            handler.wfile.write(canned.body)
        except OSError:
            pass  # the client gave up (timeout) or the server is stopping
        finally:
            with self._lock:
                if counted:
                    self._stats.in_flight -= 1
            if not seen:
                self._record(Seen(method, path, headers, body, started, time.monotonic()))

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self._stats.requests.append(seen)
