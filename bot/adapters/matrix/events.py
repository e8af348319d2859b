"""Reading Matrix events: who may invite the bot, mentions, reply fallbacks, threads and
moderator rights. Pure functions, tested without a homeserver."""

from __future__ import annotations

import re

from nio import MatrixRoom, ReactionEvent, RoomMessageText, UnknownEvent

from ...core.brain import Incoming

def server_of(user_id: str) -> str:
    return user_id.split(":", 1)[1] if ":" in user_id else ""


def invite_allowed(inviter: str, own_user_id: str, allowed_servers: list[str], allowed_users: list[str]) -> bool:
    """Join when the inviter is listed, or their server is; with both lists empty, only our own server."""
    if inviter in allowed_users or server_of(inviter) in allowed_servers:
        return True
    if not allowed_servers and not allowed_users:
        return server_of(inviter) == server_of(own_user_id)
    return False


def strip_reply_fallback(body: str) -> str:
    """Drop the ``> <@user> quoted`` lines clients put at the top of a reply's body."""
    lines = body.split("\n")
    if lines and lines[0].startswith("> "):
        while lines and lines[0].startswith(">"):
            lines.pop(0)
        while lines and not lines[0].strip():
            lines.pop(0)
    return "\n".join(lines)


def find_mention(body: str, names: list[str]) -> tuple[bool, str]:
    """(mentioned, text without the mention). ``names``: user id, display names, localpart."""
    text, found = body, False
    for name in sorted({n for n in names if n}, key=len, reverse=True):
        pattern = re.compile(r"(?<![\w@])@?" + re.escape(name) + r"(?![\w-])\s*[:,]?", re.IGNORECASE)
        text, count = pattern.subn(" ", text)
        found = found or count > 0
    return found, re.sub(r"[ \t]+", " ", text).strip()


def is_moderator(room: MatrixRoom, user_id: str, creators: set[str]) -> bool:
    """Power level >= 50; from room version 12 the room's creators are above every power level and
    are not listed in m.room.power_levels (MSC4289)."""
    if room.power_levels.get_user_level(user_id) >= 50:
        return True
    version = str(room.room_version or "1")
    return user_id in creators and version.isdigit() and int(version) >= 12


def thread_root(content: dict) -> str | None:
    rel = content.get("m.relates_to") or {}
    return rel.get("event_id") if rel.get("rel_type") == "m.thread" else None


def to_incoming(room: MatrixRoom, event, direct: bool, own_id: str, own_names: list[str],
                creators: set[str]) -> Incoming | None:
    """What the brain sees of one event: a text message (reply fallback and mention of the bot
    removed, whether it was addressed, the thread, the sender's rights) or a reaction; None for
    anything else (notices of other bots, emotes, media, state, edits)."""
    content = (getattr(event, "source", {}) or {}).get("content", {}) or {}
    if isinstance(event, ReactionEvent) or (isinstance(event, UnknownEvent) and event.type == "m.reaction"):
        rel = content.get("m.relates_to") or {}
        target = getattr(event, "reacts_to", None) or rel.get("event_id")
        key = getattr(event, "key", None) or rel.get("key")
        if not (target and key):
            return None
        return Incoming(sender=event.sender, room=room.room_id, text=key, event_id=event.event_id,
                        is_direct=direct, reaction_to=target, sender_name=room.user_name(event.sender))
    if not isinstance(event, RoomMessageText):
        return None
    if (content.get("m.relates_to") or {}).get("rel_type") == "m.replace":
        return None  # edits: the original was already handled
    body = strip_reply_fallback(event.body or "")
    addressed = False
    if not direct:
        mentioned_ids = (content.get("m.mentions") or {}).get("user_ids") or []
        addressed, body = find_mention(body, own_names)
        addressed = addressed or own_id in mentioned_ids
    return Incoming(sender=event.sender, room=room.room_id, text=body, event_id=event.event_id,
                    thread=thread_root(content), is_direct=direct, addressed=addressed,
                    sender_name=room.user_name(event.sender),
                    sender_is_moderator=is_moderator(room, event.sender, creators))
