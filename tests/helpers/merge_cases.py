"""Before/after helpers for the core's tests, in the spirit of LibCST's `codemod/_testing.py`.

`assert_merge(before, reply, after)` runs a reply through `extract` and `judge` exactly as the
pipeline does and compares the module it would write; `assert_rejected` checks the gate that
stops a reply. `structure_problems` is the independent oracle for "nothing but the target bodies
changed", shared by the property tests and the robustness benchmark: it reads both modules with
`ast` and plain lines only, never with the code under test.
"""

from __future__ import annotations

import ast
import io
import re
import textwrap
import tokenize
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from filler.fill.extract import ExtractFailure, extract
from filler.gates.judge import Accepted, AllowedImports, Rejected, judge
from filler.source.units import Unit, find_units

__all__ = [
    "ALLOWED",
    "MODULE",
    "OPERATORS",
    "PATH",
    "Case",
    "Operator",
    "Reply",
    "assert_merge",
    "assert_rejected",
    "clean",
    "fill",
    "judge_reply",
    "structure_problems",
    "unit_named",
]

MODULE = "textkit.tokenize"
PATH = Path("src/textkit/tokenize.py")
ALLOWED = AllowedImports(package="textkit", third_party=frozenset({"numpy"}))

Function = ast.FunctionDef | ast.AsyncFunctionDef


def clean(text: str) -> str:
    """A test's triple-quoted source without its indentation and leading newline."""
    return textwrap.dedent(text).lstrip("\n")


def unit_named(source: str, qualname: str | None = None, module: str = MODULE) -> Unit:
    """The unit `qualname` of `source` (default: its first unit)."""
    units = find_units(source, module, PATH)
    if qualname is None:
        return units[0]
    return next(unit for unit in units if unit.qualname == qualname)


def fill(
    before: str,
    reply: str,
    qualname: str | None = None,
    *,
    finish_reason: str = "stop",
    allowed: AllowedImports = ALLOWED,
    module: str = MODULE,
) -> Accepted | Rejected | ExtractFailure:
    """What the pipeline makes of one reply: an extraction failure, a rejection or a module."""
    unit = unit_named(before, qualname, module)
    extracted = extract(reply, unit.qualname, finish_reason)
    if isinstance(extracted, ExtractFailure):
        return extracted
    return judge(before, unit, extracted, allowed)


def assert_merge(before: str, reply: str, after: str, qualname: str | None = None) -> Accepted:
    """The reply is accepted and the module becomes exactly `after` (all three get `clean`)."""
    before, after = clean(before), clean(after)
    verdict = fill(before, clean(reply), qualname)
    assert isinstance(verdict, Accepted), verdict
    assert verdict.module_source == after, f"got:\n{verdict.module_source}"
    assert not structure_problems(before, after, unit_named(before, qualname))
    return verdict


def assert_rejected(before: str, reply: str, gate: str, qualname: str | None = None) -> Rejected:
    """The reply is stopped by `gate`, with a one-line reason."""
    verdict = fill(clean(before), clean(reply), qualname)
    assert isinstance(verdict, Rejected), verdict
    assert verdict.gate == gate, verdict
    assert verdict.reason and "\n" not in verdict.reason
    return verdict


def structure_problems(before: str, after: str, unit: Unit) -> list[str]:
    """Every way `after` changed more of `before` than the unit's target bodies.

    Checked: `after` compiles; every line of `before` outside the target bodies appears in
    `after`, in order; every other top-level statement is unchanged (`ast`); the unit keeps its
    class header, its other members, and every target's signature and docstring.
    """
    try:
        compile(after, "after.py", "exec", dont_inherit=True)
    except SyntaxError as error:
        return [f"does not compile: {error}"]
    old, new = ast.parse(before), ast.parse(after)
    problems = _missing_lines(before, after, _target_lines(old, unit))
    others_old = [ast.dump(s) for s in old.body if not _is_unit(s, unit)]
    others_new = [ast.dump(s) for s in new.body if not _is_unit(s, unit)]
    if not _is_subsequence(others_old, others_new):
        problems.append("a statement outside the unit changed")
    old_unit = next(s for s in old.body if _is_unit(s, unit))
    new_units = [s for s in new.body if _is_unit(s, unit)]
    if len(new_units) != 1:
        return [*problems, f"{unit.qualname} is defined {len(new_units)} times"]
    return problems + _unit_problems(old_unit, new_units[0], unit)


def _is_unit(statement: ast.stmt, unit: Unit) -> bool:
    """Whether the statement is the unit: its class, or its function's implementation (its
    `@overload` signatures are structure the spec fixed, like any other statement)."""
    return (
        isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and statement.name == unit.qualname
        and not _is_overload(statement)
    )


