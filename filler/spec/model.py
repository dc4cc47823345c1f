"""The spec: what a project holds, validated in one place.

A spec is the answers Copier records (`package_name`, ..., `features`). Every check runs from
here: the Copier questions call it through `filler.template_ext`, and `filler new` calls it
before anything is written. Structural checks (types, name patterns, parameter lists,
expressions) are pydantic field validators in this module; the checks that need the whole spec
(duplicates, imports between features, names the examples and signatures use) live in
`filler.spec.checks` and run in `Spec`'s after-validator, so a `Spec` instance is always valid.
Problems come out as `SpecError`s naming the field as a path: `features[0].functions[1].params`.
The parsers and name helpers of `filler.spec.syntax` are importable from here too.
"""

from __future__ import annotations

import ast
import keyword
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
from filler.spec.checks import whole_spec_problems
from filler.spec.kinds import EnumKind, MethodKind
from filler.spec.syntax import (
    parse_expression,
    parse_params,
    parse_statements,
)

__all__ = [
    "ClassSpec",
    "Constant",
    "DataclassOptions",
    "EnumKind",
    "EnumMember",
    "EnumSpec",
    "Example",
    "ExceptionSpec",
    "Feature",
    "FieldSpec",
    "Fixture",
    "Function",
    "Klass",
    "License",
    "Method",
    "MethodKind",
    "Spec",
    "load_spec",
    "spec_errors",
    "validate_spec",
]

License = Literal["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"]

_PACKAGE_RE = re.compile(r"[a-z_][a-z0-9_]*")
_PUBLIC_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_DUNDER_RE = re.compile(r"__[a-z][a-z0-9_]*__")
_PRIVATE_RE = re.compile(r"_[A-Za-z][A-Za-z0-9_]*")
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
# Lengths far above real use, which bound what one unit's prompt and tests can hold: every
# docstring, description and example goes into a prompt (documented in docs/spec.md).
_MAX_PROSE = 10_000  # characters of a docstring or description
_MAX_CODE = 5_000  # characters of an example's call, expected value or setup; a signature part
_MAX_EXAMPLES = 100  # examples of one function or method


def _problem(problem: str, fix: str = "", at: str = "") -> PydanticCustomError:
    """A problem of the field being validated, or (`at`) of that model's field `at`."""
    return PydanticCustomError("spec", "{problem}", {"problem": problem, "fix": fix, "at": at})


# --- field validators ------------------------------------------------------------------------


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
    if _DUNDER_RE.fullmatch(value) or _PRIVATE_RE.fullmatch(value):
        return value
    return _check_public(value)


def _check_field_name(value: str) -> str:
    if _DUNDER_RE.fullmatch(value):
        raise _problem(f"{value!r} is a dunder name, not a field", _RENAME)
    if _PRIVATE_RE.fullmatch(value):
        return value
    return _check_public(value)


# Module attributes Python or the template already sets; a constant must not replace them.
_MODULE_DUNDERS = frozenset(
    {"__all__", "__annotations__", "__builtins__", "__doc__", "__file__", "__loader__"}
    | {"__name__", "__package__", "__path__", "__spec__"}
)


def _check_constant_name(value: str) -> str:
    if value in _MODULE_DUNDERS:
        raise _problem(f"{value!r} is set by Python or the template", _RENAME)
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


def _check_base(value: str) -> str:
    if not _DOTTED_RE.fullmatch(value) or any(keyword.iskeyword(p) for p in value.split(".")):
        raise _problem(f"{value!r} is not a class name", 'e.g. "ValueError", "Shape" or "abc.ABC"')
    return value


def _check_decorator(value: str) -> str:
    try:
        tree = parse_expression(value.removeprefix("@"))
    except SyntaxError as exc:
        raise _problem(
            f"{value!r} is not a decorator expression ({exc.msg})",
            'e.g. "functools.cache" or "contextmanager", without the @',
        ) from None
    if value.startswith("@"):
        raise _problem(f"{value!r} starts with @", "leave the @ out; the template adds it")
    if isinstance(tree, ast.Name) and tree.id in {m.value for m in MethodKind}:
        raise _problem(f"{value!r} is a method kind", f"give it as 'kind: {tree.id}'")
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


