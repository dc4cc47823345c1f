"""The libcst transformers `filler.source.merge.merge` is made of, one small job each.

`NormalizeIndent` re-indents a reply like the module it goes into; `ReplaceBody` swaps the
statements after a function's docstring; `AddMethods` appends a class's new methods;
`AddHelpers` puts module-level helpers before their first use; `AddImports` adds import lines
without touching one already there. Each changes only what it names: every other line of the
module stays byte-identical. This is the one module that imports `libcst.codemod` (slow to
import), so code that only asks questions about source imports `filler.source.syntax` instead.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Mapping, Sequence

import libcst as cst
from libcst.codemod.visitors import AddImportsVisitor

from filler.source.concrete import names_read, split_docstring, statements_of
from filler.source.syntax import definition_names

__all__ = [
    "AddHelpers",
    "AddImports",
    "AddMethods",
    "Definition",
    "NormalizeIndent",
    "ReplaceBody",
    "Statement",
    "is_overload",
    "member_key",
]

Definition = cst.FunctionDef | cst.ClassDef
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement
# `@value.setter` and `@value.deleter` define `value` again: the property's other accessors.
_ACCESSORS = frozenset({"setter", "deleter"})


class NormalizeIndent(cst.CSTTransformer):
    """Make every block of a reply use the indentation of the module it is merged into.

    libcst stores a block's indent only where it differs from the module's default, so blocks
    without one follow whatever module they end up in: 2-space and tab replies come out in the
    skeleton's indentation.
    """

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        return updated_node.with_changes(indent=None)


class ReplaceBody(cst.CSTTransformer):
    """Swap the statements after the docstring of the functions at the given paths.

    A path is the chain of enclosing names: ("word_tokens",) or ("Vocabulary", "add"); a
    property's setter and deleter are named as `filler.source.units.member_key` names them
    (("Box", "value.setter")), apart from their getter; an `@overload` signature of that name is
    never one. The function's decorators, `def` line (with its comment), docstring and the
    block's trailing comments stay; a path with no statements leaves its function alone.
    """

    def __init__(self, bodies: Mapping[tuple[str, ...], Sequence[cst.BaseStatement]]) -> None:
        super().__init__()
        self._bodies = bodies
        self._path: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Targets are top-level functions and methods of top-level classes: no other statement,
        # and no expression, needs a visit.
        if isinstance(node, cst.Module | cst.IndentedBlock):
            return True
        return isinstance(node, cst.ClassDef | cst.FunctionDef) and super().on_visit(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self._path.append(node.name.value)
        return True

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self._path.pop()
        return updated_node

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        # "" matches no path: an overload's `...` is its whole body, never the target's
        self._path.append("" if is_overload(node) else member_key(node))
        return False  # targets are never nested in functions

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        statements = self._bodies.get(tuple(self._path))
        self._path.pop()
        if not statements:
            return updated_node
        docstring, _ = split_docstring(statements_of(updated_node.body))
        kept = [docstring] if docstring is not None else []
        body = updated_node.body
        if isinstance(body, cst.IndentedBlock):
            return updated_node.with_changes(body=body.with_changes(body=[*kept, *statements]))
        assert isinstance(body, cst.SimpleStatementSuite)
        block = cst.IndentedBlock(header=body.trailing_whitespace, body=[*kept, *statements])
        return updated_node.with_changes(body=block)


class _ModuleStatements(cst.CSTTransformer):
    """A transformer that rewrites the module's own statement list and visits nothing below."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Module)


class AddMethods(_ModuleStatements):
    """Add new methods to a top-level class: after its last method, an `__init__` before its
    first (where a reader looks for it)."""

    def __init__(self, class_name: str, methods: Sequence[cst.FunctionDef]) -> None:
        super().__init__()
        self._class_name = class_name
        self._methods = [_spaced(method, 1) for method in methods]

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self._methods:
            return updated_node
        return updated_node.with_changes(body=[self._extend(s) for s in updated_node.body])

    def _extend(self, statement: Statement) -> Statement:
        if not (isinstance(statement, cst.ClassDef) and statement.name.value == self._class_name):
            return statement
        block = statement.body
        assert isinstance(block, cst.IndentedBlock)
        members = list(block.body)
        functions = [i for i, s in enumerate(members) if isinstance(s, cst.FunctionDef)]
        first, last = (functions[0], functions[-1] + 1) if functions else (len(members),) * 2
        init = [method for method in self._methods if _is_init(method)]
        rest = [method for method in self._methods if not _is_init(method)]
        members[last:last] = rest
        members[first:first] = init
        return statement.with_changes(body=block.with_changes(body=members))


