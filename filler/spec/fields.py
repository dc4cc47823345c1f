"""The spec's field types: one `Annotated` type per kind of answer, each with its validator.

`filler.spec.model` builds the spec's models from these; a problem is raised as `problem(...)`,
which `filler.spec.model` turns into a `SpecError` naming the field as a path.
"""

from __future__ import annotations

import ast
import keyword
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Annotated

from packaging.requirements import InvalidRequirement, Requirement
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from filler.spec.kinds import MethodKind
from filler.spec.syntax import parse_expression, parse_params, parse_statements

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
MAX_EXAMPLES = 100  # examples of one function or method


def problem(problem: str, fix: str = "", at: str = "") -> PydanticCustomError:
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
                raise problem(f"{what} uses '{word}', which cannot run inside a test function")


LOWER_FIX = "use lowercase letters, digits and underscores, starting with a letter or _"
_PUBLIC_FIX = "use ASCII letters, digits and underscores, starting with a letter"
_RENAME = "choose another name"


def _check_identifier(value: str, pattern: re.Pattern[str], what: str, fix: str) -> str:
    if not pattern.fullmatch(value):
        raise problem(f"{value!r} is not a valid {what}", fix)
    if keyword.iskeyword(value):
        raise problem(f"{value!r} is a Python keyword", _RENAME)
    return value


def _check_package(value: str) -> str:
    _check_identifier(value, _PACKAGE_RE, "import name", LOWER_FIX)
    if value in sys.stdlib_module_names:
        raise problem(f"{value!r} is a standard library module and would shadow it", _RENAME)
    if value in _RESERVED_PACKAGES:
        raise problem(f"{value!r} would shadow the project's own tools or folders", _RENAME)
    return value


def _check_module(value: str) -> str:
    if value in {"__init__", "__main__"}:
        raise problem(f"{value!r} is not a valid module name", LOWER_FIX)
    return _check_identifier(value, _PACKAGE_RE, "module name", LOWER_FIX)


def _check_public(value: str) -> str:
    return _check_identifier(value, _PUBLIC_RE, "public name", _PUBLIC_FIX)


def _check_method(value: str) -> str:
    if value == "__init__":
        raise problem("'__init__' is written by the class's 'init'", "give its params as 'init'")
    if _DUNDER_RE.fullmatch(value) or _PRIVATE_RE.fullmatch(value):
        return value
    return _check_public(value)


def _check_field_name(value: str) -> str:
    if _DUNDER_RE.fullmatch(value):
        raise problem(f"{value!r} is a dunder name, not a field", _RENAME)
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
        raise problem(f"{value!r} is set by Python or the template", _RENAME)
    return value if _DUNDER_RE.fullmatch(value) else _check_public(value)


