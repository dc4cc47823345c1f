"""filler.update: spec edits and template upgrades that lose no filled body.

The update runs for real: a template in a tagged git repository made by the test (this
checkout's copier.yml and template/), a project rendered from it by the real Copier, committed
with real git and filled by the `replay` provider, then `filler update` with an edited spec or a
new template tag. The structural merge itself is checked in tests/source/test_structural.py.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from filler import api
from filler.errors import ProjectError
from filler.lockfile import read_lock
from filler.render import template_cache
from filler.update import UpdateResult
from tests.helpers.arith import code_of
from tests.helpers.projects import build_file_tree, git, git_repo, render, template_copy

# --- the update, end to end --------------------------------------------------------------------


def ex(call: str, expect: object, setup: str = "") -> dict[str, object]:
    return {"call": call, "expect": expect, **({"setup": setup} if setup else {})}


def fn(name: str, params: str, returns: str, doc: str, *examples: dict[str, object]) -> Any:
    return {"name": name, "params": params, "returns": returns, "doc": doc, "examples": [*examples]}


SPEC: dict[str, Any] = {
    "package_name": "calc",
    "description": "Small calculations.",
    "features": [
        {
            "name": "arith",
            "description": "Integer arithmetic.",
            "functions": [
                fn("add", "a: int, b: int", "int", "Return a plus b.", ex("add(2, 3)", 5)),
                fn("double", "x: int", "int", "Return twice x.", ex("double(4)", 8)),
            ],
            "classes": [
                {
                    "name": "Counter",
                    "doc": "Counts up from a start.",
                    "init": "start: int = 0",
                    "methods": [
                        fn(
                            "incr",
                            "",
                            "int",
                            "Add one, return the count.",
                            ex("c.incr()", 1, setup="c = Counter()"),
                        ),
                    ],
                }
            ],
        },
        {
            "name": "text",
            "description": "Text helpers.",
            "functions": [
                fn("shout", "s: str", "str", "Return s upper-cased.", ex("shout('a')", "'A'"))
            ],
        },
    ],
}


def fenced(code: str) -> str:
    return f"Here it is:\n\n```python\n{code.strip()}\n```\n"


ADD = """
import operator


def _plus(a: int, b: int) -> int:
    return operator.add(a, b)


def add(a: int, b: int) -> int:
    return _plus(a, b)
