"""Fixtures shared by every test module live in tests/helpers/; this file only registers them,
and keeps every test away from the user's own cache."""

from __future__ import annotations

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
