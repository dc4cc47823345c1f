"""The lock file and the re-fill table, one row at a time."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filler import api
from filler.errors import ProjectError
from filler.lockfile import (
    LOCK_VERSION,
    Lock,
    LockEntry,
    LockOutcome,
    State,
    read_lock,
    unit_status,
    write_lock,
)
from filler.source.units import Unit, find_unit, find_units, legacy_body_sha
from tests.helpers.projects import CHECKOUT, git

SPEC = CHECKOUT / "examples" / "specs" / "strkit.yml"

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


ENTRIES = st.builds(
    LockEntry,
    spec_hash=st.text(),
    body_sha=st.text(),
    provider=st.text(),
    model=st.text(),
    rounds=st.integers(0, 10),
    tests_passed=st.integers(0, 10**6),
    tests_total=st.integers(0, 10**6),
    seconds=st.floats(0, 1e6),
    tokens=st.integers(0, 10**9),
    recorded_at=st.text(),
    targets=st.lists(st.text(), max_size=3).map(tuple),
    outcome=st.sampled_from(LockOutcome),
    reason=st.text(),
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), ENTRIES, max_size=6))
def test_the_lock_text_is_plain_indented_json_of_its_sorted_entries(
    units: dict[str, LockEntry],
) -> None:
    # Lock.to_json joins each entry's text, made once: it must read as dumping the whole map.
    lock = Lock(units)
    whole = {"version": LOCK_VERSION, "units": {u: asdict(units[u]) for u in sorted(units)}}
    assert lock.to_json() == json.dumps(whole, indent=2) + "\n"
    read = json.loads(lock.to_json())["units"]
    assert Lock({u: LockEntry.from_json(e) for u, e in read.items()}) == lock


DAMAGED: list[tuple[bytes, str]] = [
    (b"{not json", "is not valid JSON"),
    (b'["pkg.m:f"]', "holds a list instead of a map"),
    (b'{"version": 2, "units": "\xff\xfe"}', "is not UTF-8 text"),
    (b'{"version": 2, "units": []}', "holds a list as `units` instead of a map"),
    (b'{"version": 2, "units": {"pkg.m:f": {"body_sha": "x"}}}', "`spec_hash` is missing"),
    (b'{"version": 2, "units": {"pkg.m:f": ["x"]}}', "entry 'pkg.m:f': a list instead"),
    (
        b'{"version": 2, "units": {"pkg.m:f": {"spec_hash": "a", "body_sha": "b", "rounds": "3"}}}',
        "`rounds` is not a number",
    ),
    (
        b'{"version": 2, "units": {"pkg.m:f": {"spec_hash": "a", "body_sha": "b", '
        b'"targets": "f"}}}',
        "`targets` is not a list",
    ),
    (b'{"version": "2", "units": {}}', "has no version this filler knows ('2')"),
]


@pytest.mark.parametrize(("text", "message"), DAMAGED)
def test_a_damaged_lock_is_a_one_line_project_error(
    tmp_path: Path, text: bytes, message: str
) -> None:
    path = tmp_path / "lock.json"
    path.write_bytes(text)
    with pytest.raises(ProjectError, match=re.escape(message)) as raised:
        read_lock(path)
    assert "\n" not in str(raised.value)
    assert "git does not track it: to start over, delete it" in str(raised.value)


def test_a_newer_lock_asks_for_a_newer_filler(tmp_path: Path) -> None:
    path = tmp_path / "lock.json"
    path.write_text('{"version": 99, "units": {}}')
    with pytest.raises(ProjectError, match=r"has version 99, newer .* upgrade copier-filler"):
        read_lock(path)


def test_a_lock_that_cannot_be_written_is_a_project_error(tmp_path: Path) -> None:
    (tmp_path / "lock.json").mkdir()
    with pytest.raises(ProjectError, match=r"lock\.json is a folder; move it out of the way"):
        write_lock(tmp_path / "lock.json", Lock())


# Through the real CLI, on a rendered project (its render committed by `filler new`).


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return api.new(SPEC, tmp_path_factory.mktemp("rendered") / "strkit").root


@pytest.fixture
def project(rendered: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(rendered, tmp_path / "strkit", symlinks=True))


def status(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "filler", "status", "--json", str(project)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(("text", "message"), DAMAGED)
def test_the_cli_says_how_to_start_over_from_an_untracked_damaged_lock(
    project: Path, text: bytes, message: str
) -> None:
    lock = project / ".filler" / "lock.json"
    lock.parent.mkdir(exist_ok=True)
    lock.write_bytes(text)
    done = status(project)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert message in done.stderr
    assert "git does not track it: to start over, delete it" in done.stderr
    assert "restore it from git" not in done.stderr


def test_the_cli_says_restore_from_git_for_a_tracked_lock(project: Path) -> None:
    lock = project / ".filler" / "lock.json"
    lock.parent.mkdir(exist_ok=True)
    lock.write_text(Lock().to_json())
    git(project, "add", ".filler/lock.json")
    git(project, "commit", "-q", "-m", "lock")
    lock.write_bytes(b'["damaged"]')
    done = status(project)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"restore it from git (`git checkout -- {lock}`)" in done.stderr
    lock.unlink()
    lock.mkdir()
    done = status(project)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert f"is a folder, not a file; restore it from git (`rm -r {lock}`, then" in done.stderr


def test_the_cli_says_delete_the_folder_in_place_of_an_untracked_lock(project: Path) -> None:
    (project / ".filler" / "lock.json").mkdir(parents=True)
    done = status(project)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "is a folder, not a file; git does not track it" in done.stderr


def test_a_version_1_lock_is_migrated_and_no_filled_unit_turns_edited(project: Path) -> None:
    """Version 1 hashed bodies without comments; a body with comments, filled under it, is
    still `filled` after the upgrade, and only a real edit makes it `edited`."""
    arith = project / "src" / "strkit" / "arith.py"
    source = arith.read_text().replace(
        "    raise NotImplementedError", "    # the sum\n    return a + b  # plain", 1
    )
    arith.write_text(source)
    add = find_unit(source, "strkit.arith", Path("src/strkit/arith.py"), "add")
    assert add is not None and not add.is_stub
    old = replace(
        entry_for(FILLED), spec_hash=add.spec_hash, body_sha=legacy_body_sha(source, "add")
    )
    assert old.body_sha != add.body_sha
    units = {"strkit.arith:add": asdict(old), "strkit.arith:gone": asdict(old)}
    lock = project / ".filler" / "lock.json"
    lock.parent.mkdir(exist_ok=True)
    lock.write_text(json.dumps({"version": 1, "units": units}))

    assert read_lock(lock).units["strkit.arith:add"].body_sha == add.body_sha
    assert read_lock(lock).units["strkit.arith:gone"] == old
    assert json.loads(lock.read_text())["version"] == LOCK_VERSION  # stored migrated
    states = {row["unit"]: row["state"] for row in json.loads(status(project).stdout)}
    assert states["strkit.arith:add"] == "filled"

    arith.write_text(source.replace("# plain", "# plain, and checked by hand"))
    states = {row["unit"]: row["state"] for row in json.loads(status(project).stdout)}
    assert states["strkit.arith:add"] == "edited"
