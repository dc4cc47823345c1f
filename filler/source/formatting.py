"""Format Python source with the ruff that filler depends on.

Rendered projects pin the same ruff minor version and the same settings (line length, target
version), so code formatted here passes their `ruff format --check`. `--isolated` keeps any
ruff configuration around the caller out of it.

`format_python` runs `ruff format` once; `format_or_keep`, for the many replies of a run, asks a
`ruff server` each process keeps (`filler.source.ruff_server`) and falls back to `format_python`
if the server fails. Servers stop when their process exits, also a worker process of the pool.

`lint_fixed` holds a candidate to the project's own `ruff check` (its `[tool.ruff]`, found from
the project root, not `--isolated`): it applies ruff's safe fixes, formats again if they changed
anything, and returns what remains as `LintProblem`s for the lint gate. One `ruff check --fix`
process, about 6 ms. The rules that depend on the rest of the module are left to the gates and
the merge, which see it: unused and misplaced imports (the merge adds only the imports the code
reads, on lines of their own), redefinitions and undefined names.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path

# ruff ships no type information for its tiny launcher module.
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

from filler.errors import FillerError, ProjectError
from filler.source.ruff_server import RuffServer, RuffServerError

__all__ = ["LintProblem", "Linted", "format_or_keep", "format_python", "lint_fixed"]

_TIMEOUT_S = 30
# Rules a candidate cannot be judged on alone (see the module docstring).
_IN_CONTEXT = ("E401", "E402", "F401", "F811", "F821", "F822")

# This process's servers by settings; None where one failed (then ruff runs once per call).
_servers: dict[tuple[int, int, str], RuffServer | None] = {}
_servers_lock = threading.Lock()


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


def format_or_keep(code: str, *, line_length: int = 88, target_version: str = "py310") -> str:
    """`code` formatted like `format_python` does; unchanged when it does not parse."""
    key = (os.getpid(), line_length, target_version)  # a forked child starts its own
    with _servers_lock:
        if key not in _servers:
            _servers[key] = _started(line_length, target_version)
        server = _servers[key]
        if server is not None:
            try:
                return server.format(code)
            except RuffServerError:
                _servers[key] = None
    try:
        return format_python(code, line_length=line_length, target_version=target_version)
    except FillerError:
        return code  # it does not parse: the gates say so, with a better message


@dataclass(frozen=True)
class LintProblem:
    """What the project's `ruff check` says of a line: `E722` at line 3, column 5 (1-based)."""

    rule: str
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Linted:
    """Code with ruff's safe fixes applied, and the problems that remain."""

    code: str
    problems: tuple[LintProblem, ...] = ()


def lint_fixed(code: str, *, root: Path, line_length: int = 88) -> Linted:
    """`code`, formatted, with the safe fixes of the project at `root`, and what remains.

    Code ruff cannot read, or a ruff that cannot run, gives `code` back with no problems: the
    parse gate explains the first better, and lint is not worth refusing a body over the second.
    """
    fixed, problems = _ruff_check(code, root, fix=True)
    if fixed == code:
        return Linted(code, problems)
    # A fix may leave a line the formatter would write differently (a removed statement).
    formatted = format_or_keep(fixed, line_length=line_length)
    return Linted(formatted, _ruff_check(formatted, root, fix=False)[1])


def _ruff_check(code: str, root: Path, *, fix: bool) -> tuple[str, tuple[LintProblem, ...]]:
    command = [
        str(find_ruff_bin()),
        "check",
        *(["--fix"] if fix else []),
        "--no-cache",
        "--ignore",
        ",".join(_IN_CONTEXT),
        "--output-format",
        "json",
        "--stdin-filename",
        str(root / "filler_candidate.py"),
        "-",
    ]
    try:
        done = subprocess.run(
            command, input=code.encode("utf-8"), capture_output=True, cwd=root, timeout=_TIMEOUT_S
        )
        found = json.loads(done.stderr if fix else done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return code, ()
    if done.returncode not in (0, 1) or not isinstance(found, list):
        return code, ()
    problems = tuple(
        LintProblem(
            str(item["code"]), item["location"]["row"], item["location"]["column"], item["message"]
        )
        for item in found
    )
    if any(problem.rule == "invalid-syntax" for problem in problems):
        return code, ()
    return (done.stdout.decode("utf-8") if fix else code), problems


def _started(line_length: int, target_version: str) -> RuffServer | None:
    try:
        server = RuffServer(line_length, target_version)
    except (OSError, RuffServerError):
        return None
    # multiprocessing's exit hook runs in the main process (at exit) and in pool workers,
    # where atexit handlers do not run.
    Finalize(None, server.close, exitpriority=0)
    return server
