"""Judge a candidate before it may touch a module: `judge(...) -> Accepted | Rejected`.

The gates run in this order and the first that fails decides; each names itself and says, in one
line, what the model should do instead:

    parse        the candidate is valid Python (for `ast` and for libcst)
    target       it defines the unit at the top level (a class: with every target method)
    signature    every target keeps its signature (`ast` of decorators, args, returns, async)
    stub         no target body is a stub or a placeholder (`...`, `pass`, "rest of code")
    imports      imports come from the standard library, the spec's dependencies or the package
    helpers      new functions, classes and constants are private and collide with nothing
    toplevel     nothing runs at import time (calls, loops, I/O, asserts)
    definitions  nothing else the module defines changes (`__all__`, class attributes)
    compile      the merged module compiles
    names        the merged module uses no undefined name

Harmless extras are dropped with a note instead: the reply's module docstring, an
`if __name__ == "__main__":` block, an import of the module itself, and copies of definitions the
module already has (other units, the whole module echoed back), which are never merged.
"""

from __future__ import annotations

import ast
import builtins
import copy
import io
import re
import symtable
import sys
import tokenize
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from filler.errors import ProjectError
from filler.extract import Candidate
from filler.merge import definition_names, imports_itself, merge, module_bindings
from filler.stubs import Unit, body_sha, signature_dump

__all__ = ["Accepted", "AllowedImports", "Rejected", "Verdict", "judge"]

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
Definition = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef

_PLACEHOLDER_COMMENT = re.compile(
    r"""\#\s*(?:\.\.\.|…)
      | rest\ of\ (?:the\ )?(?:code|implementation|function|method|body|logic)
      | (?:your|actual)\ (?:code|implementation|logic)\ (?:goes\ )?here
      | implement(?:ation)?\ (?:this|me|here|goes\ here)
      | (?:code|logic)\ goes\ here
      | fill\ (?:this\ )?in
      | existing\ code
      | same\ as\ (?:before|above)
      | placeholder""",
    re.IGNORECASE | re.VERBOSE,
)
_MODULE_GLOBALS = frozenset(
    {"__annotations__", "__builtins__", "__cached__", "__file__", "__path__"}
).union(dir(builtins))


@dataclass(frozen=True)
class AllowedImports:
    """What filled code may import besides the standard library (always allowed)."""

    package: str  # the project's own import package
    third_party: frozenset[str] = frozenset()  # top-level import names of the spec's dependencies


@dataclass(frozen=True)
class Accepted:
    """The module with the candidate merged in, and every repair made on the way."""

    module_source: str
    body_sha: str  # Unit.body_sha of the unit in module_source
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """Why a candidate may not be merged; `excerpt` is the candidate line with a caret."""

    gate: str
    reason: str
    line: int | None = None
    excerpt: str = ""


Verdict = Accepted | Rejected


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
    for check in (_compiles, _defined_names):
        rejection = check(review, merged)
        if rejection is not None:
            return rejection
    notes = candidate.notes + tuple(review.notes())
    return Accepted(merged, body_sha(merged, unit.qualname), notes)


