"""The checks that need the whole spec, not one field: `whole_spec_problems(spec)`.

`filler.spec.model`'s `Spec` runs them once every field has passed its own validator: names defined
twice (features, functions and classes the package re-exports, methods), imports (what a
feature imports must exist, be allowed and not loop back between features), and the names that
signatures and examples use, each checked against what is visible where that code runs. Each
problem is a `SpecError` naming the field as a path: `features[0].functions[1].params`.
"""

from __future__ import annotations

import ast
import builtins
import sys
from collections.abc import Iterable, Iterator, Sequence, Set
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from filler.errors import SpecError
from filler.spec.calls import call_problems
from filler.spec.declarations import declaration_problems
from filler.spec.names import NameKind, declared, import_fix, import_nodes, is_exception, resolve
from filler.spec.syntax import (
    annotation_names,
    import_bindings,
    parse_expression,
    parse_params,
    parse_statements,
    read_and_bound,
    signature_names,
    unbound_names,
)

if TYPE_CHECKING:
    from filler.spec.model import Example, Feature, Fixture, Function, Spec

__all__ = ["fresh_fixture", "import_nodes", "whole_spec_problems"]

_BUILTINS = frozenset(dir(builtins))
# A test module's globals: the builtins, pytest, and the module's own `__file__`.
_EXAMPLE_GLOBALS = _BUILTINS | {"pytest", "__file__"}


def whole_spec_problems(spec: Spec) -> Iterator[SpecError]:
    """Every problem only the whole spec shows: names defined twice, then each feature's imports
    and undefined names, then import cycles. None when the spec is valid."""
    yield from _duplicate_problems(spec)
    for i, feature in enumerate(spec.features):
        yield from _import_problems(spec, i, feature)
        yield from _reference_problems(spec, i, feature)
        yield from declaration_problems(spec, i, feature)
        yield from call_problems(spec, i, feature)
    yield from _cycle_problems(spec)


def _first_seen(items: Iterable[tuple[str, str]]) -> Iterator[tuple[str, str, str]]:
    """(path, name, path where the name was first seen) for every repeat."""
    seen: dict[str, str] = {}
    for path, name in items:
        if name in seen:
            yield path, name, seen[name]
        else:
            seen[name] = path


def _duplicate_problems(spec: Spec) -> Iterator[SpecError]:
    modules = [(f"features[{i}].name", f.name) for i, f in enumerate(spec.features)]
    for path, name, first in _first_seen(modules):
        yield SpecError(path, f"feature {name!r} is already defined by {first}", "rename one")
    feature_names = {f.name for f in spec.features}
    exported: list[tuple[str, str]] = []
    for i, feature in enumerate(spec.features):
        for group in ("functions", "classes", "exceptions", "enums", "constants", "aliases"):
            exported += [
                (f"features[{i}].{group}[{j}].name", d.name)
                for j, d in enumerate(getattr(feature, group))
            ]
        for j, klass in enumerate(feature.classes):
            methods = [
                (f"features[{i}].classes[{j}].methods[{k}].name", m.name)
                for k, m in enumerate(klass.methods)
            ]
            for path, name, first in _first_seen(methods):
                yield SpecError(
                    path, f"method {name!r} is already defined by {first}", "rename one"
                )
    for path, name, first in _first_seen(exported):
        yield SpecError(
            path,
            f"{name!r} is already defined by {first}",
            "rename one: the package's __init__ re-exports every public name",
        )
    for path, name in exported:
        if name in feature_names:
            yield SpecError(
                path,
                f"{name!r} is also a feature (module) name, and re-exporting it from __init__ "
                "would hide that module",
                "rename the function/class or the feature",
            )


def _imported_module(node: ast.Import | ast.ImportFrom) -> str:
    return (node.module or "") if isinstance(node, ast.ImportFrom) else node.names[0].name


