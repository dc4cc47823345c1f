"""The spec: what a project holds, validated in one place.

A spec is the answers Copier records (`package_name`, ..., `features`). Every check lives here:
the Copier questions call it through `filler.template_ext`, and `filler new` calls it before
anything is written. Structural checks (types, name patterns, parameter lists, expressions) are
pydantic field validators; the checks that need the whole spec (duplicates, imports between
features, names the examples and signatures use) run in `Spec`'s after-validator, so a `Spec`
instance is always valid. Problems come out as `SpecError`s naming the field as a path:
`features[0].functions[1].params`.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from packaging.requirements import InvalidRequirement, Requirement
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from filler.errors import SpecError

__all__ = [
    "ClassSpec",
    "Example",
    "Feature",
    "Function",
    "Klass",
    "License",
    "Method",
    "Spec",
    "annotation_names",
    "import_bindings",
    "import_nodes",
    "load_spec",
    "parse_expression",
    "parse_params",
    "parse_statements",
    "signature_names",
    "spec_errors",
    "unbound_names",
    "validate_spec",
]

License = Literal["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"]

_PACKAGE_RE = re.compile(r"[a-z_][a-z0-9_]*")
_PUBLIC_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DUNDER_RE = re.compile(r"__[a-z][a-z0-9_]*__")
_DOTTED_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_PROJECT_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_EMAIL_RE = re.compile(r"[^@\s<>,\"]+@[^@\s<>,\"]+\.[^@\s<>,\"]+")
_PYTHON_RE = re.compile(r"3\.(9|1[0-4])")

# Names that would shadow the rendered project's own tooling or layout once installed.
_RESERVED_PACKAGES = frozenset(
    {"conftest", "copier", "docs", "examples", "filler", "hatchling", "mkdocs", "mkdocstrings"}
    | {"pip", "pytest", "_pytest", "ruff", "setuptools", "src", "tests"}
)
# A stub raises NotImplementedError; an example expecting one of these would pass on the stub.
_STUB_CATCHERS = frozenset({"BaseException", "Exception", "RuntimeError", "NotImplementedError"})
# ruff E741: parameters named like this fail `ruff check` in the rendered project.
_AMBIGUOUS = frozenset({"l", "O", "I"})
_BUILTINS = frozenset(dir(builtins))
_EXAMPLE_GLOBALS = _BUILTINS | {"pytest"}


def _problem(problem: str, fix: str = "") -> PydanticCustomError:
    return PydanticCustomError("spec", "{problem}", {"problem": problem, "fix": fix})


# --- parsing helpers (shared with filler.template_ext) -------------------------------------


def parse_params(text: str, *, method: bool = False) -> ast.arguments:
    """Parse a `params` string as the inside of a def's parentheses (after `self` for methods).

    Raises SyntaxError when it is not exactly one parameter list.
    """
    head = "self, " if method and text.strip() else ("self" if method else "")
    source = f"def _f({head}{text}):\n    pass\n"
    module = ast.parse(source)
    compile(module, "<params>", "exec")
    match module.body:
        case [ast.FunctionDef(body=[ast.Pass()], returns=None, decorator_list=[]) as func]:
            return func.args
    raise SyntaxError("not a single parameter list")


def parse_expression(text: str) -> ast.expr:
    """Parse one Python expression; SyntaxError if it is anything else."""
    return ast.parse(text.strip(), mode="eval").body


def parse_statements(text: str) -> list[ast.stmt]:
    """Parse statements; SyntaxError if they do not parse or there are none."""
    body = ast.parse(text).body
    if not body:
        raise SyntaxError("no statement")
    return body


def import_bindings(node: ast.Import | ast.ImportFrom) -> tuple[str, ...]:
    """The names an import statement binds: `import a.b` binds `a`, `... as x` binds `x`."""
    return tuple(alias.asname or alias.name.split(".")[0] for alias in node.names)


def _names(nodes: Iterable[ast.AST]) -> tuple[set[str], set[str]]:
    """(names read, names bound) anywhere in the nodes; scoping is ignored: close enough here."""
    read: set[str] = set()
    bound: set[str] = set()
    for tree in nodes:
        for node in ast.walk(tree):
            match node:
                case ast.Name(id=name, ctx=ast.Load()):
                    read.add(name)
                case ast.Name(id=name) | ast.arg(arg=name) | ast.ExceptHandler(name=str(name)):
                    bound.add(name)
                case ast.FunctionDef(name=name) | ast.AsyncFunctionDef(name=name):
                    bound.add(name)
                case ast.ClassDef(name=name):
                    bound.add(name)
                case ast.Import() | ast.ImportFrom():
                    bound.update(import_bindings(node))
    return read, bound


def unbound_names(nodes: Iterable[ast.AST]) -> set[str]:
    """Names the nodes read but do not bind themselves."""
    read, bound = _names(nodes)
    return read - bound


def annotation_names(node: ast.expr | None) -> set[str]:
    """Names an annotation reads, including inside string (forward-reference) annotations."""
    if node is None:
        return set()
    names = unbound_names([node])
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            try:
                names |= annotation_names(parse_expression(sub.value))
            except SyntaxError:
                continue
    return names


def signature_names(args: ast.arguments) -> tuple[set[str], set[str]]:
    """(names the parameter annotations read, names the default values read)."""
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    every += [a for a in (args.vararg, args.kwarg) if a is not None]
    annotations: set[str] = set()
    for arg in every:
        annotations |= annotation_names(arg.annotation)
    defaults = [d for d in [*args.defaults, *args.kw_defaults] if d is not None]
    return annotations, unbound_names(defaults)


def _outside_functions(node: ast.AST) -> Iterator[ast.AST]:
    """Walk a tree without entering nested function bodies (their yields are their own)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _outside_functions(child)


