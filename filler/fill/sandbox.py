"""Where generated code runs: a bubblewrap sandbox on Linux, and resource limits everywhere.

A candidate body is code nobody has read yet, and its tests, demos and designed tests run it. In
the sandbox the code sees its run directory (the one writable place), the interpreter and the
system read-only, a private /tmp, /proc and /dev, and nothing else: no network, no $HOME, no
original project, no process of the host. When its first process exits, the PID namespace takes
every process it started along. Its environment is an allow-list given to bwrap itself, so not
even the sandbox's PID 1 holds a secret, and it has no capability, even when filler runs as root.

Where bubblewrap cannot start (no user namespaces, macOS), `auto` runs the same command with the
same environment and limits only; `fallback_notice` is the one line that says so.
"""

from __future__ import annotations

import functools
import math
import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from filler.errors import ConfigError

__all__ = [
    "Confinement",
    "Layout",
    "Limit",
    "Limits",
    "SandboxMode",
    "bwrap_argv",
    "bwrap_for",
    "bwrap_problem",
    "confine",
    "fallback_notice",
    "host_layout",
    "limit_of_signal",
    "passed_env",
    "private_env",
]

_MiB = 1024 * 1024


class SandboxMode(StrEnum):
    """`--sandbox`: bubblewrap when it can start (`auto`), always (`bwrap`), or never (`none`)."""

    AUTO = "auto"
    BWRAP = "bwrap"
    NONE = "none"


class Limit(StrEnum):
    """A limit that stopped a run or cut its output, as a report words it."""

    CPU = "CPU time"
    FILE_SIZE = "file size"
    OUTPUT = "output"


@dataclass(frozen=True)
class Limits:
    """What one run may use; CPU seconds follow from its timeout."""

    memory: int = 2048 * _MiB  # address space of each process: pytest and hypothesis fit
    file_size: int = 64 * _MiB  # largest file a process may write
    output: int = 1 * _MiB  # output kept (the tail); the rest is read and dropped


@dataclass(frozen=True)
class Layout:
    """What the sandbox shows of the host besides the run directory, each at its own path."""

    read_only: tuple[Path, ...]  # bound read-only
    symlinks: tuple[tuple[str, Path], ...] = ()  # (target, link), as on the host: /bin -> usr/bin


@dataclass(frozen=True)
class Confinement:
    """A command ready to run confined, and how to read which limit its exit status means."""

    argv: tuple[str, ...]
    sandboxed: bool

    def limit_of(self, returncode: int | None) -> Limit | None:
        """The limit whose signal killed the command, if one did."""
        if returncode is None:
            return None
        if returncode < 0:
            return limit_of_signal(-returncode)
        if self.sandboxed and returncode > 128:  # bwrap says 128 + signal, like a shell
            return limit_of_signal(returncode - 128)
        return None


def limit_of_signal(signum: int) -> Limit | None:
    """The limit that `signum` enforces, if it is a limit's signal."""
    return _LIMIT_SIGNALS.get(signum)


_LIMIT_SIGNALS: dict[int, Limit] = {signal.SIGXCPU: Limit.CPU, signal.SIGXFSZ: Limit.FILE_SIZE}

# The system as the sandbox sees it: directories read-only, or the symlinks a usr-merged system
# has in their place, and the few files of /etc that Python, pytest and the dynamic loader read.
_SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_ETC_PATHS = (
    "/etc/alternatives",
    "/etc/group",
    "/etc/hosts",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
)
_ISOLATION = ("--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL")
# An allow-list, not a filter of known secret names: a deny-list misses AWS_SECRET_ACCESS_KEY,
# DATABASE_URL or SSH_AUTH_SOCK, and whatever name the next credential has.
_PASSED_ENV = re.compile(r"PATH|LANG|LANGUAGE|LC_[A-Z]+|TZ|PYTHONHASHSEED")

# Run by the interpreter itself (`python -I -S -c`) before it becomes the command: the limits
# are set in the process that then execs, with no fork-time hook in filler's own threads. A
# limit the platform refuses (the address space on macOS) is skipped; the others still hold.
_SET_LIMITS = """\
import os, resource, sys
end = sys.argv.index("--")
for limit in sys.argv[1:end]:
    name, value = limit.split("=")
    # A CPU limit whose hard value equals the soft one kills with SIGKILL, which says nothing:
    # one second of grace makes it SIGXCPU, which the runner reports as the CPU limit.
    hard = int(value) + 1 if name == "RLIMIT_CPU" else int(value)
    try:
        resource.setrlimit(getattr(resource, name), (int(value), hard))
    except (ValueError, OSError):
        pass
os.execvp(sys.argv[end + 1], sys.argv[end + 1 :])
"""


