"""The escalation dialogue: from a question the bot could not answer to a ticket announced to
the correspondents.

The brain offers the hand-over itself (conversation state ``offer``) and calls ``create`` on the
asker's « oui ». Here: asking for a human in so many words (« correspondant », « je veux parler
à quelqu'un ») with the last question remembered so it need not be repeated, the question asked
for when there is none (state ``ticket_question``), and the ticket's creation and announcement.

Crash safety: the ticket row and its announcement (written to the adapter's outbox through
``brain.outlet``) commit in one transaction; creation is idempotent on the asker's triggering
event id, so a redelivered « oui » never creates a second ticket nor a second announcement.
Without an adapter connected, the announcement stays pending in the ticket row and is delivered
(once) as soon as one is.
"""

from __future__ import annotations

import logging
import re

from ...core import strings
from ...core.brain import Incoming, Reply
from ...core.messages import yes_or_no
from ...answers.textnorm import fold_accents
from . import states
from .context import Context
from .store import PENDING, REFUSED, Ticket

log = logging.getLogger(__name__)

# natural ways of asking for a human (matched on lower-case text without accents)
_HUMAN_PATTERNS = [
    re.compile(r"\b(parler|discuter|echanger|contacter|joindre|ecrire|avoir affaire|etre mis en relation)\b"
               r"[^?.!]{0,30}\b(quelqu ?'? ?un|humain|humaine|vraie personne|personne reelle|correspondante?|"
               r"conseiller|conseillere|agent)\b"),
    re.compile(r"^(je veux |je voudrais |j'aimerais |je souhaite )?(un |une )?(etre )?(humain|vraie personne|"
               r"personne reelle)( svp| s'il vous plait| stp)?$"),
    re.compile(r"\b(passez|passer|transmettez|transmettre)[^?.!]{0,25}\b(a un humain|au correspondant|"
               r"a la correspondante|a quelqu ?'? ?un)\b"),
]


def wants_human(text: str) -> bool:
    folded = fold_accents(text.lower().replace("’", "'")).strip(" .!?")
    return any(p.search(folded) for p in _HUMAN_PATTERNS)


