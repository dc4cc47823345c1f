"""filler.render: validate first, then render with the real Copier into an empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import filler.render
from filler import __version__
from filler.errors import ConfigError, ProjectError, SpecError
from filler.render import bundled_template, bundled_template_repo, render_new, template_cache
from tests.helpers.projects import CHECKOUT, build_file_tree, git, git_repo, template_copy

STRKIT = CHECKOUT / "examples" / "specs" / "strkit.yml"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return template_copy(tmp_path_factory.mktemp("template"))


def answers(project: Path) -> dict[str, object]:
    loaded = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_the_bundled_template_is_the_checkout_in_a_development_install() -> None:
    root = bundled_template()
    assert root == CHECKOUT
    assert (root / "copier.yml").is_file() and (root / "template").is_dir()


@pytest.mark.slow
def test_the_wheel_renders_a_spec_outside_a_checkout(tmp_path: Path) -> None:
    """`pip install copier-filler`, then `filler new spec.yml out`: the wheel has the template."""
    dist, site, elsewhere = tmp_path / "dist", tmp_path / "site", tmp_path / "elsewhere"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", dist, CHECKOUT], check=True
    )
    (wheel,) = dist.glob("copier_filler-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", site, wheel], check=True)
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run(
        [site / "bin" / "filler", "new", STRKIT, "out", "--no-fill"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (elsewhere / "out" / "src" / "strkit" / "arith.py").is_file()
    shipped = subprocess.run(
        [sys.executable, "-c", "from filler.render import bundled_template as b; print(b())"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert Path(shipped) == site / "filler" / "_template"


@pytest.mark.slow
def test_a_spec_renders_into_a_new_folder_and_the_answers_record_it(
    template: Path, tmp_path: Path
) -> None:
    project = render_new(STRKIT, tmp_path / "new" / "project", template=str(template))
    assert project == (tmp_path / "new" / "project").resolve()
    assert (project / "src" / "strkit" / "arith.py").is_file()
    recorded = answers(project)
    assert recorded["features"] == yaml.safe_load(STRKIT.read_text("utf-8"))["features"]
    assert recorded["_src_path"] == str(template)


@pytest.mark.slow
def test_a_relative_template_path_is_recorded_absolute(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(template.parent)
    project = render_new(STRKIT, tmp_path / "project", template=template.name)
    assert answers(project)["_src_path"] == str(template)


@pytest.mark.slow
def test_an_existing_empty_folder_is_used(template: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    render_new(STRKIT, tmp_path / "empty", template=str(template))
    assert (tmp_path / "empty" / "pyproject.toml").is_file()


def test_a_bad_spec_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yml"
    spec.write_text(STRKIT.read_text("utf-8").replace("a: int, b: int", "a: int,, b"), "utf-8")
    with pytest.raises(SpecError) as refused:
        render_new(spec, tmp_path / "project")
    assert refused.value.field == "features[0].functions[0].params"
    assert not (tmp_path / "project").exists()


@pytest.mark.parametrize("occupant", ["file", "folder"])
def test_a_non_empty_destination_is_refused_and_left_alone(occupant: str, tmp_path: Path) -> None:
    dest = build_file_tree(tmp_path / "dest", {"keep.txt": "mine"})
    target = dest / "keep.txt" if occupant == "file" else dest
    with pytest.raises(ProjectError, match="already exists and is not empty"):
        render_new(STRKIT, target)
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]
    assert (dest / "keep.txt").read_text("utf-8") == "mine"


def test_a_missing_template_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="copier could not render /nonexistent/template"):
        render_new(STRKIT, tmp_path / "project", template="/nonexistent/template")
    assert not (tmp_path / "project").exists()


@pytest.mark.slow
def test_a_git_template_renders_at_the_requested_ref_and_an_unknown_ref_is_a_config_error(
    template: Path, tmp_path: Path
) -> None:
    repo = git_repo(template_copy(tmp_path / "repo"), "v1")
    git(repo, "tag", "v1")
    project = render_new(STRKIT, tmp_path / "project", template=str(repo), vcs_ref="v1")
    assert answers(project)["_commit"] == "v1"
    with pytest.raises(ConfigError, match="copier could not render"):
        render_new(STRKIT, tmp_path / "other", template=str(repo), vcs_ref="no-such-ref")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty user cache, so the shipped template's repository is made by the test."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache"


def tracked_files(repo: Path, ref: str) -> dict[str, bytes]:
    names = git(repo, "ls-tree", "-r", "--name-only", ref).splitlines()
    return {name: git_bytes(repo, "show", f"{ref}:{name}") for name in names}


def git_bytes(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, check=True).stdout


def test_the_shipped_template_becomes_a_tagged_repository_in_the_cache_once(cache: Path) -> None:
    repo, tag = bundled_template_repo()
    assert repo == template_cache() == (cache / "copier-filler" / "template").resolve()
    assert tag == f"v{__version__}"
    root = bundled_template()
    shipped = {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in [root / "copier.yml", *(root / "template").rglob("*")]
        if p.is_file()
    }
    assert tracked_files(repo, tag) == shipped
    assert bundled_template_repo() == (repo, tag)
    assert git(repo, "tag").split() == [tag]
    assert git(repo, "status", "--porcelain") == ""


def test_a_changed_template_under_the_same_version_gets_its_own_tag(cache: Path) -> None:
    repo, tag = bundled_template_repo()
    # What an earlier development checkout of this version left behind: other template content.
    build_file_tree(repo, {"template/OLD.md": "old\n"})
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "old")
    git(repo, "tag", "-f", tag)
    again, new_tag = bundled_template_repo()
    assert again == repo and new_tag.startswith(f"{tag}+t")
    assert sorted(git(repo, "tag").split()) == sorted([tag, new_tag])
    assert "template/OLD.md" in tracked_files(repo, tag)
    assert "template/OLD.md" not in tracked_files(repo, new_tag)
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.slow
def test_without_a_template_the_shipped_one_renders_from_its_repository(
    cache: Path, tmp_path: Path
) -> None:
    project = render_new(STRKIT, tmp_path / "project")
    assert (project / "tests" / "test_arith.py").is_file()
    recorded = answers(project)
    assert recorded["_src_path"] == str(template_cache())
    assert recorded["_commit"] == f"v{__version__}"


def test_a_relative_template_path_in_the_answers_is_refused_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"relative path 'template'.*absolute path or a git URL"):
        filler.render.render_answers({"_src_path": "template", "_commit": "v1"}, tmp_path / "p")


def test_the_public_surface() -> None:
    assert filler.render.__all__ == [
        "bundled_template",
        "bundled_template_repo",
        "copier_update",
        "render_answers",
        "render_new",
        "template_cache",
    ]
