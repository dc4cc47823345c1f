"""The checks of what the template renders whole: `declaration_problems(spec, i, feature)`.

Exceptions, enums, constants, class bases, fields and decorators are written by the template,
never by the model, so each must be right before anything is rendered: every name they read
exists where the module runs it (the module defines exceptions, then enums, then constants,
then functions, then classes), every base is a class that can be one (an exception's base an
exception), no class inherits from itself, and fields can become a valid `__init__`.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from filler.errors import SpecError
from filler.spec.kinds import EnumKind
from filler.spec.names import (
    NameKind,
    declared,
    import_fix,
    import_nodes,
    imported_from,
    is_exception,
    resolve,
)
from filler.spec.syntax import annotation_names, import_bindings, parse_expression, unbound_names

if TYPE_CHECKING:
    from filler.spec.model import (
        ClassSpec,
        Constant,
        EnumSpec,
        ExceptionSpec,
        Feature,
        FieldSpec,
        Spec,
    )

__all__ = ["declaration_problems", "implied_imports"]

_RENAME = "choose another name"

_BUILTINS = frozenset(dir(builtins))
_MUTABLE = (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)


# What the template imports each module for, as its problems name it.
_IMPLIED_FOR = {"dataclasses": "dataclasses", "enum": "enums", "typing": "overloads"}


def implied_imports(feature: Feature) -> tuple[str, ...]:
    """The modules the template imports for the feature's dataclasses, enums and overloads."""
    methods = [m for k in feature.classes for m in k.methods]
    needed = [
        ("dataclasses", any(k.dataclass is not None for k in feature.classes)),
        ("enum", bool(feature.enums)),
        ("typing", any(f.overloads for f in [*feature.functions, *methods])),
    ]
    return tuple(module for module, used in needed if used)


@dataclass(frozen=True)
class _Context:
    spec: Spec
    feature: Feature
    path: str
    imported: frozenset[str]
    defined: frozenset[str]

    def undefined(self, names: Iterable[str], visible: Iterable[str]) -> list[str]:
        return sorted(set(names) - _BUILTINS - self.imported - set(visible))


def declaration_problems(spec: Spec, i: int, feature: Feature) -> Iterator[SpecError]:
    """Every problem of the feature's exceptions, enums, constants, bases, fields, decorators."""
    imported = {name for node in import_nodes(feature) for name in import_bindings(node)}
    ctx = _Context(
        spec,
        feature,
        f"features[{i}]",
        frozenset(imported),
        frozenset(name for name, _ in declared(feature)),
    )
    yield from _implied_import_problems(ctx)
    yield from _shadowing_problems(ctx)
    exceptions = [e.name for e in feature.exceptions]
    for k, exc in enumerate(feature.exceptions):
        path = f"{ctx.path}.exceptions[{k}].bases"
        yield from _base_problems(ctx, path, exc.name, exc.bases, exceptions, exception=True)
    for k, enum in enumerate(feature.enums):
        yield from _enum_problems(ctx, f"{ctx.path}.enums[{k}]", enum)
    early = [*exceptions, *(e.name for e in feature.enums)]
    for k, constant in enumerate(feature.constants):
        cpath = f"{ctx.path}.constants[{k}]"
        value = unbound_names([parse_expression(constant.value)])
        for name in ctx.undefined(value, early):
            yield SpecError(
                f"{cpath}.value",
                f"uses undefined name {name!r}",
                "a constant may use builtins, imported names, the feature's exceptions and "
                "enums, and constants listed before it",
            )
        if constant.type is not None:
            yield from _annotation_problems(ctx, f"{cpath}.type", constant.type)
        early.append(constant.name)
    for j, func in enumerate(feature.functions):
        path = f"{ctx.path}.functions[{j}].decorators"
        yield from _decorator_problems(ctx, path, func.decorators, early)
    classes = [c.name for c in feature.classes]
    for j, klass in enumerate(feature.classes):
        path = f"{ctx.path}.classes[{j}]"
        yield from _base_problems(ctx, f"{path}.bases", klass.name, klass.bases, classes)
        yield from _field_problems(ctx, path, klass, early)
        yield from _inheritance_problems(ctx, path, klass)
        for k, method in enumerate(klass.methods):
            mpath = f"{path}.methods[{k}].decorators"
            yield from _decorator_problems(ctx, mpath, method.decorators, early)
        yield from _method_alias_problems(path, klass)
    yield from _alias_problems(ctx)


