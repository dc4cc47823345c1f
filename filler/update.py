"""`filler update`: take a spec edit or a new template version without losing a filled body.

`copier update` alone is not enough on a filled project: a 3-way text merge carries a body under
a changed signature without a word, conflicts where a spec change touches lines a fill also
touched (imports, a removed function), and deletes a removed feature's module, filled or not. So:

1. refuse a dirty git tree (HEAD then holds every byte the update could touch);
2. run `copier update` (new answers at the current template version, or a newer template);
3. re-render the old and the new version and rebuild every module that both the project and the
   new render have with `structural_merge`: the new render gives the structure, the project
   gives each unit's body while that unit's signature still matches; a unit whose signature
   changed is a stub again and its old body is set aside in `.filler/replaced/`;
4. settle every other file copier left conflicted: the new render where the project had not
   changed the file, else a clean `git merge-file`, else the project's version, listed for
   review (with the new render beside it in `.filler/review/`). No conflict markers remain;
5. move every file the update deleted but the project had changed to `.filler/removed/`;
6. drop the lock entries of units that are gone or stubs again, and fill through
   `filler.api.fill`, so the lock rules decide what is re-filled.
"""

from __future__ import annotations

import ast
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import libcst as cst
import yaml

from filler import api
from filler.errors import ProjectError
from filler.extract import Candidate
from filler.lockfile import State, read_lock, unit_status, write_lock
from filler.merge import definition_names, merge, module_bindings
from filler.pipeline import Progress, project_units
from filler.project import Project, load_project
from filler.render import render_answers, update_project
from filler.report import RunRecord
from filler.spec import import_bindings, load_spec
from filler.stubs import Unit, find_units, signature_dump, unit_source
from filler.writer import atomic_write

__all__ = ["MergeOutcome", "SetAside", "UpdateResult", "structural_merge", "update"]

Reason = Literal["signature changed", "removed from the spec", "no place in the new render"]
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

REPLACED_DIR = Path(".filler") / "replaced"
REMOVED_DIR = Path(".filler") / "removed"
REVIEW_DIR = Path(".filler") / "review"


@dataclass(frozen=True)
class SetAside:
    """Project code the new render has no place for, kept in `.filler/replaced/<name>.py`."""

    name: str  # a unit id, or a dotted module for module-level code
    reason: Reason
    source: str  # the code as it was, with the imports and private helpers it uses


@dataclass(frozen=True)
class MergeOutcome:
    source: str  # the merged module
    set_aside: tuple[SetAside, ...] = ()


@dataclass(frozen=True)
class UpdateResult:
    added: tuple[str, ...]  # units the new spec or template brought
    refilled: tuple[str, ...]  # units that existed and were filled again
    kept: tuple[str, ...]  # filled units whose bodies were carried over untouched
    edited_stale: tuple[str, ...]  # edited by hand and their spec moved: review them
    removed: tuple[str, ...]  # files the update deleted, kept under .filler/removed/
    stubbed_by_signature_change: tuple[SetAside, ...]  # old bodies, also in .filler/replaced/
    dropped: tuple[SetAside, ...]  # code gone from the spec, also in .filler/replaced/
    conflicted: tuple[str, ...]  # files copier left conflicted; all resolved
    needs_review: tuple[str, ...]  # kept as the project had them; new render in .filler/review/
    run: RunRecord


# -- the structural merge (pure) ---------------------------------------------------------------


@dataclass(frozen=True)
class _Piece:
    """One top-level statement of the project's module."""

    code: str
    binds: frozenset[str]
    reads: frozenset[str]
    is_import: bool


