"""Generated code runs confined: each probe here is something a hostile body could do unconfined.

Every probe runs through the real runner (real bwrap, real subprocesses) on a tiny project, and
what it tried is checked from outside: files of the project, the real home and /tmp, processes
left in /proc, a loopback listener, the child's environment, filler's own memory.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from filler.errors import ConfigError
from filler.fill.runner import TestRun, run_script, run_tests
from filler.fill.sandbox import (
    Confinement,
    Layout,
    Limit,
    Limits,
    SandboxMode,
    bwrap_argv,
    fallback_notice,
    host_layout,
)
from filler.fill.warm import WarmRunner
from tests.helpers.projects import CHECKOUT, build_file_tree

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="bubblewrap is Linux only")
BOTH_MODES = pytest.mark.parametrize("mode", [SandboxMode.BWRAP, SandboxMode.NONE])
# Each probe runs as a cold demo run, and as a test in a warm runner's zygote.
BOTH_RUNNERS = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])

SCRIPT = Path("examples/probe.py")
MODULE = "def double(x: int) -> int:\n    return 2 * x\n"
SECRETS = {
    "AWS_SECRET_ACCESS_KEY": "aws-5ecret",
    "PGPASSWORD": "pg-5ecret",
    "DATABASE_URL": "postgres://u:db-5ecret@host/db",
    "SSH_AUTH_SOCK": "/tmp/ssh-5ecret/agent.1",
    "GROQ_API_KEY": "gsk-5ecret",
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = build_file_tree(
        tmp_path / "project",
        {
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": MODULE,
            "tests/test_mod.py": "from pkg.mod import double\n\n\ndef test_double():\n"
            "    assert double(2) == 4\n",
        },
    )
    monkeypatch.chdir(root)  # as `filler fill .` runs: the parent's cwd is the project
    return root


def probe(
    project: Path,
    code: str,
    mode: SandboxMode = SandboxMode.BWRAP,
    timeout: float = 30,
    warm: bool = False,
) -> str:
    """Run `code` as a demo script of `project`, or in a test of a warm runner; its output."""
    if warm:
        return asyncio.run(warm_probe(project, code, mode, timeout))
    run = asyncio.run(run_script(project, {SCRIPT: code}, SCRIPT, timeout=timeout, sandbox=mode))
    return run.output


PROBE_TEST = Path("tests/test_probe.py")


async def warm_probe(project: Path, code: str, mode: SandboxMode, timeout: float) -> str:
    """`code` run by a test in a zygote; what it printed, which the test fails with."""
    test = f"""import contextlib, io, pytest


def test_probe():
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile({code!r}, "probe.py", "exec"), {{"__name__": "__main__"}})
    pytest.fail(printed.getvalue(), pytrace=False)
"""
    runner = WarmRunner(project, size=1, sandbox=mode)
    try:
        run = await runner.run_tests(
            {PROBE_TEST: test}, [f"{PROBE_TEST}::test_probe"], timeout=timeout
        )
    finally:
        await runner.close()
    assert runner.cold_runs == 0
    return run.results[0].trace


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@linux_only
@BOTH_RUNNERS
def test_the_real_project_is_out_of_reach(project: Path, warm: bool) -> None:
    # Only a tree holding this marker is touched, should the probe get out: never another's.
    marker = f".filler-probe-{uuid.uuid4().hex}"
    (project / marker).write_text("")
    before = tree(project)
    code = f"""import os, pathlib
roots = [pathlib.Path({str(project)!r})]
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            roots.append(pathlib.Path(os.readlink(f"/proc/{{pid}}/cwd")))
        except OSError:
            pass
for root in roots:
    if root != pathlib.Path.cwd() and (root / "{marker}").exists():
        try:
            (root / "src/pkg/mod.py").write_text("broken")
            (root / "tests/test_mod.py").unlink()
            print("reached", root)
        except OSError as exc:
            print("refused", exc)
"""
    output = probe(project, code, warm=warm)
    assert "reached" not in output
    assert tree(project) == before


@linux_only
@BOTH_RUNNERS
def test_only_the_copy_is_writable_and_home_is_absent(project: Path, warm: bool) -> None:
    marker = f"filler-probe-{uuid.uuid4().hex}"
    home = Path.home()
    targets = [home / marker, Path("/tmp") / marker, CHECKOUT / marker, Path("/usr") / marker]
    code = f"""import os, pathlib
for target in {[str(t) for t in targets]!r} + ["/{marker}", "/etc/{marker}"]:
    try:
        pathlib.Path(target).write_text("x")
        print("wrote", target)
    except OSError:
        pass