def _refuse_in_test_body(trees: Iterable[ast.AST], what: str) -> None:
    forbidden = (ast.Yield, ast.YieldFrom, ast.Await, ast.Return, ast.Global, ast.Nonlocal)
    for tree in trees:
        for node in _outside_functions(tree):
            if isinstance(node, forbidden):
                word = type(node).__name__.lower().replace("yieldfrom", "yield from")
                raise _problem(f"{what} uses '{word}', which cannot run inside a test function")


# --- field validators ------------------------------------------------------------------------


_LOWER_FIX = "use lowercase letters, digits and underscores, starting with a letter or _"
_PUBLIC_FIX = "use ASCII letters, digits and underscores, starting with a letter"
_RENAME = "choose another name"


def _check_identifier(value: str, pattern: re.Pattern[str], what: str, fix: str) -> str:
    if not pattern.fullmatch(value):
        raise _problem(f"{value!r} is not a valid {what}", fix)
    if keyword.iskeyword(value):
        raise _problem(f"{value!r} is a Python keyword", _RENAME)
    return value


def _check_package(value: str) -> str:
    _check_identifier(value, _PACKAGE_RE, "import name", _LOWER_FIX)
    if value in sys.stdlib_module_names:
        raise _problem(f"{value!r} is a standard library module and would shadow it", _RENAME)
    if value in _RESERVED_PACKAGES:
        raise _problem(f"{value!r} would shadow the project's own tools or folders", _RENAME)
    return value


def _check_module(value: str) -> str:
    if value in {"__init__", "__main__"}:
        raise _problem(f"{value!r} is not a valid module name", _LOWER_FIX)
    return _check_identifier(value, _PACKAGE_RE, "module name", _LOWER_FIX)


def _check_public(value: str) -> str:
    return _check_identifier(value, _PUBLIC_RE, "public name", _PUBLIC_FIX)


def _check_method(value: str) -> str:
    if value == "__init__":
        raise _problem("'__init__' is written by the class's 'init'", "give its params as 'init'")
    return value if _DUNDER_RE.fullmatch(value) else _check_public(value)