@dataclass(frozen=True)
class _Review:
    """A parsed candidate next to its skeleton, each top-level statement with its role.

    Roles: docstring, import, self-import, main (the `__main__` block), target, helper (defines
    only new names), echo (a public definition the module already has), same (identical to the
    module's own), redefinition (changes an existing name), statement (runs code at import).
    """

    unit: Unit
    allowed: AllowedImports
    lines: Sequence[str]
    module_source: str
    skeleton: ast.Module
    given: Definition  # the unit in the skeleton
    bound: frozenset[str]
    roles: tuple[tuple[ast.stmt, str], ...]

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
            skeleton = ast.parse(module_source)
        except SyntaxError as error:
            raise ProjectError(f"{unit.path} does not parse any more: {error}") from error
        given = _definition(skeleton, unit)
        bound = module_bindings(module_source)
        known = {ast.dump(statement) for statement in skeleton.body}
        roles = tuple(
            (node, _role(index, node, unit, bound, known)) for index, node in enumerate(reply.body)
        )
        return cls(unit, allowed, lines, module_source, skeleton, given, bound, roles)

    def with_role(self, *roles: str) -> Iterator[ast.stmt]:
        return (node for node, role in self.roles if role in roles)

    def target(self) -> Definition:
        node = next(self.with_role("target"))
        assert isinstance(node, Definition)
        return node

    def target_functions(self) -> Iterator[tuple[FunctionNode, FunctionNode]]:
        """Each target as (in the skeleton, in the reply)."""
        skeleton, reply = self.given, self.target()
        if isinstance(skeleton, FunctionNode) and isinstance(reply, FunctionNode):
            yield skeleton, reply
        elif isinstance(skeleton, ast.ClassDef) and isinstance(reply, ast.ClassDef):
            written, given = _methods(reply), _methods(skeleton)
            for name in self.unit.targets:
                yield given[name], written[name]

    def reject(self, gate: str, reason: str, node: ast.AST | _Position | None = None) -> Rejected:
        line = getattr(node, "lineno", None)
        if line is None:
            return Rejected(gate, reason)
        return Rejected(
            gate, reason, line, _excerpt(self.lines, line, getattr(node, "col_offset", 0))
        )

    def source(self, node: ast.AST) -> str:
        """The first line of a node's code, for a reason or a note."""
        line = self.lines[getattr(node, "lineno", 1) - 1].strip()
        return line if len(line) <= 60 else line[:57] + "..."

    def notes(self) -> Iterator[str]:
        for node, role in self.roles:
            if role == "docstring":
                yield "ignored the reply's module docstring"
            elif role == "self-import":
                yield f"dropped `{self.source(node)}`: a module does not import itself"
            elif role == "main":
                yield 'dropped the reply\'s `if __name__ == "__main__":` block'
            elif role in ("echo", "same"):
                names = ", ".join(sorted(definition_names(node) or ()))
                yield f"ignored the reply's copy of {names}: the module keeps its own"
        reply, skeleton = self.target(), self.given
        if isinstance(reply, ast.ClassDef) and isinstance(skeleton, ast.ClassDef):
            existing = _methods(skeleton)
            for name in sorted(_methods(reply).keys() & existing.keys() - set(self.unit.targets)):
                yield f"ignored the reply's copy of {self.unit.qualname}.{name}"


def _definition(skeleton: ast.Module, unit: Unit) -> Definition:
    """The unit in the module, with every target; a ProjectError if the file moved on."""
    for node in skeleton.body:
        if isinstance(node, Definition) and node.name == unit.qualname:
            methods = _methods(node) if isinstance(node, ast.ClassDef) else {node.name: node}
            if all(target in methods for target in unit.targets):
                return node
    raise ProjectError(f"{unit.id} is no longer defined as it was in {unit.path}")


def _role(index: int, node: ast.stmt, unit: Unit, bound: frozenset[str], known: set[str]) -> str:
    if index == 0 and _is_docstring(node):
        return "docstring"
    if isinstance(node, ast.Import | ast.ImportFrom):
        return "self-import" if imports_itself(node, unit.module) else "import"
    if _is_main_guard(node):
        return "main"
    names = definition_names(node)
    if not names:
        return "statement"
    if isinstance(node, Definition) and node.name == unit.qualname:
        return "target"
    if not names & bound:
        return "helper"
    if isinstance(node, Definition) and _is_public(node.name):
        return "echo"
    return "same" if ast.dump(node) in known else "redefinition"


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    names = {part.id for part in parts if isinstance(part, ast.Name)}
    texts = {part.value for part in parts if isinstance(part, ast.Constant)}
    return names == {"__name__"} and texts == {"__main__"} and len(parts) == 2


def _is_public(name: str) -> bool:
    return not name.startswith("_") or (name.startswith("__") and name.endswith("__"))


def _methods(klass: ast.ClassDef) -> dict[str, FunctionNode]:
    return {node.name: node for node in klass.body if isinstance(node, FunctionNode)}


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
            "parse", f"line {line}: {error.msg}; {again}", line, _excerpt(lines, line, column)
        )
    except ValueError as error:
        return Rejected("parse", f"{error}; {again}")
    try:
        cst.parse_module(code)
    except cst.ParserSyntaxError as error:
        line = error.raw_line
        text = lines[line - 1] if 1 <= line <= len(lines) else ""
        column = len(text[: error.raw_column].encode())
        reason = f"line {line}: {error.message}; {again}"
        return Rejected("parse", reason, line, _excerpt(lines, line, column))
    return tree