def structural_merge(old: str, ours: str, theirs: str, module: str, path: Path) -> MergeOutcome:
    """The new render `theirs` with the project's bodies from `ours` merged in.

    `old` is the render the project started from ("" when there was none). A unit keeps the
    project's bodies when its signatures (for a class: header and every rendered method's) are
    those of the new render; otherwise it stays the new render's stub and its old code is set
    aside, as is the code of units the spec removed. The project's own imports and definitions
    (helpers a fill added, functions a person wrote) come along with the units that use them,
    through `filler.merge.merge`; every other line is the new render's.
    """
    if ours in (old, theirs):
        return MergeOutcome(theirs)
    if theirs == old:
        return MergeOutcome(ours)
    pieces = _pieces(ours)
    new_units = find_units(theirs, module, path)
    helpers, unplaced = _own_definitions(old, theirs, pieces, new_units)
    carried, set_aside = _sort_units(old, ours, theirs, new_units, module, path)
    set_aside = [_with_helpers(aside, helpers, pieces) for aside in set_aside]
    if not new_units:  # nothing left to hang the project's definitions on
        unplaced, helpers = unplaced + [p.code.strip() for p in helpers], []
    if unplaced:
        code = "\n\n\n".join(unplaced) + "\n"
        set_aside.append(SetAside(module, "no place in the new render", code))

    used = _closure(_reads_of(carried.values()), helpers)
    aside_only = _closure(_reads_of(s.source for s in set_aside), helpers) - used
    standalone = [p for p in helpers if p not in used and p not in aside_only]
    attached = _attach(standalone, pieces, [unit.qualname for unit in new_units])
    merged = theirs
    for unit in new_units:
        extra = attached.get(unit.qualname, [])
        if unit.qualname not in carried and not extra:
            continue
        code = carried.get(unit.qualname) or unit_source(theirs, unit)
        needed = sorted(_closure(_reads_of([code]), helpers) | set(extra), key=pieces.index)
        merged = merge(merged, unit, Candidate(_with_imports(needed, code, pieces)))
    return MergeOutcome(merged, tuple(set_aside))


def _sort_units(
    old: str, ours: str, theirs: str, new_units: Sequence[Unit], module: str, path: Path
) -> tuple[dict[str, str], list[SetAside]]:
    """The project's code of each unit that keeps its body, and the units set aside."""
    old_tree, ours_tree, theirs_tree = ast.parse(old), ast.parse(ours), ast.parse(theirs)
    mine = {unit.qualname: unit for unit in find_units(ours, module, path)}
    carried: dict[str, str] = {}
    set_aside: list[SetAside] = []
    for unit in new_units:
        own = mine.pop(unit.qualname, None)
        if own is None or not _has_code(own, ours_tree):
            continue
        # A class's methods are those the render gave it; the rest are the project's helpers.
        rendered = old_tree if _top(old_tree, unit.qualname) else theirs_tree
        if _shape(ours_tree, rendered, unit.qualname) == _shape(
            theirs_tree, theirs_tree, unit.qualname
        ):
            carried[unit.qualname] = unit_source(ours, own)
        else:
            set_aside.append(SetAside(own.id, "signature changed", unit_source(ours, own)))
    for name, own in mine.items():
        if _top(old_tree, name) is not None and _has_code(own, ours_tree):
            set_aside.append(SetAside(own.id, "removed from the spec", unit_source(ours, own)))
    return carried, set_aside


def _own_definitions(
    old: str, theirs: str, pieces: Sequence[_Piece], new_units: Sequence[Unit]
) -> tuple[list[_Piece], list[str]]:
    """The project's own top-level definitions that can move, and the code that cannot.

    Own means not rendered: not a statement of the old render, and not a unit the old or the
    new render has. Imports are handled apart (they come along when read).
    """
    rendered = {piece.code.strip() for piece in _pieces(old)}
    old_tree = ast.parse(old)
    units = {unit.qualname for unit in new_units} | {
        node.name for node in old_tree.body if isinstance(node, FunctionNode | ast.ClassDef)
    }
    theirs_bound = module_bindings(theirs)
    movable: list[_Piece] = []
    unplaced: list[str] = []
    for piece in pieces:
        if piece.is_import or piece.code.strip() in rendered or piece.binds & units:
            continue
        if piece.binds and not piece.binds & theirs_bound:
            movable.append(piece)
        else:
            unplaced.append(piece.code.strip())
    return movable, unplaced


def _pieces(source: str) -> list[_Piece]:
    tree = cst.parse_module(source)
    pieces = []
    for statement in tree.body:
        code = tree.code_for_node(statement)
        nodes = ast.parse(code.strip()).body
        is_import = bool(nodes) and all(isinstance(n, ast.Import | ast.ImportFrom) for n in nodes)
        if is_import:
            binds = frozenset(
                name
                for node in nodes
                if isinstance(node, ast.Import | ast.ImportFrom)
                for name in import_bindings(node)
            )
        else:
            names = definition_names(nodes[0]) if len(nodes) == 1 else None
            binds = names or frozenset()
        reads = frozenset(
            node.id
            for top in nodes
            for node in ast.walk(top)
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
        )
        pieces.append(_Piece(code, binds, reads, is_import))
    return pieces


