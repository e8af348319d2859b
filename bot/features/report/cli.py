"""``pixbot lacunes``: the content gaps at a terminal (the bot running or not)."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Callable

from ...core.config import Config
from ...core.render import plain


def add_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    p = sub.add_parser("lacunes", help="content gaps: the questions the bot could not answer well, grouped")
    p.add_argument("--days", type=int, default=90, help="how far back (default: 90 days)")
    p.add_argument("--all", action="store_true", help="list every group, not the ten largest")
    p.set_defaults(func=partial(cmd_gaps, load_config=load_config))


def add_report_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    p = sub.add_parser("rapport", help="activity report (questions and feedback per month): Markdown and CSV")
    p.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD (default: 12 months back)")
    p.add_argument("--to", dest="end", type=_date, help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--out", default="rapport", help="folder for rapport.md and the CSV files (default: ./rapport)")
    p.set_defaults(func=partial(cmd_report, load_config=load_config))


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date attendue au format AAAA-MM-JJ : {text!r}") from None


def cmd_report(args, load_config: Callable[[argparse.Namespace], Config]) -> int:
    import csv
    import datetime as dt
    import time
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from ...core import strings
    from ...core.app import App
    from ...core.storage import Storage
    from .activity import csv_rows, month_starts, monthly

    config = load_config(args)
    today = dt.datetime.now(ZoneInfo(config.timezone)).date()
    end = args.end or today
    start = args.start or month_starts(end.replace(day=1) - dt.timedelta(days=330), end)[0]
    if start > end:
        print("--from doit précéder --to", file=sys.stderr)
        return 2
    zone = ZoneInfo(config.timezone)
    first = dt.datetime.combine(start, dt.time(), zone).timestamp()
    last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).timestamp()
    storage = Storage(config.database)
    try:
        months = monthly(storage.questions(), storage.feedback(), start, end, config.timezone,
                         time.time() - config.retention_days * 86400)
        app = App(config, None, storage)  # the features add their sections (tickets, news)
        sections = [section(first, last, config.timezone) for section in app.report_sections]
    finally:
        storage.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    text = strings.report_markdown(months, start.strftime("%d/%m/%Y"), end.strftime("%d/%m/%Y"),
                                   config.retention_days)
    parts = [text] + [f"## {s.title}\n\n{s.markdown}" for s in sections] + [strings.REPORT_PRIVACY_NOTE]
    (out / "rapport.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    files = [out / "rapport.md", out / "questions-par-mois.csv"]
    with open(files[1], "w", newline="", encoding="utf-8") as f:
        csv.writer(f, delimiter=";").writerows(csv_rows(months))
    for s in sections:
        files.append(out / s.csv_name)
        with open(files[-1], "w", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=";").writerows(s.rows)
    print("\n".join(str(f) for f in files))
    return 0


def cmd_gaps(args, load_config: Callable[[argparse.Namespace], Config]) -> int:
    import time

    from ...answers.engine import Engine
    from ...core import strings
    from ...core.storage import Storage
    from .gaps import find_gaps

    config = load_config(args)
    storage = Storage(config.database)
    try:
        engine = Engine(config)
        engine.load()
        gaps = find_gaps(storage, engine, time.time() - args.days * 86400)
        print(plain(strings.gaps_text(gaps, args.days, limit=len(gaps) if args.all else 10)))
        return 0
    finally:
        storage.close()
