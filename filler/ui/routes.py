"""The Starlette app of `filler ui`: four pages and the JSON endpoints behind them.

Every endpoint is a thin call into `filler.api` (or `filler.spec` to check a spec as it is
typed); paths the page names go through `Workspace`, so nothing outside the served folder is
read or written. Every request needs the run's token: the URL `filler ui` prints carries it once,
and the answer trades it for a same-site cookie; a request that changes anything must also send
it in the `X-Filler-Token` header, which the pages read from their own `<meta>`.

Errors come back as `{"error": "..."}`: a `UserError` (what the CLI exits 2 for) with status 400,
any other `FillerError` with 422.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import os
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import yaml
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from filler import api
from filler.config import Overrides, load_settings
from filler.errors import FillerError, ProjectError, UserError
from filler.project import load_project
from filler.providers import PROVIDERS
from filler.spec.model import spec_errors
from filler.ui.jobs import JobBoard, JobKind, Reporter
from filler.ui.review import RUN_RECORD, read_run, unit_reviews
from filler.ui.workspace import Workspace, zip_project
from filler.writer import atomic_write

if TYPE_CHECKING:
    from filler.report import RunRecord

__all__ = ["COOKIE", "HEADER", "PAGES", "create_app", "spec_problems"]

COOKIE = "filler_token"
HEADER = "X-Filler-Token"
PAGES = ("spec", "fill", "review", "update")
_STATIC = Path(__file__).parent / "static"
# The pages load nothing from elsewhere and run no inline script, and no other site may frame
# them; the address they came from (the token's, once) is sent nowhere.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
}
_POLL_S = 0.2  # how often an event stream looks for news
_HEARTBEAT_S = 15.0  # a comment line that keeps an idle stream open


def create_app(root: Path, token: str, environ: Mapping[str, str] | None = None) -> Starlette:
    """The app serving the folder `root`; `environ` is where provider keys come from."""
    ui = _Ui(Workspace.at(root), token, os.environ if environ is None else environ)
    routes = [
        Route("/", ui.home),
        Route("/api/spec/check", ui.spec_check, methods=["POST"]),
        Route("/api/spec/open", ui.spec_open, methods=["POST"]),
        Route("/api/spec/save", ui.spec_save, methods=["POST"]),
        Route("/api/plan", ui.plan, methods=["POST"]),
        Route("/api/new", ui.new, methods=["POST"]),
        Route("/api/status", ui.status),
        Route("/api/fill", ui.fill, methods=["POST"]),
        Route("/api/update", ui.update, methods=["POST"]),
        Route("/api/stop", ui.stop, methods=["POST"]),
        Route("/api/events", ui.events),
        Route("/api/review", ui.review),
        Route("/api/manual", ui.manual, methods=["POST"]),
        Route("/api/download", ui.download),
        Mount("/static", StaticFiles(directory=_STATIC), name="static"),
        Route("/{page}", ui.page, name="page"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            # A page elsewhere cannot reach this server through a name it controls (DNS
            # rebinding): only requests addressed to the loopback names get in.
            Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost"]),
            Middleware(_TokenGuard, token=token),
        ],
        exception_handlers={FillerError: _error},
    )
    app.state.jobs = ui.jobs
    return app


async def _error(request: Request, exc: Exception) -> Response:
    status = 400 if isinstance(exc, UserError) else 422
    return JSONResponse({"error": str(exc)}, status_code=status)


class _TokenGuard:
    """Refuses every request without the run's token (pure ASGI: event streams pass through)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no route speaks websocket: the router closes those
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        reading = request.method in ("GET", "HEAD")
        in_url = request.query_params.get("token", "")
        if reading and self._valid(in_url):
            # The token leaves the address bar (and the history) for a same-site cookie.
            response: Response = RedirectResponse(request.url.remove_query_params("token"), 303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
        elif self._valid(request.headers.get(HEADER, "")) or (
            reading and self._valid(request.cookies.get(COOKIE, ""))
        ):
            await self.app(scope, receive, send)
            return
        else:
            response = PlainTextResponse(
                "this page needs the token of this `filler ui` run: open the URL it printed",
                status_code=403,
            )
        await response(scope, receive, send)

    def _valid(self, given: str) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())


