"""Merge safety, property-tested: generated modules, generated replies, every fault operator.

Hypothesis builds skeletons with stub and hand-written functions, classes with stub, filled,
abstract and private methods (hand-written, or stubs the spec lists), static and class methods,
properties with setters, `@overload` groups of functions and methods, aliases of functions and of
methods (`name = other`), Protocols, decorators, async defs, generators, nested defs, comments in
every place and a `__main__` block; picks a stub unit and writes a correct reply for it (nested
defs, loops, generators, imports, private helper functions and constants, multi-line strings),
then sends that reply through one fault operator of tests/helpers/merge_cases.py. The
properties:

1. every module `judge` accepts parses and compiles;
2. every line and statement outside the unit's target bodies is byte-identical;
3. every signature and docstring of the unit is unchanged (and so is every unit's spec_hash);
4. no rejected reply reaches disk: a broken reply ends as `Rejected` or `ExtractFailure`, and
   nothing else produced a module text.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filler.gates.judge import Accepted
from filler.source.units import find_units, reset_to_stub
from tests.helpers.merge_cases import (
    MODULE,
    OPERATORS,
    PATH,
    Case,
    Operator,
    judge_reply,
    structure_problems,
)

PROPERTIES = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADER = '''"""{doc}"""

import functools
import math
import typing
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Protocol

__all__ = [{names}]

_LIMIT = 10
'''
PARAMETERS = [
    "",
    "x: int",
    "x: int, y: str = 'a'",
    "*args: int, **kwargs: str",
    "x, /, y=2, *, z=1.5",
]
RETURNS = ["", " -> int", " -> list[str]", " -> None", " -> Iterable[str]"]
DOCS = ["Do one thing.", "Ünïcode — docs “quoted”.", 'Quotes \\" and \\\\ backslashes.']
COMMENTS = ["", "  # the spec's example", "  # noqa: E501"]
OVERLOADS = [("x: int", " -> int"), ("x: str", " -> str")]


@dataclass(frozen=True)
class Function:
    name: str
    parameters: str
    returns: str
    is_async: bool
    decorator: str
    comment: str
    stub: bool
    doc: str
    overloaded: bool = False  # two `@overload` signatures before it, as the template writes them

    def header(self, method: str = "", parameters: str | None = None, returns: str = "") -> str:
        keyword = "async def" if self.is_async else "def"
        own = self.parameters if parameters is None else parameters
        listed = ", ".join(p for p in (method, own) if p)
        return f"{keyword} {self.name}({listed}){returns or self.returns}:"

    def render(self, indent: str, method: str = "") -> str:
        lines = []
        if self.overloaded:
            for parameters, returns in OVERLOADS:
                lines += [self.decorator] if self.decorator else []
                lines += ["@typing.overload", f"{self.header(method, parameters, returns)} ..."]
                lines += [""] if indent else ["", ""]
        lines += [self.decorator] if self.decorator else []
        lines.append(self.header(method) + self.comment)
        lines += [
            f'    """{self.doc}',
            "",
            "    Examples:",
            f"        >>> {self.name}()",
            "        1",
            '    """',
        ]
        if self.stub:
            lines.append("    raise NotImplementedError")
        else:
            lines += [
                "    # written by hand",
                "    def inner(value):",
                "        return value  # unchanged",
                "    return inner(1)",
            ]
        return "\n".join(indent + line if line else "" for line in lines)


# A property and its setter, and a private method the spec lists: stubs of their own kinds.
PROPERTY = '''    @property
    def value(self) -> int:  # read it
        """The value."""
        raise NotImplementedError

    @value.setter
    def value(self, new: int) -> None:
        """Set the value."""
        raise NotImplementedError'''

LISTED_PRIVATE = '''    def _parse(self, text: str) -> int:
        """Parse `text`."""
        raise NotImplementedError'''


@dataclass(frozen=True)
class Klass:
    name: str
    methods: tuple[Function, ...]
    attribute: bool
    abstract: bool
    footer: bool
    extras: tuple[str, ...] = ()  # PROPERTY, LISTED_PRIVATE
    alias: bool = False  # `alias_m0 = m0` after the methods

    def render(self) -> str:
        base = "(ABC)" if self.abstract else ""
        lines = [f"class {self.name}{base}:", f'    """The {self.name} class."""']
        if self.attribute:
            lines += ["", "    limit = 3"]
        for method in self.methods:
            lines += ["", method.render("    ", "self")]
        for extra in self.extras:
            lines += ["", extra]
        if self.alias:
            lines += ["", f"    alias_m0 = {self.methods[0].name}"]
        if self.abstract:
            lines += ["", "    @abstractmethod", "    def area(self) -> float:"]
            lines += ["        raise NotImplementedError"]
        lines += ["", "    def _private(self) -> int:", "        return _LIMIT"]
        if self.footer:
            lines.append("    # the end of the class")
        return "\n".join(lines)


