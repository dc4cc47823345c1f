"""Held-back examples: part of a unit's spec tests that no prompt ever shows.

A body that special-cases the inputs it was shown passes the shown examples only; the held-back
ones run with them and must pass too before a body is accepted, but neither their code nor their
values reach the model: not among the prompt's tests, not in the stub's docstring (where the
template wrote every example in doctest form), not in repair feedback, which says only how many
failed. The module on disk keeps every example; only what the prompt shows is cut.

Which are held back is decided by `split_held_back` alone, in file order. Pure functions.
"""

from __future__ import annotations

import ast
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from filler.fill.context import VisibleTest
from filler.spec.checks import fresh_fixture
from filler.spec.model import Example
from filler.spec.views import doctest_lines, generated_test_body

__all__ = [
    "held_back_count",
    "held_back_notice",
    "hide_examples",
    "split_held_back",
    "unit_examples",
]

T = TypeVar("T")

# A unit with fewer examples needs every one of them to be understood.
MIN_EXAMPLES = 3


def held_back_count(total: int) -> int:
    """How many of a unit's `total` tests are held back: a third (at least one) from three on."""
    return 0 if total < MIN_EXAMPLES else max(1, total // 3)


def split_held_back(items: Sequence[T]) -> tuple[tuple[T, ...], tuple[T, ...]]:
    """(shown, held back): the last `held_back_count` items, in the order given, are held back."""
    cut = len(items) - held_back_count(len(items))
    return tuple(items[:cut]), tuple(items[cut:])


def held_back_notice(spec_failed: int, designed_failed: int = 0) -> str:
    """What repair feedback says of failing held-back tests: how many, nothing else."""
    parts = []
    if spec_failed:
        parts.append(f"{spec_failed} held-back example{'s' * (spec_failed > 1)} of the spec")
    if designed_failed:
        plural = "s" * (designed_failed > 1)
        parts.append(f"{designed_failed} held-back designed test{plural}")
    if not parts:
        return ""
    return f"{' and '.join(parts)} failed: the body must work for inputs it was not shown"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _example_lists(answers: Mapping[str, Any], feature: str, qualname: str) -> Iterator[Any]:
    """The raw `examples` lists of the spec entries behind the unit: the function's, or every
    method's of the class, in spec order (the order the tests were generated in)."""
    for entry in _as_list(answers.get("features")):
        if not isinstance(entry, Mapping) or entry.get("name") != feature:
            continue
        for function in _as_list(entry.get("functions")):
            if isinstance(function, Mapping) and function.get("name") == qualname:
                yield function.get("examples")
        for klass in _as_list(entry.get("classes")):
            if isinstance(klass, Mapping) and klass.get("name") == qualname:
                for method in _as_list(klass.get("methods")):
                    if isinstance(method, Mapping):
                        yield method.get("examples")


def unit_examples(answers: Mapping[str, Any], package: str, unit_id: str) -> tuple[Example, ...]:
    """The spec's examples of the unit, from the project's answers; any that no longer validate
    are left out (then its doctest lines stay in what the prompt shows)."""
    module, _, qualname = unit_id.partition(":")
    feature = module.removeprefix(f"{package}.")
    found = []
    for raw in _example_lists(answers, feature, qualname):
        for item in _as_list(raw):
            try:
                found.append(Example.model_validate(item))
            except ValidationError:
                continue
    return tuple(found)


def _body_of(test: VisibleTest) -> str | None:
    """The test function's body, normalized; None for a test whose source does not parse alone
    (a method of a test class)."""
    try:
        tree = ast.parse(test.source)
    except SyntaxError:
        return None
    function = tree.body[0] if tree.body else None
    if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    return ast.unparse(ast.Module(body=_inside_fresh_fixtures(function.body), type_ignores=[]))


def _inside_fresh_fixtures(body: list[ast.stmt]) -> list[ast.stmt]:
    """A property's test body as its example wrote it: without the `with fresh_<fixture>() as
    <fixture>:` the template puts around it."""
    match body:
        case [ast.With(items=items, body=inner)] if all(
            isinstance(item.optional_vars, ast.Name)
            and ast.unparse(item.context_expr) == f"{fresh_fixture(item.optional_vars.id)}()"
            for item in items
        ):
            return inner
    return body


def _normalized(code: str) -> str:
    return ast.unparse(ast.parse(code))


def _text_of(line: str) -> str:
    """The docstring text a source line of a docstring literal stands for: escapes decoded."""
    if "\\" not in line:
        return line
    try:
        with warnings.catch_warnings():  # a person's `\d`: kept as written, like Python does
            warnings.simplefilter("ignore", DeprecationWarning)
            return line.encode("latin-1", "backslashreplace").decode("unicode_escape")
    except UnicodeDecodeError:
        return line


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _run_at(texts: Sequence[str], doctest: Sequence[str]) -> int | None:
    """Where the doctest lines stand, one a line under one indentation; None if nowhere."""
    for start in range(len(texts) - len(doctest) + 1):
        margin = " " * _indent(texts[start])
        if all(texts[start + i] == margin + line for i, line in enumerate(doctest)):
            return start
    return None


def _without(lines: list[str], doctest: Sequence[str]) -> list[str]:
    texts = [_text_of(line) for line in lines]
    start = _run_at(texts, doctest)
    if start is None:
        return lines
    end = start + len(doctest)
    header = start - 1
    # An `Examples:` heading left with nothing under it goes too, with the blank line above.
    if header >= 0 and texts[header].strip() == "Examples:":
        following = texts[end] if end < len(texts) else ""
        if not following.strip() or _indent(following) <= _indent(texts[header]):
            blank = header >= 1 and not texts[header - 1].strip()
            start = header - 1 if blank else header
    return lines[:start] + lines[end:]


def hide_examples(
    unit_source: str, examples: Sequence[Example], held_back: Sequence[VisibleTest]
) -> str:
    """`unit_source` without the doctest lines of the examples behind the held-back tests.

    A held-back test is matched to its example by its body (as the template generated it), so a
    test a person added or edited matches none and hides nothing: it was never in a docstring.
    """
    # As many of each body as are held back: an example also shown stays shown once.
    bodies = Counter(body for body in map(_body_of, held_back) if body is not None)
    if not bodies:
        return unit_source
    lines = unit_source.split("\n")
    for example in examples:
        body = _normalized(generated_test_body(example))
        if bodies[body] > 0:
            bodies[body] -= 1
            lines = _without(lines, doctest_lines(example))
    return "\n".join(lines)
