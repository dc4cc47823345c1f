"""What a name used in a feature refers to: `resolve(spec, feature, name)`.

A base class, a `raises:` or a call in an example names something: a definition of the feature,
one imported from another feature of the package (followed there), a name imported from
elsewhere, a builtin, or nothing. The checks of `filler.spec.checks`, `filler.spec.declarations`
and `filler.spec.calls` ask this one place.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from filler.spec.syntax import parse_statements

if TYPE_CHECKING:
    from filler.spec.model import ClassSpec, Feature, Spec

__all__ = [
    "NameKind",
    "Resolved",
    "declared",
    "followed",
    "import_fix",
    "import_nodes",
    "imported_from",
    "is_exception",
    "resolve",
]


class NameKind(Enum):
    FUNCTION = "function"
    CLASS = "class"
    EXCEPTION = "exception"
    ENUM = "enum"
    CONSTANT = "constant"
    ALIAS = "alias"
    EXTERNAL = "imported from outside the package"
    BUILTIN = "builtin"
    UNDEFINED = "undefined"


@dataclass(frozen=True)
class Resolved:
    """`feature` is the feature that declares the name (None unless the spec declares it)."""

    kind: NameKind
    name: str
    feature: Feature | None = None

    def klass(self) -> ClassSpec | None:
        """The spec class this names, if it names one."""
        if self.kind is not NameKind.CLASS or self.feature is None:
            return None
        return next(c for c in self.feature.classes if c.name == self.name)


def import_nodes(feature: Feature) -> list[ast.Import | ast.ImportFrom]:
    """The feature's import lines as AST nodes, in spec order."""
    nodes: list[ast.Import | ast.ImportFrom] = []
    for line in feature.imports:
        node = parse_statements(line)[0]
        if isinstance(node, ast.Import | ast.ImportFrom):
            nodes.append(node)
    return nodes


def declared(feature: Feature) -> Iterator[tuple[str, NameKind]]:
    """Every name the feature defines, with its kind, in rendering order."""
    yield from ((e.name, NameKind.EXCEPTION) for e in feature.exceptions)
    yield from ((e.name, NameKind.ENUM) for e in feature.enums)
    yield from ((c.name, NameKind.CONSTANT) for c in feature.constants)
    yield from ((f.name, NameKind.FUNCTION) for f in feature.functions)
    yield from ((c.name, NameKind.CLASS) for c in feature.classes)
    yield from ((a.name, NameKind.ALIAS) for a in feature.aliases)


def resolve(spec: Spec, feature: Feature, name: str) -> Resolved:
    """What the (possibly dotted) `name` refers to inside `feature`'s module."""
    root = name.split(".")[0]
    for own, kind in declared(feature):
        if own == root:
            # the spec declares no nested classes: an attribute of its own name is none of them
            return (
                Resolved(kind, own, feature) if root == name else Resolved(NameKind.UNDEFINED, name)
            )
    for node in import_nodes(feature):
        for alias in node.names:
            if (alias.asname or alias.name.split(".")[0]) != root:
                continue
            target = _package_feature(spec, node)
            if target is None or root != name:
                return Resolved(NameKind.EXTERNAL, name)
            found = resolve(spec, target, alias.name)
            return found if found.feature is not None else Resolved(NameKind.UNDEFINED, name)
    if hasattr(builtins, name):
        return Resolved(NameKind.BUILTIN, name)
    return Resolved(NameKind.UNDEFINED, name)


def followed(spec: Spec, found: Resolved) -> Resolved:
    """What an alias names (an alias never names another); any other name as it is."""
    if found.kind is not NameKind.ALIAS or found.feature is None:
        return found
    target = next(a.of for a in found.feature.aliases if a.name == found.name)
    return resolve(spec, found.feature, target)


def imported_from(feature: Feature, name: str) -> str:
    """The dotted origin of an imported name: `typing.NamedTuple` for `NamedTuple` after
    `from typing import NamedTuple`, or for `typing.NamedTuple` itself; "" when not imported."""
    root, _, rest = name.partition(".")
    for node in import_nodes(feature):
        for alias in node.names:
            if (alias.asname or alias.name.split(".")[0]) != root:
                continue
            if isinstance(node, ast.ImportFrom):
                origin = f"{node.module}.{alias.name}"
            else:  # `import a.b` binds `a`; `import a.b as c` binds `c` to `a.b`
                origin = alias.name if alias.asname else root
            return f"{origin}.{rest}" if rest else origin
    return ""


def import_fix(spec: Spec, name: str, fallback: str) -> str:
    """How to make `name` visible: its import when another feature defines it, else `fallback`."""
    for feature in spec.features:
        if name in feature.public_names:
            return f"import it: from {spec.package_name}.{feature.name} import {name}"
    return fallback


def _package_feature(spec: Spec, node: ast.Import | ast.ImportFrom) -> Feature | None:
    if not isinstance(node, ast.ImportFrom) or node.module is None:
        return None
    package, _, module = node.module.partition(".")
    if package != spec.package_name:
        return None
    return next((f for f in spec.features if f.name == module), None)


def is_exception(
    spec: Spec, feature: Feature, name: str, seen: frozenset[str] = frozenset()
) -> bool:
    """Whether `name` is an exception class; a name from outside the package counts as one (it
    cannot be known without importing it)."""
    found = resolve(spec, feature, name)
    key = f"{found.feature.name if found.feature else ''}.{found.name}"
    if key in seen:
        return False
    match found.kind:
        case NameKind.EXCEPTION | NameKind.EXTERNAL:
            return True
        case NameKind.ALIAS:
            owner = found.feature
            assert owner is not None
            target = next(a.of for a in owner.aliases if a.name == found.name)
            return is_exception(spec, owner, target, seen | {key})
        case NameKind.BUILTIN:
            builtin = getattr(builtins, name)
            return isinstance(builtin, type) and issubclass(builtin, BaseException)
        case NameKind.CLASS:
            klass = found.klass()
            owner = found.feature
            assert klass is not None and owner is not None
            return any(is_exception(spec, owner, base, seen | {key}) for base in klass.bases)
    return False
