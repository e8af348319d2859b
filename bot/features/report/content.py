"""The activity report's figures on the content: questions by topic, the entries and pages that
answered most, those that never did, and the entries with most 👎.

A question's topic is the first topic of the entry the bot answered it with (an FAQ entry or a
documentation passage; both carry ``topics``). Only direct answers count as a use: a suggestion
picked from a list is not logged with the question. An entry named in the log but gone from the
sources since is counted under its id, marked as removed. Aggregates only: entry ids and titles
are the correspondent's own content, never anything a person wrote.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NO_TOPIC = ""  # an entry without topics; the strings say it in French


@dataclass
class EntryUse:
    id: str
    title: str | None  # None: no longer in the sources
    kind: str | None
    answers: int = 0
    up: int = 0
    down: int = 0


@dataclass
class ContentFigures:
    answered: int = 0  # direct answers in the period
    by_topic: list[tuple[str, int]] = field(default_factory=list)  # largest first
    top_entries: list[EntryUse] = field(default_factory=list)
    top_pages: list[tuple[str, int]] = field(default_factory=list)  # (page title, answers)
    most_down: list[EntryUse] = field(default_factory=list)
    unused_faq: list[str] = field(default_factory=list)  # FAQ entry ids, sorted
    unused_pages: list[str] = field(default_factory=list)  # page titles, sorted
    faq_total: int = 0
    pages_total: int = 0


def page_title(item) -> str:
    return item.title.split(" › ")[0]


def content_figures(answers: dict[str, int], feedback: dict[str, tuple[int, int]], items: list,
                    limit: int = 10) -> ContentFigures:
    """``answers``: direct answers per entry id in the period; ``feedback``: (👍, 👎) per entry id;
    ``items``: the loaded sources (``Item``; a documentation passage may come in several chunks
    sharing its id)."""
    by_id = {}
    for item in items:
        by_id.setdefault(item.id, item)
    uses = {}
    for item_id in set(answers) | set(feedback):
        item = by_id.get(item_id)
        up, down = feedback.get(item_id, (0, 0))
        uses[item_id] = EntryUse(item_id, item.title if item else None, item.kind if item else None,
                                 answers.get(item_id, 0), up, down)
    topics: dict[str, int] = {}
    pages: dict[str, int] = {}
    for item_id, n in answers.items():
        item = by_id.get(item_id)
        topic = (item.topics[0] if item.topics else NO_TOPIC) if item else None
        topics[topic] = topics.get(topic, 0) + n
        if item is not None and item.kind == "doc":
            pages[item.origin] = pages.get(item.origin, 0) + n
    page_titles = {item.origin: page_title(item) for item in by_id.values() if item.kind == "doc"}
    faq_ids = sorted(i for i, item in by_id.items() if item.kind == "faq")
    used = {i for i, u in uses.items() if u.answers or u.up or u.down}
    used_pages = {by_id[i].origin for i in used if i in by_id and by_id[i].kind == "doc"}
    # a None topic (entry removed) sorts as the last of its size
    return ContentFigures(
        answered=sum(answers.values()),
        by_topic=sorted(topics.items(), key=lambda t: (-t[1], t[0] is None, t[0] or "")),
        top_entries=sorted((u for u in uses.values() if u.answers), key=lambda u: (-u.answers, u.id))[:limit],
        top_pages=sorted(((page_titles.get(o, o), n) for o, n in pages.items()), key=lambda p: (-p[1], p[0]))[:limit],
        most_down=sorted((u for u in uses.values() if u.down), key=lambda u: (-u.down, -u.answers, u.id))[:limit],
        unused_faq=[i for i in faq_ids if i not in used],
        unused_pages=sorted(title for origin, title in page_titles.items() if origin not in used_pages),
        faq_total=len(faq_ids),
        pages_total=len(page_titles),
    )


def load_items(config) -> list:
    """The configured FAQ and documentation as loaded items, without the model or the index (a
    source with errors still gives the entries that load)."""
    from ...answers.placeholders import Placeholders
    from ...answers.sources import load_sources

    return load_sources(config.faq_dir, config.docs_dir, None, Placeholders.from_config(config)).items