"""
REPLIES = {
    "calc.arith:add": [fenced(ADD)],
    "calc.arith:double": [fenced("def double(x: int) -> int:\n    return x * 2")],
    "calc.arith:Counter": [
        fenced(
            "class Counter:\n"
            "    def __init__(self, start: int = 0) -> None:\n"
            "        self._count = start\n\n"
            "    def incr(self) -> int:\n"
            "        self._count += 1\n"
            "        return self._count\n"
        )
    ],
    "calc.text:shout": [fenced("def shout(s: str) -> str:\n    return s.upper()")],
    "examples.arith_demo:main": [
        fenced(
            "from calc.arith import Counter, add\n\n\n"
            "def main() -> None:\n    print(add(2, 3), Counter().incr())"
        )
    ],
    "examples.text_demo:main": [
        fenced("from calc.text import shout\n\n\ndef main() -> None:\n    print(shout('hi'))")
    ],
}
MODULES = (
    "src/calc/arith.py",
    "src/calc/text.py",
    "examples/arith_demo.py",
    "examples/text_demo.py",
)
FILLED = tuple(sorted(REPLIES))


@dataclass(frozen=True)
class Workspace:
    template: Path
    project: Path
    tmp: Path

    def spec(self, spec: Mapping[str, Any]) -> Path:
        path = self.tmp / f"spec-{len(list(self.tmp.glob('spec-*')))}.yml"
        path.write_text(yaml.safe_dump(dict(spec), sort_keys=False), encoding="utf-8")
        return path

    def flags(self, replies: Mapping[str, list[str]]) -> api.FillFlags:
        path = self.tmp / f"replies-{len(list(self.tmp.glob('replies-*')))}.json"
        path.write_text(json.dumps(replies), encoding="utf-8")
        return api.FillFlags(provider="replay", replies=str(path), design_tests=False)

    def read(self, relative: str) -> str:
        return (self.project / relative).read_text(encoding="utf-8")

    def commit(self, message: str) -> None:
        git(self.project, "add", "-A")
        git(self.project, "commit", "-q", "-m", message)

    @classmethod
    def filled(
        cls, root: Path, spec: Mapping[str, Any], replies: Mapping[str, list[str]]
    ) -> Workspace:
        """The template tagged v1, and a project rendered from `spec` with it, every unit of
        `replies` filled, committed."""
        template = git_repo(template_copy(root / "template"), "v1")
        git(template, "tag", "v1")
        space = cls(template, root / "project", root)
        render(spec, space.project, template=template, vcs_ref="v1")
        git_repo(space.project, "render")
        run = api.fill(space.project, space.flags(replies))
        assert sorted(u.unit for u in run.filled) == sorted(replies), [
            (u.unit, u.reason) for u in run.units
        ]
        space.commit("fill")
        return space

    def copied(self, tmp_path: Path) -> Workspace:
        """A copy in `tmp_path` whose project records its own copy of the template."""
        shutil.copytree(self.tmp, tmp_path, dirs_exist_ok=True, symlinks=True)
        space = Workspace(tmp_path / "template", tmp_path / "project", tmp_path)
        answers = space.read(".copier-answers.yml")
        assert f"_src_path: {self.template}\n" in answers
        build_file_tree(
            space.project,
            {".copier-answers.yml": answers.replace(str(self.template), str(space.template))},
        )
        space.commit("use this test's template")
        return space


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The template tagged v1, and a project rendered from it, filled and committed (once)."""
    return Workspace.filled(tmp_path_factory.mktemp("baseline"), SPEC, REPLIES)


@pytest.fixture
def space(baseline: Workspace, tmp_path: Path) -> Workspace:
    return baseline.copied(tmp_path)


def assert_clean_merge(project: Path) -> None:
    """No conflict markers, no .rej files, nothing unmerged in git."""
    for path in project.rglob("*"):
        if ".git" in path.parts or not path.is_file():
            continue
        assert path.suffix != ".rej", path
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "<<<<<<<" not in text and ">>>>>>>" not in text, path
    assert git(project, "diff", "--name-only", "--diff-filter=U") == ""