def _import_problems(spec: Spec, i: int, feature: Feature) -> Iterator[SpecError]:
    own = {name for name, _ in declared(feature)}
    bound: list[tuple[str, str]] = []
    for k, node in enumerate(import_nodes(feature)):
        path = f"features[{i}].imports[{k}]"
        for alias, name in zip(node.names, import_bindings(node), strict=True):
            if not _binds_its_package(node, alias):
                bound.append((path, name))
            if name in own:
                yield SpecError(path, f"imports {name!r}, which the feature defines", "rename one")
        top = _imported_module(node).split(".")[0]
        if top == spec.package_name:
            yield from _own_import_problems(spec, path, feature, node)
        elif top not in sys.stdlib_module_names and not spec.dependencies:
            yield SpecError(
                path,
                f"{top!r} is not in the standard library",
                "list the distribution that provides it in dependencies",
            )
    for path, name, first in _first_seen(bound):
        yield SpecError(path, f"{name!r} is already imported by {first}", "import it once")


def _binds_its_package(node: ast.Import | ast.ImportFrom, alias: ast.alias) -> bool:
    """`import collections.abc` binds `collections` beside an `import collections`: no clash."""
    return isinstance(node, ast.Import) and alias.asname is None and "." in alias.name


def _own_import_problems(
    spec: Spec, path: str, feature: Feature, node: ast.Import | ast.ImportFrom
) -> Iterator[SpecError]:
    fix = f"write: from {spec.package_name}.<feature> import <name>"
    module = _imported_module(node)
    if not isinstance(node, ast.ImportFrom) or module.count(".") != 1:
        yield SpecError(path, "an import from the package must name a feature module", fix)
        return
    target = module.split(".")[1]
    features = {f.name: f for f in spec.features}
    if target not in features or target == feature.name:
        yield SpecError(path, f"{target!r} is not another feature of this spec", fix)
        return
    for alias in node.names:
        if alias.name not in features[target].public_names:
            yield SpecError(path, f"feature {target!r} defines no {alias.name!r}", fix)


def _cycle_problems(spec: Spec) -> Iterator[SpecError]:
    prefix = spec.package_name + "."
    edges = {
        feature.name: {
            _imported_module(node).removeprefix(prefix)
            for node in import_nodes(feature)
            if _imported_module(node).startswith(prefix)
        }
        for feature in spec.features
    }

    def reaches(start: str, goal: str, seen: frozenset[str]) -> bool:
        return any(
            nxt == goal or reaches(nxt, goal, seen | {nxt})
            for nxt in edges.get(start, set()) - seen
        )

    for i, feature in enumerate(spec.features):
        if reaches(feature.name, feature.name, frozenset()):
            yield SpecError(
                f"features[{i}].imports",
                f"feature {feature.name!r} imports from features that import it back",
                "break the import cycle",
            )


def _reference_problems(spec: Spec, i: int, feature: Feature) -> Iterator[SpecError]:
    """Names that signatures and examples use must exist where that code runs."""
    imported = {name for node in import_nodes(feature) for name in import_bindings(node)}
    # exceptions, enums and constants come before the functions and classes in the module
    early = {name for name, kind in declared(feature) if kind not in _LATE}
    scopes = _Scopes(
        annotations=_BUILTINS | imported | {name for name, _ in declared(feature)},
        defaults=_BUILTINS | imported | early,
        examples=_EXAMPLE_GLOBALS | imported | set(feature.public_names),
        spec=spec,
        feature=feature,
    )
    fixtures = [(f"features[{i}].fixtures", feature.fixtures)]
    fixtures += [
        (f"features[{i}].classes[{j}].fixtures", k.fixtures) for j, k in enumerate(feature.classes)
    ]
    yield from _fixture_problems(fixtures, scopes)
    scopes = _with_fixtures(scopes, feature.fixtures)
    for j, func in enumerate(feature.functions):
        path = f"features[{i}].functions[{j}]"
        yield from _signature_problems(f"{path}.params", func.arguments(), scopes)
        yield from _returns_problems(f"{path}.returns", func.returns, scopes)
        yield from _overload_problems(path, func, scopes)
        yield from _example_problems(path, func.examples, scopes)
    for j, klass in enumerate(feature.classes):
        path = f"features[{i}].classes[{j}]"
        if klass.init is not None:
            init = parse_params(klass.init, method=True)
            yield from _signature_problems(f"{path}.init", init, scopes)
        own = _with_fixtures(scopes, klass.fixtures)
        for k, method in enumerate(klass.methods):
            mpath = f"{path}.methods[{k}]"
            yield from _signature_problems(f"{mpath}.params", method.arguments(), scopes)
            yield from _returns_problems(f"{mpath}.returns", method.returns, scopes)
            yield from _overload_problems(mpath, method, scopes)
            yield from _example_problems(mpath, method.examples, own)


