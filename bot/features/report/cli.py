"""``pixbot lacunes``: the content gaps at a terminal (the bot running or not)."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Callable

from ...core import strings
from ...core.config import Config
from ...core.render import plain


def add_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    p = sub.add_parser("lacunes", help="content gaps: the questions the bot could not answer well, grouped")
    p.add_argument("--days", type=int, default=90, help="how far back (default: 90 days)")
    p.add_argument("--all", action="store_true", help="list every group, not the ten largest")
    p.add_argument("--brouillons", action="store_true",
                   help="write FAQ drafts for the groups answered in a ticket to <data_dir>/brouillons/brouillons.yaml "
                        "(a review file: nothing is published)")
    p.set_defaults(func=partial(cmd_gaps, load_config=load_config))


def add_report_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    p = sub.add_parser("rapport", help="activity report: Markdown with its charts, one self-contained HTML page, "
                                       "CSV files of every table")
    p.add_argument("--from", dest="start", type=_date, help="first day, YYYY-MM-DD (default: 12 months back)")
    p.add_argument("--to", dest="end", type=_date, help="last day, YYYY-MM-DD (default: today)")
    p.add_argument("--out", default="rapport", help="folder for the report's files (default: ./rapport)")
    p.add_argument("--format", dest="formats", type=_formats, default="md,html,csv",
                   help="what to write, comma-separated among md, html, csv (default: all three)")
    p.add_argument("--lacunes", action="store_true",
                   help="add the content gaps (sizes and nearest entries, no question text); loads the model")
    p.set_defaults(func=partial(cmd_report, load_config=load_config))


def _formats(text: str) -> tuple[str, ...]:
    from .build import FORMATS

    chosen = tuple(dict.fromkeys(f.strip() for f in text.split(",") if f.strip()))
    wrong = [f for f in chosen if f not in FORMATS]
    if not chosen or wrong:
        raise argparse.ArgumentTypeError(strings.REPORT_CLI_BAD_FORMAT.format(formats=", ".join(FORMATS)))
    return chosen


def _date(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(strings.REPORT_CLI_BAD_DATE.format(text=text)) from None


def cmd_report(args, load_config: Callable[[argparse.Namespace], Config]) -> int:
    import datetime as dt
    import time
    from pathlib import Path
    from zoneinfo import ZoneInfo

    from ...core.app import App
    from ...core.storage import Storage
    from .build import bounds, default_period, gather, write
    from .content import load_items
    from .gaps import find_gaps

    config = load_config(args)
    now = dt.datetime.now(ZoneInfo(config.timezone))
    start, end = default_period(now.date(), args.start, args.end)
    if start > end:
        print(strings.REPORT_CLI_FROM_AFTER_TO, file=sys.stderr)
        return 2
    storage = Storage(config.database)
    try:
        engine = None
        if args.lacunes:
            from ...answers.engine import Engine

            engine = Engine(config)
            engine.load()
        app = App(config, engine, storage)  # the features add their sections (tickets, news)
        first, last = bounds(start, end, config.timezone)
        gaps = find_gaps(storage, engine, first, app.handed_on, until=last) if engine is not None else None
        report = gather(storage, app.report_sections, load_items(config), start, end, config.timezone,
                        config.retention_days, time.time(), gaps)
    finally:
        storage.close()
    files = write(report, Path(args.out), args.formats, generated=now.strftime("%d/%m/%Y à %H:%M"))
    print("\n".join(str(f) for f in files))
    return 0


def cmd_gaps(args, load_config: Callable[[argparse.Namespace], Config]) -> int:
    import time

    from ...answers.engine import Engine
    from ...core.app import App
    from ...core.storage import Storage
    from .drafts import drafts_dir, make_drafts, write_drafts
    from .gaps import find_gaps

    config = load_config(args)
    storage = Storage(config.database)
    try:
        engine = Engine(config)
        engine.load()
        app = App(config, engine, storage)  # the tickets feature gives the questions handed on
        gaps = find_gaps(storage, engine, time.time() - args.days * 86400, app.handed_on)
        print(plain(strings.gaps_text(gaps, args.days, limit=len(gaps) if args.all else 10)))
        if args.brouillons:
            drafts = make_drafts(gaps, {item.id for item in engine.index.items})
            path = write_drafts(drafts_dir(config), drafts)
            print("\n" + strings.drafts_written(len(drafts), str(path)))
        return 0
    finally:
        storage.close()


def check_drafts(config, placeholders) -> list[str]:
    """``pixbot check``: the FAQ drafts held to the FAQ's rules (nothing when there are none)."""
    from ...answers.hygiene import check_content
    from .drafts import DRAFTS_FILE, drafts_dir

    folder = drafts_dir(config)
    if not (folder / DRAFTS_FILE).exists():
        return []
    return [f"{strings.DRAFTS_CHECK_PREFIX} : {problem}"
            for problem in check_content(folder, None, None, placeholders, config.glossary_dir)]
