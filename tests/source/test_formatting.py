"""filler.source.formatting: the installed ruff formats code with the project's settings."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from filler.errors import ProjectError
from filler.source.formatting import format_or_keep, format_python

CALL = "result = some_function(first_argument, second_argument, third_argument)\n"
WITH = (
    'with open("aaaaaaaaaaaaaaaaaa") as a, open("bbbbbbbbbbbbbbbbbbbbbb") as b, '
    'open("cccccccccccccccccc") as c:\n    pass\n'
)


def test_code_comes_back_formatted_and_formatting_is_idempotent() -> None:
    formatted = format_python("x = {'a':1,\n  'b':[1,2]}\ndef f( a ):\n  return a\n")
    assert formatted == 'x = {"a": 1, "b": [1, 2]}\n\n\ndef f(a):\n    return a\n'
    assert format_python(formatted) == formatted


def test_line_length_is_honoured() -> None:
    assert format_python(CALL) == CALL
    assert format_python(CALL, line_length=40) == (
        "result = some_function(\n"
        "    first_argument,\n    second_argument,\n    third_argument,\n)\n"
    )


def test_target_version_is_honoured() -> None:
    # Parenthesized context managers need Python 3.9+, so ruff only writes them from py39 on.
    assert format_python(WITH, target_version="py310").startswith("with (\n")
    assert format_python(WITH, target_version="py38").startswith("with open(")


def test_an_unknown_target_version_is_a_project_error() -> None:
    with pytest.raises(ProjectError, match="ruff could not format the code"):
        format_python(CALL, target_version="py99")


def test_unicode_survives_whatever_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "C")
    monkeypatch.setenv("PYTHONIOENCODING", "ascii")
    assert format_python("s = 'héllo 🎉 日本'\n") == 's = "héllo 🎉 日本"\n'


def test_code_that_does_not_parse_is_a_project_error() -> None:
    with pytest.raises(ProjectError, match=r"ruff could not format the code: .*module\.py:1"):
        format_python("def broken(:\n")


def test_configuration_around_the_caller_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ruff.toml").write_text('line-length = 20\n[format]\nquote-style = "single"\n')
    monkeypatch.chdir(tmp_path)
    assert format_python("x = 'a'\n" + CALL) == 'x = "a"\n' + CALL


def _ruff_servers() -> list[int]:
    """This process's `ruff server` children."""
    children: set[str] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        children |= set((task / "children").read_text().split())
    return [
        int(pid)
        for pid in children
        if b"server" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    ]


def test_format_or_keep_formats_through_one_server_and_keeps_what_does_not_parse() -> None:
    assert format_or_keep("x = {'a':1}\n", line_length=60) == 'x = {"a": 1}\n'
    servers = _ruff_servers()
    assert format_or_keep("def broken(:\n", line_length=60) == "def broken(:\n"
    assert format_or_keep(CALL, line_length=40) == format_python(CALL, line_length=40)
    assert format_or_keep(CALL, line_length=60) == format_python(CALL, line_length=60)
    assert len(_ruff_servers()) == len(servers) + 1  # one more, for the other line length


def test_format_or_keep_still_formats_when_its_server_dies() -> None:
    format_or_keep("x = 1\n", line_length=70)
    before = set(_ruff_servers())
    format_or_keep("x = 1\n", line_length=71)
    (started,) = set(_ruff_servers()) - before
    os.kill(started, signal.SIGKILL)
    assert format_or_keep("x = {'a':1}\n", line_length=71) == 'x = {"a": 1}\n'
    assert format_or_keep("def broken(:\n", line_length=71) == "def broken(:\n"
