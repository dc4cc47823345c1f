"""The Copier template, rendered by the real Copier and checked by the project's own tools.

Rendered projects run their own `ruff check`, `ruff format --check` and `pytest` in one shared
virtual environment (their `src/` on the path); one example spec also gets the full
`pip install -e '.[test]'` into a fresh one, as a user would.
"""

from __future__ import annotations

import ast
import copy
import inspect
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args

import copier
import pytest
import yaml
from pydantic_core import PydanticUndefined

import filler.spec.model
from tests.helpers.projects import CHECKOUT, ProjectVenv, git, git_repo, render, template_copy

COPIER = Path(sys.executable).parent / "copier"

EXAMPLE_SPECS = sorted((CHECKOUT / "examples" / "specs").glob("*.yml"))
Spec = dict[str, Any]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_copy(tmp_path_factory.mktemp("template"))


# --- spec builders -------------------------------------------------------------------------------


def ex(call: str, expect: object, **more: object) -> dict[str, object]:
    return {"call": call, "expect": expect, **more}


def ex_raises(call: str, exception: str) -> dict[str, object]:
    return {"call": call, "raises": exception}


def fn(name: str, params: str, returns: str, doc: str, *examples: dict[str, object]) -> Spec:
    return {
        "name": name,
        "params": params,
        "returns": returns,
        "doc": doc,
        "examples": list(examples),
    }


def feature(name: str, *functions: Spec, **more: object) -> Spec:
    return {
        "name": name,
        "description": f"The {name} feature.",
        "functions": list(functions),
        **more,
    }


def spec(*features: Spec, **more: object) -> Spec:
    return {
        "package_name": "edgepkg",
        "description": "Edge cases.",
        "features": list(features),
        **more,
    }


def example_count(data: Spec) -> int:
    units = [f for feat in data["features"] for f in feat.get("functions", [])]
    classes = [k for feat in data["features"] for k in feat.get("classes", [])]
    units += [m for k in classes for m in k.get("methods", [])]  # a record class may have none
    return sum(len(u.get("examples", [])) for u in units)


ADD = fn("add", "a: int, b: int", "int", "Add two ints.", ex("add(1, 2)", 3))

