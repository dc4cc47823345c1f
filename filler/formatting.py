"""Format Python source with the ruff that filler depends on.

Rendered projects pin the same ruff minor version and the same settings (line length, target
version), so code formatted here passes their `ruff format --check`. `--isolated` keeps any
ruff configuration around the caller out of it.
"""

from __future__ import annotations

import subprocess

# ruff ships no type information for its tiny launcher module.
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

from filler.errors import ProjectError

__all__ = ["format_python"]

_TIMEOUT_S = 30


def format_python(source: str, *, line_length: int = 88, target_version: str = "py310") -> str:
    """Return `source` formatted by `ruff format`; ProjectError if it is not valid Python."""
    command = [
        str(find_ruff_bin()),
        "format",
        "--isolated",
        "--line-length",
        str(line_length),
        "--target-version",
        target_version,
        "--stdin-filename",
        "module.py",
        "-",
    ]
    try:
        done = subprocess.run(
            command, input=source.encode("utf-8"), capture_output=True, timeout=_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ProjectError(f"ruff could not be run to format Python code: {exc}") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ProjectError(
            "ruff could not format the code: " + (reason[0] if reason else "unknown error")
        )
    return done.stdout.decode("utf-8")
