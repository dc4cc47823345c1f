"""Fixtures per class and fixtures in properties (issue 19): a class's fixtures are seen by its
methods' examples only and share the feature's one namespace of fixtures; a property that uses
a fixture gets a fresh one for every drawn value. Validated with paths, rendered by the real
Copier green, and correct bodies pass while leaked state would not."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from filler.spec.model import Spec, spec_errors, validate_spec
from filler.spec.views import build_view
from tests.helpers.projects import ProjectVenv, render, template_copy
from tests.spec.test_v2_spec import changed, inventory

PYTEST = ("-m", "pytest", "-p", "no:cacheprovider", "-q")

# A stateful class whose fixture a property uses: were the fixture's value shared by the drawn
# values, the totals of earlier draws would leak into the check of the next.
TALLY: dict[str, Any] = {
    "package_name": "tallykit",
    "description": "Running counts.",
    "features": [
        {
            "name": "counting",
            "description": "Counting things.",
            "classes": [
                {
                    "name": "Tally",
                    "doc": "A running count.",
                    "fields": [{"name": "total", "type": "int", "default": 0, "doc": "So far."}],
                    "fixtures": [
                        {
                            "name": "tally",
                            "setup": ["t = Tally()", "t.add(1)"],
                            "value": "t",
                            "teardown": "t.total = 0",
                        }
                    ],
                    "methods": [
                        {
                            "name": "add",
                            "params": "n: int",
                            "returns": "int",
                            "doc": "Add n and return the new total.",
                            "examples": [
                                {"call": "tally.add(2)", "expect": 3},
                                {
                                    "given": {"n": "st.integers(0, 10)"},
                                    "setup": "tally.add(n)",
                                    "check": "tally.total == n + 1",
                                },
                            ],
                        }
                    ],
                }
            ],
        }
    ],
}


def _tally_with(path: str, value: object) -> dict[str, Any]:
    data = copy.deepcopy(TALLY)
    *parents, last = re.findall(r"\w+", path)
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = copy.deepcopy(value)
    return data


def _problems(data: dict[str, Any]) -> list[str]:
    return [str(p) for p in spec_errors(data)]


# --- fixtures per class -------------------------------------------------------------------------

REPORT = "features[3].classes[0]"


def test_a_class_fixture_is_taken_by_its_methods_examples() -> None:
    spec = validate_spec(inventory())
    assert spec.features[3].classes[0].fixtures[0].name == "titled"
    reports = build_view(spec).feature("reports")
    assert [(f.name, f.body, f.decorators) for f in reports.fixtures] == [
        ("titled", "yield Report('Stock', Stock())", ("pytest.fixture",))
    ]
    tests = {t.name: t for t in reports.tests}
    assert (tests["test_report_heading_1"].fixtures, tests["test_report_heading_1"].body) == (
        ("titled",),
        "assert titled.heading == 'Stock\\n====='",
    )
    assert tests["test_report_render_1"].fixtures == ()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "features.3.functions.0.examples.0.call",
            "titled.heading",
            "features[3].functions[0].examples[0].call: uses undefined name 'titled'",
        ),
        (
            "features.2.classes.0.methods.2.examples.1.call",
            "titled.heading",
            "features[2].classes[0].methods[2].examples[1].call: uses undefined name 'titled'",
        ),
        (
            "features.3.fixtures",
            [{"name": "titled", "value": "1"}],
            f"{REPORT}.fixtures[0].name: fixture 'titled' is listed twice, first at "
            "features[3].fixtures[0] (rename one: the feature's and its classes' fixtures share",
        ),
        (
            f"{REPORT}.fixtures".replace("[", ".").replace("]", ""),
            [{"name": "unit_symbol", "value": "1"}],
            f"{REPORT}.fixtures[0].name: 'unit_symbol' would hide a name the examples already see",
        ),
        (
            "features.3.classes.0.fixtures.0.teardown",
            "r.close()",
            f"{REPORT}.fixtures[0].teardown[0]: uses undefined name 'r'",
        ),
        (
            "features.3.classes.0.fixtures.0.setup",
            "s = Stock(1, {}, 3)",
            f"{REPORT}.fixtures[0].setup[0]: calls Stock() with arguments that do not fit",
        ),
        (
            "features.3.classes.0.fixtures.0.value",
            "titled",
            f"{REPORT}.fixtures[0].value: uses undefined name 'titled'",
        ),
        (
            "features.3.classes.0.fixtures.0.name",
            "Titled",
            f"{REPORT}.fixtures[0].name: 'Titled' is not a valid fixture name",
        ),
    ],
)
def test_a_class_fixture_is_checked_with_its_path(path: str, value: object, message: str) -> None:
    problems = _problems(changed(path, value))
    assert any(p.startswith(message) for p in problems), problems


def test_two_classes_of_a_feature_cannot_share_a_fixture_name() -> None:
    data = inventory()
    classes = data["features"][3]["classes"]
    other = copy.deepcopy(classes[0])
    other["name"] = "Summary"
    other["methods"] = [{"name": "size", "returns": "int", "doc": "d."}]
    classes.append(other)
    assert _problems(data) == [
        "features[3].classes[1].fixtures[0].name: fixture 'titled' is listed twice, first at "
        "features[3].classes[0].fixtures[0] (rename one: the feature's and its classes' fixtures "
        "share one test module)"
    ]


def test_a_class_fixture_s_value_is_known_to_the_call_checks() -> None:
    fixture = {"name": "titled", "setup": "r = Report('S', Stock())", "value": "r"}
    data = changed("features.3.classes.0.fixtures", [fixture])
    assert _problems(data) == []
    data["features"][3]["classes"][0]["methods"][1]["examples"][0]["call"] = "titled.print()"
    refused = [
        "features[3].classes[0].methods[1].examples[0].call: calls Report.print(), which the "
        "spec does not list (add 'print' to the methods)"
    ]
    assert _problems(data) == refused
    data["features"][3]["classes"][0]["fixtures"] = inventory()["features"][3]["classes"][0][
        "fixtures"
    ]  # the value made in place: Report('Stock', Stock())
    assert _problems(data) == refused


def test_the_tests_import_what_a_class_fixture_uses() -> None:
    data = changed("features.3.classes.0.fixtures.0.value", "Report(str(math.pi), Stock())")
    data["features"][3]["imports"].append("import math")
    assert "import math" in build_view(validate_spec(data)).feature("reports").test_imports


def test_the_json_schema_of_a_class_lists_its_fixtures() -> None:
    defs = Spec.model_json_schema()["$defs"]
    assert defs["ClassSpec"]["properties"]["fixtures"]["items"] == {"$ref": "#/$defs/Fixture"}


# --- a fixture in a property ----------------------------------------------------------------


def test_a_property_enters_a_fresh_fixture_for_each_drawn_value() -> None:
    view = build_view(validate_spec(TALLY)).feature("counting")
    fresh, fixture = view.fixtures
    assert (fresh.name, fresh.decorators) == ("fresh_tally", ("contextlib.contextmanager",))
    # a context manager gets the test's error at its yield: the tear-down must still run
    assert fresh.body == "t = Tally()\nt.add(1)\ntry:\n    yield t\nfinally:\n    t.total = 0"
    assert (fixture.name, fixture.decorators) == ("tally", ("pytest.fixture",))
    assert fixture.body == "with fresh_tally() as value:\n    yield value"
    plain, drawn = view.tests
    assert (plain.fixtures, plain.body) == (("tally",), "assert tally.add(2) == 3")
    assert (drawn.fixtures, drawn.given) == ((), ("n",))  # no fixture for hypothesis to share
    assert drawn.body == (
        "with fresh_tally() as tally:\n    tally.add(n)\n    assert tally.total == n + 1"
    )
    assert view.test_imports[:2] == ("import contextlib", "import pytest")


def test_a_fixture_no_property_uses_renders_as_before() -> None:
    data = _tally_with("features.0.classes.0.methods.0.examples", [TALLY_PLAIN])
    (fixture,) = build_view(validate_spec(data)).feature("counting").fixtures
    assert fixture.body == "t = Tally()\nt.add(1)\nyield t\nt.total = 0"
    assert (
        "import contextlib" not in build_view(validate_spec(data)).feature("counting").test_imports
    )


TALLY_PLAIN = {"call": "tally.add(2)", "expect": 3}
PROPERTY = "features[0].classes[0].methods[0].examples[1]"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "features.0.classes.0.methods.0.examples.1.given",
            {"n": "st.just(tally)"},
            f"{PROPERTY}.given.n: uses undefined name 'tally'",
        ),
        (
            "features.0.classes.0.methods.0.examples.1.given",
            {"fresh_tally": "st.integers()", "n": "st.integers()"},
            f"{PROPERTY}: 'fresh_tally' is a name of the feature or the example, and this "
            "property's test enters a fresh 'tally' fixture through it",
        ),
        (
            "features.0.constants",
            [{"name": "contextlib", "value": 1}],
            f"{PROPERTY}: 'contextlib' is a name of the feature, and a property that uses a "
            "fixture imports the module",
        ),
        (
            "features.0.functions",
            [{"name": "fresh_tally", "doc": "d."}],
            f"{PROPERTY}: 'fresh_tally' is a name of the feature or the example",
        ),
    ],
)
def test_a_property_s_fixture_names_are_checked_with_the_path(
    path: str, value: object, message: str
) -> None:
    problems = _problems(_tally_with(path, value))
    assert any(p.startswith(message) for p in problems), problems


def test_another_class_s_fixture_cannot_take_the_name_a_property_enters() -> None:
    data = copy.deepcopy(TALLY)
    other = {"name": "fresh_tally", "value": "Tally()"}
    data["features"][0]["classes"].append(
        {"name": "Other", "doc": "d.", "bases": ["Tally"], "fixtures": [other]}
    )
    assert _problems(data) == [
        f"{PROPERTY}: 'fresh_tally' is a name of the feature or the example, and this property's "
        "test enters a fresh 'tally' fixture through it (rename it)"
    ]


def test_a_feature_importing_contextlib_itself_gets_one_import_of_it() -> None:
    data = _tally_with("features.0.imports", ["import contextlib"])
    data["features"][0]["classes"][0]["methods"][0]["examples"].append(
        {"setup": "c = contextlib.nullcontext(1)", "call": "tally.add(c.enter_result)", "expect": 2}
    )
    assert _problems(data) == []
    imports = build_view(validate_spec(data)).feature("counting").test_imports
    assert imports.count("import contextlib") == 1


# --- the real Copier ------------------------------------------------------------------------

TALLY_ADD = "        self.total += n\n        return self.total"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_copy(tmp_path_factory.mktemp("template"))


@pytest.mark.slow
def test_a_property_with_a_fixture_renders_green_and_keeps_draws_apart(
    template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    project = render(TALLY, tmp_path / "tally", template=template)
    again = render(TALLY, tmp_path / "again", template=template)
    tests = project / "tests" / "test_counting.py"
    assert tests.read_bytes() == (again / "tests" / "test_counting.py").read_bytes()
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    assert re.fullmatch(r"2 skipped in [\d.]+s", checked.pytest.stdout.splitlines()[-1])

    module = project / "src" / "tallykit" / "counting.py"
    module.write_text(
        module.read_text("utf-8").replace("        raise NotImplementedError", TALLY_ADD), "utf-8"
    )
    filled = project_venv.check(project)
    assert filled.ok, filled.explain()
    assert re.fullmatch(r"2 passed in [\d.]+s", filled.pytest.stdout.splitlines()[-1])

    # the same property on pytest's one fixture value per test: the draws' totals add up
    source = tests.read_text("utf-8")
    shared = source.replace(
        "def test_tally_add_2(n) -> None:\n    with fresh_tally() as tally:\n",
        "@settings(suppress_health_check=list(HealthCheck))\n"
        "def test_tally_add_2(n, tally) -> None:\n    if True:\n",
    ).replace(
        "from hypothesis import given\n", "from hypothesis import HealthCheck, given, settings\n"
    )
    assert shared != source
    tests.write_text(shared, "utf-8")
    run = project_venv.run(project, *PYTEST)
    assert "FAILED tests/test_counting.py::test_tally_add_2" in run.stdout, run.stdout


@pytest.mark.slow
def test_a_fixture_whose_tear_down_reaches_a_stub_skips_its_tests(
    template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    data = _tally_with("features.0.classes.0.fixtures.0.teardown", "t.reset()")
    reset = {"name": "reset", "params": "", "returns": "None", "doc": "Back to zero."}
    data["features"][0]["classes"][0]["methods"].append(reset)
    project = render(data, tmp_path / "tally", template=template)
    module = project / "src" / "tallykit" / "counting.py"
    # `add` filled, `reset` still a stub: the tests of `add` pass, then their tear-down meets it
    text = module.read_text("utf-8").replace("        raise NotImplementedError", TALLY_ADD, 1)
    module.write_text(text, "utf-8")
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    summary = checked.pytest.stdout.splitlines()[-1]
    assert re.fullmatch(r"1 passed, 2 skipped in [\d.]+s", summary), checked.pytest.stdout
    assert "not filled yet" in checked.pytest.stdout
