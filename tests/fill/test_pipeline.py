"""End to end: render the demo spec with real Copier, fill it with `replay`, re-run, edit.

The replay provider is the test double at the wire's place: a unit it has no reply for fails
with a clear reason, so an empty replies file proves a run made no provider calls.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from filler import api
from filler.errors import ConfigError
from filler.lockfile import read_lock
from filler.project import load_project
from filler.source.units import find_units
from tests.helpers.projects import CHECKOUT, ProjectVenv
from tests.helpers.replies import STRKIT, write_replies
from tests.helpers.wire import OPENAI, LoopbackServer

SPEC = CHECKOUT / "examples" / "specs" / "strkit.yml"
ARITH = Path("src/strkit/arith.py")


def replay(
    tmp_path: Path, replies: Mapping[str, str | Sequence[str]], **flags: Any
) -> api.FillFlags:
    path = write_replies(
        tmp_path / f"replies-{len(list(tmp_path.glob('replies-*')))}.json", replies
    )
    return api.FillFlags(
        **{"provider": "replay", "replies": str(path), "test_timeout": 30, **flags}
    )


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo spec rendered and filled once; tests that change it work on a copy."""
    tmp = tmp_path_factory.mktemp("filled")
    project = api.new(SPEC, tmp / "strkit")
    record = api.fill(project.root, replay(tmp, STRKIT))
    assert [u.outcome for u in record.units] == ["filled"] * len(STRKIT), record.to_json()
    return project.root


def copy_of(project: Path, tmp_path: Path) -> Path:
    shutil.copytree(project, tmp_path / "project", symlinks=True)
    return tmp_path / "project"


def test_every_unit_is_filled_verified_and_recorded(filled: Path) -> None:
    lock = read_lock(filled / ".filler" / "lock.json")
    assert sorted(lock.units) == sorted(STRKIT)
    for unit_id, entry in lock.units.items():
        assert entry.provider == "replay" and entry.outcome == "filled", unit_id
        assert entry.tests_passed == entry.tests_total > 0, unit_id
    rows = {row.unit: row for row in api.status(filled)}
    assert {row.state for row in rows.values()} == {"filled"}
    assert "return a + b" in (filled / ARITH).read_text()


def test_the_filled_project_passes_its_own_checks(filled: Path, project_venv: ProjectVenv) -> None:
    result = project_venv.check(filled)
    assert result.ok, result.explain()
    assert "skipped" not in result.pytest.stdout  # nothing is left "not filled yet"
    for demo in ("examples/arith_demo.py", "examples/text_demo.py"):
        assert project_venv.run(filled, demo).returncode == 0


def test_only_bodies_changed_and_the_helper_went_before_its_use(filled: Path) -> None:
    text = (filled / "src/strkit/text.py").read_text()
    assert text.index("_VOWELS = frozenset") < text.index("def count_vowels")
    units = {u.qualname: u for u in find_units(text, "strkit.text", Path("src/strkit/text.py"))}
    assert not any(u.is_stub for u in units.values())


def test_a_rerun_of_an_unchanged_project_makes_zero_calls(filled: Path, tmp_path: Path) -> None:
    project = copy_of(filled, tmp_path)
    before = {p: p.read_bytes() for p in project.rglob("*.py")}
    record = api.fill(project, replay(tmp_path, {}))  # any call would fail: no replies at all
    assert record.units == ()
    assert {p: p.read_bytes() for p in project.rglob("*.py")} == before


def test_a_changed_doc_refills_exactly_that_unit(filled: Path, tmp_path: Path) -> None:
    project = copy_of(filled, tmp_path)
    path = project / ARITH
    path.write_text(path.read_text().replace("Return the sum of a and b.", "Add a and b."))
    reply = "```python\ndef add(a: int, b: int) -> int:\n    return b + a\n```"
    record = api.fill(project, replay(tmp_path, {"strkit.arith:add": reply}))
    assert [(u.unit, u.outcome) for u in record.units] == [("strkit.arith:add", "filled")]
    assert "return b + a" in path.read_text()
    assert "Add a and b." in path.read_text()


