"""Atomic writes, and one writer per file when many units are filled at once.

A file is written to a temporary sibling, flushed to disk and renamed over the original, so an
interrupted run leaves every file either untouched or fully written.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections import defaultdict
from pathlib import Path

__all__ = ["TEMP_SUFFIX", "FileLocks", "atomic_write"]

# Names the half-written file of an atomic write, so copies of a project being filled skip it.
TEMP_SUFFIX = ".filler.tmp"


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


class FileLocks:
    """An asyncio lock per path: units of one module are merged and written one at a time."""

    def __init__(self) -> None:
        self._locks: defaultdict[Path, asyncio.Lock] = defaultdict(asyncio.Lock)

    def __call__(self, path: Path) -> asyncio.Lock:
        return self._locks[path.resolve()]
