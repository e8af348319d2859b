"""Digest rendering (pure: no database, no clock, no network).

Which items a subscriber gets next (``select_pending``), their Markdown digest grouped by topic
(``render_digest``) and the « actus » list (``render_latest``). Items are the store's dicts:
id, title, link, summary, topics, published, changed_at, hash (and ``updated`` once selected).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ...core import strings
from .text import fold, md_text, one_line, safe_link


def select_pending(items: list[dict], delivered: dict[str, set[str]], sub: dict, now: float, *,
                   backlog_days: float, max_age_days: float, max_items: int) -> list[dict]:
    """Items this subscriber has not received (in their current version) and that match their
    topics, newest first, at most ``max_items``; each with ``updated`` (an earlier version was
    sent). ``delivered``: item id -> content hashes received. Items that changed more than
    ``backlog_days`` before the subscription, and never-sent items published more than
    ``max_age_days`` ago, are left out."""
    since = sub["created_at"] - backlog_days * 86400
    oldest = now - max_age_days * 86400
    wanted = {fold(t) for t in sub["topics"]}
    out = []
    for item in items:
        if item["changed_at"] < since or item["hash"] in delivered.get(item["id"], ()):
            continue
        if wanted and not wanted & {fold(t) for t in item["topics"]}:
            continue
        if item["id"] not in delivered and item["published"] and item["published"] < oldest:
            continue
        out.append({**item, "updated": item["id"] in delivered})
    out.sort(key=lambda i: (i["published"] or i["changed_at"], i["changed_at"]), reverse=True)
    return out[:max_items]


def render_digest(topics: list[str], items: list[dict], rhythm: str, today: dt.date) -> str:
    """The digest of a subscriber following ``topics`` (none: all): items grouped under the first
    of their topics the subscriber follows (else their first topic, else « Autres »), groups
    in alphabetical order with « Autres » last."""
    wanted = [fold(t) for t in topics]
    groups: dict[str, list] = {}
    for item in items:
        item_topics = item["topics"]
        label = next((t for t in item_topics if fold(t) in wanted), None) if wanted else None
        label = label or (item_topics[0] if item_topics else strings.NEWS_GROUP_OTHER)
        groups.setdefault(label, []).append(
            (md_text(item["title"]), safe_link(item["link"]), md_text(one_line(item["summary"], 160)),
             item["updated"]))
    order = sorted(groups, key=lambda g: (g == strings.NEWS_GROUP_OTHER, g.lower()))
    return strings.news_digest(strings.french_date(today), rhythm, [(g, groups[g]) for g in order])


def day_label(ts: float | None, tz: ZoneInfo) -> str:
    """« 2 juin 2025 » for a timestamp; "" for none."""
    if not ts:
        return ""
    return strings.french_date(dt.datetime.fromtimestamp(ts, tz).date())


def render_latest(items: list[dict], topics: list[str], count: int, tz: ZoneInfo) -> str | None:
    """The ``count`` latest ``items`` about one of ``topics`` (none: any), newest first; None
    when there is none."""
    wanted = {fold(t) for t in topics}
    chosen = [i for i in items if not wanted or wanted & {fold(t) for t in i["topics"]}]
    chosen.sort(key=lambda i: (i["published"] or i["changed_at"]), reverse=True)
    chosen = chosen[:count]
    if not chosen:
        return None
    lines = [(md_text(i["title"]), safe_link(i["link"]), md_text(one_line(i["summary"], 160)),
              day_label(i["published"] or i["changed_at"], tz)) for i in chosen]
    return strings.news_latest(lines)
