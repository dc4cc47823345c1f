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
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filler.errors import ProjectError
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

LOCK_VERSION = 1


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
    def from_json(cls, unit_id: str, data: Mapping[str, Any]) -> LockEntry:
        try:
            return cls(
                spec_hash=str(data["spec_hash"]),
                body_sha=str(data["body_sha"]),
                provider=str(data.get("provider", "")),
                model=str(data.get("model", "")),
                rounds=int(data.get("rounds", 0)),
                tests_passed=int(data.get("tests_passed", 0)),
                tests_total=int(data.get("tests_total", 0)),
                seconds=float(data.get("seconds", 0.0)),
                tokens=int(data.get("tokens", 0)),
                recorded_at=str(data.get("recorded_at", "")),
                targets=tuple(data.get("targets", ())),
                outcome=LockOutcome(data.get("outcome", LockOutcome.FILLED)),
                reason=str(data.get("reason", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectError(
                f"lock entry {unit_id!r} is damaged ({exc}); delete it from .filler/lock.json "
                "to have the unit treated as hand-written"
            ) from exc


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
        units = {uid: asdict(self.units[uid]) for uid in sorted(self.units)}
        return json.dumps({"version": LOCK_VERSION, "units": units}, indent=2) + "\n"


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


def read_lock(path: Path) -> Lock:
    if not path.exists():
        return Lock()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ProjectError(
            f"{path} is not valid JSON ({exc}); restore it from git (`git checkout -- {path}`)"
        ) from exc
    version = data.get("version") if isinstance(data, dict) else None
    if version != LOCK_VERSION:
        raise ProjectError(
            f"{path} has version {version!r}; this filler reads version {LOCK_VERSION} "
            "(upgrade copier-filler, or restore the file from git)"
        )
    units = data.get("units") or {}
    return Lock({uid: LockEntry.from_json(uid, entry) for uid, entry in units.items()})


def write_lock(path: Path, lock: Lock) -> None:
    atomic_write(path, lock.to_json())
