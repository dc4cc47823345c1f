"""`filler fill --batch` end to end: the demo spec rendered with real Copier, filled through a
loopback server speaking the OpenAI Batch API (`tests.helpers.batch_wire`), with the real
sandboxed test runs, lock and writer."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from filler import api
from filler.batch.run import POLL_ENV
from filler.errors import ConfigError
from filler.fill.selection import FillOptions, select
from filler.lockfile import read_lock
from filler.project import load_project
from filler.providers.base import Usage
from filler.providers.prices import BATCH_PRICES, cost_usd
from tests.helpers.batch_wire import BatchServer, Json, LineError
from tests.helpers.projects import CHECKOUT
from tests.helpers.replies import STRKIT

SPEC = CHECKOUT / "examples" / "specs" / "strkit.yml"
INVENTORY = CHECKOUT / "examples" / "specs" / "inventory.yml"
ENV = {"OPENAI_API_KEY": "sk-test", POLL_ENV: "0.02"}
WRONG_ADD = "```python\ndef add(a: int, b: int) -> int:\n    return a - b\n```\n"
PACKAGE = [u for u in STRKIT if u.startswith("strkit.")]
DEMOS = [u for u in STRKIT if u.startswith("examples.")]


def strkit(cid: str, body: Json) -> str | LineError:
    """The right reply for every unit (custom ids are `<unit id>@<call number>`)."""
    return STRKIT[cid.rpartition("@")[0]]


def add_right_second_time(cid: str, body: Json) -> str | LineError:
    return WRONG_ADD if cid == "strkit.arith:add@0" else strkit(cid, body)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return api.new(SPEC, tmp_path_factory.mktemp("rendered") / "strkit").root


@pytest.fixture
def project(rendered: Path, tmp_path: Path) -> Path:
    shutil.copytree(rendered, tmp_path / "project", symlinks=True)
    return tmp_path / "project"


def batch_fill(project: Path, server: BatchServer, **flags: Any) -> Any:
    settings = {"provider": "openai", "base_url": f"{server.url}/v1", "batch": True,
                "design_tests": False, "test_timeout": 30, **flags}  # fmt: skip
    seen: list[str] = []
    record = api.fill(
        project, api.FillFlags(**settings), environ=ENV, on_batch=lambda p: seen.append(p.line)
    )
    return record, seen


def ids(server: BatchServer) -> list[list[str]]:
    return [[line["custom_id"] for line in lines] for lines in server.created]


def outcomes(record: Any) -> dict[str, str]:
    return {u.unit: u.outcome for u in record.units}


def test_a_two_round_fill_sends_one_batch_per_round(project: Path, tmp_path: Path) -> None:
    recording = tmp_path / "recorded.json"
    with BatchServer(add_right_second_time, model="gpt-4o-mini") as server:
        record, progress = batch_fill(project, server, record=str(recording))
    assert outcomes(record) == dict.fromkeys(STRKIT, "filled")
    # Round one: every package unit; round two: the one that needs repair; then the demos.
    assert ids(server) == [
        [f"{u}@0" for u in PACKAGE],
        ["strkit.arith:add@1"],
        [f"{u}@0" for u in DEMOS],
    ]
    repair = server.created[1][0]["body"]["messages"]
    assert repair[-2] == {"role": "assistant", "content": WRONG_ADD}
    add = next(u for u in record.units if u.unit == "strkit.arith:add")
    assert add.rounds == 2 and add.stats.calls == 2
    # Priced at the batch rate: the loopback server bills 11 prompt and 7 completion tokens.
    assert BATCH_PRICES[("openai", "gpt-4o-mini")] == (0.075, 0.30)
    per_call = cost_usd("openai", "gpt-4o-mini", Usage(11, 7), batch=True)
    interactive = cost_usd("openai", "gpt-4o-mini", Usage(11, 7))
    assert per_call is not None and interactive is not None
    assert per_call == pytest.approx(interactive / 2)
    assert record.stats.cost_usd == pytest.approx(per_call * record.stats.calls)
    assert any("completed 6/6 done, 0 failed" in line for line in progress)
    lock = read_lock(project / ".filler" / "lock.json")
    assert sorted(lock.units) == sorted(STRKIT)
    assert not (project / ".filler" / "batch.json").exists()  # nothing left in flight
    # The replies were recorded like any others: replayed, they fill the project alike.
    assert json.loads(recording.read_text())["strkit.arith:add"] == [
        WRONG_ADD,
        STRKIT["strkit.arith:add"],
    ]


def test_a_batch_fill_replays_byte_for_byte(rendered: Path, tmp_path: Path) -> None:
    batch_copy = tmp_path / "batch"
    replay_copy = tmp_path / "replay"
    for copy in (batch_copy, replay_copy):
        shutil.copytree(rendered, copy, symlinks=True)
    recording = tmp_path / "recorded.json"
    with BatchServer(add_right_second_time) as server:
        batch_fill(batch_copy, server, record=str(recording))
    replayed = api.fill(
        replay_copy,
        api.FillFlags(
            provider="replay", replies=str(recording), design_tests=False, test_timeout=30
        ),
    )
    assert outcomes(replayed) == dict.fromkeys(STRKIT, "filled")
    for path in sorted((batch_copy / "src").rglob("*.py")):
        assert (replay_copy / path.relative_to(batch_copy)).read_text() == path.read_text()


def test_failed_lines_leave_their_units_stubs_to_be_retried(project: Path) -> None:
    def reverse_fails(cid: str, body: Json) -> str | LineError:
        if cid.startswith("strkit.text:reverse@"):
            return LineError(
                400, "This model's maximum context length is exceeded.", "context_length_exceeded"
            )
        return strkit(cid, body)

    with BatchServer(reverse_fails) as server:
        record, progress = batch_fill(project, server, only=("strkit.*",))
    results = {u.unit: u for u in record.units}
    reverse = results.pop("strkit.text:reverse")
    assert reverse.outcome == "stub"
    assert (
        "strkit.text:reverse@0 failed: This model's maximum context length is exceeded."
        in reverse.reason
    )
    assert "(context_length_exceeded)" in reverse.reason
    assert {u.outcome for u in results.values()} == {"filled"}
    assert any("5/6 done, 1 failed" in line for line in progress)
    # A failed request is no verdict on the unit: the next run sends it, and only it.
    assert read_lock(project / ".filler" / "lock.json").get("strkit.text:reverse") is None
    with BatchServer(strkit) as server:
        record, _ = batch_fill(project, server, only=("strkit.*",))
    assert outcomes(record) == {"strkit.text:reverse": "filled"}
    assert ids(server) == [["strkit.text:reverse@0"]]


def test_an_expired_batch_keeps_what_it_answered(project: Path) -> None:
    with BatchServer(strkit) as server:
        server.expire_after = 2
        record, progress = batch_fill(project, server, only=("strkit.*",))
    done = outcomes(record)
    assert [done[u] for u in PACKAGE[:2]] == ["filled", "filled"]
    for unit in record.units[2:]:
        assert unit.outcome == "stub"
        assert unit.reason.endswith(
            "could not be executed before the completion window expired. (batch_expired); "
            "run again to retry it"
        )
    assert any("expired 2/6 done, 4 failed" in line for line in progress)
    with BatchServer(strkit) as server:
        record, _ = batch_fill(project, server, only=("strkit.*",))
    assert ids(server) == [[f"{u}@0" for u in PACKAGE[2:]]]
    assert set(outcomes(record).values()) == {"filled"}


def test_a_round_too_large_for_the_provider_is_split(project: Path) -> None:
    with BatchServer(strkit) as server:
        server.max_lines = 4
        record, _ = batch_fill(project, server, only=("strkit.*",))
    assert set(outcomes(record).values()) == {"filled"}
    sizes = [len(lines) for lines in server.created]
    assert sizes == [6, 3, 3]  # refused whole, then sent in halves


def test_no_wait_submits_and_returns_then_the_same_command_resumes(project: Path) -> None:
    with BatchServer(strkit) as server:
        record, _ = batch_fill(project, server, wait=False, only=("strkit.*",))
        assert {u.outcome for u in record.units} == {"stub"}
        assert any(note.startswith("not waiting: batch ") for note in record.notes)
        kept = json.loads((project / ".filler" / "last-run.json").read_text())
        assert kept["notes"] == list(record.notes)  # the run record says it too
        [line] = api.batches_in_flight(project)
        assert "0/6 done" in line and "filler fill --batch" in line
        record, _ = batch_fill(project, server, only=("strkit.*",))
    assert set(outcomes(record).values()) == {"filled"}
    assert len(server.created) == 1  # the round went out once
    assert api.batches_in_flight(project) == []


def test_a_batch_gone_from_the_provider_is_forgotten_and_its_units_sent_again(
    project: Path,
) -> None:
    state = project / ".filler" / "batch.json"
    with BatchServer(strkit) as server:
        batch_fill(project, server, wait=False, only=("strkit.*",))
        [batch_id] = [sent["id"] for sent in json.loads(state.read_text())["batches"]]
        server.delete(batch_id)  # deleted on the provider's side, or another account's
        record, _ = batch_fill(project, server, only=("strkit.*",))
        assert {u.outcome for u in record.units} == {"stub"}
        for unit in record.units:  # not "model not found": the fill went on without the batch
            assert (
                f"openai: batch {batch_id} is gone: openai answers 404 for it (deleted on "
                "openai's side, or made with another account or key); its 6 requests were "
                "dropped from batch.json: run again to send them"
            ) in unit.reason
        assert not state.exists() and api.batches_in_flight(project) == []
        # A failed request is no verdict on the unit: the next run sends the round again.
        assert read_lock(project / ".filler" / "lock.json").units == {}
        record, _ = batch_fill(project, server, only=("strkit.*",))
        assert len(server.created) == 2
    assert set(outcomes(record).values()) == {"filled"}


def test_cancel_stops_the_batch_in_flight(project: Path) -> None:
    with BatchServer(strkit) as server:
        batch_fill(project, server, wait=False, only=("strkit.*",))
        flags = api.FillFlags(provider="openai", base_url=f"{server.url}/v1", batch=True)
        [line] = api.cancel_batches(project, flags, environ=ENV)
        [batch_id] = server.cancels
        assert line.startswith(f"batch {batch_id}: cancelling")
        assert server.batch(batch_id)["status"] == "cancelling"
    assert api.batches_in_flight(project) == []
    assert not (project / ".filler" / "batch.json").exists()


def test_a_provider_without_a_batch_api_is_refused(project: Path, tmp_path: Path) -> None:
    replies = tmp_path / "replies.json"
    replies.write_text("{}")
    flags = api.FillFlags(provider="replay", replies=str(replies), batch=True)
    with pytest.raises(ConfigError, match="--batch: the replay provider has no batch API"):
        api.fill(project, flags)


def test_a_poll_interval_that_is_no_number_is_refused(project: Path) -> None:
    flags = api.FillFlags(provider="openai", base_url="http://127.0.0.1:9/v1", batch=True)
    with pytest.raises(ConfigError, match="FILLER_BATCH_POLL_S='soon': expected a positive"):
        api.fill(project, flags, environ={**ENV, POLL_ENV: "soon"})


def _wait_for(condition: Callable[[], bool], child: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert child.poll() is None, f"filler exited before {what}: {child.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within 120 s"
        time.sleep(0.05)


def test_a_fill_killed_while_polling_resumes_without_sending_again(project: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env = {**base, **ENV, "FILLER_PROVIDER": ""}
    state = project / ".filler" / "batch.json"
    with BatchServer(add_right_second_time) as server:
        server.hold.set()  # batches stay in progress
        args = [sys.executable, "-m", "filler", "fill", str(project), "--batch",
                "--provider", "openai", "--base-url", f"{server.url}/v1", "--no-design-tests",
                "--test-timeout", "30"]  # fmt: skip
        # Its own process group: the kill takes the run's worker and test processes too, as a
        # closed laptop would.
        child = subprocess.Popen(args, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            _wait_for(lambda: len(server.polls) >= 3, child, "a poll of the first batch")
            assert state.exists()
        finally:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        [sent] = json.loads(state.read_text())["batches"]
        assert sent["status"] == "in_progress"
        server.hold.clear()
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "8 filled and verified, 0 left as stubs" in done.stderr
    # The first round went out once, before the kill; the rerun only sent what came after it.
    assert ids(server) == [
        [f"{u}@0" for u in PACKAGE],
        ["strkit.arith:add@1"],
        [f"{u}@0" for u in DEMOS],
    ]
    assert not state.exists()


def test_status_shows_the_batch_in_flight_and_cancel_asks_for_batch(project: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env = {**base, **ENV, "FILLER_PROVIDER": ""}

    def filler(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "filler", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    with BatchServer(strkit) as server:
        batch_fill(project, server, wait=False, only=("strkit.*",))
        status = filler("status", str(project))
        assert status.returncode == 0
        [batch_id] = [
            b["id"] for b in json.loads((project / ".filler/batch.json").read_text())["batches"]
        ]
        assert f"batch {batch_id} (openai/gpt-4o-mini) in_progress: 0/6 done" in status.stdout
        refused = filler("fill", str(project), "--cancel")
        assert refused.returncode == 2
        assert "--cancel cancels a batch fill: pass it with --batch" in refused.stderr
        cancelled = filler("fill", str(project), "--batch", "--cancel", "--provider", "openai",
                           "--base-url", f"{server.url}/v1")  # fmt: skip
        assert cancelled.returncode == 0, cancelled.stderr
        assert f"batch {batch_id}: cancelling (6 requests)" in cancelled.stderr
    assert "batch " not in filler("status", str(project)).stdout


def test_the_test_designers_prompts_go_in_the_first_round(project: Path) -> None:
    def with_designer(cid: str, body: Json) -> str | LineError:
        if "#tests@" in cid:  # the designer's reply: one extra test of the unit
            name = cid.split(":")[1].partition("#")[0]
            return f"```python\ndef test_{name}_exists():\n    assert callable({name})\n```\n"
        return strkit(cid, body)

    with BatchServer(with_designer) as server:
        record, _ = batch_fill(project, server, only=("strkit.*",), design_tests=True)
    assert set(outcomes(record).values()) == {"filled"}
    [first] = ids(server)  # one round: every unit's designer prompt and fill prompt together
    assert sorted(first) == sorted(
        [*(f"{u}#tests@0" for u in PACKAGE), *(f"{u}@0" for u in PACKAGE)]
    )
    add = next(u for u in record.units if u.unit == "strkit.arith:add")
    assert add.stats.calls == 2 and (add.designed_passed, add.designed_total) == (1, 1)
    per_call = cost_usd("openai", "gpt-4o-mini", Usage(11, 7), batch=True)
    assert per_call is not None and add.stats.cost_usd == pytest.approx(2 * per_call)


def test_units_that_wait_for_others_hold_no_round_back(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """inventory's Stock tests call Item, its reports' tests call Stock: such a unit tests its
    reply, and asks again, once those are done. Each round goes out as soon as every unit that
    asks in it has asked, never after the 60 s settle time: every unit's repair goes in the
    batch of its depth in the dependencies (Item's with the units that wait for nothing, then
    Stock's, then the reports'), then the demos' two rounds."""
    project = api.new(INVENTORY, tmp_path_factory.mktemp("inventory") / "inventory").root
    options = FillOptions(max_rounds=2, samples=1, jobs=1, temperature=0.0, max_tokens=64,
                          test_timeout=30)  # fmt: skip
    selection = select(load_project(project), options, ("openai", "gpt-4o-mini"))

    def depth(unit: str) -> int:  # waits_for cuts cycles: this ends
        return max((depth(u) + 1 for u in selection.waits.get(unit, ())), default=0)

    depths = {job.unit.id: depth(job.unit.id) for job in selection.jobs if not job.is_demo}
    demos = [job.unit.id for job in selection.jobs if job.is_demo]
    started = time.monotonic()
    with BatchServer(lambda cid, body: "I cannot write this one.") as server:
        batch_fill(project, server, max_rounds=2)
    assert time.monotonic() - started < 45, "a round waited for the settle time"
    sent = [set(batch) for batch in ids(server)]
    levels = max(depths.values()) + 1
    assert levels == 3  # Item, Stock, the reports
    assert sent == [
        {f"{u}@0" for u in depths},
        *({f"{u}@1" for u, d in depths.items() if d == level} for level in range(levels)),
        {f"{u}@0" for u in demos},
        {f"{u}@1" for u in demos},
    ]
