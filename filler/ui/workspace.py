"""The folder `filler ui` serves: every path the page names stays inside it, and the project zip.

A path from the page is relative to the workspace root (an absolute one must lie inside it);
one that leads outside, through `..` or a symbolic link, is a `UserError` naming the field.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from filler.errors import UserError

__all__ = ["Workspace", "archive_members", "zip_project"]

# Rebuilt or re-downloaded by whoever unpacks the zip: they only make it bigger.
_NEVER = frozenset(
    {".venv", "venv", ".git", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
     ".hypothesis"}
)  # fmt: skip
_NEVER_AT_TOP = frozenset({"site", "dist", "build"})  # mkdocs and build outputs
_STATE_DIR = ".filler"
# The lock is committed with the project (what was written, for which spec); the rest of
# .filler/ (run records, designed tests, set-aside code) is this machine's history.
_KEPT_STATE = frozenset({"lock.json"})


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def at(cls, root: Path) -> Workspace:
        return cls(root.resolve())

    def path(self, value: str, field: str) -> Path:
        """`value` as a path inside the workspace; `field` names the form field for errors."""
        if not value.strip():
            raise UserError(f"{field}: give a path inside {self.root}")
        path = (self.root / value.strip()).resolve()
        if not path.is_relative_to(self.root):
            raise UserError(f"{field}: {value!r} is outside {self.root}; choose a path inside it")
        return path

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.root).as_posix() or "."


def archive_members(project: Path, *, internals: bool = False) -> Iterator[Path]:
    """The files a download of `project` holds, relative to it, in a stable order.

    Symbolic links are left out: one could point anywhere on this machine.
    """
    for folder, dirs, files in os.walk(project):
        here = Path(folder).relative_to(project)
        # Pruned in place, so os.walk never descends into a virtual environment.
        dirs[:] = sorted(
            d for d in dirs
            if d not in _NEVER and not (here == Path() and d in _NEVER_AT_TOP)
        )  # fmt: skip
        for name in sorted(files):
            relative = here / name
            if (project / relative).is_symlink():
                continue
            if relative.parts[0] == _STATE_DIR and not internals and name not in _KEPT_STATE:
                continue
            yield relative


def zip_project(project: Path, *, internals: bool = False) -> bytes:
    """A zip of `project` under a folder of its name, without caches or virtual environments."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in archive_members(project, internals=internals):
            archive.write(project / relative, f"{project.name}/{relative.as_posix()}")
    return buffer.getvalue()
