"""`--record FILE`: save every raw reply so that a fill can be replayed byte for byte.

The file has the replies-file shape the `replay` provider reads. It is rewritten atomically
(`filler.writer.atomic_write`) after every call, so a crash keeps what was recorded. A call's
place in its key's list is taken when the call starts, as `replay` hands replies out in call
order, even when several calls of one unit (samples) finish out of order.
"""

from __future__ import annotations

import json
from pathlib import Path

from filler.providers.base import Provider, Reply, Request
from filler.writer import atomic_write

__all__ = ["Recording"]


class _Slot:
    """One call's place in its key's list; `text` is None until the reply is in."""

    text: str | None = None


class Recording(Provider):
    """Forwards every call to `inner` and records its reply under the request's replies key."""

    def __init__(self, inner: Provider, path: Path) -> None:
        super().__init__(inner.settings)
        self.name = inner.name
        self.prompt_style = inner.prompt_style
        self.inner = inner
        self.path = path
        self._slots: dict[str, list[_Slot]] = {}

    @property
    def model(self) -> str:
        return self.inner.model

    async def complete(self, request: Request) -> Reply:
        slot = _Slot()
        slots = self._slots.setdefault(request.replies_key, [])
        slots.append(slot)
        try:
            reply = await self.inner.complete(request)
        except BaseException:
            slots.remove(slot)
            raise
        slot.text = reply.text
        self._save()
        return reply

    async def aclose(self) -> None:
        # A run that made no call still leaves its (empty) recording behind.
        self._save()
        await self.inner.aclose()

    def _save(self) -> None:
        recorded = {
            key: [slot.text for slot in slots if slot.text is not None]
            for key, slots in self._slots.items()
        }
        text = json.dumps({key: texts for key, texts in recorded.items() if texts}, indent=2)
        atomic_write(self.path, text + "\n")