def spec_problems(text: str) -> list[str]:
    """What `filler new` would refuse in a spec's text, every problem with its field path."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return [f"the spec is not valid YAML{where}"]
    return [str(error) for error in spec_errors(data)]


_SETTINGS: Mapping[str, type[int] | type[float] | type[str]] = {
    "provider": str,
    "model": str,
    "base_url": str,
    "max_rounds": int,
    "temperature": float,
    "samples": int,
    "jobs": int,
    "test_timeout": float,
    "sandbox": str,
}


_KIND_WORDS = {int: "a whole number", float: "a number", str: "text"}


class _Ui:
    def __init__(self, workspace: Workspace, token: str, environ: Mapping[str, str]) -> None:
        self.workspace = workspace
        self.token = token
        self.environ = environ
        self.jobs = JobBoard()
        self.pages = jinja2.Environment(
            loader=jinja2.PackageLoader("filler.ui", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )

    # --- pages ---------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return RedirectResponse(request.url_for("page", page="spec"), 303)

    async def page(self, request: Request) -> Response:
        name = request.path_params["page"]
        if name not in PAGES:
            return PlainTextResponse(f"no page {name!r}; the pages: {', '.join(PAGES)}", 404)
        html = self.pages.get_template(f"{name}.html.j2").render(
            page=name,
            pages=PAGES,
            token=self.token,
            root=str(self.workspace.root),
            root_name=self.workspace.root.name or str(self.workspace.root),
            project=request.query_params.get("project") or self._default_project(),
            providers=list(PROVIDERS),
        )
        return HTMLResponse(html, headers=_PAGE_HEADERS)

    def _default_project(self) -> str:
        try:
            load_project(self.workspace.root)
        except ProjectError:
            return ""
        return "."

    # --- spec ----------------------------------------------------------------------------

    async def spec_check(self, request: Request) -> Response:
        body = await _body(request)
        return JSONResponse({"problems": spec_problems(_text(body, "text"))})

    async def spec_open(self, request: Request) -> Response:
        path = self.workspace.path(_text(await _body(request), "path"), "spec")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            shown = self.workspace.relative(path)
            raise UserError(f"spec: {shown} cannot be read ({exc})") from None
        return self._spec_json(path, text)

    async def spec_save(self, request: Request) -> Response:
        body = await _body(request)
        path = self.workspace.path(_text(body, "path"), "spec")
        text = _text(body, "text")
        await run_in_threadpool(atomic_write, path, text)
        return self._spec_json(path, text)

    def _spec_json(self, path: Path, text: str) -> Response:
        return JSONResponse(
            {"path": self.workspace.relative(path), "text": text, "problems": spec_problems(text)}
        )

    async def plan(self, request: Request) -> Response:
        body = await _body(request)
        output = self.workspace.path(_text(body, "output"), "output")
        features = [line for line in _text(body, "features").splitlines() if line.strip()]
        result = await run_in_threadpool(
            functools.partial(
                api.plan,
                _text(body, "idea"),
                features,
                output,
                force=bool(body.get("force")),
                flags=Overrides(**self._overrides(body)),
                environ=self._environ(body),
            )
        )
        text = output.read_text(encoding="utf-8")
        return JSONResponse(
            {
                "path": self.workspace.relative(output),
                "text": text,
                "problems": spec_problems(text),
                "rounds": result.rounds,
                "provider": result.provider,
                "model": result.model,
            }
        )

    async def new(self, request: Request) -> Response:
        body = await _body(request)
        spec = self.workspace.path(_text(body, "spec"), "spec")
        dest = self.workspace.path(_text(body, "dest"), "folder")
        project = await run_in_threadpool(api.new, spec, dest)
        return JSONResponse({"project": self.workspace.relative(project.root)})

    # --- fill, update, their events ------------------------------------------------------

    async def status(self, request: Request) -> Response:
        project = self._project(request.query_params.get("project", ""))
        rows = await run_in_threadpool(api.status, project)
        return JSONResponse({"rows": [{**asdict(row), "label": row.label} for row in rows]})

    async def fill(self, request: Request) -> Response:
        body = await _body(request)
        project = self._project(_text(body, "project"))
        environ = self._environ(body)
        flags = self._fill_flags(project, body, environ)
        since = self.jobs.last_seq

        def work(reporter: Reporter) -> Mapping[str, object]:
            record = api.fill(
                project, flags, progress=reporter, environ=environ, watch=reporter.watch
            )
            return _run_summary(record)

        job = self.jobs.start(JobKind.FILL, self.workspace.relative(project), work)
        return JSONResponse({"job": job, "since": since})

    async def update(self, request: Request) -> Response:
        body = await _body(request)
        project = self._project(_text(body, "project"))
        data_file = body.get("data_file") or None
        spec = None if data_file is None else self.workspace.path(str(data_file), "data_file")
        vcs_ref = str(body.get("vcs_ref") or "") or None
        environ = self._environ(body)
        flags = self._fill_flags(project, body, environ)
        since = self.jobs.last_seq

        def work(reporter: Reporter) -> Mapping[str, object]:
            result = api.update(
                project, data_file=spec, vcs_ref=vcs_ref, flags=flags, progress=reporter,
                environ=environ, watch=reporter.watch,
            )  # fmt: skip
            return {
                **_run_summary(result.run),
                "added": list(result.added),
                "refilled": list(result.refilled),
                "kept": list(result.kept),
                "edited_stale": list(result.edited_stale),
                "removed": list(result.removed),
                "needs_review": list(result.needs_review),
                "failing": list(result.failing),
                "set_aside": [
                    f"{aside.reason}: {aside.name}"
                    for aside in (
                        *result.stubbed_by_signature_change,
                        *result.stubbed_by_failing_tests,
                        *result.dropped,
                    )
                ],
            }

        job = self.jobs.start(JobKind.UPDATE, self.workspace.relative(project), work)
        return JSONResponse({"job": job, "since": since})

    async def stop(self, request: Request) -> Response:
        return JSONResponse({"stopping": self.jobs.stop()})

    async def events(self, request: Request) -> Response:
        # A reconnecting EventSource says what it last had; its first request, where to start.
        since = _int(request.headers.get("last-event-id") or request.query_params.get("since"))

        async def stream() -> AsyncIterator[str]:
            seq, idle = since, 0.0
            while not await request.is_disconnected():
                events = self.jobs.events_since(seq)
                for event in events:
                    yield event.sse()
                    seq = event.seq
                idle = 0.0 if events else idle + _POLL_S
                if idle >= _HEARTBEAT_S:
                    yield ": still here\n\n"
                    idle = 0.0
                await asyncio.sleep(_POLL_S)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
        )

    # --- review and download -------------------------------------------------------------

    async def review(self, request: Request) -> Response:
        project = self._project(request.query_params.get("project", ""))
        run_path = request.query_params.get("run", "")
        record = self.workspace.path(run_path, "run") if run_path else project / RUN_RECORD
        summary = await run_in_threadpool(read_run, record)
        units = await run_in_threadpool(unit_reviews, project, summary)
        return JSONResponse(
            {
                "run": {**asdict(summary), "units": None, "path": self.workspace.relative(record)},
                "units": [asdict(unit) for unit in units],
            }
        )

    async def manual(self, request: Request) -> Response:
        body = await _body(request)
        project = self._project(_text(body, "project"))
        unit = _text(body, "unit")
        await run_in_threadpool(api.mark_manual, project, [unit])
        return JSONResponse({"unit": unit})

    async def download(self, request: Request) -> Response:
        project = self._project(request.query_params.get("project", ""))
        internals = request.query_params.get("internals") == "1"
        data = await run_in_threadpool(functools.partial(zip_project, project, internals=internals))
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{project.name}.zip"'},
        )

    # --- what the forms send -------------------------------------------------------------

    def _project(self, value: str) -> Path:
        path = self.workspace.path(value or ".", "project")
        return load_project(path).root

    def _overrides(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The settings the form gives, as the CLI's flags: an empty field is not given."""
        given: dict[str, Any] = {}
        for name, kind in _SETTINGS.items():
            value = str(body.get(name) or "").strip()
            if not value:
                continue
            try:
                given[name] = kind(value)
            except ValueError:
                raise UserError(f"{name}: {value!r} is not {_KIND_WORDS[kind]}") from None
        replies = str(body.get("replies") or "").strip()
        if replies:
            given["replies"] = str(self.workspace.path(replies, "replies"))
        return given

    def _fill_flags(
        self, project: Path, body: Mapping[str, Any], environ: Mapping[str, str]
    ) -> api.FillFlags:
        """The fill's flags, checked now as the fill will check them, so that a bad setting
        is this request's error and not a job's."""
        flags = api.FillFlags(
            **self._overrides(body),
            only=_globs(body.get("only")),
            force=_globs(body.get("force")),
            retry=bool(body.get("retry")),
        )
        load_settings(project, flags, environ)
        return flags

    def _environ(self, body: Mapping[str, Any]) -> Mapping[str, str]:
        """The environment with the key typed in the page: it lives in this request and the
        run it starts, never in a file."""
        key = str(body.get("key") or "").strip()
        if not key:
            return self.environ
        name = str(body.get("provider") or "").strip()
        provider = PROVIDERS.get(name)
        if provider is None or not provider.key_env:
            raise UserError("key: choose the provider the key is for (groq, gemini or openai)")
        return {**self.environ, provider.key_env[0]: key}


async def _body(request: Request) -> Mapping[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise UserError("the request body must be a JSON object") from None
    if not isinstance(data, dict):
        raise UserError("the request body must be a JSON object")
    return data


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise UserError(f"{name}: expected text")
    return value


def _globs(value: object) -> tuple[str, ...]:
    words = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(str(word) for word in words if str(word).strip())


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _run_summary(record: RunRecord) -> dict[str, object]:
    stats = record.stats
    return {
        "filled": len(record.filled),
        "stubs": len(record.stubs),
        "calls": stats.calls,
        "tokens": stats.tokens,
        "cost_usd": stats.cost_usd,
        "seconds": record.seconds,
        "notes": list(record.notes),
    }
