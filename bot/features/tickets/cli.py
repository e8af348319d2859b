"""``pixbot tickets [list|show N] [--all]``: the tickets at a terminal, for the correspondent.

Reads the bot's database, whether the bot runs or not. ``bot/cli.py`` calls ``add_parser``.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Callable

from ...core import strings
from ...core.config import Config

EXIT_USAGE = 2  # like argparse's own usage errors (and bot.cli's EXIT_SOURCE_ERROR)


def add_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    """Add ``pixbot tickets`` to the subcommands ``sub``; ``load_config(args)`` reads the configuration."""
    p = sub.add_parser("tickets", help="list the tickets (questions passed on to the correspondents), or show one")
    p.add_argument("action", nargs="?", choices=("list", "show"), default="list")
    p.add_argument("number", nargs="?", type=int, help="ticket number (for show)")
    p.add_argument("--all", action="store_true", help="include closed tickets in the list")
    p.set_defaults(func=partial(cmd_tickets, load_config=load_config))


def cmd_tickets(args, load_config: Callable[[argparse.Namespace], Config]) -> int:
    """List tickets, or show one with its messages (for the correspondent at a terminal)."""
    from rich.console import Console
    from rich.table import Table

    from ...core.storage import Storage
    from .store import get_ticket, list_tickets, migrate, ticket_messages

    config = load_config(args)
    console = Console()
    storage = Storage(config.database)

    def when(ts):
        return strings._date(ts, config.timezone) if ts else ""

    try:
        migrate(storage)
        if args.action == "show":
            if args.number is None:
                print("pixbot tickets show N", file=sys.stderr)
                return EXIT_USAGE
            ticket = get_ticket(storage, args.number)
            if ticket is None:
                print(strings.CLI_TICKET_NOT_FOUND.format(n=args.number), file=sys.stderr)
                return 1
            table = Table(title=f"{strings.CLI_TICKETS_TITLE} n° {ticket.id}", show_header=False)
            table.add_column(style="bold")
            table.add_column()
            labels = strings.CLI_TICKET_FIELDS
            table.add_row(labels["state"], strings.TICKET_STATES.get(ticket.state, ticket.state))
            table.add_row(labels["asker"], f"{ticket.who} ({ticket.asker})")
            table.add_row(labels["room"], ticket.room)
            table.add_row(labels["assignee"], ticket.assignee or "")
            table.add_row(labels["created_at"], when(ticket.created_at))
            table.add_row(labels["activity_at"], when(ticket.activity_at))
            table.add_row(labels["closed_at"], when(ticket.closed_at))
            table.add_row(labels["learned_id"], ticket.learned_id or "")
            console.print(table)
            messages = Table(show_lines=True)
            for column in ("Date", "", "", ""):
                messages.add_column(column)
            for m in ticket_messages(storage, ticket.id):
                kind = strings.CLI_TICKET_MESSAGE_KINDS.get(m["kind"], m["kind"])
                messages.add_row(when(m["created_at"]), kind, m["author_name"] or m["author"] or "", m["text"])
            console.print(messages)
            return 0
        tickets = list_tickets(storage, include_closed=args.all)
        if not tickets:
            console.print(strings.CLI_TICKETS_NONE)
            return 0
        table = Table(title=strings.CLI_TICKETS_TITLE)
        for column in strings.CLI_TICKETS_COLUMNS:
            table.add_column(column, overflow="fold")
        for t in tickets:
            table.add_row(str(t.id), strings.TICKET_STATES.get(t.state, t.state), t.who, t.assignee or "",
                          when(t.created_at), t.question)
        console.print(table)
        return 0
    finally:
        storage.close()


def add_access_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    """``pixbot demandes [--toutes] [--export FICHIER [--annee AAAA]]``: the access requests."""
    p = sub.add_parser("demandes", help="list the access requests (Pix Orga / Pix Certif), or export those "
                                        "granted as CSV")
    p.add_argument("--toutes", action="store_true", help="include finished requests in the list")
    p.add_argument("--export", metavar="FILE", help="write who was granted what (CSV, semicolons) to FILE")
    p.add_argument("--annee", type=int, metavar="YYYY", help="with --export: only invitations sent that year")
    p.set_defaults(func=partial(cmd_access, load_config=load_config))


def cmd_access(args, load_config: Callable[[argparse.Namespace], Config]) -> int:
    from pathlib import Path

    from ...core.render import plain
    from ...core.storage import Storage
    from .access import OPEN_STATUSES, export_granted, listed, requests
    from .store import migrate

    config = load_config(args)
    storage = Storage(config.database)
    try:
        migrate(storage)
        if args.export:
            path = Path(args.export)
            count = export_granted(storage, path, args.annee, config.timezone)
            print(strings.CLI_ACCESS_EXPORTED.format(count=count, path=path))
            return 0
        rows = [listed(r) for r in requests(storage) if args.toutes or r["status"] in OPEN_STATUSES]
        print(plain(strings.access_list(rows, args.toutes, config.timezone)))
        return 0
    finally:
        storage.close()