_LATE = frozenset({NameKind.FUNCTION, NameKind.CLASS, NameKind.ALIAS})


@dataclass(frozen=True)
class _Scopes:
    """The names visible to each kind of code of one feature."""

    annotations: frozenset[str] | set[str]
    defaults: frozenset[str] | set[str]
    examples: frozenset[str] | set[str]
    spec: Spec
    feature: Feature
    fixtures: frozenset[str] | set[str] = frozenset()  # the examples' fixtures, among `examples`


_UNDEFINED_FIX = "define it or list its import in the feature's imports"


def _signature_problems(path: str, args: ast.arguments, scopes: _Scopes) -> Iterator[SpecError]:
    annotations, defaults = signature_names(args)
    for name in sorted(annotations - scopes.annotations):
        yield SpecError(path, f"annotation uses undefined name {name!r}", _UNDEFINED_FIX)
    for name in sorted(defaults - scopes.defaults):
        yield SpecError(
            path,
            f"default value uses undefined name {name!r}",
            "defaults may use builtins, imported names and the feature's constants, enums and "
            "exceptions",
        )


def _overload_problems(path: str, func: Function, scopes: _Scopes) -> Iterator[SpecError]:
    """Each `@overload` signature is checked like the function's own."""
    for o, overload in enumerate(func.overloads):
        opath = f"{path}.overloads[{o}]"
        args = func.parameters(overload.params)
        yield from _signature_problems(f"{opath}.params", args, scopes)
        yield from _returns_problems(f"{opath}.returns", overload.returns, scopes)


def _returns_problems(path: str, returns: str, scopes: _Scopes) -> Iterator[SpecError]:
    for name in sorted(annotation_names(parse_expression(returns)) - scopes.annotations):
        yield SpecError(path, f"annotation uses undefined name {name!r}", _UNDEFINED_FIX)


def _example_problems(
    path: str, examples: Sequence[Example], scopes: _Scopes
) -> Iterator[SpecError]:
    for k, example in enumerate(examples):
        epath = f"{path}.examples[{k}]"
        statements = [
            (f"{epath}.{field}[{s}]", parse_statements(line))
            for field in ("setup", "scenario")
            for s, line in enumerate(getattr(example, field))
        ]
        _, setup_bound = read_and_bound(stmt for _, stmts in statements for stmt in stmts)
        visible = scopes.examples | setup_bound | set(example.given)
        yield from _undefined_in(statements, visible)
        if example.given:
            yield from _property_problems(epath, example, scopes)
        for field in ("call", "expect", "check"):
            text = getattr(example, field)
            if text is None:
                continue
            tree = parse_expression(text)
            for name in sorted(unbound_names([tree]) - visible):
                yield SpecError(
                    f"{epath}.{field}",
                    f"uses undefined name {name!r}",
                    _undefined_example_fix(field, tree, name),
                )
        if example.raises is not None:
            yield from _raises_problems(f"{epath}.raises", example.raises, scopes)


def _undefined_in(
    statements: Sequence[tuple[str, list[ast.stmt]]], visible: Set[str]
) -> Iterator[SpecError]:
    for path, stmts in statements:
        for name in sorted(unbound_names(stmts) - visible):
            yield SpecError(
                path,
                f"uses undefined name {name!r}",
                "define it in setup or list its import in the feature's imports",
            )


def _fixture_problems(
    lists: Sequence[tuple[str, Sequence[Fixture]]], scopes: _Scopes
) -> Iterator[SpecError]:
    """A fixture's code sees what an example sees, and its name must not hide any of it. The
    feature's fixtures and its classes' share one test module, so one name is one fixture."""
    seen: dict[str, str] = {}
    for where, fixtures in lists:
        for k, fixture in enumerate(fixtures):
            path = f"{where}[{k}]"
            if fixture.name in seen:
                yield SpecError(
                    f"{path}.name",
                    f"fixture {fixture.name!r} is listed twice, first at {seen[fixture.name]}",
                    "rename one: the feature's and its classes' fixtures share one test module",
                )
            elif fixture.name in scopes.examples:
                yield SpecError(
                    f"{path}.name",
                    f"{fixture.name!r} would hide a name the examples already see",
                    "choose another name",
                )
            seen.setdefault(fixture.name, path)
            statements = [
                (f"{path}.{field}[{s}]", parse_statements(line))
                for field in ("setup", "teardown")
                for s, line in enumerate(getattr(fixture, field))
            ]
            statements.append((f"{path}.value", [ast.Expr(parse_expression(fixture.value))]))
            _, bound = read_and_bound(stmt for _, stmts in statements for stmt in stmts)
            yield from _undefined_in(statements, scopes.examples | bound)


