"""Real project trees for tests: files from a dict, git repositories, Copier renders, venvs.

- `build_file_tree(root, {"path": "text"})` writes files (parents created), like copier's own
  `tests/helpers.py`.
- `git_repo(path)` makes `path` a git repository with one commit of everything in it; `git()`
  runs git there and returns its output.
- `template_copy(dest)` copies this checkout's template (copier.yml + template/) to `dest`, so a
  test renders the working tree as it is, not a commit of it.
- `render(spec, dest, template=...)` runs the real Copier in-process, as
  `copier copy --trust --defaults --data-file` does.
- `ProjectVenv` is a virtual environment holding what a rendered project needs to check itself
  (pytest, ruff, mkdocs, hypothesis for property examples); `project_venv` is the session
  fixture that builds it once. `ProjectVenv.check(project)` runs the project's ruff and pytest
  with its `src/` on the path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml

__all__ = [
    "CHECKOUT",
    "CheckResult",
    "ProjectVenv",
    "build_file_tree",
    "git",
    "git_repo",
    "project_venv",
    "render",
    "template_copy",
]

CHECKOUT = Path(__file__).resolve().parents[2]
CONSTRAINTS = CHECKOUT / "requirements" / "constraints.txt"
# What a rendered project's `test` and `docs` extras and an editable build need.
PROJECT_TOOLS = (
    "pytest>=8",
    "ruff>=0.17,<0.18",
    "hypothesis>=6",
    "mkdocs>=1.6",
    "mkdocstrings[python]>=0.26",
    "hatchling>=1.27",
    "editables",
)
_TIMEOUT_S = 600


def build_file_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Write `files` (relative path -> text) under `root`; returns `root`."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` and return its stdout; a failure raises CalledProcessError."""
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def git_repo(path: Path, message: str = "initial") -> Path:
    """Make `path` a git repository with everything in it committed; returns `path`."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "config", "user.name", "Test Author")
    git(path, "config", "user.email", "test@example.org")
    git(path, "config", "commit.gpgsign", "false")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "--allow-empty", "-m", message)
    return path


def template_copy(dest: Path) -> Path:
    """Copy this checkout's copier.yml and template/ to `dest`; returns `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(CHECKOUT / "copier.yml", dest / "copier.yml")
    shutil.copytree(CHECKOUT / "template", dest / "template")
    return dest


def render(
    spec: Mapping[str, Any] | Path, dest: Path, *, template: Path, vcs_ref: str | None = None
) -> Path:
    """Render `spec` (a mapping or a spec file) into `dest` with the real Copier."""
    data = yaml.safe_load(spec.read_text(encoding="utf-8")) if isinstance(spec, Path) else spec
    copier.run_copy(
        str(template),
        dest,
        data=dict(data),
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref=vcs_ref,
    )
    return dest


@dataclass(frozen=True)
class CheckResult:
    """What a rendered project's own checks said."""

    ruff_check: subprocess.CompletedProcess[str]
    ruff_format: subprocess.CompletedProcess[str]
    pytest: subprocess.CompletedProcess[str]

    @property
    def ok(self) -> bool:
        return all(p.returncode == 0 for p in (self.ruff_check, self.ruff_format, self.pytest))

    def explain(self) -> str:
        return "\n".join(
            f"$ {' '.join(map(str, p.args))} -> {p.returncode}\n{p.stdout}{p.stderr}"
            for p in (self.ruff_check, self.ruff_format, self.pytest)
        )


@dataclass(frozen=True)
class ProjectVenv:
    """A virtual environment with the tools a rendered project checks itself with."""

    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @classmethod
    def create(cls, root: Path, *packages: str) -> ProjectVenv:
        """A new venv at `root` with `packages` installed (pinned by the constraints file)."""
        venv = cls(root)
        _run([sys.executable, "-m", "venv", str(root)], cwd=root.parent)
        if packages:
            venv.pip("install", "-c", str(CONSTRAINTS), *packages, cwd=root.parent)
        return venv

    def env(self, project: Path | None = None) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTEST_ADDOPTS"}
        }
        env["PATH"] = f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["VIRTUAL_ENV"] = str(self.root)
        env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        # Property examples would leave a `.hypothesis/` database in the project, and tests compare
        # project trees: hypothesis keeps it beside the venv instead.
        env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(self.root.parent / "hypothesis")
        if project is not None:
            env["PYTHONPATH"] = str(project / "src")
        return env

    def pip(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return _run([str(self.python), "-m", "pip", "--quiet", *args], cwd=cwd, env=self.env())

    def run(
        self, project: Path, *args: str, src_on_path: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `python *args` in `project` (its src/ on the path unless it is installed)."""
        env = self.env(project if src_on_path else None)
        return _run([str(self.python), *args], cwd=project, env=env, check=False)

    def check(self, project: Path, *, src_on_path: bool = True) -> CheckResult:
        """The rendered project's own `ruff check`, `ruff format --check` and `pytest`."""
        return CheckResult(
            ruff_check=self.run(project, "-m", "ruff", "check", "--no-cache", "."),
            ruff_format=self.run(project, "-m", "ruff", "format", "--no-cache", "--check", "."),
            pytest=self.run(
                project, "-m", "pytest", "-p", "no:cacheprovider", "-q", src_on_path=src_on_path
            ),
        )


def _run(
    command: list[str], *, cwd: Path, env: Mapping[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=_TIMEOUT_S
    )
    if check and done.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProjectVenv]:
    """One venv per session with the tools rendered projects need (not the projects)."""
    yield ProjectVenv.create(tmp_path_factory.mktemp("project-venv") / "venv", *PROJECT_TOOLS)