pathlib.Path("{marker}").write_text("x")  # the copy itself
print("home", os.path.expanduser("~") != {str(home)!r})
print("sees", [p for p in ({str(home / ".bashrc")!r}, {str(CHECKOUT / "pyproject.toml")!r})
               if os.path.exists(p)])
"""
    try:
        output = probe(project, code, warm=warm)
        assert not [t for t in targets if t.exists()]
    finally:
        for target in targets:
            target.unlink(missing_ok=True)
    assert "home True" in output
    assert "sees []" in output
    assert "wrote /tmp" in output  # a private /tmp, gone with the run


@linux_only
@BOTH_MODES
@BOTH_RUNNERS
def test_secrets_stay_outside(
    project: Path, mode: SandboxMode, warm: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    # Without the sandbox /proc shows the host's processes: only the child's own environment
    # is then the runner's to guard.
    scan_proc = mode is SandboxMode.BWRAP
    code = f"""import os
seen = "\\n".join(os.environ.values())
if {scan_proc}:
    for pid in os.listdir("/proc"):
        try:
            seen += open(f"/proc/{{pid}}/environ", errors="replace").read()
        except OSError:
            pass
print("leaked", [v for v in {list(SECRETS.values())!r} if v in seen], len(os.environ))
"""
    output = probe(project, code, mode, warm=warm)
    assert "leaked []" in output


@linux_only
@BOTH_RUNNERS
def test_no_connection_reaches_a_loopback_listener(project: Path, warm: bool) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        code = f"""import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"stolen")
    print("sent")
except OSError as exc:
    print("refused", exc)
"""
        output = probe(project, code, warm=warm)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    assert "refused" in output


def _processes_with(marker: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and marker in Path(f"/proc/{pid}/cmdline").read_text():
                found.append(int(pid))
        except OSError:
            pass
    return found


async def forks_run(project: Path, files: dict[Path, str], ids: list[str], warm: bool) -> TestRun:
    if not warm:
        return await run_tests(project, files, ids, timeout=30)
    runner = WarmRunner(project, size=1)
    try:  # the zygote is still up when the run is over: what the candidate started is not
        return await runner.run_tests(files, ids, timeout=30)
    finally:
        await runner.close()


@linux_only
@BOTH_RUNNERS
def test_no_process_outlives_the_run(project: Path, warm: bool) -> None:
    marker = f"filler-probe-{uuid.uuid4().hex}"
    forks = f"""import subprocess


def test_forks():
    for _ in range(50):
        subprocess.Popen(["sh", "-c", "sleep 30; :", "{marker}"])
    subprocess.Popen(["setsid", "sh", "-c", "sleep 30; :", "{marker}"], start_new_session=True)
"""
    test = Path("tests/test_forks.py")
    try:
        run = asyncio.run(forks_run(project, {test: forks}, [f"{test}::test_forks"], warm))
        assert [r.outcome for r in run.results] == ["passed"]
        deadline = time.monotonic() + 2
        while _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_with(marker) == []
    finally:
        for pid in _processes_with(marker):
            os.kill(pid, signal.SIGKILL)


@linux_only
@BOTH_MODES
@BOTH_RUNNERS
def test_two_gib_cannot_be_allocated(project: Path, mode: SandboxMode, warm: bool) -> None:
    code = """try:
    bytearray(2 * 1024**3)
except MemoryError:
    print("refused")
"""
    assert probe(project, code, mode, warm=warm) == "refused"


@linux_only
@BOTH_MODES
@BOTH_RUNNERS
def test_a_200_mb_file_cannot_be_written(project: Path, mode: SandboxMode, warm: bool) -> None:
    code = """try:
    open("big", "wb").write(bytes(200_000_000))
except OSError as exc:
    print("refused", exc)
"""
    assert "refused [Errno 27] File too large" in probe(project, code, mode, warm=warm)


@linux_only
@BOTH_MODES
@BOTH_RUNNERS
def test_the_limits_are_set_in_the_child(project: Path, mode: SandboxMode, warm: bool) -> None:
    code = """import resource
for name in ("RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_CORE"):
    print(name, *resource.getrlimit(getattr(resource, name)))
