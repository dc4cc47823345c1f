"""Judge a candidate before it may touch a module: `judge(...) -> Accepted | Rejected`.

The gates run in this order and the first that fails decides; each names itself and says, in one
line, what the model should do instead:

    parse        the candidate is valid Python (for `ast` and for libcst)
    target       it defines the unit at the top level (a class: with every target method)
    signature    every target keeps its signature (decorators, parameters, defaults, async;
                 annotations are the skeleton's whatever the reply wrote)
    stub         no target body is a stub or a placeholder (`...`, `pass`, "rest of code")
    conduct      the code does nothing a body has no business doing: inspect frames, patch
                 the interpreter or pytest, take over the process, read the tests or the
                 run's files, give an object of its own an always-true `__eq__`
    imports      imports come from the standard library, the spec's dependencies or the package
    helpers      new functions, classes, constants and methods are private and collide with
                 nothing (a plain class the spec gives no constructor may gain an `__init__`)
    toplevel     nothing runs at import time (calls, loops, I/O, asserts)
    definitions  nothing else the module defines changes: `__all__`, constants, aliases, the
                 unit's class attributes and fields, `@overload` signatures (echoed ones are
                 the module's, before the code), and what the spec fixed whole (exceptions,
                 enums, data classes: definitions that are no unit), even when echoed
    compile      the merged module compiles
    names        the merged module uses no undefined name
    demo         a demo's `main()` calls something it imports from the package
    lint         the project's `ruff check` passes after its safe fixes (`filler.gates.lint`:
                 ruff runs in the flow, which repairs on it and ranks by it)

Harmless extras are dropped instead of refused: the reply's module docstring (and any string
standing alone, as attribute docstrings do), an `if __name__ == "__main__":` block, an import of
the module itself, and copies of definitions the module already has (other units, the whole
module echoed back), which are never merged (a changed copy of a definition that is no unit is
refused: the model means to change it). One omission is mended: a standard-library module the
code uses (`re.sub`) but forgot to import gets its `import` line.

`judge_in_turn` judges candidates that were accepted on an older text of the module again, one
after another on the text the ones before them left: what the writer does when units of one
module are written together: each comes out as `Fits` (its unit and verdict) or `NoLongerFits`.
A verdict nothing it rests on has changed for is carried over instead (`filler.gates.rebase`);
`carry_in_turn` does only that, cheaply, or says a candidate needs judging.

Five gates ask a module of their own: signature `filler.gates.signatures`, stub
`filler.gates.placeholders`, names `filler.gates.undefined`, and conduct and demo
`filler.gates.conduct`.
"""

from __future__ import annotations

import ast
import enum
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import libcst as cst

from filler.errors import ProjectError
from filler.fill.extract import Candidate
from filler.gates.conduct import idle_demo, is_demo_module, misconduct
from filler.gates.placeholders import Position, comments_of, find_placeholder
from filler.gates.rebase import rebase
from filler.gates.signatures import overload_problem, signature_problem
from filler.gates.undefined import undefined_names
from filler.source.concrete import parsed
from filler.source.merge import merge
from filler.source.syntax import (
    DefinitionNode,
    FunctionNode,
    body_after_docstring,
    definition_names,
    imports_itself,
    is_docstring,
    is_main_guard,
    is_public_or_dunder,
    module_bindings,
    top_definition,
    tree_of,
)
from filler.source.units import (
    Unit,
    UnitKind,
    body_sha,
    find_unit,
    is_overload,
    members_by_key,
)

__all__ = [
    "Accepted",
    "AllowedImports",
    "Fits",
    "Gate",
    "InTurn",
    "NoLongerFits",
    "Pending",
    "Rejected",
    "Verdict",
    "carry_in_turn",
    "judge",
    "judge_in_turn",
]


