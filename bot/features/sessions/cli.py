"""``pixbot sessions import FILE|list``: the certification calendar at a terminal.

Works on the bot's database, whether the bot runs or not (a running bot sends the reminders of
an imported calendar at its next tick). ``bot/cli.py`` calls ``add_parser``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from functools import partial
from pathlib import Path
from typing import Callable

from ...core import strings
from ...core.config import Config
from ...core.render import plain


def add_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    """Add ``pixbot sessions`` to the subcommands ``sub``; ``load_config(args)`` reads the configuration."""
    p = sub.add_parser("sessions", help="certification sessions: import the calendar, list it")
    sessions_sub = p.add_subparsers(dest="sessions_command", required=True)
    q = sessions_sub.add_parser("import", help="replace the upcoming sessions with a Pix Certif CSV or a YAML file "
                                               "(checked first: on any error nothing changes)")
    q.add_argument("file", help="the calendar (.csv: Pix Certif's mass-session template; .yaml)")
    q = sessions_sub.add_parser("list", help="the upcoming sessions and the invigilators' answers")
    q.add_argument("--all", action="store_true", help="past sessions too (until the retention period)")
    p.set_defaults(func=partial(cmd_sessions, load_config=load_config))


def cmd_sessions(args, load_config: Callable[[argparse.Namespace], Config]) -> int:
    from ...core.app import App
    from ...core.storage import Storage
    from . import CalendarError, Sessions, install

    config = load_config(args)
    storage = Storage(config.database)
    try:
        svc: Sessions = App(config, None, storage, features=[install]).sessions
        if args.sessions_command == "import":
            try:
                result, entries = svc.import_file(Path(args.file))
            except CalendarError as exc:
                print(strings.IMPORT_REFUSED.format(count=len(exc.problems)), file=sys.stderr)
                for problem in exc.problems:
                    print(f"  {plain(str(problem))}", file=sys.stderr)
                return 1
            people = {i.person for e in entries for i in e.invigilators if i.kind == "matrix"}
            emails = sorted({i.person for e in entries for i in e.invigilators if i.kind == "email"})
            print(strings.IMPORT_DONE.format(count=len(entries), added=result.added, moved=result.moved,
                                             removed=result.removed, reminded=len(people)))
            if emails:
                print(strings.import_email_only(emails))
            return 0
        rows = svc.store.sessions(since=None if args.all else svc.clock())
        if not rows:
            print(strings.CLI_SESSIONS_NONE)
            return 0
        print("\t".join(strings.CLI_SESSIONS_COLUMNS))
        for s in rows:
            people = ", ".join(f"{_answer(i)} {i['person']}" for i in s["invigilators"])
            place = f"{s['site']}, {s['room']}"
            day = dt.date.fromisoformat(s["day"]).strftime("%d/%m/%Y")
            count = "" if s["candidates"] is None else str(s["candidates"])
            print("\t".join([str(s["id"]), day, s["time"], place, count, people]))
        return 0
    finally:
        storage.close()


def _answer(invigilator: dict) -> str:
    from . import _mark

    return _mark(invigilator)
