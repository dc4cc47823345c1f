"""`.filler/lock.json`: what the filler wrote, and the re-fill rules that follow from it.

The lock records, per unit, the `spec_hash` the body was written for and the `body_sha` of what was
written. Comparing them with the unit on disk gives its state:

| on disk                          | lock    | state  | fill?                               |
|----------------------------------|---------|--------|-------------------------------------|
| stub                             | any     | stub   | yes (*)                             |
| body_sha == lock, spec unchanged | present | filled | no                                  |
| body_sha == lock, spec changed   | present | stale  | yes: the spec moved, nobody edited  |
| body_sha != lock                 | present | edited | never (also "stale" if spec moved)  |
| filled                           | absent  | manual | never: hand-written                 |

(*) unless this provider and model already failed on this very spec (`--retry` tries again).
`--force` fills whatever it matches.

Versions: 1 hashed bodies without their comments; 2 counts comments; 3 leaves out of both
hashes what the template renders from a class's structure (bases, fields; see
`filler.source.units`). `read_lock` migrates an older lock as it reads it (`_migrated`): an
entry whose hash is the old hash of the unit on disk gets the new hash of that unit, so
upgrading filler turns no filled unit `edited` or `stale`; the migrated lock is written back at
once (`filler update` writes it itself, after `copier update`, which needs a clean tree).

A lock that cannot be read (not JSON, not UTF-8, not a map, entries of the wrong shape, a folder
in its place) is a `ProjectError`, one line, whose advice depends on git: restore it from git
where git tracks it, else delete it and start over (filled bodies then count as hand-written and
are kept).
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filler.errors import ProjectError
from filler.git import run_git
from filler.writer import atomic_write

if TYPE_CHECKING:
    from filler.source.units import Unit

__all__ = [
    "LOCK_VERSION",
    "Lock",
    "LockEntry",
    "LockOutcome",
    "State",
    "UnitStatus",
    "read_lock",
    "unit_status",
    "write_lock",
]

LOCK_VERSION = 3
_COMMENTLESS_BODY_SHA = 1  # the version whose body_sha left comments out
_STRUCTURE_HASHED = (1, 2)  # the versions whose hashes covered a class's bases and fields


class State(StrEnum):
    STUB = "stub"
    FILLED = "filled"
    STALE = "stale"
    EDITED = "edited"
    MANUAL = "manual"


class LockOutcome(StrEnum):
    """What the last fill that tried a unit did; written to the lock as its value."""

    FILLED = "filled"
    # The model tried and no candidate passed; the unit is not tried again with the same
    # provider and model until its spec changes (or `--retry`).
    FAILED = "failed"


@dataclass(frozen=True)
class LockEntry:
    spec_hash: str
    body_sha: str
    provider: str
    model: str
    rounds: int
    tests_passed: int
    tests_total: int
    seconds: float
    tokens: int
    recorded_at: str
    targets: tuple[str, ...] = ()
    outcome: LockOutcome = LockOutcome.FILLED
    reason: str = ""  # why it failed

    @property
    def failed(self) -> bool:
        return self.outcome is LockOutcome.FAILED

    @classmethod
    def from_json(cls, data: object) -> LockEntry:
        """The entry `data` holds; ValueError naming what is wrong with its shape."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a {type(data).__name__} instead of a map")
        targets = data.get("targets", [])
        if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
            raise ValueError("`targets` is not a list of names")
        return cls(
            spec_hash=_text(data, "spec_hash", required=True),
            body_sha=_text(data, "body_sha", required=True),
            provider=_text(data, "provider"),
            model=_text(data, "model"),
            rounds=int(_number(data, "rounds")),
            tests_passed=int(_number(data, "tests_passed")),
            tests_total=int(_number(data, "tests_total")),
            seconds=float(_number(data, "seconds")),
            tokens=int(_number(data, "tokens")),
            recorded_at=_text(data, "recorded_at"),
            targets=tuple(targets),
            outcome=LockOutcome(data.get("outcome", LockOutcome.FILLED)),
            reason=_text(data, "reason"),
        )


def _text(data: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    if key not in data and required:
        raise ValueError(f"`{key}` is missing")
    value = data.get(key, "")
    if not isinstance(value, str):
        raise ValueError(f"`{key}` is not a string")
    return value


def _number(data: Mapping[str, Any], key: str) -> float:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"`{key}` is not a number")
    return value


@dataclass(frozen=True)
class Lock:
    units: Mapping[str, LockEntry] = field(default_factory=dict)

    def get(self, unit_id: str) -> LockEntry | None:
        return self.units.get(unit_id)

    def with_entry(self, unit_id: str, entry: LockEntry) -> Lock:
        return replace(self, units={**self.units, unit_id: entry})

    def without(self, unit_ids: set[str]) -> Lock:
        return replace(self, units={k: v for k, v in self.units.items() if k not in unit_ids})

    def to_json(self) -> str:
        """`json.dumps` of the version and the sorted entries, indented by 2, made of each
        entry's own text: a fill writes the lock after every unit, and serializing every entry
        each time made filling N units cost N^2."""
        if not self.units:
            return json.dumps({"version": LOCK_VERSION, "units": {}}, indent=2) + "\n"
        units = ",\n".join(
            f"    {json.dumps(uid)}: {_entry_json(self.units[uid])}" for uid in sorted(self.units)
        )
        return f'{{\n  "version": {LOCK_VERSION},\n  "units": {{\n{units}\n  }}\n}}\n'


