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
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from filler.errors import SpecError
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
    from filler.spec.model import Example, Feature, Spec

__all__ = ["import_nodes", "whole_spec_problems"]

_BUILTINS = frozenset(dir(builtins))
_EXAMPLE_GLOBALS = _BUILTINS | {"pytest"}


def whole_spec_problems(spec: Spec) -> Iterator[SpecError]:
    """Every problem only the whole spec shows: names defined twice, then each feature's imports
    and undefined names, then import cycles. None when the spec is valid."""
    yield from _duplicate_problems(spec)
    for i, feature in enumerate(spec.features):
        yield from _import_problems(spec, i, feature)
        yield from _reference_problems(i, feature)
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
        exported += [
            (f"features[{i}].functions[{j}].name", f.name) for j, f in enumerate(feature.functions)
        ]
        exported += [
            (f"features[{i}].classes[{j}].name", c.name) for j, c in enumerate(feature.classes)
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


def import_nodes(feature: Feature) -> list[ast.Import | ast.ImportFrom]:
    """The feature's import lines as AST nodes, in spec order."""
    nodes: list[ast.Import | ast.ImportFrom] = []
    for line in feature.imports:
        node = parse_statements(line)[0]
        if isinstance(node, ast.Import | ast.ImportFrom):
            nodes.append(node)
    return nodes


def _imported_module(node: ast.Import | ast.ImportFrom) -> str:
    return (node.module or "") if isinstance(node, ast.ImportFrom) else node.names[0].name


def _import_problems(spec: Spec, i: int, feature: Feature) -> Iterator[SpecError]:
    own = set(feature.public_names)
    bound: list[tuple[str, str]] = []
    for k, node in enumerate(import_nodes(feature)):
        path = f"features[{i}].imports[{k}]"
        for name in import_bindings(node):
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


def _reference_problems(i: int, feature: Feature) -> Iterator[SpecError]:
    """Names that signatures and examples use must exist where that code runs."""
    imported = {name for node in import_nodes(feature) for name in import_bindings(node)}
    scopes = _Scopes(
        annotations=_BUILTINS | imported | set(feature.public_names),
        defaults=_BUILTINS | imported,
        examples=_EXAMPLE_GLOBALS | imported | set(feature.public_names),
        imported=frozenset(imported),
        own=frozenset(feature.public_names),
    )
    for j, func in enumerate(feature.functions):
        path = f"features[{i}].functions[{j}]"
        yield from _signature_problems(f"{path}.params", func.params, scopes, method=False)
        yield from _returns_problems(f"{path}.returns", func.returns, scopes)
        yield from _example_problems(path, func.examples, scopes)
    for j, klass in enumerate(feature.classes):
        path = f"features[{i}].classes[{j}]"
        if klass.init is not None:
            yield from _signature_problems(f"{path}.init", klass.init, scopes, method=True)
        for k, method in enumerate(klass.methods):
            mpath = f"{path}.methods[{k}]"
            yield from _signature_problems(f"{mpath}.params", method.params, scopes, method=True)
            yield from _returns_problems(f"{mpath}.returns", method.returns, scopes)
            yield from _example_problems(mpath, method.examples, scopes)


@dataclass(frozen=True)
class _Scopes:
    """The names visible to each kind of code of one feature."""

    annotations: frozenset[str] | set[str]
    defaults: frozenset[str] | set[str]
    examples: frozenset[str] | set[str]
    imported: frozenset[str]
    own: frozenset[str]


_UNDEFINED_FIX = "define it or list its import in the feature's imports"


def _signature_problems(
    path: str, params: str, scopes: _Scopes, *, method: bool
) -> Iterator[SpecError]:
    annotations, defaults = signature_names(parse_params(params, method=method))
    for name in sorted(annotations - scopes.annotations):
        yield SpecError(path, f"annotation uses undefined name {name!r}", _UNDEFINED_FIX)
    for name in sorted(defaults - scopes.defaults):
        yield SpecError(
            path,
            f"default value uses undefined name {name!r}",
            "defaults may use builtins and imported names",
        )


def _returns_problems(path: str, returns: str, scopes: _Scopes) -> Iterator[SpecError]:
    for name in sorted(annotation_names(parse_expression(returns)) - scopes.annotations):
        yield SpecError(path, f"annotation uses undefined name {name!r}", _UNDEFINED_FIX)


def _example_problems(
    path: str, examples: Sequence[Example], scopes: _Scopes
) -> Iterator[SpecError]:
    for k, example in enumerate(examples):
        epath = f"{path}.examples[{k}]"
        setup = [parse_statements(line) for line in example.setup]
        _, setup_bound = read_and_bound(stmt for stmts in setup for stmt in stmts)
        visible = scopes.examples | setup_bound
        for s, stmts in enumerate(setup):
            for name in sorted(unbound_names(stmts) - visible):
                yield SpecError(
                    f"{epath}.setup[{s}]",
                    f"uses undefined name {name!r}",
                    "define it in setup or list its import in the feature's imports",
                )
        for field in ("call", "expect"):
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


def _undefined_example_fix(field: str, tree: ast.expr, name: str) -> str:
    if field == "expect" and isinstance(tree, ast.Name):
        return f"to expect the string, quote it inside the YAML string: \"'{name}'\""
    return "define it in setup or list its import in the feature's imports"


def _raises_problems(path: str, raises: str, scopes: _Scopes) -> Iterator[SpecError]:
    root = raises.split(".")[0]
    if root in scopes.imported:
        return
    if root in scopes.own:
        yield SpecError(
            path,
            f"{raises!r} is defined by this feature, and spec classes are not exceptions",
            "name a built-in or imported exception",
        )
        return
    builtin = getattr(builtins, raises, None)
    if not (isinstance(builtin, type) and issubclass(builtin, BaseException)):
        yield SpecError(
            path,
            f"{raises!r} is not a built-in exception",
            "name a built-in exception, or import it in the feature's imports",
        )
