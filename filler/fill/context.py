"""What the model is shown about the rest of the project: a unit's visible tests (with the
fixtures and helpers of their test module they use), the package's public API and the module's
imports. Pure functions over source text.

The API is read from the rendered modules themselves, whatever the spec wrote them from: public
functions with their decorators, classes with their decorators, bases, fields, class attributes
and enum members and public methods (properties, static and class methods among them), and
module constants, aliases and type variables. Exception classes are classes like any other, so
the model sees the package's own errors and what they derive from.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from filler.source.syntax import (
    DefinitionNode,
    FunctionNode,
    is_docstring,
    is_public,
    segment,
    source_lines,
)
from filler.spec.syntax import unbound_names

__all__ = [
    "VisibleTest",
    "module_imports",
    "package_api",
    "public_signatures",
    "spec_tests_by_unit",
    "visible_tests_source",
]

# Above this size the package-wide API is cut down to the unit's own module, so small models
# keep room for the unit itself.
API_BUDGET_CHARS = 4000
# A constant's value longer than this is shown as `...`: its name and type are what code uses.
_VALUE_CHARS = 60


@dataclass(frozen=True)
class VisibleTest:
    node_id: str
    source: str
    # the test module's own defs it uses (fixtures, the context managers a property enters,
    # helpers), each with its decorators, in file order: what the test's names mean
    helpers: tuple[str, ...] = ()


def _marked_unit(decorator: ast.expr) -> str | None:
    """The unit id of `@pytest.mark.spec("<unit id>")`, or None for any other decorator."""
    if (
        isinstance(decorator, ast.Call)
        and ast.unparse(decorator.func) in ("pytest.mark.spec", "mark.spec")
        and decorator.args
        and isinstance(decorator.args[0], ast.Constant)
        and isinstance(decorator.args[0].value, str)
    ):
        return decorator.args[0].value
    return None


def _test_functions(tree: ast.Module) -> Iterable[tuple[str, FunctionNode, list[ast.expr]]]:
    """(node id suffix, test function, decorators that apply) for module and class level tests."""
    for node in tree.body:
        if isinstance(node, FunctionNode) and node.name.startswith("test"):
            yield node.name, node, node.decorator_list
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, FunctionNode) and item.name.startswith("test"):
                    yield (
                        f"{node.name}::{item.name}",
                        item,
                        [*node.decorator_list, *item.decorator_list],
                    )


def spec_tests_by_unit(test_files: Mapping[Path, str]) -> dict[str, tuple[VisibleTest, ...]]:
    """Every test marked `@pytest.mark.spec("<unit id>")`, by unit id, with its pytest node id
    and its source. Test files that do not parse are skipped."""
    found: dict[str, list[VisibleTest]] = {}
    for path in sorted(test_files):
        source = test_files[path]
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        helpers = _helpers(tree)
        lines = source.splitlines()
        numbered = source_lines(source)
        for suffix, function, decorators in _test_functions(tree):
            # What a test's own decorators say is part of it (`@given(n=st.integers(1, 6))`:
            # the values n takes); its `spec` mark only says which unit it is for.
            said = [d for d in function.decorator_list if _marked_unit(d) is None]
            text = "".join(f"@{segment(numbered, d)}\n" for d in said) + segment(numbered, function)
            used = [helpers[name] for name in _helpers_used(function, helpers)]
            shown = tuple("\n".join(lines[_first_line_of(d) - 1 : d.end_lineno]) for d in used)
            test = VisibleTest(f"{path.as_posix()}::{suffix}", text, shown)
            for unit_id in dict.fromkeys(filter(None, map(_marked_unit, decorators))):
                found.setdefault(unit_id, []).append(test)
    return {unit_id: tuple(tests) for unit_id, tests in found.items()}


def _helpers(tree: ast.Module) -> dict[str, DefinitionNode]:
    """The module-level defs of a test module that are not tests, by name."""
    return {
        node.name: node
        for node in tree.body
        if isinstance(node, DefinitionNode) and not node.name.lower().startswith("test")
    }


def _reads(node: DefinitionNode) -> set[str]:
    """The names a def may take from its module: its parameters (pytest passes fixtures by
    name) and every name its decorators and body read."""
    if not isinstance(node, FunctionNode):
        return unbound_names([node])
    args = node.args
    names = unbound_names([*node.decorator_list, *args.defaults, *node.body])
    return names | {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}


def _helpers_used(test: FunctionNode, helpers: Mapping[str, DefinitionNode]) -> list[str]:
    """The helpers the test reaches, through other helpers too, in file order."""
    found: set[str] = set()
    pending: list[DefinitionNode] = [test]
    while pending:
        for name in _reads(pending.pop()) & helpers.keys() - found:
            found.add(name)
            pending.append(helpers[name])
    return [name for name in helpers if name in found]


def _first_line_of(node: DefinitionNode) -> int:
    return min([node.lineno, *(d.lineno for d in node.decorator_list)])


def visible_tests_source(tests: Iterable[VisibleTest]) -> str:
    """The tests as a prompt shows them: the helpers they use, each once, then the tests."""
    shown = list(tests)
    helpers = dict.fromkeys(h for test in shown for h in test.helpers)
    return "\n\n\n".join([*helpers, *(test.source for test in shown)])


def _first_line(node: ast.AST) -> str:
    doc = ast.get_docstring(node) if isinstance(node, DefinitionNode) else None
    return _comment(doc)


def _comment(doc: str | None) -> str:
    return f"  # {doc.strip().splitlines()[0]}" if doc and doc.strip() else ""


def _attribute_doc(body: list[ast.stmt], index: int) -> str | None:
    """The string right after statement `index`: an attribute's docstring, as Sphinx reads it."""
    after = body[index + 1] if index + 1 < len(body) else None
    if after is not None and is_docstring(after):
        assert isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
        return str(after.value.value)
    return None