def bwrap_argv(bwrap: str, layout: Layout, workdir: Path, cwd: Path) -> list[str]:
    """The bubblewrap command line that precedes the confined command.

    `workdir` is the only writable bind; the new root itself is remounted read-only last, so
    the directories bwrap creates for the binds cannot be written either.
    """
    argv = [bwrap, *_ISOLATION, "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for target, link in layout.symlinks:
        argv += ["--symlink", target, str(link)]
    for path in layout.read_only:  # after /tmp: a project's venv may live there
        argv += ["--ro-bind", str(path), str(path)]
    argv += ["--bind", str(workdir), str(workdir), "--remount-ro", "/", "--chdir", str(cwd)]
    return [*argv, "--"]


def host_layout(python: str) -> Layout:
    """The system paths of this host and what `python` needs, for `bwrap_argv`."""
    read_only: list[Path] = []
    symlinks: list[tuple[str, Path]] = []
    for name in (*_SYSTEM_PATHS, *_ETC_PATHS):
        path = Path(name)
        if path.is_symlink():
            symlinks.append((os.readlink(path), path))
        elif path.exists():
            read_only.append(path)
    shown = tuple(read_only)
    for prefix in _interpreter_dirs(Path(shutil.which(python) or python)):
        if prefix not in read_only and not any(prefix.is_relative_to(p) for p in shown):
            read_only.append(prefix)
    return Layout(tuple(read_only), tuple(symlinks))


def _interpreter_dirs(python: Path) -> list[Path]:
    """The environment `python` belongs to and the installation its standard library is in.

    Only these, never a parent: a project's `.venv` lives inside the project, which must stay
    out of sight.
    """
    prefix = python.parent.resolve().parent
    dirs = [prefix, python.resolve().parent.parent]
    config = prefix / "pyvenv.cfg"
    if config.is_file():  # a venv of copies rather than symlinks names its base here
        for line in config.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "home":
                dirs.append(Path(value.strip()).resolve().parent)
    return dirs


def private_env(workdir: Path, pythonpath: Sequence[Path]) -> dict[str, str]:
    """The environment of a confined run: an allow-list, with HOME and TMPDIR inside `workdir`.

    Those two directories are created here; the same environment serves both modes, so code
    under test never writes to the real home or /tmp even without the sandbox.
    """
    home, tmp = workdir / "home", workdir / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    return passed_env() | {
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "PYTHONPATH": os.pathsep.join(map(str, pythonpath)),
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def passed_env() -> dict[str, str]:
    """The variables of filler's environment that generated code may see: no secret."""
    return {key: value for key, value in os.environ.items() if _PASSED_ENV.fullmatch(key)}


def confine(
    python: str,
    args: Sequence[str],
    *,
    workdir: Path,
    cwd: Path,
    timeout: float,
    limits: Limits,
    mode: SandboxMode,
) -> Confinement:
    """`python args` under `limits`, in the sandbox unless `mode` says or finds otherwise.

    Raises ConfigError when `mode` is `bwrap` and bubblewrap cannot start.
    """
    settings = {
        "RLIMIT_AS": limits.memory,
        "RLIMIT_FSIZE": limits.file_size,
        "RLIMIT_CPU": math.ceil(timeout),
        "RLIMIT_CORE": 0,
    }
    assignments = [f"{name}={value}" for name, value in settings.items()]
    command = [python, "-I", "-S", "-c", _SET_LIMITS, *assignments, "--", python, *args]
    bwrap = bwrap_for(mode)
    if bwrap is None:
        return Confinement(tuple(command), sandboxed=False)
    sandbox = bwrap_argv(bwrap, host_layout(python), workdir, cwd)
    return Confinement((*sandbox, *command), sandboxed=True)


def fallback_notice(mode: SandboxMode) -> str | None:
    """The line to show once per run when `auto` finds no sandbox; None when there is nothing
    to say. Raises ConfigError when `mode` is `bwrap` and bubblewrap cannot start."""
    if mode is SandboxMode.NONE or bwrap_for(mode) is not None:
        return None
    return f"no sandbox for generated code ({bwrap_problem()}): it runs with resource limits only"


def bwrap_for(mode: SandboxMode) -> str | None:
    """The bwrap to run under `mode`, or None to run with limits only.

    Raises ConfigError when `mode` is `bwrap` and bubblewrap cannot start.
    """
    if mode is SandboxMode.NONE:
        return None
    bwrap = shutil.which("bwrap")
    problem = _probe(bwrap)
    if problem is None:
        return bwrap
    if mode is SandboxMode.BWRAP:
        raise ConfigError(
            f"--sandbox bwrap: bubblewrap cannot start ({problem}); install it "
            "(apt-get install bubblewrap), allow unprivileged user namespaces, "
            "or choose --sandbox none"
        )
    return None


def bwrap_problem() -> str | None:
    """Why bubblewrap cannot start here, or None when it can; probed once per bwrap found."""
    return _probe(shutil.which("bwrap"))


@functools.cache
def _probe(bwrap: str | None) -> str | None:
    if bwrap is None:
        return "bwrap is not installed"
    # The namespaces and mounts every run asks for: where one is refused, so is every run.
    argv = [bwrap, *_ISOLATION, "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        probe = subprocess.run(
            argv, capture_output=True, text=True, env={}, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if probe.returncode == 0:
        return None
    lines = probe.stderr.strip().splitlines()
    return lines[0] if lines else f"bwrap exited with {probe.returncode}"