class Gate(enum.StrEnum):
    """The gate that refused a candidate, in the order they run (see the module docstring)."""

    EXTRACT = "extract"  # before any gate: no usable code in the reply (`filler.fill.extract`)
    PARSE = "parse"
    TARGET = "target"
    SIGNATURE = "signature"
    STUB = "stub"
    CONDUCT = "conduct"
    IMPORTS = "imports"
    HELPERS = "helpers"
    TOPLEVEL = "toplevel"
    DEFINITIONS = "definitions"
    COMPILE = "compile"
    NAMES = "names"
    DEMO = "demo"
    LINT = "lint"


@dataclass(frozen=True)
class AllowedImports:
    """What filled code may import besides the standard library (always allowed)."""

    package: str  # the project's own import package
    third_party: frozenset[str] = frozenset()  # top-level import names of the spec's dependencies


@dataclass(frozen=True)
class Accepted:
    """The module with the candidate merged in."""

    module_source: str
    body_sha: str  # Unit.body_sha of the unit in module_source


@dataclass(frozen=True)
class Rejected:
    """Why a candidate may not be merged; `excerpt` is the candidate line with a caret."""

    gate: Gate
    reason: str
    line: int | None = None
    excerpt: str = ""


Verdict = Accepted | Rejected


@dataclass(frozen=True)
class Pending:
    """A candidate the gates accepted on `judged_on`, to be merged into the module as it is now."""

    qualname: str
    candidate: Candidate
    judged_on: str
    verdict: Accepted


def judge(module_source: str, unit: Unit, candidate: Candidate, allowed: AllowedImports) -> Verdict:
    """Run every gate on the candidate; merge it only if all pass (see the module docstring)."""
    lines = candidate.code.split("\n")
    parsed = _parse(candidate.code, lines, unit)
    if isinstance(parsed, Rejected):
        return parsed
    review = _Review.of(module_source, unit, parsed, lines, allowed)
    for gate in _GATES:
        rejection = gate(review)
        if rejection is not None:
            return rejection
    merged = merge(module_source, unit, candidate)
    forgotten = _forgotten_modules(review, merged)
    if forgotten:
        imports = "".join(f"\nimport {name}" for name in forgotten)
        merged = merge(module_source, unit, replace(candidate, code=candidate.code + imports))
    for check in (_compiles, _defined_names, _demo):
        rejection = check(review, merged)
        if rejection is not None:
            return rejection
    return Accepted(merged, body_sha(merged, unit.qualname))


@dataclass(frozen=True)
class Fits:
    """A pending candidate merged in turn: its unit as found in the text it landed on."""

    unit: Unit
    verdict: Accepted


@dataclass(frozen=True)
class NoLongerFits:
    """A pending candidate left out: the module moved on under it. `reason` is one line."""

    reason: str


InTurn = list[Fits | NoLongerFits]


def judge_in_turn(
    module_source: str,
    module: str,
    path: Path,
    pending: Sequence[Pending],
    allowed: AllowedImports,
) -> InTurn:
    """Each pending candidate judged on the text the accepted ones before it left.

    Per candidate: `Fits` with its unit as found in that text and the verdict, or `NoLongerFits`.
    The last accepted verdict holds the module with all of them merged. A verdict nothing has
    invalidated is carried over (`filler.gates.rebase`) instead of being judged again.
    """

    def verdict(source: str, unit: Unit, item: Pending) -> Verdict:
        return _carried(source, item) or judge(source, unit, item.candidate, allowed)

    outcomes = _in_turn(module_source, module, path, pending, verdict)
    assert outcomes is not None
    return outcomes


def carry_in_turn(
    module_source: str, module: str, path: Path, pending: Sequence[Pending]
) -> InTurn | None:
    """`judge_in_turn`'s outcomes when every verdict carries over, None when one needs judging.

    Cheap (plain `ast`, no libcst): the writer tries it first, without a worker.
    """
    return _in_turn(
        module_source, module, path, pending, lambda source, _, item: _carried(source, item)
    )