@functools.lru_cache(maxsize=4096)
def _entry_json(entry: LockEntry) -> str:
    """`entry` as `json.dumps(..., indent=2)` writes it two levels down."""
    return json.dumps(asdict(entry), indent=2).replace("\n", "\n    ")


@dataclass(frozen=True)
class UnitStatus:
    state: State
    spec_changed: bool

    @property
    def should_fill(self) -> bool:
        return self.state in (State.STUB, State.STALE)

    @property
    def label(self) -> str:
        """The state as `filler status` and the run record show it."""
        if self.state is State.EDITED and self.spec_changed:
            return "edited, stale"
        return str(self.state)


def unit_status(unit: Unit, entry: LockEntry | None) -> UnitStatus:
    """Where a unit stands against its lock entry (the table in the module docstring)."""
    spec_changed = entry is not None and entry.spec_hash != unit.spec_hash
    if unit.is_stub:
        return UnitStatus(State.STUB, spec_changed)
    if entry is None:
        return UnitStatus(State.MANUAL, False)
    if unit.body_sha != entry.body_sha:
        return UnitStatus(State.EDITED, spec_changed)
    return UnitStatus(State.STALE if spec_changed else State.FILLED, spec_changed)


def read_lock(path: Path, *, store_migration: bool = True) -> Lock:
    """The lock at `path` (empty if there is none), migrated to `LOCK_VERSION`; an older lock
    is written back migrated unless `store_migration` is False.

    ProjectError, one line with the advice that fits, if it cannot be read.
    """
    if not path.exists():
        return Lock()
    if path.is_dir():
        raise _damaged(path, "is a folder, not a file")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _damaged(path, f"is not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise _damaged(path, f"is not valid JSON ({exc})") from exc
    except OSError as exc:
        raise ProjectError(f"{path} could not be read: {exc.strerror or exc}") from exc
    if not isinstance(data, dict):
        raise _damaged(path, f"holds a {_json_type(data)} instead of a map")
    version = data.get("version")
    number = version if isinstance(version, int) and not isinstance(version, bool) else None
    if number not in (*_STRUCTURE_HASHED, LOCK_VERSION):
        if number is not None and number > LOCK_VERSION:
            raise ProjectError(
                f"{path} has version {version}, newer than this filler reads ({LOCK_VERSION}): "
                "upgrade copier-filler"
            )
        raise _damaged(path, f"has no version this filler knows ({version!r})")
    units = {} if data.get("units") is None else data["units"]
    if not isinstance(units, dict):
        raise _damaged(path, f"holds a {_json_type(units)} as `units` instead of a map")
    entries = {}
    for unit_id, entry in units.items():
        try:
            entries[unit_id] = LockEntry.from_json(entry)
        except ValueError as exc:
            raise _damaged(path, f"has a damaged entry {unit_id!r}: {exc}") from exc
    if number in _STRUCTURE_HASHED:
        migrated = Lock(_migrated(path, entries, number))
        if store_migration:
            # Stored at once: the old hashes cannot see an edit made after the upgrade.
            with contextlib.suppress(ProjectError):
                write_lock(path, migrated)
        return migrated
    return Lock(entries)


def _migrated(path: Path, entries: dict[str, LockEntry], version: int) -> dict[str, LockEntry]:
    """The migration from `version`: an entry whose spec_hash (body_sha) is the old hash of the
    unit on disk gets that unit's new hash (nothing moved since it was written); the others
    stay as they are, which still tells them `stale` (`edited`): their old hash matches neither.
    """
    # Imported here: the lock is read by every command, an old lock only once per project.
    from filler.project import load_project
    from filler.source.units import find_unit, legacy_body_sha, version_2_hashes

    try:
        project = load_project(path.parent)
    except ProjectError:
        return entries  # a lock outside a project: no bodies to compare with
    if project.lock_path.resolve() != path.resolve():
        return entries
    upgraded = dict(entries)
    for module in project.modules():
        for unit_id, entry in entries.items():
            name, _, qualname = unit_id.partition(":")
            if name != module.name:
                continue
            unit = find_unit(module.source, module.name, module.path, qualname)
            if unit is None:
                continue
            old_spec, old_body = version_2_hashes(module.source, qualname)
            if version == _COMMENTLESS_BODY_SHA:
                old_body = legacy_body_sha(module.source, qualname)
            upgraded[unit_id] = replace(
                entry,
                spec_hash=unit.spec_hash if entry.spec_hash == old_spec else entry.spec_hash,
                body_sha=unit.body_sha if entry.body_sha == old_body else entry.body_sha,
            )
    return upgraded


def _json_type(value: object) -> str:
    return {list: "list", str: "string", int: "number", float: "number", bool: "boolean"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _damaged(path: Path, what: str) -> ProjectError:
    return ProjectError(f"{path} {what}; {_lock_advice(path)}")


def _lock_advice(path: Path) -> str:
    """How to get a readable lock back: from git if git tracks it, else by starting over."""
    remove = f"`rm -r {path}`" if path.is_dir() else f"`rm {path}`"
    try:
        tracked = run_git(path.parent, "ls-files", "--error-unmatch", "--", path.name)
    except (OSError, subprocess.SubprocessError):
        tracked = None
    if tracked is not None and tracked.returncode == 0:
        restore = f"`git checkout -- {path}`"
        return f"restore it from git ({f'{remove}, then ' if path.is_dir() else ''}{restore})"
    return (
        f"git does not track it: to start over, delete it ({remove}); filled bodies then count "
        "as hand-written (`manual`) and are kept, stubs are filled"
    )


def write_lock(path: Path, lock: Lock) -> None:
    atomic_write(path, lock.to_json())  # a failure is already a one-line ProjectError
