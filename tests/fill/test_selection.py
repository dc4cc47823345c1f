"""Which units a fill takes, and which of them wait for others before their tests run."""

from __future__ import annotations

import json
from pathlib import Path

from filler import api
from filler.fill.pipeline import FillOptions
from filler.fill.selection import Job, select, waits_for
from filler.lockfile import State, UnitStatus
from filler.project import Module, ModuleKind, load_project
from filler.source.units import Unit, UnitKind


def job(unit_id: str) -> Job:
    module, _, qualname = unit_id.partition(":")
    path = Path("src", *module.split(".")).with_suffix(".py")
    unit = Unit(unit_id, module, qualname, path, UnitKind.FUNCTION, (qualname,), True, "", "", 1)
    source = Module(module, path, ModuleKind.FEATURE, "")
    return Job(unit, UnitStatus(State.STUB, False), source)


def test_a_unit_waits_for_the_units_its_tests_call() -> None:
    jobs = [job("pkg.a:parse"), job("pkg.a:Item"), job("pkg.b:total"), job("pkg.b:alone")]
    tests = {
        "pkg.a:parse": ["def test_parse():\n    assert parse('x') == Item('x')\n"],
        "pkg.b:total": ["def test_total():\n    assert total([parse('1')]) == 1\n"],
        "pkg.b:alone": ["def test_alone():\n    assert alone() == 0\n"],
    }
    assert waits_for(jobs, tests) == {
        "pkg.a:parse": frozenset({"pkg.a:Item"}),
        "pkg.b:total": frozenset({"pkg.a:parse"}),
    }


def test_a_cycle_is_cut_so_that_no_unit_waits_for_ever() -> None:
    jobs = [job("pkg.a:f"), job("pkg.a:g"), job("pkg.a:h")]
    tests = {
        "pkg.a:f": ["assert f(g(1))"],
        "pkg.a:g": ["assert g(f(1))"],
        "pkg.a:h": ["assert h(f(1))"],
    }
    waits = waits_for(jobs, tests)
    assert waits["pkg.a:h"] == {"pkg.a:f"}
    # One of f and g waits for the other, never both.
    assert sorted(map(len, (waits.get("pkg.a:f", ()), waits.get("pkg.a:g", ())))) == [0, 1]


def test_a_name_two_units_share_and_a_test_that_does_not_parse_say_nothing() -> None:
    jobs = [job("pkg.a:load"), job("pkg.b:load"), job("pkg.b:use")]
    tests = {"pkg.b:use": ["assert use(load())", "def broken(:"]}
    assert waits_for(jobs, tests) == {}


# `count`'s test names only `count` and its fixture; the fixture's set-up calls `make`.
BAG = {
    "package_name": "bagkit",
    "description": "Bags.",
    "features": [
        {
            "name": "bag",
            "description": "Bags of numbers.",
            "fixtures": [{"name": "made", "value": "make()"}],
            "functions": [
                {
                    "name": "count",
                    "params": "b: list[int]",
                    "returns": "int",
                    "doc": "How many numbers b holds.",
                    "examples": [{"call": "count(made)", "expect": 2}],
                },
                {
                    "name": "make",
                    "params": "",
                    "returns": "list[int]",
                    "doc": "A bag of two.",
                    "examples": [{"call": "make()", "expect": [1, 2]}],
                },
            ],
        }
    ],
}


def test_a_unit_waits_for_the_units_its_tests_fixtures_call(tmp_path: Path) -> None:
    spec = tmp_path / "bag.json"
    spec.write_text(json.dumps(BAG), encoding="utf-8")
    project = load_project(api.new(spec, tmp_path / "bag").root)
    options = FillOptions(
        max_rounds=1, samples=1, jobs=2, temperature=0, max_tokens=100, test_timeout=10
    )
    selection = select(project, options, ("replay", "replay"))
    assert selection.waits == {"bagkit.bag:count": frozenset({"bagkit.bag:make"})}
