"""A loopback server speaking the OpenAI/Groq Batch API (`/files`, `/batches`) and Gemini's
batch mode (`:batchGenerateContent`, `batches/<id>`).

`BatchServer` listens on 127.0.0.1 (a free port) in a background thread and serves, under
`/v1` (OpenAI) and `/openai/v1` (Groq) alike:

- `POST /files` (multipart, purpose "batch") -> a file object; the JSONL is kept;
- `POST /batches` -> a batch object, "validating";
- `GET /batches/{id}` -> the batch, one step further at each look (validating -> in_progress
  -> finalizing -> completed), or held "in_progress" while `hold` is set;
- `POST /batches/{id}/cancel` -> "cancelling", then "cancelled" at the next look;
- `GET /files/{id}/content` -> the output or error file, one JSON line per request.

and, under `/v1beta` (Gemini, as google-genai calls it):

- `POST /models/{model}:batchGenerateContent` (the requests inline, each with `metadata.key`)
  -> an operation whose metadata is the batch, `BATCH_STATE_PENDING`;
- `GET /batches/{id}` -> the operation, one step further at each look (`RUNNING`, then
  `SUCCEEDED` with the responses inline, in the order of the requests; or `EXPIRED`);
- `POST /batches/{id}:cancel` -> `{}`; the next look says `CANCELLED`.

What each request answers is `respond(custom_id, body)`: a reply text, or a `LineError` for a
line that fails. Faults: `expire_after` (a batch expires after answering that many lines; the
rest get `batch_expired`), `max_lines` (a larger batch fails validation for its size),
`refuse_upload` (the upload gets a 413), `failing_polls` (that many looks get a 503),
`delete(batch_id)` (the batch is gone: a 404 to every look, as for one deleted on the provider's
side or made with another account).
Everything the server saw is kept: `uploads`, `created` (each batch's input lines), `polls`,
`cancels`, `downloads`; `requests` counts every HTTP request the server answered.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from tests.helpers.wire import chat_completion

__all__ = ["BatchServer", "LineError", "completion_body"]

Json = dict[str, Any]
_STEPS = ("validating", "in_progress", "finalizing", "completed")
_GEMINI_STATES = {
    "validating": "BATCH_STATE_PENDING",
    "in_progress": "BATCH_STATE_RUNNING",
    "finalizing": "BATCH_STATE_RUNNING",
    "cancelling": "BATCH_STATE_RUNNING",
    "completed": "BATCH_STATE_SUCCEEDED",
    "failed": "BATCH_STATE_FAILED",
    "expired": "BATCH_STATE_EXPIRED",
    "cancelled": "BATCH_STATE_CANCELLED",
}


@dataclass(frozen=True)
class LineError:
    """One request of a batch that fails: HTTP `status` with an error body."""

    status: int
    message: str
    code: str = "invalid_request_error"


def completion_body(
    text: str, model: str, prompt_tokens: int = 11, completion_tokens: int = 7
) -> Json:
    return chat_completion(
        text, model, prompt_tokens, completion_tokens, completion_id="chatcmpl-batch"
    )


@dataclass
class _Batch:
    id: str
    input_file_id: str
    lines: list[Json]
    created_at: int
    step: int = 0
    status: str = "validating"
    errors: list[Json] = field(default_factory=list)
    output_file_id: str | None = None
    error_file_id: str | None = None
    completed: int = 0
    failed: int = 0
    model: str = ""
    inlined: list[Json] = field(default_factory=list)  # Gemini's results, in request order

    def as_operation(self) -> Json:
        """The batch as Gemini's long-running operation."""
        state = _GEMINI_STATES[self.status]
        batch: Json = {
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch",
            "name": f"batches/{self.id}",
            "displayName": "filler",
            "model": self.model,
            "state": state,
            "createTime": "2026-12-05T07:00:00Z",
            "updateTime": "2026-12-05T07:00:01Z",
            "batchStats": {
                "requestCount": str(len(self.lines)),
                "successfulRequestCount": str(self.completed),
                "failedRequestCount": str(self.failed),
                "pendingRequestCount": str(len(self.lines) - self.completed - self.failed),
            },
        }
        if self.inlined:
            batch["output"] = {"inlinedResponses": {"inlinedResponses": self.inlined}}
        done = self.status in ("completed", "failed", "expired", "cancelled")
        return {"name": f"batches/{self.id}", "metadata": batch, "done": done}

    def as_json(self) -> Json:
        stamp = {
            "in_progress": "in_progress_at",
            "finalizing": "finalizing_at",
            "completed": "completed_at",
            "failed": "failed_at",
            "expired": "expired_at",
            "cancelling": "cancelling_at",
            "cancelled": "cancelled_at",
        }
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": "/v1/chat/completions",
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id,
            "completion_window": "24h",
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "expires_at": self.created_at + 86_400,
            **{key: None for key in stamp.values()},
            **({stamp[self.status]: self.created_at + 1} if self.status in stamp else {}),
            "request_counts": {
                "total": len(self.lines),
                "completed": self.completed,
                "failed": self.failed,
            },
            "metadata": {"created_by": "filler"},
        }