def _target(review: _Review) -> Rejected | None:
    unit = review.unit
    found = list(review.with_role("target"))
    if not found:
        return review.reject(
            "target", f"the reply does not define {unit.qualname} at the top level; send it whole"
        )
    if len(found) > 1:
        return review.reject(
            "target", f"the reply defines {unit.qualname} twice; send one definition", found[1]
        )
    node = found[0]
    if unit.kind == "class" and not isinstance(node, ast.ClassDef):
        return review.reject("target", f"{unit.qualname} is a class; send the whole class", node)
    if unit.kind == "function" and not isinstance(node, FunctionNode):
        return review.reject("target", f"{unit.qualname} is a function, not a class", node)
    if isinstance(node, ast.ClassDef):
        missing = [name for name in unit.targets if name not in _methods(node)]
        if missing:
            listed = ", ".join(missing)
            return review.reject(
                "target", f"the class {unit.qualname} must also define {listed}; write them", node
            )
    return None


def _signature(review: _Review) -> Rejected | None:
    skeleton, reply = review.given, review.target()
    if isinstance(skeleton, ast.ClassDef) and isinstance(reply, ast.ClassDef):
        header = [*skeleton.decorator_list, *skeleton.bases, *skeleton.keywords]
        sent = [*reply.decorator_list, *reply.bases, *reply.keywords]
        if list(map(ast.dump, header)) != list(map(ast.dump, sent)):
            reason = f"keep the class header exactly as given: `{_class_header(skeleton)}`"
            return review.reject("signature", reason, _first_difference(header, sent, reply))
    for given, written in review.target_functions():
        if signature_dump(given) != signature_dump(_annotated_like(written, given)):
            expected = _def_line(review.module_source.split("\n"), given)
            reason = f"keep the signature exactly as given: `{expected}`; change only the body"
            return review.reject("signature", reason, _signature_difference(given, written))
    return None


def _annotated_like(written: FunctionNode, given: FunctionNode) -> FunctionNode:
    """`written` with the annotations it left out taken from `given`.

    Small models often drop annotations. The skeleton's signature is kept on merge whatever
    the reply says, so a missing annotation changes nothing; a different one still rejects.
    """
    filled = copy.deepcopy(written)
    pairs = [
        (filled.args.posonlyargs, given.args.posonlyargs),
        (filled.args.args, given.args.args),
        (filled.args.kwonlyargs, given.args.kwonlyargs),
        (
            [filled.args.vararg] if filled.args.vararg else [],
            [given.args.vararg] if given.args.vararg else [],
        ),
        (
            [filled.args.kwarg] if filled.args.kwarg else [],
            [given.args.kwarg] if given.args.kwarg else [],
        ),
    ]
    for mine, theirs in pairs:
        for arg, model in zip(mine, theirs, strict=False):
            if arg.annotation is None and arg.arg == model.arg:
                arg.annotation = model.annotation
    if filled.returns is None:
        filled.returns = given.returns
    return filled


def _def_line(source_lines: Sequence[str], node: FunctionNode) -> str:
    """The function's header as the skeleton writes it, on one line and without its comment."""
    last = max(node.lineno, node.body[0].lineno - 1)
    text = " ".join(line.strip() for line in source_lines[node.lineno - 1 : last])
    text = re.sub(r":\s*#.*$", ":", text)
    text = re.sub(r"([(\[])\s+", r"\1", re.sub(r",?\s+([)\]])", r"\1", text))
    decorators = "".join(f"@{ast.unparse(d)} " for d in node.decorator_list)
    return decorators + text


def _class_header(node: ast.ClassDef) -> str:
    decorators = "".join(f"@{ast.unparse(d)} " for d in node.decorator_list)
    bases = ", ".join(ast.unparse(b) for b in [*node.bases, *node.keywords])
    return f"{decorators}class {node.name}" + (f"({bases}):" if bases else ":")


def _first_difference(
    given: Sequence[ast.AST], written: Sequence[ast.AST], whole: ast.AST
) -> ast.AST:
    for old, new in zip(given, written, strict=False):
        if ast.dump(old) != ast.dump(new):
            return new
    return written[len(given)] if len(written) > len(given) else whole


