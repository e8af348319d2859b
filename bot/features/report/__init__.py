"""What the correspondent reports on and writes next, in chat for the correspondents and at a
terminal:

- the activity report (``rapport [période]``, ``pixbot rapport``): figures in ``activity`` and
  ``content``, the charts in ``charts``, the files in ``build``;
- the content gaps (``lacunes [jours]``, ``pixbot lacunes``): the questions the bot could not
  answer well, grouped by meaning (``gaps``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from ...core import strings
from ...core.brain import Forgetter, Incoming, Reply
from ...core.commands import ArgumentError
from .drafts import drafts_dir, quoting, remove_quoting
from .gaps import find_gaps

DEFAULT_DAYS = 90
KEEP_REPORTS_DAYS = 7  # the chat's report files (under data_dir/rapports) are removed after a week


def days_argument(args: str) -> int:
    """« lacunes », « lacunes 30 »: a number of days, 1 to 3650."""
    text = args.strip().split(" ")[0] if args.strip() else ""
    if not text:
        return DEFAULT_DAYS
    if not text.isdigit() or not 1 <= int(text) <= 3650:
        raise ArgumentError(strings.GAPS_BAD_DAYS)
    return int(text)


def gaps_report(app, days: int) -> str:
    gaps = find_gaps(app.storage, app.engine, time.time() - days * 86400, app.handed_on)
    return strings.gaps_text(gaps, days)


def asked_by(storage, user: str) -> list[str]:
    """The questions ``user`` asked that the log still holds (what an FAQ draft may quote)."""
    rows = storage.db.execute("SELECT question FROM questions WHERE sender = ? UNION "
                              "SELECT question FROM feedback WHERE sender = ? AND question IS NOT NULL",
                              (user, user)).fetchall()
    return [r[0] for r in rows]


def period_argument(args: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """« rapport »: the last 12 months; « rapport 3 »: the last 3 months (1 to 36); « rapport
    2026 »: that calendar year; « rapport 2026-03 »: that month. The period ends today at the latest."""
    text = args.strip().split(" ")[0] if args.strip() else ""
    if not text or (text.isdigit() and len(text) <= 2):
        months = int(text) if text else 12
        if not 1 <= months <= 36:
            raise ArgumentError(strings.REPORT_BAD_PERIOD)
        first = today.replace(day=1)
        for _ in range(months - 1):
            first = (first - dt.timedelta(days=1)).replace(day=1)
        return first, today
    try:
        if len(text) == 4 and text.isdigit():
            start, end = dt.date(int(text), 1, 1), dt.date(int(text), 12, 31)
        else:
            start = dt.date.fromisoformat(text + "-01")
            end = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    except ValueError:
        raise ArgumentError(strings.REPORT_BAD_PERIOD) from None
    if start > today:
        raise ArgumentError(strings.REPORT_BAD_PERIOD)
    return start, min(end, today)


def chat_report(app, start: dt.date, end: dt.date) -> tuple[str, list[Path]]:
    """The report for the chat: its short summary, and the main chart and the HTML page, written
    under ``data_dir/rapports`` (older ones removed after a week)."""
    from .build import MAIN_CHART, gather, write

    config = app.config
    folder = config.data_dir / "rapports"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.is_dir() and old.stat().st_mtime < time.time() - KEEP_REPORTS_DAYS * 86400:
            shutil.rmtree(old)
    now = dt.datetime.now(ZoneInfo(config.timezone))
    out = folder / f"{start:%Y-%m-%d}_{end:%Y-%m-%d}_{now:%Y%m%d-%H%M%S-%f}"
    report = gather(app.storage, app.report_sections, app.engine.index.items, start, end, config.timezone,
                    config.retention_days, time.time())
    write(report, out, ("html",), generated=now.strftime("%d/%m/%Y à %H:%M"))
    return strings.report_chat_summary(report), [out / MAIN_CHART, out / "rapport.html"]


def install(app) -> None:
    brain = app.brain
    folder = drafts_dir(app.config)

    def drafts_held(user: str) -> list[tuple[str, int]]:
        return [(strings.FORGET_DRAFTS, quoting(folder, asked_by(app.storage, user)))]

    def forget_drafts(user: str) -> list[Reply]:
        remove_quoting(folder, asked_by(app.storage, user))
        return []

    # first, before the core deletes the questions that say which drafts quote the person
    brain.forgetters.insert(0, Forgetter(drafts_held, forget_drafts))

    @brain.command("rapport", strings.HELP_CMD_REPORT, admin=True, takes_args=True, usage="rapport [période]",
                   parse=lambda args: period_argument(args, dt.datetime.now(ZoneInfo(app.config.timezone)).date()))
    def _report(msg: Incoming, period: tuple[dt.date, dt.date]) -> list[Reply]:
        from PIL import Image

        summary, (chart, page) = chat_report(app, *period)
        with Image.open(chart) as png:
            width, height = png.size
        return [brain.reply(msg, summary, attachment={"path": str(chart.resolve()), "name": chart.name,
                                                      "mimetype": "image/png", "width": width, "height": height}),
                brain.reply(msg, strings.REPORT_CHAT_PAGE, attachment={
                    "path": str(page.resolve()), "name": f"rapport-{period[0]:%Y-%m-%d}-{period[1]:%Y-%m-%d}.html",
                    "mimetype": "text/html"})]

    @brain.command("lacunes", strings.HELP_CMD_GAPS, admin=True, takes_args=True, usage="lacunes [jours]",
                   parse=days_argument, aliases=("manques",))
    def _gaps(msg: Incoming, days: int) -> list[Reply]:
        return [brain.reply(msg, gaps_report(app, days))]