PROTOCOL = '''class Sized(Protocol):
    """Anything with a size."""

    def size(self) -> int: ...'''

MAIN = """if __name__ == "__main__":
    print(__all__)"""


@st.composite
def functions(draw: st.DrawFn, name: str, stub: bool | None = None, top: bool = True) -> Function:
    decorators = ["", "@functools.cache"]
    if not top:
        decorators += ["@staticmethod", "@classmethod"]
    decorator = draw(st.sampled_from(decorators))
    return Function(
        name=name,
        parameters=draw(st.sampled_from(PARAMETERS)),
        returns=draw(st.sampled_from(RETURNS)),
        is_async=draw(st.booleans()) and decorator != "@functools.cache",
        decorator=decorator,
        comment=draw(st.sampled_from(COMMENTS)),
        stub=draw(st.booleans()) if stub is None else stub,
        doc=draw(st.sampled_from(DOCS)),
        overloaded=draw(st.booleans()),
    )


@st.composite
def classes(draw: st.DrawFn, name: str) -> Klass:
    count = draw(st.integers(1, 3))
    methods = [draw(functions(f"m{i}", top=False)) for i in range(count)]
    if not any(m.stub for m in methods):
        methods[0] = draw(functions("m0", stub=True, top=False))
    extras = draw(st.sets(st.sampled_from([PROPERTY, LISTED_PRIVATE])))
    return Klass(
        name,
        tuple(methods),
        draw(st.booleans()),
        draw(st.booleans()),
        draw(st.booleans()),
        tuple(sorted(extras)),
        draw(st.booleans()),
    )


@st.composite
def modules(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A skeleton and the names of its stub units."""
    parts: list[str] = []
    stubs: list[str] = []
    for index in range(draw(st.integers(1, 4))):
        if draw(st.booleans()):
            function = draw(functions(f"f{index}"))
            parts.append(function.render(""))
            if function.stub:
                stubs.append(function.name)
        else:
            klass = draw(classes(f"K{index}"))
            parts.append(klass.render())
            stubs.append(klass.name)
        if draw(st.booleans()):
            parts[-1] = "# a section comment\n" + parts[-1]
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), PROTOCOL)
    if not stubs:
        function = draw(functions("f_last", stub=True))
        parts.append(function.render(""))
        stubs.append(function.name)
    aliased = [name for name in stubs if draw(st.booleans())]
    parts += [f'alias_{name} = {name}\n"""Alias of `{name}`."""' for name in aliased]
    if draw(st.booleans()):
        parts.append(MAIN)
    names = ", ".join(f'"{name}"' for name in stubs)
    doc = draw(st.sampled_from(DOCS))
    return HEADER.format(doc=doc, names=names) + "\n\n" + "\n\n\n".join(parts) + "\n", stubs


BODIES = [
    ["return None"],
    ["total = 0", "for i in range(3):", "    if i % 2:", "        total += i", "return total"],
    ["def helper(v):", "    return v * 2", "", "# nested helpers are fine", "return helper(3)"],
    ["try:", "    value = int('7')", "except ValueError:", "    value = 0", "return value"],
    ["for i in range(2):", "    yield i"],
    ["return math.floor(2.5) + _LIMIT"],
    ['text = """first', "  second", '"""', "return text.splitlines()"],
]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """A skeleton, one of its stub units, and a correct reply for it."""
    skeleton, stubs = draw(modules())
    qualname = draw(st.sampled_from(stubs))
    unit = next(u for u in find_units(skeleton, MODULE, PATH) if u.qualname == qualname)
    lines = skeleton.split("\n")
    helper = draw(st.sampled_from(["", "constant", "function", "import"]))
    prefix = {
        "": [],
        "constant": ["_FACTOR = 3", "", ""],
        "function": ["def _twice(v):", "    return 2 * v", "", ""],
        "import": ["import statistics", "", ""],
    }[helper]
    use = {"": "", "constant": "_FACTOR", "function": "_twice(1)", "import": "statistics.mean([1])"}
    start = unit.line - 1
    while lines[start - 1].startswith("@") or lines[start - 1].startswith("    @"):
        start -= 1
    reply: list[str] = []
    if unit.kind == "function":
        reply += _definition(lines, start, draw(st.sampled_from(BODIES)), use[helper], "")
    else:
        reply.append(lines[unit.line - 1])
        for target in unit.targets:
            # A setter is the `def` right after its `@value.setter`.
            name, _, accessor = target.partition(".")
            marker = f"@{target}" if accessor else f"def {name}("
            index = next(
                i
                for i, line in enumerate(lines)
                if marker in line and i > start and "@typing.overload" not in lines[i - 1]
            )
            index += 1 if accessor else 0
            while lines[index - 1].strip().startswith("@"):
                index -= 1
            body = draw(st.sampled_from(BODIES))
            reply += ["", *_definition(lines, index, body, use[helper], "    ")]
    return Case(skeleton, qualname, "\n".join(prefix + reply) + "\n")


def _definition(lines: list[str], start: int, body: list[str], use: str, indent: str) -> list[str]:
    """Decorators and `def` line copied from the skeleton, then the new body."""
    header = []
    index = start
    while not lines[index].lstrip().startswith(("def ", "async def ")):
        header.append(lines[index])
        index += 1
    header.append(lines[index].split("  #")[0])
    inner = indent + "    "
    rendered = [
        inner + line if line and not line.startswith(("  second", '"""')) else line for line in body
    ]
    if use:
        rendered.insert(0, f"{inner}_used = {use}")
    return header + rendered


