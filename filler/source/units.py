"""Find a module's units, what filler fills, and the two hashes that decide when to fill them.

A unit is a public top-level function, or a public top-level class with the methods filler writes
(its targets). A stub's body is, after its docstring, exactly `raise NotImplementedError` (or
`raise NotImplementedError()`). A class with stub methods targets only those (private ones too:
the spec lists them); a class without targets the methods the spec lists: its public and dunder
methods and its private methods with a docstring (what `--force` re-fills), but not a
constructor that only stores its parameters (`self.x = x`: the template renders it whole for a
class with fields, so a class with no other method is no unit). A method is named by
its `member_key`: its name, or `value.setter` / `value.deleter` for a property's other accessors,
so a getter and its setter are two targets. Async functions, generators, static and class
methods are targets like any other. `@abstractmethod` and `@overload` functions, `Protocol`
classes, private top-level names and names defined twice are never targets, and a class with no
targets is not a unit. The `@overload` signatures of a function declare it, they define
nothing: the implementation after them is the unit (or the target), and they go with it
(its `spec_hash` covers them).

- `spec_hash` covers what the spec decides: the module docstring (the feature description) and
  the unit's signatures (`ast.dump` of decorators, parameters, return annotation, async-ness) and
  cleaned docstrings; for a class also its decorators, its docstring and every public and
  dunder method, stub or filled (a private method's signature is covered by `filler update`'s
  structural merge). What the template renders from the class's structure is left out (its
  bases, the docstring's Attributes section, a constructor that only stores the fields), from
  `body_sha` too: a new field or base keeps the bodies, and `filler update` re-tests them.
  Formatting and comments never change it. `version_2_hashes` gives both as lock files
  version 2 recorded them, for their migration.
- `body_sha` covers the code after the docstrings: the function's, or every method's of the
  class (including private helpers a fill added), and the comments in it. It compares syntax
  trees and comment texts (stripped of their `#` and spaces), so `ruff format` is not an edit,
  a docstring change never changes it, and a comment a person adds is one. A body's comments
  are those from its first line after the docstring to its last statement, and those right
  after it indented at least as deep as its statements (where `ruff format` keeps them).
  `legacy_body_sha` is the hash of lock files version 1, syntax trees only, for their migration.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import tokenize
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, TypeGuard

from filler.errors import ProjectError
from filler.source.syntax import (
    DefinitionNode,
    FunctionNode,
    body_after_docstring,
    is_docstring,
    is_public,
    is_public_or_dunder,
    is_stub,
    methods_of,
    top_definition,
    tree_of,
)

if TYPE_CHECKING:
    import libcst as cst

__all__ = [
    "Unit",
    "body_sha",
    "find_unit",
    "find_units",
    "implementation",
    "is_overload",
    "legacy_body_sha",
    "member_key",
    "members_by_key",
    "reset_to_stub",
    "signature_dump",
    "unit_source",
    "version_2_hashes",
]

_NEVER_TARGETS = frozenset({"abstractmethod", "overload"})
# `@value.setter` and `@value.deleter` define `value` again: the property's other accessors.
_ACCESSORS = frozenset({"setter", "deleter"})


class UnitKind(StrEnum):
    """What a unit is: its prompts, its gates and where its bodies go differ by kind."""

    FUNCTION = "function"
    CLASS = "class"


@dataclass(frozen=True)
class Unit:
    """One thing filler fills: a top-level function, or a class with its target methods."""

    id: str  # "textkit.tokenize:word_tokens"
    module: str  # "textkit.tokenize"
    qualname: str  # "word_tokens" | "Vocabulary" | "main"
    path: Path  # the file, relative to the project root
    kind: UnitKind
    targets: tuple[str, ...]  # whose bodies get written: ("word_tokens",) or ("__init__", "add")
    is_stub: bool  # some target still has the stub body
    spec_hash: str  # sha256 hex of the normalised spec parts
    body_sha: str  # sha256 hex of the non-docstring code and its comments
    line: int  # 1-based line of the def/class


def find_units(source: str, module: str, path: Path) -> list[Unit]:
    """Every unit of a module, in source order. Plain `ast`: this runs for every file, every run."""
    return list(_units(source, module, path))


def find_unit(source: str, module: str, path: Path, qualname: str) -> Unit | None:
    """The unit `qualname` of a module, or None; hashes only that one."""
    return next(_units(source, module, path, only=qualname), None)


def _units(source: str, module: str, path: Path, only: str | None = None) -> Iterator[Unit]:
    tree = tree_of(source)
    definitions = [node for node in tree.body if _is_definition(node)]
    repeated = _repeated(definitions)
    feature = ast.get_docstring(tree) or ""
    for node in definitions:
        if not is_public(node.name) or node.name in repeated or only not in (None, node.name):
            continue
        targets, stubs = _targets(node)
        if not targets:
            continue
        yield Unit(
            id=f"{module}:{node.name}",
            module=module,
            qualname=node.name,
            path=path,
            kind=UnitKind.CLASS if isinstance(node, ast.ClassDef) else UnitKind.FUNCTION,
            targets=targets,
            is_stub=bool(stubs),
            spec_hash=_with_overloads(_spec_hash(feature, node), tree, node),
            body_sha=_body_sha(node, source),
            line=node.lineno,
        )


def unit_source(source: str, unit: Unit) -> str:
    """The unit's code as it stands in `source`: decorators, header, docstrings and bodies; a
    function's `@overload` signatures right before it come with it."""
    # libcst is imported by the functions that change or cut source: finding units and their
    # hashes (all that `filler status` does) needs `ast` alone.
    from filler.source.concrete import parsed
    from filler.source.transforms import is_overload

    tree = parsed(source)
    found = _find(tree, unit)
    start = tree.body.index(found)
    while start and is_overload(tree.body[start - 1]):
        start -= 1
    first, *rest = tree.body[start : tree.body.index(found) + 1]
    nodes = [first.with_changes(leading_lines=[]), *rest]
    return "".join(tree.code_for_node(node) for node in nodes)


