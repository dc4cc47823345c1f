"""`@overload` groups and aliases of spec v2 (issue 19), end to end: validated with their
paths, rendered exactly by the real Copier (green, deterministic, on the API page), and filled
from reference replies with only the implementations written."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from filler import api
from filler.spec.model import spec_errors, validate_spec
from filler.spec.views import build_view
from tests.helpers.projects import ProjectVenv, render, template_copy
from tests.helpers.replies import write_replies

PYTEST = ("-m", "pytest", "-p", "no:cacheprovider", "-q")

OVKIT: dict[str, Any] = {
    "package_name": "ovkit",
    "description": "Overloads and aliases.",
    "features": [
        {
            "name": "conv",
            "description": "Convert things.",
            "functions": [
                {
                    "name": "parse",
                    "params": "value: str | bytes",
                    "returns": "int",
                    "overloads": [
                        {"params": "value: str", "returns": "int"},
                        {"params": "value: bytes", "returns": "int"},
                    ],
                    "doc": "Parse an int from text or bytes.",
                    "examples": [
                        {"call": "parse('12')", "expect": 12},
                        {"call": "load(b'7')", "expect": 7},
                    ],
                }
            ],
            "classes": [
                {
                    "name": "Money",
                    "doc": "An amount of cents.",
                    "init": "cents: int",
                    "methods": [
                        {
                            "name": "scaled",
                            "params": "factor: int | float",
                            "returns": "int | float",
                            "overloads": [
                                {"params": "factor: int", "returns": "int"},
                                {"params": "factor: float", "returns": "float"},
                            ],
                            "doc": "The cents times factor.",
                            "examples": [
                                {"setup": "m = Money(3)", "call": "m.scaled(2)", "expect": 6}
                            ],
                        },
                        {
                            "name": "of",
                            "kind": "staticmethod",
                            "params": "value: int | str",
                            "returns": "Money",
                            "overloads": [
                                {"params": "value: int", "returns": "Money"},
                                {"params": "value: str", "returns": "Money"},
                            ],
                            "doc": "Money from cents or a text of cents.",
                            "examples": [{"call": "Money.of('5').cents", "expect": 5}],
                        },
                        {
                            "name": "__add__",
                            "params": "other: Money",
                            "returns": "Money",
                            "doc": "The sum.",
                        },
                    ],
                    "aliases": [{"name": "__radd__", "of": "__add__"}],
                }
            ],
            "aliases": [
                {"name": "load", "of": "parse"},
                {"name": "Cash", "of": "Money", "doc": "Money under its other name."},
            ],
        }
    ],
}

# The reference code of each unit, as a model sends it: parse without its overloads, Money with.
REPLIES = {
    "ovkit.conv:parse": """```python
def parse(value: str | bytes) -> int:
    return int(value)
```""",
    "ovkit.conv:Money": """```python
class Money:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    @typing.overload
    def scaled(self, factor: int) -> int: ...

    @typing.overload
    def scaled(self, factor: float) -> float: ...

    def scaled(self, factor: int | float) -> int | float:
        return self.cents * factor

    @staticmethod
    def of(value: int | str) -> Money:
        return Money(int(value))

    def __add__(self, other: Money) -> Money:
        return Money(self.cents + other.cents)

    __radd__ = __add__
```""",
}


def with_change(path: str, value: object) -> dict[str, Any]:
    """OVKIT with the value at `path` (dotted, list indexes as numbers) replaced."""
    data = copy.deepcopy(OVKIT)
    *parents, last = re.findall(r"\w+", path)
    target: Any = data
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[int(last) if last.isdigit() else last] = copy.deepcopy(value)
    return data


FUNCTION = "features[0].functions[0]"
METHOD = "features[0].classes[0].methods[0]"


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            "features.0.functions.0.overloads",
            [{"params": "value: str", "returns": "int"}],
            f"{FUNCTION}.overloads: an overload group needs at least two signatures (add another, "
            "or give the one signature as params and returns)",
        ),
        (
            "features.0.functions.0.overloads.1.params",
            "value: Bytes",
            f"{FUNCTION}.overloads[1].params: annotation uses undefined name 'Bytes'",
        ),
        (
            "features.0.functions.0.overloads.0.returns",
            "list[",
            f"{FUNCTION}.overloads[0].returns: 'list[' is not a type expression",
        ),
        (
            "features.0.classes.0.methods.0.overloads.0.params",
            "self, factor: int",
            f"{METHOD}.overloads[0].params: 'self, factor: int' lists self",
        ),
        (
            "features.0.classes.0.methods.0.overloads.1.extra",
            1,
            f"{METHOD}.overloads[1].extra: is not a known key",
        ),
        (
            "features.0.imports",
            ["from collections import abc as typing"],
            "features[0].imports[0]: binds 'typing', which the template imports for the "
            "feature's overloads",
        ),
    ],
)
def test_overloads_are_checked_like_signatures_with_their_path(
    path: str, value: object, message: str
) -> None:
    problems = [str(p) for p in spec_errors(with_change(path, value))]
    assert any(p.startswith(message) for p in problems), problems


def test_a_property_cannot_be_overloaded() -> None:
    data = with_change("features.0.classes.0.methods.0.kind", "property")
    data["features"][0]["classes"][0]["methods"][0]["params"] = ""
    data["features"][0]["classes"][0]["methods"][0]["examples"] = []
    problems = [str(p) for p in spec_errors(data)]
    assert f"{METHOD}.overloads: a property cannot be overloaded (make it a method)" in problems


def test_the_views_put_each_group_before_its_one_stub() -> None:
    (conv,) = build_view(validate_spec(OVKIT)).features
    assert conv.imports == ("import typing",)
    assert [(s.header, s.decorators, s.body) for s in conv.functions[:2]] == [
        ("def parse(value: str) -> int:", ("typing.overload",), "..."),
        ("def parse(value: bytes) -> int:", ("typing.overload",), "..."),
    ]
    assert conv.functions[2].body == "raise NotImplementedError" and conv.functions[2].docstring
    assert all(s.docstring == "" for s in conv.functions[:2])
    methods = conv.classes[0].methods
    assert [(s.name, s.decorators) for s in methods[4:7]] == [
        ("of", ("staticmethod", "typing.overload")),
        ("of", ("staticmethod", "typing.overload")),
        ("of", ("staticmethod",)),
    ]
    assert methods[1].header == "def scaled(self, factor: int) -> int:"


def test_an_import_only_an_overload_reads_is_used_without_a_noqa() -> None:
    data = with_change("features.0.imports", ["from decimal import Decimal"])
    data["features"][0]["functions"][0]["overloads"][1]["params"] = "value: Decimal"
    data["features"][0]["functions"][0]["params"] = "value: str | Decimal"
    (conv,) = build_view(validate_spec(data)).features
    assert conv.imports == ("import typing", "from decimal import Decimal")


# --- through the real Copier --------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_copy(tmp_path_factory.mktemp("template"))


@pytest.mark.slow
def test_overloads_and_aliases_render_green_exact_and_deterministic(
    template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    project = render(OVKIT, tmp_path / "ovkit", template=template)
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    assert re.fullmatch(r"4 skipped in [\d.]+s", checked.pytest.stdout.splitlines()[-1])
    source = (project / "src" / "ovkit" / "conv.py").read_text("utf-8")
    assert "@typing.overload\ndef parse(value: str) -> int: ...\n\n\n@typing.overload\n" in source
    assert (
        "    @staticmethod\n    @typing.overload\n    def of(value: int) -> Money: ...\n" in source
    )
    assert "        raise NotImplementedError\n\n    __radd__ = __add__\n" in source
    aliases = (
        'load = parse\n"""Alias of `parse`."""\nCash = Money\n"""Money under its other name."""'
    )
    assert source.endswith(f"\n\n\n{aliases}\n")
    assert '__all__ = ["Cash", "Money", "load", "parse"]' in source
    init = (project / "src" / "ovkit" / "__init__.py").read_text("utf-8")
    assert "from ovkit.conv import Cash, Money, load, parse" in init

    site = tmp_path / "site"
    built = project_venv.run(project, "-m", "mkdocs", "build", "--strict", "-d", str(site))
    assert built.returncode == 0, built.stderr
    html = (site / "api" / "conv" / "index.html").read_text("utf-8")
    page = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "load = parse module-attribute Alias of parse" in page
    assert "Cash = Money module-attribute Money under its other name." in page

    again = render(OVKIT, tmp_path / "again", template=template)

    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert tree(again) == tree(project)


@pytest.mark.slow
def test_the_implementations_fill_from_replies_and_the_overloads_stay(
    tmp_path: Path, project_venv: ProjectVenv
) -> None:
    spec = tmp_path / "ovkit.yml"
    spec.write_text(yaml.safe_dump(OVKIT), "utf-8")
    project = api.new(spec, tmp_path / "ovkit").root
    module = project / "src" / "ovkit" / "conv.py"
    skeleton = module.read_text("utf-8")
    replies = write_replies(tmp_path / "replies.json", REPLIES)
    flags = api.FillFlags(
        provider="replay", replies=str(replies), design_tests=False, only=("ovkit.conv:*",)
    )
    record = api.fill(project, flags)
    assert {u.unit: u.outcome for u in record.units} == dict.fromkeys(REPLIES, "filled")
    filled = module.read_text("utf-8")
    overloads = re.findall(r"@typing\.overload\n\s*def [^\n]+\n", skeleton)
    assert len(overloads) == 6 and re.findall(r"@typing\.overload\n\s*def [^\n]+\n", filled) == (
        overloads
    )
    assert "raise NotImplementedError" not in filled and "    return int(value)\n" in filled
    run = project_venv.run(project, *PYTEST)
    assert re.search(r"^4 passed", run.stdout, re.M), run.stdout
