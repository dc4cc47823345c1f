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
from filler.spec.syntax import (
    parse_expression,
    parse_params,
    parse_statements,
)

__all__ = [
    "ClassSpec",
    "Example",
    "Feature",
    "Function",
    "Klass",
    "License",
    "Method",
    "Spec",
    "load_spec",
    "spec_errors",
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
# Lengths far above real use, which bound what one unit's prompt and tests can hold: every
# docstring, description and example goes into a prompt (documented in docs/spec.md).
_MAX_PROSE = 10_000  # characters of a docstring or description
_MAX_CODE = 5_000  # characters of an example's call, expected value or setup; a signature part
_MAX_EXAMPLES = 100  # examples of one function or method


def _problem(problem: str, fix: str = "") -> PydanticCustomError:
    return PydanticCustomError("spec", "{problem}", {"problem": problem, "fix": fix})


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


def _literal_text(value: object) -> object:
    """A YAML scalar or plain container given as an expected value means that Python value."""
    if value is None or isinstance(value, bool | int | float | list | dict):
        return repr(value)
    return value


def _as_tuple(value: object) -> object:
    return (value,) if isinstance(value, str) else value


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
ImportLine = Annotated[str, _CODE, AfterValidator(_check_import)]
Text = Annotated[str, _PROSE, AfterValidator(_check_text)]


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
    examples: tuple[Example, ...] = Field(default=(), max_length=_MAX_EXAMPLES)


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
