"""Run git the one way filler does: `git(cwd, *args, error=...)` and `run_git(cwd, *args)`.

Output is captured as text and every call is bounded in time. `git` turns a failure into the
caller's `UserError` subclass with git's own message, so no `CalledProcessError` leaves filler;
`run_git` leaves the exit status to callers that expect a failure (no commit yet, no such file).
`FILLER_IDENTITY` is the author and committer of the commits filler makes itself.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from filler.errors import UserError

__all__ = ["FILLER_IDENTITY", "git", "run_git"]

FILLER_IDENTITY = {
    "GIT_AUTHOR_NAME": "copier-filler",
    "GIT_AUTHOR_EMAIL": "filler@localhost",
    "GIT_COMMITTER_NAME": "copier-filler",
    "GIT_COMMITTER_EMAIL": "filler@localhost",
}
_TIMEOUT_S = 120.0


def run_git(
    cwd: Path, *args: str, env: Mapping[str, str] | None = None, timeout_s: float = _TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """`git *args` in `cwd`, with `env` over this process's environment, finished."""
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


def git(cwd: Path, *args: str, error: type[UserError], env: Mapping[str, str] | None = None) -> str:
    """The standard output of `git *args` in `cwd`; `error` with git's message if it fails."""
    done = run_git(cwd, *args, env=env)
    if done.returncode != 0:
        raise error(f"git {args[0]} failed in {cwd}: {done.stderr.strip()}")
    return done.stdout
