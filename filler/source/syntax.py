"""The questions filler asks about Python source, and the parse caches they share.

Read-only: nothing here changes a tree. With `ast`: what a top-level statement defines
(`definition_names`), whether it imports the module itself, is a docstring or the main block;
which names a module binds; a function's code after its docstring and whether that code is the
stub (`raise NotImplementedError`); a class's methods; which names are public. The merge, the
gates, the units, the structural merge and the README all ask here, so each question has one
answer. (The same questions about libcst's trees are in `filler.source.concrete`: `ast` alone is
enough for `filler status`, which so never loads libcst.)

`tree_of` and `module_bindings` parse a text once: a reply is judged and merged, and every reply
of a module lands on the same text. The trees are shared, so callers only read them.
"""

from __future__ import annotations

import ast
import re
import symtable
from functools import lru_cache

__all__ = [
    "DefinitionNode",
    "FunctionNode",
    "body_after_docstring",
    "definition_names",
    "imports_itself",
    "is_docstring",
    "is_main_guard",
    "is_public",
    "is_public_or_dunder",
    "is_stub",
    "methods_by_name",
    "methods_of",
    "module_bindings",
    "raises_not_implemented",
    "segment",
    "source_lines",
    "top_definition",
    "tree_of",
]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
DefinitionNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


# The line ends `ast` counts lines by: \r\n, \r and \n (not str.splitlines's \f, \x1c, ...).
_LINE = re.compile(r"[^\r\n]*(?:\r\n?|\n)|[^\r\n]+\Z")


def source_lines(source: str) -> tuple[str, ...]:
    """`source` split into lines, ends kept, as `ast` numbers them: split once for `segment`."""
    return tuple(_LINE.findall(source))


def segment(lines: tuple[str, ...], node: ast.stmt | ast.expr) -> str:
    """What `ast.get_source_segment` gives for `node`, from the source's `source_lines`: that
    function splits the whole source on every call, which made reading a file's tests quadratic."""
    first, last = node.lineno - 1, (node.end_lineno or node.lineno) - 1
    end = node.end_col_offset if node.end_col_offset is not None else len(lines[last].encode())
    if first == last:
        return lines[first].encode()[node.col_offset : end].decode()
    head = lines[first].encode()[node.col_offset :].decode()
    return head + "".join(lines[first + 1 : last]) + lines[last].encode()[:end].decode()


@lru_cache(maxsize=64)
def tree_of(source: str) -> ast.Module:
    """`ast.parse`, once per text: finding units, judging and carrying verdicts read one text
    several times. The tree is shared, so callers only read it."""
    return ast.parse(source)


@lru_cache(maxsize=32)  # the gates and the merge ask for the same skeleton's
def module_bindings(source: str) -> frozenset[str]:
    """Every name the module binds at its top level (also inside `if`/`try` blocks)."""
    table = symtable.symtable(source, "<module>", "exec")
    return frozenset(
        symbol.get_name()
        for symbol in table.get_symbols()
        if symbol.is_assigned() or symbol.is_imported()
    )


def is_public(name: str) -> bool:
    """Whether a name is public: no leading underscore (what the spec and a unit may be)."""
    return not name.startswith("_")


def is_public_or_dunder(name: str) -> bool:
    """Whether a name is public or a dunder (`__init__`): part of how a class is used."""
    return is_public(name) or (name.startswith("__") and name.endswith("__"))


def top_definition(tree: ast.Module, name: str) -> DefinitionNode | None:
    """The module's first top-level function or class called `name`, or None."""
    for node in tree.body:
        if isinstance(node, DefinitionNode) and node.name == name:
            return node
    return None


def methods_of(klass: ast.ClassDef) -> list[FunctionNode]:
    """The functions defined directly in a class body, in order (a name defined twice: both)."""
    return [node for node in klass.body if isinstance(node, FunctionNode)]


def methods_by_name(klass: ast.ClassDef) -> dict[str, FunctionNode]:
    """A class's methods by name (a name defined twice: the last, as Python keeps it)."""
    return {method.name: method for method in methods_of(klass)}


def is_docstring(statement: ast.stmt) -> bool:
    """Whether the statement is a string on its own (a docstring where it opens a block)."""
    return (
        isinstance(statement, ast.Expr)
        and isinstance(statement.value, ast.Constant)
        and isinstance(statement.value.value, str)
    )


def body_after_docstring(node: DefinitionNode) -> list[ast.stmt]:
    """The statements of a function or class after its docstring: its code."""
    return node.body[1:] if is_docstring(node.body[0]) else node.body


def raises_not_implemented(node: ast.AST, *, bare: bool = False) -> bool:
    """Whether `node` is `raise NotImplementedError` (or `NotImplementedError(...)`).

    `bare`: only without arguments, as the stub convention writes it; with a message it may be
    a real "not supported".
    """
    if not isinstance(node, ast.Raise):
        return False
    exc = node.exc
    if isinstance(exc, ast.Call):
        if bare and (exc.args or exc.keywords):
            return False
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def is_stub(function: FunctionNode) -> bool:
    """Whether the function's code after its docstring is exactly the stub the template writes:
    `raise NotImplementedError` (or `raise NotImplementedError()`)."""
    body = body_after_docstring(function)
    only = body[0] if len(body) == 1 else None
    return (
        isinstance(only, ast.Raise)
        and only.cause is None
        and raises_not_implemented(only, bare=True)
    )


def definition_names(statement: ast.stmt) -> frozenset[str] | None:
    """Names a top-level definition binds (`def`, `class`, `NAME = ...`, `NAME: T = ...`).

    None for every other statement: imports, calls, loops, and assignments to attributes or
    items (which change an existing object instead of defining a name).
    """
    if isinstance(statement, DefinitionNode):
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


def is_main_guard(statement: ast.stmt) -> bool:
    """Whether the statement is an `if` comparing `__name__` with "__main__": the main block."""
    if not isinstance(statement, ast.If) or not isinstance(statement.test, ast.Compare):
        return False
    parts = [statement.test.left, *statement.test.comparators]
    names = {part.id for part in parts if isinstance(part, ast.Name)}
    texts = {part.value for part in parts if isinstance(part, ast.Constant)}
    return names == {"__name__"} and texts == {"__main__"} and len(parts) == 2