# What a feature's alias may name: rendered last, it sees everything the module defines.
_ALIASABLE = frozenset(
    {NameKind.FUNCTION, NameKind.CLASS, NameKind.EXCEPTION, NameKind.ENUM, NameKind.EXTERNAL}
)


def _alias_problems(ctx: _Context) -> Iterator[SpecError]:
    for k, alias in enumerate(ctx.feature.aliases):
        found = resolve(ctx.spec, ctx.feature, alias.of)
        if found.kind not in _ALIASABLE:
            spelled = {NameKind.UNDEFINED: "not defined", NameKind.ALIAS: "another alias"}
            what = spelled.get(found.kind, f"a {found.kind.value}")
            yield SpecError(
                f"{ctx.path}.aliases[{k}].of",
                f"{alias.of!r} is {what}",
                "name a function, class, exception or enum of the feature, or an imported name",
            )
        if alias.name in _BUILTINS:
            yield SpecError(
                f"{ctx.path}.aliases[{k}].name",
                f"{alias.name!r} would hide the builtin of that name in the module",
                _RENAME,
            )


def _method_alias_problems(path: str, klass: ClassSpec) -> Iterator[SpecError]:
    """A class alias names one of its methods and takes a name no member has."""
    methods = {m.name for m in klass.methods}
    taken = methods | {f.name for f in klass.fields}
    for k, alias in enumerate(klass.aliases):
        apath = f"{path}.aliases[{k}]"
        if alias.of not in methods:
            yield SpecError(f"{apath}.of", f"{alias.of!r} is not a method of {klass.name}", "")
        if alias.name in taken:
            yield SpecError(
                f"{apath}.name", f"{alias.name!r} is already a member of {klass.name}", _RENAME
            )
        taken.add(alias.name)


def _implied_import_problems(ctx: _Context) -> Iterator[SpecError]:
    implied = implied_imports(ctx.feature)
    for k, node in enumerate(import_nodes(ctx.feature)):
        for alias, name in zip(node.names, import_bindings(node), strict=True):
            same = isinstance(node, ast.Import) and alias.asname is None and alias.name == name
            if name in implied and not same:
                yield SpecError(
                    f"{ctx.path}.imports[{k}]",
                    f"binds {name!r}, which the template imports for the feature's "
                    + _IMPLIED_FOR[name],
                    f"import it as another name, or write 'import {name}'",
                )
    for name in sorted(set(implied) & ctx.defined):
        yield SpecError(
            ctx.path, f"defines {name!r}, which the template imports", "rename the definition"
        )


def _shadowing_problems(ctx: _Context) -> Iterator[SpecError]:
    """A package exception named like a builtin would hide it in the module, and one named
    NotImplementedError would turn every stub's raise into the package's own class."""
    groups: dict[str, Sequence[ExceptionSpec | EnumSpec | Constant | ClassSpec]] = {
        "exceptions": ctx.feature.exceptions,
        "enums": ctx.feature.enums,
        "constants": ctx.feature.constants,
        "classes": ctx.feature.classes,
    }
    for group, items in groups.items():
        for k, item in enumerate(items):
            # classes named like a builtin were always accepted: only the new kinds are held
            # to it, and every kind to NotImplementedError, which the stubs raise
            new_kind = group != "classes"
            if item.name == "NotImplementedError" or (new_kind and item.name in _BUILTINS):
                yield SpecError(
                    f"{ctx.path}.{group}[{k}].name",
                    f"{item.name!r} would hide the builtin of that name in the module",
                    _RENAME,
                )


def _annotation_problems(ctx: _Context, path: str, annotation: str) -> Iterator[SpecError]:
    for name in ctx.undefined(annotation_names(parse_expression(annotation)), ctx.defined):
        yield SpecError(
            path,
            f"annotation uses undefined name {name!r}",
            "define it or list its import in the feature's imports",
        )


def _decorator_problems(
    ctx: _Context, path: str, decorators: Sequence[str], early: Sequence[str]
) -> Iterator[SpecError]:
    for d, decorator in enumerate(decorators):
        for name in ctx.undefined(unbound_names([parse_expression(decorator)]), early):
            yield SpecError(
                f"{path}[{d}]",
                f"uses undefined name {name!r}",
                "import it in the feature's imports (e.g. 'from functools import cache')",
            )


# --- bases ---------------------------------------------------------------------------------------