def test_a_hand_edited_body_is_never_overwritten_and_is_reported(
    filled: Path, tmp_path: Path
) -> None:
    project = copy_of(filled, tmp_path)
    path = project / ARITH
    text = path.read_text()
    edited = text.replace("return n % 2 == 0", "return not n % 2  # mine").replace(
        "Return True if n is even, else False.", "True when n is even."
    )
    path.write_text(edited)
    record = api.fill(project, replay(tmp_path, {}))
    assert record.units == ()
    assert path.read_text() == edited
    row = next(r for r in api.status(project) if r.unit == "strkit.arith:is_even")
    assert (row.state, row.spec_changed, row.label) == ("edited", True, "edited, stale")
    replies = {"strkit.arith:is_even": STRKIT["strkit.arith:is_even"]}
    forced = api.fill(project, replay(tmp_path, replies, force=("strkit.arith:is_even",)))
    assert [u.outcome for u in forced.units] == ["filled"]
    assert "return n % 2 == 0" in path.read_text()


def test_a_hand_written_function_is_manual_and_left_alone(filled: Path, tmp_path: Path) -> None:
    project = copy_of(filled, tmp_path)
    path = project / ARITH
    path.write_text(
        path.read_text() + '\n\ndef triple(x: int) -> int:\n    """Three x."""\n    return 3 * x\n'
    )
    assert api.fill(project, replay(tmp_path, {})).units == ()
    row = next(r for r in api.status(project) if r.unit == "strkit.arith:triple")
    assert row.state == "manual"


