"""`filler update`'s steps: take a spec edit or a new template version without losing a filled
body. `filler.api.update` runs `carry_over`, then the fill, then `update_result`.

`copier update` alone is not enough on a filled project: a 3-way text merge carries a body under
a changed signature without a word, conflicts where a spec change touches lines a fill also
touched (imports, a removed function), and deletes a removed feature's module, filled or not. So:

1. refuse a dirty git tree (HEAD then holds every byte the update could touch);
2. run `copier update` (new answers at the current template version, or a newer template);
3. re-render the old and the new version and rebuild every module that both the project and the
   new render have with `filler.source.structural`: the new render gives the structure, the project
   gives each unit's body while that unit's signature still matches; a unit whose signature
   changed is a stub again and its old body is set aside in `.filler/replaced/`;
4. settle every other file copier left conflicted: the new render where the project had not
   changed the file, else a clean `git merge-file`, else the project's version, listed for
   review (with the new render beside it in `.filler/review/`). No conflict markers remain;
5. move every file the update deleted but the project had changed to `.filler/removed/`;
6. re-run the tests of every body kept (`_failing`): a structural change (a field removed, a
   base changed) can break a body whose own spec did not move. A failing body filler wrote
   (`filled`) is a stub again, its code set aside, and re-filled; one a person wrote or edited
   is kept and reported as failing, never as kept (a `stale` one is re-filled and re-tested by
   the fill anyway);
7. drop the lock entries of units that are gone or stubs again, so that the fill that follows
   (`filler.api.fill`) re-fills what the lock rules say. An older lock is migrated against the
   project as it was before `copier update` (`filler.lockfile`) and written here.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from filler.errors import ProjectError
from filler.fill.context import spec_tests_by_unit
from filler.fill.runner import CaseOutcome, project_python, return_checked, run_tests
from filler.fill.sandbox import SandboxMode
from filler.git import git, run_git
from filler.lockfile import Lock, State, read_lock, unit_status, write_lock
from filler.project import Module, Project, load_project
from filler.render import copier_update, render_answers
from filler.report import RunRecord
from filler.source.structural import Reason, SetAside, structural_merge
from filler.source.units import Unit, reset_to_stub, unit_source
from filler.spec.model import load_spec
from filler.writer import atomic_write

__all__ = [
    "CarriedOver",
    "Retest",
    "UpdateResult",
    "carry_over",
    "require_clean_tree",
    "update_result",
]

REPLACED_DIR = Path(".filler") / "replaced"
REMOVED_DIR = Path(".filler") / "removed"
REVIEW_DIR = Path(".filler") / "review"


@dataclass(frozen=True)
class UpdateResult:
    added: tuple[str, ...]  # units the new spec or template brought
    refilled: tuple[str, ...]  # units that existed and were filled again
    kept: tuple[str, ...]  # filled units whose bodies were carried over untouched
    edited_stale: tuple[str, ...]  # edited by hand and their spec moved: review them
    removed: tuple[str, ...]  # files the update deleted, kept under .filler/removed/
    stubbed_by_signature_change: tuple[SetAside, ...]  # old bodies, also in .filler/replaced/
    # Filler's bodies whose tests failed once merged (a field they use removed, say): re-filled.
    stubbed_by_failing_tests: tuple[SetAside, ...]
    failing: tuple[str, ...]  # edited or hand-written bodies whose tests fail: fix them by hand
    dropped: tuple[SetAside, ...]  # code gone from the spec, also in .filler/replaced/
    conflicted: tuple[str, ...]  # files copier left conflicted; all resolved
    needs_review: tuple[str, ...]  # kept as the project had them; new render in .filler/review/
    run: RunRecord


@dataclass(frozen=True)
class CarriedOver:
    """What `carry_over` did to the project, before the fill that follows it."""

    before: Mapping[str, Unit]  # the project's units before the update, by id
    set_aside: tuple[SetAside, ...]  # also written to .filler/replaced/
    conflicted: tuple[str, ...]
    needs_review: tuple[str, ...]
    removed: tuple[str, ...]
    failing: tuple[str, ...]  # kept, not filler's, and their tests fail


@dataclass(frozen=True)
class Retest:
    """How the kept bodies' tests run after the merge: as the fill runs a candidate's."""

    timeout: float  # CPU seconds for one unit's tests
    sandbox: SandboxMode


_TESTS_FAIL: Reason = "tests fail after the update"
_STUBBED: tuple[Reason, ...] = ("signature changed", _TESTS_FAIL)  # re-filled by the fill


def carry_over(
    project: Project, data_file: Path | None, vcs_ref: str | None, retest: Retest
) -> CarriedOver:
    """Steps 1 to 7 of the module docstring, up to the fill: the project takes the new spec
    (`data_file`) and/or template version (`vcs_ref`) and keeps every body that still fits."""
    root = project.root
    require_clean_tree(root)
    data = _spec_data(data_file)
    # Read before `copier update` changes the modules an older lock is migrated against, and
    # not written yet: copier refuses a dirty tree.
    lock = read_lock(project.lock_path, store_migration=False)
    before = {unit.id: unit for _, unit in project.units()}
    ours = {module.path: module.source for module in project.modules()}
    old_answers = dict(project.answers)

    copier_update(root, data, vcs_ref)
    conflicted = git(
        root, "diff", "--name-only", "--relative", "--diff-filter=U", error=ProjectError
    ).splitlines()
    project = load_project(root)
    with tempfile.TemporaryDirectory(prefix="filler-update-") as tmp:
        old_root = render_answers(old_answers, Path(tmp) / "old")
        new_root = render_answers(project.answers, Path(tmp) / "new")
        set_aside = _merge_modules(project, ours, old_root, new_root)
        fillable = {file.path.as_posix() for file in project.module_files()}
        review = [f for f in conflicted if f not in fillable and _settle(root, f)]
        removed = _keep_removed(root, old_root)
    if conflicted:
        git(root, "add", "-A", "--", *conflicted, error=ProjectError)
    failing = []
    for module, unit in _failing(load_project(root), lock, retest, {s.name for s in set_aside}):
        if unit_status(unit, lock.get(unit.id)).state is State.FILLED:
            set_aside.append(SetAside(unit.id, _TESTS_FAIL, unit_source(module.source, unit)))
            target = root / module.path
            atomic_write(target, reset_to_stub(target.read_text("utf-8"), unit))
        else:
            failing.append(unit.id)
    for aside in set_aside:
        header = f"# {aside.name}: {aside.reason} (set aside by `filler update`)\n\n"
        atomic_write(root / REPLACED_DIR / f"{aside.name}.py", header + aside.source)
    _prune_lock(project, lock, {aside.name for aside in set_aside})
    return CarriedOver(
        before, tuple(set_aside), tuple(conflicted), tuple(review), tuple(removed), tuple(failing)
    )


def _failing(
    project: Project, lock: Lock, retest: Retest, skip: set[str]
) -> list[tuple[Module, Unit]]:
    """The units with code whose spec tests fail, in one test run; not those in `skip`, nor
    the stale ones (the fill re-fills and re-tests them anyway)."""
    root = project.root
    tests = spec_tests_by_unit(
        {p.relative_to(root): p.read_text("utf-8") for p in sorted(root.glob("tests/test_*.py"))}
    )
    checked = {
        unit.id: (module, unit, [test.node_id for test in tests.get(unit.id, ())])
        for module, unit in project.units()
        if not unit.is_stub
        and unit.id not in skip
        and tests.get(unit.id)
        and unit_status(unit, lock.get(unit.id)).state is not State.STALE
    }
    tested = [(unit, nodes) for _, unit, nodes in checked.values()]
    bad = _failed_tests(root, retest, tested) if tested else set()
    if bad is None:  # one body that hangs stops the run for all: each unit's tests alone
        bad = set()
        for unit, nodes in tested:
            alone = _failed_tests(root, retest, [(unit, nodes)])
            bad |= set(nodes) if alone is None else alone
    return [(module, unit) for module, unit, nodes in checked.values() if bad & set(nodes)]


def _failed_tests(
    root: Path, retest: Retest, tested: Sequence[tuple[Unit, Sequence[str]]]
) -> set[str] | None:
    """The node ids of the units' tests that fail or err, every value each unit returns checked
    against its annotation as in a fill; None when the run was stopped before its end."""
    nodes = sorted({node for _, unit_nodes in tested for node in unit_nodes})
    returns = [name for unit, _ in tested for name in return_checked(unit)]
    run = asyncio.run(
        run_tests(
            root, {}, nodes, timeout=retest.timeout * len(tested),
            python=project_python(root), sandbox=retest.sandbox, checked=returns,
        )
    )  # fmt: skip
    if run.timed_out or run.limit is not None:
        return None
    failed = (CaseOutcome.FAILED, CaseOutcome.ERROR)
    return {result.node_id for result in run.results if result.outcome in failed}


def require_clean_tree(root: Path) -> None:
    """Refuse a project that is not committed: HEAD must hold every byte an update touches."""
    commit = f"git -C {root} add -A && git -C {root} commit -m 'Before filler update'"
    if run_git(root, "rev-parse", "--verify", "-q", "HEAD").returncode != 0:
        raise ProjectError(
            f"{root} is not a git repository with a commit; `filler update` needs the project "
            f"committed first: git -C {root} init; {commit}"
        )
    status = git(root, "status", "--porcelain", "--", ".", error=ProjectError)
    changed = [line[3:] for line in status.splitlines()]
    if changed:
        shown = ", ".join(changed[:3]) + (", ..." if len(changed) > 3 else "")
        raise ProjectError(
            f"{root} has uncommitted changes ({shown}); commit them first ({commit}) "
            f"or stash them (git -C {root} stash -u), then run `filler update` again"
        )


def _spec_data(data_file: Path | None) -> dict[str, Any] | None:
    if data_file is None:
        return None
    load_spec(data_file)
    loaded = yaml.safe_load(data_file.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)  # load_spec accepted it: a mapping
    return loaded


def _merge_modules(
    project: Project, ours: Mapping[Path, str], old_root: Path, new_root: Path
) -> list[SetAside]:
    """Rebuild every module both the project and the new render have; write what changed."""
    set_aside: list[SetAside] = []
    for file in project.module_files():
        path = file.path
        if path not in ours or not (new_root / path).is_file():
            continue  # new in this render, or the project's own module
        old = (old_root / path).read_text("utf-8") if (old_root / path).is_file() else ""
        theirs = (new_root / path).read_text("utf-8")
        outcome = structural_merge(old, ours[path], theirs, file.name, path)
        target = project.root / path
        if not target.is_file() or target.read_text("utf-8") != outcome.source:
            atomic_write(target, outcome.source)
        set_aside += outcome.set_aside
    return set_aside


def _settle(root: Path, path: str) -> bool:
    """Resolve a conflicted file that is not a fillable module; True: it needs review."""
    old, ours, theirs = (_stage(root, n, path) for n in (1, 2, 3))
    target = root / path
    if theirs is None:  # the new render has no such file
        if ours == old:
            target.unlink(missing_ok=True)
            return False
        atomic_write(target, ours or "")
        return True
    if ours is None or ours == old:
        atomic_write(target, theirs)
        return False
    merged = _merge_file(old or "", ours, theirs)
    if merged is not None:
        atomic_write(target, merged)
        return False
    atomic_write(target, ours)
    atomic_write(root / REVIEW_DIR / path, theirs)
    return True


def _merge_file(old: str, ours: str, theirs: str) -> str | None:
    """`git merge-file` of the three texts; None when it conflicts."""
    with tempfile.TemporaryDirectory(prefix="filler-merge-") as tmp:
        files = []
        for name, text in (("ours", ours), ("old", old), ("theirs", theirs)):
            file = Path(tmp) / name
            file.write_text(text, encoding="utf-8")
            files.append(str(file))
        done = run_git(Path(tmp), "merge-file", "-p", *files, timeout_s=60)
    return done.stdout if done.returncode == 0 else None


def _keep_removed(root: Path, old_root: Path) -> list[str]:
    """Copy each file the update deleted, and the project had changed, to .filler/removed/."""
    kept = []
    for path in git(root, "ls-files", "--deleted", error=ProjectError).splitlines():
        ours = git(root, "show", f"HEAD:./{path}", error=ProjectError)
        rendered = old_root / path
        if rendered.is_file() and rendered.read_text("utf-8") == ours:
            continue  # as rendered: the template can render it again
        atomic_write(root / REMOVED_DIR / path, ours)
        kept.append(path)
    return kept


def _prune_lock(project: Project, lock: Lock, set_aside: set[str]) -> None:
    """Forget units that are stubs again or gone, so the lock rules fill or ignore them."""
    modules = {file.name for file in project.module_files()}
    gone = {
        unit_id
        for unit_id in lock.units
        if unit_id in set_aside or unit_id.split(":", 1)[0] not in modules
    }
    pruned = lock.without(gone)
    # Written also when only migrated (`carry_over` read it without storing the migration).
    path = project.lock_path
    if path.is_file() and path.read_text("utf-8") != pruned.to_json():
        write_lock(path, pruned)


def update_result(project: Project, carried: CarriedOver, run: RunRecord) -> UpdateResult:
    """What the update and the fill after it did, unit by unit, for the user."""
    before, set_aside = carried.before, carried.set_aside
    lock = read_lock(project.lock_path)
    after = {unit.id: unit for _, unit in project.units()}
    written = {record.unit for record in run.filled}
    edited_stale = {
        unit_id
        for unit_id, unit in after.items()
        if (status := unit_status(unit, lock.get(unit_id))).state is State.EDITED
        and status.spec_changed
    }
    aside = {s.name for s in set_aside}
    kept = (
        {unit_id for unit_id, unit in before.items() if unit_id in after and not unit.is_stub}
        - written
        - aside
        - edited_stale
        - set(carried.failing)
    )
    stubbed = {reason: tuple(s for s in set_aside if s.reason == reason) for reason in _STUBBED}
    return UpdateResult(
        added=tuple(sorted(after.keys() - before.keys())),
        refilled=tuple(sorted(written & before.keys())),
        kept=tuple(sorted(kept)),
        edited_stale=tuple(sorted(edited_stale)),
        removed=carried.removed,
        stubbed_by_signature_change=stubbed["signature changed"],
        stubbed_by_failing_tests=stubbed[_TESTS_FAIL],
        failing=carried.failing,
        dropped=tuple(s for s in set_aside if s.reason not in _STUBBED),
        conflicted=carried.conflicted,
        needs_review=carried.needs_review,
        run=run,
    )


def _stage(root: Path, stage: int, path: str) -> str | None:
    """A conflicted file's text at an index stage: 1 old render, 2 project, 3 new render."""
    done = run_git(root, "show", f":{stage}:./{path}")
    return done.stdout if done.returncode == 0 else None
