"""The layout of `filler/` as its imports draw it: no import cycle among its modules, and the
third-party packages it uses are exactly the ones pyproject.toml declares.

Read from the source with `ast`, nothing imported: the test holds for modules another change
has half-written, and sees imports inside functions as well as at the top.
"""

from __future__ import annotations

import ast
import graphlib
import importlib.metadata
import itertools
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers.projects import CHECKOUT

FILLER = CHECKOUT / "filler"


def module_name(path: Path) -> str:
    parts = path.relative_to(CHECKOUT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(FILLER.rglob("*.py"))}


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_statements(
    node: ast.AST, *, runtime_only: bool
) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under `node`, in functions too; `runtime_only` leaves out the
    body of `if TYPE_CHECKING:` (never executed, so it can close no cycle)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        elif runtime_only and isinstance(child, ast.If) and _type_checking_only(child):
            for branch in child.orelse:
                yield from import_statements(branch, runtime_only=True)
        else:
            yield from import_statements(child, runtime_only=runtime_only)


def tree(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text("utf-8"), filename=str(MODULES[module]))


def imported_from(module: str, statement: ast.ImportFrom) -> str:
    """The absolute name of the module a `from ... import` reads, relative ones resolved."""
    if not statement.level:
        return statement.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    base = package.rsplit(".", statement.level - 1)[0] if statement.level > 1 else package
    return f"{base}.{statement.module}" if statement.module else base


def filler_imports(module: str) -> set[str]:
    """The modules of filler/ that `module` runs an import statement of. `from filler import
    api` imports filler.api; the implicit import of a module's parent packages is left out."""
    found: set[str] = set()
    for statement in import_statements(tree(module), runtime_only=True):
        if isinstance(statement, ast.Import):
            found |= {alias.name for alias in statement.names}
            continue
        base = imported_from(module, statement)
        for alias in statement.names:
            found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return (found & MODULES.keys()) - {module}


def test_the_modules_of_filler_import_one_another_without_a_cycle() -> None:
    graph = {module: filler_imports(module) for module in MODULES}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        cycle = error.args[1]
        raise AssertionError("import cycle: " + " -> ".join(reversed(cycle))) from None


# --- third-party dependencies --------------------------------------------------------------------


def _run_as_module(node: ast.AST) -> Iterator[str]:
    """`X` of every `"-m", "X"` pair of string constants in a list, tuple or call: a package
    filler runs in a child interpreter (`python -m pytest`) rather than imports."""
    for child in ast.walk(node):
        items = child.args if isinstance(child, ast.Call) else getattr(child, "elts", [])
        for flag, name in itertools.pairwise(items):
            is_flag = isinstance(flag, ast.Constant) and flag.value == "-m"
            if is_flag and isinstance(name, ast.Constant) and isinstance(name.value, str):
                yield name.value


def used_top_level_names() -> set[str]:
    """Top-level names of what filler/ imports anywhere, or runs with `python -m`."""
    names: set[str] = set()
    for module in MODULES:
        module_tree = tree(module)
        for statement in import_statements(module_tree, runtime_only=False):
            if isinstance(statement, ast.Import):
                names |= {alias.name for alias in statement.names}
            elif not statement.level:
                names.add(imported_from(module, statement))
        names |= set(_run_as_module(module_tree))
    tops = {name.partition(".")[0] for name in names}
    return {name for name in tops if name not in sys.stdlib_module_names} - {"filler", ""}


def requirements(*extras: str) -> list[Requirement]:
    """[project].dependencies of pyproject.toml, and those of the optional `extras`."""
    project = tomllib.loads((CHECKOUT / "pyproject.toml").read_text("utf-8"))["project"]
    optional = project["optional-dependencies"]
    texts = [*project["dependencies"], *(text for extra in extras for text in optional[extra])]
    return [Requirement(text) for text in texts]


def test_the_declared_dependencies_are_what_filler_imports() -> None:
    providers = importlib.metadata.packages_distributions()
    used = {
        name: {canonicalize_name(dist) for dist in providers.get(name, [])}
        for name in used_top_level_names()
    }
    # The `local` extra is llama-cpp-python's server, which `filler fill --provider local` runs.
    declared = {canonicalize_name(requirement.name) for requirement in requirements("local")}
    undeclared = sorted(name for name, dists in used.items() if not dists & declared)
    unused = sorted(declared - set().union(*used.values()))
    assert (undeclared, unused) == ([], []), (
        f"imported by filler/ but not declared: {undeclared}; declared but unused: {unused}"
    )


def test_the_constraints_satisfy_every_declared_requirement() -> None:
    pins = {
        canonicalize_name(name): version
        for name, _, version in (
            line.partition("==")
            for line in (CHECKOUT / "requirements/constraints.txt").read_text("utf-8").split()
        )
    }
    extras = tomllib.loads((CHECKOUT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]
    wrong = [
        str(requirement)
        for requirement in requirements(*extras)
        if canonicalize_name(requirement.name) not in pins
        or pins[canonicalize_name(requirement.name)] not in requirement.specifier
    ]
    assert not wrong, f"requirements/constraints.txt pins none or another version of: {wrong}"
