"""What the bot says is Markdown it composes; what other people wrote is never Markdown.

A reply's text mixes the bot's own Markdown (FAQ answers, bold titles, lists, links) with text
that came from outside: a question quoted back, a display name, a feed's title, an error from a
server. ``literal(text)`` marks such text so that it is shown exactly as written: in the plain
body (``plain``) the marks are simply dropped; in HTML (``to_html``) the marked text never goes
through the Markdown renderer, it is HTML-escaped and put back in place afterwards. So
``[clic](javascript:…)`` or ``![x](https://…)`` typed by someone stays those characters.

The bot's own Markdown is rendered by markdown-it-py (CommonMark, raw HTML disabled), and the
result is sanitised by nh3 to an allow-list of tags, attributes and URL schemes given by the
caller (the Matrix adapter passes what the spec allows in ``formatted_body``).
"""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

# private-use characters: they cannot be typed by accident and are stripped from what people write
OPEN, CLOSE = "\ue000", "\ue001"
_TOKEN_OPEN, _TOKEN_CLOSE = "\ue002", "\ue003"
_MARKS = re.compile("[\ue000-\ue003]")
# a literal cut in the middle (a reply clipped to the size limit) runs to the end of the text
_LITERAL = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*)(?:{CLOSE}|\\Z)")
_TOKEN = re.compile(f"{_TOKEN_OPEN}(\\d+){_TOKEN_CLOSE}")
# bare web addresses in the rendered HTML (not inside a tag, an attribute or a link's text)
_URL = re.compile(r"(?<![\"'=>/\w])(https?://[^\s<>\"']+?)(?=[.,;:!?)]*(?:\s|<|$))")

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def literal(text: str) -> str:
    """Mark ``text`` (anything people, feeds or servers wrote) to be shown as written, never
    read as Markdown. Each line is marked on its own so the bot's Markdown around it (a
    quotation's ``> `` on every line, a list item) keeps its structure."""
    clean = _MARKS.sub("", str(text))
    return "\n".join(f"{OPEN}{line}{CLOSE}" if line else "" for line in clean.split("\n"))


def plain(text: str) -> str:
    """The text as a plain-text body or terminal line: the literal marks removed."""
    return _MARKS.sub("", text)


def to_html(text: str, tags: set[str], attributes: dict[str, set[str]], schemes: set[str]) -> str:
    """The bot's Markdown rendered to HTML, literal parts escaped in place, bare web addresses of
    the bot's own text made links, then everything sanitised to the allow-lists."""
    spans: list[str] = []

    def hold(match: re.Match) -> str:
        spans.append(match.group(1))
        return f"{_TOKEN_OPEN}{len(spans) - 1}{_TOKEN_CLOSE}"

    source = _LITERAL.sub(hold, re.sub(f"[{_TOKEN_OPEN}{_TOKEN_CLOSE}]", "", text))
    source = re.sub(f"[{OPEN}{CLOSE}]", "", source)  # a mark left unpaired (text cut in the middle)
    rendered = _md.render(source)
    rendered = _link_bare_urls(rendered)
    rendered = _TOKEN.sub(lambda m: html.escape(spans[int(m.group(1))], quote=False), rendered)
    return nh3.clean(rendered, tags=tags, attributes=attributes, url_schemes=schemes, link_rel=None,
                     strip_comments=True).strip()


def _link_bare_urls(rendered: str) -> str:
    """Make the bot's bare web addresses links, outside tags and outside existing links."""
    out, inside_link = [], 0
    for part in re.split(r"(<[^>]*>)", rendered):
        if part.startswith("<"):
            if re.match(r"<a[\s>]", part):
                inside_link += 1
            elif part.startswith("</a"):
                inside_link = max(0, inside_link - 1)
            out.append(part)
        elif inside_link:
            out.append(part)
        else:
            out.append(_URL.sub(lambda m: f'<a href="{m.group(1)}">{m.group(1)}</a>', part))
    return "".join(out)
