"""What the correspondent reports on and writes next: for now, the content gaps (« lacunes »),
the questions the bot could not answer well, grouped by meaning (``gaps.py``). In chat for the
correspondents (``lacunes [jours]``) and at a terminal (``pixbot lacunes``)."""

from __future__ import annotations

import time

from ...core import strings
from ...core.brain import Incoming, Reply
from ...core.commands import ArgumentError
from .gaps import find_gaps

DEFAULT_DAYS = 90


def days_argument(args: str) -> int:
    """« lacunes », « lacunes 30 »: a number of days, 1 to 3650."""
    text = args.strip().split(" ")[0] if args.strip() else ""
    if not text:
        return DEFAULT_DAYS
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise ArgumentError("Indiquez un nombre de jours entre 1 et 3650.")
    return int(text)


def gaps_report(app, days: int) -> str:
    gaps = find_gaps(app.storage, app.engine, time.time() - days * 86400)
    return strings.gaps_text(gaps, days)


def install(app) -> None:
    brain = app.brain

    @brain.command("lacunes", strings.HELP_CMD_GAPS, admin=True, takes_args=True, usage="lacunes [jours]",
                   parse=days_argument, aliases=("manques",))
    def _gaps(msg: Incoming, days: int) -> list[Reply]:
        return [brain.reply(msg, gaps_report(app, days))]
