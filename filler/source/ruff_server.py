"""`ruff server` kept running to format and lint many snippets: `RuffServer(...)`.

A `ruff format` or `ruff check` process costs 4-7 ms of CPU per call, most of it starting the
binary, and a run formats and lints every reply on the same two cores that judge them. The
language server does the same work with the same code in well under a millisecond once started.

A formatter gets its settings inline with `configurationPreference: editorOnly`, which, like
`ruff format --isolated`, keeps every configuration file out of it; linting is off. A linter
(`project=`) opens the project as its workspace and reads the project's own configuration, as
`ruff check` run there does (rule selection, per-file ignores, line length, fixable rules); the
rules in `ignore` are dropped on top of it, as `--ignore` does. It checks a document at the path
`ruff check --stdin-filename` is given, fixes through the `source.fixAll` code action (ruff's
safe fixes, applied until none is left) and reads what remains by `textDocument/diagnostic`.

The protocol is JSON-RPC over the server's stdin and stdout (LSP framing). Positions are
negotiated as UTF-32, so an edit's columns are Python string indices. Every read is bounded in
time; any failure raises `RuffServerError` and leaves the server stopped, so callers can fall
back to a `ruff` process (`filler.source.formatting`). The server also exits on its own when its
stdin closes, so it never outlives the process that started it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

# ruff ships no type information for its tiny launcher module.
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

from filler.errors import FillerError

__all__ = ["CANDIDATE_NAME", "LintProblem", "RuffServer", "RuffServerError"]

_TIMEOUT_S = 10.0
_URI = "untitled:module.py"
_HEADER_END = b"\r\n\r\n"
_LENGTH = re.compile(rb"content-length:\s*(\d+)", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# The name `ruff check --stdin-filename` is given in the project, so per-file settings apply.
CANDIDATE_NAME = "filler_candidate.py"
_FIX_ALL = "source.fixAll.ruff"


@dataclass(frozen=True)
class LintProblem:
    """What the project's `ruff check` says of a line: `E722` at line 3, column 5 (1-based)."""

    rule: str
    line: int
    column: int
    message: str


class RuffServerError(FillerError):
    """The ruff server could not be started or stopped answering; it has been stopped."""


