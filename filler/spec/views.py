"""The skeleton views: a validated spec as the exact source text the template places.

`build_view(spec)` gives a `SpecView`; each `FeatureView` holds the stub defs (header line and
docstring literal), the module's import lines, the generated tests' bodies and the demo's
docstrings, built from the spec's ASTs so that any answer the spec accepts renders to valid,
lint-clean Python. The Copier template reaches them through `filler.template_ext`.

A docstring keeps every character of the spec's text: only the common indentation of its lines,
spaces at line ends and blank lines around it go, as `inspect.cleandoc` would, but lines are
split on `\n` alone and tabs are not expanded (a `\r` or a tab is escaped in the literal).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from filler.spec.checks import fresh_fixture, import_nodes
from filler.spec.declarations import implied_imports
from filler.spec.kinds import MethodKind
from filler.spec.model import (
    Alias,
    ClassSpec,
    Constant,
    EnumSpec,
    Example,
    ExceptionSpec,
    Feature,
    FieldSpec,
    Fixture,
    Function,
    Method,
    Spec,
)
from filler.spec.syntax import (
    annotation_names,
    import_bindings,
    parse_expression,
    parse_params,
    parse_statements,
    signature_names,
    unbound_names,
)

__all__ = [
    "RUFF_LINE_LENGTH",
    "ClassStub",
    "ConstantView",
    "FeatureView",
    "FixtureView",
    "GeneratedTest",
    "SpecView",
    "Stub",
    "build_view",
    "clean_docstring",
    "docstring_literal",
    "doctest_lines",
    "first_line",
    "generated_test_body",
]

RUFF_LINE_LENGTH = 88
_NOQA = "  # noqa: F401"


_STUB_BODY = "raise NotImplementedError"


@dataclass(frozen=True)
class Stub:
    """One def: its header line and its docstring literal (continuation lines unindented), the
    decorators above it (without @) and its body: the stub's raise, unless the spec fixes it."""

    name: str
    header: str
    docstring: str
    decorators: tuple[str, ...] = ()
    body: str = _STUB_BODY


@dataclass(frozen=True)
class ClassStub:
    """A class: `header` is its `class` line; `fields` its dataclass fields or enum members;
    `aliases` the `name = other` lines after its methods."""

    name: str
    docstring: str
    methods: tuple[Stub, ...]
    header: str
    decorators: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConstantView:
    """A module-level assignment and the docstring literal below it ("" when it has none)."""

    name: str
    line: str
    docstring: str


@dataclass(frozen=True)
class GeneratedTest:
    """One generated test: `body` is its statements, unindented."""

    name: str
    unit_id: str
    body: str
    fixtures: tuple[str, ...] = ()  # the fixtures it takes, in spec order
    given: tuple[str, ...] = ()  # a property's drawn values, also parameters
    decorators: tuple[str, ...] = ()  # below the spec marker, without @


@dataclass(frozen=True)
class FixtureView:
    """A def of the generated tests' set-up: a pytest fixture, or the context manager a
    property's test enters for a fresh value per drawn example. `body` is its statements with
    the `yield`, unindented."""

    name: str
    body: str
    decorators: tuple[str, ...] = ("pytest.fixture",)  # without @


@dataclass(frozen=True)
class FeatureView:
    name: str
    module: str
    summary: str
    docstring: str
    imports: tuple[str, ...]
    public_names: tuple[str, ...]
    functions: tuple[Stub, ...]
    classes: tuple[ClassStub, ...]
    # rendered before the functions, in this order: exceptions, enums, constants
    exceptions: tuple[ClassStub, ...]
    enums: tuple[ClassStub, ...]
    constants: tuple[ConstantView, ...]
    test_imports: tuple[str, ...]
    tests: tuple[GeneratedTest, ...]
    fixtures: tuple[FixtureView, ...]
    demo_docstring: str
    main_docstring: str
    aliases: tuple[ConstantView, ...] = ()  # rendered last, after what they name


@dataclass(frozen=True)
class SpecView:
    spec: Spec
    docstring: str
    features: tuple[FeatureView, ...]

    @property
    def public_names(self) -> tuple[str, ...]:
        return tuple(sorted(name for f in self.features for name in f.public_names))

    def feature(self, name: str) -> FeatureView:
        return next(f for f in self.features if f.name == name)

    @property
    def has_properties(self) -> bool:
        """Whether a generated test is a hypothesis property (hypothesis joins the test extras)."""
        return any(t.given for f in self.features for t in f.tests)

    @property
    def has_fixtures(self) -> bool:
        """Whether a generated test takes a fixture (the conftest then skips stubs that a
        fixture's set-up reaches, too)."""
        return any(f.fixtures for f in self.features)