def _base_problems(
    ctx: _Context,
    path: str,
    name: str,
    bases: Sequence[str],
    siblings: Sequence[str],
    *,
    exception: bool = False,
) -> Iterator[SpecError]:
    """Each base must be a class visible before `name` (siblings: its list, in order)."""
    seen: set[str] = set()
    for b, base in enumerate(bases):
        bpath = f"{path}[{b}]"
        if base in seen:
            yield SpecError(bpath, f"{base!r} is listed twice", "list each base once")
            continue
        seen.add(base)
        problem = _one_base_problem(ctx, name, base, siblings, exception=exception)
        if problem is not None:
            yield SpecError(bpath, *problem)
    classes = [getattr(builtins, base, None) for base in bases]
    if bases and all(isinstance(c, type) for c in classes):
        try:
            type(name, tuple(c for c in classes if isinstance(c, type)), {})
        except TypeError as exc:
            reason = " ".join(str(exc).split())
            yield SpecError(path, f"these bases cannot be combined ({reason})", "change them")


def _one_base_problem(
    ctx: _Context, name: str, base: str, siblings: Sequence[str], *, exception: bool
) -> tuple[str, str] | None:
    found = resolve(ctx.spec, ctx.feature, base)
    what = "an exception" if exception else "a class"
    if found.kind is NameKind.UNDEFINED:
        fix = import_fix(ctx.spec, base, "name a class of the spec, a builtin or an import")
        return (f"{base!r} is not defined", fix)
    if base == name or _inherits_from(ctx, base, name, siblings):
        return (f"{name!r} would inherit from itself through {base!r}", "break the cycle")
    later = base in siblings and siblings.index(base) > siblings.index(name)
    if found.feature is ctx.feature and later:
        return (f"{base!r} is defined after {name!r}", f"list {base!r} before {name!r}")
    if exception and found.feature is ctx.feature and found.kind is not NameKind.EXCEPTION:
        return (f"{base!r} is not one of the exceptions", "list it under the feature's exceptions")
    if exception and not is_exception(ctx.spec, ctx.feature, base):
        return (f"{base!r} is not an exception", "derive package exceptions from exceptions")
    if found.kind is NameKind.ENUM:
        return (f"{base!r} is an enum with members, which cannot be subclassed", "")
    if found.kind is NameKind.ALIAS:
        return (f"{base!r} is an alias, defined at the end of the module", "name its target")
    if found.kind in {NameKind.FUNCTION, NameKind.CONSTANT} or (
        found.kind is NameKind.BUILTIN and not isinstance(getattr(builtins, base), type)
    ):
        return (f"{base!r} is not {what}", "name a class")
    return None


def _inherits_from(ctx: _Context, start: str, goal: str, siblings: Sequence[str]) -> bool:
    """Whether class `start` of this feature reaches `goal` through its own bases."""
    bases_of = {k.name: k.bases for k in ctx.feature.classes}
    bases_of |= {e.name: e.bases for e in ctx.feature.exceptions}
    todo, seen = [start], set()
    while todo:
        current = todo.pop()
        if current in seen or current not in siblings:
            continue
        seen.add(current)
        for base in bases_of.get(current, ()):
            if base == goal:
                return True
            todo.append(base)
    return False


def _spec_ancestors(ctx: _Context, klass: ClassSpec) -> Iterator[tuple[str, ClassSpec]]:
    """(base name, class) of every spec class the class derives from, nearest first."""
    todo: list[tuple[Feature, ClassSpec]] = [(ctx.feature, klass)]
    seen = {id(klass)}
    while todo:
        feature, current = todo.pop(0)
        for base in current.bases:
            found = resolve(ctx.spec, feature, base)
            parent = found.klass()
            if parent is None or found.feature is None or id(parent) in seen:
                continue
            seen.add(id(parent))
            todo.append((found.feature, parent))
            yield base, parent


def _record_problems(ctx: _Context, path: str, klass: ClassSpec) -> Iterator[SpecError]:
    """A NamedTuple, TypedDict or Protocol base is typing's, and a TypedDict holds only keys."""
    record = klass.record_base
    for b, base in enumerate(klass.bases):
        origin = imported_from(ctx.feature, base)
        if base.rsplit(".", 1)[-1] == record and origin not in _typing_names(record):
            yield SpecError(
                f"{path}.bases[{b}]",
                f"{base!r} is not typing's {record}",
                f"import it: from typing import {record}",
            )
    if record != "TypedDict":
        return
    for f, field in enumerate(klass.fields):
        if field.default is not None:
            yield SpecError(
                f"{path}.fields[{f}].default", "a TypedDict key has no default", "remove it"
            )
    if klass.methods:
        yield SpecError(f"{path}.methods", "a TypedDict has no methods", "remove them")


def _typing_names(name: str) -> frozenset[str]:
    return frozenset({f"typing.{name}", f"typing_extensions.{name}"})


