"""Reading the sources: RSS/Atom feeds and the folder of Markdown announcements.

Feeds are read with urllib (a timeout, a size bound, conditional requests) and parsed by
feedparser; a document that is not a well-formed feed is refused whole. Announcement files carry
a front matter (title, date, topics, optional expires/urgent/link). A failing source is skipped
with a logged error and retried with exponential backoff; its state is shown to the
correspondents (``actus sources``, ``pixbot news sources``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import logging
import threading
import time
import urllib.error
import urllib.request
import xml.sax
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import feedparser
import yaml

from ...core import strings
from ...answers.sources import split_front_matter
from .store import NewsStore
from .text import one_line
from .topics import item_topics

log = logging.getLogger(__name__)

USER_AGENT = "pixbot-news/1.0 (+https://pix.fr)"
FOLDER_PREFIX = "dossier:"


@dataclass
class NewsItem:
    id: str
    source: str
    title: str
    link: str | None
    summary: str
    published: float | None = None
    topics: list[str] = field(default_factory=list)
    body: str = ""
    expires: float | None = None
    urgent: bool = False

    def content_hash(self) -> str:
        h = hashlib.sha256()
        for part in (self.title, self.link or "", self.summary, self.body):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()


class FetchError(Exception):
    """A source could not be read; the message is shown to the correspondents (French)."""


def fetch_url(url: str, etag: str | None, modified: str | None, timeout: float,
              max_bytes: int) -> tuple[bytes, str | None, str | None] | None:
    """GET with a deadline, a size bound and a conditional request. None: not modified (304)."""
    req = urllib.request.Request(url, headers={
        "User-Agent": USER_AGENT,
        "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"})
    if etag:
        req.add_header("If-None-Match", etag)
    if modified:
        req.add_header("If-Modified-Since", modified)
    deadline = time.monotonic() + timeout
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 304:
            return None
        raise FetchError(strings.NEWS_ERR_HTTP.format(code=exc.code)) from None
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            raise FetchError(strings.NEWS_ERR_TIMEOUT.format(seconds=round(timeout))) from None
        raise FetchError(strings.NEWS_ERR_UNREACHABLE.format(reason=str(reason)[:120])) from None
    with resp:
        length = resp.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise FetchError(strings.NEWS_ERR_TOO_BIG.format(limit=max_bytes))
        chunks, total = [], 0
        while True:
            if time.monotonic() > deadline:
                raise FetchError(strings.NEWS_ERR_TIMEOUT.format(seconds=round(timeout)))
            try:
                chunk = resp.read(65536)
            except (TimeoutError, OSError):
                raise FetchError(strings.NEWS_ERR_TIMEOUT.format(seconds=round(timeout))) from None
            if not chunk:
                break
            total += len(chunk)
            if total > max_bytes:
                raise FetchError(strings.NEWS_ERR_TOO_BIG.format(limit=max_bytes))
            chunks.append(chunk)
        return b"".join(chunks), resp.headers.get("ETag"), resp.headers.get("Last-Modified")


def parse_feed(url: str, data: bytes, rules: dict[str, list[str]]) -> tuple[str | None, list[NewsItem]]:
    """(feed title, items). A document that is not a well-formed RSS/Atom feed is refused whole
    (a truncated feed would store truncated items)."""
    parsed = feedparser.parse(data)
    exc = parsed.get("bozo_exception")
    if not parsed.get("version") or (parsed.get("bozo") and isinstance(exc, xml.sax.SAXException)):
        raise FetchError(strings.NEWS_ERR_MALFORMED.format(problem=str(exc or "format inconnu")[:120]))
    items = []
    for e in parsed.entries:
        key = e.get("id") or e.get("link") or e.get("title")
        if not key:
            continue
        content = ""
        if e.get("content"):
            content = one_line(e["content"][0].get("value", ""), 2000)
        summary = one_line(e.get("summary") or e.get("description") or content)
        stamp = e.get("published_parsed") or e.get("updated_parsed")
        categories = [t.get("term") or "" for t in e.get("tags", [])]
        title = one_line(e.get("title") or "", 300) or strings.NEWS_UNTITLED
        items.append(NewsItem(
            id="feed:" + hashlib.sha1(f"{url}\x00{key}".encode()).hexdigest()[:20], source=url, title=title,
            link=e.get("link"), summary=summary, body=content,
            published=calendar.timegm(stamp) if stamp else None,
            topics=item_topics(f"{title} {summary} {content}", categories, rules)))
    return parsed.feed.get("title"), items


def _as_epoch(value, tz: ZoneInfo, end_of_day: bool = False) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(value) from None
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=tz)).timestamp()
    if isinstance(value, dt.date):
        day = value + dt.timedelta(days=1) if end_of_day else value
        return dt.datetime(day.year, day.month, day.day, tzinfo=tz).timestamp()
    raise ValueError(str(value))


def load_announcements(folder: Path, rules: dict[str, list[str]], tz: ZoneInfo) -> tuple[list[NewsItem], list[str]]:
    """Markdown files with front matter (title, date, topics, expires, urgent, link)."""
    items, problems = [], []
    if not folder.is_dir():
        return items, problems
    for path in sorted(folder.glob("*.md")):
        rel = path.name
        try:
            front, body, _ = split_front_matter(path.read_text(encoding="utf-8"))
            meta = yaml.safe_load(front) if front else {}
        except (UnicodeDecodeError, yaml.YAMLError) as exc:
            problems.append(strings.NEWS_ANNOUNCE_FILE_BAD.format(file=rel, problem=str(exc).splitlines()[0][:100]))
            continue
        if not isinstance(meta, dict) or not str(meta.get("title") or "").strip():
            problems.append(strings.NEWS_ANNOUNCE_FILE_NO_TITLE.format(file=rel))
            continue
        topics = meta.get("topics") or []
        if isinstance(topics, str):
            topics = [t.strip() for t in topics.split(",")]
        try:
            published = _as_epoch(meta.get("date"), tz)
            expiry = meta.get("expires", meta.get("expiry"))
            expires = _as_epoch(expiry, tz, end_of_day=True)
        except ValueError as exc:
            problems.append(strings.NEWS_ANNOUNCE_FILE_BAD_DATE.format(file=rel, value=exc))
            continue
        title = str(meta["title"]).strip()
        body = body.strip()
        items.append(NewsItem(
            id="annonce:" + path.stem, source=FOLDER_PREFIX + str(folder), title=title,
            link=str(meta.get("link") or "") or None, summary=one_line(body.split("\n\n")[0]), body=body,
            published=published, expires=expires, urgent=bool(meta.get("urgent")),
            topics=item_topics(f"{title} {body}", [str(t) for t in topics], rules)))
    return items, problems


class Fetcher:
    """Reads every source into the store, with backoff for the failing ones; reports their state.
    ``errors``: where a failure is noted for the bot's status (``brain.errors``)."""

    def __init__(self, store: NewsStore, nc, folder: Path, tz: ZoneInfo, clock: Callable[[], float],
                 errors: deque):
        self.store = store
        self.nc = nc
        self.folder = folder
        self.tz = tz
        self.clock = clock
        self.errors = errors
        self._lock = threading.Lock()

    def fetch_all(self, force: bool = False) -> dict[str, str]:
        """Fetch every source due now; returns {source: 'ok' | 'unchanged' | 'skipped' | error}."""
        with self._lock:
            report: dict[str, str] = {}
            for url in self.nc.feeds:
                report[url] = self._fetch_feed(url, force)
            report[FOLDER_PREFIX + str(self.folder)] = self._scan_folder()
            return report

    def _fetch_feed(self, url: str, force: bool) -> str:
        now = self.clock()
        state = self.store.source(url)
        if not force and state["next_retry"] > now:
            return "skipped"
        try:
            got = fetch_url(url, state["etag"], state["last_modified"], self.nc.fetch_timeout, self.nc.max_bytes)
            title, items = (None, []) if got is None else parse_feed(url, got[0], self.nc.topics)
        except FetchError as exc:
            failures = state["failures"] + 1
            delay = min(self.nc.fetch_interval_minutes * 60 * 2 ** (failures - 1), self.nc.retry_max_minutes * 60)
            self.store.source_failed(url, failures, now + delay, now, str(exc))
            log.error("news source %s failed (%s); retry in %d min", url, exc, delay // 60)
            self.errors.append(f"actus : {url} : {exc}")
            return str(exc)
        counts = self.store.save_feed(url, items, now, None if got is None else (got[1], got[2], title))
        if got is None:
            return "unchanged"
        log.info("news source %s: %d new, %d updated", url, counts["new"], counts["updated"])
        return "ok"

    def _scan_folder(self) -> str:
        key = FOLDER_PREFIX + str(self.folder)
        self.store.source(key)
        now = self.clock()
        items, problems = load_announcements(self.folder, self.nc.topics, self.tz)
        for p in problems:
            log.warning("announcement: %s", p)
        self.store.save_folder(key, items, now, "; ".join(problems[:3]) or None)
        return "; ".join(problems) if problems else "ok"

    def sources(self) -> list[dict]:
        keys = [*self.nc.feeds, FOLDER_PREFIX + str(self.folder)]
        return [self.store.source(k) for k in keys]

    def sources_text(self) -> str:
        """The state of every source, for the correspondents."""
        def when(ts: float | None) -> str:
            return dt.datetime.fromtimestamp(ts, self.tz).strftime("%d/%m/%Y %H:%M") if ts else "—"

        rows = []
        for s in self.sources():
            name = s["title"] or s["url"]
            if s["url"].startswith(FOLDER_PREFIX):
                name = strings.NEWS_FOLDER_NAME.format(path=s["url"][len(FOLDER_PREFIX):])
            rows.append(strings.news_source_line(
                name=name, url=s["url"], ok=not s["failures"], failures=s["failures"], error=s["last_error"],
                last_ok=when(s["last_ok"]), next_retry=when(s["next_retry"]) if s["failures"] else None,
                items=s["items"]))
        return strings.news_sources(rows)