@given(cases(), st.sampled_from(OPERATORS))
@PROPERTIES
def test_every_operator_gets_the_right_verdict_and_structure_is_preserved(
    case: Case, operator: Operator
) -> None:
    verdict = judge_reply(case, operator.apply(case))
    if not operator.recoverable:
        assert not isinstance(verdict, Accepted), (operator.name, verdict)
        return
    assert isinstance(verdict, Accepted), (operator.name, verdict)
    merged = verdict.module_source
    assert structure_problems(case.skeleton, merged, case.unit) == []
    before = {u.qualname: u for u in find_units(case.skeleton, MODULE, PATH)}
    after = {u.qualname: u for u in find_units(merged, MODULE, PATH)}
    assert after.keys() == before.keys()
    assert not after[case.qualname].is_stub
    assert verdict.body_sha == after[case.qualname].body_sha
    for name, unit in before.items():
        assert after[name].spec_hash == unit.spec_hash
        if name != case.qualname:
            assert after[name].body_sha == unit.body_sha


@given(cases())
@PROPERTIES
def test_reset_to_stub_undoes_a_fill(case: Case) -> None:
    verdict = judge_reply(case, OPERATORS[0].apply(case))
    assert isinstance(verdict, Accepted)
    filled = next(
        u for u in find_units(verdict.module_source, MODULE, PATH) if u.qualname == case.qualname
    )
    reset = reset_to_stub(verdict.module_source, filled)
    again = next(u for u in find_units(reset, MODULE, PATH) if u.qualname == case.qualname)
    assert again.is_stub
    assert again.spec_hash == case.unit.spec_hash


OVERLOADED = '''"""Overloads and aliases."""

import typing

__all__ = ["Pair", "load", "parse"]


@typing.overload
def parse(value: str) -> int: ...


@typing.overload
def parse(value: bytes) -> int: ...


def parse(value: str | bytes) -> int:
    """Parse an int."""
    raise NotImplementedError


class Pair:
    """Two ints."""

    @typing.overload
    def get(self, index: int) -> int: ...

    @typing.overload
    def get(self, index: slice) -> tuple[int, ...]: ...

    def get(self, index: int | slice) -> int | tuple[int, ...]:
        """One side, or a slice of both."""
        raise NotImplementedError

    fetch = get


load = parse
"""Alias of `parse`."""
'''


def test_the_oracle_takes_the_implementation_as_target_and_the_rest_as_structure() -> None:
    replies = {
        "parse": "def parse(value):\n    return int(value)\n",
        "Pair": "class Pair:\n    def get(self, index):\n        return (1, 2)[index]\n",
    }
    for qualname, code in replies.items():
        case = Case(OVERLOADED, qualname, code)
        verdict = judge_reply(case, OPERATORS[0].apply(case))
        assert isinstance(verdict, Accepted), verdict
        merged = verdict.module_source
        assert structure_problems(OVERLOADED, merged, case.unit) == []
        for old, new in [
            ("def parse(value: bytes) -> int: ...", "def parse(value: bytearray) -> int: ..."),
            ("def get(self, index: slice) -> tuple[int, ...]: ...", "def get(self, index): ..."),
            ("    fetch = get", "    fetch = None"),
            ("load = parse", "load = int"),
        ]:
            assert structure_problems(OVERLOADED, merged.replace(old, new), case.unit), old