def _in_turn(
    source: str,
    module: str,
    path: Path,
    pending: Sequence[Pending],
    verdict_of: Callable[[str, Unit, Pending], Verdict | None],
) -> InTurn | None:
    outcomes: InTurn = []
    for item in pending:
        unit = find_unit(source, module, path, item.qualname)
        if unit is None:
            outcomes.append(NoLongerFits(f"{item.qualname} is no longer in {path}"))
            continue
        verdict = verdict_of(source, unit, item)
        if verdict is None:
            return None
        if isinstance(verdict, Rejected):
            reason = f"the file changed during the run; the body no longer fits: {verdict.reason}"
            outcomes.append(NoLongerFits(reason))
            continue
        outcomes.append(Fits(unit, verdict))
        source = verdict.module_source
    return outcomes


def _carried(source: str, item: Pending) -> Accepted | None:
    """The item's verdict on `source` without judging it again, if nothing it rests on changed."""
    if source == item.judged_on:
        return item.verdict
    moved = rebase(item.verdict.module_source, item.judged_on, source, item.qualname)
    if moved is None:
        return None
    try:
        compile(moved, "<module>", "exec", dont_inherit=True)
    except SyntaxError:
        return None  # the module was broken by hand: judging says so
    return replace(item.verdict, module_source=moved)


class _Role(enum.Enum):
    """What a top-level statement of a reply is, next to the skeleton it goes into."""

    DOCSTRING = enum.auto()  # the reply's module docstring, or an attribute's: ignored
    IMPORT = enum.auto()
    SELF_IMPORT = enum.auto()  # an import of the module itself: ignored
    MAIN = enum.auto()  # the `__main__` block: ignored
    TARGET = enum.auto()
    OVERLOAD = enum.auto()  # an `@overload` signature: the module's own, never merged
    HELPER = enum.auto()  # defines only new names
    ECHO = enum.auto()  # a public definition the module already has: never merged
    SAME = enum.auto()  # identical to the module's own: ignored
    REDEFINITION = enum.auto()  # changes an existing name
    STATEMENT = enum.auto()  # runs code at import


@dataclass(frozen=True)
class _Review:
    """A parsed candidate next to its skeleton, each top-level statement with its role."""

    unit: Unit
    allowed: AllowedImports
    lines: Sequence[str]
    module_source: str
    skeleton: ast.Module
    given: DefinitionNode  # the unit in the skeleton
    bound: frozenset[str]
    roles: tuple[tuple[ast.stmt, _Role], ...]

    @classmethod
    def of(
        cls,
        module_source: str,
        unit: Unit,
        reply: ast.Module,
        lines: Sequence[str],
        allowed: AllowedImports,
    ) -> _Review:
        try:
            skeleton, known = _skeleton(module_source)
        except SyntaxError as error:
            raise ProjectError(f"{unit.path} does not parse any more: {error}") from error
        given = _definition(skeleton, unit)
        bound = module_bindings(module_source)
        roles = tuple(
            (node, _role(index, node, unit, bound, known)) for index, node in enumerate(reply.body)
        )
        return cls(unit, allowed, lines, module_source, skeleton, given, bound, roles)

    def with_role(self, *roles: _Role) -> Iterator[ast.stmt]:
        return (node for node, role in self.roles if role in roles)

    def target(self) -> DefinitionNode:
        node = next(self.with_role(_Role.TARGET))
        assert isinstance(node, DefinitionNode)
        return node

    def target_functions(self) -> Iterator[tuple[FunctionNode, FunctionNode]]:
        """Each target as (in the skeleton, in the reply)."""
        skeleton, reply = self.given, self.target()
        if isinstance(skeleton, FunctionNode) and isinstance(reply, FunctionNode):
            yield skeleton, reply
        elif isinstance(skeleton, ast.ClassDef) and isinstance(reply, ast.ClassDef):
            written, given = members_by_key(reply), members_by_key(skeleton)
            for name in self.unit.targets:
                yield given[name], written[name]

    def reject(self, gate: Gate, reason: str, node: ast.AST | Position | None = None) -> Rejected:
        line = getattr(node, "lineno", None)
        if line is None:
            return Rejected(gate, reason)
        return Rejected(
            gate, reason, line, _excerpt(self.lines, line, getattr(node, "col_offset", 0))
        )

    def source(self, node: ast.AST) -> str:
        """The first line of a node's code, for a reason."""
        line = self.lines[getattr(node, "lineno", 1) - 1].strip()
        return line if len(line) <= 60 else line[:57] + "..."