def _check_params(value: str, *, method: bool) -> str:
    if method and re.match(r"\s*self\b", value):
        raise problem(f"{value!r} lists self", "leave self out; the template adds it")
    try:
        args = parse_params(value, method=method)
    except SyntaxError as exc:
        raise problem(
            f"{value!r} is not a parameter list ({exc.msg})",
            'what goes between the parentheses of a def, e.g. "text: str, *, n: int = 1"',
        ) from None
    names = [a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    for name in names:
        if name in _AMBIGUOUS:
            raise problem(f"parameter name {name!r} is ambiguous (ruff E741)", "rename it")
    return value


def _check_function_params(value: str) -> str:
    return _check_params(value, method=False)


def _check_method_params(value: str) -> str:
    return _check_params(value, method=True)


def _check_annotation(value: str) -> str:
    try:
        parse_expression(value)
    except SyntaxError as exc:
        raise problem(
            f"{value!r} is not a type expression ({exc.msg})", 'e.g. "list[str]" or "int | None"'
        ) from None
    return value


def _check_expression(value: str) -> str:
    try:
        tree = parse_expression(value)
    except SyntaxError as exc:
        raise problem(
            f"{value!r} is not a Python expression ({exc.msg})",
            "write one expression, e.g. \"word_tokens('a b')\"",
        ) from None
    _refuse_in_test_body([tree], repr(value))
    return value


def _check_statements(value: str) -> str:
    try:
        body = parse_statements(value)
    except SyntaxError as exc:
        raise problem(
            f"{value!r} is not a Python statement ({exc.msg})", 'e.g. "v = Vocabulary()"'
        ) from None
    _refuse_in_test_body(body, repr(value))
    return value


def _check_exception(value: str) -> str:
    if not _DOTTED_RE.fullmatch(value) or any(keyword.iskeyword(p) for p in value.split(".")):
        raise problem(
            f"{value!r} is not an exception name", 'e.g. "ValueError" or "json.JSONDecodeError"'
        )
    if value in _STUB_CATCHERS:
        raise problem(
            f"{value!r} also catches the stub's NotImplementedError, so the example would pass "
            "before anything is written",
            "name the specific exception the function raises",
        )
    return value


def _check_base(value: str) -> str:
    if not _DOTTED_RE.fullmatch(value) or any(keyword.iskeyword(p) for p in value.split(".")):
        raise problem(f"{value!r} is not a class name", 'e.g. "ValueError", "Shape" or "abc.ABC"')
    return value


def _check_decorator(value: str) -> str:
    try:
        tree = parse_expression(value.removeprefix("@"))
    except SyntaxError as exc:
        raise problem(
            f"{value!r} is not a decorator expression ({exc.msg})",
            'e.g. "functools.cache" or "contextmanager", without the @',
        ) from None
    if value.startswith("@"):
        raise problem(f"{value!r} starts with @", "leave the @ out; the template adds it")
    if isinstance(tree, ast.Name) and tree.id in {m.value for m in MethodKind}:
        raise problem(f"{value!r} is a method kind", f"give it as 'kind: {tree.id}'")
    return value


def _check_import(value: str) -> str:
    try:
        body = parse_statements(value)
    except SyntaxError as exc:
        raise problem(f"{value!r} is not an import statement ({exc.msg})") from None
    match body:
        case [ast.ImportFrom(module="__future__")]:
            raise problem("__future__ imports are added by the template", "remove this line")
        case [ast.ImportFrom(level=level)] if level:
            raise problem(
                f"{value!r} is a relative import", "write it absolute: from <package>.<feature> ..."
            )
        case [ast.ImportFrom(names=names)] if any(a.name == "*" for a in names):
            raise problem(f"{value!r} is a star import", "name what you import")
        case [ast.Import() | ast.ImportFrom()]:
            return value
    raise problem(
        f"{value!r} is not one import statement", 'e.g. "from collections.abc import Iterable"'
    )


def _capped(limit: int) -> AfterValidator:
    """A length check, run before the field's own (which may parse what it is given)."""

    def check(value: str) -> str:
        if len(value) > limit:
            raise problem(
                f"is {len(value):,} characters long, over the limit of {limit:,}", "shorten it"
            )
        return value

    return AfterValidator(check)


def _check_text(value: str) -> str:
    if not value.strip():
        raise problem("must not be empty")
    return value


def _check_summary(value: str) -> str:
    _check_text(value)
    if "\n" in value.strip():
        raise problem("must be one line (it is the package summary)")
    return value


def _check_project(value: str) -> str:
    if not _PROJECT_RE.fullmatch(value):
        raise problem(
            f"{value!r} is not a valid distribution name",
            "use letters, digits, '.', '_' and '-', starting and ending with a letter or digit",
        )
    return value


def _check_email(value: str) -> str:
    if value and not _EMAIL_RE.fullmatch(value):
        raise problem(f"{value!r} is not an email address", "e.g. ada@example.org, or leave empty")
    return value


def _check_one_line(value: str) -> str:
    if "\n" in value:
        raise problem("must be one line")
    return value


def _check_python(value: str) -> str:
    if not _PYTHON_RE.fullmatch(value):
        hint = 'quote it in YAML: "3.10" (unquoted, 3.10 reads as 3.1)' if value == "3.1" else ""
        raise problem(f"{value!r} is not a supported Python version (3.9 to 3.14)", hint)
    return value


def _check_requirement(value: str) -> str:
    try:
        Requirement(value)
    except InvalidRequirement as exc:
        raise problem(
            f"{value!r} is not a PEP 508 requirement ({exc})", 'e.g. "requests>=2.31"'
        ) from None
    return value


def _version_text(value: object) -> object:
    # YAML reads an unquoted 3.12 as a float; take it back as the text the user meant.
    return str(value) if isinstance(value, float) else value


def asserts(text: str) -> bool:
    """Whether statements check something: an assert, or a `pytest.raises` block."""
    for node in ast.walk(ast.Module(body=parse_statements(text), type_ignores=[])):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.With) and "pytest.raises" in ast.unparse(node.items[0]):
            return True
    return False


def literal_text(value: object) -> object:
    """A YAML scalar or plain container given as an expected value means that Python value."""
    if value is None or isinstance(value, bool | int | float | list | dict):
        return repr(value)
    return value


def _as_tuple(value: object) -> object:
    return (value,) if isinstance(value, str) else value


def dataclass_flag(value: object) -> object:
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
Value = Annotated[Expression, BeforeValidator(literal_text)]
# `default: null` means the default None; an absent key means no default.
OptionalValue = Annotated[Expression | None, BeforeValidator(literal_text)]
ImportLine = Annotated[str, _CODE, AfterValidator(_check_import)]
Text = Annotated[str, _PROSE, AfterValidator(_check_text)]


def _check_fixture_name(value: str) -> str:
    _check_identifier(value, _PACKAGE_RE, "fixture name", LOWER_FIX)
    if value in _FIXTURE_RESERVED or value.startswith("test"):
        raise problem(f"{value!r} is a name the tests already use", _RENAME)
    return value


# pytest's own fixtures and the names every generated test module binds.
_FIXTURE_RESERVED = frozenset(
    {"pytest", "request", "tmp_path", "tmp_path_factory", "monkeypatch", "capsys", "caplog"}
)


Statements = Annotated[tuple[Statement, ...], BeforeValidator(_as_tuple)]
FixtureName = Annotated[str, AfterValidator(_check_fixture_name)]
ProjectName = Annotated[str, AfterValidator(_check_project)]
Summary = Annotated[str, _PROSE, AfterValidator(_check_summary)]
OneLine = Annotated[str, AfterValidator(_check_one_line)]
Email = Annotated[str, AfterValidator(_check_email)]
PythonVersion = Annotated[str, BeforeValidator(_version_text), AfterValidator(_check_python)]
RequirementText = Annotated[str, AfterValidator(_check_requirement)]


def is_parameter_name(name: str) -> bool:
    return bool(_PACKAGE_RE.fullmatch(name)) and not keyword.iskeyword(name)


def is_dunder(name: str) -> bool:
    return bool(_DUNDER_RE.fullmatch(name))
