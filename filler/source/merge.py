"""Put a candidate into a skeleton with libcst: `merge(module_source, unit, candidate) -> str`.

Only bodies move. Each target keeps its `def` line (with its comment), decorators and the
skeleton's docstring; the statements after that docstring become the candidate's (a docstring
the candidate brought is dropped). Around the unit, the candidate may add the imports its code
reads (through libcst's `AddImportsVisitor`, never editing an import line already there),
module-level definitions of names the skeleton does not bind (placed right before their first
use) and, for a class, methods it does not have yet (placed after its last method). Everything
else in the reply (the module docstring, echoed definitions, a `__main__` block, stray
statements, unused imports) is ignored, and every other line of the skeleton stays
byte-identical.

`merge` trusts its candidate: `filler.gates.judge.judge` checks a candidate, explains what is
wrong with it, and only then merges it. Each transformer below does one job. The questions it
asks about a top-level statement (what it defines, whether it imports the module itself, is a
docstring or the main block) are public: the gates, `filler.source.structural` and
`filler.readme` ask them too.
"""

from __future__ import annotations

import ast
import symtable
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import libcst as cst
from libcst.codemod import CodemodContext
from libcst.codemod.visitors import AddImportsVisitor

if TYPE_CHECKING:
    from filler.fill.extract import Candidate
    from filler.source.units import Unit

__all__ = [
    "AddHelpers",
    "AddImports",
    "AddMethods",
    "NormalizeIndent",
    "ReplaceBody",
    "definition_names",
    "imports_itself",
    "is_docstring",
    "is_main_guard",
    "merge",
    "module_bindings",
    "parsed",
    "split_docstring",
    "statements_of",
    "tree_of",
]

Definition = cst.FunctionDef | cst.ClassDef
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


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
    read = set().union(*map(_reads, written))
    needed = [arguments for node in imports for arguments in _needed(node, read)]
    if not needed:
        return tree.code
    context = CodemodContext()
    for module, obj, asname, relative in needed:
        AddImportsVisitor.add_needed_import(context, module, obj, asname, relative)
    return AddImports(context).transform_module(tree).code


@lru_cache(maxsize=32)
def parsed(source: str) -> cst.Module:
    """`cst.parse_module`, once per text: the gates and the merge read a reply more than once,
    and every reply of a module is merged into the same text. libcst trees are immutable, so
    sharing one is safe."""
    return cst.parse_module(source)


@lru_cache(maxsize=64)
def tree_of(source: str) -> ast.Module:
    """`ast.parse`, once per text: finding units, judging and carrying verdicts read one text
    several times. The tree is shared, so callers only read it."""
    return ast.parse(source)


def _reply_target(reply: cst.Module, qualname: str) -> Definition | None:
    """The reply's last top-level definition of `qualname` (Python keeps the last one too)."""
    found = [
        statement
        for statement in reply.body
        if isinstance(statement, Definition) and statement.name.value == qualname
    ]
    return found[-1] if found else None


def split_docstring(
    body: Sequence[cst.BaseStatement],
) -> tuple[cst.BaseStatement | None, list[cst.BaseStatement]]:
    """A block's docstring statement (or None) and the statements after it."""
    if body and _is_docstring_line(body[0]):
        return body[0], list(body[1:])
    return None, list(body)


