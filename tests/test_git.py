"""filler.git: real git, its output as text and its failures as the caller's error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from filler.errors import ConfigError, ProjectError
from filler.git import FILLER_IDENTITY, git, run_git


def test_git_returns_the_output_and_takes_the_environment_given(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main", error=ProjectError)
    (tmp_path / "a.txt").write_text("a\n", encoding="utf-8")
    git(tmp_path, "add", "-A", error=ProjectError)
    commit = ("commit", "-q", "--no-verify", "-m", "first")
    git(tmp_path, *commit, error=ProjectError, env=FILLER_IDENTITY)
    assert git(tmp_path, "log", "--format=%an <%ae> %s", error=ProjectError) == (
        "copier-filler <filler@localhost> first\n"
    )


def test_a_failure_is_the_callers_error_with_gits_message(tmp_path: Path) -> None:
    assert run_git(tmp_path, "rev-parse", "--verify", "-q", "HEAD").returncode != 0
    with pytest.raises(
        ConfigError, match=rf"^git rev-parse failed in {re.escape(str(tmp_path))}: fatal: "
    ):
        git(tmp_path, "rev-parse", "HEAD", error=ConfigError)
