"""Example calls checked against the spec's signatures: `call_problems(spec, i, feature)`.

An example that calls a function with the wrong number of arguments, calls a plain method
through its class, calls a property, or calls a method the spec does not list fails on a fresh
render instead of skipping, and no body can ever make it pass. Each is refused with the
example's field as its path. Only what is certain is checked: a call with `*args` or `**kwargs`,
a decorated function or method, a class with a base (its methods may be inherited), or a name
the setup rebinds is left alone. A call through an alias (`load(...)`, `Cash(...)`, a class's
`__radd__`) is checked as a call of what it names.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from filler.errors import SpecError
from filler.spec.kinds import MethodKind
from filler.spec.names import NameKind, followed, resolve
from filler.spec.syntax import parse_expression, parse_params, parse_statements

if TYPE_CHECKING:
    from filler.spec.model import ClassSpec, Example, Feature, Fixture, Method, Spec

__all__ = ["call_problems", "signature_of"]

_OBJECT_NAMES = frozenset(dir(object))


def signature_of(args: ast.arguments, *, drop_first: bool = False) -> inspect.Signature:
    """The `inspect.Signature` of a parsed parameter list (defaults stand in as None)."""
    kind = inspect.Parameter
    positional: list[tuple[ast.arg, inspect._ParameterKind]]
    positional = [(a, kind.POSITIONAL_ONLY) for a in args.posonlyargs]
    positional += [(a, kind.POSITIONAL_OR_KEYWORD) for a in args.args]
    first_default = len(positional) - len(args.defaults)
    params = [
        kind(a.arg, k, default=None if n >= first_default else kind.empty)
        for n, (a, k) in enumerate(positional)
    ]
    if args.vararg is not None:
        params.append(kind(args.vararg.arg, kind.VAR_POSITIONAL))
    for a, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(
            kind(a.arg, kind.KEYWORD_ONLY, default=kind.empty if default is None else None)
        )
    if args.kwarg is not None:
        params.append(kind(args.kwarg.arg, kind.VAR_KEYWORD))
    return inspect.Signature(params[1:] if drop_first else params)


def call_problems(spec: Spec, i: int, feature: Feature) -> Iterator[SpecError]:
    """Every example or fixture call of the feature that cannot fit the rendered signatures."""
    fixtures: dict[str, ClassSpec | None] = {}
    yield from _fixtures(spec, feature, f"features[{i}].fixtures", feature.fixtures, fixtures)
    for j, func in enumerate(feature.functions):
        path = f"features[{i}].functions[{j}]"
        yield from _examples(spec, feature, path, func.examples, fixtures)
    for j, klass in enumerate(feature.classes):
        path = f"features[{i}].classes[{j}]"
        own = dict(fixtures)
        yield from _fixtures(spec, feature, f"{path}.fixtures", klass.fixtures, own)
        for k, method in enumerate(klass.methods):
            yield from _examples(spec, feature, f"{path}.methods[{k}]", method.examples, own)


def _fixtures(
    spec: Spec,
    feature: Feature,
    path: str,
    fixtures: Sequence[Fixture],
    values: dict[str, ClassSpec | None],
) -> Iterator[SpecError]:
    """The problems of the fixtures' code; `values` learns the spec class each one gives."""
    for k, fixture in enumerate(fixtures):
        checker = _Checker(spec, feature, {})
        at = f"{path}[{k}]"
        yield from checker.statements(at, "setup", fixture.setup)
        yield from checker.problems(f"{at}.value", parse_expression(fixture.value))
        match parse_expression(fixture.value):
            case ast.Name(id=variable):
                values[fixture.name] = checker.instances.get(variable)
            case ast.Call(func=ast.Name(id=maker)):
                values[fixture.name] = checker.owner(maker)
            case _:
                values[fixture.name] = None
        yield from checker.statements(at, "teardown", fixture.teardown)


def _examples(
    spec: Spec,
    feature: Feature,
    path: str,
    examples: Sequence[Example],
    fixtures: Mapping[str, ClassSpec | None],
) -> Iterator[SpecError]:
    for e, example in enumerate(examples):
        epath = f"{path}.examples[{e}]"
        checker = _Checker(spec, feature, dict(fixtures))
        yield from checker.statements(epath, "setup", example.setup)
        yield from checker.statements(epath, "scenario", example.scenario)
        for field in ("call", "expect", "check"):
            text = getattr(example, field)
            if text is not None:
                yield from checker.problems(f"{epath}.{field}", parse_expression(text))


