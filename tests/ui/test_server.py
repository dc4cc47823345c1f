"""`filler ui`'s endpoints over real HTTP on 127.0.0.1, with real Copier, git and fills through
the replay provider; the one remote API (OpenAI's, for the stop and the typed key) is faked at
the wire by a loopback server."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml

from filler.errors import SpecError
from filler.lockfile import read_lock
from filler.spec.model import load_spec
from filler.ui.routes import COOKIE, HEADER
from tests.helpers.projects import CHECKOUT
from tests.helpers.replies import STRKIT, write_replies
from tests.helpers.wire import OPENAI, LoopbackServer
from tests.ui.conftest import SPEC, fill_and_wait, plan_replies, ui_at

pytestmark = pytest.mark.timeout(600)

# The environment of a user with no provider set up: the page decides.
CLEAN_ENV = {
    **{k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")},
    "FILLER_PROVIDER": "",
}


def test_every_request_needs_the_token_of_this_run(tmp_path: Path) -> None:
    with ui_at(tmp_path) as ui:
        plain = httpx.Client(timeout=10)
        assert plain.get(f"{ui.base}/spec").status_code == 403
        assert plain.get(f"{ui.base}/spec", params={"token": "guess"}).status_code == 403
        assert plain.get(f"{ui.base}/static/app.js").status_code == 403
        assert plain.post(f"{ui.base}/api/spec/check", json={"text": ""}).status_code == 403

        # The printed URL trades its token for a cookie and drops it from the address.
        first = plain.get(ui.server.url)
        assert first.status_code == 303
        assert first.headers["location"] == f"{ui.base}/"
        cookie = first.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}={ui.server.token}")
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()

        page = plain.get(f"{ui.base}/fill")
        assert page.status_code == 200
        assert f'<meta name="filler-token" content="{ui.server.token}">' in page.text
        assert page.headers["content-security-policy"].startswith("default-src 'self'")
        assert plain.get(f"{ui.base}/static/app.js").status_code == 200
        # A cookie alone reads; a change also needs the header, which only the pages know.
        assert plain.post(f"{ui.base}/api/spec/check", json={"text": ""}).status_code == 403
        checked = plain.post(
            f"{ui.base}/api/spec/check", json={"text": ""}, headers={HEADER: ui.server.token}
        )
        assert checked.status_code == 200
        # A name that is not the loopback's (DNS rebinding) gets nothing.
        assert plain.get(f"{ui.base}/spec", headers={"Host": "evil.example"}).status_code == 400
        assert plain.get(f"{ui.base}/nowhere").status_code == 404
        plain.close()


def test_the_spec_is_checked_with_the_errors_of_filler_new(tmp_path: Path) -> None:
    bad = SPEC.read_text().replace('params: "a: int, b: int"', 'params: "a: int,, b"')
    bad_file = tmp_path / "bad.yml"
    bad_file.write_text(bad)
    with pytest.raises(SpecError) as cli_error:
        load_spec(bad_file)
    with ui_at(tmp_path) as ui:
        problems = ui.post("/api/spec/check", {"text": bad}).json()["problems"]
        assert problems[0] == str(cli_error.value)
        assert problems[0].startswith("features[0].functions[0].params:")
        assert ui.post("/api/spec/check", {"text": SPEC.read_text()}).json() == {"problems": []}
        broken = ui.post("/api/spec/check", {"text": "package_name: [strkit"}).json()
        broken_file = tmp_path / "broken.yml"
        broken_file.write_text("package_name: [strkit")
        with pytest.raises(SpecError, match=r"is not valid YAML at line 1, column 22$"):
            load_spec(broken_file)
        assert broken["problems"] == ["the spec is not valid YAML at line 1, column 22"]

        opened = ui.post("/api/spec/open", {"path": "bad.yml"}).json()
        assert opened["text"] == bad and opened["problems"] == problems
        saved = ui.post("/api/spec/save", {"path": "specs/good.yml", "text": SPEC.read_text()})
        assert saved.json()["problems"] == []
        assert (tmp_path / "specs" / "good.yml").read_text() == SPEC.read_text()


def test_no_path_outside_the_served_folder_is_read_or_written(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    (tmp_path / "secret.yml").write_text("package_name: secret\n")
    (served / "link.yml").symlink_to(tmp_path / "secret.yml")
    with ui_at(served) as ui:
        for path in ("../secret.yml", str(tmp_path / "secret.yml"), "link.yml"):
            refused = ui.post("/api/spec/open", {"path": path})
            assert refused.status_code == 400
            assert refused.json()["error"].startswith("spec: ")
            assert "outside" in refused.json()["error"]
        assert ui.post("/api/spec/save", {"path": "../x.yml", "text": "a: 1"}).status_code == 400
        assert not (tmp_path / "x.yml").exists()
        assert ui.get("/api/download", project="..").status_code == 400
        assert ui.get("/api/review", project=".", run="../secret.yml").status_code == 400
        assert ui.post("/api/new", {"spec": "../secret.yml", "dest": "p"}).status_code == 400
        assert ui.get("/static/../secret.yml").status_code == 404


def test_an_idea_becomes_a_checked_spec_and_is_rendered(tmp_path: Path) -> None:
    replies = plan_replies(tmp_path / "ws" / "plan.json", SPEC.read_text())
    with ui_at(replies.parent, environ=CLEAN_ENV) as ui:
        planned = ui.post(
            "/api/plan",
            {"idea": "tiny number and string helpers", "features": "arith\ntext",
             "output": "strkit.yml", "provider": "replay", "replies": "plan.json"},
        )  # fmt: skip
        assert planned.status_code == 200, planned.text
        draft = planned.json()
        assert draft["problems"] == [] and draft["rounds"] == 1 and draft["provider"] == "replay"
        assert "package_name: strkit" in draft["text"]
        assert load_spec(replies.parent / "strkit.yml").package_name == "strkit"
        again = ui.post("/api/plan", {"idea": "x", "output": "strkit.yml", "replies": "plan.json"})
        assert again.status_code == 400 and "already exists" in again.json()["error"]

        made = ui.post("/api/new", {"spec": "strkit.yml", "dest": "out/strkit"})
        assert made.status_code == 200, made.text
        assert made.json() == {"project": "out/strkit"}
        rows = ui.get("/api/status", project="out/strkit").json()["rows"]
        assert len(rows) == len(STRKIT) and {row["label"] for row in rows} == {"stub"}


def test_a_fill_streams_every_unit_and_the_review_shows_diffs_and_rejections(
    strkit: Path,
) -> None:
    workspace = strkit.parent
    replies = {
        **STRKIT,
        "strkit.arith:clamp": ["no code in this reply", STRKIT["strkit.arith:clamp"]],
    }
    write_replies(workspace / "replies.json", replies)
    with ui_at(workspace, environ=CLEAN_ENV) as ui:
        events = fill_and_wait(ui, {"project": "strkit", "replies": "replies.json"})
        kinds = [kind for kind, _ in events if kind != "state"]
        assert kinds == ["started", "total", *["unit"] * len(STRKIT), "done"]
        # Meanwhile, each unit's calls: asked, tested; refused, asked again with why, tested.
        states: dict[str, list[str]] = {}
        for kind, data in events:
            if kind == "state":
                states.setdefault(data["unit"], []).append(data["state"])
        assert set(states) == set(STRKIT)
        assert states["strkit.arith:add"][-2:] == ["asking", "testing"]
        assert states["strkit.arith:clamp"][-4:] == ["asking", "testing", "repairing", "testing"]
        assert events[1][1]["total"] == len(STRKIT)
        units = {data["unit"]: data for kind, data in events if kind == "unit"}
        assert set(units) == set(STRKIT)
        assert units["strkit.arith:add"]["outcome"] == "filled"
        assert units["strkit.arith:add"]["tests_passed"] == 2
        assert events[-1][1]["filled"] == len(STRKIT) and events[-1][1]["calls"] == len(STRKIT) + 1
        # A page that reconnects gets what came after the last event it had.
        headers = {HEADER: ui.server.token, "Last-Event-ID": "3"}
        with ui.client.stream("GET", f"{ui.base}/api/events?since=0", headers=headers) as again:
            assert next(again.iter_lines()) == "id: 4"

        review = ui.get("/api/review", project="strkit").json()
        assert review["run"]["provider"] == "replay"
        assert review["run"]["path"] == "strkit/.filler/last-run.json"
        by_unit = {unit["unit"]: unit for unit in review["units"]}
        add = by_unit["strkit.arith:add"]
        assert add["state"] == "filled" and add["tests_passed"] == 2
        assert "-    raise NotImplementedError\n" in add["diff"]
        assert "+    return a + b\n" in add["diff"]
        assert add["diff"].startswith("--- src/strkit/arith.py (stub)\n+++ src/strkit/arith.py\n")
        clamp = by_unit["strkit.arith:clamp"]
        assert clamp["run"]["outcome"] == "filled" and clamp["run"]["rounds"] == 2
        (refused,) = clamp["run"]["rejections"]
        assert refused["gate"] == "extract" and "clamp" in refused["reason"]

        # Keep this run's record, re-fill one unit, then open the kept record.
        record = strkit / ".filler" / "last-run.json"
        (workspace / "first-run.json").write_text(record.read_text())
        swapped = "```python\ndef add(a: int, b: int) -> int:\n    return b + a\n```"
        write_replies(workspace / "again.json", {"strkit.arith:add": swapped})
        refill = fill_and_wait(
            ui,
            {"project": "strkit", "replies": "again.json",
             "only": "strkit.arith:add", "force": "strkit.arith:add"},
        )  # fmt: skip
        ends = [kind for kind, _ in refill if kind != "state"]
        assert ends == ["started", "total", "unit", "done"]
        latest = {u["unit"]: u for u in ui.get("/api/review", project="strkit").json()["units"]}
        assert "+    return b + a\n" in latest["strkit.arith:add"]["diff"]
        assert latest["strkit.arith:clamp"]["run"] is None  # not in the latest run
        past = ui.get("/api/review", project="strkit", run="first-run.json").json()
        assert past["run"]["path"] == "first-run.json"
        assert all(unit["run"]["outcome"] == "filled" for unit in past["units"])

        # Hand the re-filled body over to the person: it is `manual` now, which no fill replaces.
        marked = ui.post("/api/manual", {"project": "strkit", "unit": "strkit.arith:add"})
        assert marked.status_code == 200, marked.text
        rows = ui.get("/api/status", project="strkit").json()["rows"]
        assert {r["unit"]: r["state"] for r in rows}["strkit.arith:add"] == "manual"
        unknown = ui.post("/api/manual", {"project": "strkit", "unit": "strkit.arith:nope"})
        assert unknown.status_code == 400
        assert unknown.json()["error"] == (
            "strkit.arith:nope: no such unit; `filler status` lists them"
        )
    lock = read_lock(strkit / ".filler" / "lock.json")
    assert lock.get("strkit.arith:add") is None and lock.get("strkit.arith:clamp") is not None


def test_a_stub_cannot_be_marked_as_written_by_hand(strkit: Path) -> None:
    with ui_at(strkit.parent) as ui:
        refused = ui.post("/api/manual", {"project": "strkit", "unit": "strkit.arith:add"})
        assert refused.status_code == 400
        assert refused.json()["error"] == (
            "strkit.arith:add is still a stub: write its body, then mark it"
        )


def test_the_zip_leaves_out_environments_caches_and_filler_internals(strkit: Path) -> None:
    for junk in (".venv/bin/python", "src/strkit/__pycache__/arith.cpython-311.pyc",
                 ".ruff_cache/x", ".filler/last-run.json", ".filler/designed/t.py"):  # fmt: skip
        (strkit / junk).parent.mkdir(parents=True, exist_ok=True)
        (strkit / junk).write_text("x")
    (strkit / ".filler" / "lock.json").write_text("{}")
    with ui_at(strkit.parent) as ui:
        download = ui.get("/api/download", project="strkit")
        assert download.status_code == 200
        assert download.headers["content-disposition"] == 'attachment; filename="strkit.zip"'
        names = set(zipfile.ZipFile(io.BytesIO(download.content)).namelist())
        assert {"strkit/src/strkit/arith.py", "strkit/tests/test_arith.py",
                "strkit/pyproject.toml", "strkit/.filler/lock.json"} <= names  # fmt: skip
        assert not [n for n in names if n.split("/")[1] in (".venv", ".git", ".ruff_cache")]
        assert not [n for n in names if "__pycache__" in n]
        assert "strkit/.filler/last-run.json" not in names
        everything = ui.get("/api/download", project="strkit", internals="1")
        internals = set(zipfile.ZipFile(io.BytesIO(everything.content)).namelist())
        assert internals - names == {"strkit/.filler/last-run.json", "strkit/.filler/designed/t.py"}


def test_settings_are_checked_as_the_cli_checks_its_flags(strkit: Path) -> None:
    with ui_at(strkit.parent, environ=CLEAN_ENV) as ui:
        body = {"project": "strkit", "provider": "replay", "replies": "none.json"}
        rounds = ui.post("/api/fill", {**body, "max_rounds": "0"})
        assert rounds.status_code == 400
        assert rounds.json()["error"] == "--max-rounds: expected a positive integer, not 0"
        unknown = ui.post("/api/fill", {**body, "provider": "nope"})
        assert unknown.status_code == 400
        assert unknown.json()["error"].startswith("--provider: unknown provider 'nope'; choose")
        # What only the fill finds out ends its job with the CLI's one-line message.
        missing = ui.post("/api/fill", body)
        failed = ui.events(missing.json()["since"], missing.json()["job"])[-1]
        assert failed[0] == "failed" and "none.json" in failed[1]["message"], failed
        assert ui.post("/api/fill", {**body, "max_rounds": "two"}).json() == {
            "error": "max_rounds: 'two' is not a whole number"
        }
        keyed = ui.post("/api/fill", {"project": "strkit", "key": "sk-typed"})
        assert keyed.status_code == 400 and keyed.json()["error"].startswith("key: ")
        assert ui.post("/api/fill", {"project": "nowhere"}).status_code == 400


def test_stop_ends_a_fill_as_ctrl_c_does_and_a_typed_key_is_never_written(strkit: Path) -> None:
    before = {p: p.read_bytes() for p in strkit.rglob("*") if p.is_file()}
    with (
        LoopbackServer(OPENAI, latency_s=60) as remote,
        ui_at(strkit.parent, environ=CLEAN_ENV) as ui,
    ):
        started = ui.post(
            "/api/fill",
            {"project": "strkit", "provider": "openai", "base_url": f"{remote.url}/v1",
             "model": "loopback-model", "key": "sk-typed-in-the-page", "jobs": "2"},
        )  # fmt: skip
        assert started.status_code == 200, started.text
        deadline = time.monotonic() + 60
        while not remote.max_in_flight:  # a call is out, held back by the server
            assert time.monotonic() < deadline, "the fill never called the provider"
            time.sleep(0.05)
        busy = ui.post("/api/fill", {"project": "strkit"})
        assert busy.status_code == 400 and "running" in busy.json()["error"]
        assert ui.post("/api/stop", {}).json() == {"stopping": True}
        stopped_at = time.monotonic()
        events = ui.events(started.json()["since"], started.json()["job"])
        assert events[-1][0] == "stopped", events
        assert "untouched or fully written" in events[-1][1]["message"]
        assert time.monotonic() - stopped_at < 30
        assert ui.post("/api/stop", {}).json() == {"stopping": False}
    # The held-back call is answered (and so recorded) once the fake server stops.
    assert remote.completions[0].headers["authorization"] == "Bearer sk-typed-in-the-page"
    after = {p: p.read_bytes() for p in strkit.rglob("*") if p.is_file()}
    assert {p: b for p, b in after.items() if p in before} == before
    assert not [p for p, data in after.items() if b"sk-typed-in-the-page" in data]


def test_a_busy_port_is_a_one_line_error_of_the_command(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "filler", "ui", str(tmp_path), "--port", str(port),
             "--no-browser"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: --port {port}: Address already in use; choose another port or leave --port out"
    )


@pytest.mark.slow
def test_the_wheel_ships_every_page_and_asset(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "wheel", "--no-deps",
         "--no-build-isolation", "-w", tmp_path, CHECKOUT],
        check=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("copier_filler-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    ui = CHECKOUT / "filler" / "ui"
    assets = [p for folder in ("static", "templates") for p in (ui / folder).iterdir()]
    assert len(assets) > 5
    missing = [p.name for p in assets if p.relative_to(CHECKOUT).as_posix() not in shipped]
    assert not missing


def test_an_update_takes_a_new_spec_and_reports_what_it_added(strkit: Path) -> None:
    workspace = strkit.parent
    spec = yaml.safe_load(SPEC.read_text())
    examples = [{"call": "subtract(5, 3)", "expect": 2}, {"call": "subtract(0, 1)", "expect": -1}]
    spec["features"][0]["functions"].append(
        {"name": "subtract", "params": "a: int, b: int", "returns": "int",
         "doc": "Return a minus b.", "examples": examples}
    )  # fmt: skip
    (workspace / "spec-v2.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    subtract = "```python\ndef subtract(a: int, b: int) -> int:\n    return a - b\n```"
    write_replies(workspace / "replies.json", {**STRKIT, "strkit.arith:subtract": subtract})
    with ui_at(workspace, environ=CLEAN_ENV) as ui:
        started = ui.post(
            "/api/update",
            {"project": "strkit", "data_file": "spec-v2.yml", "replies": "replies.json"},
        )
        assert started.status_code == 200, started.text
        events = ui.events(started.json()["since"], started.json()["job"])
        kind, result = events[-1]
        assert kind == "done", events
        assert result["added"] == ["strkit.arith:subtract"]
        assert result["filled"] == len(STRKIT) + 1 and result["set_aside"] == []
        assert result["failing"] == []  # every kept body's tests ran again and passed
    assert "return a - b" in (strkit / "src" / "strkit" / "arith.py").read_text()