# --- text helpers ------------------------------------------------------------------------------


def docstring_literal(text: str) -> str:
    """A triple-quoted literal whose value is `text`; continuation lines are left unindented.

    Multi-line text gets its closing quotes on a line of their own (so a final newline).
    """
    body = "".join(_escape_char(text, i) for i in range(len(text)))
    return f'"""{body}\n"""' if "\n" in text else f'"""{body}"""'


def _escape_char(text: str, i: int) -> str:
    ch = text[i]
    if ch == "\\":
        return "\\\\"
    if ch == '"':
        # No two quotes in a row, none first or last: nothing can close the literal early (or
        # make a formatter pad it).
        lonely = 0 < i < len(text) - 1 and text[i - 1] != '"' and text[i + 1] != '"'
        return ch if lonely else '\\"'
    if ch == "\n" or ch.isprintable():
        return ch
    return ch.encode("unicode_escape").decode("ascii")


def clean_docstring(text: str) -> str:
    """`text` as a docstring holds it: `inspect.cleandoc` on `\n`-separated lines, tabs kept."""
    first, *rest = text.split("\n")
    margin = min((len(line) - len(line.lstrip(" ")) for line in rest if line.strip(" ")), default=0)
    lines = [line.rstrip(" ") for line in [first.lstrip(" "), *(line[margin:] for line in rest)]]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def first_line(text: str) -> str:
    """The first line of `text` as a docstring: the one-line summary of a description."""
    return clean_docstring(text).split("\n")[0]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _and_list(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


# --- stubs ----------------------------------------------------------------------------------


_SPECIAL_EXPECT = {"None", "True", "False"}


def doctest_lines(example: Example) -> list[str]:
    """The example as the stub's docstring shows it, in doctest form (without indentation)."""
    lines: list[str] = []
    if example.given:
        drawn = ", ".join(f"{n} = {_expression(s)}" for n, s in example.given.items())
        lines.append(f">>> # for all {drawn}:")
    for text in (*example.setup, *example.scenario):
        for stmt in parse_statements(text):
            first, *rest = ast.unparse(stmt).splitlines()
            lines += [f">>> {first}", *(f"... {line}" for line in rest)]
    if example.check is not None:
        return [*lines, f">>> {_expression(example.check)}", "True"]
    if example.call is None:
        return lines
    lines.append(f">>> {ast.unparse(parse_expression(example.call))}")
    if example.raises is not None:
        lines += ["Traceback (most recent call last):", example.raises]
    elif example.expect is not None:
        expect = ast.unparse(parse_expression(example.expect))
        # the interactive prompt prints nothing for None
        if expect != "None":
            lines.append(expect)
    return lines


def _unit_docstring(doc: str, examples: Iterable[Example]) -> str:
    lines = [clean_docstring(doc)]
    shown = [line for example in examples for line in doctest_lines(example)]
    if shown:
        lines += ["", "Examples:", *(f"    {line}" for line in shown)]
    return docstring_literal("\n".join(lines))


def _returns(text: str) -> str:
    return ast.unparse(parse_expression(text))


def _function_stubs(func: Function, decorators: tuple[str, ...] = ()) -> Iterator[Stub]:
    """The function's `@overload` signatures (no docstring, a `...` body), then the stub."""
    head = "async def" if func.asynchronous else "def"
    for overload in func.overloads:
        params = ast.unparse(func.parameters(overload.params))
        yield Stub(
            name=func.name,
            header=f"{head} {func.name}({params}) -> {_returns(overload.returns)}:",
            docstring="",
            decorators=(*decorators, "typing.overload"),
            body="...",
        )
    params = ast.unparse(func.arguments())
    yield Stub(
        name=func.name,
        header=f"{head} {func.name}({params}) -> {_returns(func.returns)}:",
        docstring=_unit_docstring(func.doc, func.examples),
        decorators=decorators + tuple(_expression(d) for d in func.decorators),
    )


def _method_stubs(method: Method) -> Iterator[Stub]:
    kind = () if method.kind is MethodKind.METHOD else (method.kind.value,)
    yield from _function_stubs(method, kind)
    if method.setter:
        yield Stub(
            name=method.name,
            header=f"def {method.name}(self, value: {_returns(method.returns)}) -> None:",
            docstring=docstring_literal(f"Set {method.name}."),
            decorators=(f"{method.name}.setter",),
        )


def _expression(text: str) -> str:
    return ast.unparse(parse_expression(text))


def _class_line(name: str, bases: Iterable[str]) -> str:
    listed = ", ".join(bases)
    return f"class {name}({listed}):" if listed else f"class {name}:"


def _documented(doc: str, attributes: Iterable[str]) -> str:
    """The class docstring literal, with a Google-style Attributes section when there are any."""
    lines = [clean_docstring(doc)]
    entries = list(attributes)
    if entries:
        lines += ["", "Attributes:", *(f"    {entry}" for entry in entries)]
    return docstring_literal("\n".join(lines))


def _field_entry(field: FieldSpec) -> str:
    doc = f" {first_line(field.doc)}" if field.doc else ""
    return f"{field.name} ({_expression(field.type)}):{doc}"


def _field_line(field: FieldSpec, klass: ClassSpec) -> str:
    """A class-level field: of a dataclass, or an annotation of a NamedTuple or Protocol."""
    line = f"{field.name}: {_expression(field.type)}"
    if field.default is None:
        return line
    default = parse_expression(field.default)
    if klass.dataclass is None:
        return f"{line} = {ast.unparse(default)}"
    if isinstance(default, ast.List | ast.Dict) and not (
        default.elts if isinstance(default, ast.List) else default.keys
    ):
        return f"{line} = dataclasses.field(default_factory={type(default).__name__.lower()})"
    if isinstance(
        default, ast.List | ast.Dict | ast.Set | ast.ListComp | ast.DictComp | ast.SetComp
    ):
        factory = f"lambda: {ast.unparse(default)}"
        return f"{line} = dataclasses.field(default_factory={factory})"
    return f"{line} = {ast.unparse(default)}"


def _storing_init(klass: ClassSpec) -> Stub:
    """The `__init__` that only stores the fields: rendered whole, never a stub."""
    params = ", ".join(
        f"{f.name}: {f.type}" + ("" if f.default is None else f" = {f.default}")
        for f in klass.fields
    )
    return Stub(
        name="__init__",
        header=f"def __init__({ast.unparse(parse_params(params, method=True))}) -> None:",
        docstring=docstring_literal(f"Create a new {klass.name}."),
        body="\n".join(f"self.{f.name} = {f.name}" for f in klass.fields),
    )


def _dataclass_decorator(klass: ClassSpec) -> tuple[str, ...]:
    if klass.dataclass is None:
        return ()
    options = [f"{k}=True" for k, v in klass.dataclass.model_dump().items() if v]
    return (f"dataclasses.dataclass({', '.join(options)})" if options else "dataclasses.dataclass",)


def _class_stub(klass: ClassSpec) -> ClassStub:
    stores = klass.stores_fields
    methods = [stub for m in klass.methods for stub in _method_stubs(m)]
    if klass.init is not None:
        params = ast.unparse(parse_params(klass.init, method=True))
        init = Stub(
            name="__init__",
            header=f"def __init__({params}) -> None:",
            docstring=docstring_literal(f"Create a new {klass.name}."),
        )
        methods.insert(0, init)
    elif stores:
        methods.insert(0, _storing_init(klass))
    return ClassStub(
        klass.name,
        _documented(klass.doc, (_field_entry(f) for f in klass.fields)),
        tuple(methods),
        header=_class_line(klass.name, klass.bases),
        decorators=_dataclass_decorator(klass),
        fields=tuple(_field_line(f, klass) for f in klass.fields) if not stores else (),
        aliases=tuple(f"{a.name} = {a.of}" for a in klass.aliases),
    )


def _exception_stub(exception: ExceptionSpec) -> ClassStub:
    docstring = docstring_literal(clean_docstring(exception.doc))
    return ClassStub(
        exception.name, docstring, (), header=_class_line(exception.name, exception.bases)
    )


def _enum_stub(enum: EnumSpec) -> ClassStub:
    values = ["enum.auto()" if m.value is None else _expression(m.value) for m in enum.members]
    entries = [
        f"{m.name}: {first_line(m.doc) if m.doc else value}"
        for m, value in zip(enum.members, values, strict=True)
    ]
    return ClassStub(
        enum.name,
        _documented(enum.doc, entries),
        (),
        header=_class_line(enum.name, [f"enum.{enum.kind.value}"]),
        fields=tuple(f"{m.name} = {value}" for m, value in zip(enum.members, values, strict=True)),
    )


def _alias_view(alias: Alias) -> ConstantView:
    """`name = of` with a docstring, which the API page shows it by."""
    doc = clean_docstring(alias.doc) if alias.doc else f"Alias of `{alias.of}`."
    return ConstantView(alias.name, f"{alias.name} = {alias.of}", docstring_literal(doc))


def _constant_view(constant: Constant) -> ConstantView:
    typed = f": {_expression(constant.type)}" if constant.type else ""
    return ConstantView(
        constant.name,
        f"{constant.name}{typed} = {_expression(constant.value)}",
        docstring_literal(clean_docstring(constant.doc)) if constant.doc else "",
    )


# --- imports ------------------------------------------------------------------------------------


def _signature_names(feature: Feature) -> set[str]:
    """Every name the module's own code reads: signatures (annotations, string annotations,
    defaults), decorators, bases, fields, enum values and constants."""
    methods = [m for k in feature.classes for m in k.methods]
    functions: list[Function] = [*feature.functions, *methods]
    params = [f.parameters(o.params) for f in functions for o in f.overloads]
    returns = [o.returns for f in functions for o in f.overloads]
    params += [f.arguments() for f in feature.functions]
    returns += [f.returns for f in feature.functions]
    expressions = [d for f in feature.functions for d in f.decorators]
    for klass in feature.classes:
        if klass.init is not None:
            params.append(parse_params(klass.init, method=True))
        params += [m.arguments() for m in klass.methods]
        returns += [m.returns for m in klass.methods]
        returns += [f.type for f in klass.fields]
        expressions += [d for m in klass.methods for d in m.decorators]
        expressions += [*klass.bases, *(f.default for f in klass.fields if f.default)]
    expressions += [base for e in feature.exceptions for base in e.bases]
    expressions += [m.value for e in feature.enums for m in e.members if m.value is not None]
    expressions += [c.value for c in feature.constants]
    returns += [c.type for c in feature.constants if c.type is not None]
    names = {name for text in returns for name in annotation_names(parse_expression(text))}
    names |= unbound_names(parse_expression(text) for text in expressions)
    for args in params:
        annotations, defaults = signature_names(args)
        names |= annotations | defaults
    return names


def _module_import_line(node: ast.Import | ast.ImportFrom, used: set[str]) -> str:
    """The import as written in the feature module; one the signatures do not use gets a noqa.

    ruff honours a noqa on a wrapped `from` import only after its opening parenthesis, and
    `ruff format` ignores pragma comments when measuring width, so only imports that are too
    long on their own are written wrapped.
    """
    line = ast.unparse(node)
    if set(import_bindings(node)) <= used:
        return line
    if isinstance(node, ast.ImportFrom) and len(line) > RUFF_LINE_LENGTH:
        names = "".join(f"    {ast.unparse(alias)},\n" for alias in node.names)
        return f"from {node.module} import ({_NOQA}\n{names})"
    return line + _NOQA


def _module_imports(feature: Feature) -> tuple[str, ...]:
    """The template's own imports (for dataclasses and enums) unless the spec lists them, then
    the spec's."""
    implied = [f"import {module}" for module in implied_imports(feature)]
    used = _signature_names(feature) | set(implied_imports(feature))
    listed = [_module_import_line(node, used) for node in import_nodes(feature)]
    return tuple([line for line in implied if line not in listed] + listed)


def _example_trees(example: Example) -> list[ast.AST]:
    texts = (*example.setup, *example.scenario)
    trees: list[ast.AST] = [s for text in texts for s in parse_statements(text)]
    trees += [parse_expression(strategy) for strategy in example.given.values()]
    for text in (example.call, example.expect, example.raises, example.check):
        if text is not None:
            trees.append(parse_expression(text))
    return trees


def _all_examples(feature: Feature) -> Iterator[Example]:
    for func in feature.functions:
        yield from func.examples
    for klass in feature.classes:
        for method in klass.methods:
            yield from method.examples


def _test_imports(feature: Feature, module: str) -> tuple[str, ...]:
    """Only what the examples use, so the generated tests have no unused imports."""
    used: set[str] = set()
    for example in _all_examples(feature):
        used |= unbound_names(_example_trees(example))
    for fixture in _all_fixtures(feature):
        used |= unbound_names(ast.parse(_fixture_body(fixture)).body)
    lines = []
    for node in import_nodes(feature):
        aliases = [a for a in node.names if (a.asname or a.name.split(".")[0]) in used]
        if aliases:
            kept: ast.Import | ast.ImportFrom = (
                ast.ImportFrom(module=node.module, names=aliases, level=0)
                if isinstance(node, ast.ImportFrom)
                else ast.Import(names=aliases)
            )
            lines.append(ast.unparse(kept))
    own = sorted(set(feature.public_names) & used)
    tools = ["import pytest"]
    if _fresh_fixtures(feature) and "import contextlib" not in lines:
        tools.insert(0, "import contextlib")
    if any(example.given for example in _all_examples(feature)):
        tools += ["from hypothesis import given", "from hypothesis import strategies as st"]
    groups = [lines, tools, [f"from {module} import {', '.join(own)}"] if own else []]
    return tuple(_join_groups(groups))


def _join_groups(groups: Iterable[list[str]]) -> Iterator[str]:
    """Lines of non-empty groups with an empty line between groups."""
    first = True
    for group in groups:
        if group:
            if not first:
                yield ""
            yield from group
            first = False


# --- tests ------------------------------------------------------------------------------------


def generated_test_body(example: Example) -> str:
    """The body of the example's generated test."""
    setup = [s for text in (*example.setup, *example.scenario) for s in parse_statements(text)]
    if example.check is not None:
        setup.append(ast.Assert(test=parse_expression(example.check)))
    if example.call is None:
        return ast.unparse(ast.Module(body=setup, type_ignores=[]))
    call = parse_expression(example.call)
    check: ast.stmt
    if example.raises is not None:
        raises = ast.Call(
            func=ast.Attribute(value=ast.Name("pytest"), attr="raises"),
            args=[parse_expression(example.raises)],
            keywords=[],
        )
        check = ast.With(items=[ast.withitem(context_expr=raises)], body=[ast.Expr(call)])
    else:
        expect = parse_expression(example.expect or "None")
        # `== None/True/False` is ruff E711/E712, and `is` is the stricter check anyway
        special = isinstance(expect, ast.Constant) and repr(expect.value) in _SPECIAL_EXPECT
        compare = ast.Compare(
            left=call, ops=[ast.Is() if special else ast.Eq()], comparators=[expect]
        )
        check = ast.Assert(test=compare)
    module = ast.fix_missing_locations(ast.Module(body=[*setup, check], type_ignores=[]))
    return ast.unparse(module)


@dataclass(frozen=True)
class _Owner:
    """A unit's examples, the stem of their tests' names and the fixtures they may use."""

    unit: str
    stem: str
    examples: tuple[Example, ...]
    fixtures: tuple[Fixture, ...]


def _owners(feature: Feature) -> Iterator[_Owner]:
    for func in feature.functions:
        yield _Owner(func.name, func.name, func.examples, feature.fixtures)
    for klass in feature.classes:
        fixtures = feature.fixtures + klass.fixtures
        for m in klass.methods:
            stem = f"{_snake(klass.name)}_{m.name.strip('_')}"
            yield _Owner(klass.name, stem, m.examples, fixtures)


def _all_fixtures(feature: Feature) -> tuple[Fixture, ...]:
    """The feature's fixtures, then each class's: one test module holds them all."""
    return feature.fixtures + tuple(f for k in feature.classes for f in k.fixtures)


def _used_fixtures(example: Example, fixtures: Iterable[Fixture]) -> tuple[str, ...]:
    used = unbound_names(_example_trees(example))
    return tuple(f.name for f in fixtures if f.name in used)


def _fresh_fixtures(feature: Feature) -> set[str]:
    """The fixtures a property uses: hypothesis runs a test's body once per drawn value, so
    those are also context managers the body enters, for a fresh value every time."""
    return {
        name
        for owner in _owners(feature)
        for example in owner.examples
        if example.given
        for name in _used_fixtures(example, owner.fixtures)
    }


def _entering(body: str, fixtures: Iterable[str]) -> str:
    """`body` inside `with fresh_<fixture>() as <fixture>, ...:`."""
    items = [
        ast.withitem(ast.Call(ast.Name(fresh_fixture(name)), [], []), ast.Name(name, ast.Store()))
        for name in fixtures
    ]
    entered = ast.With(items=items, body=ast.parse(body).body)
    return ast.unparse(ast.fix_missing_locations(ast.Module(body=[entered], type_ignores=[])))


def _test_cases(feature: Feature, module: str) -> tuple[GeneratedTest, ...]:
    taken: set[str] = set()
    cases = []
    for owner in _owners(feature):
        for n, example in enumerate(owner.examples, start=1):
            name = f"test_{owner.stem}_{n}"
            while name in taken:
                name += "_"
            taken.add(name)
            fixtures = _used_fixtures(example, owner.fixtures)
            body = generated_test_body(example)
            if example.given and fixtures:
                body, fixtures = _entering(body, fixtures), ()
            drawn = ", ".join(f"{n}={_expression(s)}" for n, s in example.given.items())
            cases.append(
                GeneratedTest(
                    name,
                    f"{module}:{owner.unit}",
                    body,
                    fixtures,
                    given=tuple(example.given),
                    decorators=(f"given({drawn})",) if drawn else (),
                )
            )
    return tuple(cases)


def _fixture_body(fixture: Fixture, *, guarded: bool = False) -> str:
    """Set-up, `yield value`, tear-down: pytest runs the tear-down after the test. A `guarded`
    tear-down is in a `finally`: a context manager gets the test's error at its `yield`."""
    setup = [s for text in fixture.setup for s in parse_statements(text)]
    teardown = [s for text in fixture.teardown for s in parse_statements(text)]
    give: ast.stmt = ast.Expr(ast.Yield(parse_expression(fixture.value)))
    if guarded and teardown:
        give, teardown = ast.Try(body=[give], handlers=[], orelse=[], finalbody=teardown), []
    module = ast.Module(body=[*setup, give, *teardown], type_ignores=[])
    return ast.unparse(ast.fix_missing_locations(module))


def _fixture_views(feature: Feature) -> Iterator[FixtureView]:
    """Every fixture; one a property uses delegates to its context manager, written first."""
    fresh = _fresh_fixtures(feature)
    for fixture in _all_fixtures(feature):
        if fixture.name not in fresh:
            yield FixtureView(fixture.name, _fixture_body(fixture))
            continue
        manager = fresh_fixture(fixture.name)
        body = _fixture_body(fixture, guarded=True)
        yield FixtureView(manager, body, ("contextlib.contextmanager",))
        yield FixtureView(fixture.name, f"with {manager}() as value:\n    yield value")


# --- views ----------------------------------------------------------------------------------


def _feature_view(spec: Spec, feature: Feature) -> FeatureView:
    module = f"{spec.package_name}.{feature.name}"
    names = tuple(sorted(feature.public_names))
    return FeatureView(
        name=feature.name,
        module=module,
        summary=first_line(feature.description),
        docstring=docstring_literal(clean_docstring(feature.description)),
        imports=_module_imports(feature),
        public_names=names,
        functions=tuple(stub for f in feature.functions for stub in _function_stubs(f)),
        classes=tuple(_class_stub(k) for k in feature.classes),
        exceptions=tuple(_exception_stub(e) for e in feature.exceptions),
        enums=tuple(_enum_stub(e) for e in feature.enums),
        constants=tuple(_constant_view(c) for c in feature.constants),
        test_imports=_test_imports(feature, module),
        tests=_test_cases(feature, module),
        fixtures=tuple(_fixture_views(feature)),
        demo_docstring=docstring_literal(f"Demo of {module}: {first_line(feature.description)}"),
        main_docstring=docstring_literal(
            f"Show {_and_list(feature.callable_names or feature.public_names)} at work on small "
            "inputs, printing each result."
        ),
        aliases=tuple(_alias_view(a) for a in feature.aliases),
    )


def build_view(spec: Spec) -> SpecView:
    """Everything the template renders for `spec`."""
    return SpecView(
        spec=spec,
        docstring=docstring_literal(clean_docstring(spec.description)),
        features=tuple(_feature_view(spec, f) for f in spec.features),
    )
