"""What the model is shown about the rest of the project: a unit's visible tests, the package's
public signatures and the module's imports. Pure functions over source text.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from filler.source.syntax import FunctionNode, is_public

__all__ = [
    "VisibleTest",
    "module_imports",
    "package_api",
    "public_signatures",
    "spec_tests_by_unit",
]

# Above this size the package-wide API is cut down to the unit's own module, so small models
# keep room for the unit itself.
API_BUDGET_CHARS = 4000


@dataclass(frozen=True)
class VisibleTest:
    node_id: str
    source: str


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
        for suffix, function, decorators in _test_functions(tree):
            segment = ast.get_source_segment(source, function) or ""
            test = VisibleTest(f"{path.as_posix()}::{suffix}", segment)
            for unit_id in dict.fromkeys(filter(None, map(_marked_unit, decorators))):
                found.setdefault(unit_id, []).append(test)
    return {unit_id: tuple(tests) for unit_id, tests in found.items()}


def _first_line(node: ast.AST) -> str:
    doc = ast.get_docstring(node) if isinstance(node, ast.FunctionDef | ast.ClassDef) else None
    return f"  # {doc.strip().splitlines()[0]}" if doc else ""


def _signature(node: FunctionNode, indent: str = "") -> str:
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    decorators = "".join(f"{indent}@{ast.unparse(d)}\n" for d in node.decorator_list)
    head = f"{indent}{prefix} {node.name}({ast.unparse(node.args)}){returns}: ..."
    return decorators + head + _first_line(node)


def public_signatures(source: str, module: str) -> str:
    """The module's public functions and classes as one-line stubs, under a `# module` heading."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    lines = [f"# {module}"]
    for node in tree.body:
        if isinstance(node, FunctionNode) and is_public(node.name):
            lines.append(_signature(node))
        elif isinstance(node, ast.ClassDef) and is_public(node.name):
            bases = f"({', '.join(ast.unparse(b) for b in node.bases)})" if node.bases else ""
            lines.append(f"class {node.name}{bases}:{_first_line(node)}")
            for item in node.body:
                if isinstance(item, FunctionNode) and (
                    is_public(item.name) or item.name == "__init__"
                ):
                    lines.append(_signature(item, "    "))
    return "\n".join(lines) if len(lines) > 1 else ""


def package_api(modules: Mapping[str, str], own_module: str) -> str:
    """Public signatures of every module; only the unit's own module when that is too long."""
    full = "\n\n".join(filter(None, (public_signatures(modules[m], m) for m in sorted(modules))))
    if len(full) <= API_BUDGET_CHARS or own_module not in modules:
        return full
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
