"""Topics (pure): which configured topics an item is about, and what a person asks for in free
text such as « certif, pix+ hebdo »."""

from __future__ import annotations

import re
from typing import Iterable

from .text import fold


def match_keyword(keyword: str, folded_text: str) -> bool:
    return re.search(r"(?<!\w)" + re.escape(fold(keyword)) + r"(?!\w)", folded_text) is not None


def item_topics(text: str, categories: list[str], rules: dict[str, list[str]]) -> list[str]:
    """Topics of an item: its categories (mapped onto configured topics when they name one or one
    of its keywords) plus every configured topic whose keywords occur in the text."""
    folded = fold(text + " " + " ".join(categories))
    topics: list[str] = []

    def add(topic: str) -> None:
        if fold(topic) not in {fold(t) for t in topics}:
            topics.append(topic)

    for cat in categories:
        cat = (cat or "").strip()
        if not cat:
            continue
        for topic, keywords in rules.items():
            if fold(cat) in {fold(topic), *map(fold, keywords)}:
                add(topic)
                break
        else:
            add(cat.lower())
    for topic, keywords in rules.items():
        if any(match_keyword(k, folded) for k in [topic, *keywords]):
            add(topic)
    return topics


def known_topics(seen: Iterable[list[str]], rules: dict[str, list[str]]) -> dict[str, str]:
    """Folded name or keyword -> topic name: the configured topics (``rules``: topic -> keywords),
    then the categories ``seen`` on the active items."""
    known: dict[str, str] = {}
    for topics in seen:
        for t in topics:
            known.setdefault(fold(t), t)
    for topic, keywords in rules.items():
        for word in keywords:
            known[fold(word)] = topic
        known[fold(topic)] = topic
    return known


def topic_names(rules: dict[str, list[str]], known: dict[str, str]) -> list[str]:
    """The configured topics in their order, then the other known ones alphabetically."""
    names = list(rules)
    for t in sorted(set(known.values()) - set(names)):
        names.append(t)
    return names


RHYTHM_WORDS = {"quotidien": "daily", "quotidienne": "daily", "chaque jour": "daily", "tous les jours": "daily",
                "daily": "daily", "jour": "daily", "hebdo": "weekly", "hebdomadaire": "weekly",
                "chaque semaine": "weekly", "semaine": "weekly", "weekly": "weekly"}
FILLER = {"a", "aux", "au", "le", "la", "les", "l", "du", "de", "des", "d", "theme", "themes", "sujet", "sujets",
          "mes", "me", "pour", "sur", "et", "rythme", "en", "actus", "actualites", "news", "aussi", "ou"}
ALL_WORDS = {"tous", "tout", "toutes", "tous les themes", "tout les themes"}


def parse_topic_args(args: str, known: dict[str, str]) -> tuple[list[str], str | None, list[str], bool]:
    """(topics, rhythm or None, unknown words, 'all' asked) from free text like
    « certif, pix+ hebdo ». ``known`` maps folded names and keywords to topic names."""
    text = fold(args).strip(" .!?")
    rhythm = None
    for word in sorted(RHYTHM_WORDS, key=len, reverse=True):
        pattern = r"(?<!\w)" + re.escape(word) + r"(?!\w)"
        if re.search(pattern, text):
            rhythm = rhythm or RHYTHM_WORDS[word]
            text = re.sub(pattern, " ", text)
    everyone = False
    topics: list[str] = []
    unknown: list[str] = []
    for piece in re.split(r"[,;]|(?<!\w)et(?!\w)", text):
        piece = f" {piece.strip()} "
        if piece.strip() in ALL_WORDS:
            everyone = True
            continue
        for name in sorted(known, key=len, reverse=True):
            pattern = r"(?<![\w+])" + re.escape(name) + r"(?![\w+])"
            if re.search(pattern, piece):
                if known[name] not in topics:
                    topics.append(known[name])
                piece = re.sub(pattern, " ", piece)
        for word in re.findall(r"[\w+'-]+", piece):
            word = word.strip("'")
            if word in ALL_WORDS:
                everyone = True
            elif word and word not in FILLER:
                unknown.append(word)
    return topics, rhythm, unknown, everyone