class Dialogue:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.brain = ctx.brain
        self.store = ctx.store
        self.storage = ctx.store.storage
        self._retry_refused = True  # announcements the homeserver refused are tried again once per start
        # other kinds of tickets (access requests): kind -> its part, which stores the details
        # (insert), writes the card (card) and the asker's confirmation (created)
        self.kinds: dict[str, object] = {}

    # -- creation (called by the brain on the asker's « oui ») ------------------------------------
    def _created_text(self, kind: str, number: int, announced: bool) -> str:
        part = self.kinds.get(kind)
        return part.created(number, announced) if part is not None else strings.ticket_created(number, announced)

    def confirm(self, msg: Incoming, ticket: Ticket) -> list[Reply]:
        return [self.brain.reply(msg, self._created_text(ticket.kind, ticket.id, bool(self.ctx.corr_room)))]

    def create(self, msg: Incoming, question: str, guesses: list[str] | None = None, kind: str = "question",
               details: dict | None = None) -> list[Reply]:
        """A new ticket from the asker's « oui » (``msg``), announced with it in one transaction;
        ``kind`` other than a question: its part stores ``details`` in that transaction too."""
        if msg.event_id:
            existing = self.store.by_source(msg.event_id)
            if existing is not None:  # the same « oui » again (redelivery after a crash)
                return self.confirm(msg, existing)
        now = self.store.clock()
        corr = self.ctx.corr_room
        with self.storage.transaction():
            number = self.store.insert(msg, question, guesses or [], corr, now, kind=kind)
            if kind in self.kinds:
                self.kinds[kind].insert(number, details or {})
            if corr is None:
                log.info("ticket %d created; no matrix.correspondents_room configured, not announced", number)
            elif self.brain.outlet is not None:
                self.brain.deliver([self.announcement(self.store.get(number))])  # commits with the ticket
            else:
                self.store.mark_pending(number)
        return [self.brain.reply(msg, self._created_text(kind, number, bool(corr)))]

    def _guess_titles(self, ticket: Ticket) -> list[str]:
        titles = []
        for item_id in ticket.guesses:
            try:
                item = self.ctx.engine.item(item_id)
            except Exception:  # index unavailable: the ids still help
                item = None
            titles.append(item.title if item else item_id)
        return titles

    def announcement(self, ticket: Ticket) -> Reply:
        mentions = sorted(self.brain.correspondents)
        part = self.kinds.get(ticket.kind)
        if part is not None:
            return Reply(room=self.ctx.corr_room, text=part.card(ticket, mentions), kind="info", asker=ticket.asker,
                         payload={"ticket": ticket.id, "ticket_role": "announce", "mentions": mentions})
        text = strings.ticket_announcement(ticket.id, ticket.who, ticket.asker, ticket.question,
                                           self._guess_titles(ticket), [self.brain.platform.mention(m) for m in mentions])
        return Reply(room=self.ctx.corr_room, text=text, kind="info", asker=ticket.asker,
                     payload={"ticket": ticket.id, "ticket_role": "announce", "mentions": mentions})

    # -- announcements: pending, sent, refused ----------------------------------------------------
    def deliver_pending(self) -> int:
        """Announce tickets created while no adapter was connected; each exactly once. Those whose
        announcement the homeserver refused (``announce_pending = 2``: e.g. the bot had been
        removed from the correspondents' room) are tried again at the first call after a start."""
        corr = self.ctx.corr_room
        if self.brain.outlet is None or not corr:
            return 0
        marks = (PENDING, REFUSED) if self._retry_refused else (PENDING, PENDING)
        self._retry_refused = False
        delivered = 0
        for number in self.store.pending(marks):
            with self.storage.transaction():
                if self.store.claim_pending(number, corr, marks):
                    self.brain.deliver([self.announcement(self.store.get(number))])
                    delivered += 1
        return delivered

    def on_sent(self, reply: Reply, event_id: str) -> None:
        payload = reply.payload or {}
        if payload.get("ticket_role") == "announce" and event_id:
            self.store.announced(payload["ticket"], reply.room, event_id)

    def on_failed(self, reply: Reply, reason: str, room_gone: bool) -> None:
        """An announcement refused for good: the ticket is marked unannounced (shown by
        ``tickets``, tried again after the next start), never taken for announced."""
        payload = reply.payload or {}
        if payload.get("ticket_role") != "announce":
            return
        self.store.refused(payload["ticket"], reason)
        log.warning("the announcement of ticket %s was refused (%s); it will be tried again at the next start",
                    payload["ticket"], reason)

    # -- asking for a human -----------------------------------------------------------------------
    def remember_question(self, msg: Incoming, state: dict | None) -> None:
        """While the bot offers a hand-over or suggestions, keep the question: « je veux parler à
        quelqu'un » later needs no repeat, even once that state is gone."""
        if state and state.get("question") and state.get("type") in ("offer", "suggest"):
            guesses = state.get("guesses") or state.get("choices") or []
            self.store.remember_question(msg.room, msg.sender, state["question"], guesses)

    def _last_question(self, msg: Incoming) -> tuple[str | None, list[str]]:
        """The asker's latest question in this room: pending offer or suggestion, else the newest of
        the last question the bot could not answer and the last one it answered."""
        state, _ = self.storage.get_state(msg.room, msg.sender)
        if state and state.get("question"):
            guesses = state.get("guesses") or state.get("choices") or []
            return state["question"], list(guesses)
        found = self.store.recent_questions(msg.room, msg.sender)
        if not found:
            return None, []
        _, question, guesses = max(found, key=lambda f: f[0])
        return question, guesses

    def ask_for_human(self, msg: Incoming, args: str) -> list[Reply]:
        """« correspondant [question] », or a natural phrasing (``wants_human``)."""
        if msg.thread:
            ticket = self.store.by_asker_thread(msg.room, msg.thread)
            if ticket is not None and ticket.asker == msg.sender and ticket.state != states.CLOSED:
                return [self.brain.reply(msg, strings.TICKET_ALREADY.format(n=ticket.id))]
        question, guesses = (args.strip(), []) if args.strip() else self._last_question(msg)
        thread = msg.thread or msg.event_id
        if not question:
            self.storage.set_state(msg.room, msg.sender, {"type": "ticket_question"}, thread)
            return [self.brain.reply(msg, strings.TICKET_ASK_QUESTION)]
        return self._offer(msg, question, guesses)

    def _offer(self, msg: Incoming, question: str, guesses: list[str]) -> list[Reply]:
        self.storage.set_state(msg.room, msg.sender, {"type": "offer", "question": question, "guesses": guesses},
                               msg.thread or msg.event_id)
        return [self.brain.reply(msg, strings.ticket_offer(question), kind="none")]

    def question_for_human(self, msg: Incoming) -> list[Reply] | None:
        """The next message after « correspondant » alone (state ``ticket_question``): the question
        to hand on, « non » to give up; a command (or nothing) drops the request."""
        self.storage.set_state(msg.room, msg.sender, None)
        text = msg.text.strip()
        cmd, _, unknown = self.brain.parse_command(text)
        if not text or cmd is not None or unknown is not None:
            return None
        if yes_or_no(text) is False:
            return [self.brain.reply(msg, strings.ESCALATION_DECLINED)]
        return self._offer(msg, text, [])