def _inheritance_problems(ctx: _Context, path: str, klass: ClassSpec) -> Iterator[SpecError]:
    """Fields must still make a valid `__init__` once a base's fields or `__init__` join in."""
    yield from _record_problems(ctx, path, klass)
    for base, parent in _spec_ancestors(ctx, klass):
        if klass.stores_fields and (parent.fields or parent.init is not None):
            yield SpecError(
                f"{path}.fields",
                f"the __init__ written from these fields would not set up the base {base!r}",
                "make both classes dataclasses, or give this class init instead of fields",
            )
        if klass.dataclass is None or parent.dataclass is None:
            continue
        if klass.dataclass.frozen != parent.dataclass.frozen:
            yield SpecError(
                f"{path}.dataclass",
                f"a dataclass cannot be frozen when its base {base!r} is not, nor the reverse",
                "make both frozen or neither",
            )
        defaulted = [f.name for f in parent.fields if f.default is not None]
        for f, field in enumerate(klass.fields):
            if defaulted and field.default is None:
                yield SpecError(
                    f"{path}.fields[{f}]",
                    f"field {field.name!r} has no default, but it follows the fields of "
                    f"{base!r}, and {defaulted[0]!r} has one",
                    "give it a default",
                )


# --- enums and fields ----------------------------------------------------------------------------


def _enum_problems(ctx: _Context, path: str, enum: EnumSpec) -> Iterator[SpecError]:
    if enum.kind is EnumKind.STR and ctx.spec.python_min in {"3.9", "3.10"}:
        yield SpecError(
            f"{path}.kind",
            f"StrEnum needs Python 3.11, and python_min is {ctx.spec.python_min}",
            'raise python_min to "3.11", or use Enum with string values',
        )
    names: set[str] = set()
    for m, member in enumerate(enum.members):
        mpath = f"{path}.members[{m}]"
        if member.name in names:
            yield SpecError(f"{mpath}.name", f"member {member.name!r} is listed twice", "rename it")
        names.add(member.name)
        if member.value is None:
            continue
        tree = parse_expression(member.value)
        for name in ctx.undefined(unbound_names([tree]), ()):
            yield SpecError(f"{mpath}.value", f"uses undefined name {name!r}", "use a literal")
        if not isinstance(tree, ast.Constant):
            continue
        if enum.kind is EnumKind.INT and type(tree.value) is not int:
            yield SpecError(f"{mpath}.value", "an IntEnum member must be an int", "give an int")
        if enum.kind is EnumKind.STR and not isinstance(tree.value, str):
            yield SpecError(
                f"{mpath}.value", "a StrEnum member must be a string", "quote it: \"'red'\""
            )


def _field_problems(
    ctx: _Context, path: str, klass: ClassSpec, early: Sequence[str]
) -> Iterator[SpecError]:
    methods = {m.name for m in klass.methods}
    if klass.dataclass is not None and klass.dataclass.frozen:
        for k, method in enumerate(klass.methods):
            if method.setter:
                yield SpecError(
                    f"{path}.methods[{k}].setter",
                    "a frozen dataclass cannot set attributes, so a setter cannot work",
                    "drop the setter or frozen",
                )
    names: set[str] = set()
    defaulted: FieldSpec | None = None
    for f, field in enumerate(klass.fields):
        fpath = f"{path}.fields[{f}]"
        if field.name in names:
            yield SpecError(f"{fpath}.name", f"field {field.name!r} is listed twice", "rename it")
        if field.name in methods:
            yield SpecError(
                f"{fpath}.name", f"{field.name!r} is also a method of the class", "rename one"
            )
        names.add(field.name)
        yield from _annotation_problems(ctx, f"{fpath}.type", field.type)
        if field.default is None:
            if defaulted is not None:
                yield SpecError(
                    fpath,
                    f"field {field.name!r} has no default but follows {defaulted.name!r}, "
                    "which has one",
                    "list the fields without defaults first",
                )
            continue
        defaulted = field
        tree = parse_expression(field.default)
        for name in ctx.undefined(unbound_names([tree]), early):
            yield SpecError(
                f"{fpath}.default",
                f"uses undefined name {name!r}",
                "defaults may use builtins, imported names and the feature's constants, enums "
                "and exceptions",
            )
        if isinstance(tree, _MUTABLE) and klass.dataclass is None:
            yield SpecError(
                f"{fpath}.default",
                f"{field.default!r} would be one object shared by every instance",
                "make the class a dataclass (it copies it per instance), or use a tuple",
            )