def _signature(node: FunctionNode, indent: str = "", *, documented: bool = True) -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    decorators = "".join(f"{indent}@{ast.unparse(d)}\n" for d in node.decorator_list)
    head = f"{indent}{prefix} {node.name}({ast.unparse(node.args)}){returns}: ..."
    return decorators + head + (_first_line(node) if documented else "")


@lru_cache(maxsize=512)  # each unit's prompt shows every module: each text is read once
def public_signatures(source: str, module: str, *, outline: bool = False) -> str:
    """The module's public API as one-line stubs, under a `# module` heading (see the module
    docstring). An `outline` names without explaining: no doc comments and no class members,
    so a class is its decorators, name and bases (an exception: where it sits in the tree)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    lines = [f"# {module}"]
    for index, node in enumerate(tree.body):
        doc = None if outline else _attribute_doc(tree.body, index)
        if isinstance(node, FunctionNode) and is_public(node.name):
            lines.append(_signature(node, documented=not outline))
        elif isinstance(node, ast.ClassDef) and is_public(node.name):
            lines += _class_api(node, outline=outline)
        elif _public_binding(node):
            lines.append(_binding(node) + _comment(doc))
    return "\n".join(lines) if len(lines) > 1 else ""


def _class_api(node: ast.ClassDef, *, outline: bool) -> list[str]:
    parents = [ast.unparse(base) for base in [*node.bases, *node.keywords]]
    bases = f"({', '.join(parents)})" if parents else ""
    lines = [f"@{ast.unparse(d)}" for d in node.decorator_list]
    lines.append(f"class {node.name}{bases}:" + ("" if outline else _first_line(node)))
    if outline:
        return lines
    for index, item in enumerate(node.body):
        if isinstance(item, FunctionNode) and (is_public(item.name) or item.name == "__init__"):
            lines.append(_signature(item, "    "))
        elif _public_binding(item):
            lines.append(_binding(item, "    ") + _comment(_attribute_doc(node.body, index)))
    return lines


def _public_binding(node: ast.stmt) -> bool:
    """Whether the statement binds one public name: a constant, field, member or alias."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target: ast.expr = node.targets[0]
    elif isinstance(node, ast.AnnAssign):
        target = node.target
    else:
        return False
    return isinstance(target, ast.Name) and is_public(target.id)


def _binding(node: ast.stmt, indent: str = "") -> str:
    """`NAME: type = value` as written, a long value cut to `...`."""
    assert isinstance(node, ast.Assign | ast.AnnAssign)
    target = node.targets[0] if isinstance(node, ast.Assign) else node.target
    text = ast.unparse(target)
    if isinstance(node, ast.AnnAssign):
        text += f": {ast.unparse(node.annotation)}"
    if node.value is not None:
        value = ast.unparse(node.value)
        text += f" = {value if len(value) <= _VALUE_CHARS else '...'}"
    return indent + text


def package_api(modules: Mapping[str, str], own_module: str) -> str:
    """Public signatures of every module. When that is too long: the unit's own module in full
    and an outline of the others (their functions, classes, exceptions and constants, without
    docs or members); when that is still too long, the own module alone."""

    def joined(outlined: bool) -> str:
        apis = (
            public_signatures(modules[m], m, outline=outlined and m != own_module)
            for m in sorted(modules)
        )
        return "\n\n".join(filter(None, apis))

    full = joined(outlined=False)
    if len(full) <= API_BUDGET_CHARS or own_module not in modules:
        return full
    outlined = joined(outlined=True)
    if len(outlined) <= API_BUDGET_CHARS:
        return outlined
    return public_signatures(modules[own_module], own_module)


@lru_cache(maxsize=32)  # every unit of a module asks, about the same text
def module_imports(source: str) -> str:
    """The module's top-level import statements, as written."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    return "\n".join(
        ast.get_source_segment(source, node) or ""
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
    )