class RuffServer:
    """One `ruff server` process, formatting with fixed settings or linting one project;
    `close()` stops it."""

    def __init__(
        self,
        line_length: int = 88,
        target_version: str = "py310",
        *,
        project: Path | None = None,
        ignore: Sequence[str] = (),
    ) -> None:
        """A formatter with these settings; with `project`, a linter held to that project's
        own ruff configuration less the rules in `ignore` (the other arguments are unused)."""
        self._process = subprocess.Popen(
            [str(find_ruff_bin()), "server"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.pid = self._process.pid
        self._buffer = bytearray()
        self._next_id = 0
        self._version = 0
        capabilities: dict[str, Any] = {"general": {"positionEncodings": ["utf-32"]}}
        workspace: dict[str, Any] = {"rootUri": None}
        if project is None:
            self._uri = _URI
            settings: dict[str, Any] = {
                "configuration": {"line-length": line_length, "target-version": target_version},
                "configurationPreference": "editorOnly",
                "lint": {"enable": False},
            }
        else:
            self._uri = (project / CANDIDATE_NAME).as_uri()
            workspace = {
                "rootUri": project.as_uri(),
                "workspaceFolders": [{"uri": project.as_uri(), "name": project.name}],
            }
            # Editor settings first: `ignore` comes after the project's rule selection, as
            # `--ignore` does, and nothing else is set to override the project's.
            settings = {
                "configurationPreference": "editorFirst",
                "lint": {"enable": True, "ignore": list(ignore)},
                "fixAll": True,
                "organizeImports": False,
            }
            capabilities["textDocument"] = {
                "diagnostic": {"dynamicRegistration": False},
                "codeAction": {
                    "codeActionLiteralSupport": {"codeActionKind": {"valueSet": [_FIX_ALL]}}
                },
            }
        result = self._request(
            "initialize",
            {
                "processId": os.getpid(),
                **workspace,
                "capabilities": capabilities,
                "initializationOptions": {"settings": settings},
            },
        )
        offered = result.get("capabilities") if isinstance(result, dict) else None
        if not isinstance(offered, dict) or offered.get("positionEncoding") != "utf-32":
            self._fail("the ruff server does not count columns in code points")
        self._notify("initialized", {})

    def format(self, source: str) -> str:
        """`source` as `ruff format` writes it; unchanged when ruff cannot parse it."""
        document = {"uri": _URI, "languageId": "python", "version": 1, "text": source}
        self._notify("textDocument/didOpen", {"textDocument": document})
        try:
            edits = self._request(
                "textDocument/formatting",
                {"textDocument": {"uri": _URI}, "options": {"tabSize": 4, "insertSpaces": True}},
                error_is_none=True,
            )
        finally:
            self._notify("textDocument/didClose", {"textDocument": {"uri": _URI}})
        # No edits: nothing to change, or nothing ruff can parse.
        return source if not edits else _applied(source, edits)

    def check(self, source: str, *, fix: bool) -> tuple[str, tuple[LintProblem, ...]]:
        """`source`, with ruff's safe fixes if `fix`, and the problems left in it, as `ruff
        check [--fix]` gives them (rule `invalid-syntax` where it cannot parse `source`)."""
        self._version += 1
        document = {"uri": self._uri, "languageId": "python", "version": self._version}
        self._notify("textDocument/didOpen", {"textDocument": {**document, "text": source}})
        try:
            text = self._fixed(source) if fix else source
            if text != source:
                self._version += 1
                self._notify(
                    "textDocument/didChange",
                    {
                        "textDocument": {"uri": self._uri, "version": self._version},
                        "contentChanges": [{"text": text}],
                    },
                )
            report = self._request("textDocument/diagnostic", {"textDocument": {"uri": self._uri}})
        finally:
            self._notify("textDocument/didClose", {"textDocument": {"uri": self._uri}})
        items = report.get("items") if isinstance(report, dict) else None
        if not isinstance(items, list):
            self._fail("the ruff server sent no diagnostics")
        return text, tuple(_problem(item) for item in items)

    def _fixed(self, source: str) -> str:
        # A source action covers the whole document, whatever range it is asked for.
        start = {"line": 0, "character": 0}
        actions = self._request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": self._uri},
                "range": {"start": start, "end": start},
                "context": {"diagnostics": [], "only": [_FIX_ALL]},
            },
        )
        edits = [
            edit
            for action in actions or ()
            if action.get("kind") == _FIX_ALL
            for edit in action.get("edit", {}).get("changes", {}).get(self._uri, ())
        ]
        return _applied(source, edits) if edits else source

    def close(self) -> None:
        """Stop the server: close its stdin, then kill it by PID if it has not exited."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            with contextlib.suppress(OSError):  # it is gone already
                self._process.stdin.close()
        try:
            self._process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    # -- JSON-RPC -----------------------------------------------------------------------------

    def _request(self, method: str, params: dict[str, Any], *, error_is_none: bool = False) -> Any:
        self._next_id += 1
        sent = self._next_id
        self._send({"jsonrpc": "2.0", "id": sent, "method": method, "params": params})
        deadline = time.monotonic() + _TIMEOUT_S
        while True:
            message = self._receive(deadline)
            if "method" in message:
                if "id" in message:  # a request of the server's own: nothing to offer it
                    self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
                continue  # notifications (log messages, diagnostics) are not needed
            if message.get("id") != sent:
                continue
            if "error" in message:
                if error_is_none:
                    return None
                self._fail(f"{method} failed: {message['error'].get('message', message)}")
            return message.get("result")

    def _notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps(message).encode("utf-8")
        stdin = self._process.stdin
        assert stdin is not None
        try:
            stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            stdin.flush()
        except (OSError, ValueError) as exc:
            self._fail(f"the ruff server stopped reading: {exc}")

    def _receive(self, deadline: float) -> dict[str, Any]:
        while True:
            end = self._buffer.find(_HEADER_END)
            if end >= 0:
                length = _LENGTH.search(bytes(self._buffer[:end]))
                if length is None:
                    self._fail("the ruff server sent a message without Content-Length")
                start = end + len(_HEADER_END)
                stop = start + int(length.group(1))
                if len(self._buffer) >= stop:
                    body = bytes(self._buffer[start:stop])
                    del self._buffer[:stop]
                    message: object = json.loads(body)
                    if not isinstance(message, dict):
                        self._fail("the ruff server sent something that is not a message")
                    return message
            self._buffer += self._read_some(deadline)

    def _read_some(self, deadline: float) -> bytes:
        stdout = self._process.stdout
        assert stdout is not None
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([stdout], [], [], remaining)[0]:
            self._fail(f"the ruff server did not answer within {_TIMEOUT_S:.0f} s")
        chunk = os.read(stdout.fileno(), 65536)
        if not chunk:
            self._fail(f"the ruff server exited (code {self._process.poll()})")
        return chunk

    def _fail(self, reason: str) -> NoReturn:
        self.close()
        raise RuffServerError(reason)


def _applied(source: str, edits: list[dict[str, Any]]) -> str:
    """The text with LSP edits applied; columns are code points (UTF-32 encoding)."""
    starts = [0] + [match.end() for match in _LINE_BREAK.finditer(source)]

    def offset(position: dict[str, int]) -> int:
        line = position["line"]
        return len(source) if line >= len(starts) else starts[line] + position["character"]

    spans = sorted(
        ((offset(e["range"]["start"]), offset(e["range"]["end"]), e["newText"]) for e in edits),
        reverse=True,
    )
    text = source
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def _problem(diagnostic: dict[str, Any]) -> LintProblem:
    """A diagnostic as `ruff check --output-format json` reports it."""
    start = diagnostic["range"]["start"]
    # The server adds the fix's title to the message; `ruff check` reports it apart.
    message = str(diagnostic["message"]).split("\n\nhelp: ", 1)[0]
    return LintProblem(
        str(diagnostic.get("code")), start["line"] + 1, start["character"] + 1, message
    )
