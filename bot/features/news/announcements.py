"""Announcements: ``annonce`` (or an urgent file in the announcements folder) -> a preview ->
« envoyer » (« envoyer à tous » for everyone) -> a broadcast through the outbox; ``rappeler``
takes back the sent messages (the adapter's redactor)."""

from __future__ import annotations

import logging
from typing import Callable

from ...core import strings
from ...core.brain import Brain, Incoming, Reply
from .store import NewsStore
from .text import fold, md_text

log = logging.getLogger(__name__)

DRAFT_TTL = 3600.0  # an announcement preview waits this long for « envoyer »
URGENT_DRAFT_TTL = 86400.0


class Announcements:
    def __init__(self, store: NewsStore, brain: Brain, config, clock: Callable[[], float]):
        self.store = store
        self.brain = brain
        self.config = config
        self.clock = clock

    def recipients(self, topics: list[str]) -> list[dict]:
        """Subscribers an announcement reaches: everyone for no topics, else those whose filter
        (or "all topics") matches one of them; one per room."""
        wanted = {fold(t) for t in topics}
        out, rooms = [], set()
        for sub in self.store.subscribers():
            if wanted and sub["topics"] and not wanted & {fold(t) for t in sub["topics"]}:
                continue
            if sub["room"] not in rooms:
                rooms.add(sub["room"])
                out.append(sub)
        return out

    def create_draft(self, author: str | None, room: str, text: str, topics: list[str], item: dict | None = None,
                     ttl: float = DRAFT_TTL) -> int:
        now = self.clock()
        return self.store.create_draft(author, room, text, topics, item, now, now + ttl)

    def send(self, draft: dict) -> int | None:
        """Broadcast a confirmed draft; returns the number of rooms, None without an adapter."""
        subs = self.recipients(draft["topics"])
        aid = draft["id"]
        text = strings.news_announcement(draft["text"])
        replies = [Reply(room=s["room"], text=text, kind="info",
                         payload={"news_announcement": aid, "news_subscriber": s["id"]}) for s in subs]

        def record() -> None:
            self.store.record_sent(draft, subs, self.clock())

        if not replies:
            self.store.cancel_announcement(aid)
            return 0
        if not self.brain.emit(replies, record=record):
            return None
        return len(replies)

    def recall(self, aid: int | None) -> tuple[str, int]:
        """('recalled' | 'unknown' | 'offline', messages taken back)."""
        if aid is None:
            aid = self.store.latest_sent()
        if aid is None or not self.store.recallable(aid):
            return "unknown", 0
        if self.brain.redactor is None:
            return "offline", 0
        messages = self.store.recall(aid)
        for room, event_id in messages:
            self.brain.redactor(room, event_id, strings.NEWS_RECALL_REASON)
        return "recalled", len(messages)

    def on_sent(self, reply: Reply, event_id: str) -> None:
        """Remember an announcement's messages (to take them back); one sent after its recall
        is taken back at once."""
        aid = (reply.payload or {}).get("news_announcement")
        if aid is None or not event_id:
            return
        state = self.store.record_message(aid, reply.room, event_id)
        if state == "recalled" and self.brain.redactor is not None:  # recalled while being sent
            self.store.mark_redacted(event_id)
            self.brain.redactor(reply.room, event_id, strings.NEWS_RECALL_REASON)

    def announce_urgent_files(self) -> None:
        """An urgent announcement file, new or edited: preview in the correspondents' room."""
        room = self.brain.platform.correspondents_channel()
        for item in self.store.urgent_unannounced(self.clock()):
            if not room:
                log.warning("urgent announcement %s: no matrix.correspondents_room; it goes in the digests",
                            item["id"])
                self.store.mark_announced(item["id"])
                continue
            text = f"**{md_text(item['title'])}**\n\n{item['body']}"
            count = len(self.recipients(item["topics"]))
            preview = strings.news_announce_preview(text, item["topics"], count, urgent_file=item["id"])

            def record(item=item, text=text) -> None:
                self.create_draft(None, room, text, item["topics"], item, URGENT_DRAFT_TTL)
                self.store.mark_announced(item["id"])

            self.brain.emit([Reply(room=room, text=preview, kind="info")], record=record)

    def intercept_confirmation(self, msg: Incoming) -> list[Reply] | None:
        """« envoyer », « envoyer à tous » or « annuler » from a correspondent with a pending draft."""
        text = msg.text.strip()
        if text.lower().startswith(self.brain.prefix.lower()):
            text = text[len(self.brain.prefix):]
        folded = fold(text).strip(" .!")
        if folded not in ("envoyer", "envoyer a tous", "annuler") or not self.brain.is_correspondent(msg.sender):
            return None
        draft = self.store.draft_for(msg.room, msg.sender, self.clock())
        if draft is None:
            return None
        reply = self.brain.reply
        if folded == "annuler":
            self.store.cancel_announcement(draft["id"])
            return [reply(msg, strings.NEWS_ANNOUNCE_CANCELLED)]
        if not draft["topics"] and folded != "envoyer a tous":
            return [reply(msg, strings.NEWS_ANNOUNCE_NEED_ALL)]
        count = self.send(draft)
        if count is None:
            return [reply(msg, strings.NEWS_NOT_CONNECTED, kind="error")]
        if count == 0:
            return [reply(msg, strings.NEWS_ANNOUNCE_NOBODY)]
        return [reply(msg, strings.NEWS_ANNOUNCE_SENT.format(number=draft["id"], count=count))]
