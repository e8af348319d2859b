"""The relay router: a ticket lives in two threads, the asker's and the correspondents'.

In the ticket's thread of the correspondents' room, a correspondent's plain message is relayed
to the asker's thread, signed with their display name, and thread commands (``prendre``,
``clore``…) act on the ticket; any other member of the room is told only correspondents answer.
In the asker's thread, the asker's follow-ups are relayed back (reopening a closed ticket), and
while the ticket is not closed the bot stays quiet there: it does not talk over the human.
"""

from __future__ import annotations

from ...core import strings
from ...core.brain import Incoming, Reply
from . import states
from .commands import THREAD_COMMANDS, is_thread_command
from .context import Context
from .store import Ticket


class Relay:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.brain = ctx.brain
        self.store = ctx.store

    def from_correspondents(self, msg: Incoming, ticket: Ticket) -> list[Reply] | None:
        """A message in the ticket's thread of the correspondents' room."""
        text = msg.text.strip()
        cmd, args, unknown = self.brain.parse_command(text)
        if cmd is not None and cmd.name in THREAD_COMMANDS and is_thread_command(cmd.name, args, self.brain.platform.find_user):
            if not self.brain.is_correspondent(msg.sender):
                return [self.brain.reply(msg, strings.NOT_ALLOWED, kind="error")]
            return cmd.handler(msg, args)
        if unknown is not None or (cmd is not None and cmd.name not in THREAD_COMMANDS):
            return None  # other commands (aide, tickets…): the brain's usual path
        if not text:
            return []
        if not self.brain.is_correspondent(msg.sender):
            # any member of the room may write here; only configured correspondents answer askers
            return [self.brain.reply(msg, strings.RELAY_NOT_CORRESPONDENT, kind="error")]
        return self._to_asker(msg, ticket, text)

    def _to_asker(self, msg: Incoming, ticket: Ticket, text: str) -> list[Reply]:
        self.store.log(ticket.id, "correspondent", msg, text)
        self.store.update(ticket.id, last_answer=text, activity_at=self.store.clock(),
                          assignee=ticket.assignee or msg.sender, state=states.answered(ticket.state))
        name = msg.sender_name or msg.sender
        return [self.ctx.to_asker(ticket, strings.relay_to_asker(name, text))]

    def from_asker(self, msg: Incoming, ticket: Ticket) -> list[Reply] | None:
        """A message in the asker's thread of a ticket."""
        if msg.sender != ticket.asker:
            # someone else in the asker's thread: stay quiet while a human handles it
            return [] if ticket.state != states.CLOSED else None
        text = msg.text.strip()
        cmd, _, unknown = self.brain.parse_command(text)
        if unknown is not None or (cmd is not None and cmd.name not in THREAD_COMMANDS):
            return None  # the asker's own commands (mes questions, aide…) still work
        if not text:
            return []
        reopened = ticket.state == states.CLOSED
        self.store.log(ticket.id, "asker", msg, text)
        fields = {"activity_at": self.store.clock(),
                  "state": states.followed_up(ticket.state, assigned=bool(ticket.assignee))}
        if reopened:
            fields["closed_at"] = None
        self.store.update(ticket.id, **fields)
        replies = []
        relay = self.ctx.to_corr(ticket, strings.relay_to_corr(ticket.id, ticket.who, text, reopened))
        if relay is not None:
            replies.append(relay)
        if reopened:
            replies.append(self.brain.reply(msg, strings.TICKET_REOPENED_ASKER.format(n=ticket.id)))
        return replies
