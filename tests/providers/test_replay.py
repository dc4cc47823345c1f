"""The replay provider: replies from a JSON file, in call order per unit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from filler.errors import ConfigError, NoReply
from filler.providers.base import Message, ProviderSettings, Purpose, Reply, Request, replies_key
from filler.providers.replay import ReplayProvider


def replay(path: Path) -> ReplayProvider:
    return ReplayProvider(ProviderSettings(replies_path=str(path)))


def ask(
    provider: ReplayProvider, unit: str, prompt: str = "fill it in", purpose: Purpose = Purpose.FILL
) -> Reply:
    return asyncio.run(provider.complete(Request((Message("user", prompt),), unit, purpose)))


def write(tmp_path: Path, replies: object) -> Path:
    path = tmp_path / "replies.json"
    path.write_text(json.dumps(replies), encoding="utf-8")
    return path


def test_the_keys_of_a_replies_file() -> None:
    """A file format that recordings already use: it does not change."""
    assert replies_key(Purpose.FILL, "pkg.a:f") == "pkg.a:f"
    assert replies_key(Purpose.DESIGN_TESTS, "pkg.a:f") == "pkg.a:f#tests"
    assert replies_key(Purpose.PLAN) == "plan"
    assert Request((), "pkg.a:f", Purpose.DESIGN_TESTS).replies_key == "pkg.a:f#tests"


def test_each_unit_gets_its_replies_in_order(tmp_path: Path) -> None:
    provider = replay(
        write(tmp_path, {"pkg.a:f": ["first", "second"], "pkg.a:f#tests": ["def test_f(): ..."]})
    )
    assert ask(provider, "pkg.a:f").text == "first"
    assert ask(provider, "pkg.a:f", purpose=Purpose.DESIGN_TESTS).text == "def test_f(): ..."
    assert ask(provider, "pkg.a:f").text == "second"


def test_plan_calls_take_the_plan_replies(tmp_path: Path) -> None:
    provider = replay(write(tmp_path, {"plan": ["round 1", "round 2"]}))
    assert [ask(provider, "", purpose=Purpose.PLAN).text for _ in range(2)] == [
        "round 1",
        "round 2",
    ]


def test_reply_is_the_raw_text_with_a_whitespace_token_count(tmp_path: Path) -> None:
    raw = "```python\ndef f():\n    return 1\n```  \n"
    reply = ask(replay(write(tmp_path, {"pkg.a:f": [raw]})), "pkg.a:f", prompt="three word prompt")
    assert reply == Reply(
        text=raw,
        finish_reason="stop",
        usage=reply.usage,
        latency_s=0.0,
        model="replay",
    )
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (3, 6)


def test_a_unit_with_no_reply_left_fails_naming_it(tmp_path: Path) -> None:
    provider = replay(write(tmp_path, {"pkg.a:f": ["only"]}))
    ask(provider, "pkg.a:f")
    with pytest.raises(NoReply, match=r"no reply left for pkg\.a:f in .*replies\.json"):
        ask(provider, "pkg.a:f")
    with pytest.raises(NoReply, match=r"pkg\.a:g"):
        ask(provider, "pkg.a:g")


def test_an_empty_file_proves_no_call_was_made(tmp_path: Path) -> None:
    provider = replay(write(tmp_path, {}))
    with pytest.raises(NoReply):
        ask(provider, "pkg.a:f")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "does not exist"),
        ("{not json", "cannot be read as JSON"),
        ('["a list"]', "must map unit ids to lists of strings"),
        ('{"pkg.a:f": "not a list"}', "must map unit ids to lists of strings"),
        ('{"pkg.a:f": [1]}', "must map unit ids to lists of strings"),
    ],
)
def test_a_bad_replies_file_is_a_config_error(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "replies.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem):
        replay(path)


def test_no_replies_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--replies FILE"):
        ReplayProvider(ProviderSettings())
