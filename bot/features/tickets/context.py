"""What every part of the ticket feature works with: the app (brain, engine, configuration), the
ticket store, where the correspondents are, and the two ways out of a ticket (to the asker's
thread, to the correspondents' thread)."""

from __future__ import annotations

from ...core.brain import Incoming, Reply
from .store import Ticket, TicketStore


class Context:
    def __init__(self, app, store: TicketStore):
        self.app = app
        self.brain = app.brain
        self.config = app.config
        self.store = store

    @property
    def engine(self):
        return self.app.engine

    @property
    def corr_room(self) -> str | None:
        """The correspondents' channel, as the platform says (read each time)."""
        return self.brain.platform.correspondents_channel()

    def corr_thread_ticket(self, msg: Incoming) -> Ticket | None:
        """The ticket whose thread in the correspondents' room ``msg`` was written in, if any."""
        corr = self.corr_room
        if corr and msg.room == corr and msg.thread:
            return self.store.by_corr_thread(msg.thread)
        return None

    def to_asker(self, ticket: Ticket, text: str) -> Reply:
        return Reply(room=ticket.room, text=text, thread=ticket.thread, kind="info", asker=ticket.asker,
                     payload={"ticket": ticket.id, "mentions": [ticket.asker]})

    def to_corr(self, ticket: Ticket, text: str) -> Reply | None:
        """A message in the ticket's thread of the correspondents' room (None: there is none)."""
        room = ticket.corr_room or self.corr_room
        if not room:
            return None
        return Reply(room=room, text=text, thread=ticket.corr_thread, kind="info", payload={"ticket": ticket.id})