"""
    output = probe(project, code, mode, timeout=9.5, warm=warm)
    limits = Limits()
    assert f"RLIMIT_AS {limits.memory} {limits.memory}" in output
    assert f"RLIMIT_FSIZE {limits.file_size} {limits.file_size}" in output
    assert "RLIMIT_CPU 10 11" in output  # SIGXCPU at 10 s, SIGKILL a second later
    assert "RLIMIT_CORE 0 0" in output


@linux_only
@BOTH_MODES
def test_a_run_killed_by_a_limit_says_which(project: Path, mode: SandboxMode) -> None:
    code = "import os, signal\nos.kill(os.getpid(), signal.SIGXCPU)\n"
    run = asyncio.run(run_script(project, {SCRIPT: code}, SCRIPT, timeout=30, sandbox=mode))
    assert not run.ok
    assert run.limit is Limit.CPU
    assert "stopped by the CPU time limit" in run.output


MEASURE = """import asyncio, sys
from pathlib import Path
from filler.fill.runner import run_script
from filler.fill.sandbox import SandboxMode

def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

before = peak()
script = Path("examples/probe.py")
mode = SandboxMode(sys.argv[2])
run = asyncio.run(run_script(Path(sys.argv[1]), {}, script, timeout=60, sandbox=mode))
print(peak() - before, run.limit, len(run.output), run.output.splitlines()[0][:40])
"""


@linux_only
def test_printing_300_mb_leaves_filler_small(project: Path) -> None:
    flood = "import sys\nfor _ in range(300):\n    sys.stdout.write('x' * 999_999 + '\\n')\n"
    build_file_tree(project, {str(SCRIPT): flood})
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, str(project), SandboxMode.BWRAP],
        capture_output=True,
        text=True,
        check=True,
    )
    growth, limit, length, first = measured.stdout.split(maxsplit=3)
    assert int(growth) < 32 * 1024 * 1024
    assert limit == Limit.OUTPUT
    assert int(length) <= 2 * Limits().output
    assert first.startswith("[output over the 1048576 byte limit")


def test_forced_bwrap_without_bwrap_is_a_config_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError, match=r"apt-get install bubblewrap.*--sandbox none"):
        asyncio.run(run_script(project, {}, SCRIPT, timeout=30, sandbox=SandboxMode.BWRAP))
    with pytest.raises(ConfigError, match="bwrap is not installed"):
        fallback_notice(SandboxMode.BWRAP)


@BOTH_RUNNERS
def test_auto_without_bwrap_runs_with_limits_and_says_so(
    project: Path, warm: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    notice = fallback_notice(SandboxMode.AUTO)
    assert notice is not None and "bwrap is not installed" in notice
    assert fallback_notice(SandboxMode.NONE) is None
    code = "import resource\nprint(resource.getrlimit(resource.RLIMIT_FSIZE)[0])\n"
    assert probe(project, code, SandboxMode.AUTO, warm=warm) == str(Limits().file_size)


def test_the_bwrap_command_line_binds_only_the_run_directory_writable() -> None:
    layout = Layout(
        read_only=(Path("/usr"), Path("/etc/passwd"), Path("/tmp/x/project/.venv")),
        symlinks=(("usr/bin", Path("/bin")),),
    )
    argv = bwrap_argv("bwrap", layout, Path("/tmp/run"), Path("/tmp/run/project"))
    assert argv == [
        "bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
        "--symlink", "usr/bin", "/bin",
        "--ro-bind", "/usr", "/usr",
        "--ro-bind", "/etc/passwd", "/etc/passwd",
        "--ro-bind", "/tmp/x/project/.venv", "/tmp/x/project/.venv",
        "--bind", "/tmp/run", "/tmp/run",
        "--remount-ro", "/",
        "--chdir", "/tmp/run/project",
        "--",
    ]  # fmt: skip


@linux_only
def test_a_venv_inside_a_project_is_shown_without_the_project() -> None:
    layout = host_layout(sys.executable)
    venv = Path(sys.executable).parent.resolve().parent
    assert venv in layout.read_only
    assert not [p for p in layout.read_only if venv.is_relative_to(p) and p != venv]
    assert Path("/usr") in layout.read_only
    assert Path("/etc") not in layout.read_only


def test_a_limit_is_read_from_the_exit_status() -> None:
    confined, plain = Confinement((), sandboxed=True), Confinement((), sandboxed=False)
    assert confined.limit_of(128 + signal.SIGXCPU) is Limit.CPU
    assert confined.limit_of(128 + signal.SIGXFSZ) is Limit.FILE_SIZE
    assert plain.limit_of(-signal.SIGXCPU) is Limit.CPU
    assert plain.limit_of(128 + signal.SIGXCPU) is None  # a plain exit status
    assert confined.limit_of(1) is None and confined.limit_of(None) is None
