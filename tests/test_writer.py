"""Atomic writes: the file is either the old text or the new one, never a mix."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from filler.writer import FileLocks, atomic_write


def test_atomic_write_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("old\n")
    os.chmod(path, 0o640)
    atomic_write(path, "new\n")
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["mod.py"]  # no temporary file left


def test_atomic_write_creates_missing_directories(tmp_path: Path) -> None:
    atomic_write(tmp_path / ".filler" / "lock.json", "{}\n")
    assert (tmp_path / ".filler" / "lock.json").read_text() == "{}\n"


def test_a_failed_write_leaves_the_old_file_and_no_debris(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text("old\n")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(path, "half \udcff written")  # a lone surrogate cannot be encoded
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["mod.py"]


def test_file_locks_serialise_writers_of_one_file(tmp_path: Path) -> None:
    locks = FileLocks()
    order: list[str] = []

    async def writer(name: str, path: Path) -> None:
        async with locks(path):
            order.append(f"{name}+")
            await asyncio.sleep(0.01)
            order.append(f"{name}-")

    async def main() -> None:
        same = tmp_path / "a.py"
        await asyncio.gather(writer("1", same), writer("2", tmp_path / "." / "a.py"))

    asyncio.run(main())
    assert order in (["1+", "1-", "2+", "2-"], ["2+", "2-", "1+", "1-"])
