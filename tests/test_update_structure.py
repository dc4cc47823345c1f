"""filler update across structural spec changes: fields, bases, enum members, constants.

As in tests/test_update.py, all for real: this checkout's template in a tagged git repository,
a project rendered from it by the real Copier, committed with real git, filled by the `replay`
provider, then `filler update` with the edited spec. An update that may fill nothing gets an
empty replies file: a provider call would fail the unit for want of a reply.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from filler import api
from filler.lockfile import LOCK_VERSION, read_lock
from filler.source.units import version_2_hashes
from filler.update import UpdateResult
from tests.helpers.projects import build_file_tree, git
from tests.test_update import Workspace, assert_clean_merge, fenced


def ex(call: str, expect: object, setup: str = "") -> dict[str, object]:
    return {"call": call, "expect": expect, **({"setup": setup} if setup else {})}


def field(name: str, type_: str, default: object = None) -> dict[str, object]:
    return {"name": name, "type": type_, **({} if default is None else {"default": default})}


SPEC: dict[str, Any] = {
    "package_name": "shop",
    "description": "A small shop.",
    "features": [
        {
            "name": "cart",
            "description": "Carts and their lines.",
            "enums": [
                {"name": "Color", "doc": "A colour.", "members": [{"name": "RED", "value": 1}]}
            ],
            "classes": [
                {"name": "Tagged", "doc": "Something with a tag.", "dataclass": True},
                {
                    "name": "Line",
                    "doc": "One line of a cart.",
                    "dataclass": True,
                    "fields": [field("sku", "str"), field("qty", "int", 1), field("off", "int", 0)],
                    "methods": [
                        {
                            "name": "total",
                            "params": "price: int",
                            "returns": "int",
                            "doc": "Price times qty, less the discount.",
                            "examples": [ex("Line('a', 2).total(3)", 6)],
                        }
                    ],
                },
                {
                    "name": "Bag",
                    "doc": "A bag of things.",
                    "fields": [field("items", "list[str]"), field("extra", "int", 0)],
                    "methods": [
                        {
                            "name": "count",
                            "returns": "int",
                            "doc": "How many, extra included.",
                            "examples": [ex("b.count()", 1, setup="b = Bag(['a'])")],
                        }
                    ],
                },
            ],
        }
    ],
}
TOTAL = """
class Line:
    def total(self, price: int) -> int:
        # the discount comes off the whole line
        return price * self.qty - self.off
"""
COUNT = "class Bag:\n    def count(self) -> int:\n        return len(self.items) + self.extra\n"
MAIN = "from shop.cart import Bag, Line\n\n\ndef main() -> None:\n    print(Line('a').total(2))"
REPLIES = {
    "shop.cart:Line": [fenced(TOTAL)],
    "shop.cart:Bag": [fenced(COUNT)],
    "examples.cart_demo:main": [fenced(MAIN)],
}
CART = "src/shop/cart.py"
UNITS = ("examples.cart_demo:main", "shop.cart:Bag", "shop.cart:Line")


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The template tagged v1, and a project rendered from it, filled and committed (once)."""
    space = Workspace.filled(tmp_path_factory.mktemp("structure"), SPEC, REPLIES)
    assert sorted(REPLIES) == list(UNITS)
    return space


@pytest.fixture
def space(baseline: Workspace, tmp_path: Path) -> Workspace:
    return baseline.copied(tmp_path)


def grown(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec with a field on each class, a base, an enum member and a constant more."""
    spec = copy.deepcopy(dict(spec))
    cart = spec["features"][0]
    cart["enums"][0]["members"].append({"name": "BLUE", "value": 2})
    cart["constants"] = [{"name": "MAX_ITEMS", "value": 10}]
    _tagged, line, bag = cart["classes"]
    line["fields"].append(field("note", "str", "''"))
    bag["fields"].append(field("label", "str", "''"))
    bag["bases"] = ["Tagged"]
    return spec


def method_code(source: str, klass: str, name: str) -> str:
    """The method's text as it stands, from `def` to its last line, comments in it included."""
    (node,) = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == klass]
    (method,) = [m for m in node.body if isinstance(m, ast.FunctionDef) and m.name == name]
    segment = ast.get_source_segment(source, method)
    assert segment is not None
    return segment


