"""Digest rendering, pure: which items a subscriber gets next and how the digest reads (no
storage, no network, no clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bot.core import strings
from bot.features.news.digest import render_digest, render_latest, select_pending
from bot.core.render import plain

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2025, 6, 2, 8, 30, tzinfo=PARIS).timestamp()
DAY = 86400.0
TODAY = dt.date(2025, 6, 2)


def item(id: str, topics: list[str], *, title: str | None = None, link: str | None = None, summary: str = "",
         published: float | None = None, changed_at: float = NOW - DAY, hash: str = "h1",
         updated: bool = False) -> dict:
    return {"id": id, "title": title or id.capitalize(), "link": link, "summary": summary, "topics": topics,
            "published": published, "changed_at": changed_at, "hash": hash, "updated": updated}


def sub(topics: list[str], created_at: float = NOW - 30 * DAY) -> dict:
    return {"id": 1, "topics": topics, "created_at": created_at, "rhythm": "daily"}


def pending(items, delivered=None, subscriber=None, **kw):
    limits = {"backlog_days": 7, "max_age_days": 30, "max_items": 10, **kw}
    return select_pending(items, delivered or {}, subscriber or sub([]), NOW, **limits)


def titles(text: str) -> list[str]:
    return [line for line in plain(text).splitlines() if line.startswith("- ")]


def headings(text: str) -> list[str]:
    return [line.strip("*") for line in plain(text).splitlines()[1:] if line.startswith("**")]


# -- which items ----------------------------------------------------------------------------------
def test_only_the_followed_topics_newest_first():
    items = [item("a", ["certif"], published=NOW - 3 * DAY), item("b", ["orga"], published=NOW - DAY),
             item("c", ["Certif", "orga"], published=NOW - 2 * DAY)]
    assert [i["id"] for i in pending(items, subscriber=sub(["certif"]))] == ["c", "a"]  # accents, case folded
    assert [i["id"] for i in pending(items)] == ["b", "c", "a"]  # no topics: everything


def test_a_received_version_is_not_sent_again_an_edited_one_is_marked_updated():
    items = [item("same", ["certif"]), item("edited", ["certif"], hash="h2"), item("new", ["certif"])]
    chosen = pending(items, delivered={"same": {"h1"}, "edited": {"h1"}})
    assert {i["id"]: i["updated"] for i in chosen} == {"edited": True, "new": False}


def test_old_items_and_the_backlog_before_subscribing_are_left_out_and_the_count_is_capped():
    joined = NOW - 2 * DAY
    items = [item("ancient", [], published=NOW - 60 * DAY, changed_at=NOW - DAY),
             item("before", [], changed_at=joined - 8 * DAY),
             item("backlog", [], changed_at=joined - 6 * DAY),
             *(item(f"n{k}", [], published=NOW - k * 60) for k in range(5))]
    chosen = pending(items, subscriber=sub([], created_at=joined))
    assert [i["id"] for i in chosen] == ["n0", "n1", "n2", "n3", "n4", "backlog"]
    assert len(pending(items, subscriber=sub([], created_at=joined), max_items=3)) == 3
    # an item already sent in an older version still gets its update, however old it is
    again = pending([item("ancient", [], published=NOW - 60 * DAY, hash="h2")], delivered={"ancient": {"h1"}})
    assert [i["id"] for i in again] == ["ancient"]


# -- how it reads ---------------------------------------------------------------------------------
def test_items_are_grouped_under_the_topic_the_subscriber_follows_others_last():
    items = [item("x", ["orga", "certif"]), item("y", []), item("z", ["pix+"]), item("w", ["certif"])]
    text = render_digest(["certif", "pix+"], items, "daily", TODAY)
    assert headings(text) == ["Certif", "Pix+", strings.NEWS_GROUP_OTHER]
    lines = plain(text).splitlines()
    assert lines.index("**Certif**") < lines.index("- **X**") < lines.index("- **W**") < lines.index("**Pix+**")
    assert lines.index("**" + strings.NEWS_GROUP_OTHER + "**") < lines.index("- **Y**")
    # without topic filter an item goes under its first topic
    assert headings(render_digest([], items, "daily", TODAY)) == ["Certif", "Orga", "Pix+",
                                                                   strings.NEWS_GROUP_OTHER]


def test_title_date_rhythm_and_the_updated_marker():
    text = render_digest([], [item("a", ["certif"], updated=True), item("b", ["certif"])], "weekly", TODAY)
    assert text.splitlines()[0] == "**Actualités Pix de la semaine — 2 juin 2025**"
    assert titles(text) == [f"- *({strings.NEWS_UPDATED})* **A**", "- **B**"]
    assert text.endswith(strings.NEWS_DIGEST_FOOTER)
    assert render_digest([], [item("a", [])], "daily", TODAY).startswith("**Actualités Pix — 2 juin 2025**")


def test_only_web_links_are_kept_and_feed_text_cannot_inject_markdown():
    items = [item("a", [], title="Session", link="https://pix.fr/actu 1", summary="<b>Ouverte</b> [ici](https://x)"),
             item("b", [], title="Piège", link="javascript:alert(1)"),
             item("c", [], title="*Gras*", link="ftp://pix.fr/x")]
    lines = titles(render_digest([], items, "daily", TODAY))
    assert lines[0].startswith("- [Session](https://pix.fr/actu%201) — ")
    assert "<b>" not in lines[0] and "](https://x)" not in lines[0]
    assert lines[1] == "- **Piège**" and "javascript" not in "".join(lines)
    assert lines[2].startswith("- **") and "*Gras*" not in lines[2] and "ftp:" not in lines[2]


def test_latest_news_filtered_newest_first_with_their_date():
    items = [item("a", ["certif"], published=dt.datetime(2025, 5, 1, 12, tzinfo=PARIS).timestamp()),
             item("b", ["orga"], published=NOW - DAY), item("c", ["certif"], published=None, changed_at=NOW - 60)]
    text = render_latest(items, ["CERTIF"], 5, PARIS)
    assert titles(text) == ["- 2 juin 2025 : **C**", "- 1 mai 2025 : **A**"]
    assert len(titles(render_latest(items, [], 2, PARIS))) == 2
    assert render_latest(items, ["pix+"], 5, PARIS) is None