def _capped(limit: int) -> AfterValidator:
    """A length check, run before the field's own (which may parse what it is given)."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise _problem(
                f"is {len(value):,} characters long, over the limit of {limit:,}", "shorten it"
            )
        return value

    return AfterValidator(check)


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


def _asserts(text: str) -> bool:
    """Whether statements check something: an assert, or a `pytest.raises` block."""
    for node in ast.walk(ast.Module(body=parse_statements(text), type_ignores=[])):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.With) and "pytest.raises" in ast.unparse(node.items[0]):
            return True
    return False


def _literal_text(value: object) -> object:
    """A YAML scalar or plain container given as an expected value means that Python value."""
    if value is None or isinstance(value, bool | int | float | list | dict):
        return repr(value)
    return value


def _as_tuple(value: object) -> object:
    return (value,) if isinstance(value, str) else value


def _dataclass_flag(value: object) -> object:
    """`dataclass: true` means the default options, `false` no dataclass."""
    if value is True:
        return {}
    return None if value is False else value


_PROSE = _capped(_MAX_PROSE)
_CODE = _capped(_MAX_CODE)

PackageName = Annotated[str, AfterValidator(_check_package)]
ModuleName = Annotated[str, AfterValidator(_check_module)]
PublicName = Annotated[str, AfterValidator(_check_public)]
MethodName = Annotated[str, AfterValidator(_check_method)]
FunctionParams = Annotated[str, _CODE, AfterValidator(_check_function_params)]
MethodParams = Annotated[str, _CODE, AfterValidator(_check_method_params)]
TypeExpr = Annotated[str, _CODE, AfterValidator(_check_annotation)]
Expression = Annotated[str, _CODE, AfterValidator(_check_expression)]
Statement = Annotated[str, _CODE, AfterValidator(_check_statements)]
ExceptionName = Annotated[str, _CODE, AfterValidator(_check_exception)]
FieldName = Annotated[str, AfterValidator(_check_field_name)]
ConstantName = Annotated[str, AfterValidator(_check_constant_name)]
BaseName = Annotated[str, _CODE, AfterValidator(_check_base)]
Decorator = Annotated[str, _CODE, AfterValidator(_check_decorator)]
Value = Annotated[Expression, BeforeValidator(_literal_text)]
# `default: null` means the default None; an absent key means no default.
OptionalValue = Annotated[Expression | None, BeforeValidator(_literal_text)]
ImportLine = Annotated[str, _CODE, AfterValidator(_check_import)]
Text = Annotated[str, _PROSE, AfterValidator(_check_text)]


# --- models ------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Example(_Model):
    """One example: `setup` statements run first, then `call` equals `expect` or raises `raises`;
    or, instead of those three, a `scenario` (statements and asserts run in order) or a property
    (`check` holds for all values hypothesis draws from the `given` strategies)."""

    call: Expression | None = Field(
        default=None,
        description="A Python expression, e.g. \"word_tokens('a b')\" (required without scenario).",
    )
    expect: Annotated[Expression | None, BeforeValidator(_literal_text)] = Field(
        default=None, description="A Python expression the call must equal."
    )
    raises: ExceptionName | None = Field(
        default=None, description="The exception the call must raise, e.g. 'ValueError'."
    )
    setup: Annotated[tuple[Statement, ...], BeforeValidator(_as_tuple)] = Field(
        default=(), description="Statements to run first (one string or a list)."
    )
    scenario: Annotated[tuple[Statement, ...], BeforeValidator(_as_tuple)] = Field(
        default=(),
        description="Statements and asserts run in order, e.g. 'assert s.add(x) == 1'.",
    )
    given: dict[str, Expression] = Field(
        default_factory=dict,
        description="A property: name -> hypothesis strategy, e.g. {x: 'st.integers()'}.",
    )
    check: Expression | None = Field(
        default=None, description="A property: what holds for every drawn value, e.g. 'f(x) >= 0'."
    )

    @model_validator(mode="after")
    def _expect_or_raises(self) -> Example:
        if self.given or self.check is not None:
            return self._property_fits()
        if self.scenario:
            if (self.call, self.expect, self.raises) != (None, None, None):
                raise _problem("a scenario example has no 'call', 'expect' or 'raises'")
            if not any(_asserts(text) for text in self.scenario):
                raise _problem(
                    "a scenario must check something",
                    "add an assert, or a 'with pytest.raises(...)' block",
                    "scenario",
                )
            return self
        if self.call is None:
            raise _problem("is required", "", "call")
        if (self.expect is None) == (self.raises is None):
            raise _problem("an example needs exactly one of 'expect' and 'raises'")
        return self

    def _property_fits(self) -> Example:
        if not self.given or self.check is None:
            raise _problem("a property needs both 'given' and 'check'")
        if (self.call, self.expect, self.raises, self.scenario) != (None, None, None, ()):
            raise _problem("a property example has no 'call', 'expect', 'raises' or 'scenario'")
        for name in self.given:
            if not _PACKAGE_RE.fullmatch(name) or keyword.iskeyword(name):
                raise _problem(f"{name!r} is not a parameter name", _LOWER_FIX, "given")
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
    examples: tuple[Example, ...] = Field(default=(), max_length=_MAX_EXAMPLES)
    decorators: tuple[Decorator, ...] = Field(
        default=(), description="Decorators written above the def, without @, outermost first."
    )
    asynchronous: bool = Field(default=False, description="An `async def`.")

    def arguments(self) -> ast.arguments:
        """The parsed parameter list as rendered."""
        return parse_params(self.params)


class Method(Function):
    """A method stub; `params` leave out `self` (or `cls`), which the template adds."""

    name: MethodName
    params: MethodParams = ""
    kind: MethodKind = Field(
        default=MethodKind.METHOD, description="method | staticmethod | classmethod | property"
    )
    setter: bool = Field(default=False, description="A property that can also be assigned.")

    @property
    def receiver(self) -> str | None:
        """The first parameter the template adds: `self`, `cls`, or none (a staticmethod)."""
        kinds = {MethodKind.STATIC: None, MethodKind.CLASS: "cls"}
        return kinds.get(self.kind, "self")

    def arguments(self) -> ast.arguments:
        """The parsed parameter list as rendered, the receiver included."""
        receiver = self.receiver
        return parse_params(self.params, method=receiver is not None, receiver=receiver or "")

    @model_validator(mode="after")
    def _kind_fits(self) -> Method:
        if self.kind is MethodKind.STATIC and re.match(r"\s*(self|cls)\b", self.params):
            raise _problem("a staticmethod takes no self or cls", "remove it from params", "params")
        if self.kind is MethodKind.CLASS and re.match(r"\s*cls\b", self.params):
            raise _problem("params list cls", "leave cls out; the template adds it", "params")
        if self.kind is MethodKind.PROPERTY:
            if self.params.strip():
                raise _problem("a property takes no parameters", "remove params", "params")
            if self.asynchronous:
                raise _problem("a property cannot be async", "make it a method", "asynchronous")
        elif self.setter:
            raise _problem("only a property has a setter", "add 'kind: property'", "setter")
        return self


class FieldSpec(_Model):
    """A declared attribute: a dataclass field, or a parameter `__init__` only stores."""

    name: FieldName
    type: TypeExpr = Field(description="The annotation, e.g. 'int' or 'list[str]'.")
    default: OptionalValue = Field(default=None, description="A Python expression; none: required.")
    doc: Text | None = Field(default=None, description="One line for the Attributes section.")


class DataclassOptions(_Model):
    """`@dataclass(...)` options; `dataclass: true` takes them all as False."""

    frozen: bool = False
    order: bool = False


# typing's classes whose fields are bare class annotations (checked to be imported from typing)
RECORD_BASES = frozenset({"NamedTuple", "TypedDict", "Protocol"})


class ClassSpec(_Model):
    """A class: its docstring, bases, fields, an optional `__init__` (from `init`) and methods.
    With `fields` the template writes what the spec fixes (dataclass field lines, annotations of
    a NamedTuple, TypedDict or Protocol, or else an `__init__` that only stores each field), and
    `methods` may be empty."""

    name: PublicName
    doc: Text
    bases: tuple[BaseName, ...] = Field(default=(), description="Base classes, in order.")
    dataclass: Annotated[DataclassOptions | None, BeforeValidator(_dataclass_flag)] = None
    fields: tuple[FieldSpec, ...] = ()
    init: MethodParams | None = Field(default=None, description="__init__ params, without self.")
    methods: tuple[Method, ...] = ()

    @model_validator(mode="after")
    def _has_members(self) -> ClassSpec:
        if not self.methods and not (self.fields or self.bases or self.dataclass):
            raise _problem("must not be empty", "give at least one", "methods")
        if self.init is not None and (self.fields or self.dataclass):
            raise _problem(
                "the template writes __init__ from 'fields' (or the dataclass does)",
                "give either init or fields",
                "init",
            )
        if self.dataclass is not None and self.record_base:
            raise _problem(
                f"a {self.record_base} is not a dataclass", "drop dataclass", "dataclass"
            )
        return self

    @property
    def record_base(self) -> str:
        """ "NamedTuple", "TypedDict" or "Protocol" when a base is one (its fields are then bare
        class annotations), else ""."""
        names = (base.rsplit(".", 1)[-1] for base in self.bases)
        return next((name for name in names if name in RECORD_BASES), "")

    @property
    def stores_fields(self) -> bool:
        """True when the template writes an `__init__` that only stores the fields."""
        return bool(self.fields) and self.dataclass is None and not self.record_base


Klass = ClassSpec


class ExceptionSpec(_Model):
    """A package exception class: rendered whole (bases and docstring), never a stub."""

    name: PublicName
    doc: Text
    bases: tuple[BaseName, ...] = Field(default=("Exception",), min_length=1)


class EnumMember(_Model):
    name: PublicName
    value: OptionalValue = Field(default=None, description="A Python expression; none: auto().")
    doc: Text | None = None


class EnumSpec(_Model):
    """An enum, rendered whole: `class Color(enum.Enum)` with its members."""

    name: PublicName
    doc: Text
    kind: EnumKind = EnumKind.ENUM
    members: tuple[EnumMember, ...] = Field(min_length=1)


class Constant(_Model):
    """A module-level name: `MAX_ITEMS: int = 100`, `__version__`, a type alias, a TypeVar."""

    name: ConstantName
    value: Value = Field(description="A Python expression: write strings quoted, \"'1.0'\".")
    type: TypeExpr | None = Field(default=None, description="An annotation, e.g. 'TypeAlias'.")
    doc: Text | None = Field(default=None, description="The docstring below it.")


def _check_fixture_name(value: str) -> str:
    _check_identifier(value, _PACKAGE_RE, "fixture name", _LOWER_FIX)
    if value in _FIXTURE_RESERVED or value.startswith("test"):
        raise _problem(f"{value!r} is a name the tests already use", _RENAME)
    return value


# pytest's own fixtures and the names every generated test module binds.
_FIXTURE_RESERVED = frozenset(
    {"pytest", "request", "tmp_path", "tmp_path_factory", "monkeypatch", "capsys", "caplog"}
)


class Fixture(_Model):
    """A pytest fixture of the feature's tests: `setup` runs, the test gets `value`, and
    `teardown` runs after the test, whatever its outcome."""

    name: Annotated[str, AfterValidator(_check_fixture_name)]
    setup: Annotated[tuple[Statement, ...], BeforeValidator(_as_tuple)] = ()
    value: Expression = Field(description="What a test that names the fixture gets, e.g. 's'.")
    teardown: Annotated[tuple[Statement, ...], BeforeValidator(_as_tuple)] = ()


class Feature(_Model):
    """One module of the package, with its tests and its demo."""

    name: ModuleName
    description: Text
    imports: tuple[ImportLine, ...] = ()
    constants: tuple[Constant, ...] = ()
    exceptions: tuple[ExceptionSpec, ...] = ()
    enums: tuple[EnumSpec, ...] = ()
    functions: tuple[Function, ...] = ()
    classes: tuple[ClassSpec, ...] = ()
    fixtures: tuple[Fixture, ...] = Field(
        default=(), description="pytest fixtures examples use by name."
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Feature:
        if not (self.functions or self.classes or self.exceptions or self.enums):
            raise _problem("a feature needs at least one function, class, exception or enum")
        return self

    @property
    def public_names(self) -> tuple[str, ...]:
        """What the module exports, in spec order: functions, classes, exceptions, enums,
        constants (a dunder constant such as `__version__` is not exported)."""
        groups: list[Sequence[Function | ClassSpec | ExceptionSpec | EnumSpec | Constant]]
        groups = [self.functions, self.classes, self.exceptions, self.enums, self.constants]
        names = (d.name for group in groups for d in group)
        return tuple(name for name in names if not _DUNDER_RE.fullmatch(name))

    @property
    def callable_names(self) -> tuple[str, ...]:
        """The functions and classes: what a demo shows at work."""
        return tuple(f.name for f in self.functions) + tuple(c.name for c in self.classes)


class Spec(_Model):
    """A whole spec: the Copier answers of one project."""

    package_name: PackageName = Field(description="The import name, e.g. 'textkit'.")
    project_name: Annotated[str, AfterValidator(_check_project)] = Field(
        default="", description="The distribution name; defaults to package_name with dashes."
    )
    description: Annotated[str, _PROSE, AfterValidator(_check_summary)]
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
        problems = list(whole_spec_problems(self))
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
    "too_long": lambda e: (
        f"has {e['ctx']['actual_length']:,} items, over the limit of {e['ctx']['max_length']:,}",
        "keep the ones that say most",
    ),
    "enum": lambda e: (f"{e['input']!r} is not one of {e['ctx']['expected']}", ""),
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
        at = ctx.get("at")
        return [SpecError(f"{field}.{at}" if at else field, ctx["problem"], ctx["fix"])]
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