def reset_to_stub(source: str, unit: Unit) -> str:
    """The module with every target of the unit stubbed again (its docstrings kept)."""
    # Imported here: the transformers' module loads libcst.codemod, which takes a second, and
    # finding units runs for every command.
    import libcst as cst

    from filler.source.concrete import parsed
    from filler.source.transforms import ReplaceBody

    tree = parsed(source)
    _find(tree, unit)
    stub = [cst.parse_statement("raise NotImplementedError\n")]
    owner = () if unit.kind is UnitKind.FUNCTION else (unit.qualname,)
    paths = [(*owner, target) for target in unit.targets]
    return tree.visit(ReplaceBody(dict.fromkeys(paths, stub))).code


def body_sha(source: str, qualname: str) -> str:
    """`Unit.body_sha` of the top-level function or class `qualname` in `source`."""
    return _body_sha(_top_definition(source, qualname), source)


def legacy_body_sha(source: str, qualname: str) -> str:
    """`body_sha` as lock files version 1 recorded it: the code's syntax trees, no comments."""
    node = _top_definition(source, qualname)
    functions = methods_of(node) if isinstance(node, ast.ClassDef) else [node]
    return _sha256([f"{f.name}\n{_code_after_docstring(f)}" for f in functions])


def version_2_hashes(source: str, qualname: str) -> tuple[str, str]:
    """`spec_hash` and `body_sha` as lock files version 2 recorded them (for their migration):
    a class's also covered its bases, its docstring's Attributes section and a constructor
    that only stores its fields."""
    node = _top_definition(source, qualname)
    feature = ast.get_docstring(tree_of(source)) or ""
    return _spec_hash(feature, node, structure=True), _body_sha(node, source, structure=True)


def _top_definition(source: str, qualname: str) -> DefinitionNode:
    node = implementation(tree_of(source), qualname)
    if node is None:
        raise ProjectError(f"{qualname} is not defined in this module")
    return node


def is_overload(function: FunctionNode) -> bool:
    """Whether the function is an `@overload` signature (`typing.overload` or `overload`)."""
    return any(_last_name(d) == "overload" for d in function.decorator_list)


def implementation(tree: ast.Module, name: str) -> DefinitionNode | None:
    """The module's top-level function or class `name`, its `@overload` signatures aside."""
    node = top_definition(tree, name)
    if node is None or _is_definition(node):
        return node
    found = (n for n in tree.body if isinstance(n, DefinitionNode) and n.name == name)
    return next((n for n in found if _is_definition(n)), None)


def _with_overloads(spec_hash: str, tree: ast.Module, node: DefinitionNode) -> str:
    """A function's `spec_hash` covering its `@overload` signatures too, which the spec decides
    (a class's covers its methods' already; without overloads the hash is unchanged)."""
    overloads = [
        n
        for n in tree.body
        if isinstance(n, FunctionNode) and n.name == node.name and is_overload(n)
    ]
    return _sha256([spec_hash, *map(signature_dump, overloads)]) if overloads else spec_hash


