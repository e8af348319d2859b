"""Matrix as the core sees it (``bot.core.platform``): the correspondents' room of the config,
mentions as matrix.to links, user ids as ``@localpart:server``."""

from __future__ import annotations

import re
from typing import Callable

from ...core.platform import Platform


class MatrixPlatform(Platform):
    user_id = re.compile(r"@[^\s:]+:[^\s]+")

    def __init__(self, correspondents_room: Callable[[], str | None], rooms_count: Callable[[], int] | None = None):
        super().__init__(correspondents_room)
        self._rooms_count = rooms_count

    def mention(self, user: str) -> str:
        return f"[{user}](https://matrix.to/#/{user})"

    def rooms_count(self) -> int:
        return self._rooms_count() if self._rooms_count else 0