# Every reply of a module is judged on the same text: dump its statements once. The tree is
# `tree_of`'s shared one, so nothing here may change it.
@lru_cache(maxsize=32)
def _skeleton(module_source: str) -> tuple[ast.Module, frozenset[str]]:
    """The module's tree and the `ast.dump` of each top-level statement."""
    tree = tree_of(module_source)
    return tree, frozenset(ast.dump(statement) for statement in tree.body)


def _definition(skeleton: ast.Module, unit: Unit) -> DefinitionNode:
    """The unit in the module, with every target; a ProjectError if the file moved on."""
    for node in skeleton.body:
        if isinstance(node, FunctionNode) and is_overload(node):
            continue
        if isinstance(node, DefinitionNode) and node.name == unit.qualname:
            methods = members_by_key(node) if isinstance(node, ast.ClassDef) else {node.name: node}
            if all(target in methods for target in unit.targets):
                return node
    raise ProjectError(f"{unit.id} is no longer defined as it was in {unit.path}")


def _role(
    index: int, node: ast.stmt, unit: Unit, bound: frozenset[str], known: frozenset[str]
) -> _Role:
    if is_docstring(node):
        # The module's docstring, or an attribute's (a string right after a constant) as the
        # template writes them: a string alone runs nothing, and the merge keeps the module's.
        return _Role.DOCSTRING
    if isinstance(node, ast.Import | ast.ImportFrom):
        return _Role.SELF_IMPORT if imports_itself(node, unit.module) else _Role.IMPORT
    if is_main_guard(node):
        return _Role.MAIN
    names = definition_names(node)
    if not names:
        return _Role.STATEMENT
    if isinstance(node, FunctionNode) and is_overload(node):
        return _Role.OVERLOAD
    if isinstance(node, DefinitionNode) and node.name == unit.qualname:
        return _Role.TARGET
    if not names & bound:
        return _Role.HELPER
    if isinstance(node, DefinitionNode) and is_public_or_dunder(node.name):
        return _Role.ECHO
    return _Role.SAME if ast.dump(node) in known else _Role.REDEFINITION


def _excerpt(lines: Sequence[str], line: int, byte_column: int) -> str:
    if not 1 <= line <= len(lines):
        return ""
    text = lines[line - 1]
    # ast columns count UTF-8 bytes; the caret goes under characters.
    column = len(text.encode()[:byte_column].decode(errors="ignore"))
    pad = "".join(char if char == "\t" else " " for char in text[:column])
    return f"{text}\n{pad}^"


def _parse(code: str, lines: Sequence[str], unit: Unit) -> ast.Module | Rejected:
    again = f"send {unit.qualname} again as complete, valid Python"
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        line = error.lineno or 1
        # SyntaxError columns are 1-based characters; _excerpt wants 0-based bytes.
        text = lines[line - 1] if 1 <= line <= len(lines) else ""
        column = len(text[: max((error.offset or 1) - 1, 0)].encode())
        return Rejected(
            Gate.PARSE, f"line {line}: {error.msg}; {again}", line, _excerpt(lines, line, column)
        )
    except ValueError as error:
        return Rejected(Gate.PARSE, f"{error}; {again}")
    try:
        parsed(code)
    except cst.ParserSyntaxError as error:
        line = error.raw_line
        text = lines[line - 1] if 1 <= line <= len(lines) else ""
        column = len(text[: error.raw_column].encode())
        reason = f"line {line}: {error.message}; {again}"
        return Rejected(Gate.PARSE, reason, line, _excerpt(lines, line, column))
    return tree


