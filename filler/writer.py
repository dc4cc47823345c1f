"""Writing a project safely: atomic writes, one writer per file and one fill per project, and
writes that go ahead only while the files still hold what the run expects.

A file is written to a temporary sibling, flushed to disk and renamed over the original, so an
interrupted run leaves every file either untouched or fully written. A file or folder that
cannot be written is a `ProjectError` that names it and says what to change.

`project_lock` holds an exclusive `flock` on the project's `.filler/` folder for a whole fill or
update: a second one on the same project stops at once, and the lock goes with its process,
however that ends. The folder itself is locked, not a file in it: a new file would make the git
tree dirty, which `filler update` and `copier update` refuse.

A `Baseline` remembers what a run read (or last wrote) in the files a unit's write depends on:
its module, the tests and every conftest. When one of them changed meanwhile, by a person or by
code under test, the write is not made: the change is kept and the run says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import hashlib
import os
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from filler.errors import ProjectError

__all__ = ["TEMP_SUFFIX", "Baseline", "FileLocks", "atomic_write", "project_lock"]

# Names the half-written file of an atomic write, so copies of a project being filled skip it.
TEMP_SUFFIX = ".filler.tmp"


def atomic_write(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step; a `ProjectError` if it cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise _unwritable(path, exc) from None
    except BaseException:
        _discard(tmp)
        raise


def _discard(tmp: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def _unwritable(path: Path, exc: OSError) -> ProjectError:
    """One line: what cannot be written, why, and what to change."""
    if isinstance(exc, IsADirectoryError):
        advice = f"{path} is a folder; move it out of the way"
    elif isinstance(exc, NotADirectoryError | FileExistsError):
        advice = f"a file stands where {path.parent} should be a folder; move it out of the way"
    elif isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        advice = f"make {path.parent} writable (and {path.name}, if it exists: chmod, chattr)"
    elif exc.errno == errno.ENOSPC:
        advice = "free some disk space"
    else:
        advice = "fix that"
    return ProjectError(f"cannot write {path} ({exc.strerror or exc}): {advice}, then run again")


class FileLocks:
    """An asyncio lock per path: units of one module are merged and written one at a time."""

    def __init__(self) -> None:
        self._locks: defaultdict[Path, asyncio.Lock] = defaultdict(asyncio.Lock)

    def __call__(self, path: Path) -> asyncio.Lock:
        return self._locks[path.resolve()]


@contextlib.contextmanager
def project_lock(root: Path, state_dir: Path) -> Iterator[None]:
    """Be the one fill (or update) of the project at `root` while the block runs.

    Raises `ProjectError` ("another fill is running on <root> (pid N)") if one already is.
    """
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(state_dir, os.O_RDONLY)
    except OSError as exc:
        raise _unwritable(state_dir, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _flock_holder(fd)
            pid = f" (pid {holder})" if holder else ""
            raise ProjectError(
                f"another fill is running on {root}{pid}; wait for it to end, or stop it"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _flock_holder(fd: int) -> int | None:
    """The process holding a flock on `fd`'s file, from /proc/locks; None where unknown."""
    stat = os.fstat(fd)
    key = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    try:
        table = Path("/proc/locks").read_text(encoding="utf-8")
    except OSError:
        return None  # not Linux
    # "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234 0 EOF"; "1: -> FLOCK ..." is a waiter
    for line in table.splitlines():
        fields = line.split()
        if "FLOCK" in fields and "->" not in fields and key in fields:
            pid = fields[fields.index(key) - 1]
            return int(pid) if pid.isdigit() and pid != "0" else None
    return None


@dataclass
class Baseline:
    """The files a run's writes depend on, as the run last saw them (by content digest)."""

    root: Path
    digests: dict[Path, str | None]  # relative path -> sha256 hex; None: the file was absent

    @classmethod
    def of(cls, root: Path, paths: Iterable[Path]) -> Baseline:
        """The current state of `paths` (relative to `root`; a missing file is recorded so)."""
        return cls(root, {path: _digest(root / path) for path in paths})

    def changed(self, paths: Iterable[Path]) -> list[Path]:
        """Those of `paths` whose content differs now from what the run saw."""
        return [path for path in paths if _digest(self.root / path) != self.digests.get(path)]

    def wrote(self, path: Path, text: str) -> None:
        """The run itself wrote `text` to `path` (relative to the root)."""
        self.digests[path] = hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None
    except OSError:
        return ""  # unreadable now (a folder in its place, say): not what the run saw
