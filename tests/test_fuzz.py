"""Property-based tests (hypothesis) over the brain and the HTML renderer (#14): random Unicode,
Markdown, control and zero-width characters, huge and empty messages. Invariants: the brain
never fails (no internal error), every message in a direct chat is answered or refused in
words, every body and formatted_body stays within the size limit, and formatted_body holds no
tag, attribute or URL scheme outside what Matrix allows."""

from __future__ import annotations

import itertools
import json
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.brain import Brain, Incoming
from bot.core.messages import MAX_REPLY_BYTES
from bot.adapters.matrix import HTML_ATTRIBUTES, HTML_TAGS, URL_SCHEMES, render_html, reply_content
from bot.core.render import literal

ADMIN = "@corr:univ.fr"
STAFF = "@prof:univ.fr"

MARKDOWN = ["[clic](javascript:alert(1))", "![x](https://t.example/p.png)", "<img src=x onerror=alert(1)>",
            "<script>alert(1)</script>", "**gras**", "_it_", "`code <b>`", "```\nbloc\n```", "> cité", "# titre",
            "- liste", "1. un", "[a]: https://x.example", "<https://pix.fr>", "https://pix.fr/a_b*c*",
            "[" * 50, "(" * 50, "*" * 40, "\\", "&amp;", "&#x3C;", "| a | b |\n|---|---|", "---", "\n\n\n",
            "<a href='javascript:x'>y</a>", "[b](data:text/html,x)", "<!-- c -->", "<details>", "\ue000", "\ue001"]
ODD = ["\u200b", "\u200d", "\u2060", "\ufeff", "\u202e", "\x00", "\x1b[31m", "\r", "\t", "\x7f", "\u0301",
       "😀", "👍", "1", "oui", "non", "!pix", "!pix ", "aide", "correspondant", "statut", "\U0010fffd"]
PIECE = st.one_of(st.sampled_from(MARKDOWN), st.sampled_from(ODD), st.text(max_size=40),
                  st.sampled_from(["Comment inviter un collègue dans Pix Orga ?", "code campagne"]))
MESSAGE = st.one_of(
    st.lists(PIECE, max_size=12).map("".join),
    st.builds(lambda piece, n: piece * n, st.sampled_from(["x", "<", "é", "😀", "[", "a "]),
              st.integers(min_value=1_000, max_value=70_000)),
    st.just(""),
)


class _Html(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in HTML_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name not in HTML_ATTRIBUTES.get(tag, set()):
                self.problems.append(f"attribute {tag}.{name}")
            if name == "href" and (value or "").split(":", 1)[0] not in URL_SCHEMES:
                self.problems.append(f"link {value}")


def html_problems(formatted: str) -> list[str]:
    parser = _Html()
    parser.feed(formatted)
    parser.close()
    return parser.problems


def within_limit(text: str) -> bool:
    return len(json.dumps(text)) - 2 <= MAX_REPLY_BYTES


SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def brain(sample_engine, storage):
    return Brain(sample_engine, storage, correspondents=[ADMIN])


@SETTINGS
@given(text=MESSAGE, sender=st.sampled_from([STAFF, ADMIN]))
def test_the_brain_answers_every_direct_message_in_words_within_the_limits(brain, text, sender):
    ids = test_the_brain_answers_every_direct_message_in_words_within_the_limits.ids
    replies = brain.handle(Incoming(sender=sender, room="!dm", text=text, event_id=f"$f{next(ids)}",
                                    is_direct=True))
    assert list(brain.errors) == []  # nothing failed inside (a failure is answered, but is a bug)
    assert replies and all(r.text.strip() for r in replies)
    for reply in replies:
        content = reply_content(reply, threads=True)
        assert within_limit(content["body"]) and within_limit(content["formatted_body"])
        assert html_problems(content["formatted_body"]) == []


test_the_brain_answers_every_direct_message_in_words_within_the_limits.ids = itertools.count()


@SETTINGS
@given(own=st.lists(st.sampled_from(MARKDOWN + ODD), max_size=10).map(" ".join), people=MESSAGE)
def test_the_renderer_never_lets_markup_through(own, people):
    formatted = render_html(own + "\n\n> " + literal(people) + "\n\n" + own)
    assert html_problems(formatted) == []
    # what people wrote is never markup: it comes out as text (escaped), whatever it holds
    formatted_people = render_html(literal(people))
    assert "<a " not in formatted_people and "<img" not in formatted_people and "<code" not in formatted_people