@dataclass(frozen=True)
class _Checker:
    spec: Spec
    feature: Feature
    instances: dict[str, ClassSpec | None]  # setup variables: the spec class they hold, if known

    def track(self, stmt: ast.stmt) -> None:
        """Remember `x = SpecClass(...)`; any other binding of a name forgets it."""
        for node in ast.walk(stmt):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.instances[node.id] = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
            match target, value:
                case ast.Name(id=variable), ast.Call(func=ast.Name(id=maker)):
                    self.instances[variable] = self.owner(maker)

    def statements(self, path: str, field: str, texts: Sequence[str]) -> Iterator[SpecError]:
        """The problems of statements run in order, remembering what each binds."""
        for s, text in enumerate(texts):
            for stmt in parse_statements(text):
                yield from self.problems(f"{path}.{field}[{s}]", stmt)
                self.track(stmt)

    def problems(self, path: str, tree: ast.AST) -> Iterator[SpecError]:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                problem = self._call_problem(node)
                if problem is not None:
                    yield SpecError(path, *problem)

    def owner(self, name: str) -> ClassSpec | None:
        """The spec class `name()` makes, unless `name` is a variable of the setup."""
        if name in self.instances:
            return None
        return followed(self.spec, resolve(self.spec, self.feature, name)).klass()

    def _call_problem(self, call: ast.Call) -> tuple[str, str] | None:
        if any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords
        ):
            return None
        func = call.func
        if isinstance(func, ast.Name) and func.id not in self.instances:
            return self._named_call(call, func.id)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            holder = func.value.id
            if holder in self.instances:
                owner = self.instances[holder]
                return None if owner is None else _method_call(call, owner, func.attr, False)
            owner = self.owner(holder)
            return None if owner is None else _method_call(call, owner, func.attr, True)
        return None

    def _named_call(self, call: ast.Call, name: str) -> tuple[str, str] | None:
        found = followed(self.spec, resolve(self.spec, self.feature, name))
        if found.kind is NameKind.FUNCTION and found.feature is not None:
            func = next(f for f in found.feature.functions if f.name == found.name)
            if func.decorators:
                return None  # a decorator may change what the function accepts
            return _fit(call, f"{name}()", signature_of(func.arguments()))
        owner = self.owner(name)
        if owner is None:
            return None
        signature = _constructor(owner)
        return None if signature is None else _fit(call, f"{name}()", signature)


def _constructor(klass: ClassSpec) -> inspect.Signature | None:
    """What `Klass(...)` accepts, when the spec fixes it."""
    if klass.init is not None:
        return signature_of(parse_params(klass.init, method=True), drop_first=True)
    if klass.bases:
        return None  # inherited: a base's __init__ or a dataclass base's fields
    kind = inspect.Parameter
    params = [
        kind(f.name, kind.POSITIONAL_OR_KEYWORD, default=kind.empty if f.default is None else None)
        for f in klass.fields
    ]
    try:
        return inspect.Signature(params)
    except ValueError:  # fields out of order or twice: refused on the fields themselves
        return None


def _method_call(
    call: ast.Call, klass: ClassSpec, attr: str, through_class: bool
) -> tuple[str, str] | None:
    target = next((a.of for a in klass.aliases if a.name == attr), attr)
    method: Method | None = next((m for m in klass.methods if m.name == target), None)
    shown = f"{klass.name}.{attr}()"
    if method is None:
        # with a base, the method may be inherited: only a class without one is fully known
        fields = {f.name for f in klass.fields}
        if not klass.bases and attr not in fields | _OBJECT_NAMES:
            return (f"calls {shown}, which the spec does not list", f"add {attr!r} to the methods")
        return None
    if method.kind is MethodKind.PROPERTY:
        return (f"calls {shown}, but {attr!r} is a property", f"read it without calling: .{attr}")
    if method.decorators:
        return None  # a decorator may change what the method accepts
    if method.kind is MethodKind.METHOD:
        if through_class:
            return (
                f"calls {shown} through the class, but it is an instance method",
                "call it on an instance made in setup, or make it a staticmethod/classmethod",
            )
        return _fit(call, shown, signature_of(method.arguments(), drop_first=True))
    return _fit(
        call, shown, signature_of(method.arguments(), drop_first=method.receiver is not None)
    )


def _fit(call: ast.Call, shown: str, signature: inspect.Signature) -> tuple[str, str] | None:
    try:
        signature.bind(*call.args, **{k.arg: k.value for k in call.keywords if k.arg})
    except TypeError as exc:
        return (
            f"calls {shown} with arguments that do not fit {_render(signature)} ({exc})",
            "match the call to the signature",
        )
    return None


def _render(signature: inspect.Signature) -> str:
    return "(" + str(signature).strip("()").replace("=None", "=...") + ")"