def _target(review: _Review) -> Rejected | None:
    unit = review.unit
    found = list(review.with_role(_Role.TARGET))
    if not found:
        return review.reject(
            Gate.TARGET,
            f"the reply does not define {unit.qualname} at the top level; send it whole",
        )
    if len(found) > 1:
        return review.reject(
            Gate.TARGET, f"the reply defines {unit.qualname} twice; send one definition", found[1]
        )
    node = found[0]
    if unit.kind is UnitKind.CLASS and not isinstance(node, ast.ClassDef):
        return review.reject(Gate.TARGET, f"{unit.qualname} is a class; send the whole class", node)
    if unit.kind is UnitKind.FUNCTION and not isinstance(node, FunctionNode):
        return review.reject(Gate.TARGET, f"{unit.qualname} is a function, not a class", node)
    if isinstance(node, ast.ClassDef):
        missing = [name for name in unit.targets if name not in members_by_key(node)]
        if missing:
            listed = ", ".join(map(_spelled, missing))
            return review.reject(
                Gate.TARGET,
                f"the class {unit.qualname} must also define {listed}; write them",
                node,
            )
    return None


def _spelled(key: str) -> str:
    """A target as the model writes it: `value.setter` is `@value.setter def value`."""
    name, _, accessor = key.partition(".")
    return f"`@{key} def {name}`" if accessor else key


def _signature(review: _Review) -> Rejected | None:
    problem = signature_problem(
        review.given, review.target(), review.target_functions(), review.module_source
    )
    return None if problem is None else review.reject(Gate.SIGNATURE, *problem)


def _stub(review: _Review) -> Rejected | None:
    comments = comments_of(review.lines)
    for _, written in review.target_functions():
        problem = find_placeholder(written, comments)
        if problem is not None:
            what, node = problem
            name = written.name
            reason = f"{name} still has {what} where its code should be; write the whole body"
            return review.reject(Gate.STUB, reason, node)
    return None


def _conduct(review: _Review) -> Rejected | None:
    merged = list(review.with_role(_Role.IMPORT, _Role.TARGET, _Role.HELPER))
    offence = misconduct(merged, review.skeleton)
    return None if offence is None else review.reject(Gate.CONDUCT, offence.reason, offence.node)


def _imports(review: _Review) -> Rejected | None:
    allowed = review.allowed
    permitted = ", ".join(["the standard library", allowed.package, *sorted(allowed.third_party)])
    existing = _import_keys(review.skeleton.body)
    for statement in review.with_role(_Role.IMPORT, _Role.TARGET, _Role.HELPER):
        for node in ast.walk(statement):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                reason = f"`{review.source(node)}`: import the names you use, not *"
                return review.reject(Gate.IMPORTS, reason, node)
            if not _allowed(node, allowed):
                reason = f"`{review.source(node)}` is not allowed: import only from {permitted}"
                return review.reject(Gate.IMPORTS, reason, node)
        if isinstance(statement, ast.Import | ast.ImportFrom):
            for name, key in _import_keys([statement]).items():
                if name in review.bound and existing.get(name) != key:
                    reason = (
                        f"`{review.source(statement)}` would replace {name}, which the module "
                        "already defines; use it or import under another name"
                    )
                    return review.reject(Gate.IMPORTS, reason, statement)
    return None


def _allowed(node: ast.Import | ast.ImportFrom, allowed: AllowedImports) -> bool:
    """Whether every top-level package the import reads is allowed (relative: the package)."""
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return True
        modules = [node.module or ""]
    else:
        modules = [alias.name for alias in node.names]
    permitted = {allowed.package, *allowed.third_party}
    roots = {module.split(".")[0] for module in modules}
    return all(root in sys.stdlib_module_names or root in permitted for root in roots)


def _import_keys(statements: Sequence[ast.stmt]) -> dict[str, tuple[str | int | None, ...]]:
    """Names bound by top-level imports, each with what it is bound to."""
    keys: dict[str, tuple[str | int | None, ...]] = {}
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    keys[alias.asname] = ("import", alias.name)
                else:
                    root = alias.name.split(".")[0]
                    keys[root] = ("import", root)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                keys[alias.asname or alias.name] = ("from", node.level, node.module, alias.name)
    return keys


