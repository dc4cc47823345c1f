"""Copier at the edges: render a new project, re-render recorded answers, update a project.

The spec is validated by `filler.spec.model` before Copier starts, so a bad spec writes nothing. The
template defaults to the one shipped with filler. `copier update` must be able to render the
version that rendered a project, so the answers file records a git repository and a tag, by an
absolute path or a URL (a relative local path breaks later updates). The shipped template is
plain files, so it is kept as a git repository in the user's cache
(`$XDG_CACHE_HOME/copier-filler/template`), one commit and tag per template content, made on
demand: `v<filler version>`, or `v<filler version>+t<tree>` when a development checkout changed
the template without a new version.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import copier
import yaml
from copier.errors import CopierError, DirtyLocalWarning
from plumbum import ProcessExecutionError

from filler import __version__
from filler.errors import ConfigError, ProjectError, SpecError
from filler.git import FILLER_IDENTITY, git, run_git
from filler.project import ANSWERS_FILE
from filler.spec.model import load_spec

if sys.platform != "win32":
    import fcntl

__all__ = [
    "bundled_template",
    "bundled_template_repo",
    "copier_update",
    "render_answers",
    "render_new",
    "template_cache",
]

_PACKAGE_DIR = Path(__file__).resolve().parent
_VALIDATION_PREFIX = "Validation error for question '"
_CURRENT = ":current:"


def bundled_template() -> Path:
    """The template shipped with filler: `filler/_template/` in a wheel, the checkout otherwise."""
    for root in (_PACKAGE_DIR / "_template", _PACKAGE_DIR.parent):
        if (root / "copier.yml").is_file() and (root / "template").is_dir():
            return root
    raise ConfigError(
        f"the template shipped with filler is missing under {_PACKAGE_DIR}; "
        "reinstall copier-filler or pass --template"
    )


def template_cache() -> Path:
    """Where the shipped template is kept as a git repository."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser().resolve() / "copier-filler" / "template"


def bundled_template_repo() -> tuple[Path, str]:
    """The shipped template's git repository, and the tag of its current content.

    Creates the repository, and commits and tags the content, when they are missing; the tags
    of earlier filler versions stay, so projects they rendered can still be updated.
    """
    repo = template_cache()
    repo.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive(repo.parent / "template.lock"):
        if not (repo / ".git").is_dir():
            git(repo.parent, "init", "-q", "-b", "main", str(repo), error=ConfigError)
        tree = _bundled_tree(repo)
        tagged = _tags_by_tree(repo)
        tag = f"v{__version__}"
        if tree not in tagged:
            name = tag if tag not in tagged.values() else f"{tag}+t{tree[:12]}"
            _commit_and_tag(repo, tree, name)
            return repo, name
    return repo, tagged[tree]


def render_new(
    spec_path: Path, dest: Path, *, template: str | None = None, vcs_ref: str | None = None
) -> Path:
    """Render the project `spec_path` describes into the empty or missing folder `dest`.

    `template` is a local path or a Copier URL (`gh:owner/repo`, `https://...`); it defaults
    to the shipped template at this version's tag. Returns the absolute project folder.
    """
    load_spec(spec_path)
    dest = dest.resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ProjectError(f"{dest} already exists and is not empty; choose a new folder")
    source, vcs_ref = _template_source(template, vcs_ref)
    # The spec's own mapping, so the answers file records what the user wrote.
    data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    with _copier_errors(source):
        copier.run_copy(
            source, dest, data=data, defaults=True, unsafe=True, quiet=True, vcs_ref=vcs_ref
        )
    return dest


def render_answers(answers: Mapping[str, Any], dest: Path) -> Path:
    """Render what an answers file records (its answers, at its template commit) into `dest`.

    This is the render `copier update` diffs against: the old one from the answers before an
    update, the new one from the answers after it.
    """
    source = _recorded_source(answers)
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    with _copier_errors(source):
        copier.run_copy(
            source,
            dest,
            data=data,
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref=str(answers["_commit"]),
        )
    return dest


def copier_update(root: Path, data: Mapping[str, Any] | None, vcs_ref: str | None) -> None:
    """Run `copier update` on the project at `root`, leaving conflicts inline (`UU` in git).

    `data` holds new answers (a spec); `vcs_ref` names the template version. Without a
    `vcs_ref`, new answers keep the current version (`:current:`), and no new answers mean the
    newest version: the latest tag, or for the shipped template the tag of this filler.
    """
    answers = _read_answers(root)
    source = _recorded_source(answers)
    ref = vcs_ref
    if ref == _CURRENT or (ref is None and data is not None):
        # What `:current:` means, without Copier's private VcsRef enum.
        ref = str(answers.get("_commit"))
    elif ref is None and Path(source) == template_cache():
        ref = bundled_template_repo()[1]
    with _copier_errors(source):
        copier.run_update(
            root,
            data=dict(data) if data is not None else None,
            defaults=True,
            overwrite=True,
            vcs_ref=ref,
            unsafe=True,
            quiet=True,
            conflict="inline",
        )


