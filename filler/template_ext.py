"""The Jinja extension the Copier template loads: spec checks and render-ready views.

`copier.yml` lists `filler.template_ext.SpecExtension` in `_jinja_extensions`. It gives the
template:

- `spec_error(question)`: the validator of every question; the problems `filler.spec.model` finds in
  the answers so far that belong to that question, one per line (empty when there are none).
- `spec_view()` / `feature_view(name)`: the validated spec as views holding exactly the text the
  template places (signatures, docstring literals, import lines, test bodies), built from the
  spec's ASTs so that any answer the spec accepts renders to valid, lint-clean Python.
- filters `pyformat` (format a whole Python file with ruff, using the project's settings),
  `ruff_target` ("3.10" -> "py310"), `quoted` (a double-quoted string valid in TOML and YAML)
  and `md_cell` (text safe inside a Markdown table cell); the global `ruff_line_length`.

Layout stays in the template; the Python here only turns spec values into exact source text.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context

from filler.source.formatting import format_python
from filler.spec.model import (
    ClassSpec,
    Example,
    Feature,
    Function,
    Spec,
    annotation_names,
    import_bindings,
    import_nodes,
    parse_expression,
    parse_params,
    parse_statements,
    signature_names,
    spec_errors,
    unbound_names,
    validate_spec,
)

__all__ = [
    "RUFF_LINE_LENGTH",
    "ClassStub",
    "FeatureView",
    "GeneratedTest",
    "SpecExtension",
    "SpecView",
    "Stub",
    "build_view",
    "docstring_literal",
    "ruff_target",
]

# The rendered project's ruff line length; its pyproject and `pyformat` both read it from here.
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


def _clean(text: str) -> str:
    return "\n".join(line.rstrip() for line in inspect.cleandoc(text).splitlines())


def _summary(text: str) -> str:
    return _clean(text).splitlines()[0]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _and_list(names: Iterable[str]) -> str:
    items = list(names)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def ruff_target(python_min: str) -> str:
    """The ruff `target-version` for a `python_min` answer: "3.10" -> "py310"."""
    return "py" + python_min.replace(".", "")


# --- stubs ----------------------------------------------------------------------------------


_SPECIAL_EXPECT = {"None", "True", "False"}


def _doctest(example: Example) -> list[str]:
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
    lines = [_clean(doc)]
    shown = [line for example in examples for line in _doctest(example)]
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
    return ClassStub(klass.name, docstring_literal(_clean(klass.doc)), tuple(methods))


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


def _test_body(example: Example) -> str:
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
            cases.append(GeneratedTest(name, f"{module}:{unit}", _test_body(example)))
    return tuple(cases)


# --- views ----------------------------------------------------------------------------------


def _feature_view(spec: Spec, feature: Feature) -> FeatureView:
    module = f"{spec.package_name}.{feature.name}"
    names = tuple(sorted(feature.public_names))
    return FeatureView(
        name=feature.name,
        module=module,
        summary=_summary(feature.description),
        docstring=docstring_literal(_clean(feature.description)),
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
        docstring=docstring_literal(_clean(spec.description)),
        features=tuple(_feature_view(spec, f) for f in spec.features),
    )


@lru_cache(maxsize=8)
def _view_of(answers_json: str) -> SpecView:
    return build_view(validate_spec(json.loads(answers_json)))


def _answers(ctx: Context) -> dict[str, Any]:
    return {key: ctx[key] for key in Spec.model_fields if key in ctx}


@pass_context
def spec_view(ctx: Context) -> SpecView:
    # Every rendered file asks for the view; validating and building it once per spec is enough.
    return _view_of(json.dumps(_answers(ctx), sort_keys=True, default=str))


@pass_context
def feature_view(ctx: Context, name: str) -> FeatureView:
    return spec_view(ctx).feature(name)


@pass_context
def spec_error(ctx: Context, question: str) -> str:
    """Problems with the answers so far that belong to `question`, one per line."""
    problems = spec_errors(_answers(ctx))
    return "\n".join(str(p) for p in problems if _belongs(p.field, question))


def _belongs(field: str, question: str) -> bool:
    return field == question or field.startswith((question + "[", question + "."))


@pass_context
def pyformat(ctx: Context, source: str) -> str:
    return format_python(
        source,
        line_length=RUFF_LINE_LENGTH,
        target_version=ruff_target(str(ctx.get("python_min", "3.10"))),
    )


_QUOTED_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def quoted(value: object) -> str:
    """A double-quoted string that TOML and YAML both read back as `str(value)`."""
    return '"' + "".join(_quoted_char(ch) for ch in str(value)) + '"'


def _quoted_char(ch: str) -> str:
    if ch in _QUOTED_ESCAPES:
        return _QUOTED_ESCAPES[ch]
    if ch.isprintable():
        return ch
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}"


def md_cell(value: object) -> str:
    return " ".join(str(value).split()).replace("|", "\\|")


class SpecExtension(Extension):
    """Registers the spec checks, the views and the filters on the template's environment."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.globals.update(
            spec_error=spec_error,
            spec_view=spec_view,
            feature_view=feature_view,
            ruff_line_length=RUFF_LINE_LENGTH,
        )
        filters: Mapping[str, Any] = {
            "pyformat": pyformat,
            "ruff_target": ruff_target,
            "quoted": quoted,
            "md_cell": md_cell,
        }
        environment.filters.update(filters)