def _is_docstring_line(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def statements_of(suite: cst.BaseSuite) -> list[cst.BaseStatement]:
    """The statements of a block, also of a one-line `def f(): return 1`."""
    if isinstance(suite, cst.IndentedBlock):
        return list(suite.body)
    assert isinstance(suite, cst.SimpleStatementSuite)
    return [cst.SimpleStatementLine(body=[small]) for small in suite.body]


def definition_names(statement: ast.stmt) -> frozenset[str] | None:
    """Names a top-level definition binds (`def`, `class`, `NAME = ...`, `NAME: T = ...`).

    None for every other statement: imports, calls, loops, and assignments to attributes or
    items (which change an existing object instead of defining a name).
    """
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return frozenset({statement.name})
    if isinstance(statement, ast.Assign):
        names = [_target_names(target) for target in statement.targets]
        if all(group is not None for group in names):
            return frozenset(name for group in names if group for name in group)
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return frozenset({statement.target.id})
    return None


def _target_names(target: ast.expr) -> list[str] | None:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        groups = [_target_names(element) for element in target.elts]
        if all(group is not None for group in groups):
            return [name for group in groups if group for name in group]
    return None


@lru_cache(maxsize=32)  # the gates and the merge ask for the same skeleton's
def module_bindings(source: str) -> frozenset[str]:
    """Every name the module binds at its top level (also inside `if`/`try` blocks)."""
    table = symtable.symtable(source, "<module>", "exec")
    return frozenset(
        symbol.get_name()
        for symbol in table.get_symbols()
        if symbol.is_assigned() or symbol.is_imported()
    )


def imports_itself(statement: ast.Import | ast.ImportFrom, module: str) -> bool:
    """Whether an import statement imports the module it stands in (`module` is dotted)."""
    if isinstance(statement, ast.Import):
        return any(alias.name == module for alias in statement.names)
    source = statement.module or ""
    if statement.level:
        # A module's own package is one level up: `from . import x` in a.b.c means a.b.
        if module.count(".") < statement.level:
            return False
        package = module.rsplit(".", statement.level)[0]
        source = f"{package}.{source}" if source else package
    if source == module:
        return True
    return any(f"{source}.{alias.name}" == module for alias in statement.names)


def is_docstring(statement: ast.stmt) -> bool:
    """Whether the statement is a string on its own (a docstring where it opens a block)."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def is_main_guard(statement: ast.stmt) -> bool:
    """Whether the statement is an `if` comparing `__name__` with "__main__": the main block."""
    if not isinstance(statement, ast.If) or not isinstance(statement.test, ast.Compare):
        return False
    parts = [statement.test.left, *statement.test.comparators]
    names = {part.id for part in parts if isinstance(part, ast.Name)}
    texts = {part.value for part in parts if isinstance(part, ast.Constant)}
    return names == {"__name__"} and texts == {"__main__"} and len(parts) == 2


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
        statement.name.value: statement
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
        method.name.value
        for statement in skeleton.body
        if isinstance(statement, cst.ClassDef) and statement.name.value == target.name.value
        for method in statements_of(statement.body)
        if isinstance(method, Definition)
    }
    return [
        statement
        for statement in statements_of(target.body)
        if isinstance(statement, cst.FunctionDef) and statement.name.value not in existing
    ]


def _spaced(statement: Statement, blank_lines: int) -> Statement:
    """The statement with exactly `blank_lines` empty lines above its own comments."""
    leading = list(statement.leading_lines)
    while leading and leading[0].comment is None:
        leading.pop(0)
    return statement.with_changes(
        leading_lines=[cst.EmptyLine(indent=False) for _ in range(blank_lines)] + leading
    )


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

    A path is the chain of enclosing names: ("word_tokens",) or ("Vocabulary", "add"). The
    function's decorators, `def` line (with its comment), docstring and the block's trailing
    comments stay; a path with no statements leaves its function alone.
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
        self._path.append(node.name.value)
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


class AddMethods(cst.CSTTransformer):
    """Append new methods to a top-level class, after its last method."""

    def __init__(self, class_name: str, methods: Sequence[cst.FunctionDef]) -> None:
        super().__init__()
        self._class_name = class_name
        self._methods = [_spaced(method, 1) for method in methods]

    def on_visit(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Module)  # works on the module's statements only

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
        last = max((i for i, s in enumerate(members) if isinstance(s, cst.FunctionDef)), default=-1)
        members[last + 1 : last + 1] = self._methods
        return statement.with_changes(body=block.with_changes(body=members))


class _NamesRead(cst.CSTVisitor):
    """Collect the names a node reads (an attribute's own name is not a read of that name)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False


def _reads(statement: cst.CSTNode) -> set[str]:
    collector = _NamesRead()
    statement.visit(collector)
    return collector.names


class AddHelpers(cst.CSTTransformer):
    """Insert module-level helpers, in the reply's order, before the first statement using them.

    With no user, they go right before the unit (`anchor`) they were written for. A statement
    uses a name it mentions anywhere; a local variable of the same name only moves them up.
    """

    def __init__(self, anchor: str, helpers: Sequence[Statement]) -> None:
        super().__init__()
        self._anchor = anchor
        self._helpers = [_spaced(helper, 2) for helper in helpers]

    def on_visit(self, node: cst.CSTNode) -> bool:
        return isinstance(node, cst.Module)  # works on the module's statements only

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        if not self._helpers:
            return updated_node
        names = set().union(*(_bound_by(helper) for helper in self._helpers))
        body = list(updated_node.body)
        users = [i for i, statement in enumerate(body) if _reads(statement) & names]
        anchors = [
            i
            for i, statement in enumerate(body)
            if isinstance(statement, Definition) and statement.name.value == self._anchor
        ]
        index = min(users + anchors, default=len(body))
        body[index:index] = self._helpers
        return updated_node.with_changes(body=body)


def _bound_by(statement: Statement) -> frozenset[str]:
    nodes = ast.parse(cst.Module(body=[statement]).code).body
    return frozenset().union(*(definition_names(node) or () for node in nodes))


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
            and _is_docstring_line(body[0])
            and not any(body[1] is statement for statement in updated_node.body)
            and not body[1].leading_lines
        ):
            body[1] = body[1].with_changes(leading_lines=[cst.EmptyLine()])
        return module.with_changes(body=body)