def _check_params(value: str, *, method: bool) -> str:
    if method and re.match(r"\s*self\b", value):
        raise _problem(f"{value!r} lists self", "leave self out; the template adds it")
    try:
        args = parse_params(value, method=method)
    except SyntaxError as exc:
        raise _problem(
            f"{value!r} is not a parameter list ({exc.msg})",
            'what goes between the parentheses of a def, e.g. "text: str, *, n: int = 1"',
        ) from None
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    for name in names:
        if name in _AMBIGUOUS:
            raise _problem(f"parameter name {name!r} is ambiguous (ruff E741)", "rename it")
    return value


def _check_function_params(value: str) -> str:
    return _check_params(value, method=False)


def _check_method_params(value: str) -> str:
    return _check_params(value, method=True)


def _check_annotation(value: str) -> str:
    try:
        parse_expression(value)
    except SyntaxError as exc:
        raise _problem(
            f"{value!r} is not a type expression ({exc.msg})", 'e.g. "list[str]" or "int | None"'
        ) from None
    return value


def _check_expression(value: str) -> str:
    try:
        tree = parse_expression(value)
    except SyntaxError as exc:
        raise _problem(
            f"{value!r} is not a Python expression ({exc.msg})",
            "write one expression, e.g. \"word_tokens('a b')\"",
        ) from None
    _refuse_in_test_body([tree], repr(value))
    return value


def _check_statements(value: str) -> str:
    try:
        body = parse_statements(value)
    except SyntaxError as exc:
        raise _problem(
            f"{value!r} is not a Python statement ({exc.msg})", 'e.g. "v = Vocabulary()"'
        ) from None
    _refuse_in_test_body(body, repr(value))
    return value


def _check_exception(value: str) -> str:
    if not _DOTTED_RE.fullmatch(value) or any(keyword.iskeyword(p) for p in value.split(".")):
        raise _problem(
            f"{value!r} is not an exception name", 'e.g. "ValueError" or "json.JSONDecodeError"'
        )
    if value in _STUB_CATCHERS:
        raise _problem(
            f"{value!r} also catches the stub's NotImplementedError, so the example would pass "
            "before anything is written",
            "name the specific exception the function raises",
        )
    return value


def _check_import(value: str) -> str:
    try:
        body = parse_statements(value)
    except SyntaxError as exc:
        raise _problem(f"{value!r} is not an import statement ({exc.msg})") from None
    match body:
        case [ast.ImportFrom(module="__future__")]:
            raise _problem("__future__ imports are added by the template", "remove this line")
        case [ast.ImportFrom(level=level)] if level:
            raise _problem(
                f"{value!r} is a relative import", "write it absolute: from <package>.<feature> ..."
            )
        case [ast.ImportFrom(names=names)] if any(a.name == "*" for a in names):
            raise _problem(f"{value!r} is a star import", "name what you import")
        case [ast.Import() | ast.ImportFrom()]:
            return value
    raise _problem(
        f"{value!r} is not one import statement", 'e.g. "from collections.abc import Iterable"'
    )


def _check_text(value: str) -> str:
    if not value.strip():
        raise _problem("must not be empty")
    return value


def _check_summary(value: str) -> str:
    _check_text(value)
    if "\n" in value.strip():
        raise _problem("must be one line (it is the package summary)")
    return value


def _check_project(value: str) -> str:
    if not _PROJECT_RE.fullmatch(value):
        raise _problem(
            f"{value!r} is not a valid distribution name",
            "use letters, digits, '.', '_' and '-', starting and ending with a letter or digit",
        )
    return value


def _check_email(value: str) -> str:
    if value and not _EMAIL_RE.fullmatch(value):
        raise _problem(f"{value!r} is not an email address", "e.g. ada@example.org, or leave empty")
    return value


def _check_one_line(value: str) -> str:
    if "\n" in value:
        raise _problem("must be one line")
    return value


def _check_python(value: str) -> str:
    if not _PYTHON_RE.fullmatch(value):
        hint = 'quote it in YAML: "3.10" (unquoted, 3.10 reads as 3.1)' if value == "3.1" else ""
        raise _problem(f"{value!r} is not a supported Python version (3.9 to 3.14)", hint)
    return value