class AddHelpers(_ModuleStatements):
    """Insert module-level helpers, in the reply's order, before the first statement using them.

    With no user, they go right before the unit (`anchor`) they were written for. A statement
    uses a name it mentions anywhere; a local variable of the same name only moves them up.
    """

    def __init__(self, anchor: str, helpers: Sequence[Statement]) -> None:
        super().__init__()
        self._anchor = anchor
        self._helpers = [_spaced(helper, 2) for helper in helpers]

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self._helpers:
            return updated_node
        names = set().union(*(_bound_by(helper) for helper in self._helpers))
        body = list(updated_node.body)
        users = [i for i, statement in enumerate(body) if names_read(statement) & names]
        anchors = [
            i
            for i, statement in enumerate(body)
            if isinstance(statement, Definition) and statement.name.value == self._anchor
        ]
        index = min(users + anchors, default=len(body))
        body[index:index] = self._helpers
        return updated_node.with_changes(body=body)


class AddImports(AddImportsVisitor):
    """libcst's `AddImportsVisitor`, except that it never rewrites an import already there.

    The stock visitor adds a name to an existing `from x import a` line; here that name gets a
    line of its own, so every line of the skeleton stays byte-identical. New imports that end up
    right after the module docstring get a blank line between them.
    """

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.ImportFrom:
        return updated_node

    def visit_Module(self, node: cst.Module) -> None:
        # libcst's gatherer of the imports already there reads only the simple statements that
        # open the module, yet walks all of it to get there (about half a merge's CPU); it is
        # shown only those.
        opening = itertools.takewhile(lambda s: isinstance(s, cst.SimpleStatementLine), node.body)
        super().visit_Module(node.with_changes(body=list(opening)))

    # Only the module's top-level imports matter; skipping bodies keeps the merge fast.
    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        module = super().leave_Module(original_node, updated_node)
        body = list(module.body)
        if (
            len(body) > 1
            and split_docstring(body[:1])[0] is not None
            and not any(body[1] is statement for statement in updated_node.body)
            and not body[1].leading_lines
        ):
            body[1] = body[1].with_changes(leading_lines=[cst.EmptyLine()])
        return module.with_changes(body=body)


def member_key(function: cst.FunctionDef) -> str:
    """`filler.source.units.member_key` of a libcst function: `value.setter` for the setter of
    the property `value`, else its name. (Here again because units must not load libcst.)"""
    name = function.name.value
    for decorator in function.decorators:
        expression = decorator.decorator
        if (
            isinstance(expression, cst.Attribute)
            and expression.attr.value in _ACCESSORS
            and isinstance(expression.value, cst.Name)
            and expression.value.value == name
        ):
            return f"{name}.{expression.attr.value}"
    return name


def is_overload(statement: cst.CSTNode) -> bool:
    """`filler.source.units.is_overload` of a libcst statement: a function decorated
    `@overload` or `@typing.overload`."""
    if not isinstance(statement, cst.FunctionDef):
        return False
    decorators = [d.decorator for d in statement.decorators]
    names = [d.attr if isinstance(d, cst.Attribute) else d for d in decorators]
    return any(isinstance(name, cst.Name) and name.value == "overload" for name in names)


def _is_init(statement: Statement) -> bool:
    return isinstance(statement, cst.FunctionDef) and statement.name.value == "__init__"


def _spaced(statement: Statement, blank_lines: int) -> Statement:
    """The statement with exactly `blank_lines` empty lines above its own comments."""
    leading = list(statement.leading_lines)
    while leading and leading[0].comment is None:
        leading.pop(0)
    return statement.with_changes(
        leading_lines=[cst.EmptyLine(indent=False) for _ in range(blank_lines)] + leading
    )


def _bound_by(statement: Statement) -> frozenset[str]:
    nodes = ast.parse(cst.Module(body=[statement]).code).body
    return frozenset().union(*(definition_names(node) or () for node in nodes))
