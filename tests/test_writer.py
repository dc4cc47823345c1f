"""Atomic writes (the old text or the new, never a mix), one fill per project, and a baseline
that tells which files changed behind a run's back."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from filler.errors import ProjectError
from filler.writer import Baseline, FileLocks, atomic_write, project_lock


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


def test_a_folder_where_the_file_goes_is_one_line_with_advice(tmp_path: Path) -> None:
    (tmp_path / "mod.py").mkdir()
    with pytest.raises(ProjectError, match=r"mod.py is a folder; move it out of the way"):
        atomic_write(tmp_path / "mod.py", "new\n")
    assert [p.name for p in tmp_path.iterdir()] == ["mod.py"]  # no temporary file left


def test_a_file_where_the_folder_goes_is_one_line_with_advice(tmp_path: Path) -> None:
    (tmp_path / "src").write_text("")
    with pytest.raises(ProjectError, match=r"a file stands where .*src/pkg should be a folder"):
        atomic_write(tmp_path / "src" / "pkg" / "mod.py", "new\n")


def test_the_project_lock_refuses_a_second_holder_and_names_the_first(tmp_path: Path) -> None:
    state = tmp_path / ".filler"
    with project_lock(tmp_path, state):
        with pytest.raises(ProjectError) as refused, project_lock(tmp_path, state):
            pass
        assert str(refused.value) == (
            f"another fill is running on {tmp_path} (pid {os.getpid()}); "
            "wait for it to end, or stop it"
        )
    with project_lock(tmp_path, state):  # released at the end of the block
        pass
    assert list(state.iterdir()) == []  # the folder is locked: no file that git would see


def test_the_project_lock_goes_with_a_killed_process(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from filler.writer import project_lock\n"
         f"with project_lock(Path({str(tmp_path)!r}), Path({str(tmp_path / '.filler')!r})):\n"
         "    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    refused = pytest.raises(ProjectError, match=rf"\(pid {holder.pid}\)")
    with refused, project_lock(tmp_path, tmp_path / ".filler"):
        pass
    holder.kill()
    holder.wait()
    with project_lock(tmp_path, tmp_path / ".filler"):
        pass


def test_a_baseline_names_the_files_changed_created_or_removed_since(tmp_path: Path) -> None:
    (tmp_path / "mod.py").write_text("a\n")
    (tmp_path / "test_mod.py").write_text("t\n")
    paths = [Path("mod.py"), Path("test_mod.py"), Path("conftest.py")]
    baseline = Baseline.of(tmp_path, paths)
    assert baseline.changed(paths) == []
    atomic_write(tmp_path / "mod.py", "b\n")
    baseline.wrote(Path("mod.py"), "b\n")  # the run's own write is not a change
    assert baseline.changed(paths) == []
    (tmp_path / "conftest.py").write_text("import pytest\n")
    (tmp_path / "test_mod.py").unlink()
    assert baseline.changed(paths) == [Path("test_mod.py"), Path("conftest.py")]
