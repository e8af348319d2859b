"""``pixbot news preview|send-now|sources|fetch``: the news feature at a terminal.

Works on the bot's database, whether the bot runs or not. ``bot/cli.py`` calls ``add_parser``.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from typing import Callable

from ...core import strings
from ...core.config import Config
from ...core.render import plain


def add_parser(sub, load_config: Callable[[argparse.Namespace], Config]) -> None:
    """Add ``pixbot news`` to the subcommands ``sub``; ``load_config(args)`` reads the configuration."""
    p = sub.add_parser("news", help="Pix news: preview a digest, trigger a round, show the sources")
    news_sub = p.add_subparsers(dest="news_command", required=True)
    q = news_sub.add_parser("preview", help="print the next digest of a subscriber (no subscriber: list them)")
    q.add_argument("--subscriber", help="subscriber number, Matrix user id or room id")
    q.add_argument("--fetch", action="store_true", help="fetch the sources first")
    q = news_sub.add_parser("send-now", help="ask the running bot for a round now (or at its next start)")
    q.add_argument("--rhythm", choices=["all", "daily", "weekly"], default="all",
                   help="which subscribers (default: all, whatever their rhythm)")
    news_sub.add_parser("sources", help="state of the news sources")
    news_sub.add_parser("fetch", help="fetch every source now and show their state")
    p.set_defaults(func=partial(cmd_news, load_config=load_config))


def cmd_news(args, load_config: Callable[[argparse.Namespace], Config]) -> int:
    """``pixbot news preview|send-now|sources|fetch``: works on the bot's database, running or not."""
    from ...core.app import App
    from ...core.storage import Storage
    from . import POLL_SECONDS, News, install

    config = load_config(args)
    storage = Storage(config.database)
    try:
        svc: News = App(config, None, storage, features=[install]).news
        if args.news_command == "preview":
            if args.fetch:
                svc.fetch_all()
            if not args.subscriber:
                subs = svc.subscribers()
                print(strings.NEWS_CLI_SUBSCRIBERS if subs else strings.NEWS_CLI_NO_SUBSCRIBERS)
                for sub in subs:
                    print(f"  {sub['id']}  {sub['kind']:4}  {sub['target']}  ({sub['rhythm']}, "
                          f"{', '.join(sub['topics']) or strings.NEWS_ALL_TOPICS})")
                return 0
            sub = svc.find_subscriber(args.subscriber)
            if sub is None:
                print(strings.NEWS_CLI_UNKNOWN_SUBSCRIBER.format(key=args.subscriber), file=sys.stderr)
                return 1
            text, _ = svc.digest_for(sub)
            print(plain(text) if text else strings.NEWS_CLI_PREVIEW_EMPTY)
        elif args.news_command == "send-now":
            svc.request_round(args.rhythm)
            print(strings.NEWS_CLI_SEND_NOW.format(seconds=POLL_SECONDS))
        elif args.news_command == "fetch":
            for source, result in svc.fetch_all(force=True).items():
                print(strings.NEWS_CLI_FETCHED.format(source=source, result=result))
            print(plain(svc.sources_text()))
        else:
            print(plain(svc.sources_text()))
        return 0
    finally:
        storage.close()
