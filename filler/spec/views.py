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

from filler.spec.checks import import_nodes
from filler.spec.declarations import implied_imports
from filler.spec.kinds import MethodKind
from filler.spec.model import (
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
    """A class: `header` is its `class` line; `fields` its dataclass fields or enum members."""

    name: str
    docstring: str
    methods: tuple[Stub, ...]
    header: str
    decorators: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()


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
    """A fixture of the generated tests: `body` is its statements with the `yield`, unindented."""

    name: str
    body: str


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


def _summary(text: str) -> str:
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


def _function_stub(func: Function, decorators: tuple[str, ...] = ()) -> Stub:
    params = ast.unparse(func.arguments())
    head = "async def" if func.asynchronous else "def"
    return Stub(
        name=func.name,
        header=f"{head} {func.name}({params}) -> {_returns(func.returns)}:",
        docstring=_unit_docstring(func.doc, func.examples),
        decorators=decorators + tuple(_expression(d) for d in func.decorators),
    )


def _method_stubs(method: Method) -> Iterator[Stub]:
    kind = () if method.kind is MethodKind.METHOD else (method.kind.value,)
    yield _function_stub(method, kind)
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
    doc = f" {_summary(field.doc)}" if field.doc else ""
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
    )


def _exception_stub(exception: ExceptionSpec) -> ClassStub:
    docstring = docstring_literal(clean_docstring(exception.doc))
    return ClassStub(
        exception.name, docstring, (), header=_class_line(exception.name, exception.bases)
    )


def _enum_stub(enum: EnumSpec) -> ClassStub:
    values = ["enum.auto()" if m.value is None else _expression(m.value) for m in enum.members]
    entries = [
        f"{m.name}: {_summary(m.doc) if m.doc else value}"
        for m, value in zip(enum.members, values, strict=True)
    ]
    return ClassStub(
        enum.name,
        _documented(enum.doc, entries),
        (),
        header=_class_line(enum.name, [f"enum.{enum.kind.value}"]),
        fields=tuple(f"{m.name} = {value}" for m, value in zip(enum.members, values, strict=True)),
    )


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
    params = [f.arguments() for f in feature.functions]
    returns = [f.returns for f in feature.functions]
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
    for fixture in feature.fixtures:
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


def _test_cases(feature: Feature, module: str) -> tuple[GeneratedTest, ...]:
    owners: list[tuple[str, str, tuple[Example, ...]]] = [
        (f.name, f.name, f.examples) for f in feature.functions
    ]
    owners += [
        (k.name, f"{_snake(k.name)}_{m.name.strip('_')}", m.examples)
        for k in feature.classes
        for m in k.methods
    ]
    taken: set[str] = set()
    cases = []
    for unit, stem, examples in owners:
        for n, example in enumerate(examples, start=1):
            name = f"test_{stem}_{n}"
            while name in taken:
                name += "_"
            taken.add(name)
            used = unbound_names(_example_trees(example))
            fixtures = tuple(f.name for f in feature.fixtures if f.name in used)
            body = generated_test_body(example)
            drawn = ", ".join(f"{n}={_expression(s)}" for n, s in example.given.items())
            cases.append(
                GeneratedTest(
                    name,
                    f"{module}:{unit}",
                    body,
                    fixtures,
                    given=tuple(example.given),
                    decorators=(f"given({drawn})",) if drawn else (),
                )
            )
    return tuple(cases)


def _fixture_body(fixture: Fixture) -> str:
    """Set-up, `yield value`, tear-down: pytest runs the tear-down after the test."""
    setup = [s for text in fixture.setup for s in parse_statements(text)]
    teardown = [s for text in fixture.teardown for s in parse_statements(text)]
    give = ast.Expr(ast.Yield(parse_expression(fixture.value)))
    module = ast.Module(body=[*setup, give, *teardown], type_ignores=[])
    return ast.unparse(ast.fix_missing_locations(module))


# --- views ----------------------------------------------------------------------------------


def _feature_view(spec: Spec, feature: Feature) -> FeatureView:
    module = f"{spec.package_name}.{feature.name}"
    names = tuple(sorted(feature.public_names))
    return FeatureView(
        name=feature.name,
        module=module,
        summary=_summary(feature.description),
        docstring=docstring_literal(clean_docstring(feature.description)),
        imports=_module_imports(feature),
        public_names=names,
        functions=tuple(_function_stub(f) for f in feature.functions),
        classes=tuple(_class_stub(k) for k in feature.classes),
        exceptions=tuple(_exception_stub(e) for e in feature.exceptions),
        enums=tuple(_enum_stub(e) for e in feature.enums),
        constants=tuple(_constant_view(c) for c in feature.constants),
        test_imports=_test_imports(feature, module),
        tests=_test_cases(feature, module),
        fixtures=tuple(FixtureView(f.name, _fixture_body(f)) for f in feature.fixtures),
        demo_docstring=docstring_literal(f"Demo of {module}: {_summary(feature.description)}"),
        main_docstring=docstring_literal(
            f"Show {_and_list(feature.callable_names or feature.public_names)} at work on small "
            "inputs, printing each result."
        ),
    )


def build_view(spec: Spec) -> SpecView:
    """Everything the template renders for `spec`."""
    return SpecView(
        spec=spec,
        docstring=docstring_literal(clean_docstring(spec.description)),
        features=tuple(_feature_view(spec, f) for f in spec.features),
    )