def _is_overload(statement: ast.stmt) -> bool:
    # Written here rather than imported from filler: the oracle must not share the code it judges.
    decorators = getattr(statement, "decorator_list", [])
    return any(
        (d.attr if isinstance(d, ast.Attribute) else getattr(d, "id", None)) == "overload"
        for d in decorators
    )


def _targets(node: ast.stmt, unit: Unit) -> list[Function]:
    if isinstance(node, ast.ClassDef):
        return [
            s
            for s in node.body
            if isinstance(s, Function) and s.name in unit.targets and not _is_overload(s)
        ]
    assert isinstance(node, Function)
    return [node]


def _target_lines(tree: ast.Module, unit: Unit) -> set[int]:
    """Lines of the target bodies after their docstrings: the only lines a fill may drop."""
    node = next(s for s in tree.body if _is_unit(s, unit))
    lines: set[int] = set()
    for function in _targets(node, unit):
        body = function.body
        if ast.get_docstring(function, clean=False) is not None:
            first = (body[0].end_lineno or body[0].lineno) + 1
        else:
            first = min(
                [body[0].lineno, *(d.lineno for d in getattr(body[0], "decorator_list", []))]
            )
        lines.update(range(first, (function.end_lineno or function.lineno) + 1))
    return lines


def _missing_lines(before: str, after: str, target: set[int]) -> list[str]:
    remaining = iter(after.split("\n"))
    problems = []
    for number, line in enumerate(before.split("\n"), start=1):
        if number not in target and not any(line == candidate for candidate in remaining):
            problems.append(f"line {number} of the skeleton is gone or moved: {line!r}")
            break
    return problems


def _is_subsequence(needles: list[str], haystack: list[str]) -> bool:
    remaining = iter(haystack)
    return all(any(needle == item for item in remaining) for needle in needles)


def _header(node: ast.stmt) -> str:
    if isinstance(node, ast.ClassDef):
        parts = [*node.bases, *node.keywords, *node.decorator_list]
        return "\n".join([node.name, *map(ast.dump, parts)])
    assert isinstance(node, Function)
    return _signature(node)


def _signature(function: Function) -> str:
    parts = [type(function).__name__, function.name, ast.dump(function.args)]
    parts += [ast.dump(d) for d in function.decorator_list]
    parts.append(ast.dump(function.returns) if function.returns else "")
    return "\n".join(parts)


def _unit_problems(old: ast.stmt, new: ast.stmt, unit: Unit) -> list[str]:
    problems = []
    if _header(old) != _header(new):
        problems.append(f"the header of {unit.qualname} changed")
    if isinstance(old, ast.ClassDef) and isinstance(new, ast.ClassDef):
        kept_old = [ast.dump(s) for s in old.body if s not in _targets(old, unit)]
        kept_new = [ast.dump(s) for s in new.body]
        if not _is_subsequence(kept_old, kept_new):
            problems.append(f"a member of {unit.qualname} other than its targets changed")
    written = _by_name(_targets(new, unit))
    for key, function in _by_name(_targets(old, unit)).items():
        twin = written.get(key)
        if twin is None:
            problems.append(f"{function.name} disappeared")
        elif _signature(function) != _signature(twin):
            problems.append(f"the signature of {function.name} changed")
        elif ast.get_docstring(function, clean=False) != ast.get_docstring(twin, clean=False):
            problems.append(f"the docstring of {function.name} changed")
    return problems


def _by_name(functions: list[Function]) -> dict[tuple[str, int], Function]:
    """Functions by name and how many of that name came before (a property's setter is its
    getter's second)."""
    seen: dict[str, int] = {}
    keyed = {}
    for function in functions:
        seen[function.name] = seen.get(function.name, -1) + 1
        keyed[function.name, seen[function.name]] = function
    return keyed


# --- fault operators ------------------------------------------------------------------------
# A `Case` is a skeleton, one of its units, and a correct reply for it (the code a model should
# send: imports, private helpers, the unit with its bodies). Each operator turns the correct
# reply into one way a real reply arrives, recoverable or not. The property tests and the
# robustness benchmark (benchmarks/robustness/run.py) both build their replies with these.


@dataclass(frozen=True)
class Case:
    skeleton: str
    qualname: str
    code: str  # the correct reply's code
    module: str = MODULE

    @cached_property
    def unit(self) -> Unit:
        return unit_named(self.skeleton, self.qualname, self.module)


@dataclass(frozen=True)
class Reply:
    text: str
    finish_reason: str = "stop"


@dataclass(frozen=True)
class Operator:
    name: str
    recoverable: bool  # True: the right verdict is Accepted; False: a rejection
    apply: Callable[[Case], Reply]