def _signature_difference(given: FunctionNode, written: FunctionNode) -> ast.AST:
    """The first part of the written signature that differs, to put the caret under."""
    if type(given) is not type(written):
        return written
    for old, new in zip(_signature_parts(given), _signature_parts(written), strict=True):
        if list(map(ast.dump, old)) != list(map(ast.dump, new)):
            return _first_difference(old, new, written)
    return written


def _signature_parts(function: FunctionNode) -> list[list[ast.AST]]:
    args = function.args
    groups: list[list[ast.AST] | list[ast.arg] | list[ast.expr]] = [
        function.decorator_list,
        args.posonlyargs,
        args.args,
        [args.vararg] if args.vararg else [],
        args.kwonlyargs,
        [args.kwarg] if args.kwarg else [],
        args.defaults,
        [default for default in args.kw_defaults if default is not None],
        [function.returns] if function.returns else [],
    ]
    return [list(group) for group in groups]


def _stub(review: _Review) -> Rejected | None:
    comments = _comments(review.lines)
    for _, written in review.target_functions():
        problem = _placeholder(written, comments)
        if problem is not None:
            what, node = problem
            name = written.name
            reason = f"{name} still has {what} where its code should be; write the whole body"
            return review.reject("stub", reason, node)
    return None


def _comments(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """Every comment of the candidate as (line, byte column, text)."""
    found: list[tuple[int, int, str]] = []
    readline = io.StringIO("\n".join(lines)).readline
    for token in tokenize.generate_tokens(readline):
        if token.type == tokenize.COMMENT:
            line, column = token.start
            found.append((line, len(lines[line - 1][:column].encode()), token.string))
    return found


def _placeholder(
    function: FunctionNode, comments: Sequence[tuple[int, int, str]]
) -> tuple[str, ast.AST | _Position] | None:
    body = function.body
    if ast.get_docstring(function, clean=False) is not None:
        body = body[1:]
    if not body:
        return "only a docstring", function
    if all(isinstance(s, ast.Pass) or _is_constant_expression(s) for s in body):
        return "no code (`pass`, `...`)", body[0]
    if len(body) == 1 and isinstance(body[0], ast.Raise) and _raises_not_implemented(body[0]):
        return "`raise NotImplementedError`", body[0]
    for node in (n for statement in body for n in ast.walk(statement)):
        if _is_ellipsis(node):
            return "`...`", node
        # With a message it may be a real "not supported"; bare, it is an unwritten branch
        # (and the project's conftest reports it as "not filled yet").
        if isinstance(node, ast.Raise) and _raises_not_implemented(node) and not _has_args(node):
            return "`raise NotImplementedError`", node
    end = function.end_lineno or function.lineno
    for line, column, text in comments:
        if function.lineno <= line <= end and _PLACEHOLDER_COMMENT.search(text):
            return f"a placeholder comment (`{text.strip()}`)", _Position(line, column)
    return None


@dataclass(frozen=True)
class _Position:
    lineno: int
    col_offset: int


def _is_constant_expression(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _is_ellipsis(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and node.value.value is Ellipsis
    )


def _has_args(node: ast.Raise) -> bool:
    return isinstance(node.exc, ast.Call) and bool(node.exc.args or node.exc.keywords)


def _raises_not_implemented(node: ast.Raise) -> bool:
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _imports(review: _Review) -> Rejected | None:
    allowed = review.allowed
    permitted = ", ".join(["the standard library", allowed.package, *sorted(allowed.third_party)])
    existing = _import_keys(review.skeleton.body)
    for statement in review.with_role("import", "target", "helper"):
        for node in ast.walk(statement):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
                reason = f"`{review.source(node)}`: import the names you use, not *"
                return review.reject("imports", reason, node)
            if not _allowed(node, allowed):
                reason = f"`{review.source(node)}` is not allowed: import only from {permitted}"
                return review.reject("imports", reason, node)
        if isinstance(statement, ast.Import | ast.ImportFrom):
            for name, key in _import_keys([statement]).items():
                if name in review.bound and existing.get(name) != key:
                    reason = (
                        f"`{review.source(statement)}` would replace {name}, which the module "
                        "already defines; use it or import under another name"
                    )
                    return review.reject("imports", reason, statement)
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
    for node in review.with_role("helper"):
        public = sorted(name for name in definition_names(node) or () if _is_public(name))
        if public:
            reason = (
                f"`{public[0]}` would be a new public name in {unit.module}: make it private "
                f"(`_{public[0].strip('_')}`) or put it inside {unit.qualname}"
            )
            return review.reject("helpers", reason, node)
    for node in review.with_role("redefinition"):
        private = sorted(
            n for n in definition_names(node) or () if not _is_public(n) and n in review.bound
        )
        if private:
            reason = f"{private[0]} already exists in {unit.module}: use it or rename your helper"
            return review.reject("helpers", reason, node)
    skeleton, reply = review.given, review.target()
    if isinstance(skeleton, ast.ClassDef) and isinstance(reply, ast.ClassDef):
        existing = _methods(skeleton)
        for name, method in _methods(reply).items():
            if name not in existing and _is_public(name):
                reason = (
                    f"{unit.qualname}.{name} would be a new public method: make it private "
                    f"(`_{name.strip('_')}`) or put its code inside the methods you write"
                )
                return review.reject("helpers", reason, method)
            changed = name in existing and ast.dump(existing[name]) != ast.dump(method)
            if changed and not _is_public(name) and name not in unit.targets:
                reason = f"{unit.qualname}.{name} already exists: rename your helper method"
                return review.reject("helpers", reason, method)
    return None


def _toplevel(review: _Review) -> Rejected | None:
    node = next(review.with_role("statement"), None)
    if node is None:
        return None
    reason = (
        f"remove the top-level `{review.source(node)}`: importing the module must not run "
        f"code; keep it inside {review.unit.qualname}"
    )
    return review.reject("toplevel", reason, node)


def _definitions(review: _Review) -> Rejected | None:
    unit = review.unit
    node = next(review.with_role("redefinition"), None)
    if node is not None:
        names = ", ".join(sorted((definition_names(node) or frozenset()) & review.bound))
        reason = f"leave {names} as the module defines it; change only {unit.qualname}"
        return review.reject("definitions", reason, node)
    skeleton, reply = review.given, review.target()
    if isinstance(skeleton, ast.ClassDef) and isinstance(reply, ast.ClassDef):
        known = {ast.dump(node) for node in skeleton.body}
        for index, node in enumerate(reply.body):
            if isinstance(node, FunctionNode) or (index == 0 and _is_docstring(node)):
                continue
            if ast.dump(node) not in known:
                reason = f"leave the class body of {unit.qualname} as it is; write only its methods"
                return review.reject("definitions", reason, node)
    return None


_GATES: tuple[Callable[[_Review], Rejected | None], ...] = (
    _target,
    _signature,
    _stub,
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
        return review.reject("compile", reason, _line_in_reply(review, text))
    return None


def _line_in_reply(review: _Review, text: str) -> _Position | None:
    for number, line in enumerate(review.lines, start=1):
        if text and line.strip() == text:
            return _Position(number, len(line[: len(line) - len(line.lstrip())].encode()))
    return None


def _defined_names(review: _Review, merged: str) -> Rejected | None:
    if any(
        isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
        for node in ast.walk(review.skeleton)
    ):
        return None  # a star import could define anything
    missing = _undefined(merged) - _undefined(review.module_source)
    if not missing:
        return None
    name = sorted(missing)[0]
    reason = f"{name} is not defined: import it or define it in your code"
    return review.reject("names", reason, _first_use(review, name))


def _undefined(source: str) -> set[str]:
    """Names the module reads but never binds, and that are not builtins."""
    top = symtable.symtable(source, "<module>", "exec")
    bound: set[str] = set()
    read: set[str] = set()
    for table in _tables(top):
        for symbol in table.get_symbols():
            name = symbol.get_name()
            at_top = table is top
            if (at_top or symbol.is_declared_global()) and (
                symbol.is_assigned() or symbol.is_imported()
            ):
                bound.add(name)
            if symbol.is_referenced() and (at_top or symbol.is_global()):
                read.add(name)
    return read - bound - _MODULE_GLOBALS


def _tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    yield table
    for child in table.get_children():
        yield from _tables(child)


def _first_use(review: _Review, name: str) -> ast.AST | None:
    uses = [
        node
        for statement in review.with_role("import", "target", "helper")
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and node.id == name
    ]
    return min(uses, key=lambda node: (node.lineno, node.col_offset), default=None)