EDGE_SPECS: dict[str, Spec] = {
    "one feature": spec(feature("only", ADD)),
    "30 features x 5 functions": spec(
        *(
            feature(
                f"feature_{i:02d}",
                *(
                    fn(f"f{i}_{j}", "x: int", "int", f"Function {j} of {i}.", ex(f"f{i}_{j}(1)", j))
                    for j in range(5)
                ),
            )
            for i in range(30)
        )
    ),
    "classes only": spec(
        {
            "name": "shapes",
            "description": "Classes and nothing else.",
            "classes": [
                {
                    "name": "Counter",
                    "doc": "Counts things.",
                    "init": "",
                    "methods": [
                        {
                            "name": "bump",
                            "params": "by: int = 1",
                            "returns": "int",
                            "doc": "Add by and return the total.",
                            "examples": [ex("c.bump(2)", 2, setup="c = Counter()")],
                        },
                        {
                            "name": "__len__",
                            "returns": "int",
                            "doc": "The total.",
                            "examples": [ex("len(c)", 3, setup=["c = Counter()", "c.bump(3)"])],
                        },
                    ],
                },
                {
                    "name": "HTTPRoute",
                    "doc": "A route without an __init__ of its own.",
                    "methods": [
                        {
                            "name": "matches",
                            "params": "path: str",
                            "returns": "bool",
                            "doc": "Whether path is served here.",
                            "examples": [ex("HTTPRoute().matches('/')", True)],
                        }
                    ],
                },
            ],
        }
    ),
    "unicode docs": spec(
        feature(
            "texte",
            fn(
                "accentuer",
                "mot: str",
                "str",
                "Met l'accent : « é » → \u2018É\u2019. 日本語のテキスト、絵文字 🎉。",
                ex("accentuer('café')", "'CAFÉ'"),
                ex("accentuer('🎉')", "'🎉'"),
            ),
            description="Fonctions sur le texte — ünïcödé partout.",
        ),
        description="Paquet d'essai en français — ✓.",
        author_name="Zoë Ångström",
    ),
    "quotes and backslashes": spec(
        feature(
            "quoting",
            fn(
                "escape",
                "text: str",
                "str",
                '"Quoted" start, a """triple""" and \'\'\'single\'\'\', C:\\path\\ and \\n, ends "',
                ex("escape('a\\\\b')", "'a\\\\\\\\b'"),
                ex("escape('say \"hi\"')", "'say \\\\\"hi\\\\\"'"),
                ex('escape("it\'s")', '"it\'s"'),
            ),
            description='Module with "quotes" and a \\ backslash.',
        ),
        description='Quotes "here" and \\ there.',
    ),
    "keyword-only and *args/**kwargs": spec(
        feature(
            "calls",
            fn(
                "combine",
                "first: int, /, second: int = 0, *rest: int, scale: int, shift: int = 0, "
                "**named: int",
                "int",
                "Sum everything, times scale, plus shift; ValueError when scale is 0.",
                ex("combine(1, scale=2)", 2),
                ex("combine(1, 2, 3, scale=1, shift=1, x=4)", 11),
                ex_raises("combine(1, scale=0)", "ValueError"),
            ),
            fn(
                "nothing",
                "*args: object, **kwargs: object",
                "None",
                "Do nothing.",
                ex("nothing(1, a=2)", None),
            ),
        )
    ),
    "defaults with strings": spec(
        feature(
            "joining",
            fn(
                "join",
                "items: list[str], sep: str = ', ', *, fmt: str = \"{x}\", end: str = '\\n', "
                'quote: str = "it\'s"',
                "str",
                "Join formatted items.",
                ex("join(['a', 'b'])", "'a, b\\n'"),
                ex("join([], sep='|', end='')", "''"),
            ),
        )
    ),
    "imports, raises and special expects": spec(
        feature(
            "parsing",
            fn(
                "parse",
                "text: str",
                "Mapping[str, object] | None",
                "Parse JSON text; None for empty text.",
                ex("parse('{}')", "{}"),
                ex("parse('')", None),
                ex_raises("parse('{')", "JSONDecodeError"),
                ex("parse('[1]') == parse('[1]')", True, setup="import json"),
                ex("json.loads('[1]') == parse('[1]')", True, setup=["import json", "x = 1"]),
                ex("isinstance(parse('{}'), dict)", True),
            ),
            fn(
                "is_blank",
                "text: str",
                "bool",
                "Whether text is only whitespace.",
                ex("is_blank(' ')", True),
                ex("is_blank('x') == False", True),
                ex("is_blank('x')", False),
            ),
            imports=[
                "from collections.abc import Mapping",
                "from json import JSONDecodeError",
                "from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Collection, "
                "Container",
            ],
        ),
        feature(
            "reuse",
            fn(
                "parse_twice", "text: str", "object", "Parse text twice.", ex("parse_twice('1')", 1)
            ),
            imports=["from edgepkg.parsing import parse"],
        ),
    ),
}