def snapshot(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


def edited(spec: Mapping[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(dict(spec))


def run_update(space: Workspace, replies: Mapping[str, list[str]], **options: Any) -> UpdateResult:
    result = api.update(space.project, flags=space.flags(replies), **options)
    assert_clean_merge(space.project)
    assert result.run.stubs == [], [(u.unit, u.reason) for u in result.run.stubs]
    return result


@pytest.mark.slow
def test_adding_a_feature_fills_only_its_units_and_keeps_every_other_module(
    space: Workspace,
) -> None:
    before = {path: space.read(path) for path in MODULES}
    spec = edited(SPEC)
    spec["features"].append(
        {
            "name": "geometry",
            "description": "Areas.",
            "functions": [
                fn("area", "w: int, h: int", "int", "Return w times h.", ex("area(2, 3)", 6))
            ],
        }
    )
    replies = {
        "calc.geometry:area": [fenced("def area(w: int, h: int) -> int:\n    return w * h")],
        "examples.geometry_demo:main": [
            fenced("from calc.geometry import area\n\n\ndef main() -> None:\n    print(area(2, 3))")
        ],
    }
    result = run_update(space, replies, data_file=space.spec(spec))

    assert result.added == ("calc.geometry:area", "examples.geometry_demo:main")
    assert sorted(u.unit for u in result.run.filled) == list(result.added)
    assert (result.kept, result.refilled, result.removed) == (FILLED, (), ())
    assert {path: space.read(path) for path in MODULES} == before
    assert "return w * h" in space.read("src/calc/geometry.py")
    assert "from calc.geometry import area" in space.read("src/calc/__init__.py")


@pytest.mark.slow
def test_a_changed_doc_refills_that_unit_and_leaves_the_others_alone(space: Workspace) -> None:
    before = {path: space.read(path) for path in MODULES}
    spec = edited(SPEC)
    spec["features"][0]["functions"][1]["doc"] = "Return x multiplied by two."
    replies = {"calc.arith:double": [fenced("def double(x: int) -> int:\n    return 2 * x")]}
    result = run_update(space, replies, data_file=space.spec(spec))

    assert result.refilled == ("calc.arith:double",)
    assert (result.added, result.stubbed_by_signature_change) == ((), ())
    arith = space.read("src/calc/arith.py")
    assert '    """Return x multiplied by two.\n' in arith and "    return 2 * x\n" in arith
    for name in ("add", "Counter"):
        assert code_of(arith, name) == code_of(before["src/calc/arith.py"], name)
    assert arith.index("def _plus(") < arith.index("def add(")
    assert {p: space.read(p) for p in MODULES[1:]} == {p: before[p] for p in MODULES[1:]}


@pytest.mark.slow
def test_a_changed_signature_refills_that_unit_and_keeps_a_hand_edited_neighbour(
    space: Workspace,
) -> None:
    arith = space.read("src/calc/arith.py")
    hand_edited = arith.replace("    return x * 2\n", "    return x + x  # by hand\n")
    build_file_tree(space.project, {"src/calc/arith.py": hand_edited})
    space.commit("edit double by hand")
    spec = edited(SPEC)
    add = spec["features"][0]["functions"][0]
    add["params"] = "a: int, b: int, c: int = 0"
    add["examples"].append(ex("add(1, 2, 3)", 6))
    new_add = "def add(a: int, b: int, c: int = 0) -> int:\n    return a + b + c"
    result = run_update(space, {"calc.arith:add": [fenced(new_add)]}, data_file=space.spec(spec))

    assert result.refilled == ("calc.arith:add",)
    (aside,) = result.stubbed_by_signature_change
    assert (aside.name, aside.reason) == ("calc.arith:add", "signature changed")
    assert "def _plus(a: int, b: int) -> int:" in aside.source
    assert "return _plus(a, b)" in aside.source
    saved = space.read(".filler/replaced/calc.arith:add.py")
    assert saved.endswith(aside.source) and "signature changed" in saved.splitlines()[0]
    after = space.read("src/calc/arith.py")
    assert "    return a + b + c\n" in after and "_plus" not in after
    assert code_of(after, "double") == code_of(hand_edited, "double")
    assert code_of(after, "Counter") == code_of(arith, "Counter")
    assert "calc.arith:double" in result.kept and "calc.arith:double" not in result.refilled
    rows = {row.unit: row.state for row in api.status(space.project)}
    assert (rows["calc.arith:add"], rows["calc.arith:double"]) == ("filled", "edited")


@pytest.mark.slow
def test_a_removed_feature_keeps_its_filled_modules_under_filler_removed(
    space: Workspace,
) -> None:
    before = {path: space.read(path) for path in MODULES}
    spec = edited(SPEC)
    del spec["features"][1]
    result = run_update(space, {}, data_file=space.spec(spec))

    assert result.removed == ("examples/text_demo.py", "src/calc/text.py")
    for path in result.removed:
        assert not (space.project / path).exists()
        assert space.read(f".filler/removed/{path}") == before[path]
    assert not (space.project / "tests" / "test_text.py").exists()  # as rendered: not kept
    assert result.run.units == ()
    assert {u for u in read_lock(space.project / ".filler" / "lock.json").units} == {
        u for u in FILLED if "text" not in u
    }
    assert space.read("src/calc/arith.py") == before["src/calc/arith.py"]


@pytest.mark.slow
def test_a_new_template_version_keeps_every_body_and_a_conflicting_edit_is_left_for_review(
    space: Workspace,
) -> None:
    before = {path: space.read(path) for path in MODULES}
    line = "From a checkout of this repository:"
    build_file_tree(space.project, {"README.md": space.read("README.md").replace(line, "Mine.")})
    space.commit("reword the README")
    pyproject = space.template / "template" / "pyproject.toml.jinja"
    readme = space.template / "template" / "README.md.jinja"
    build_file_tree(
        space.template,
        {
            "template/CONTRIBUTING.md": "# Contributing\n\nRun `filler update`.\n",
            str(pyproject): pyproject.read_text("utf-8").replace(
                "test-timeout = 10", "test-timeout = 20"
            ),
            str(readme): readme.read_text("utf-8").replace(line, "From a clone:"),
        },
    )
    git(space.template, "add", "-A")
    git(space.template, "commit", "-q", "-m", "v2")
    git(space.template, "tag", "v2")
    result = run_update(space, {})

    assert yaml.safe_load(space.read(".copier-answers.yml"))["_commit"] == "v2"
    assert {path: space.read(path) for path in MODULES} == before
    assert "test-timeout = 20\n" in space.read("pyproject.toml")
    assert space.read("CONTRIBUTING.md").startswith("# Contributing")
    assert (result.conflicted, result.needs_review) == (("README.md",), ("README.md",))
    assert "Mine." in space.read("README.md")
    assert "From a clone:" in space.read(".filler/review/README.md")
    assert result.run.units == () and result.kept == FILLED


@pytest.mark.slow
def test_a_spec_change_that_conflicts_in_copier_is_merged_structurally(space: Workspace) -> None:
    spec = edited(SPEC)
    arith = spec["features"][0]
    arith["imports"] = ["from collections.abc import Iterable"]
    del arith["functions"][1]  # double, filled
    demo = "from calc.arith import Counter, add\n\n\ndef main() -> None:\n    print(add(1, 1))"
    result = run_update(
        space, {"examples.arith_demo:main": [fenced(demo)]}, data_file=space.spec(spec)
    )

    assert "src/calc/arith.py" in result.conflicted
    after = space.read("src/calc/arith.py")
    assert "from collections.abc import Iterable  # noqa: F401\n" in after
    assert "import operator\n" in after and "def double" not in after
    assert [(d.name, d.reason) for d in result.dropped] == [
        ("calc.arith:double", "removed from the spec")
    ]
    assert "return x * 2" in space.read(".filler/replaced/calc.arith:double.py")
    assert result.refilled == ("examples.arith_demo:main",)  # its docstring names add and Counter
    assert "calc.arith:add" in result.kept


@pytest.mark.slow
def test_a_dirty_tree_is_refused_before_anything_changes(space: Workspace) -> None:
    build_file_tree(space.project, {"src/calc/arith.py": space.read("src/calc/arith.py") + "#\n"})
    status = git(space.project, "status", "--porcelain")
    files = snapshot(space.project)
    spec = edited(SPEC)
    spec["description"] = "Changed."
    with pytest.raises(ProjectError, match="uncommitted changes") as refused:
        api.update(space.project, data_file=space.spec(spec), flags=space.flags({}))
    assert "git -C" in str(refused.value) and "commit" in str(refused.value)
    assert "stash" in str(refused.value)
    assert git(space.project, "status", "--porcelain") == status
    assert snapshot(space.project) == files


@pytest.mark.slow
def test_a_project_from_the_shipped_template_updates_even_after_the_cache_is_cleared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    space = Workspace(template_cache(), tmp_path / "project", tmp_path)
    api.new(space.spec(SPEC), space.project)  # renders, git-inits and commits
    for description in ("First change.", "Second change."):
        spec = edited(SPEC)
        spec["description"] = description
        api.update(space.project, data_file=space.spec(spec), flags=space.flags({}))
        assert_clean_merge(space.project)
        recorded = yaml.safe_load(space.read(".copier-answers.yml"))
        assert recorded["description"] == description
        assert recorded["_src_path"] == str(template_cache())
        assert description in space.read("README.md")
        space.commit(description)
        shutil.rmtree(tmp_path / "cache")
