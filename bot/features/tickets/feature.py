"""The ticket feature as the rest of the bot sees it: the object the brain hands a question over
to (``brain.escalation``, ``app.tickets``), the interceptor that routes each message to the part
that handles it, the scheduled jobs, and what « oublier mes données » removes."""

from __future__ import annotations

import logging

from ...core import strings
from ...core.brain import Incoming, Reply
from . import states
from .access import AccessRequests
from .commands import Commands
from .context import Context
from .dialogue import Dialogue, wants_human
from .learned import LearnedFaq
from .relay import Relay
from .store import Ticket, TicketStore

log = logging.getLogger(__name__)


class Tickets:
    def __init__(self, app):
        self.app = app
        self.brain = app.brain
        self.storage = app.storage
        self.config = app.config
        self.store = TicketStore(app.storage)
        self.ctx = Context(app, self.store)
        self.dialogue = Dialogue(self.ctx)
        self.relay = Relay(self.ctx)
        self.learned = LearnedFaq(self.ctx)
        self.commands = Commands(self.ctx, self.learned)
        self.access = AccessRequests(self.ctx, self.dialogue, self.commands)

    @property
    def clock(self):
        """The time every part stamps its writes with (tests replace it to move time)."""
        return self.store.clock

    @clock.setter
    def clock(self, value) -> None:
        self.store.clock = value

    # -- what the brain, the adapters and the tests call ------------------------------------------
    def get(self, number: int) -> Ticket | None:
        return self.store.get(number)

    def by_source(self, event_id: str) -> Ticket | None:
        return self.store.by_source(event_id)

    def create(self, msg: Incoming, question: str, guesses: list[str] | None = None) -> list[Reply]:
        """The asker said « oui » to the hand-over offer (called by the brain)."""
        return self.dialogue.create(msg, question, guesses)

    def deliver_pending(self) -> int:
        return self.dialogue.deliver_pending()

    # -- the interceptor --------------------------------------------------------------------------
    def intercept(self, msg: Incoming) -> list[Reply] | None:
        """Every text message, before the brain: replies take it over, None lets the brain go on."""
        try:
            self.deliver_pending()  # tickets created while no adapter was connected, announced now
        except Exception:
            log.exception("delivering pending ticket announcements failed")
        if msg.event_id and (done := self.store.by_source(msg.event_id)) is not None:
            return self.dialogue.confirm(msg, done)  # a redelivered « oui »: the ticket exists
        state, _ = self.storage.get_state(msg.room, msg.sender)
        self.dialogue.remember_question(msg, state)
        if state and state.get("type") == "ticket_question":
            # the question asked for by « correspondant » alone. Not a brain.on_state handler: those
            # run after the interceptors and only for addressed messages that are no command, so a
            # command would leave the request pending (the next remark becoming the question), the
            # answer « je veux parler à quelqu'un » would ask again, and an unaddressed answer in
            # a group room would go unseen
            return self.dialogue.question_for_human(msg)
        if (ticket := self.ctx.corr_thread_ticket(msg)) is not None:
            return self.relay.from_correspondents(msg, ticket)
        if msg.thread and (ticket := self.store.by_asker_thread(msg.room, msg.thread)) is not None:
            return self.relay.from_asker(msg, ticket)
        if msg.is_direct or msg.addressed:
            if wants_human(msg.text):
                return self.dialogue.ask_for_human(msg, "")
            return self.commands.question_not_command(msg)
        return None

    # -- privacy ----------------------------------------------------------------------------------
    def count_held(self, user: str) -> list[tuple[str, int]]:
        return [(strings.FORGET_TICKETS, len(self.store.tickets(include_closed=True, asker=user))),
                (strings.FORGET_ACCESS, self.access.count_held(user))]

    def forget(self, user: str) -> list[Reply]:
        """Delete a person's tickets (with their messages; access requests with their details), their messages in other tickets and
        their remembered questions; a learned FAQ entry that kept their question word for word
        loses it (the whole entry when it was its main question). Runs in the caller's
        transaction; returns notices for the correspondents."""
        notices = []
        with self.storage.transaction():
            mine = self.store.tickets(include_closed=True, asker=user, kind=None)
            for ticket in mine:
                if ticket.corr_thread and ticket.state != states.CLOSED:
                    notice = self.ctx.to_corr(ticket, strings.TICKET_FORGOTTEN_CORR.format(n=ticket.id))
                    if notice is not None:
                        notices.append(notice)
            notices += self.learned.forget(mine)
            self.store.forget(user, [ticket.question for ticket in mine])
        return notices

    # -- scheduled jobs ---------------------------------------------------------------------------
    def auto_close(self, now: float | None = None) -> int:
        """Close answered tickets silent for ``tickets.auto_close_days`` days, telling the asker.
        Waits for an adapter (the notice must go out with the change)."""
        if self.brain.outlet is None:
            return 0
        now = self.clock() if now is None else now
        days = self.config.tickets.auto_close_days
        cutoff = states.auto_close_cutoff(now, days)
        closed = 0
        for ticket in self.store.silent_answered(cutoff):  # the query narrows, the rule decides
            if not states.auto_close_due(ticket.state, ticket.activity_at, now, days):
                continue
            replies = [self.ctx.to_asker(ticket, strings.TICKET_AUTO_CLOSED_ASKER.format(n=ticket.id, days=days))]
            corr = self.ctx.to_corr(ticket, strings.TICKET_AUTO_CLOSED_CORR.format(n=ticket.id, days=days))
            if corr is not None:
                replies.append(corr)
            with self.storage.transaction():
                if self.store.auto_close(ticket.id, cutoff, now):
                    self.brain.deliver(replies)
                    closed += 1
        if closed:
            log.info("auto-closed %d answered ticket(s)", closed)
        return closed

    def purge_expired(self, now: float | None = None) -> int:
        """Delete tickets older than the retention period (the core records are purged by App.purge)."""
        now = self.clock() if now is None else now
        deleted = self.store.purge(now - self.config.retention_days * states.DAY)
        if deleted:
            log.info("retention: deleted %d ticket(s) older than %d days", deleted, self.config.retention_days)
        return deleted