def _reads_of(codes: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*(piece.reads for code in codes for piece in _pieces(code)))


def _closure(reads: frozenset[str], helpers: Sequence[_Piece]) -> set[_Piece]:
    """The helpers that code reading `reads` needs, also through other helpers."""
    found: set[_Piece] = set()
    frontier = set(reads)
    while frontier:
        new = {p for p in helpers if p not in found and p.binds & frontier}
        found |= new
        frontier = set().union(*(p.reads for p in new))
    return found


def _attach(
    standalone: Sequence[_Piece], pieces: Sequence[_Piece], units: Sequence[str]
) -> dict[str, list[_Piece]]:
    """Give each helper no unit uses to the unit that followed it in the project (else the last)."""
    attached: dict[str, list[_Piece]] = {}
    for helper in standalone:
        after = pieces[pieces.index(helper) + 1 :]
        follower = next((name for p in after for name in units if name in p.binds), units[-1])
        attached.setdefault(follower, []).append(helper)
    return attached


def _with_imports(helpers: Sequence[_Piece], code: str, pieces: Sequence[_Piece]) -> str:
    reads = _reads_of([code, *(helper.code for helper in helpers)])
    imports = [p.code.strip() for p in pieces if p.is_import and p.binds & reads]
    blocks = ["\n".join(imports)] if imports else []
    blocks += [helper.code.strip() for helper in helpers] + [code.strip()]
    return "\n\n\n".join(blocks) + "\n"


def _with_helpers(aside: SetAside, helpers: Sequence[_Piece], pieces: Sequence[_Piece]) -> SetAside:
    """The set-aside code with the imports and helpers it uses, so it reads on its own."""
    needed = sorted(_closure(_reads_of([aside.source]), helpers), key=list(pieces).index)
    return SetAside(aside.name, aside.reason, _with_imports(needed, aside.source, pieces))


def _top(tree: ast.Module, name: str) -> FunctionNode | ast.ClassDef | None:
    for node in tree.body:
        if isinstance(node, FunctionNode | ast.ClassDef) and node.name == name:
            return node
    return None


def _methods(node: ast.ClassDef) -> dict[str, FunctionNode]:
    return {n.name: n for n in node.body if isinstance(n, FunctionNode)}


def _shape(tree: ast.Module, rendered: ast.Module, name: str) -> tuple[str, ...]:
    """What must not change for a body to stay: the signatures the render gave the unit.

    For a class: its header, and the signature of each method `rendered` gives it.
    """
    node = _top(tree, name)
    if node is None:
        return ()
    if not isinstance(node, ast.ClassDef):
        return (signature_dump(node),)
    template = _top(rendered, name)
    names = _methods(template) if isinstance(template, ast.ClassDef) else _methods(node)
    methods = _methods(node)
    header = [*node.decorator_list, *node.bases, *node.keywords]
    return (
        "class",
        *map(ast.dump, header),
        *(f"{m}\n{signature_dump(methods[m])}" if m in methods else m for m in sorted(names)),
    )


def _has_code(unit: Unit, tree: ast.Module) -> bool:
    """Whether any of the unit's bodies is more than the stub."""
    if not unit.is_stub:
        return True
    node = _top(tree, unit.qualname)
    return isinstance(node, ast.ClassDef) and set(unit.targets) != set(_methods(node))


# -- the update (git, copier, files) -----------------------------------------------------------


def update(
    path: Path,
    *,
    data_file: Path | None = None,
    vcs_ref: str | None = None,
    flags: Mapping[str, object] | None = None,
    progress: Progress | None = None,
    environ: Mapping[str, str] | None = None,
) -> UpdateResult:
    """Update the project at or above `path` to a new spec and/or template version, then fill.

    `data_file` is the edited spec; `vcs_ref` the template version (tag, branch or commit).
    `flags` are the fill options (as for `filler.api.fill`).
    """
    project = load_project(path)
    root = project.root
    _require_clean_tree(root)
    data = _spec_data(data_file)
    before = {unit.id: unit for _, unit in project_units(project)}
    ours = {module.path: module.source for module in project.modules()}
    old_answers = dict(project.answers)

    update_project(root, data, vcs_ref)
    conflicted = _git(root, "diff", "--name-only", "--relative", "--diff-filter=U").splitlines()
    project = load_project(root)
    with tempfile.TemporaryDirectory(prefix="filler-update-") as tmp:
        old_root = render_answers(old_answers, Path(tmp) / "old")
        new_root = render_answers(project.answers, Path(tmp) / "new")
        set_aside = _merge_modules(project, ours, old_root, new_root)
        fillable = {path.as_posix() for _, path in project.module_paths()}
        review = [f for f in conflicted if f not in fillable and _settle(root, f)]
        removed = _keep_removed(root, old_root)
    if conflicted:
        _git(root, "add", "-A", "--", *conflicted)
    for aside in set_aside:
        header = f"# {aside.name}: {aside.reason} (set aside by `filler update`)\n\n"
        atomic_write(root / REPLACED_DIR / f"{aside.name}.py", header + aside.source)
    _prune_lock(project, {aside.name for aside in set_aside})

    run = api.fill(root, flags or {}, progress, environ)
    return _result(load_project(root), before, set_aside, run, conflicted, review, removed)