def judge_reply(case: Case, reply: Reply) -> Accepted | Rejected | ExtractFailure:
    """Extract and judge one reply exactly as the pipeline does."""
    unit = case.unit
    extracted = extract(reply.text, unit.qualname, reply.finish_reason)
    if isinstance(extracted, ExtractFailure):
        return extracted
    return judge(case.skeleton, unit, extracted, ALLOWED)


def _fence(code: str) -> str:
    return f"```python\n{code}```\n"


def _cut(reply: str) -> str:
    """The reply cut off at three fifths of its length."""
    return reply[: len(reply) * 3 // 5]


def _cut_mid_line(reply: str) -> str:
    """The reply cut inside a line, as a server that stops at its token limit without saying so
    cuts it. A cut right after a newline would leave a reply no one can tell from a complete
    one whose fence was left open (extract accepts those), so it takes the newline too."""
    return _cut(reply).removesuffix("\n")


def _first_target(case: Case) -> Function:
    """The reply's first target function: the unit itself, or its first target method."""
    unit = case.unit
    node = next(s for s in ast.parse(case.code).body if _is_unit(s, unit))
    return _targets(node, unit)[0]


def _edit_body(case: Case, replace: bool, line: str) -> str:
    """Put `line` before the first target's body (or instead of it, with `replace`)."""
    function = _first_target(case)
    body = function.body
    if ast.get_docstring(function, clean=False) is not None and len(body) > 1:
        body = body[1:]
    lines = case.code.split("\n")
    first = body[0].lineno - 1
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    last = (body[-1].end_lineno or body[-1].lineno) if replace else first
    lines[first:last] = [indent + part for part in line.split("\n")]
    return "\n".join(lines)


def _extra_parameter(case: Case) -> str:
    """The reply with a parameter added in front of the first target's parameters."""
    function = _first_target(case)
    lines = case.code.split("\n")
    line = lines[function.lineno - 1]
    lines[function.lineno - 1] = line.replace(f" {function.name}(", f" {function.name}(extra, ", 1)
    return "\n".join(lines)


def _annotated(case: Case, annotation: str | None) -> str:
    """The reply with every annotation in its target functions' headers written as `annotation`
    (None: left out)."""
    node = next(s for s in ast.parse(case.code).body if _is_unit(s, case.unit))
    written = None if annotation is None else ast.parse(annotation, mode="eval").body
    lines = case.code.split("\n")
    for function in sorted(_targets(node, case.unit), key=lambda f: -f.lineno):
        args = function.args
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg is not None:
                arg.annotation = written
        head = lines[function.lineno - 1]
        indent = head[: len(head) - len(head.lstrip())]
        keyword = "async def" if isinstance(function, ast.AsyncFunctionDef) else "def"
        returns = "" if written is None else f" -> {annotation}"
        header = f"{indent}{keyword} {function.name}({ast.unparse(args)}){returns}:"
        lines[function.lineno - 1 : function.body[0].lineno - 1] = [header]
    return "\n".join(lines)


def _reindent(code: str, step: str) -> str:
    """The code with every 4-space indentation level written as `step` (strings untouched)."""
    inside_strings: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(code).readline):
        if token.type == tokenize.STRING:
            inside_strings.update(range(token.start[0] + 1, token.end[0] + 1))
    lines = code.split("\n")
    for number, line in enumerate(lines, start=1):
        if number not in inside_strings:
            stripped = line.lstrip(" ")
            lines[number - 1] = step * ((len(line) - len(stripped)) // 4) + stripped
    return "\n".join(lines)


def _echo_module(case: Case) -> str:
    """The whole skeleton sent back, with the unit (and its `@overload` signatures, which the
    reply sends back or leaves out) replaced by the reply's code."""
    body = ast.parse(case.skeleton).body
    start = next(index for index, s in enumerate(body) if _is_unit(s, case.unit))
    node = body[start]
    while start and _is_overload(body[start - 1]) and _bound(body[start - 1]) == {case.qualname}:
        start -= 1
    first = min(
        [body[start].lineno, *(d.lineno for d in getattr(body[start], "decorator_list", []))]
    )
    lines = case.skeleton.split("\n")
    lines[first - 1 : node.end_lineno] = case.code.rstrip("\n").split("\n")
    return "\n".join(lines)


def _private_name(case: Case) -> str:
    tree = ast.parse(case.skeleton)
    return next(
        name
        for node in tree.body
        for name in sorted(_bound(node))
        if name.startswith("_") and not name.startswith("__")
    )


def _bound(node: ast.stmt) -> set[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {t.id for t in targets if isinstance(t, ast.Name)}
    return set()


def _renamed(case: Case) -> str:
    keyword = "class" if case.unit.kind == "class" else "def"
    code = re.sub(
        rf"^(\s*(?:async\s+)?){keyword} {case.qualname}\b",
        rf"\1{keyword} {case.qualname}_v2",
        case.code,
        flags=re.MULTILINE,
    )
    assert code != case.code
    return code


def _imports_apart(case: Case) -> str:
    """The reply's import lines in a fence of their own, before the rest."""
    lines = case.code.split("\n")
    imports = [line for line in lines if line.startswith(("import ", "from "))]
    rest = "\n".join(line for line in lines if line not in imports)
    return f"First the imports:\n{_fence(chr(10).join(imports) + chr(10))}Then:\n{_fence(rest)}"


def _several_fences(case: Case) -> str:
    usage = _fence(f"print({case.qualname})")
    test = _fence(f"def test_it():\n    assert {case.qualname}\n")
    return f"Usage:\n{usage}The code:\n{_fence(case.code)}A test:\n{test}"


OPERATORS: tuple[Operator, ...] = (
    # Recoverable: extraction and the gates repair these, and the merge is right.
    Operator("fenced", True, lambda c: Reply(_fence(c.code))),
    Operator("no_fence", True, lambda c: Reply(c.code)),
    Operator(
        "prose_no_fence",
        True,
        lambda c: Reply(f"Here is the implementation:\n\n{c.code}\nIt runs in linear time.\n"),
    ),
    Operator(
        "prose_around",
        True,
        lambda c: Reply(f"Sure! Here you go:\n\n{_fence(c.code)}\nThis handles every example."),
    ),
    Operator("several_fences", True, lambda c: Reply(_several_fences(c))),
    Operator("lone_closing_fence", True, lambda c: Reply(f"{c.code}```\n\nAnything else?")),
    Operator(
        "think_block",
        True,
        lambda c: Reply(
            f"<think>\nI could write def {c.qualname}(): pass, but that is a stub.\n</think>\n\n"
            + _fence(c.code)
        ),
    ),
    Operator("two_space_indent", True, lambda c: Reply(_fence(_reindent(c.code, "  ")))),
    Operator("tab_indent", True, lambda c: Reply(_fence(_reindent(c.code, "\t")))),
    Operator(
        "indented_block",
        True,
        lambda c: Reply(
            "1. Replace the stub:\n\n"
            + textwrap.indent(_fence(c.code), "    ", lambda line: bool(line.strip()))
        ),
    ),
    Operator("whole_module_echoed", True, lambda c: Reply(_fence(_echo_module(c)))),
    Operator("imports_in_own_fence", True, lambda c: Reply(_imports_apart(c))),
    Operator("unclosed_fence", True, lambda c: Reply(f"```python\n{c.code}")),
    # Small models drop annotations or write their own; the skeleton's def line is kept anyway.
    Operator("annotations_left_out", True, lambda c: Reply(_fence(_annotated(c, None)))),
    Operator("annotations_rewritten", True, lambda c: Reply(_fence(_annotated(c, "Any")))),
    Operator(
        "everything_at_once",
        True,
        lambda c: Reply(
            f"<think>\nTabs, no fence.\n</think>\nHere:\n\n{_reindent(c.code, chr(9))}\nDone.\n"
        ),
    ),
    # Not recoverable: the right verdict is a rejection (or an extraction failure).
    Operator("wrong_name", False, lambda c: Reply(_fence(_renamed(c)))),
    Operator(
        "truncated",
        False,
        lambda c: Reply(_cut(_fence(c.code)), "length"),
    ),
    Operator("truncated_unclosed", False, lambda c: Reply(_cut_mid_line(_fence(c.code)))),
    Operator(
        "changed_signature",
        False,
        lambda c: Reply(_fence(_extra_parameter(c))),
    ),
    Operator(
        "placeholder_body",
        False,
        lambda c: Reply(_fence(_edit_body(c, True, "pass  # rest of code"))),
    ),
    Operator("disallowed_import", False, lambda c: Reply(_fence(f"import requests\n\n{c.code}"))),
    Operator(
        "toplevel_side_effect", False, lambda c: Reply(_fence(f"{c.code}\n\nprint('loaded')\n"))
    ),
    Operator(
        "public_helper",
        False,
        lambda c: Reply(_fence(f"def shared_helper():\n    return 1\n\n\n{c.code}")),
    ),
    Operator(
        "helper_collision",
        False,
        lambda c: Reply(_fence(f"{_private_name(c)} = None\n\n\n{c.code}")),
    ),
    Operator(
        "undefined_name",
        False,
        lambda c: Reply(_fence(_edit_body(c, False, "_probe = undefined_name_q"))),
    ),
    Operator("syntax_error", False, lambda c: Reply(_fence(_edit_body(c, False, "_probe = (1,")))),
)
