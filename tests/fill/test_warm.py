"""Warm runs give what cold runs give, and no candidate reaches the next one in its zygote.

Every run here is real: real bubblewrap, a real zygote process that forks a real pytest; the
cold runner is the reference each warm result is compared with.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import uuid
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from filler.fill.runner import TestResult, TestRun, run_tests
from filler.fill.sandbox import Limit, Limits, SandboxMode
from filler.fill.warm import WarmRunner, _view
from tests.fill.test_runner import CONFTEST, IDS, STUB, TESTS, body
from tests.helpers.projects import build_file_tree

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="bubblewrap is Linux only")

DESIGNED = Path("tests/test__filler_designed.py")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return build_file_tree(
        tmp_path / "project",
        {
            "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
            "src/pkg/__init__.py": "",
            "src/pkg/mod.py": STUB,
            "tests/__init__.py": "",
            "tests/conftest.py": CONFTEST,
            "tests/test_mod.py": TESTS,
        },
    )


@pytest.fixture
def runner(project: Path) -> WarmRunner:
    return WarmRunner(project, size=1, sandbox=SandboxMode.BWRAP)


def in_turn(
    runner: WarmRunner, *runs: tuple[Mapping[Path, str], list[str]], timeout: float = 10
) -> list[TestRun]:
    """`runs` one after another through `runner` (one zygote serves them all), then close it:
    its zygotes belong to the event loop that started them."""

    async def main() -> list[TestRun]:
        try:
            return [await runner.run_tests(files, ids, timeout=timeout) for files, ids in runs]
        finally:
            await runner.close()

    return asyncio.run(main())


def with_designed(expr: str, designed: str) -> dict[Path, str]:
    return {**body(expr), DESIGNED: designed}


def same_paths(results: tuple[TestResult, ...]) -> tuple[TestResult, ...]:
    """`results` with the run's own directory, which every run names differently, left out."""
    run_dir = re.compile(r"/tmp/filler-(warm|tests)-\w+/(candidate/)?project/")
    return tuple(replace(r, trace=run_dir.sub("", r.trace)) for r in results)


SKIP = "import pytest\n    pytest.skip('not today')"
CASES = {
    "passes": (body("return 2 * x"), IDS),
    "fails": (body("return x + 2"), IDS),
    "raises": (body("raise ValueError('boom')"), IDS),
    "skips": (body(SKIP), IDS),
    "not collected": (body("return 2 * x"), ["tests/test_mod.py::nope"]),
    "syntax error in a designed test": (
        with_designed("return 2 * x", "def test_d(:\n    pass\n"),
        [*IDS, f"{DESIGNED}::test_d"],
    ),
    "designed tests": (
        with_designed(
            "return 2 * x",
            "from pkg.mod import double\n\n\ndef test_d():\n    assert double(0) == 0\n\n\n"
            "def test_e():\n    assert double(1) == 3\n",
        ),
        [*IDS, f"{DESIGNED}::test_d", f"{DESIGNED}::test_e"],
    ),
    "hypothesis": (
        with_designed(
            "return 2 * x",
            # No deadline: an example that runs slow on a loaded machine must not make one run
            # fail where the other passed.
            "from hypothesis import given, settings, strategies as st\n\n"
            "from pkg.mod import double\n\n\n"
            "@settings(deadline=None)\n@given(st.integers())\n"
            "def test_d(x):\n    assert double(x) == 2 * x\n\n\n"
            "@settings(deadline=None)\n@given(st.integers())\n"
            "def test_e(x):\n    assert double(x) == x + 1\n",
        ),
        [f"{DESIGNED}::test_d", f"{DESIGNED}::test_e"],
    ),
    "killed by a limit": (body("import os, signal\n    os.kill(os.getpid(), signal.SIGXCPU)"), IDS),
    "error in a fixture": (
        with_designed(
            "return 2 * x",
            "import pytest\n\n\n@pytest.fixture\ndef broken():\n    raise OSError('no')\n\n\n"
            "def test_d(broken):\n    pass\n",
        ),
        [f"{DESIGNED}::test_d"],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_warm_run_gives_what_a_cold_run_gives(
    project: Path, runner: WarmRunner, case: str
) -> None:
    files, ids = CASES[case]
    [warm] = in_turn(runner, (files, ids))
    cold = asyncio.run(run_tests(project, files, ids, timeout=10, sandbox=SandboxMode.BWRAP))
    assert runner.cold_runs == 0
    assert same_paths(warm.results) == same_paths(cold.results)
    assert (warm.timed_out, warm.limit) == (cold.timed_out, cold.limit)


def test_an_endless_loop_meets_the_cpu_limit_warm(project: Path, runner: WarmRunner) -> None:
    loop = body("while True:\n        pass")
    # The zygote survives its child's limit and serves the next candidate.
    run, after = in_turn(runner, (loop, IDS), (body("return 2 * x"), IDS), timeout=2)
    assert run.limit is Limit.CPU and not run.timed_out
    assert {r.message for r in run.results} == {"stopped by the CPU time limit (2 s)"}
    assert [r.outcome for r in after.results] == ["passed", "passed"]
    assert runner.cold_runs == 0


def test_a_body_that_only_waits_meets_the_wall_clock_limit_warm(
    project: Path, runner: WarmRunner
) -> None:
    wait = body("import time\n    time.sleep(600)\n    return 2 * x")
    [run] = in_turn(runner, (wait, IDS), timeout=0.1)
    assert run.timed_out
    assert {r.message for r in run.results} == {"timed out: 10.3 s of wall-clock time passed"}


def _alive(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if marker in Path(f"/proc/{pid}/cmdline").read_text():
                found.append(int(pid))
        except OSError:
            pass
    return found


def test_what_a_candidate_leaves_does_not_reach_the_next(project: Path, runner: WarmRunner) -> None:
    marker = f"filler-probe-{uuid.uuid4().hex}"
    places = "['/tmp', '/dev/shm', '/dev', os.environ['HOME'], '.', '..', '../..']"
    leave = (
        "import os, subprocess\n"
        f"    subprocess.Popen(['sh', '-c', 'sleep 30; :', '{marker}'], start_new_session=True)\n"
        f"    for place in {places}:\n"
        "        try:\n"
        f"            open(os.path.join(place, '{marker}'), 'w').close()\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 2 * x"
    )
    check = (
        "import os\n"
        f"    left = [p for p in {places} if os.path.exists(os.path.join(p, '{marker}'))]\n"
        "    procs = [p for p in os.listdir('/proc') if p.isdigit()\n"
        f"             and '{marker}' in open(f'/proc/{{p}}/cmdline').read()]\n"
        "    return 2 * x + len(left) + len(procs)"
    )
    try:
        first, second = in_turn(runner, (body(leave), IDS), (body(check), IDS))
        assert [r.outcome for r in first.results] == ["passed", "passed"]
        assert [r.outcome for r in second.results] == ["passed", "passed"], second
        assert runner.cold_runs == 0
        assert _alive(marker) == []
    finally:
        for pid in _alive(marker):
            os.kill(pid, signal.SIGKILL)


def test_a_candidate_that_kills_its_zygote_is_run_again_cold(
    project: Path, runner: WarmRunner
) -> None:
    kill = "import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 2 * x"
    killer, after = in_turn(runner, (body(kill), IDS), (body("return 2 * x"), IDS))
    assert [r.outcome for r in killer.results] == ["passed", "passed"]  # as a cold run says
    assert runner.cold_runs == 1
    assert [r.outcome for r in after.results] == ["passed", "passed"]
    assert runner.cold_runs == 1  # a new zygote served the next one


def test_zygotes_lost_again_and_again_give_way_to_cold_runs(
    project: Path, runner: WarmRunner
) -> None:
    kill = "import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 2 * x"
    runs = in_turn(runner, *[(body(kill), IDS)] * 5)
    assert all([r.outcome for r in run.results] == ["passed", "passed"] for run in runs)
    assert runner.cold_runs == 3  # the last two never tried a zygote


def test_a_candidate_sees_no_other_zygote_and_cannot_kill_init(project: Path) -> None:
    count = (
        "import os, signal\n"
        "    others = [int(p) for p in os.listdir('/proc') if p.isdigit()]\n"
        "    for pid in others:\n"
        "        if pid not in (os.getpid(), os.getppid()):\n"
        "            try:\n"
        "                os.kill(pid, signal.SIGKILL)\n"
        "            except OSError:\n"
        "                pass\n"
        "    return 2 * x + len(others) - 3"  # init, the zygote and this process: nothing else
    )

    async def main(warm: WarmRunner) -> list[TestRun]:
        try:
            runs = [warm.run_tests(body(count), IDS, timeout=10) for _ in range(4)]
            return [
                *await asyncio.gather(*runs),
                await warm.run_tests(body(count), IDS, timeout=10),
            ]
        finally:
            await warm.close()

    warm = WarmRunner(project, size=2, sandbox=SandboxMode.BWRAP)
    runs = asyncio.run(main(warm))
    assert all([r.outcome for r in run.results] == ["passed", "passed"] for run in runs), runs
    assert warm.cold_runs == 0


def test_a_candidate_that_patches_pytest_or_modules_does_not_reach_the_next(
    project: Path, runner: WarmRunner
) -> None:
    patch = (
        "import sys, types, pytest, _pytest.runner\n"
        "    fake = types.ModuleType('pkg.mod')\n"
        "    fake.double = lambda x: 2 * x\n"
        "    sys.modules['pkg.mod'] = fake\n"
        "    pytest.fail = lambda *a, **k: None\n"
        "    _pytest.runner.call_and_report = lambda *a, **k: None\n"
        "    return 2 * x"
    )
    _, wrong = in_turn(runner, (body(patch), IDS), (body("return x + 2"), IDS))
    assert [r.outcome for r in wrong.results] == ["passed", "failed"]
    assert runner.cold_runs == 0


def test_printing_without_end_keeps_only_the_tail_warm(project: Path, runner: WarmRunner) -> None:
    # pytest captures what a test prints; a hostile one writes to every pipe it holds instead.
    flood = (
        "import os, stat\n"
        "    for fd in range(3, 64):\n"
        "        try:\n"
        "            if stat.S_ISFIFO(os.fstat(fd).st_mode):\n"
        "                for _ in range(300):\n"
        "                    os.write(fd, b'x' * 999_999 + b'\\n')\n"
        "        except OSError:\n"
        "            pass\n"
        "    return 2 * x"
    )
    [run] = in_turn(runner, (body(flood), IDS))
    assert run.limit is Limit.OUTPUT
    assert len(run.output) <= 2 * Limits().output


def test_the_project_shows_only_what_a_copy_would_hold(project: Path, runner: WarmRunner) -> None:
    build_file_tree(project, {".git/config": "[secret]\n", ".filler/lock.json": "{}\n"})
    (project / "docs").symlink_to(project / "src")
    hidden = [str(project / ".git/config"), str(project / ".filler")]
    look = (
        "import os\n"
        f"    seen = [p for p in {hidden!r} if os.path.exists(p)]\n"
        f"    shown = os.path.exists({str(project / 'docs/pkg/mod.py')!r})\n"
        "    return 2 * x + len(seen) + (not shown)"
    )
    [run] = in_turn(runner, (body(look), IDS))
    assert [r.outcome for r in run.results] == ["passed", "passed"], run
    assert runner.cold_runs == 0


def test_a_project_module_changed_between_candidates_is_never_run_stale(tmp_path: Path) -> None:
    # The zygote compiles the project's modules once for its children: a module rewritten in
    # the same second, at the same size (what a timestamp-checked .pyc would miss), must be run
    # as it is now.
    project = build_file_tree(
        tmp_path / "project",
        {
            "pyproject.toml": '[project]\nname = "pkg"\nversion = "0"\n',
            "src/pkg/__init__.py": "from pkg import consts\n",
            "src/pkg/consts.py": "FACTOR = 2\n",
            "src/pkg/mod.py": "def double(x: int) -> int:\n    raise NotImplementedError\n",
            "tests/__init__.py": "",
            "tests/test_mod.py": "from pkg import consts\nfrom pkg.mod import double\n\n\n"
            "def test_double():\n    assert double(3) == 3 * consts.FACTOR\n",
        },
    )
    runner = WarmRunner(project, size=1, sandbox=SandboxMode.BWRAP)
    candidate = {Path("src/pkg/mod.py"): "def double(x: int) -> int:\n    return 2 * x\n"}
    ids = ["tests/test_mod.py::test_double"]

    async def main() -> list[TestRun]:
        try:
            runs = [await runner.run_tests(candidate, ids, timeout=10)]
            (project / "src/pkg/consts.py").write_text("FACTOR = 3\n")
            runs.append(await runner.run_tests(candidate, ids, timeout=10))
            return runs
        finally:
            await runner.close()

    before, after = asyncio.run(main())
    assert [r.outcome for r in before.results] == ["passed"], before
    assert [r.outcome for r in after.results] == ["failed"], after  # 6 != 9: consts is new
    assert runner.cold_runs == 0


def test_the_view_links_everything_but_the_candidate(project: Path, tmp_path: Path) -> None:
    (project / ".git").mkdir()
    files = {Path("src/pkg/mod.py"): "x = 1\n", DESIGNED: "y = 2\n"}
    view = _view(project, files, tmp_path / "candidate")
    assert (view / "src/pkg/mod.py").read_text() == "x = 1\n"
    assert not (view / "src/pkg/mod.py").is_symlink()
    assert (view / "src/pkg/__init__.py").is_symlink()
    assert (view / "tests/test_mod.py").resolve() == project / "tests/test_mod.py"
    assert (view / "pyproject.toml").is_symlink() and not (view / ".git").exists()
    assert not (view / "src").is_symlink() and not (view / "tests").is_symlink()


@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no system interpreter")
def test_an_interpreter_without_pytest_runs_cold(project: Path, runner: WarmRunner) -> None:
    python = "/usr/bin/python3"
    probe = subprocess.run([python, "-c", "import pytest"], capture_output=True, check=False)
    if probe.returncode == 0:
        pytest.skip("the system interpreter has pytest")

    async def main() -> tuple[TestRun, TestRun]:
        try:
            files = body("return 2 * x")
            warm = await runner.run_tests(files, IDS, timeout=10, python=python)
            cold = await run_tests(project, files, IDS, timeout=10, python=python)
            return warm, cold
        finally:
            await runner.close()

    warm, cold = asyncio.run(main())
    assert warm.results == cold.results
    assert [r.message for r in warm.results] == ["not collected", "not collected"]
    assert runner.cold_runs == 1


def test_without_the_sandbox_every_run_is_cold(project: Path) -> None:
    warm = WarmRunner(project, size=1, sandbox=SandboxMode.NONE)
    [run] = in_turn(warm, (body("return 2 * x"), IDS))
    assert [r.outcome for r in run.results] == ["passed", "passed"]
    assert warm.cold_runs == 0
