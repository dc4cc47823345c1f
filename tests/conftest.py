"""Fixtures shared by every test module live in tests/helpers/; this file only registers them,
keeps every test away from the user's own cache, and lets child processes see Ctrl-C."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

pytest_plugins = ["tests.helpers.projects"]


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`filler new` keeps the bundled template as a git repository in the user's cache; tests
    use a cache of their own (one per session, shared by every test of it)."""
    with pytest.MonkeyPatch.context() as patcher:
        patcher.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        yield


@pytest.fixture(autouse=True, scope="session")
def _ctrl_c_reaches_children() -> Iterator[None]:
    """A shell that starts the suite in the background (`make test &`, nohup, some CI runners)
    ignores SIGINT in it; children inherit that across exec and Python then never raises
    KeyboardInterrupt, so the Ctrl-C tests would test nothing. Handled, it resets on exec."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
