"""What people write is shown as written; the bot's own Markdown is rendered and sanitised
(#14, item 2). Driven through the real brain and features, then the Matrix adapter's
``reply_content`` (what goes into the event)."""

from __future__ import annotations

import html
from html.parser import HTMLParser

import pytest

from bot.core.app import App
from bot.core.brain import Incoming
from bot.adapters.matrix.platform import MatrixPlatform
from bot.adapters.matrix import HTML_TAGS, URL_SCHEMES, render_html, reply_content
from bot.core.render import literal, plain
from bot.features import tickets as tickets_mod

ADMIN = "@corr:univ.fr"
STAFF = "@prof:univ.fr"
CORR = "!correspondants"
HOSTILE = "[clic](javascript:alert(1)) ![x](https://tracker.example/p.png) <img src=x> **gras** `a<b`"


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.links: list[str] = []
        self.attributes: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            self.attributes.add(name)
            if name in ("href", "src"):
                self.links.append(value or "")


def tags_and_links(formatted: str) -> tuple[set[str], list[str]]:
    parser = _Elements()
    parser.feed(formatted)
    return parser.tags, parser.links


def _attributes(formatted: str) -> set[str]:
    parser = _Elements()
    parser.feed(formatted)
    return parser.attributes


def assert_shown_as_written(content: dict, written: str) -> None:
    formatted = content["formatted_body"]
    tags, links = tags_and_links(formatted)
    assert "img" not in tags and not any(link.startswith("javascript") for link in links), formatted
    assert "tracker.example" not in " ".join(links)
    assert html.escape(written, quote=False) in formatted  # the characters themselves, escaped once
    assert written in content["body"]


@pytest.fixture
def app(sample_engine, storage):
    config = sample_engine.config
    config.correspondents = [ADMIN]
    config.matrix.correspondents_room = CORR
    app = App(config, sample_engine, storage, features=[tickets_mod.install])
    app.brain.platform = MatrixPlatform(lambda: CORR)  # mentions as Matrix writes them
    return app


def handle(app, text, event_id, thread=None, sender=STAFF):
    return app.brain.handle(Incoming(sender=sender, room="!dm", text=text, event_id=event_id, thread=thread,
                                     is_direct=True, sender_name="**Paul** <b>Prof</b>"))


def test_an_unknown_command_is_echoed_as_written(app):
    word = "[clic](javascript:alert(1))"
    [reply] = handle(app, "!pix " + word, "$u1")
    assert reply.kind == "help"
    assert_shown_as_written(reply_content(reply, threads=True), word)


def test_the_hand_over_offer_and_the_ticket_announcement_quote_the_question_as_written(app):
    emitted = []
    app.brain.outlet = emitted.extend
    question = "Où se gare-t-on le samedi ? " + HOSTILE
    [offer] = handle(app, "correspondant " + question, "$q1")
    assert offer.kind == "none"
    assert_shown_as_written(reply_content(offer, threads=True), question)
    handle(app, "oui", "$y1", thread="$q1")
    [announcement] = [r for r in emitted if r.room == CORR]
    content = reply_content(announcement, threads=True)
    assert_shown_as_written(content, question)
    assert_shown_as_written(content, "**Paul** <b>Prof</b>")  # a display name is people's text too
    # the bot's own Markdown around it is still rendered: the title in bold, the mentions as links
    assert "<strong>Ticket n° 1</strong>" in content["formatted_body"]
    assert '<a href="https://matrix.to/#/@corr:univ.fr">' in content["formatted_body"]


def test_the_bots_own_markdown_is_rendered_once(app):
    text = "Voir <https://pix.fr/a?b=1&c=2>, le code `a < b` et https://support.pix.org/fr/ **ici**."
    formatted = render_html(text)
    assert '<a href="https://pix.fr/a?b=1&amp;c=2">https://pix.fr/a?b=1&amp;c=2</a>' in formatted
    assert "<code>a &lt; b</code>" in formatted  # not &amp;lt;
    assert '<a href="https://support.pix.org/fr/">https://support.pix.org/fr/</a>' in formatted
    assert "<strong>ici</strong>" in formatted


def test_markup_outside_the_matrix_allow_list_never_reaches_the_event():
    """Even the bot's own text (an FAQ entry edited carelessly) cannot carry a script, an image,
    an event handler or a link with a scheme other than https, http and mailto."""
    text = ("<script>alert(1)</script> <img src=https://t.example/p.png> <iframe src=x></iframe> "
            "[a](javascript:alert(1)) [b](data:text/html,x) [c](vbscript:x) [d](mailto:pix@univ.fr) "
            '<a href="javascript:x" onclick="y">e</a> ![f](https://t.example/f.png) [g](https://pix.fr)')
    formatted = render_html(text)
    tags, links = tags_and_links(formatted)
    assert tags <= HTML_TAGS and "img" not in tags and "script" not in tags and "iframe" not in tags
    assert all(link.split(":", 1)[0] in URL_SCHEMES for link in links), links
    assert "onclick" not in _attributes(formatted) and 'href="https://pix.fr"' in formatted


def test_a_literal_keeps_its_characters_even_when_cut_in_the_middle():
    text = "Vous avez écrit : " + literal("*a* " * 10)
    cut = text[: len(text) // 2]  # a mark left open
    assert "\ue000" not in plain(cut) and "<em>" not in render_html(cut)