def test_dry_run_prints_a_diff_and_writes_nothing(tmp_path: Path) -> None:
    project = api.new(SPEC, tmp_path / "strkit").root
    before = {
        p: p.read_bytes() for p in project.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    record = api.fill(project, replay(tmp_path, STRKIT, only=("strkit.arith:*",), dry_run=True))
    assert {u.outcome for u in record.units} == {"dry-run"}
    add = next(u for u in record.units if u.unit == "strkit.arith:add")
    assert "-    raise NotImplementedError\n+    return a + b\n" in add.diff
    after = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before


def test_a_unit_without_a_good_reply_stays_a_stub_and_says_why(tmp_path: Path) -> None:
    project = api.new(SPEC, tmp_path / "strkit").root
    wrong = "```python\ndef add(a: int, b: int) -> int:\n    return a + b if a > 0 else 1\n```"
    placeholder = "```python\ndef add(a: int, b: int) -> int:\n    pass\n```"
    flags = replay(tmp_path, {"strkit.arith:add": [placeholder, wrong]}, only=("strkit.arith:add",))
    record = api.fill(project, replace(flags, max_rounds=2))
    (unit,) = record.units
    assert unit.outcome == "stub" and unit.rounds == 2 and unit.candidates == 2
    assert unit.reason == "best candidate passed 1/2 spec tests"
    assert "raise NotImplementedError" in (project / ARITH).read_text()
    row = next(r for r in api.status(project) if r.unit == "strkit.arith:add")
    assert row.state == "stub" and row.reason == unit.reason
    # The same model failed on the same spec: not tried again until asked to.
    assert api.fill(project, replay(tmp_path, {}, only=("strkit.arith:add",))).units == ()
    retried = api.fill(
        project, replay(tmp_path, {"strkit.arith:add": STRKIT["strkit.arith:add"]}, retry=True)
    )
    assert [u.outcome for u in retried.units if u.unit == "strkit.arith:add"] == ["filled"]


def test_a_missing_reply_fails_only_that_unit_with_a_clear_reason(tmp_path: Path) -> None:
    project = api.new(SPEC, tmp_path / "strkit").root
    replies = {k: v for k, v in STRKIT.items() if k.startswith("strkit.text")}
    record = api.fill(project, replay(tmp_path, replies, only=("strkit.*",)))
    outcomes = {u.unit: (u.outcome, u.reason) for u in record.units}
    assert outcomes["strkit.text:reverse"] == ("filled", "")
    outcome, reason = outcomes["strkit.arith:add"]
    assert outcome == "stub" and "no reply" in reason and "strkit.arith:add" in reason
    # A provider failure says nothing about the unit: it is tried again next time.
    assert read_lock(load_project(project).lock_path).get("strkit.arith:add") is None


def test_the_run_record_is_written_as_json_and_html(filled: Path, tmp_path: Path) -> None:
    project = copy_of(filled, tmp_path)
    report = tmp_path / "run.json"
    # Unfenced: extraction repairs it, and the record says so.
    reply = STRKIT["strkit.arith:add"].replace("```python\n", "").replace("```", "")
    replies = {"strkit.arith:add": reply}
    api.fill(project, replay(tmp_path, replies, report=report, force=("strkit.arith:add",)))
    data = json.loads(report.read_text())
    (unit,) = data["units"]
    assert unit["unit"] == "strkit.arith:add" and unit["outcome"] == "filled"
    assert unit["stats"]["calls"] == 1 and data["totals"]["filled"] == 1
    assert unit["repairs"] == ["the reply had no code fence"]
    assert "strkit.arith:add" in report.with_suffix(".html").read_text()


def test_many_jobs_write_exactly_what_one_job_writes(filled: Path, tmp_path: Path) -> None:
    """With several jobs, replies are judged in worker processes and modules are written by
    several units at once; the result must not depend on it."""
    project = api.new(SPEC, tmp_path / "strkit").root
    record = api.fill(project, replay(tmp_path, STRKIT, jobs=8))
    assert len(record.filled) == len(STRKIT)
    for module in ("src/strkit/arith.py", "src/strkit/text.py", "examples/arith_demo.py"):
        assert (project / module).read_text() == (filled / module).read_text(), module


def test_the_sandbox_setting_reaches_every_run(
    filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No bwrap on PATH: `bwrap` refuses before any model call, `auto` says so in the record."""
    project = copy_of(filled, tmp_path)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "git").symlink_to(str(shutil.which("git")))
    monkeypatch.setenv("PATH", str(tools))
    force = ("strkit.arith:add",)
    with pytest.raises(ConfigError, match=r"--sandbox bwrap: bubblewrap cannot start"):
        api.fill(project, replay(tmp_path, {}, force=force, sandbox="bwrap"))
    replies = {"strkit.arith:add": STRKIT["strkit.arith:add"]}
    record = api.fill(project, replay(tmp_path, replies, force=force, sandbox="auto"))
    assert [u.outcome for u in record.units] == ["filled"]
    (notice,) = record.notes
    assert notice.startswith("no sandbox for generated code (")
    assert notice.endswith("it runs with resource limits only")


def test_more_jobs_than_cores_lose_no_correct_unit_to_the_queue(
    filled: Path, tmp_path: Path
) -> None:
    """Eight units in flight on this machine's cores, each run limited to 4 s of CPU time: the
    runs wait for a core instead of sharing two, and what is measured is each one's own CPU."""
    project = copy_of(filled, tmp_path)
    record = api.fill(project, replay(tmp_path, STRKIT, jobs=8, test_timeout=4, force=("*",)))
    assert [u.outcome for u in record.units] == ["filled"] * len(STRKIT), record.to_json()


def test_a_used_up_quota_stops_asking_and_the_waiting_units_are_not_attempted(
    filled: Path, tmp_path: Path
) -> None:
    """Two units ask at once (--jobs 2) and hear that the account's quota is used up: no unit
    waiting for a slot asks after that, and none is remembered as failed (none was judged)."""
    project = copy_of(filled, tmp_path)
    lock_before = (project / ".filler" / "lock.json").read_text()
    used_up = "insufficient_quota"
    exhausted = OPENAI.error(429, "You exceeded your current quota.", type=used_up, code=used_up)
    with LoopbackServer(OPENAI, respond=lambda body: exhausted) as server:
        flags = api.FillFlags(
            provider="openai", base_url=f"{server.url}/v1", jobs=2, force=("*",), design_tests=False
        )
        record = api.fill(project, flags, environ={**os.environ, "OPENAI_API_KEY": "sk-test"})
        assert len(server.completions) == 2
    assert {u.outcome for u in record.units} == {"stub"}
    not_attempted = [u for u in record.units if u.reason.startswith("not attempted: ")]
    assert len(not_attempted) == len(STRKIT) - 2
    assert record.notes == (f"stopped early: {not_attempted[0].reason.split(': ', 1)[1]}",)
    assert (project / ".filler" / "lock.json").read_text() == lock_before