@pytest.fixture(scope="module")
def rendered(template: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Render an edge spec once per module, by name."""
    done: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in done:
            dest = tmp_path_factory.mktemp(re.sub(r"\W+", "-", name)) / "project"
            done[name] = render(EDGE_SPECS[name], dest, template=template)
        return done[name]

    return get


def pytest_summary(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout.strip().splitlines()[-1]


# --- rendered projects pass their own checks -----------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("spec_file", EXAMPLE_SPECS, ids=lambda p: p.stem)
def test_the_documented_command_renders_each_example_spec_into_a_green_project(
    spec_file: Path, template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    dest = tmp_path / "project"
    command = ["copy", "--trust", "--defaults", "--quiet", "--data-file", str(spec_file)]
    subprocess.run(
        [str(COPIER), *command, str(template), str(dest)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = yaml.safe_load(spec_file.read_text(encoding="utf-8"))
    checked = project_venv.check(dest)
    assert checked.ok, checked.explain()
    assert pytest_summary(checked.pytest).startswith(f"{example_count(data)} skipped")
    assert "not filled yet" in checked.pytest.stdout


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EDGE_SPECS))
def test_edge_case_specs_render_into_green_projects(
    name: str, rendered: Callable[[str], Path], project_venv: ProjectVenv
) -> None:
    project = rendered(name)
    checked = project_venv.check(project)
    assert checked.ok, checked.explain()
    summary = pytest_summary(checked.pytest)
    assert re.fullmatch(rf"{example_count(EDGE_SPECS[name])} skipped in [\d.]+s", summary), summary


@pytest.mark.slow
@pytest.mark.parametrize("name", ["unicode docs", "quotes and backslashes"])
def test_docstrings_and_descriptions_keep_their_exact_text(
    name: str, rendered: Callable[[str], Path]
) -> None:
    project = rendered(name)
    data = EDGE_SPECS[name]
    (feat,) = data["features"]
    tree = ast.parse((project / "src" / "edgepkg" / f"{feat['name']}.py").read_text("utf-8"))
    assert ast.get_docstring(tree) == feat["description"]
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    doc = ast.get_docstring(func) or ""
    assert doc.startswith(inspect.cleandoc(feat["functions"][0]["doc"]) + "\n\nExamples:\n")
    init = ast.parse((project / "src" / "edgepkg" / "__init__.py").read_text("utf-8"))
    assert ast.get_docstring(init) == data["description"]
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    assert answers["features"] == data["features"]
    metadata = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["project"]
    assert metadata["description"] == data["description"]
    assert metadata.get("authors", [{}])[0].get("name") == data.get("author_name")
    mkdocs = yaml.safe_load((project / "mkdocs.yml").read_text("utf-8"))
    assert mkdocs["site_description"] == data["description"]


@pytest.mark.slow
def test_a_fresh_venv_installs_the_project_and_its_checks_pass(
    template: Path, tmp_path: Path
) -> None:
    project = render(EXAMPLE_SPECS[0], tmp_path / "project", template=template)
    venv = ProjectVenv.create(tmp_path / "venv")
    venv.pip(
        "install",
        "-c",
        str(CHECKOUT / "requirements" / "constraints.txt"),
        "-e",
        ".[test]",
        cwd=project,
    )
    checked = venv.check(project, src_on_path=False)
    assert checked.ok, checked.explain()
    assert "not filled yet" in checked.pytest.stdout
    assert " passed" not in checked.pytest.stdout


@pytest.mark.slow
def test_mkdocs_builds_the_api_pages_strictly(
    template: Path, tmp_path: Path, project_venv: ProjectVenv
) -> None:
    textkit = CHECKOUT / "examples" / "specs" / "textkit.yml"
    project = render(textkit, tmp_path / "project", template=template)
    built = project_venv.run(project, "-m", "mkdocs", "build", "--strict")
    assert built.returncode == 0, built.stderr
    page = (project / "site" / "api" / "tokenize" / "index.html").read_text("utf-8")
    assert "word_tokens" in page and "Vocabulary" in page


# --- stubs skip, right bodies pass, wrong bodies fail --------------------------------------------


def _fill(project: Path, module: str, signature: str, body: str) -> None:
    path = project / "src" / "strkit" / f"{module}.py"
    source = path.read_text("utf-8")
    start = source.index(signature)
    stub = source.index("    raise NotImplementedError\n", start)
    path.write_text(source[:stub] + body + source[stub + len("    raise NotImplementedError\n") :])


@pytest.fixture
def strkit(template: Path, tmp_path: Path) -> Path:
    return render(CHECKOUT / "examples" / "specs" / "strkit.yml", tmp_path / "p", template=template)


@pytest.mark.slow
def test_a_correct_body_passes_and_a_wrong_one_fails_instead_of_skipping(
    strkit: Path, project_venv: ProjectVenv
) -> None:
    _fill(strkit, "arith", "def add(", "    return a + b\n")
    right = project_venv.run(strkit, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", "add")
    assert right.returncode == 0 and "2 passed" in right.stdout, right.stdout

    _fill(strkit, "arith", "def is_even(", "    return n % 2 == 1\n")
    wrong = project_venv.run(strkit, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", "even")
    assert wrong.returncode == 1 and "2 failed" in wrong.stdout, wrong.stdout
    assert "skipped" not in pytest_summary(wrong)


@pytest.mark.slow
def test_a_body_that_raises_notimplementederror_itself_fails(
    strkit: Path, project_venv: ProjectVenv
) -> None:
    _fill(strkit, "text", "def reverse(", "    raise NotImplementedError('on purpose')\n")
    run = project_venv.run(strkit, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", "reverse")
    assert "2 failed" in pytest_summary(run), run.stdout


@pytest.mark.slow
def test_the_demo_runs_as_a_script_once_main_is_filled(
    strkit: Path, project_venv: ProjectVenv
) -> None:
    demo = strkit / "examples" / "arith_demo.py"
    stub = project_venv.run(strkit, str(demo))
    assert stub.returncode == 1 and "NotImplementedError" in stub.stderr
    source = demo.read_text("utf-8").replace(
        "    raise NotImplementedError\n",
        "    from strkit import add\n\n    print('add(2, 3) =', add(2, 3))\n",
    )
    demo.write_text(source, "utf-8")
    _fill(strkit, "arith", "def add(", "    return a + b\n")
    filled = project_venv.run(strkit, str(demo))
    assert filled.returncode == 0 and filled.stdout == "add(2, 3) = 5\n", filled.stderr


# --- the stub convention -------------------------------------------------------------------------


@pytest.mark.slow
def test_the_rendered_tree_follows_the_stub_convention(strkit: Path) -> None:
    files = sorted(str(p.relative_to(strkit)) for p in strkit.rglob("*") if p.is_file())
    assert files == [
        ".copier-answers.yml",
        ".github/workflows/ci.yml",
        ".gitignore",
        "LICENSE",
        "README.md",
        "docs/api/arith.md",
        "docs/api/text.md",
        "docs/index.md",
        "examples/arith_demo.py",
        "examples/text_demo.py",
        "mkdocs.yml",
        "pyproject.toml",
        "src/strkit/__init__.py",
        "src/strkit/arith.py",
        "src/strkit/py.typed",
        "src/strkit/text.py",
        "tests/conftest.py",
        "tests/test_arith.py",
        "tests/test_text.py",
    ]
    module = ast.parse((strkit / "src/strkit/arith.py").read_text("utf-8"))
    for node in module.body:
        if isinstance(node, ast.FunctionDef):
            assert [type(s) for s in node.body] == [ast.Expr, ast.Raise]
            assert ast.unparse(node.body[1]) == "raise NotImplementedError"
    tests = ast.parse((strkit / "tests/test_arith.py").read_text("utf-8"))
    markers = [
        ast.unparse(d)
        for n in tests.body
        if isinstance(n, ast.FunctionDef)
        for d in n.decorator_list
    ]
    assert markers[:2] == ["pytest.mark.spec('strkit.arith:add')"] * 2
    init = (strkit / "src/strkit/__init__.py").read_text("utf-8")
    assert "from strkit.arith import add, celsius_to_fahrenheit, clamp, is_even" in init
    workflow = yaml.safe_load((strkit / ".github/workflows/ci.yml").read_text("utf-8"))
    assert workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"] == ["3.10", "3.x"]
    pyproject = (strkit / "pyproject.toml").read_text("utf-8")
    assert 'line-length = 88\ntarget-version = "py310"' in pyproject
    assert "[tool.filler]\n# provider" in pyproject


# --- determinism ---------------------------------------------------------------------------------


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
@pytest.mark.parametrize("source", ["textkit.yml", "30 features x 5 functions"])
def test_rendering_is_byte_for_byte_deterministic(
    source: str, template: Path, tmp_path: Path
) -> None:
    data = EDGE_SPECS.get(source) or CHECKOUT / "examples" / "specs" / source
    first = _tree(render(data, tmp_path / "one", template=template))
    second = _tree(render(data, tmp_path / "two", template=template))
    assert first == second
    assert len(first) > 10


# --- bad answers ---------------------------------------------------------------------------------


def _valid() -> Spec:
    return spec(
        feature("tokenize", ADD, fn("neg", "a: int", "int", "Negate.", ex("neg(1)", -1))),
        feature("other", fn("twice", "a: int", "int", "Twice.", ex("twice(1)", 2))),
    )


def _bad(change: Callable[[Spec], None]) -> Spec:
    data = copy.deepcopy(_valid())
    change(data)
    return data


def _set(path: str, value: object) -> Callable[[Spec], None]:
    def change(data: Spec) -> None:
        *parents, last = re.findall(r"\w+", path)
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


BAD_ANSWERS: dict[str, tuple[Callable[[Spec], None], str]] = {
    "invalid package name": (_set("package_name", "Edge-Pkg"), "package_name: 'Edge-Pkg'"),
    "keyword package name": (
        _set("package_name", "class"),
        "package_name: 'class' is a Python keyword",
    ),
    "stdlib package name": (
        _set("package_name", "json"),
        "package_name: 'json' is a standard library",
    ),
    "invalid feature name": (
        _set("features.0.name", "My Feature"),
        "features[0].name: 'My Feature'",
    ),
    "duplicate feature": (
        _set("features.1.name", "tokenize"),
        "features[1].name: feature 'tokenize'",
    ),
    "invalid function name": (
        _set("features.0.functions.0.name", "2add"),
        "features[0].functions[0].name",
    ),
    "keyword function name": (
        _set("features.0.functions.0.name", "def"),
        "features[0].functions[0].name: 'def'",
    ),
    "duplicate function": (
        _set("features.0.functions.1.name", "add"),
        "features[0].functions[1].name: 'add'",
    ),
    "duplicate across features": (
        _set("features.1.functions.0.name", "add"),
        "features[1].functions[0].name: 'add'",
    ),
    "invalid class name": (
        _set("features.0.classes", [{"name": "my class", "doc": "d", "methods": []}]),
        "features[0].classes[0].name: 'my class'",
    ),
    "params that do not parse": (
        _set("features.0.functions.0.params", "a: int,, b"),
        "features[0].functions[0].params: 'a: int,, b' is not a parameter list",
    ),
    "call that is not an expression": (
        _set("features.0.functions.0.examples.0.call", "add(1,"),
        "features[0].functions[0].examples[0].call: 'add(1,' is not a Python expression",
    ),
    "expect that is not an expression": (
        _set("features.0.functions.0.examples.0.expect", "1 +"),
        "features[0].functions[0].examples[0].expect: '1 +' is not a Python expression",
    ),
    "setup that does not parse": (
        _set("features.0.functions.0.examples.0.setup", "x ="),
        "features[0].functions[0].examples[0].setup[0]: 'x =' is not a Python statement",
    ),
    "unknown license": (_set("license", "GPL-3.0"), "'license': 'GPL-3.0'"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(BAD_ANSWERS))
def test_each_bad_answer_is_refused_naming_its_field_and_nothing_is_written(
    case: str, template: Path, tmp_path: Path
) -> None:
    change, message = BAD_ANSWERS[case]
    dest = tmp_path / "project"
    with pytest.raises(ValueError) as refused:
        render(_bad(change), dest, template=template)
    assert message in str(refused.value)
    assert not dest.exists()


@pytest.mark.slow
def test_the_copier_cli_refuses_a_bad_spec_with_the_field_path(
    template: Path, tmp_path: Path
) -> None:
    spec_file = tmp_path / "spec.yml"
    spec_file.write_text(
        yaml.safe_dump(_bad(_set("features.0.functions.0.params", "a,,b"))), "utf-8"
    )
    dest = tmp_path / "project"
    targets = [str(template), str(dest)]
    done = subprocess.run(
        [str(COPIER), "copy", "--trust", "--defaults", "--data-file", str(spec_file), *targets],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert (
        "Validation error for question 'features': features[0].functions[0].params: 'a,,b' "
        "is not a parameter list" in done.stderr
    )
    assert not dest.exists()


# --- copier update -------------------------------------------------------------------------------


@pytest.fixture
def versioned_template(tmp_path: Path) -> Iterator[Path]:
    """The template in a git repository tagged v1, then v2 with a harmless README change."""
    repo = git_repo(template_copy(tmp_path / "template-repo"), "template v1")
    git(repo, "tag", "v1")
    readme = repo / "template" / "README.md.jinja"
    readme.write_text(readme.read_text("utf-8") + "\nRendered by copier-filler.\n", "utf-8")
    git(repo, "commit", "--quiet", "-am", "template v2")
    git(repo, "tag", "v2")
    yield repo


@pytest.mark.slow
@pytest.mark.parametrize("filled", [False, True], ids=["as rendered", "with a filled body"])
def test_copier_update_to_a_newer_template_merges_cleanly(
    filled: bool, versioned_template: Path, tmp_path: Path
) -> None:
    project = render(
        CHECKOUT / "examples" / "specs" / "strkit.yml",
        tmp_path / "project",
        template=versioned_template,
        vcs_ref="v1",
    )
    git_repo(project, "rendered from v1")
    if filled:
        _fill(project, "arith", "def add(", "    return a + b\n")
        git(project, "commit", "--quiet", "-am", "fill add")
    before = (project / "src/strkit/arith.py").read_text("utf-8")

    copier.run_update(project, defaults=True, overwrite=True, unsafe=True, quiet=True, vcs_ref="v2")

    status = git(project, "status", "--porcelain").splitlines()
    assert sorted(status) == [" M .copier-answers.yml", " M README.md"]
    assert "_commit: v2" in (project / ".copier-answers.yml").read_text("utf-8")
    assert (project / "README.md").read_text("utf-8").endswith("Rendered by copier-filler.\n")
    assert (project / "src/strkit/arith.py").read_text("utf-8") == before
    assert not list(project.rglob("*.rej"))


# --- the docs describe what is rendered ---------------------------------------------------------


def _blocks(markdown: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", markdown.read_text("utf-8"), flags=re.S)


@pytest.mark.slow
def test_the_stub_convention_page_shows_exactly_what_the_spec_page_example_renders(
    template: Path, tmp_path: Path
) -> None:
    example = yaml.safe_load(_blocks(CHECKOUT / "docs" / "spec.md", "yaml")[0])
    project = render(example, tmp_path / "project", template=template)
    module, tests, demo = _blocks(CHECKOUT / "docs" / "stub-convention.md", "python")[:3]
    assert (project / "src/textkit/tokenize.py").read_text("utf-8") == module
    assert (project / "tests/test_tokenize.py").read_text("utf-8") == tests
    assert (project / "examples/tokenize_demo.py").read_text("utf-8") == demo


def test_the_questions_agree_with_the_spec_model() -> None:
    questions = yaml.safe_load((CHECKOUT / "copier.yml").read_text("utf-8"))
    fields = filler.spec.model.Spec.model_fields
    assert [q for q in questions if not q.startswith("_")] == list(fields)
    assert questions["license"]["choices"] == list(get_args(filler.spec.model.License))
    for name, question in questions.items():
        if name.startswith("_"):
            continue
        assert question["validator"] == f"{{{{ spec_error('{name}') }}}}"
        default = fields[name].default
        if name == "project_name":
            continue  # derived from package_name, in both places
        if default is PydanticUndefined:
            assert "default" not in question, name
        else:
            assert question["default"] == (list(default) if isinstance(default, tuple) else default)