class BatchServer:
    """See the module docstring."""

    def __init__(
        self,
        respond: Callable[[str, Json], str | LineError] = lambda cid, body: "ok",
        *,
        model: str = "loopback-model",
    ) -> None:
        self.respond = respond
        self.model = model
        self.hold = threading.Event()  # set: running batches stay "in_progress"
        self.expire_after: int | None = None
        self.max_lines: int | None = None
        self.refuse_upload = False
        self.failing_polls = 0  # the next looks at a batch answer 503
        self.uploads: list[bytes] = []
        self.created: list[list[Json]] = []
        self.polls: list[str] = []
        self.cancels: list[str] = []
        self.downloads: list[str] = []
        self._files: dict[str, bytes] = {}
        self._batches: dict[str, _Batch] = {}
        self._ids = itertools.count(1)
        self._mutex = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    @property
    def requests(self) -> int:
        return (
            len(self.uploads)
            + len(self.created)
            + len(self.polls)
            + len(self.cancels)
            + len(self.downloads)
        )

    def batch(self, batch_id: str) -> Json:
        with self._mutex:
            return self._batches[batch_id].as_json()

    def delete(self, batch_id: str) -> None:
        with self._mutex:
            del self._batches[batch_id]

    def delete_file(self, file_id: str) -> None:
        """A result file gone (deleted, or past its expiry) before it was downloaded."""
        with self._mutex:
            del self._files[file_id]

    # -- the endpoints ------------------------------------------------------------------------

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}"

    def upload(self, content: bytes) -> tuple[int, Json]:
        if self.refuse_upload:
            error = {"message": "File is too large", "type": "invalid_request_error",
                     "param": "file", "code": "file_too_large"}  # fmt: skip
            return 413, {"error": error}
        with self._mutex:
            file_id = self._next_id("file")
            self._files[file_id] = content
            self.uploads.append(content)
        return 200, {
            "id": file_id,
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": "filler-batch.jsonl",
            "purpose": "batch",
        }

    def create(self, body: Json) -> tuple[int, Json]:
        with self._mutex:
            content = self._files.get(body.get("input_file_id", ""))
            if content is None:
                error = {"message": "No such file", "type": "invalid_request_error"}
                return 404, {"error": error}
            lines = [json.loads(raw) for raw in content.decode().splitlines() if raw.strip()]
            batch = _Batch(self._next_id("batch"), body["input_file_id"], lines, int(time.time()))
            self._batches[batch.id] = batch
            self.created.append(lines)
            return 200, batch.as_json()

    def retrieve(self, batch_id: str) -> tuple[int, Json]:
        with self._mutex:
            if self.failing_polls:
                self.failing_polls -= 1
                return 503, {
                    "error": {"message": "The server is overloaded", "type": "server_error"}
                }
            batch = self._batches.get(batch_id)
            if batch is None:
                return 404, {"error": {"message": f"No batch {batch_id}", "type": "not_found"}}
            self.polls.append(batch_id)
            self._advance(batch)
            return 200, batch.as_json()

    def cancel(self, batch_id: str) -> tuple[int, Json]:
        with self._mutex:
            self.cancels.append(batch_id)
            batch = self._batches.get(batch_id)
            if batch is None:
                return 404, {"error": {"message": f"No batch {batch_id}", "type": "not_found"}}
            if batch.status not in ("completed", "failed", "expired", "cancelled"):
                batch.status = "cancelling"
            return 200, batch.as_json()

    def create_gemini(self, model: str, body: Json) -> tuple[int, Json]:
        requests = body["batch"]["inputConfig"]["requests"]["requests"]
        lines = [{"custom_id": r["metadata"]["key"], "body": r["request"]} for r in requests]
        with self._mutex:
            batch = _Batch(self._next_id("batch"), "", lines, int(time.time()), model=model)
            self._batches[batch.id] = batch
            self.created.append(lines)
            return 200, batch.as_operation()

    def retrieve_gemini(self, batch_id: str) -> tuple[int, Json]:
        status, _ = self.retrieve(batch_id)
        if status != 200:
            word = "NOT_FOUND" if status == 404 else "UNAVAILABLE"
            message = f"batches/{batch_id} not found" if status == 404 else "overloaded"
            return status, {"error": {"code": status, "message": message, "status": word}}
        with self._mutex:
            return 200, self._batches[batch_id].as_operation()

    def content(self, file_id: str) -> tuple[int, bytes]:
        with self._mutex:
            self.downloads.append(file_id)
            if file_id not in self._files:
                return 404, b'{"error": {"message": "No such file"}}'
            return 200, self._files[file_id]

    # -- the batch's life ---------------------------------------------------------------------

    def _advance(self, batch: _Batch) -> None:
        if batch.status in ("completed", "failed", "expired", "cancelled"):
            return
        if batch.status == "cancelling":
            self._finish(batch, "cancelled", answered=0)
            return
        if self.max_lines is not None and len(batch.lines) > self.max_lines:
            batch.status = "failed"
            batch.errors = [{"code": "too_many_requests_in_file", "line": None, "param": None,
                             "message": f"The batch input file is too large: {len(batch.lines)} "
                             f"requests, the maximum is {self.max_lines}."}]  # fmt: skip
            return
        if self.hold.is_set() and batch.status == "in_progress":
            return
        batch.step = min(batch.step + 1, len(_STEPS) - 1)
        status = _STEPS[batch.step]
        if status == "completed":
            expired = self.expire_after is not None and self.expire_after < len(batch.lines)
            answered = self.expire_after if expired and self.expire_after is not None else None
            self._finish(batch, "expired" if expired else "completed", answered=answered)
        else:
            batch.status = status

    def _finish(self, batch: _Batch, status: str, *, answered: int | None) -> None:
        """Run the batch's lines (the first `answered` of them; None: all) and write its files."""
        output: list[Json] = []
        errors: list[Json] = []
        for n, line in enumerate(batch.lines):
            row: Json = {"id": f"batch_req_{batch.id}_{n}", "custom_id": line["custom_id"]}
            if answered is not None and n >= answered:
                code = "batch_expired" if status == "expired" else "batch_cancelled"
                message = (
                    "This request could not be executed before the completion window expired."
                    if status == "expired"
                    else "This request was not executed because the batch was cancelled."
                )
                errors.append(
                    {**row, "response": None, "error": {"code": code, "message": message}}
                )
                continue
            answer = self.respond(line["custom_id"], line["body"])
            if batch.model:  # a Gemini batch: results inline, in request order
                batch.inlined.append(_inlined(answer, line["custom_id"]))
                if isinstance(answer, LineError):
                    errors.append(row)
                else:
                    output.append(row)
                continue
            if isinstance(answer, LineError):
                body = {"error": {"message": answer.message, "type": "invalid_request_error",
                                  "param": None, "code": answer.code}}  # fmt: skip
                response = {"status_code": answer.status, "request_id": f"req_{n}", "body": body}
                errors.append({**row, "response": response, "error": None})
            else:
                body = completion_body(answer, line["body"].get("model", self.model))
                response = {"status_code": 200, "request_id": f"req_{n}", "body": body}
                output.append({**row, "response": response, "error": None})
        if output and not batch.model:
            batch.output_file_id = self._next_id("file")
            self._files[batch.output_file_id] = _jsonl(output)
        if errors and not batch.model:
            batch.error_file_id = self._next_id("file")
            self._files[batch.error_file_id] = _jsonl(errors)
        batch.completed, batch.failed = len(output), len(errors)
        batch.status = status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return None

            def _send(self, status: int, payload: Json | bytes) -> None:
                body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                kind = (
                    "application/octet-stream" if isinstance(payload, bytes) else "application/json"
                )
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def _path(self) -> list[str]:
                path = self.path.split("?", 1)[0]
                for prefix in ("/openai/v1/", "/v1/", "/v1beta/"):
                    if path.startswith(prefix):
                        return path[len(prefix) :].split("/")
                return []

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self) -> None:
                parts = self._path()
                raw = self._body()
                if self.path.startswith("/v1beta/"):
                    self._gemini_post(parts, raw)
                elif parts == ["files"]:
                    self._send(*server.upload(_multipart_file(self.headers["Content-Type"], raw)))
                elif parts == ["batches"]:
                    self._send(*server.create(json.loads(raw)))
                elif len(parts) == 3 and parts[0] == "batches" and parts[2] == "cancel":
                    self._send(*server.cancel(parts[1]))
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

            def _gemini_post(self, parts: list[str], raw: bytes) -> None:
                last = parts[-1] if parts else ""
                if parts[:1] == ["models"] and last.endswith(":batchGenerateContent"):
                    model = "models/" + last.removesuffix(":batchGenerateContent")
                    self._send(*server.create_gemini(model, json.loads(raw)))
                elif parts[:1] == ["batches"] and last.endswith(":cancel"):
                    status, body = server.cancel(last.removesuffix(":cancel"))
                    self._send(status, {} if status == 200 else body)
                else:
                    self._send(404, {"error": {"code": 404, "message": f"no route {self.path}"}})

            def do_GET(self) -> None:
                parts = self._path()
                if self.path.startswith("/v1beta/") and parts[:1] == ["batches"]:
                    self._send(*server.retrieve_gemini(parts[1]))
                elif len(parts) == 2 and parts[0] == "batches":
                    self._send(*server.retrieve(parts[1]))
                elif len(parts) == 3 and parts[0] == "files" and parts[2] == "content":
                    self._send(*server.content(parts[1]))
                else:
                    self._send(404, {"error": {"message": f"no route {self.path}"}})

        return Handler


def _inlined(answer: str | LineError, key: str) -> Json:
    """One of Gemini's inline results: a GenerateContentResponse, or the request's error."""
    if isinstance(answer, LineError):
        return {
            "error": {"code": answer.status, "message": answer.message},
            "metadata": {"key": key},
        }
    response = {
        "candidates": [
            {"content": {"parts": [{"text": answer}], "role": "model"}, "finishReason": "STOP"}
        ],
        "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": 7, "totalTokenCount": 18},
        "modelVersion": "loopback-model",
    }
    return {"response": response, "metadata": {"key": key}}


def _jsonl(rows: list[Json]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def _multipart_file(content_type: str, raw: bytes) -> bytes:
    """The `file` part of a multipart/form-data body; the `purpose` must be "batch"."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    fields = {
        part.get_param("name", header="content-disposition"): part for part in message.iter_parts()
    }
    purpose = fields["purpose"].get_payload(decode=True)
    assert purpose == b"batch", purpose
    payload = fields["file"].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload
