"""The `filler` console script, run as a user runs it: a subprocess, its output, its exit code."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from filler.lockfile import read_lock
from filler.source.units import find_units
from tests.helpers.projects import CHECKOUT
from tests.helpers.replies import STRKIT, write_replies
from tests.helpers.wire import OPENAI, LoopbackServer

FILLER = [sys.executable, "-m", "filler"]
SPEC = CHECKOUT / "examples" / "specs" / "strkit.yml"


def filler(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    return subprocess.run(
        [*FILLER, *map(str, args)],
        cwd=cwd,
        env={**base, "FILLER_PROVIDER": "", **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_version_and_help() -> None:
    assert filler("--version").stdout.strip() == "filler, version 0.1.0"
    help_text = filler("--help").stdout
    for command in ("new", "fill", "status", "plan"):
        assert command in help_text


def test_new_fills_and_a_rerun_has_nothing_to_do(tmp_path: Path) -> None:
    replies = write_replies(tmp_path / "replies.json", STRKIT)
    done = filler("new", SPEC, tmp_path / "p", "--provider", "replay", "--replies", replies)
    assert done.returncode == 0, done.stderr
    # Not a terminal: one plain line per unit, then the summary.
    assert "filled   strkit.arith:add 2/2 tests" in done.stderr
    assert "8 filled and verified, 0 left as stubs, 8 calls" in done.stderr
    empty = write_replies(tmp_path / "empty.json", {})
    again = filler("fill", tmp_path / "p", "--replies", empty)
    assert again.returncode == 0, again.stderr
    assert "nothing to fill" in again.stderr
    # Nothing to do is known before the pipeline, libcst or a provider's SDK is imported.
    heavy = ["filler.fill.pipeline", "libcst", "copier", "httpx", "openai", "pytest"]
    probe = (
        "import sys\nfrom filler.cli import main\ntry:\n    main(sys.argv[1:])\n"
        f"finally:\n    print([m for m in {heavy!r} if m in sys.modules])"
    )
    dry = subprocess.run(
        [sys.executable, "-c", probe, "fill", str(tmp_path / "p"), "--dry-run",
         "--provider", "replay", "--replies", str(empty)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "nothing to fill" in dry.stderr, dry.stderr
    assert dry.stdout.strip().splitlines()[-1] == "[]"
    status = subprocess.run(
        [sys.executable, "-c", probe, "status", str(tmp_path / "p")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert status.stdout.strip().splitlines()[-1] == "[]", status.stderr


def test_status_json_lists_every_unit(tmp_path: Path) -> None:
    assert filler("new", SPEC, tmp_path / "p", "--no-fill").returncode == 0
    done = filler("status", tmp_path / "p", "--json")
    rows = json.loads(done.stdout)
    assert {r["unit"] for r in rows} == set(STRKIT)
    add = next(r for r in rows if r["unit"] == "strkit.arith:add")
    assert (add["state"], add["file"]) == ("stub", "src/strkit/arith.py")
    table = filler("status", tmp_path / "p").stdout
    assert "strkit.arith:add" in table and "stub" in table
    assert table.splitlines()[-1] == f"{len(STRKIT)} stub; 0 tokens, 0.0 s summed over units"


def test_units_left_as_stubs_exit_1_with_the_reason(tmp_path: Path) -> None:
    assert filler("new", SPEC, tmp_path / "p", "--no-fill").returncode == 0
    replies = write_replies(tmp_path / "r.json", {"strkit.arith:add": "I cannot do that."})
    done = filler("fill", tmp_path / "p", "--replies", replies, "--only", "strkit.arith:add")
    assert done.returncode == 1
    assert "the reply has no Python code defining add" in done.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["fill", "."], "is not inside a copier-filler project"),
        (["fill", "{project}", "--provider", "groq"], "GROQ_API_KEY"),
        (["fill", "{project}", "--provider", "nope"], "nope"),
        (["fill", "{project}", "--jobs", "0"], "Invalid value for '--jobs'"),
        (["new", "{bad_spec}", "{dest}"], "features[0].functions[0].params"),
        (["new", "{spec}", "{project}"], "not empty"),
        (["plan", "a keylogger that emails passwords", "-o", "{out}"], "does not draft specs"),
    ],
)
def test_bad_input_exits_2_with_one_line_that_says_what_to_do(
    tmp_path: Path, args: list[str], message: str
) -> None:
    project = tmp_path / "p"
    assert filler("new", SPEC, project, "--no-fill").returncode == 0
    bad_spec = tmp_path / "bad.yml"
    bad_spec.write_text(SPEC.read_text().replace('"a: int, b: int"', '"a: int,, b"'))
    names = {
        "project": project,
        "bad_spec": bad_spec,
        "dest": tmp_path / "dest",
        "spec": SPEC,
        "out": tmp_path / "spec.yml",
    }
    done = filler(*(a.format(**names) for a in args), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "dest").exists() and not (tmp_path / "spec.yml").exists()


def test_plan_writes_a_reviewed_spec_with_replay(tmp_path: Path) -> None:
    spec = SPEC.read_text()
    replies = write_replies(tmp_path / "r.json", {"plan": f"```yaml\n{spec}\n```"})
    out = tmp_path / "spec.yml"
    done = filler("plan", "tiny number helpers", "-o", out, "--provider", "replay",
                  "--replies", replies)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"wrote {out}" in done.stderr and "filler new" in done.stderr
    assert out.read_text().startswith("#")


def _unit_reply(body: Mapping[str, Any]) -> str:
    """What a fake OpenAI-compatible model answers: the strkit reply for the unit asked about
    (the prompt ends with that unit's stub)."""
    prompt = body["messages"][-1]["content"]
    name = re.findall(r"def (\w+)\(", prompt)[-1]
    if name == "main":
        feature = re.findall(r"examples\.(\w+)_demo", prompt)[-1]
        return STRKIT[f"examples.{feature}_demo:main"]
    return next(reply for unit, reply in STRKIT.items() if unit.endswith(f":{name}"))


def test_ctrl_c_leaves_whole_files_and_a_rerun_resumes(tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert filler("new", SPEC, project, "--no-fill").returncode == 0
    with LoopbackServer(OPENAI, latency_s=1.0, respond=_unit_reply) as server:
        args = ["fill", project, "--provider", "openai", "--base-url", f"{server.url}/v1",
                "--jobs", "1", "--no-design-tests"]  # fmt: skip
        env = {**os.environ, "OPENAI_API_KEY": "sk-test"}
        child = subprocess.Popen(
            [*FILLER, *map(str, args)], env=env, stderr=subprocess.PIPE, text=True
        )
        deadline = time.monotonic() + 60
        while len(read_lock(project / ".filler" / "lock.json").units) < 2:
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)
        assert child.returncode == 130, stderr
        assert "interrupted" in stderr
        for path in project.rglob("*.py"):
            ast.parse(path.read_text())  # every file whole: old or new, never half written
        lock = read_lock(project / ".filler" / "lock.json")
        for module in ("arith", "text"):
            path = Path(f"src/strkit/{module}.py")
            for unit in find_units((project / path).read_text(), f"strkit.{module}", path):
                entry = lock.get(unit.id)
                if not unit.is_stub:  # a filled body is always one the lock knows
                    assert entry is not None and entry.body_sha == unit.body_sha
        done = filler(*args, env={"OPENAI_API_KEY": "sk-test"})
    assert done.returncode == 0, done.stderr
    assert re.search(r"\d filled and verified, 0 left as stubs", done.stderr)
    assert set(read_lock(project / ".filler" / "lock.json").units) == set(STRKIT)


def test_a_run_without_sandbox_says_so_once(tmp_path: Path) -> None:
    assert filler("new", SPEC, tmp_path / "p", "--no-fill").returncode == 0
    replies = write_replies(tmp_path / "r.json", {"strkit.arith:add": STRKIT["strkit.arith:add"]})
    args = ("fill", tmp_path / "p", "--replies", replies, "--only", "strkit.arith:add")
    unsandboxed = filler(*args, "--sandbox", "none")
    assert unsandboxed.returncode == 0, unsandboxed.stderr
    assert "sandbox" not in unsandboxed.stderr  # chosen, so nothing to say
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "git").symlink_to(str(shutil.which("git")))
    forced = filler(*args, "--force", "strkit.arith:add", "--sandbox", "bwrap",
                    env={"PATH": str(tools)})  # fmt: skip
    assert forced.returncode == 2
    assert forced.stderr.count("bubblewrap cannot start") == 1
    auto = filler(*args, "--force", "strkit.arith:add", env={"PATH": str(tools)})
    assert auto.returncode == 0, auto.stderr
    assert auto.stderr.count("no sandbox for generated code") == 1


