"""What the core and the features need to know about the chat platform, and nothing more.

The adapter provides it (``brain.platform``): where the correspondents are (a channel where
tickets are announced and urgent announcements previewed), how to name a person so they are
notified (a mention link), how to recognise a person's id in a command (« assigner @… »), and
how many rooms the bot is in, and where to write to one person. Features ask the platform, never the platform's configuration;
a second adapter (or the terminal chat) needs no change in them.
"""

from __future__ import annotations

import re
from typing import Callable


class Platform:
    """The terminal chat's platform, and the default: no correspondents' channel, people named
    by their id, ids as ``@name`` or ``@name:server``, one room."""

    user_id = re.compile(r"@[^\s:]+(?::[^\s]+)?")

    def __init__(self, correspondents_channel: Callable[[], str | None] = lambda: None):
        self._channel = correspondents_channel  # read each time: the configuration may change

    def correspondents_channel(self) -> str | None:
        """Where tickets are announced and urgent announcements previewed (None: nowhere)."""
        return self._channel() or None

    def mention(self, user: str) -> str:
        """Markdown naming ``user`` so that they are notified."""
        return user

    def find_user(self, text: str) -> str | None:
        """The first person's id written in ``text`` (e.g. after « assigner »)."""
        match = self.user_id.search(text)
        return match.group(0).rstrip(".,;:!?") if match else None

    def direct(self, user: str) -> str:
        """Where to send a reply meant for ``user`` alone (``Reply.room``): their direct chat,
        which the adapter finds or opens. Features never need to know its room id; a person's
        answer there comes with ``Incoming.is_direct`` and their id as ``sender``."""
        return user

    def rooms_count(self) -> int:
        return 1
