"""Held-back examples: which tests are held back, and the prompt's stub without their examples."""

from __future__ import annotations

import ast
import os
import re
import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from filler import api
from filler.fill.context import VisibleTest, spec_tests_by_unit, visible_tests_source
from filler.fill.holdback import (
    held_back_count,
    held_back_notice,
    hide_examples,
    split_held_back,
    unit_examples,
)
from filler.lockfile import read_lock
from filler.project import load_project
from filler.report import RunRecord
from filler.source.units import unit_source
from filler.spec.model import Example, validate_spec
from filler.spec.views import GeneratedTest, Stub, build_view, doctest_lines
from tests.helpers.projects import CHECKOUT
from tests.helpers.replies import STRKIT
from tests.helpers.wire import OPENAI, LoopbackServer


@pytest.mark.parametrize(
    ("total", "held"), [(0, 0), (1, 0), (2, 0), (3, 1), (5, 1), (6, 2), (8, 2), (9, 3)]
)
def test_a_third_is_held_back_from_three_examples_on(total: int, held: int) -> None:
    assert held_back_count(total) == held


def test_the_last_ones_in_file_order_are_held_back() -> None:
    assert split_held_back("abcdef") == (tuple("abcd"), tuple("ef"))
    assert split_held_back("ab") == (tuple("ab"), ())


def test_the_notice_counts_and_says_nothing_else() -> None:
    assert held_back_notice(0) == ""
    assert held_back_notice(1) == (
        "1 held-back example of the spec failed: the body must work for inputs it was not shown"
    )
    assert held_back_notice(2, 1).startswith(
        "2 held-back examples of the spec and 1 held-back designed test failed"
    )


# -- the stub the prompt shows -------------------------------------------------------------------


def _jinja_indent(text: str, width: int) -> str:
    """Jinja's `indent` filter, as the template uses it: blank lines stay empty."""
    pad = " " * width
    return "\n".join(pad + line if line else line for line in text.split("\n")).lstrip(" ")


def _stub_source(stub: Stub) -> str:
    return f"{stub.header}\n    {_jinja_indent(stub.docstring, 4)}\n    raise NotImplementedError\n"


def _test(case: GeneratedTest) -> VisibleTest:
    source = f"def {case.name}() -> None:\n{textwrap.indent(case.body, '    ')}"
    return VisibleTest(f"tests/test_mod.py::{case.name}", source)


def _docstrings(source: str) -> Iterator[str]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                yield doc


def _function_spec(expects: list[str]) -> dict[str, Any]:
    examples = [{"call": f"f({n})", "expect": repr(text)} for n, text in enumerate(expects)]
    function = {
        "name": "f",
        "params": "n: int",
        "returns": "str",
        "doc": "Doc.",
        "examples": examples,
    }
    feature = {"name": "mod", "description": "A module.", "functions": [function]}
    return {"package_name": "pkg", "description": "A package.", "features": [feature]}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=["Cs"])), min_size=1, max_size=7))
@example(['"', "a\\b", "\r", "\t'\"'"])
@example(["x", "x", "x"])  # the same example shown and held back: it stays shown once
def test_the_stub_shown_is_the_stub_of_the_shown_examples(expects: list[str]) -> None:
    spec = validate_spec(_function_spec(expects))
    view = build_view(spec).features[0]
    tests = [_test(case) for case in view.tests]
    shown, held = split_held_back(tests)
    examples = spec.features[0].functions[0].examples
    hidden = hide_examples(_stub_source(view.functions[0]), examples, held)

    fewer = _function_spec(expects[: len(shown)])
    expected = _stub_source(build_view(validate_spec(fewer)).features[0].functions[0])
    assert list(_docstrings(hidden)) == list(_docstrings(expected))


def test_a_test_a_person_wrote_hides_nothing() -> None:
    spec = validate_spec(_function_spec(["a", "b", "c"]))
    view = build_view(spec).features[0]
    source = _stub_source(view.functions[0])
    own = VisibleTest("tests/test_mod.py::test_mine", "def test_mine() -> None:\n    assert f(9)")
    examples = spec.features[0].functions[0].examples
    assert hide_examples(source, examples, [own]) == source
    method = VisibleTest("t.py::T::test_x", "def test_x(self) -> None:\n        assert f(2)")
    assert hide_examples(source, examples, [method]) == source


def test_a_heading_left_without_examples_goes_too() -> None:
    source = '''class C:
    """A class."""

    def a(self) -> int:
        """Doc a.

        Examples:
            >>> C().a()
            1
        """
        raise NotImplementedError

    def b(self) -> int:
        """Doc b.

        Examples:
            >>> C().b()
            2
        """
        raise NotImplementedError
'''
    held = VisibleTest("t.py::test_c_b_1", "def test_c_b_1() -> None:\n    assert C().b() == 2")
    examples = [Example(call="C().a()", expect="1"), Example(call="C().b()", expect="2")]
    hidden = hide_examples(source, examples, [held])
    assert list(_docstrings(hidden)) == ["A class.", _docstring_a(), "Doc b.\n        "]


def _docstring_a() -> str:
    return "Doc a.\n\n        Examples:\n            >>> C().a()\n            1\n        "


@pytest.fixture(scope="module")
def textkit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = CHECKOUT / "examples" / "specs" / "textkit.yml"
    return api.new(spec, tmp_path_factory.mktemp("textkit") / "textkit").root


def test_every_unit_of_a_rendered_project_shows_only_its_shown_examples(textkit: Path) -> None:
    project = load_project(textkit)
    tests = spec_tests_by_unit(
        {p.relative_to(textkit): p.read_text() for p in (textkit / "tests").glob("test_*.py")}
    )
    held_somewhere = 0
    for module, unit in project.units():
        shown, held = split_held_back(tests.get(unit.id, ()))
        examples = unit_examples(project.answers, project.package, unit.id)
        assert len(examples) == len(shown) + len(held), unit.id
        held_somewhere += len(held)
        hidden = hide_examples(unit_source(module.source, unit), examples, held)
        prompts = [
            line.strip() for doc in _docstrings(hidden) for line in doc.split("\n") if ">>>" in line
        ]
        expected = [
            line for e in examples[: len(shown)] for line in doctest_lines(e) if ">>>" in line
        ]
        assert prompts == expected, unit.id
        lines = [line.strip() for doc in _docstrings(hidden) for line in doc.split("\n")]
        for n, line in enumerate(lines):
            if line == "Examples:":  # never a heading with nothing under it
                assert lines[n + 1].startswith(">>>"), unit.id
    assert held_somewhere >= 3


# -- a whole fill ------------------------------------------------------------------------------

# clamp has three examples: clamp(12, 0, 10) == 10 is held back. This body knows the other two.
HARD_CODED = (
    "```python\ndef clamp(value: float, low: float, high: float) -> float:\n"
    "    return {5: 5, -3: 0}.get(value, value)\n```"
)


def _conversation(body: Mapping[str, Any]) -> str:
    return "\n".join(message["content"] for message in body["messages"])


def _unit_of(prompt: str) -> str:
    """The function a prompt asks for: its stub comes last (the package API comes before)."""
    return str(re.findall(r"def (\w+)\(", prompt)[-1])


def _fill(project: Path, server: LoopbackServer, **flags: Any) -> RunRecord:
    return api.fill(
        project,
        api.FillFlags(
            provider="openai",
            base_url=f"{server.url}/v1",
            only=("strkit.arith:add", "strkit.arith:clamp"),
            design_tests=False,
            max_rounds=2,
            test_timeout=30,
            **flags,
        ),
        environ={**os.environ, "OPENAI_API_KEY": "sk-test"},
    )


def test_a_body_special_casing_the_shown_examples_is_refused_and_never_saw_the_rest(
    tmp_path: Path,
) -> None:
    project = api.new(CHECKOUT / "examples" / "specs" / "strkit.yml", tmp_path / "strkit").root
    cheat = {"clamp": HARD_CODED, "add": STRKIT["strkit.arith:add"]}

    def answer(body: Mapping[str, Any]) -> str:
        return cheat[_unit_of(_conversation(body))]

    with LoopbackServer(OPENAI, respond=answer) as server:
        record = _fill(project, server)
        prompts = [_conversation(seen.body or {}) for seen in server.completions]
    outcomes = {unit.unit: unit for unit in record.units}
    assert outcomes["strkit.arith:add"].outcome == "filled"
    clamp = outcomes["strkit.arith:clamp"]
    assert clamp.outcome == "stub" and "held-back examples failed: test_clamp_3" in clamp.reason
    assert (clamp.tests_passed, clamp.tests_total) == (2, 3)
    assert "raise NotImplementedError" in (project / "src/strkit/arith.py").read_text()
    clamp_prompts = [p for p in prompts if _unit_of(p) == "clamp"]
    assert len(clamp_prompts) == 2  # the fill, then one repair
    for prompt in prompts:
        assert "clamp(12" not in prompt and "test_clamp_3" not in prompt
    assert "clamp(-3, 0, 10)" in clamp_prompts[0]  # the shown examples are all there
    assert "held-back example of the spec failed" in clamp_prompts[1]
    add_prompt = next(p for p in prompts if _unit_of(p) == "add")
    assert "add(-1, 1)" in add_prompt and "test_add_2" in add_prompt  # two examples: all shown

    cheat["clamp"] = STRKIT["strkit.arith:clamp"]
    with LoopbackServer(OPENAI, respond=answer) as server:
        again = _fill(project, server, retry=True)
    assert [(u.unit, u.outcome) for u in again.units] == [("strkit.arith:clamp", "filled")]
    entry = read_lock(project / ".filler" / "lock.json").units["strkit.arith:clamp"]
    assert entry.tests_passed == entry.tests_total == 3