def _helpers(review: _Review) -> Rejected | None:
    unit = review.unit
    for node in review.with_role(_Role.HELPER):
        public = sorted(name for name in definition_names(node) or () if is_public_or_dunder(name))
        if public:
            reason = (
                f"`{public[0]}` would be a new public name in {unit.module}: make it private "
                f"(`_{public[0].strip('_')}`) or put it inside {unit.qualname}"
            )
            return review.reject(Gate.HELPERS, reason, node)
    for node in review.with_role(_Role.REDEFINITION):
        private = sorted(
            n
            for n in definition_names(node) or ()
            if not is_public_or_dunder(n) and n in review.bound
        )
        if private:
            reason = f"{private[0]} already exists in {unit.module}: use it or rename your helper"
            return review.reject(Gate.HELPERS, reason, node)
    skeleton, reply = review.given, review.target()
    if isinstance(skeleton, ast.ClassDef) and isinstance(reply, ast.ClassDef):
        existing = members_by_key(skeleton)
        for name, method in members_by_key(reply).items():
            new = name not in existing
            if new and is_public_or_dunder(name) and not _adds_constructor(skeleton, name):
                reason = (
                    f"{unit.qualname}.{name} would be a new public method: make it private "
                    f"(`_{name.strip('_')}`) or put its code inside the methods you write"
                )
                return review.reject(Gate.HELPERS, reason, method)
            changed = not new and ast.dump(existing[name]) != ast.dump(method)
            if changed and not is_public_or_dunder(name) and name not in unit.targets:
                reason = f"{unit.qualname}.{name} already exists: rename your helper method"
                return review.reject(Gate.HELPERS, reason, method)
    return None


def _adds_constructor(skeleton: ast.ClassDef, name: str) -> bool:
    """Whether `name` is an `__init__` the class may gain: a spec that gives a plain class no
    `init` leaves its state to the methods, and a constructor that sets it up is how Python
    code does that. A decorated class (a dataclass) gets its constructor from its fields."""
    return name == "__init__" and not skeleton.decorator_list


def _toplevel(review: _Review) -> Rejected | None:
    node = next(review.with_role(_Role.STATEMENT), None)
    if node is None:
        return None
    reason = (
        f"remove the top-level `{review.source(node)}`: importing the module must not run "
        f"code; keep it inside {review.unit.qualname}"
    )
    return review.reject(Gate.TOPLEVEL, reason, node)


def _definitions(review: _Review) -> Rejected | None:
    unit = review.unit
    node = next(review.with_role(_Role.REDEFINITION), None)
    if node is not None:
        names = ", ".join(sorted((definition_names(node) or frozenset()) & review.bound))
        reason = f"leave {names} as the module defines it; change only {unit.qualname}"
        return review.reject(Gate.DEFINITIONS, reason, node)
    for node in review.with_role(_Role.ECHO):
        assert isinstance(node, DefinitionNode)
        given = top_definition(review.skeleton, node.name)
        if given is not None and find_unit(review.module_source, unit.module, unit.path, node.name):
            continue  # another unit, which its own fill writes: an echo of it is never merged
        # None: the module binds the name otherwise (an alias, a constant), not with a def
        if given is None or _shape(given) != _shape(node):
            reason = f"leave {node.name} as the module defines it; change only {unit.qualname}"
            return review.reject(Gate.DEFINITIONS, reason, node)
    skeleton, reply = review.given, review.target()
    overloads = overload_problem(review.skeleton.body, [node for node, _ in review.roles])
    if isinstance(skeleton, ast.ClassDef) and isinstance(reply, ast.ClassDef):
        overloads = overloads or overload_problem(skeleton.body, reply.body)
    if overloads is not None:
        return review.reject(Gate.DEFINITIONS, *overloads)
    if isinstance(skeleton, ast.ClassDef) and isinstance(reply, ast.ClassDef):
        known = {ast.dump(node) for node in skeleton.body}
        for node in reply.body:
            if isinstance(node, FunctionNode) or is_docstring(node):
                continue  # methods are judged apart; docstrings are the skeleton's
            if ast.dump(node) not in known:
                reason = f"leave the class body of {unit.qualname} as it is; write only its methods"
                return review.reject(Gate.DEFINITIONS, reason, node)
    return None


