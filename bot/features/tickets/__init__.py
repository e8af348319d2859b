"""Escalation to the Pix correspondents ("tickets").

When the bot cannot answer, the asker's question becomes a ticket: a database row (the source of
truth) announced as a thread root in the correspondents' room. In that thread a correspondent's
plain messages are relayed to the asker's thread, signed with their display name, and the asker's
follow-ups are relayed back; thread commands (``prendre``, ``assigner``, ``note``, ``clore``,
``rouvrir``, ``faq``) manage the ticket. While a ticket is not closed the bot stays quiet in the
asker's thread (it does not talk over the human).

The parts, each on its own:

- ``store``: the tables, the ``Ticket`` row and every SQL statement (also read by ``pixbot tickets``);
- ``states``: the states and their transitions, the auto-close rule (pure, no database);
- ``dialogue``: asking for a human, the ticket's creation and its announcement (crash-safe);
- ``relay``: the correspondents' thread <-> the asker's thread;
- ``commands``: prendre, assigner, note, clore, rouvrir, faq, tickets, mes questions;
- ``access``: access requests to Pix Orga / Pix Certif (tickets of kind ``access``): the
  dialogue, accepter / refuser / invité, demandes, mes demandes, the export;
- ``learned``: the learned-FAQ file the ``faq`` command writes, and its cleanup on « oublier »;
- ``feature``: what the brain calls (``Tickets``): the interceptor, the jobs, privacy.

Scheduled jobs: auto-close of answered tickets silent for ``tickets.auto_close_days`` days,
deletion of tickets older than ``retention_days``, and (every minute, and before each message)
announcement of tickets created while no adapter was connected.
"""

from __future__ import annotations

from functools import partial

from ...core.brain import Forgetter
from .commands import THREAD_COMMANDS, parse_faq_args
from .dialogue import wants_human
from .feature import Tickets
from .learned import LearnError, faq_entry_id
from .states import DAY, STATES
from .report import access_section, handed_on_questions, tickets_section
from .store import MIGRATIONS, Ticket, get_ticket, list_tickets, migrate, ticket_messages

__all__ = ["DAY", "MIGRATIONS", "STATES", "THREAD_COMMANDS", "LearnError", "Ticket", "Tickets", "faq_entry_id",
           "get_ticket", "install", "list_tickets", "migrate", "parse_faq_args", "ticket_messages", "wants_human"]


def install(app) -> Tickets:
    migrate(app.storage)
    tickets = Tickets(app)
    brain = app.brain
    brain.escalation = tickets
    brain.add_interceptor(tickets.intercept, priority=10)
    brain.sent_hooks.append(tickets.dialogue.on_sent)
    brain.failed_hooks.append(tickets.dialogue.on_failed)
    brain.forgetters.append(Forgetter(tickets.count_held, tickets.forget))
    tickets.commands.register(ask_for_human=tickets.dialogue.ask_for_human)
    tickets.access.register()
    app.tickets = tickets
    app.report_sections.append(partial(tickets_section, app.storage))
    app.report_sections.append(partial(access_section, app.storage))
    app.handed_on.append(partial(handed_on_questions, app.storage))

    sched = app.scheduler
    sched.add_job(tickets.purge_expired, "cron", hour=3, minute=17, id="tickets-retention", replace_existing=True)
    sched.add_job(tickets.auto_close, "cron", hour=9, minute=5, id="tickets-auto-close", replace_existing=True)
    sched.add_job(tickets.deliver_pending, "interval", minutes=1, id="tickets-pending", replace_existing=True)
    return tickets
