"""The news' part of the activity report: subscribers today (people, rooms), digests served and
announcements sent or recalled in the period."""

from __future__ import annotations

from ...core import strings
from ...core.reports import Section


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
    csv = [["abonnés (personnes)", "abonnés (salons)", "points d'actualités envoyés", "annonces envoyées",
            "annonces rappelées"], [people, rooms, digests, sent, recalled]]
    return Section(strings.REPORT_NEWS_TITLE, strings.report_news(people, rooms, digests, sent, recalled),
                   "actualites.csv", csv)