def _shape(node: DefinitionNode) -> str:
    """What a definition fixes, docstrings and parameter annotations aside: its decorators,
    bases, parameters, defaults and code; for a class, its members' too."""
    if isinstance(node, ast.ClassDef):
        header = [*node.decorator_list, *node.bases, *node.keywords]
        # `pass` or `...` for a docstring is the same empty class (a marker exception).
        members = [
            _shape(member) if isinstance(member, DefinitionNode) else ast.dump(member)
            for member in body_after_docstring(node)
            if not isinstance(member, ast.Pass) and not _is_constant(member)
        ]
        return "\n".join(["class", node.name, *map(ast.dump, header), *members])
    names = [arg.arg for arg in ast.walk(node.args) if isinstance(arg, ast.arg)]
    defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
    code = [ast.dump(statement) for statement in body_after_docstring(node)]
    parts = [type(node).__name__, node.name, *map(ast.dump, node.decorator_list), *names]
    return "\n".join(parts + list(map(ast.dump, defaults)) + code)


def _is_constant(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


_GATES: tuple[Callable[[_Review], Rejected | None], ...] = (
    _target,
    _signature,
    _stub,
    _conduct,
    _imports,
    _helpers,
    _toplevel,
    _definitions,
)


def _compiles(review: _Review, merged: str) -> Rejected | None:
    try:
        compile(merged, str(review.unit.path), "exec", dont_inherit=True)
    except SyntaxError as error:
        lines = merged.split("\n")
        line = error.lineno or 0
        text = lines[line - 1].strip() if 1 <= line <= len(lines) else ""
        reason = f"the merged module does not compile: {error.msg}; fix {review.unit.qualname}"
        return review.reject(Gate.COMPILE, reason, _line_in_reply(review, text))
    return None


def _line_in_reply(review: _Review, text: str) -> Position | None:
    for number, line in enumerate(review.lines, start=1):
        if text and line.strip() == text:
            return Position(number, len(line[: len(line) - len(line.lstrip())].encode()))
    return None


def _defined_names(review: _Review, merged: str) -> Rejected | None:
    if any(
        isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
        for node in ast.walk(review.skeleton)
    ):
        return None  # a star import could define anything
    missing = _newly_undefined(review, merged)
    if not missing:
        return None
    name = sorted(missing)[0]
    reason = f"{name} is not defined: import it or define it in your code"
    return review.reject(Gate.NAMES, reason, _first_use(review, name))


def _demo(review: _Review, _: str) -> Rejected | None:
    """A demo must show its feature at work: exit 0 alone says nothing."""
    target = review.target()
    if not is_demo_module(review.unit.module) or not isinstance(target, FunctionNode):
        return None
    merged = list(review.with_role(_Role.IMPORT, _Role.TARGET, _Role.HELPER))
    offence = idle_demo(target, merged, review.skeleton, review.allowed.package)
    return None if offence is None else review.reject(Gate.DEMO, offence.reason, offence.node)


def _newly_undefined(review: _Review, merged: str) -> frozenset[str]:
    """Names the merged module reads but never defines, that the skeleton did not lack already."""
    return undefined_names(merged) - undefined_names(review.module_source)


def _forgotten_modules(review: _Review, merged: str) -> list[str]:
    """Standard-library modules the reply's code uses as `re.sub(...)` but never imports.

    Small models often forget the import line. Only a name the merge left undefined counts, so
    a parameter or a local called `string` or `time` is never mistaken for the module.
    """
    try:
        missing = _newly_undefined(review, merged)
    except SyntaxError:
        return []  # the compile gate explains
    used = {
        node.value.id
        for statement in review.with_role(_Role.TARGET, _Role.HELPER)
        for node in ast.walk(statement)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    }
    return sorted(name for name in missing & used if name in sys.stdlib_module_names)


def _first_use(review: _Review, name: str) -> ast.AST | None:
    uses = [
        node
        for statement in review.with_role(_Role.IMPORT, _Role.TARGET, _Role.HELPER)
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and node.id == name
    ]
    return min(uses, key=lambda node: (node.lineno, node.col_offset), default=None)
