"""The news' part of the activity report: subscribers (people, rooms) at the end of each month and
today, digests served and announcements sent or recalled in the period."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from ...core import strings
from ...core.reports import Chart, Section


def month_ends(start: float, end: float, tz: str) -> list[tuple[str, float]]:
    """("YYYY-MM", the moment the month ends, or ``end`` for the last one) for every month of the period."""
    zone = ZoneInfo(tz)
    day = dt.datetime.fromtimestamp(start, zone).date().replace(day=1)
    out = []
    while dt.datetime.combine(day, dt.time(), zone).timestamp() < end:
        following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        out.append((day.strftime("%Y-%m"), min(dt.datetime.combine(following, dt.time(), zone).timestamp(), end)))
        day = following
    return out


def news_section(storage, start: float, end: float, tz: str) -> Section:
    db = storage.db
    people, rooms = (db.execute("SELECT COUNT(*) FROM news_subscribers WHERE kind = ?", (kind,)).fetchone()[0]
                     for kind in ("user", "room"))
    digests = db.execute("SELECT COUNT(*) FROM news_round_served WHERE items > 0 AND served_at >= ? AND served_at < ?",
                         (start, end)).fetchone()[0]
    sent = db.execute("SELECT COUNT(*) FROM news_announcements WHERE state IN ('sent', 'recalled') "
                      "AND sent_at >= ? AND sent_at < ?", (start, end)).fetchone()[0]
    recalled = db.execute("SELECT COUNT(*) FROM news_announcements WHERE state = 'recalled' "
                          "AND sent_at >= ? AND sent_at < ?", (start, end)).fetchone()[0]
    levels = {"user": {}, "room": {}}  # subscribers at the end of each month
    for month, until in month_ends(start, end, tz):
        for kind in levels:
            levels[kind][month] = db.execute("SELECT COALESCE(SUM(change), 0) FROM news_subscriber_counts "
                                             "WHERE kind = ? AND at < ?", (kind, until)).fetchone()[0]
    csv = [list(strings.REPORT_CSV_NEWS), [people, rooms, digests, sent, recalled]]
    over_time = [list(strings.REPORT_CSV_SUBSCRIBERS)] + [
        [m, levels["user"][m], levels["room"][m]] for m in levels["user"]]
    chart = Chart("abonnes.png", strings.REPORT_CHART_SUBSCRIBERS, strings.REPORT_AXIS_SUBSCRIBERS,
                  [(strings.REPORT_SERIES_PEOPLE, levels["user"]), (strings.REPORT_SERIES_ROOMS, levels["room"])],
                  kind="steps")
    return Section(strings.REPORT_NEWS_TITLE,
                   strings.report_news(people, rooms, digests, sent, recalled, levels["user"], levels["room"]),
                   "actualites.csv", csv, chart=chart, more_csv={"abonnes-par-mois.csv": over_time})