def _is_definition(node: ast.stmt) -> TypeGuard[DefinitionNode]:
    """A top-level def or class, but not an `@overload` signature."""
    return isinstance(node, DefinitionNode) and not (
        isinstance(node, FunctionNode) and is_overload(node)
    )


def signature_dump(node: FunctionNode) -> str:
    """A function's signature as plain structure: name, async-ness, decorators, args, returns."""
    parts = [type(node).__name__, node.name, *map(ast.dump, node.decorator_list)]
    parts += [ast.dump(node.args), ast.dump(node.returns) if node.returns else ""]
    return "\n".join(parts)


def member_key(function: FunctionNode) -> str:
    """The name a class member goes by as a target: its name, or `value.setter` for the setter
    of the property `value` (and `value.deleter`), which shares the getter's name."""
    for decorator in function.decorator_list:
        if (
            isinstance(decorator, ast.Attribute)
            and decorator.attr in _ACCESSORS
            and isinstance(decorator.value, ast.Name)
            and decorator.value.id == function.name
        ):
            return f"{function.name}.{decorator.attr}"
    return function.name


def members_by_key(klass: ast.ClassDef) -> dict[str, FunctionNode]:
    """A class's methods by `member_key` (a key defined twice: the last, as Python keeps it)."""
    return {member_key(method): method for method in methods_of(klass)}


def _find(tree: cst.Module, unit: Unit) -> cst.FunctionDef | cst.ClassDef:
    import libcst as cst

    from filler.source.transforms import is_overload

    for statement in tree.body:
        if (
            isinstance(statement, cst.FunctionDef | cst.ClassDef)
            and statement.name.value == unit.qualname
            and not is_overload(statement)
        ):
            return statement
    raise ProjectError(f"{unit.id} is no longer defined in {unit.path}")


def _repeated(definitions: Sequence[ast.stmt]) -> set[str]:
    counts = Counter(node.name for node in definitions if isinstance(node, DefinitionNode))
    return {name for name, count in counts.items() if count > 1}


def _last_name(expression: ast.expr) -> str:
    if isinstance(expression, ast.Call | ast.Subscript):
        expression = expression.func if isinstance(expression, ast.Call) else expression.value
    if isinstance(expression, ast.Attribute):
        return expression.attr
    return expression.id if isinstance(expression, ast.Name) else ""


def _never_target(function: FunctionNode) -> bool:
    return any(_last_name(d) in _NEVER_TARGETS for d in function.decorator_list)


def _targets(definition: DefinitionNode) -> tuple[tuple[str, ...], set[str]]:
    """The unit's targets and which of them are stubs; no targets: not a unit."""
    if not isinstance(definition, ast.ClassDef):
        if _never_target(definition):
            return (), set()
        return (definition.name,), {definition.name} if is_stub(definition) else set()
    if any(_last_name(base) == "Protocol" for base in definition.bases):
        return (), set()
    members = [member for member in methods_of(definition) if not is_overload(member)]
    keys = Counter(map(member_key, members))
    methods = [
        (member_key(member), member)
        for member in members
        if keys[member_key(member)] == 1 and not _never_target(member)
    ]
    stubs = [key for key, method in methods if is_stub(method)]
    if stubs:
        return tuple(stubs), set(stubs)
    listed = [key for key, method in methods if _listed(method) and not _stores_only(method)]
    return tuple(listed), set()


def _stores_only(method: FunctionNode) -> bool:
    """Whether the method is a constructor that only stores its parameters (`self.x = x`, each
    once, in order): the one the template renders whole for a class with fields. Nothing to
    fill, so never a target, and a class with no other method is no unit."""
    if method.name != "__init__":
        return False
    args = method.args
    names = [arg.arg for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]][1:]
    stored = [_stored_name(statement) for statement in body_after_docstring(method)]
    return bool(names) and stored == names


def _stored_name(statement: ast.stmt) -> str | None:
    """`x` for `self.x = x`, else None."""
    if not isinstance(statement, ast.Assign) or len(statement.targets) != 1:
        return None
    target, value = statement.targets[0], statement.value
    if (
        isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
        and isinstance(value, ast.Name)
        and value.id == target.attr
    ):
        return value.id
    return None