def states(project: Path) -> dict[str, str]:
    return {row.unit: row.label for row in api.status(project)}


def hand_edit_demo(space: Workspace) -> None:
    demo = space.read("examples/cart_demo.py")
    edited = demo.replace("    print(", "    # by hand\n    print(")
    assert edited != demo
    build_file_tree(space.project, {"examples/cart_demo.py": edited})
    space.commit("edit the demo by hand")


def project_tests(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_new_fields_a_base_an_enum_member_and_a_constant_keep_every_body(space: Workspace) -> None:
    hand_edit_demo(space)
    before = space.read(CART)
    demo = space.read("examples/cart_demo.py")
    result = api.update(space.project, data_file=space.spec(grown(SPEC)), flags=space.flags({}))
    assert_clean_merge(space.project)

    after = space.read(CART).replace('"', "'")
    for line in (
        "    note: str = ''\n",
        "class Bag(Tagged):\n",
        "    BLUE = 2\n",
        "MAX_ITEMS = 10\n",
    ):
        assert line in after
    assert "def __init__(self, items: list[str], extra: int = 0, label: str = '') -> None:" in after
    assert "        self.label = label\n" in after
    for klass, name in (("Line", "total"), ("Bag", "count")):
        assert method_code(space.read(CART), klass, name) == method_code(before, klass, name)
    assert "# the discount comes off the whole line" in after
    assert space.read("examples/cart_demo.py") == demo
    assert result.run.units == ()  # nothing filled: no provider call
    assert (result.kept, result.refilled, result.added) == (UNITS, (), ())
    assert (result.stubbed_by_signature_change, result.stubbed_by_failing_tests) == ((), ())
    assert result.failing == ()
    assert states(space.project) == {
        "shop.cart:Line": "filled",
        "shop.cart:Bag": "filled",
        "examples.cart_demo:main": "edited",
    }
    checked = project_tests(space.project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def update_refilling_line(space: Workspace, spec: Mapping[str, Any], body: str) -> UpdateResult:
    """`filler update` to `spec` with a reply of `body` for Line.total ready; Line's kept body
    must fail its re-test, be set aside and be filled again with that reply."""
    total = f"class Line:\n    def total(self, price: int) -> int:\n        {body}\n"
    result = api.update(
        space.project,
        data_file=space.spec(spec),
        flags=space.flags({"shop.cart:Line": [fenced(total)]}),
    )
    assert_clean_merge(space.project)
    (aside,) = result.stubbed_by_failing_tests
    assert (aside.name, aside.reason) == ("shop.cart:Line", "tests fail after the update")
    assert result.refilled == ("shop.cart:Line",)
    return result


@pytest.mark.slow
def test_a_removed_field_a_kept_body_uses_is_refilled_or_reported_never_verified(
    space: Workspace,
) -> None:
    cart = space.read(CART)
    edited_bag = cart.replace("        return len(", "        # mine\n        return len(")
    build_file_tree(space.project, {CART: edited_bag})
    space.commit("edit Bag.count by hand")
    spec = copy.deepcopy(SPEC)
    _tagged, line, bag = spec["features"][0]["classes"]
    line["fields"] = line["fields"][:2]  # `off`, which Line.total reads
    bag["fields"] = bag["fields"][:1]  # `extra`, which Bag.count reads
    result = update_refilling_line(space, spec, "return price * self.qty")

    saved = space.read(".filler/replaced/shop.cart:Line.py")
    assert "tests fail after the update" in saved.splitlines()[0]
    assert "return price * self.qty - self.off" in saved
    after = space.read(CART)
    assert "        return price * self.qty\n" in after and "self.off" not in after
    # A body a person edited is theirs: kept as it is, and reported as failing, not as kept.
    assert result.failing == ("shop.cart:Bag",)
    assert "shop.cart:Bag" not in result.kept
    assert method_code(after, "Bag", "count") == method_code(edited_bag, "Bag", "count")
    assert states(space.project)["shop.cart:Line"] == "filled"
    assert states(space.project)["shop.cart:Bag"] == "edited"
    checked = project_tests(space.project)
    assert "FAILED tests/test_cart.py::test_bag_count" in checked.stdout
    assert "1 failed, 1 passed" in checked.stdout  # Line's test passes: re-filled


def as_version_2(project: Path) -> None:
    """Rewrite the project's lock as filler wrote it before version 3 (same bodies)."""
    path = project / ".filler" / "lock.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    source = (project / CART).read_text(encoding="utf-8")
    for unit_id, entry in data["units"].items():
        if unit_id.startswith("shop.cart:"):
            spec_hash, body_sha = version_2_hashes(source, unit_id.partition(":")[2])
            assert (spec_hash, body_sha) != (entry["spec_hash"], entry["body_sha"])
            entry.update(spec_hash=spec_hash, body_sha=body_sha)
    path.write_text(json.dumps({**data, "version": 2}), encoding="utf-8")


@pytest.mark.slow
def test_a_version_2_lock_is_migrated_and_nothing_is_refilled(space: Workspace) -> None:
    as_version_2(space.project)
    space.commit("a lock of filler before version 3")
    lock_path = space.project / ".filler" / "lock.json"
    before = read_lock(lock_path, store_migration=False)
    assert git(space.project, "status", "--porcelain") == ""

    result = api.update(space.project, data_file=space.spec(grown(SPEC)), flags=space.flags({}))

    assert result.run.units == () and result.kept == UNITS
    assert json.loads(lock_path.read_text(encoding="utf-8"))["version"] == LOCK_VERSION == 3
    assert read_lock(lock_path).units == before.units
    assert set(states(space.project).values()) == {"filled"}


@pytest.mark.slow
def test_a_version_2_lock_leaves_every_unit_as_it_was_for_status(space: Workspace) -> None:
    as_version_2(space.project)
    path = space.project / ".filler" / "lock.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["units"]["shop.cart:Bag"]["spec_hash"] = "a spec written before the last edit"
    path.write_text(json.dumps(data), encoding="utf-8")

    assert states(space.project) == {
        "shop.cart:Line": "filled",
        "shop.cart:Bag": "stale",  # its old hash is no hash of the spec on disk: still moved
        "examples.cart_demo:main": "filled",
    }
    lock = json.loads(path.read_text(encoding="utf-8"))
    assert lock["version"] == LOCK_VERSION  # stored migrated


@pytest.mark.slow
def test_a_kept_body_that_hangs_once_merged_stops_only_its_own_tests(space: Workspace) -> None:
    cart = space.read(CART)
    waits = "        while getattr(self, 'extra', None) is None:  # mine\n            pass\n"
    hangs = cart.replace("        return len(", waits + "        return len(")
    build_file_tree(space.project, {CART: hangs})
    space.commit("Bag.count waits for its extra")
    spec = copy.deepcopy(SPEC)
    bag = spec["features"][0]["classes"][2]
    bag["fields"] = bag["fields"][:1]  # `extra`: Bag.count now loops for ever
    flags = replace(space.flags({}), test_timeout=5.0)
    result = api.update(space.project, data_file=space.spec(spec), flags=flags)

    assert result.failing == ("shop.cart:Bag",)
    assert "shop.cart:Line" in result.kept and result.stubbed_by_failing_tests == ()
    assert method_code(space.read(CART), "Bag", "count") == method_code(hangs, "Bag", "count")
    assert result.run.units == ()


@pytest.mark.slow
def test_a_kept_body_whose_result_no_longer_fits_its_annotation_is_refilled(
    space: Workspace,
) -> None:
    # `off` becomes a float: Line.total's kept body now returns 6.0 for `-> int`, which its
    # test's `== 6` takes; the re-test checks returns against annotations, as a fill does.
    spec = copy.deepcopy(SPEC)
    line = spec["features"][0]["classes"][1]
    line["fields"][2] = field("off", "float", 0.0)
    result = update_refilling_line(space, spec, "return round(price * self.qty - self.off)")
    assert "return round(price * self.qty - self.off)" in space.read(CART)
    assert "shop.cart:Bag" in result.kept and result.failing == ()
