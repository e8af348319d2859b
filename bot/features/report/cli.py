"""``pixbot lacunes``: the content gaps at a terminal (the bot running or not)."""

from __future__ import annotations

import argparse
from functools import partial
from typing import Callable

from ...core.config import Config
from ...core.render import plain


def add_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    p = sub.add_parser("lacunes", help="content gaps: the questions the bot could not answer well, grouped")
    p.add_argument("--days", type=int, default=90, help="how far back (default: 90 days)")
    p.add_argument("--all", action="store_true", help="list every group, not the ten largest")
    p.set_defaults(func=partial(cmd_gaps, load_config=load_config))


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
