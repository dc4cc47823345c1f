"""The structural merge of `filler update`: `structural_merge(old, ours, theirs, module, path)`.

A 3-way text merge carries a body under a changed signature without a word. This one works on
units instead: the new render (`theirs`) gives the module's structure, the project (`ours`)
gives each unit's bodies while that unit's signatures are still those the new render has, and a
unit whose signature changed, or that the spec removed, is set aside (`SetAside`) with the
imports and private helpers its code uses, as is module-level code the new render has no place
for. Pure: text in, `MergeOutcome` out; `filler.update` does the files, git and Copier around it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import libcst as cst

from filler.fill.extract import Candidate
from filler.source.merge import merge
from filler.source.syntax import (
    DefinitionNode,
    definition_names,
    is_stub,
    module_bindings,
    top_definition,
)
from filler.source.units import (
    Unit,
    find_units,
    implementation,
    members_by_key,
    signature_dump,
    unit_source,
)
from filler.spec.syntax import import_bindings

__all__ = ["MergeOutcome", "SetAside", "structural_merge"]

Reason = Literal[
    "signature changed",
    "removed from the spec",
    "no place in the new render",
    "tests fail after the update",  # set by `filler.update` once the merged module is tested
]


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
    through `filler.source.merge.merge`; every other line is the new render's.
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
        rendered = old_tree if top_definition(old_tree, unit.qualname) else theirs_tree
        if _shape(ours_tree, rendered, unit.qualname) == _shape(
            theirs_tree, theirs_tree, unit.qualname
        ):
            carried[unit.qualname] = unit_source(ours, own)
        else:
            set_aside.append(SetAside(own.id, "signature changed", unit_source(ours, own)))
    for name, own in mine.items():
        if top_definition(old_tree, name) is not None and _has_code(own, ours_tree):
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
        node.name for node in old_tree.body if isinstance(node, DefinitionNode)
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


def _shape(tree: ast.Module, rendered: ast.Module, name: str) -> tuple[str, ...]:
    """What must not change for a body to stay: the signatures the render gave the unit.

    For a class: its decorators, and the signature of each method `rendered` leaves to fill (a
    property's setter apart from its getter). A new base or a new field leaves the bodies
    where they were, and so does the constructor the template renders whole from the fields
    (its signature changes with them): the bodies still fit, the spec_hash leaves that
    structure out, and `filler update` re-runs the tests of every body it kept. A function's
    `@overload` signatures are not its own: its spec_hash covers them.
    """
    node = implementation(tree, name)
    if node is None:
        return ()
    if not isinstance(node, ast.ClassDef):
        return (signature_dump(node),)
    template = implementation(rendered, name)
    names = (
        [key for key, method in members_by_key(template).items() if is_stub(method)]
        if isinstance(template, ast.ClassDef)
        else members_by_key(node)
    )
    methods = members_by_key(node)
    return (
        "class",
        *map(ast.dump, node.decorator_list),
        *(f"{m}\n{signature_dump(methods[m])}" if m in methods else m for m in sorted(names)),
    )


def _has_code(unit: Unit, tree: ast.Module) -> bool:
    """Whether any of the unit's bodies is more than the stub."""
    if not unit.is_stub:
        return True
    node = top_definition(tree, unit.qualname)
    return isinstance(node, ast.ClassDef) and set(unit.targets) != set(members_by_key(node))
