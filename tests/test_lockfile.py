"""The lock file and the re-fill table, one row at a time."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from filler.errors import ProjectError
from filler.lockfile import LOCK_VERSION, Lock, LockEntry, State, read_lock, unit_status, write_lock
from filler.source.units import Unit, find_units

STUB = 'def f(x: int) -> int:\n    """Twice x."""\n    raise NotImplementedError\n'
FILLED = STUB.replace("raise NotImplementedError", "return 2 * x")
EDITED = STUB.replace("raise NotImplementedError", "return x + x")
MOVED = FILLED.replace("Twice x.", "Double x.")


def unit(source: str) -> Unit:
    return find_units(source, "pkg.m", Path("src/pkg/m.py"))[0]


def entry_for(source: str) -> LockEntry:
    u = unit(source)
    return LockEntry(u.spec_hash, u.body_sha, "replay", "replay", 1, 1, 1, 0.1, 10, "t", u.targets)


@pytest.mark.parametrize(
    ("on_disk", "locked", "state", "spec_changed", "fill"),
    [
        (STUB, None, State.STUB, False, True),
        (STUB, FILLED, State.STUB, False, True),
        (FILLED, FILLED, State.FILLED, False, False),
        (MOVED, FILLED, State.STALE, True, True),
        (EDITED, FILLED, State.EDITED, False, False),
        (EDITED.replace("Twice", "Double"), FILLED, State.EDITED, True, False),
        (FILLED, None, State.MANUAL, False, False),
    ],
)
def test_the_refill_table(
    on_disk: str, locked: str | None, state: State, spec_changed: bool, fill: bool
) -> None:
    status = unit_status(unit(on_disk), entry_for(locked) if locked else None)
    assert (status.state, status.spec_changed, status.should_fill) == (state, spec_changed, fill)


def test_edited_and_stale_is_labelled_both() -> None:
    status = unit_status(unit(EDITED.replace("Twice", "Double")), entry_for(FILLED))
    assert status.label == "edited, stale"


def test_a_formatting_change_is_not_an_edit() -> None:
    reformatted = FILLED.replace("return 2 * x", "return (2*x)")
    assert unit_status(unit(reformatted), entry_for(FILLED)).state is State.FILLED


def test_the_lock_round_trips_sorted_and_versioned(tmp_path: Path) -> None:
    path = tmp_path / ".filler" / "lock.json"
    lock = Lock().with_entry("pkg.m:g", entry_for(FILLED)).with_entry("pkg.m:f", entry_for(STUB))
    failed = replace(entry_for(STUB), outcome="failed", reason="no candidate passed")
    lock = lock.with_entry("pkg.m:h", failed)
    write_lock(path, lock)
    data = json.loads(path.read_text())
    assert data["version"] == LOCK_VERSION
    assert list(data["units"]) == ["pkg.m:f", "pkg.m:g", "pkg.m:h"]
    again = read_lock(path)
    assert again == lock
    assert again.get("pkg.m:h") is not None and again.units["pkg.m:h"].failed
    assert read_lock(tmp_path / "missing.json") == Lock()
    assert set(lock.without({"pkg.m:f"}).units) == {"pkg.m:g", "pkg.m:h"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON"),
        ('{"version": 99, "units": {}}', "has version 99"),
        ('{"version": 1, "units": {"pkg.m:f": {"body_sha": "x"}}}', "lock entry 'pkg.m:f'"),
    ],
)
def test_a_damaged_lock_is_a_clear_project_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "lock.json"
    path.write_text(text)
    with pytest.raises(ProjectError, match=message):
        read_lock(path)