def _with_fixtures(scopes: _Scopes, fixtures: Sequence[Fixture]) -> _Scopes:
    names = {f.name for f in fixtures}
    return replace(scopes, examples=scopes.examples | names, fixtures=scopes.fixtures | names)


def fresh_fixture(name: str) -> str:
    """The context manager a property's test enters for a fresh `name` fixture per drawn value."""
    return f"fresh_{name}"


# What a property's test module imports from hypothesis.
_HYPOTHESIS_NAMES = frozenset({"given", "st"})


def _property_problems(epath: str, example: Example, scopes: _Scopes) -> Iterator[SpecError]:
    """Strategies see the module's names and `st` (not fixtures: they are drawn before any test
    runs); a property may not share a name with what hypothesis binds, nor with what its test
    enters a fixture through (`fresh_<fixture>`, made with `contextlib`)."""
    for name in sorted(_HYPOTHESIS_NAMES & scopes.examples):
        yield SpecError(
            epath,
            f"{name!r} is a name of the feature, and a property's test imports hypothesis's",
            "rename it, or state this example without given/check",
        )
    for name, strategy in example.given.items():
        tree = parse_expression(strategy)
        visible = scopes.examples - scopes.fixtures
        for unknown in sorted(unbound_names([tree]) - visible - {"st"}):
            yield SpecError(
                f"{epath}.given.{name}",
                f"uses undefined name {unknown!r}",
                "draw from hypothesis strategies as st, e.g. 'st.integers()'",
            )
    trees: list[ast.AST] = [parse_expression(example.check or "None")]
    trees += [s for text in example.setup for s in parse_statements(text)]
    used = sorted(scopes.fixtures & unbound_names(trees))
    module = [f.name for k in scopes.feature.classes for f in k.fixtures]  # any class's
    taken = scopes.examples | set(example.given) | set(module)
    for name in used:
        if fresh_fixture(name) in taken:
            yield SpecError(
                epath,
                f"{fresh_fixture(name)!r} is a name of the feature or the example, and this "
                f"property's test enters a fresh {name!r} fixture through it",
                "rename it",
            )
    if used and "contextlib" in scopes.examples and not _imports_contextlib(scopes.feature):
        yield SpecError(
            epath,
            "'contextlib' is a name of the feature, and a property that uses a fixture imports "
            "the module",
            "rename it",
        )


def _imports_contextlib(feature: Feature) -> bool:
    """Whether the feature binds `contextlib` as the test module's own `import contextlib`."""
    return any(
        isinstance(node, ast.Import) and (alias.name, alias.asname) == ("contextlib", None)
        for node in import_nodes(feature)
        for alias in node.names
    )


def _undefined_example_fix(field: str, tree: ast.expr, name: str) -> str:
    if field == "expect" and isinstance(tree, ast.Name):
        return f"to expect the string, quote it inside the YAML string: \"'{name}'\""
    return "define it in setup or list its import in the feature's imports"


def _raises_problems(path: str, raises: str, scopes: _Scopes) -> Iterator[SpecError]:
    found = resolve(scopes.spec, scopes.feature, raises)
    if found.kind is NameKind.UNDEFINED or (
        found.kind is NameKind.BUILTIN and not is_exception(scopes.spec, scopes.feature, raises)
    ):
        fallback = "name a built-in exception, or import it in the feature's imports"
        yield SpecError(
            path,
            f"{raises!r} is not a built-in exception",
            import_fix(scopes.spec, raises, fallback),
        )
    elif not is_exception(scopes.spec, scopes.feature, raises):
        where = "this feature" if found.feature is scopes.feature else "the spec"
        yield SpecError(
            path,
            f"{raises!r} is defined by {where} as a {found.kind.value}, not an exception",
            "list it under the feature's exceptions, or give it an exception base",
        )