def _require_clean_tree(root: Path) -> None:
    commit = f"git -C {root} add -A && git -C {root} commit -m 'Before filler update'"
    if _run_git(root, "rev-parse", "--verify", "-q", "HEAD").returncode != 0:
        raise ProjectError(
            f"{root} is not a git repository with a commit; `filler update` needs the project "
            f"committed first: git -C {root} init; {commit}"
        )
    changed = [line[3:] for line in _git(root, "status", "--porcelain", "--", ".").splitlines()]
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
    for module, path in project.module_paths():
        if path not in ours or not (new_root / path).is_file():
            continue  # new in this render, or the project's own module
        old = (old_root / path).read_text("utf-8") if (old_root / path).is_file() else ""
        theirs = (new_root / path).read_text("utf-8")
        outcome = structural_merge(old, ours[path], theirs, module, path)
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
        done = subprocess.run(
            ["git", "merge-file", "-p", *files], capture_output=True, text=True, timeout=60
        )
    return done.stdout if done.returncode == 0 else None


def _keep_removed(root: Path, old_root: Path) -> list[str]:
    """Copy each file the update deleted, and the project had changed, to .filler/removed/."""
    kept = []
    for path in _git(root, "ls-files", "--deleted").splitlines():
        ours = _git(root, "show", f"HEAD:./{path}")
        rendered = old_root / path
        if rendered.is_file() and rendered.read_text("utf-8") == ours:
            continue  # as rendered: the template can render it again
        atomic_write(root / REMOVED_DIR / path, ours)
        kept.append(path)
    return kept


def _prune_lock(project: Project, set_aside: set[str]) -> None:
    """Forget units that are stubs again or gone, so the lock rules fill or ignore them."""
    lock = read_lock(project.lock_path)
    modules = {module for module, _ in project.module_paths()}
    gone = {
        unit_id
        for unit_id in lock.units
        if unit_id in set_aside or unit_id.split(":", 1)[0] not in modules
    }
    if gone:
        write_lock(project.lock_path, lock.without(gone))


def _result(
    project: Project,
    before: Mapping[str, Unit],
    set_aside: Sequence[SetAside],
    run: RunRecord,
    conflicted: Sequence[str],
    review: Sequence[str],
    removed: Sequence[str],
) -> UpdateResult:
    lock = read_lock(project.lock_path)
    after = {unit.id: unit for _, unit in project_units(project)}
    written = {record.unit for record in run.units if record.outcome == "filled"}
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
    )
    return UpdateResult(
        added=tuple(sorted(after.keys() - before.keys())),
        refilled=tuple(sorted(written & before.keys())),
        kept=tuple(sorted(kept)),
        edited_stale=tuple(sorted(edited_stale)),
        removed=tuple(removed),
        stubbed_by_signature_change=tuple(s for s in set_aside if s.reason == "signature changed"),
        dropped=tuple(s for s in set_aside if s.reason != "signature changed"),
        conflicted=tuple(conflicted),
        needs_review=tuple(review),
        run=run,
    )


def _stage(root: Path, stage: int, path: str) -> str | None:
    """A conflicted file's text at an index stage: 1 old render, 2 project, 3 new render."""
    done = _run_git(root, "show", f":{stage}:./{path}")
    return done.stdout if done.returncode == 0 else None


def _git(root: Path, *args: str) -> str:
    done = _run_git(root, *args)
    if done.returncode != 0:
        raise ProjectError(f"git {' '.join(args[:2])} failed in {root}: {done.stderr.strip()}")
    return done.stdout


def _run_git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=120)
