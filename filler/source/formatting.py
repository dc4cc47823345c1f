"""Format Python source with the ruff that filler depends on.

Rendered projects pin the same ruff minor version and the same settings (line length, target
version), so code formatted here passes their `ruff format --check`. `--isolated` keeps any
ruff configuration around the caller out of it.

`format_python` runs `ruff format` once; `format_or_keep`, for the many replies of a run, asks a
`ruff server` each process keeps (`filler.source.ruff_server`) and falls back to `format_python`
if the server fails. Servers stop when their process exits, also a worker process of the pool.
"""

from __future__ import annotations

import os
import subprocess
import threading
from multiprocessing.util import Finalize

# ruff ships no type information for its tiny launcher module.
from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

from filler.errors import FillerError, ProjectError
from filler.source.ruff_server import RuffServer, RuffServerError

__all__ = ["format_or_keep", "format_python"]

_TIMEOUT_S = 30

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


def _started(line_length: int, target_version: str) -> RuffServer | None:
    try:
        server = RuffServer(line_length, target_version)
    except (OSError, RuffServerError):
        return None
    # multiprocessing's exit hook runs in the main process (at exit) and in pool workers,
    # where atexit handlers do not run.
    Finalize(None, server.close, exitpriority=0)
    return server
