"""What goes in and out of the brain, whatever the platform: ``Incoming`` (one message or
reaction from a person) and ``Reply`` (what the bot says), the limits on both, and the words
people answer a yes/no question with."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..answers.textnorm import fold_accents

NUMBER_REACTIONS = {"1️⃣": 1, "2️⃣": 2, "3️⃣": 3, "4️⃣": 4, "5️⃣": 5}
THUMBS = {"👍": 1, "👍️": 1, "👎": -1, "👎️": -1}
YES = {"oui", "o", "ok", "yes", "d'accord", "daccord", "volontiers", "oui merci", "oui svp", "oui stp", "ouais", "go"}
NO = {"non", "n", "no", "non merci", "pas la peine", "laisse tomber", "annuler"}


def yes_or_no(text: str) -> bool | None:
    """True for a « oui » (in its usual forms), False for a « non », None for anything else."""
    folded = fold_accents(text.lower()).strip(" .!?")
    return True if folded in YES else False if folded in NO else None


NONE_OF_THEM = {"aucune", "aucun", "aucune des trois", "aucune ne convient", "rien", "non", "aucune de ces questions"}

# What the bot reads of a question: a longer message is answered on its first MAX_QUESTION_CHARS
# characters and the reply starts by saying so (strings.QUESTION_TOO_LONG), so the asker knows
# the rest was not read. Commands keep their whole text (an announcement, a FAQ answer).
MAX_QUESTION_CHARS = 2000
# What the bot sends: the text of a reply (and, in the Matrix adapter, its HTML rendering) is cut
# to this many bytes as the Matrix client encodes it (JSON, non-ASCII escaped), ending with an
# ellipsis. Body and HTML together then stay far below Matrix's 65,536-byte event limit, even
# once encrypted (base64 adds a third).
MAX_REPLY_BYTES = 16_000
MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024  # a file the bot sends (a chart, a report): homeservers cap uploads
ELLIPSIS = "…"


@dataclass
class Incoming:
    """One message (or reaction) from a person, as the brain sees it."""

    sender: str
    room: str
    text: str = ""
    event_id: str | None = None
    thread: str | None = None  # root of the thread the message was posted in
    is_direct: bool = True  # direct chat: every message is for the bot
    addressed: bool = False  # group room: the bot was mentioned (adapter strips the mention)
    sender_name: str | None = None
    reaction_to: str | None = None  # for a reaction: the event reacted to; ``text`` is the key
    sender_is_moderator: bool = False  # group room: the sender may moderate it (Matrix power level >= 50)


@dataclass
class Reply:
    """What the bot says. ``text`` is Markdown; adapters render it.

    ``room`` is a room id, or a person's id (``brain.platform.direct(user)``): the adapter
    delivers it in its direct chat with that person, opening one if there is none yet.
    ``attachment`` sends a file instead of a text message, ``text`` being its caption:
    ``{"path": absolute path, "name": file name, "mimetype": "image/png"[, "width": px,
    "height": px]}``; the file must stay in place until the reply is sent (the outbox keeps the
    path, not the bytes)."""

    room: str
    text: str
    thread: str | None = None  # thread root to answer in
    reply_to: str | None = None  # event replied to (when threads are off)
    reactions: list[str] = field(default_factory=list)  # reactions the bot puts on its own message
    kind: str = "info"  # answer | suggest | none | info | help | error
    asker: str | None = None
    payload: dict = field(default_factory=dict)  # remembered with the sent message id
    attachment: dict | None = None  # a file sent with ``text`` as its caption (see above)


def wire_size(text: str) -> int:
    """Bytes ``text`` takes in a Matrix event as the client encodes it (JSON, ASCII-escaped)."""
    return len(json.dumps(text)) - 2


def clip_text(text: str, limit: int = MAX_REPLY_BYTES) -> str:
    """``text`` if it fits in ``limit`` bytes (``wire_size``), else its longest beginning that
    fits with an ellipsis after it."""
    if wire_size(text) <= limit:
        return text
    budget = limit - wire_size(ELLIPSIS)
    low, high = 0, len(text)  # the longest prefix that fits lies in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if wire_size(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + ELLIPSIS
