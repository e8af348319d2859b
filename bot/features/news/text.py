"""Text shaping for news items (pure): accent folding, one-line summaries, safe Markdown and links."""

from __future__ import annotations

import html
import re
import urllib.parse

from ...answers.textnorm import fold_accents

_TAG = re.compile(r"<[^>]+>")


def fold(text: str) -> str:
    return re.sub(r"\s+", " ", fold_accents(text or "").lower()).strip()


def one_line(text: str, limit: int = 180) -> str:
    """Plain one-line summary: HTML tags and entities removed, whitespace collapsed, cut on a word."""
    plain = re.sub(r"\s+", " ", html.unescape(_TAG.sub(" ", text or ""))).strip()
    if len(plain) <= limit:
        return plain
    cut = plain[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return cut + "…"


def md_text(text: str) -> str:
    """Text from a feed placed in our Markdown: no link syntax, no emphasis, no HTML."""
    return re.sub(r"([*_`\\])", r"\\\1", text.replace("[", "(").replace("]", ")"))


def safe_link(link: str | None) -> str | None:
    if not link or not re.match(r"^https?://", link.strip()):
        return None
    return urllib.parse.quote(link.strip(), safe=":/?#@!$&'*+,;=%~-._")