def _check_requirement(value: str) -> str:
    try:
        Requirement(value)
    except InvalidRequirement as exc:
        raise _problem(
            f"{value!r} is not a PEP 508 requirement ({exc})", 'e.g. "requests>=2.31"'
        ) from None
    return value


def _version_text(value: object) -> object:
    # YAML reads an unquoted 3.12 as a float; take it back as the text the user meant.
    return str(value) if isinstance(value, float) else value


def _literal_text(value: object) -> object:
    """A YAML scalar or plain container given as an expected value means that Python value."""
    if value is None or isinstance(value, bool | int | float | list | dict):
        return repr(value)
    return value


def _as_tuple(value: object) -> object:
    return (value,) if isinstance(value, str) else value


PackageName = Annotated[str, AfterValidator(_check_package)]
ModuleName = Annotated[str, AfterValidator(_check_module)]
PublicName = Annotated[str, AfterValidator(_check_public)]
MethodName = Annotated[str, AfterValidator(_check_method)]
FunctionParams = Annotated[str, AfterValidator(_check_function_params)]
MethodParams = Annotated[str, AfterValidator(_check_method_params)]
TypeExpr = Annotated[str, AfterValidator(_check_annotation)]
Expression = Annotated[str, AfterValidator(_check_expression)]
Statement = Annotated[str, AfterValidator(_check_statements)]
ExceptionName = Annotated[str, AfterValidator(_check_exception)]
ImportLine = Annotated[str, AfterValidator(_check_import)]
Text = Annotated[str, AfterValidator(_check_text)]


# --- models ------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Example(_Model):
    """One example: `setup` statements run first, then `call` equals `expect` or raises `raises`."""

    call: Expression = Field(description="A Python expression, e.g. \"word_tokens('a b')\".")
    expect: Annotated[Expression | None, BeforeValidator(_literal_text)] = Field(
        default=None, description="A Python expression the call must equal."
    )
    raises: ExceptionName | None = Field(
        default=None, description="The exception the call must raise, e.g. 'ValueError'."
    )
    setup: Annotated[tuple[Statement, ...], BeforeValidator(_as_tuple)] = Field(
        default=(), description="Statements to run first (one string or a list)."
    )

    @model_validator(mode="after")
    def _expect_or_raises(self) -> Example:
        if (self.expect is None) == (self.raises is None):
            raise _problem("an example needs exactly one of 'expect' and 'raises'")
        return self


class Function(_Model):
    """A top-level function stub."""

    name: PublicName
    params: FunctionParams = Field(
        default="", description="e.g. 'text: str, *, lower: bool = False'"
    )
    returns: TypeExpr = Field(default="None", description="The return annotation.")
    doc: Text = Field(description="What it does; the docstring's first part.")
    # Optional: without examples a unit has no generated test, so only the gates check its fill.
    examples: tuple[Example, ...] = ()


class Method(Function):
    """A method stub; `params` leave out `self`, which the template adds."""

    name: MethodName
    params: MethodParams = ""


class ClassSpec(_Model):
    """A class stub: its docstring, an optional `__init__` (from `init`) and its methods."""

    name: PublicName
    doc: Text
    init: MethodParams | None = Field(default=None, description="__init__ params, without self.")
    methods: tuple[Method, ...] = Field(min_length=1)


Klass = ClassSpec


class Feature(_Model):
    """One module of the package, with its tests and its demo."""

    name: ModuleName
    description: Text
    imports: tuple[ImportLine, ...] = ()
    functions: tuple[Function, ...] = ()
    classes: tuple[ClassSpec, ...] = ()

    @model_validator(mode="after")
    def _not_empty(self) -> Feature:
        if not self.functions and not self.classes:
            raise _problem("a feature needs at least one function or class")
        return self

    @property
    def public_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.functions) + tuple(c.name for c in self.classes)


