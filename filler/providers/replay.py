"""Replies from a JSON file instead of a model: reproducible fills, and the test double.

The replies file maps each call's key (`filler.providers.base.replies_key`: the unit id, or
`<unit id>#tests` for its designed tests, or `plan`) to the raw replies of those calls, in
order: `{"textkit.tokenize:word_tokens": ["<reply>", ...], ...}`. Each call takes the next
reply of its key; when none is left, the call fails with `NoReply` naming the key, so an
empty file proves that a run made no calls.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

from filler.errors import ConfigError, NoReply
from filler.providers.base import Provider, ProviderSettings, Reply, Request, Usage

__all__ = ["ReplayProvider", "load_replies"]


def load_replies(path: Path) -> dict[str, list[str]]:
    """Read and check a replies file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"replies file {path} does not exist (check --replies)") from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"replies file {path} cannot be read as JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(replies, list) and all(isinstance(reply, str) for reply in replies)
        for replies in data.values()
    ):
        raise ConfigError(
            f'replies file {path} must map unit ids to lists of strings: {{"pkg.mod:f": ["..."]}}'
        )
    return data


class ReplayProvider(Provider):
    """Answers each call with the next reply recorded under its key."""

    name = "replay"
    default_model = "replay"
    calls_network = False

    def __init__(self, settings: ProviderSettings) -> None:
        super().__init__(settings)
        if not settings.replies_path:
            raise ConfigError("the replay provider needs a replies file: pass --replies FILE")
        replies = load_replies(Path(settings.replies_path))
        self._left = {unit: deque(texts) for unit, texts in replies.items()}

    async def complete(self, request: Request) -> Reply:
        left = self._left.get(request.replies_key)
        if not left:
            raise NoReply(
                f"no reply left for {request.replies_key} in {self.settings.replies_path}",
                provider=self.name,
            )
        text = left.popleft()
        prompt = " ".join(message.content for message in request.messages)
        return Reply(
            text=text,
            finish_reason="stop",
            usage=Usage(len(prompt.split()), len(text.split())),
            latency_s=0.0,
            model=self.name,
        )