def _template_source(template: str | None, vcs_ref: str | None) -> tuple[str, str | None]:
    if template is None:
        repo, tag = bundled_template_repo()
        return str(repo), vcs_ref or tag
    local = Path(template).expanduser()
    if local.exists():
        return str(local.resolve()), vcs_ref
    return template, vcs_ref


def _read_answers(root: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load((root / ANSWERS_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ProjectError(f"cannot read {root / ANSWERS_FILE}: {exc}") from exc
    return dict(loaded) if isinstance(loaded, Mapping) else {}


def _recorded_source(answers: Mapping[str, Any]) -> str:
    """The template an answers file names, re-created first when it is the shipped one."""
    source, commit = answers.get("_src_path"), answers.get("_commit")
    if not isinstance(source, str) or not source or commit is None:
        raise ProjectError(
            f"{ANSWERS_FILE} records no template (_src_path and _commit); "
            "render the project with `filler new` to make it updatable"
        )
    if ":" not in source and not Path(source).expanduser().is_absolute():
        raise ProjectError(
            f"{ANSWERS_FILE} records the template by the relative path {source!r}, which "
            "copier cannot update from; set _src_path to an absolute path or a git URL "
            "and commit that"
        )
    if Path(source) == template_cache():
        repo = bundled_template_repo()[0]
        if run_git(repo, "rev-parse", "-q", "--verify", f"refs/tags/{commit}").returncode != 0:
            raise ProjectError(
                f"this project was rendered by the shipped template {commit}, which is not in "
                f"{repo}; run this update once with the copier-filler version that rendered it"
            )
    return source


@contextlib.contextmanager
def _copier_errors(source: str) -> Iterator[None]:
    """Copier's failures as ours; its warning about a dirty local template is expected."""
    try:
        with warnings.catch_warnings():
            # At `--vcs-ref HEAD` a local template renders with its uncommitted changes, as its
            # author wants, and Copier warns.
            warnings.simplefilter("ignore", DirtyLocalWarning)
            yield
    except ValueError as exc:
        raise _translated(exc, source) from exc
    except (CopierError, ProcessExecutionError, OSError) as exc:
        raise ConfigError(f"copier could not render {source}: {_first_line(exc)}") from exc


def _translated(exc: ValueError, source: str) -> Exception:
    """Copier reports a refused answer as a ValueError naming the question."""
    message = str(exc)
    if message.startswith(_VALIDATION_PREFIX):
        question, _, problem = message.removeprefix(_VALIDATION_PREFIX).partition("': ")
        field, _, rest = problem.partition(": ")
        if field.startswith(question) and rest:
            return SpecError(field, rest)
        return SpecError(question, problem)
    return ConfigError(f"copier could not render {source}: {_first_line(exc)}")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


# -- the shipped template's repository ---------------------------------------------------------


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One filler at a time creates the repository or adds a version to it (not on Windows)."""
    if sys.platform == "win32":
        yield
        return
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _bundled_tree(repo: Path) -> str:
    """The git tree of the shipped template's files, written into `repo` without a checkout."""
    root = bundled_template()
    index = repo / ".git" / "filler-index"
    index.unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index)}
    where = ("--git-dir", str(repo / ".git"), "--work-tree", str(root))
    # -f: the template's own .gitignore describes rendered projects, not the template.
    git(root, *where, "add", "-A", "-f", "--", "copier.yml", "template", error=ConfigError, env=env)
    tree = git(root, *where, "write-tree", error=ConfigError, env=env).strip()
    index.unlink(missing_ok=True)
    return tree


def _tags_by_tree(repo: Path) -> dict[str, str]:
    """Each tagged tree and its tag; `v<version>` wins over the `+t<tree>` spelling."""
    lines = git(
        repo, "for-each-ref", "--format=%(tree) %(refname:short)", "refs/tags", error=ConfigError
    )
    found: dict[str, str] = {}
    for line in sorted(lines.splitlines(), key=lambda line: "+" in line, reverse=True):
        tree, name = line.split(" ", 1)
        found[tree] = name
    return found


def _commit_and_tag(repo: Path, tree: str, tag: str) -> None:
    has_head = run_git(repo, "rev-parse", "-q", "--verify", "HEAD").returncode == 0
    parent = ["-p", "HEAD"] if has_head else []
    message = f"copier-filler {__version__} template"
    # The template repository is filler's own: its commits carry filler's name and are never signed.
    command = ("commit-tree", "--no-gpg-sign", tree, *parent, "-m", message)
    commit = git(repo, *command, error=ConfigError, env=FILLER_IDENTITY).strip()
    # Move the branch and its checkout together: the repository stays clean for git and Copier.
    git(repo, "reset", "-q", "--hard", commit, error=ConfigError)
    git(repo, "tag", tag, commit, error=ConfigError)