# -- fixtures --------------------------------------------------------------------------------

# bump's last example is held back: a property on a fixture no shown example uses
BUMPKIT = {
    "package_name": "bumpkit",
    "description": "Bumps.",
    "features": [
        {
            "name": "bumps",
            "description": "Bumping tallies.",
            "fixtures": [
                {"name": "tally", "setup": "t = Tally(0)", "value": "t"},
                {"name": "big", "setup": "b = Tally(100)", "value": "b", "teardown": "b.total = 0"},
            ],
            "classes": [
                {"name": "Tally", "doc": "A count.", "fields": [{"name": "total", "type": "int"}]}
            ],
            "functions": [
                {
                    "name": "bump",
                    "params": "t: Tally, n: int",
                    "returns": "int",
                    "doc": "Add n to t's total and return it.",
                    "examples": [
                        {"call": "bump(tally, 2)", "expect": 2},
                        {"call": "bump(Tally(0), 1)", "expect": 1},
                        {
                            "given": {"n": "st.integers(0, 5)"},
                            "setup": "bump(big, n)",
                            "check": "big.total == n + 100",
                        },
                    ],
                }
            ],
        }
    ],
}


def _bumpkit(tmp_path: Path) -> Path:
    spec_file = tmp_path / "bumpkit.yml"
    spec_file.write_text(yaml.safe_dump(BUMPKIT), "utf-8")
    return api.new(spec_file, tmp_path / "bumpkit").root


def test_a_held_back_property_on_a_fixture_shows_neither_its_example_nor_the_fixture(
    tmp_path: Path,
) -> None:
    root = _bumpkit(tmp_path)
    project = load_project(root)
    test_file = Path("tests/test_bumps.py")
    tests = spec_tests_by_unit({test_file: (root / test_file).read_text("utf-8")})
    shown, held = split_held_back(tests["bumpkit.bumps:bump"])
    assert [t.node_id.rsplit("::")[-1] for t in held] == ["test_bump_3"]
    assert "with fresh_big() as big:" in held[0].source  # entered for each drawn value
    module, unit = next((m, u) for m, u in project.units() if u.id == "bumpkit.bumps:bump")
    examples = unit_examples(project.answers, project.package, unit.id)
    hidden = hide_examples(unit_source(module.source, unit), examples, held)
    assert "bump(tally, 2)" in hidden and "for all" not in hidden and "big" not in hidden
    prompt_tests = visible_tests_source(shown)
    assert "def tally():" in prompt_tests and "big" not in prompt_tests
    assert visible_tests_source(held).startswith("@contextlib.contextmanager\ndef fresh_big():")


BUMP = "```python\ndef bump(t: Tally, n: int) -> int:\n    t.total += n\n    return t.total\n```"


def test_the_fill_prompt_shows_the_fixtures_of_the_shown_tests_only(tmp_path: Path) -> None:
    root = _bumpkit(tmp_path)
    with LoopbackServer(OPENAI, respond=lambda body: BUMP) as server:
        record = api.fill(
            root,
            api.FillFlags(
                provider="openai",
                base_url=f"{server.url}/v1",
                only=("bumpkit.bumps:bump",),
                design_tests=False,
                test_timeout=30,
            ),
            environ={**os.environ, "OPENAI_API_KEY": "sk-test"},
        )
        (prompt,) = [_conversation(seen.body or {}) for seen in server.completions]
    assert [(u.unit, u.outcome) for u in record.units] == [("bumpkit.bumps:bump", "filled")]
    fixture = "@pytest.fixture\ndef tally():\n    t = Tally(0)\n    yield t\n\n\ndef test_bump_1"
    assert fixture in prompt  # what the shown example's name stands for
    assert "big" not in prompt and "for all" not in prompt  # only the held-back test uses it
