"""Reading a rendered project: its answers, its fillable modules, what it may import."""

from __future__ import annotations

from pathlib import Path

import pytest

from filler.errors import ProjectError
from filler.project import ModuleKind, find_project_root, import_names, load_project
from tests.helpers.projects import build_file_tree

ANSWERS = """_src_path: /templates/copier-filler
package_name: pkg
description: A package.
dependencies: ["PyYAML>=6", "beautifulsoup4", "some-unknown-dist==1.0"]
features:
  - {name: alpha, description: First feature.}
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path,
        {
            ".copier-answers.yml": ANSWERS,
            "src/pkg/__init__.py": "",
            "src/pkg/alpha.py": "def a() -> None: ...\n",
            "src/pkg/beta.py": "def b() -> None: ...\n",
            "examples/alpha_demo.py": "def main() -> None: ...\n",
            "examples/notes.py": "x = 1\n",
        },
    )


def test_modules_are_the_feature_modules_and_the_demos(project: Path) -> None:
    loaded = load_project(project / "src" / "pkg")  # found from anywhere inside
    assert loaded.root == project and loaded.package == "pkg"
    assert [(m.name, m.path.as_posix(), m.kind, m.feature) for m in loaded.modules()] == [
        ("pkg.alpha", "src/pkg/alpha.py", ModuleKind.FEATURE, "alpha"),
        ("pkg.beta", "src/pkg/beta.py", ModuleKind.FEATURE, "beta"),
        ("examples.alpha_demo", "examples/alpha_demo.py", ModuleKind.DEMO, "alpha"),
    ]
    assert loaded.feature_description("alpha") == "First feature."


def test_allowed_imports_map_distributions_to_import_names(project: Path) -> None:
    allowed = load_project(project).allowed_imports()
    assert allowed.package == "pkg"
    assert {"yaml", "bs4", "some_unknown_dist"} <= allowed.third_party


def test_import_names_of_an_installed_distribution_come_from_its_metadata() -> None:
    assert import_names("libcst>=1") == ("libcst",)
    assert import_names("  ") == ()


def test_outside_a_project_the_error_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="filler new"):
        find_project_root(tmp_path)


def test_answers_that_are_not_utf8_are_one_line_with_advice(tmp_path: Path) -> None:
    (tmp_path / ".copier-answers.yml").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ProjectError, match=r"is not UTF-8 text \(byte 0xff at offset 0\)"):
        load_project(tmp_path)


def test_answers_without_a_package_are_refused(tmp_path: Path) -> None:
    build_file_tree(tmp_path, {".copier-answers.yml": "description: x\n"})
    with pytest.raises(ProjectError, match="has no package_name"):
        load_project(tmp_path)
