"""Put a candidate into a skeleton with libcst: `merge(module_source, unit, candidate) -> str`.

Only bodies move. Each target keeps its `def` line (with its comment), decorators and the
skeleton's docstring; the statements after that docstring become the candidate's (a docstring
the candidate brought is dropped). Around the unit, the candidate may add the imports its code
reads (through libcst's `AddImportsVisitor`, never editing an import line already there),
module-level definitions of names the skeleton does not bind (placed right before their first
use) and, for a class, methods it does not have yet (placed after its last method, an
`__init__` before its first; a private one without its docstring). Everything else in the
reply (the module docstring, echoed definitions, a `__main__` block, stray statements, unused
imports) is ignored, and every other line of the skeleton stays byte-identical.

`merge` trusts its candidate: `filler.gates.judge.judge` checks a candidate, explains what is
wrong with it, and only then merges it. The transformers it applies, one job each, are in
`filler.source.transforms`; the questions it asks about a statement are in
`filler.source.syntax`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

from filler.source.concrete import names_read, parsed, split_docstring, statements_of
from filler.source.syntax import (
    definition_names,
    imports_itself,
    is_public_or_dunder,
    module_bindings,
)
from filler.source.transforms import (
    AddHelpers,
    AddImports,
    AddMethods,
    Definition,
    NormalizeIndent,
    ReplaceBody,
    Statement,
    member_key,
)

if TYPE_CHECKING:
    from filler.fill.extract import Candidate
    from filler.source.units import Unit

__all__ = ["merge"]


def merge(module_source: str, unit: Unit, candidate: Candidate) -> str:
    """The module with the candidate's bodies, needed imports and new helpers merged in.

    A candidate that does not define the unit leaves the module as it is.
    """
    reply = parsed(candidate.code).visit(NormalizeIndent())
    target = _reply_target(reply, unit.qualname)
    if target is None:
        return module_source
    skeleton = parsed(module_source)
    bound = module_bindings(module_source)
    bodies = _bodies(unit, target)
    methods = _new_methods(skeleton, target) if isinstance(target, cst.ClassDef) else []
    helpers: list[Statement] = []
    imports: list[ast.Import | ast.ImportFrom] = []
    for statement in reply.body:
        nodes = ast.parse(reply.code_for_node(statement)).body
        found = [node for node in nodes if isinstance(node, ast.Import | ast.ImportFrom)]
        if nodes and len(found) == len(nodes):
            imports += [node for node in found if not imports_itself(node, unit.module)]
        elif len(nodes) == 1 and _is_new_definition(nodes[0], bound):
            helpers.append(statement)
    tree = skeleton.visit(ReplaceBody(bodies))
    tree = tree.visit(AddMethods(unit.qualname, methods))
    tree = tree.visit(AddHelpers(unit.qualname, helpers))
    written = [s for statements in bodies.values() for s in statements] + methods + helpers
    read = set().union(*map(names_read, written))
    needed = [arguments for node in imports for arguments in _needed(node, read)]
    if not needed:
        return tree.code
    context = CodemodContext()
    for module, obj, asname, relative in needed:
        AddImportsVisitor.add_needed_import(context, module, obj, asname, relative)
    return AddImports(context).transform_module(tree).code


def _reply_target(reply: cst.Module, qualname: str) -> Definition | None:
    """The reply's last top-level definition of `qualname` (Python keeps the last one too)."""
    found = [
        statement
        for statement in reply.body
        if isinstance(statement, Definition) and statement.name.value == qualname
    ]
    return found[-1] if found else None


def _is_new_definition(statement: ast.stmt, bound: frozenset[str]) -> bool:
    names = definition_names(statement)
    return names is not None and bool(names) and not names & bound


def _needed(
    node: ast.Import | ast.ImportFrom, read: set[str]
) -> Iterator[tuple[str, str | None, str | None, int]]:
    """The names of an import that the merged code reads, as `add_needed_import` arguments.

    A reply's unused imports would fail the project's `ruff check`, so they stay out;
    `__future__` imports change how the module compiles, so they always go in.
    """
    for alias in node.names:
        if isinstance(node, ast.Import):
            if (alias.asname or alias.name.split(".")[0]) in read:
                yield alias.name, None, alias.asname, 0
        elif alias.name != "*" and (
            node.module == "__future__" or (alias.asname or alias.name) in read
        ):
            yield node.module or "", alias.name, alias.asname, node.level


def _bodies(unit: Unit, target: Definition) -> dict[tuple[str, ...], list[cst.BaseStatement]]:
    """The new statements for each target, keyed by its path: ("f",) or ("Class", "method")."""
    if isinstance(target, cst.FunctionDef):
        return {(unit.qualname,): split_docstring(statements_of(target.body))[1]}
    methods = {
        member_key(statement): statement
        for statement in statements_of(target.body)
        if isinstance(statement, cst.FunctionDef)
    }
    return {
        (unit.qualname, name): split_docstring(statements_of(methods[name].body))[1]
        for name in unit.targets
        if name in methods
    }


def _new_methods(skeleton: cst.Module, target: cst.ClassDef) -> list[cst.FunctionDef]:
    existing = {
        member_key(method) if isinstance(method, cst.FunctionDef) else method.name.value
        for statement in skeleton.body
        if isinstance(statement, cst.ClassDef) and statement.name.value == target.name.value
        for method in statements_of(statement.body)
        if isinstance(method, Definition)
    }
    return [
        statement if is_public_or_dunder(statement.name.value) else _undocumented(statement)
        for statement in statements_of(target.body)
        if isinstance(statement, cst.FunctionDef) and member_key(statement) not in existing
    ]


def _undocumented(method: cst.FunctionDef) -> cst.FunctionDef:
    """A helper method without its docstring: a private method with one is one the spec lists
    (`filler.source.units`), and a fill's helper must not look like one."""
    docstring, rest = split_docstring(statements_of(method.body))
    if docstring is None or not rest or not isinstance(method.body, cst.IndentedBlock):
        return method
    return method.with_changes(body=method.body.with_changes(body=rest))