class Spec(_Model):
    """A whole spec: the Copier answers of one project."""

    package_name: PackageName = Field(description="The import name, e.g. 'textkit'.")
    project_name: Annotated[str, AfterValidator(_check_project)] = Field(
        default="", description="The distribution name; defaults to package_name with dashes."
    )
    description: Annotated[str, AfterValidator(_check_summary)]
    author_name: Annotated[str, AfterValidator(_check_one_line)] = ""
    author_email: Annotated[str, AfterValidator(_check_email)] = ""
    license: License = "MIT"
    python_min: Annotated[str, BeforeValidator(_version_text), AfterValidator(_check_python)] = (
        "3.10"
    )
    dependencies: tuple[Annotated[str, AfterValidator(_check_requirement)], ...] = ()
    features: tuple[Feature, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _default_project_name(cls, data: object) -> object:
        if isinstance(data, Mapping) and not data.get("project_name"):
            package = data.get("package_name")
            if isinstance(package, str):
                return {**data, "project_name": package.replace("_", "-")}
        return data

    @model_validator(mode="after")
    def _whole_spec(self) -> Spec:
        problems = list(_whole_spec_problems(self))
        if problems:
            raise PydanticCustomError(
                "spec_whole",
                "{summary}",
                {"summary": "; ".join(str(p) for p in problems), "problems": problems},
            )
        return self

    def feature(self, name: str) -> Feature:
        """The feature called `name` (KeyError if there is none)."""
        for feature in self.features:
            if feature.name == name:
                return feature
        raise KeyError(name)


# --- whole-spec checks ----------------------------------------------------------------------


def _whole_spec_problems(spec: Spec) -> Iterator[SpecError]:
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
        _, setup_bound = _names(stmt for stmts in setup for stmt in stmts)
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


# --- entry points ------------------------------------------------------------------------------


def spec_errors(data: object) -> list[SpecError]:
    """Every problem in `data` (a parsed spec mapping), in field order; empty when it is valid."""
    try:
        Spec.model_validate(data)
    except ValidationError as exc:
        return _spec_errors_of(exc)
    return []


def validate_spec(data: object) -> Spec:
    """The valid `Spec` for `data`, or its first problem raised as a `SpecError`."""
    try:
        return Spec.model_validate(data)
    except ValidationError as exc:
        raise _spec_errors_of(exc)[0] from None


def load_spec(path: Path) -> Spec:
    """Read and validate a spec YAML file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(str(path), f"cannot be read ({exc})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError(str(path), f"is not valid YAML{where}") from None
    return validate_spec(data)


_CommonMessage = Callable[[Mapping[str, Any]], tuple[str, str]]

_MESSAGES: dict[str, _CommonMessage] = {
    "missing": lambda e: ("is required", ""),
    "extra_forbidden": lambda e: ("is not a known key", "check the spelling (see docs/spec.md)"),
    "string_type": lambda e: (f"{e['input']!r} must be a string", "quote it in YAML"),
    "tuple_type": lambda e: ("must be a list", ""),
    "model_type": lambda e: ("must be a mapping", ""),
    "model_attributes_type": lambda e: ("must be a mapping", ""),
    "too_short": lambda e: ("must not be empty", "give at least one"),
    "literal_error": lambda e: (
        f"{e['input']!r} is not one of {e['ctx']['expected']}",
        "",
    ),
}


def _spec_errors_of(exc: ValidationError) -> list[SpecError]:
    return [problem for error in exc.errors() for problem in _problems_of(error)]


def _problems_of(error: Mapping[str, Any]) -> list[SpecError]:
    ctx = error.get("ctx") or {}
    if error["type"] == "spec_whole":
        return list(ctx["problems"])
    field = _path(error["loc"])
    if error["type"] == "spec":
        return [SpecError(field, ctx["problem"], ctx["fix"])]
    if error["type"] == "too_short" and error["input"]:
        # pydantic also counts a list whose every item failed as too short: already reported
        return []
    message = _MESSAGES.get(error["type"])
    problem, fix = message(error) if message else (str(error["msg"]), "")
    return [SpecError(field, problem, fix)]


def _path(loc: Sequence[int | str]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else part
    return path or "spec"
