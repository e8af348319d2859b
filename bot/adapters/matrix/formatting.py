"""What a reply looks like in a Matrix event: the plain body, the sanitised HTML
``formatted_body`` (what the spec allows), the thread or reply relation and the mentions.
Pure functions, tested without a homeserver."""

from __future__ import annotations

import html
from typing import Any

from ...core import render
from ...core.messages import MAX_REPLY_BYTES, Reply, clip_text, wire_size

# what the Matrix spec allows in formatted_body (client-server API, "m.room.message msgtypes");
# img is left out: the bot never shows pictures in text, and one would be a tracking pixel
HTML_TAGS = {"font", "del", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "p", "a", "ul", "ol", "sup",
             "sub", "li", "b", "i", "u", "strong", "em", "s", "code", "hr", "br", "div", "table", "thead",
             "tbody", "tr", "th", "td", "caption", "pre", "span", "details", "summary"}
HTML_ATTRIBUTES = {"font": {"data-mx-bg-color", "data-mx-color", "color"},
                   "span": {"data-mx-bg-color", "data-mx-color", "data-mx-spoiler"},
                   "a": {"href", "target"}, "ol": {"start"}, "code": {"class"}}
# matrix.to links are https
URL_SCHEMES = {"https", "http", "mailto"}


def render_html(text: str) -> str:
    """The reply's Markdown as ``formatted_body``: people's text (marked literal) shown as
    written, the bot's own Markdown rendered, everything sanitised to what Matrix allows."""
    return render.to_html(text, HTML_TAGS, HTML_ATTRIBUTES, URL_SCHEMES)


def formatted_body(text: str) -> str:
    """``render_html`` cut like the plain body (``MAX_REPLY_BYTES``): when markup and escaping
    make the HTML too long, it is the HTML of a shorter beginning of the text, ending with an
    ellipsis (never cut inside a tag)."""
    budget = wire_size(text)
    size = wire_size(html.escape(text, quote=False))  # the HTML is no shorter: skip rendering too much
    while True:
        if size > MAX_REPLY_BYTES:
            budget = int(budget * MAX_REPLY_BYTES / size * 0.9)
        rendered = render_html(clip_text(text, budget))
        size = wire_size(rendered)
        if size <= MAX_REPLY_BYTES:
            return rendered


def reply_content(reply: Reply, threads: bool, mention: bool = False) -> dict:
    text = clip_text(reply.text)  # replies handed to brain.outlet directly (tickets) are not clipped yet
    content: dict[str, Any] = {
        "msgtype": "m.notice",
        "body": render.plain(text),
        "format": "org.matrix.custom.html",
        "formatted_body": formatted_body(text),
    }
    target = reply.reply_to or reply.thread
    if threads and reply.thread:
        content["m.relates_to"] = {"rel_type": "m.thread", "event_id": reply.thread, "is_falling_back": True,
                                   "m.in_reply_to": {"event_id": target}}
    elif target:
        content["m.relates_to"] = {"m.in_reply_to": {"event_id": target}}
    mentions = (reply.payload or {}).get("mentions")
    if mentions:  # e.g. a ticket announcement mentions the correspondents
        content["m.mentions"] = {"user_ids": sorted(set(mentions))}
    elif mention and reply.asker:
        content["m.mentions"] = {"user_ids": [reply.asker]}
    if reply.attachment:
        content = attachment_content(reply.attachment, content)
    return content


def attachment_content(attachment: dict, text_content: dict) -> dict:
    """A file message (``m.image`` for an image, else ``m.file``) with the reply's text as its
    caption (Matrix 1.10: ``body`` with a ``filename`` that differs). The file's ``url`` (or
    encrypted ``file``) is added when it is uploaded, just before sending."""
    mimetype = attachment.get("mimetype") or "application/octet-stream"
    name = attachment["name"]
    info: dict[str, Any] = {"mimetype": mimetype}
    for key, field in (("width", "w"), ("height", "h")):
        if attachment.get(key):
            info[field] = int(attachment[key])
    content = dict(text_content)
    content["msgtype"] = "m.image" if mimetype.startswith("image/") else "m.file"
    content["filename"] = name
    content["info"] = info
    if not content.get("body"):
        content["body"] = name
        content.pop("format", None)
        content.pop("formatted_body", None)
    return content


def without_thread(content: dict) -> dict:
    """The same message as a plain reply to its target (or no relation at all): the fallback
    when the homeserver refuses the thread (« Cannot start threads from an event with a
    relation »: an m.reference, an edit...)."""
    rel = content.get("m.relates_to") or {}
    target = (rel.get("m.in_reply_to") or {}).get("event_id")
    plain = {k: v for k, v in content.items() if k != "m.relates_to"}
    if target:  # a reply (m.in_reply_to) is allowed where a thread is not
        plain["m.relates_to"] = {"m.in_reply_to": {"event_id": target}}
    return plain
