"""The news chat commands: subscribe, unsubscribe, subscriptions, latest news, and for the
correspondents the sources' state, announcements and their recall."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ...core import strings
from ...core.brain import Incoming, Reply
from .digest import render_latest
from .topics import parse_topic_args

if TYPE_CHECKING:
    from . import News


def _who(msg: Incoming) -> tuple[str, str]:
    """Who subscribes: the person in a DM, the room elsewhere."""
    return ("user", msg.sender) if msg.is_direct else ("room", msg.room)


def register(news: News) -> None:
    brain = news.brain
    reply = brain.reply
    store = news.store
    nc = news.nc

    def may_manage(msg: Incoming) -> bool:
        return msg.is_direct or msg.sender_is_moderator or brain.is_correspondent(msg.sender)

    def topics_or_error(msg: Incoming, args: str):
        topics, rhythm, unknown, everyone = parse_topic_args(args, news.known_topics())
        if unknown:
            return None, None, [reply(msg, strings.news_unknown_topics(unknown, news.topic_names()),
                                      kind="error")]
        return ([] if everyone else topics), rhythm, None

    @brain.command("abonner", strings.HELP_CMD_NEWS_SUBSCRIBE, takes_args=True,
                   aliases=("s'abonner", "abonnez-moi", "abonne-moi"), usage="abonner [thèmes] [hebdo]")
    def _subscribe(msg: Incoming, args: str) -> list[Reply]:
        if not may_manage(msg):
            return [reply(msg, strings.NEWS_ROOM_NOT_ALLOWED, kind="error")]
        topics, rhythm, error = topics_or_error(msg, args)
        if error:
            return error
        kind, target = _who(msg)
        sub = store.subscribe(kind, target, msg.room, topics, rhythm, msg.sender, news.clock())
        return [reply(msg, strings.news_subscribed(sub["topics"], sub["rhythm"], kind == "room",
                                                   nc.daily_time, nc.weekly_day))]

    @brain.command("désabonner", strings.HELP_CMD_NEWS_UNSUBSCRIBE, takes_args=True,
                   aliases=("se désabonner", "desinscrire"), usage="désabonner [thèmes]")
    def _unsubscribe(msg: Incoming, args: str) -> list[Reply]:
        if not may_manage(msg):
            return [reply(msg, strings.NEWS_ROOM_NOT_ALLOWED, kind="error")]
        topics, _, error = topics_or_error(msg, args)
        if error:
            return error
        kind, target = _who(msg)
        outcome, sub = store.unsubscribe(kind, target, topics)
        if outcome == "not-subscribed":
            return [reply(msg, strings.NEWS_NOT_SUBSCRIBED)]
        if outcome == "all-topics":
            return [reply(msg, strings.NEWS_UNSUBSCRIBE_ALL_TOPICS)]
        if outcome == "removed":
            return [reply(msg, strings.NEWS_UNSUBSCRIBED)]
        return [reply(msg, strings.news_subscription(sub["topics"], sub["rhythm"], kind == "room"))]

    @brain.command("abonnements", strings.HELP_CMD_NEWS_SUBSCRIPTIONS, aliases=("mes abonnements",))
    def _subscriptions(msg: Incoming, args: str) -> list[Reply]:
        kind, target = _who(msg)
        sub = store.subscriber(kind, target)
        if sub is None:
            text = strings.NEWS_NOT_SUBSCRIBED
        else:
            text = strings.news_subscription(sub["topics"], sub["rhythm"], kind == "room")
        return [reply(msg, text + "\n\n" + strings.news_topics_available(news.topic_names()))]

    @brain.command("actus", strings.HELP_CMD_NEWS_LATEST, takes_args=True,
                   aliases=("actualités", "actualites", "news"), usage="actus [thème]")
    def _latest(msg: Incoming, args: str) -> list[Reply]:
        topics, _, unknown, _ = parse_topic_args(args, news.known_topics())
        if unknown:
            return [reply(msg, strings.news_unknown_topics(unknown, news.topic_names()), kind="error")]
        text = render_latest(store.active_items(news.clock()), topics, nc.latest_count, news.tz)
        return [reply(msg, text or strings.NEWS_LATEST_NONE)]

    @brain.command("actus sources", strings.HELP_CMD_NEWS_SOURCES, admin=True, aliases=("sources actus",))
    def _sources(msg: Incoming, args: str) -> list[Reply]:
        return [reply(msg, news.sources_text())]

    @brain.command("annonce", strings.HELP_CMD_NEWS_ANNOUNCE, admin=True, takes_args=True,
                   usage="annonce [thèmes :] texte")
    def _announce(msg: Incoming, args: str) -> list[Reply]:
        if not args.strip():
            return [reply(msg, strings.NEWS_ANNOUNCE_USAGE)]
        topics, text = [], args.strip()
        head, sep, rest = args.partition(":")
        if sep and rest.strip():
            found, _, unknown, everyone = parse_topic_args(head, news.known_topics())
            if everyone and not unknown:
                text = rest.strip()
            elif found and not unknown:
                topics, text = found, rest.strip()
        news.announcements.create_draft(msg.sender, msg.room, text, topics)
        count = len(news.announcements.recipients(topics))
        return [reply(msg, strings.news_announce_preview(text, topics, count))]

    @brain.command("rappeler", strings.HELP_CMD_NEWS_RECALL, admin=True, takes_args=True,
                   usage="rappeler [numéro]")
    def _recall(msg: Incoming, args: str) -> list[Reply]:
        number = re.search(r"\d+", args or "")
        outcome, count = news.announcements.recall(int(number.group()) if number else None)
        if outcome == "unknown":
            return [reply(msg, strings.NEWS_RECALL_UNKNOWN, kind="error")]
        if outcome == "offline":
            return [reply(msg, strings.NEWS_NOT_CONNECTED, kind="error")]
        return [reply(msg, strings.NEWS_RECALLED.format(count=count))]
