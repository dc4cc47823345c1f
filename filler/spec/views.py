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
from filler.spec.model import ClassSpec, Example, Feature, Function, Spec
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
    "FeatureView",
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


@dataclass(frozen=True)
class Stub:
    """One stub def: its header line and its docstring literal (continuation lines unindented)."""

    name: str
    header: str
    docstring: str


@dataclass(frozen=True)
class ClassStub:
    name: str
    docstring: str
    methods: tuple[Stub, ...]


@dataclass(frozen=True)
class GeneratedTest:
    """One generated test: `body` is its statements, unindented."""

    name: str
    unit_id: str
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
    test_imports: tuple[str, ...]
    tests: tuple[GeneratedTest, ...]
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
    for text in example.setup:
        for stmt in parse_statements(text):
            first, *rest = ast.unparse(stmt).splitlines()
            lines += [f">>> {first}", *(f"... {line}" for line in rest)]
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


def _function_stub(func: Function, *, method: bool) -> Stub:
    params = ast.unparse(parse_params(func.params, method=method))
    return Stub(
        name=func.name,
        header=f"def {func.name}({params}) -> {_returns(func.returns)}:",
        docstring=_unit_docstring(func.doc, func.examples),
    )


def _class_stub(klass: ClassSpec) -> ClassStub:
    methods = [_function_stub(m, method=True) for m in klass.methods]
    if klass.init is not None:
        params = ast.unparse(parse_params(klass.init, method=True))
        init = Stub(
            name="__init__",
            header=f"def __init__({params}) -> None:",
            docstring=docstring_literal(f"Create a new {klass.name}."),
        )
        methods.insert(0, init)
    return ClassStub(klass.name, docstring_literal(clean_docstring(klass.doc)), tuple(methods))


# --- imports ------------------------------------------------------------------------------------


def _signature_names(feature: Feature) -> set[str]:
    """Every name the feature's signatures read (annotations, string annotations, defaults)."""
    params = [parse_params(f.params) for f in feature.functions]
    returns = [f.returns for f in feature.functions]
    for klass in feature.classes:
        if klass.init is not None:
            params.append(parse_params(klass.init, method=True))
        params += [parse_params(m.params, method=True) for m in klass.methods]
        returns += [m.returns for m in klass.methods]
    names = {name for text in returns for name in annotation_names(parse_expression(text))}
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
    used = _signature_names(feature)
    return tuple(_module_import_line(node, used) for node in import_nodes(feature))


def _example_trees(example: Example) -> list[ast.AST]:
    trees: list[ast.AST] = [s for text in example.setup for s in parse_statements(text)]
    trees.append(parse_expression(example.call))
    for text in (example.expect, example.raises):
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
    groups = [lines, ["import pytest"], [f"from {module} import {', '.join(own)}"] if own else []]
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
    setup = [s for text in example.setup for s in parse_statements(text)]
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
            cases.append(GeneratedTest(name, f"{module}:{unit}", generated_test_body(example)))
    return tuple(cases)


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
        functions=tuple(_function_stub(f, method=False) for f in feature.functions),
        classes=tuple(_class_stub(k) for k in feature.classes),
        test_imports=_test_imports(feature, module),
        tests=_test_cases(feature, module),
        demo_docstring=docstring_literal(f"Demo of {module}: {_summary(feature.description)}"),
        main_docstring=docstring_literal(
            f"Show {_and_list(feature.public_names)} at work on small inputs, printing each result."
        ),
    )


def build_view(spec: Spec) -> SpecView:
    """Everything the template renders for `spec`."""
    return SpecView(
        spec=spec,
        docstring=docstring_literal(clean_docstring(spec.description)),
        features=tuple(_feature_view(spec, f) for f in spec.features),
    )