def _listed(method: FunctionNode) -> bool:
    """Whether the spec lists the method: public, a dunder, or private with a docstring (the
    template writes one for every method; a fill's helper methods have theirs dropped)."""
    return is_public_or_dunder(method.name) or ast.get_docstring(method) is not None


def _sha256(parts: Sequence[str]) -> str:
    return hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()


def _spec_hash(feature: str, node: DefinitionNode, *, structure: bool = False) -> str:
    parts = [feature]
    if isinstance(node, ast.ClassDef):
        # What the template renders from a class's structure stays out (its bases, the
        # Attributes section of its docstring, a constructor that only stores the fields): a
        # new field or base leaves the bodies in place, and `filler update` re-runs their tests
        # instead. `structure` puts it back, as lock files version 2 hashed it.
        bases = [*node.bases, *node.keywords] if structure else []
        doc = ast.get_docstring(node) or ""
        doc = doc if structure else _without_attributes(doc)
        parts += ["class", node.name, *map(ast.dump, [*node.decorator_list, *bases]), doc]
        # Private methods stay out, stub or filled: before and after a fill the hash must be
        # the same, and the lock files written before private methods could be listed agree.
        hashed = [
            method
            for method in _written_methods(node, structure)
            if is_public_or_dunder(method.name)
        ]
    else:
        hashed = [node]
    for function in hashed:
        parts += [signature_dump(function), ast.get_docstring(function) or ""]
    return _sha256(parts)


def _code_after_docstring(function: FunctionNode) -> str:
    return "\n".join(ast.dump(statement) for statement in body_after_docstring(function))


def _written_methods(klass: ast.ClassDef, structure: bool) -> list[FunctionNode]:
    """The class's methods but a constructor that only stores its fields (rendered from them,
    so it changes with every field), unless `structure` (lock files version 2 counted it)."""
    return [m for m in methods_of(klass) if structure or not _stores_only(m)]


def _without_attributes(doc: str) -> str:
    """A class docstring without the Attributes section the template ends it with."""
    head, found, section = doc.rpartition("\nAttributes:\n")
    rendered = all(not line or line.startswith(" ") for line in section.splitlines())
    return head.rstrip() if found and rendered else doc


def _body_sha(node: DefinitionNode, source: str, *, structure: bool = False) -> str:
    functions = _written_methods(node, structure) if isinstance(node, ast.ClassDef) else [node]
    comments = _comments_by_line(source)
    # Lines as `ast` numbers them: `\r\n`, `\r` and `\n` each end one.
    lines = io.StringIO(source, newline=None).read().split("\n")
    parts: list[str] = []
    for function in functions:
        parts += [function.name, _code_after_docstring(function)]
        parts += _body_comments(function, comments, lines)
    return _sha256(parts)


@lru_cache(maxsize=64)
def _comments_by_line(source: str) -> Mapping[int, tuple[tuple[int, str], ...]]:
    """The module's comments by line: (column, text without its `#`s and outer spaces)."""
    found: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    try:
        for token in tokenize.generate_tokens(io.StringIO(source, newline=None).readline):
            if token.type == tokenize.COMMENT:
                line, column = token.start
                found[line].append((column, token.string.lstrip("#").strip()))
    except (tokenize.TokenError, SyntaxError):
        pass  # `ast` parsed it, so this is out of reach; without comments the code still counts
    return {line: tuple(comments) for line, comments in found.items()}


def _body_comments(
    function: FunctionNode, comments: Mapping[int, tuple[tuple[int, str], ...]], lines: list[str]
) -> list[str]:
    """The texts of the comments in the function's code, in order (see the module docstring)."""
    first = function.body[0]
    if is_docstring(first):
        start = (first.end_lineno or first.lineno) + 1
    else:
        # Comment lines right above the first statement are the body's; a line holding code
        # (the end of a signature spread over lines) is not.
        start = first.lineno
        while start - 1 > function.lineno and _comment_or_blank(lines[start - 2]):
            start -= 1
    end = function.end_lineno or function.lineno
    texts = [text for line in range(start, end + 1) for _, text in comments.get(line, ())]
    indent = first.col_offset
    for line in range(end + 1, len(lines) + 1):
        if not _comment_or_blank(lines[line - 1]):
            break
        trailing = comments.get(line, ())
        if any(column < indent for column, _ in trailing):
            break
        texts += [text for _, text in trailing]
    return texts


def _comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")
