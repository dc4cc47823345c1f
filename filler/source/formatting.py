"""Format Python source with the ruff that filler depends on.

Rendered projects pin the same ruff minor version and the same settings (line length, target
version), so code formatted here passes their `ruff format --check`. `--isolated` keeps any
ruff configuration around the caller out of it.

`format_python` runs `ruff format` once; `format_or_keep`, for the many replies of a run, asks a
`ruff server` each process keeps (`filler.source.ruff_server`) and falls back to `format_python`
if the server fails. Servers stop when their process exits, also a worker process of the pool.

`lint_fixed` holds a candidate to the project's own `ruff check` (its `[tool.ruff]`, found from
the project root, not `--isolated`): it applies ruff's safe fixes, formats again if they changed
anything, and returns what remains as `LintProblem`s for the lint gate. It asks a `ruff server`
each process keeps for the project it lints, about 0.4 ms of CPU a reply, and falls back to a
`ruff check --fix` process, about 7 ms, if the server fails. The rules that depend on the rest
of the module are left to the gates and the merge, which see it: unused and misplaced imports
(the merge adds only the imports the code reads, on lines of their own), redefinitions and
undefined names.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.util import Finalize
from pathlib import Path
from typing import TypeVar

# ruff ships no type information for its tiny launcher module.
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

from filler.errors import FillerError, ProjectError
from filler.source.ruff_server import (
    CANDIDATE_NAME,
    LintProblem,
    RuffServer,
    RuffServerError,
)

__all__ = ["LintProblem", "Linted", "format_or_keep", "format_python", "lint_fixed"]

_TIMEOUT_S = 30
# Rules a candidate cannot be judged on alone (see the module docstring).
_IN_CONTEXT = ("E401", "E402", "F401", "F811", "F821", "F822")
_SYNTAX_ERROR = "invalid-syntax"  # ruff's rule for code it cannot parse

_T = TypeVar("_T")
# This process's servers by their settings (format: line length and target version; lint: the
# project root); None where one failed (then ruff runs once per call).
_ServerKey = tuple[int, int, str] | tuple[int, Path]
_servers: dict[_ServerKey, RuffServer | None] = {}
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
    formatted = _served(
        (os.getpid(), line_length, target_version),
        lambda: RuffServer(line_length, target_version),
        lambda server: server.format(code),
    )
    if formatted is not None:
        return formatted
    try:
        return format_python(code, line_length=line_length, target_version=target_version)
    except FillerError:
        return code  # it does not parse: the gates say so, with a better message


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
    checked = _checked(code, root, fix=True)
    if checked is None:
        return Linted(code)
    fixed, problems = checked
    if fixed == code:
        return Linted(code, problems)
    # A fix may leave a line the formatter would write differently (a removed statement).
    formatted = format_or_keep(fixed, line_length=line_length)
    again = _checked(formatted, root, fix=False)
    return Linted(formatted, () if again is None else again[1])


def _checked(code: str, root: Path, *, fix: bool) -> tuple[str, tuple[LintProblem, ...]] | None:
    """`RuffServer.check` by this process's server for the project, else by a process."""
    project = root.absolute()
    served = _served(
        (os.getpid(), project),
        lambda: _linter(project),
        lambda server: server.check(code, fix=fix),
    )
    checked = served if served is not None else _ruff_check(code, project, fix=fix)
    if checked is None or any(problem.rule == _SYNTAX_ERROR for problem in checked[1]):
        return None
    # Ruff orders the problems of one place by rule differently in the server and the CLI.
    text, problems = checked
    return text, tuple(sorted(problems, key=lambda p: (p.line, p.column, p.rule)))


def _linter(project: Path) -> RuffServer:
    """A server for the project's lint, once a `ruff check` process has read its settings:
    where ruff cannot, the process fails (no lint) but the server would lint with others.

    Called holding `_servers_lock`. A fill lints one project; a process that goes on to another
    (a test suite) stops this process's linters of the others rather than keep them all.
    """
    for key, server in list(_servers.items()):
        if key[0] == os.getpid() and isinstance(key[1], Path):
            del _servers[key]
            if server is not None:
                server.close()
    if _ruff_check("", project, fix=False) is None:
        raise RuffServerError(f"ruff cannot read the settings of {project}")
    return RuffServer(project=project, ignore=_IN_CONTEXT)


def _ruff_check(code: str, root: Path, *, fix: bool) -> tuple[str, tuple[LintProblem, ...]] | None:
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
        str(root / CANDIDATE_NAME),
        "-",
    ]
    try:
        done = subprocess.run(
            command, input=code.encode("utf-8"), capture_output=True, cwd=root, timeout=_TIMEOUT_S
        )
        found = json.loads(done.stderr if fix else done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    if done.returncode not in (0, 1) or not isinstance(found, list):
        return None
    problems = tuple(
        LintProblem(
            str(item["code"]), item["location"]["row"], item["location"]["column"], item["message"]
        )
        for item in found
    )
    return (done.stdout.decode("utf-8") if fix else code), problems


def _served(
    key: _ServerKey, start: Callable[[], RuffServer], ask: Callable[[RuffServer], _T]
) -> _T | None:
    """`ask` answered by this process's server for `key`, started on first use; None when it
    cannot start or has failed. The key holds the PID: a forked child starts its own."""
    with _servers_lock:
        if key not in _servers:
            _servers[key] = _started(start)
        server = _servers[key]
        if server is None:
            return None
        try:
            return ask(server)
        except RuffServerError:
            _servers[key] = None
            return None


def _started(start: Callable[[], RuffServer]) -> RuffServer | None:
    try:
        server = start()
    except (OSError, RuffServerError):
        return None
    # multiprocessing's exit hook runs in the main process (at exit) and in pool workers,
    # where atexit handlers do not run.
    Finalize(None, server.close, exitpriority=0)
    return server
