"""The `filler ui` server for real: `UiServer` on a loopback port in a thread, spoken to over HTTP.

`ui_at(root)` starts it on the folder `root` and stops it (and any fill it runs) afterwards;
`Ui.events(since, job)` reads the server-sent events of one job until it ends, bounded in time.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from filler import api
from filler.plan import PLAN_KEY
from filler.ui.routes import HEADER
from filler.ui.server import UiServer
from tests.helpers.projects import CHECKOUT

SPEC = CHECKOUT / "examples" / "specs" / "strkit.yml"
_EVENTS_TIMEOUT_S = 240.0
_ENDS = ("done", "stopped", "failed")


@dataclass
class Ui:
    server: UiServer
    client: httpx.Client

    @property
    def base(self) -> str:
        return self.server.url.split("?")[0].rstrip("/")

    def get(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(self.base + path, params=params, headers={HEADER: self.server.token})

    def post(self, path: str, body: Mapping[str, Any]) -> httpx.Response:
        return self.client.post(self.base + path, json=body, headers={HEADER: self.server.token})

    def events(self, since: int, job: int) -> list[tuple[str, dict[str, Any]]]:
        """Every event of `job` after `since`, until the one that ends it."""
        seen: list[tuple[str, dict[str, Any]]] = []
        deadline = time.monotonic() + _EVENTS_TIMEOUT_S
        with self.client.stream(
            "GET",
            f"{self.base}/api/events",
            params={"since": str(since)},
            headers={HEADER: self.server.token},
            timeout=httpx.Timeout(10.0, read=_EVENTS_TIMEOUT_S),
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            kind = ""
            for line in response.iter_lines():
                assert time.monotonic() < deadline, f"no end of job {job}: {seen}"
                if line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    data = json.loads(line.removeprefix("data: "))
                    if data["job"] == job:
                        seen.append((kind, data))
                        if kind in _ENDS:
                            return seen
        raise AssertionError(f"the stream ended before job {job} did: {seen}")


@contextmanager
def ui_at(root: Path, environ: Mapping[str, str] | None = None) -> Iterator[Ui]:
    server = UiServer(root, environ=environ)
    thread = threading.Thread(target=server.run, name="ui-under-test")
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.02)
        with httpx.Client(timeout=120, follow_redirects=False) as client:
            yield Ui(server, client)
    finally:
        server.stop()
        thread.join(150)
        assert not thread.is_alive(), "the server did not stop"


def plan_replies(path: Path, spec_text: str) -> Path:
    """A replies file for `filler plan`: one draft, the spec as a model would send it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({PLAN_KEY: [f"Here is the spec:\n\n```yaml\n{spec_text}```\n"]}))
    return path


@pytest.fixture(scope="module")
def rendered_strkit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo spec rendered once per module (real Copier, real git); copy it before use."""
    return api.new(SPEC, tmp_path_factory.mktemp("render") / "strkit").root


@pytest.fixture
def strkit(rendered_strkit: Path, tmp_path: Path) -> Path:
    """A fresh copy of the rendered demo project inside `tmp_path/ws`, the served folder."""
    return Path(shutil.copytree(rendered_strkit, tmp_path / "ws" / "strkit", symlinks=True))


def fill_and_wait(ui: Ui, body: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    started = ui.post("/api/fill", body)
    assert started.status_code == 200, started.text
    return ui.events(started.json()["since"], started.json()["job"])
