"""The spec: what a project holds, validated in one place.

A spec is the answers Copier records (`package_name`, ..., `features`). Every check runs from
here: the Copier questions call it through `filler.template_ext`, and `filler new` calls it
before anything is written. Structural checks (types, name patterns, parameter lists,
expressions) are the field types of `filler.spec.fields`; the checks that need the whole spec
(duplicates, imports between features, names the examples and signatures use) live in
`filler.spec.checks` and run in `Spec`'s after-validator, so a `Spec` instance is always valid.
Problems come out as `SpecError`s naming the field as a path: `features[0].functions[1].params`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
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
from filler.spec.fields import (
    LOWER_FIX,
    MAX_EXAMPLES,
    BaseName,
    ConstantName,
    Decorator,
    Email,
    ExceptionName,
    Expression,
    FieldName,
    FixtureName,
    FunctionParams,
    ImportLine,
    MethodName,
    MethodParams,
    ModuleName,
    OneLine,
    OptionalValue,
    PackageName,
    ProjectName,
    PublicName,
    PythonVersion,
    RequirementText,
    Statements,
    Summary,
    Text,
    TypeExpr,
    Value,
    asserts,
    dataclass_flag,
    is_dunder,
    is_parameter_name,
    problem,
)
from filler.spec.kinds import EnumKind, MethodKind
from filler.spec.syntax import (
    parse_params,
)

__all__ = [
    "Alias",
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
    "MethodAlias",
    "MethodKind",
    "MethodOverload",
    "Overload",
    "Spec",
    "load_spec",
    "spec_errors",
    "validate_spec",
]

License = Literal["MIT", "Apache-2.0", "BSD-3-Clause", "Proprietary"]

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
    expect: OptionalValue = Field(
        default=None, description="A Python expression the call must equal."
    )
    raises: ExceptionName | None = Field(
        default=None, description="The exception the call must raise, e.g. 'ValueError'."
    )
    setup: Statements = Field(
        default=(), description="Statements to run first (one string or a list)."
    )
    scenario: Statements = Field(
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
                raise problem("a scenario example has no 'call', 'expect' or 'raises'")
            if not any(asserts(text) for text in self.scenario):
                raise problem(
                    "a scenario must check something",
                    "add an assert, or a 'with pytest.raises(...)' block",
                    "scenario",
                )
            return self
        if self.call is None:
            raise problem("is required", "", "call")
        if (self.expect is None) == (self.raises is None):
            raise problem("an example needs exactly one of 'expect' and 'raises'")
        return self

    def _property_fits(self) -> Example:
        if not self.given or self.check is None:
            raise problem("a property needs both 'given' and 'check'")
        if (self.call, self.expect, self.raises, self.scenario) != (None, None, None, ()):
            raise problem("a property example has no 'call', 'expect', 'raises' or 'scenario'")
        for name in self.given:
            if not is_parameter_name(name):
                raise problem(f"{name!r} is not a parameter name", LOWER_FIX, "given")
        return self


class Overload(_Model):
    """One `@overload` signature of a function: rendered whole with a `...` body, never a unit."""

    params: FunctionParams = Field(default="", description="e.g. 'value: str'")
    returns: TypeExpr = Field(default="None", description="The return annotation.")


class MethodOverload(Overload):
    """One `@overload` signature of a method; `params` leave out `self` (or `cls`)."""

    params: MethodParams = ""


class Function(_Model):
    """A top-level function stub."""

    name: PublicName
    params: FunctionParams = Field(
        default="", description="e.g. 'text: str, *, lower: bool = False'"
    )
    returns: TypeExpr = Field(default="None", description="The return annotation.")
    doc: Text = Field(description="What it does; the docstring's first part.")
    # Optional: without examples a unit has no generated test, so only the gates check its fill.
    examples: tuple[Example, ...] = Field(default=(), max_length=MAX_EXAMPLES)
    decorators: tuple[Decorator, ...] = Field(
        default=(), description="Decorators written above the def, without @, outermost first."
    )
    asynchronous: bool = Field(default=False, description="An `async def`.")
    overloads: tuple[Overload, ...] = Field(
        default=(),
        description="`@overload` signatures rendered before the implementation (two or more).",
    )

    def arguments(self) -> ast.arguments:
        """The parsed parameter list as rendered."""
        return self.parameters(self.params)

    def parameters(self, params: str) -> ast.arguments:
        """`params` (its own or an overload's) parsed as this function renders them."""
        return parse_params(params)

    @model_validator(mode="after")
    def _overloads_fit(self) -> Function:
        if len(self.overloads) == 1:
            raise problem(
                "an overload group needs at least two signatures",
                "add another, or give the one signature as params and returns",
                "overloads",
            )
        return self


class Method(Function):
    """A method stub; `params` leave out `self` (or `cls`), which the template adds."""

    name: MethodName
    params: MethodParams = ""
    overloads: tuple[MethodOverload, ...] = ()
    kind: MethodKind = Field(
        default=MethodKind.METHOD, description="method | staticmethod | classmethod | property"
    )
    setter: bool = Field(default=False, description="A property that can also be assigned.")

    @property
    def receiver(self) -> str | None:
        """The first parameter the template adds: `self`, `cls`, or none (a staticmethod)."""
        kinds = {MethodKind.STATIC: None, MethodKind.CLASS: "cls"}
        return kinds.get(self.kind, "self")

    def parameters(self, params: str) -> ast.arguments:
        """`params` parsed as rendered, the receiver included."""
        receiver = self.receiver
        return parse_params(params, method=receiver is not None, receiver=receiver or "")

    @model_validator(mode="after")
    def _kind_fits(self) -> Method:
        if self.kind is MethodKind.STATIC and re.match(r"\s*(self|cls)\b", self.params):
            raise problem("a staticmethod takes no self or cls", "remove it from params", "params")
        if self.kind is MethodKind.CLASS and re.match(r"\s*cls\b", self.params):
            raise problem("params list cls", "leave cls out; the template adds it", "params")
        if self.kind is MethodKind.PROPERTY:
            if self.params.strip():
                raise problem("a property takes no parameters", "remove params", "params")
            if self.asynchronous:
                raise problem("a property cannot be async", "make it a method", "asynchronous")
            if self.overloads:
                raise problem("a property cannot be overloaded", "make it a method", "overloads")
        elif self.setter:
            raise problem("only a property has a setter", "add 'kind: property'", "setter")
        return self


class Alias(_Model):
    """`name = of`: a second name for a definition, rendered whole after it, never a unit."""

    name: PublicName
    of: PublicName = Field(description="What it names, e.g. 'parse_file'.")
    doc: Text | None = Field(default=None, description="Its docstring; none: 'Alias of ...'.")


class MethodAlias(_Model):
    """`name = of` in a class body, after the methods: e.g. `__radd__ = __add__`."""

    name: MethodName
    of: MethodName = Field(description="The method it names, e.g. '__add__'.")


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
    dataclass: Annotated[DataclassOptions | None, BeforeValidator(dataclass_flag)] = None
    fields: tuple[FieldSpec, ...] = ()
    init: MethodParams | None = Field(default=None, description="__init__ params, without self.")
    methods: tuple[Method, ...] = ()
    aliases: tuple[MethodAlias, ...] = Field(
        default=(), description="Other names for its methods, e.g. __radd__ for __add__."
    )
    fixtures: tuple[Fixture, ...] = Field(
        default=(), description="pytest fixtures its methods' examples use by name."
    )

    @model_validator(mode="after")
    def _has_members(self) -> ClassSpec:
        if not self.methods and not (self.fields or self.bases or self.dataclass):
            raise problem("must not be empty", "give at least one", "methods")
        if self.init is not None and (self.fields or self.dataclass):
            raise problem(
                "the template writes __init__ from 'fields' (or the dataclass does)",
                "give either init or fields",
                "init",
            )
        if self.dataclass is not None and self.record_base:
            raise problem(f"a {self.record_base} is not a dataclass", "drop dataclass", "dataclass")
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


class Fixture(_Model):
    """A pytest fixture of the feature's tests (or of one class's): `setup` runs, the test gets
    `value`, and `teardown` runs after the test, whatever its outcome; a property gets a fresh
    one for every drawn value."""

    name: FixtureName
    setup: Statements = ()
    value: Expression = Field(description="What a test that names the fixture gets, e.g. 's'.")
    teardown: Statements = ()


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
    aliases: tuple[Alias, ...] = Field(
        default=(), description="Other names for its definitions, rendered last and exported."
    )

    @model_validator(mode="after")
    def _not_empty(self) -> Feature:
        if not (self.functions or self.classes or self.exceptions or self.enums):
            raise problem("a feature needs at least one function, class, exception or enum")
        return self

    @property
    def public_names(self) -> tuple[str, ...]:
        """What the module exports, in spec order: functions, classes, exceptions, enums,
        constants (a dunder constant such as `__version__` is not exported), aliases."""
        groups: list[Sequence[Function | ClassSpec | ExceptionSpec | EnumSpec | Constant | Alias]]
        groups = [self.functions, self.classes, self.exceptions, self.enums, self.constants]
        groups.append(self.aliases)
        names = (d.name for group in groups for d in group)
        return tuple(name for name in names if not is_dunder(name))

    @property
    def callable_names(self) -> tuple[str, ...]:
        """The functions and classes: what a demo shows at work."""
        return tuple(f.name for f in self.functions) + tuple(c.name for c in self.classes)


class Spec(_Model):
    """A whole spec: the Copier answers of one project."""

    package_name: PackageName = Field(description="The import name, e.g. 'textkit'.")
    project_name: ProjectName = Field(
        default="", description="The distribution name; defaults to package_name with dashes."
    )
    description: Summary
    author_name: OneLine = ""
    author_email: Email = ""
    license: License = "MIT"
    python_min: PythonVersion = "3.10"
    dependencies: tuple[RequirementText, ...] = ()
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