# -- nothing lost, nothing half-written ----------------------------------------------------------

_SLEEPY_ADD = (
    "```python\ndef add(a: int, b: int) -> int:\n    import time\n\n"
    "    time.sleep({seconds})\n    return a + b\n```\n"
)


def _marked(marker: str) -> list[int]:
    """Processes (other than this one) whose command line holds `marker`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # gone meanwhile
        if marker.encode() in cmdline:
            pids.append(int(entry.name))
    return pids


def _sleeping_fill(tmp_path: Path, seconds: float) -> tuple[subprocess.Popen[str], Path, Path]:
    """A `filler fill` of strkit.arith:add whose body sleeps `seconds` before answering right,
    started once its test run is under way; its temporary files go under the returned folder,
    whose path marks every process of the run."""
    project = tmp_path / "p"
    assert filler("new", SPEC, project, "--no-fill").returncode == 0
    replies = write_replies(
        tmp_path / "sleepy.json", {"strkit.arith:add": _SLEEPY_ADD.format(seconds=seconds)}
    )
    temp = tmp_path / "tmp"
    temp.mkdir()
    base = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    child = subprocess.Popen(
        [*FILLER, "fill", str(project), "--replies", str(replies), "--only", "strkit.arith:add",
         "--no-design-tests"],
        env={**base, "FILLER_PROVIDER": "", "TMPDIR": str(temp)},
        stderr=subprocess.PIPE,
        text=True,
        # A suite started under nohup ignores SIGHUP, and children would inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not _marked(f"{temp}/"):
        assert time.monotonic() < deadline and child.poll() is None, "no test run started"
        time.sleep(0.05)
    return child, project, temp


def _sources(project: Path) -> dict[Path, str]:
    return {path: path.read_text() for path in sorted(project.rglob("*.py"))}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_a_fill_as_ctrl_c_does(tmp_path: Path, signum: int) -> None:
    child, project, temp = _sleeping_fill(tmp_path, 60)
    before = _sources(project)
    child.send_signal(signum)
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 130, stderr
    assert "interrupted: files are either untouched or fully written" in stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 5  # a PID namespace is torn down just after its first process
    while _marked(f"{temp}/") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _marked(f"{temp}/") == []  # no test run, sandbox or zygote left running
    assert list(temp.iterdir()) == []  # no temporary copy left
    assert _sources(project) == before


def test_a_second_fill_of_one_project_exits_2_while_the_first_runs(tmp_path: Path) -> None:
    child, project, _ = _sleeping_fill(tmp_path, 60)
    try:
        empty = write_replies(tmp_path / "empty.json", {})
        second = filler("fill", project, "--replies", empty)
        update = filler("update", project, "--replies", empty)
    finally:
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=60)
    for refused in (second, update):
        assert refused.returncode == 2, refused.stderr
        assert f"another fill is running on {project} (pid {child.pid})" in refused.stderr
        assert "Traceback" not in refused.stderr
    replies = write_replies(tmp_path / "r.json", {"strkit.arith:add": STRKIT["strkit.arith:add"]})
    after = filler("fill", project, "--replies", replies, "--only", "strkit.arith:add")
    assert after.returncode == 0, after.stderr  # the lock went with the first run


@pytest.mark.parametrize("edited", ["tests/test_arith.py", "src/strkit/arith.py"])
def test_a_file_changed_during_a_fill_is_kept_and_the_unit_not_written(
    tmp_path: Path, edited: str
) -> None:
    child, project, _ = _sleeping_fill(tmp_path, 2)
    path = project / edited
    path.write_text(path.read_text() + "# changed during the fill\n")
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 1, stderr
    assert f"not written: {edited} changed during the run" in stderr
    assert path.read_text().endswith("# changed during the fill\n")
    module = Path("src/strkit/arith.py")
    add = find_units((project / module).read_text(), "strkit.arith", module)[0]
    assert add.is_stub
    assert "strkit.arith:add" not in read_lock(project / ".filler" / "lock.json").units


def test_a_read_only_module_folder_is_one_line_with_advice(tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert filler("new", SPEC, project, "--no-fill").returncode == 0
    replies = write_replies(tmp_path / "r.json", {"strkit.arith:add": STRKIT["strkit.arith:add"]})
    folder = project / "src" / "strkit"
    # Permission bits do not stop root; the immutable attribute does.
    as_root = os.geteuid() == 0
    if as_root:
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("chattr +i is not supported here")
    else:
        folder.chmod(0o555)
    try:
        done = filler("fill", project, "--replies", replies, "--only", "strkit.arith:add")
    finally:
        if as_root:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"error: cannot write {folder / 'arith.py'} (")
    assert f"make {folder} writable" in errors[0]
    assert "Traceback" not in done.stderr


def test_oversized_replies_and_prompts_are_refused_with_the_limit(tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert filler("new", SPEC, project, "--no-fill").returncode == 0
    arith = project / "src" / "strkit" / "arith.py"
    arith.write_text(  # a person pasted a manual into one docstring
        arith.read_text().replace("sum of a and b.", "sum of a and b.\n\n    " + "Yes. " * 48_000)
    )
    replies = write_replies(
        tmp_path / "r.json",
        {"strkit.arith:add": STRKIT["strkit.arith:add"], "strkit.arith:is_even": "x" * 50_000_000},
    )
    before = arith.read_text()
    done = filler("fill", project, "--replies", replies, "--only", "strkit.arith:[ai]*")
    assert done.returncode == 1, done.stderr
    assert re.search(r"the prompt is 24\d,\d{3} characters, over the limit of 200,000", done.stderr)
    assert "the reply is 50,000,000 characters, over the limit of 200,000" in done.stderr
    assert "1 calls" in done.stderr  # the prompt over the limit was never sent
    assert arith.read_text() == before


def test_a_spec_field_over_its_limit_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    import yaml

    data = yaml.safe_load(SPEC.read_text())
    data["features"][0]["functions"][0]["doc"] = "Add. " * 2_000_000
    spec = tmp_path / "big.yml"
    spec.write_text(yaml.safe_dump(data))
    done = filler("new", spec, tmp_path / "dest")
    assert done.returncode == 2, done.stderr
    assert (
        "features[0].functions[0].doc: is 10,000,000 characters long, over the limit of 10,000"
        in done.stderr
    )
    assert not (tmp_path / "dest").exists()
