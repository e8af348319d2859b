"""Pix news: sources -> items -> per-subscriber digests, sent once and recorded.

- Sources: RSS/Atom feeds (``news.feeds``; urllib with a timeout, a size bound and conditional
  requests, parsed by feedparser) and a folder of Markdown announcements written by the
  correspondent (front matter: title, date, topics, optional expires/urgent/link).
- Items have a stable id and a content hash: an edited item gets a new hash and goes out again,
  marked "mis à jour"; ``news_deliveries`` remembers which (item, hash) each subscriber received.
- A failing source is skipped with a logged error and retried with exponential backoff; its state
  is visible to the correspondents (``actus sources``, ``pixbot news sources``).
- Rounds: the cron jobs (daily at ``daily_time``, weekly on ``weekly_day``) and a short poll all
  call ``tick()``, which decides from the database: it finishes a round a crash interrupted, runs
  a round the bot missed while it was down (once, coalesced) and honours ``pixbot news send-now``
  requests. Each digest goes out through ``brain.emit`` with its delivery record in the same
  transaction, so no digest is lost or sent twice across a restart.
- Announcements: ``annonce`` (or an urgent file) -> preview -> ``envoyer`` (``envoyer à tous``
  for everyone) -> broadcast through the outbox; ``rappeler`` redacts the sent messages.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.sax
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

import feedparser
import yaml
from apscheduler.triggers.cron import CronTrigger

from . import strings
from .brain import Forgetter, Incoming, Reply
from .sources import split_front_matter
from .textnorm import fold_accents

log = logging.getLogger(__name__)

RHYTHMS = ("daily", "weekly")
KV_BASELINE = "news.baseline.{rhythm}"  # when the schedule started counting (no catch-up before)
KV_REQUEST = "news.send_now"  # a round requested by `pixbot news send-now`
POLL_SECONDS = 30
DRAFT_TTL = 3600.0  # an announcement preview waits this long for « envoyer »
URGENT_DRAFT_TTL = 86400.0
USER_AGENT = "pixbot-news/1.0 (+https://pix.fr)"
FOLDER_PREFIX = "dossier:"

MIGRATIONS = [
    """
    CREATE TABLE news_items (
        id TEXT PRIMARY KEY, source TEXT NOT NULL, title TEXT NOT NULL, link TEXT, summary TEXT NOT NULL,
        body TEXT NOT NULL DEFAULT '', published REAL, topics TEXT NOT NULL, hash TEXT NOT NULL,
        version INTEGER NOT NULL, state TEXT NOT NULL DEFAULT 'active', expires REAL,
        urgent INTEGER NOT NULL DEFAULT 0, announced INTEGER NOT NULL DEFAULT 0,
        first_seen REAL NOT NULL, changed_at REAL NOT NULL
    );
    CREATE INDEX news_items_changed ON news_items (changed_at);
    CREATE TABLE news_sources (
        url TEXT PRIMARY KEY, title TEXT, etag TEXT, last_modified TEXT, failures INTEGER NOT NULL DEFAULT 0,
        next_retry REAL NOT NULL DEFAULT 0, last_attempt REAL, last_ok REAL, last_error TEXT,
        items INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE news_subscribers (
        id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, target TEXT NOT NULL, room TEXT NOT NULL,
        topics TEXT NOT NULL, rhythm TEXT NOT NULL, created_at REAL NOT NULL, created_by TEXT,
        UNIQUE (kind, target)
    );
    CREATE TABLE news_rounds (
        id INTEGER PRIMARY KEY AUTOINCREMENT, rhythm TEXT NOT NULL, scheduled_for REAL NOT NULL,
        manual INTEGER NOT NULL DEFAULT 0, started_at REAL NOT NULL, completed_at REAL,
        UNIQUE (rhythm, scheduled_for, manual)
    );
    CREATE TABLE news_round_served (
        round INTEGER NOT NULL, subscriber INTEGER NOT NULL, items INTEGER NOT NULL, served_at REAL NOT NULL,
        PRIMARY KEY (round, subscriber)
    );
    CREATE TABLE news_deliveries (
        subscriber INTEGER NOT NULL, item TEXT NOT NULL, hash TEXT NOT NULL, round INTEGER,
        announcement INTEGER, delivered_at REAL NOT NULL, PRIMARY KEY (subscriber, item, hash)
    );
    CREATE TABLE news_announcements (
        id INTEGER PRIMARY KEY AUTOINCREMENT, author TEXT, room TEXT NOT NULL, text TEXT NOT NULL,
        topics TEXT NOT NULL, item TEXT, item_hash TEXT, state TEXT NOT NULL, created_at REAL NOT NULL,
        expires_at REAL NOT NULL, sent_at REAL, recipients INTEGER
    );
    CREATE TABLE news_announcement_messages (
        announcement INTEGER NOT NULL, room TEXT NOT NULL, event_id TEXT NOT NULL,
        redacted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (announcement, event_id)
    );
    """,
]


# -- pure helpers ---------------------------------------------------------------------------------
def fold(text: str) -> str:
    return re.sub(r"\s+", " ", fold_accents(text or "").lower()).strip()


_TAG = re.compile(r"<[^>]+>")


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


# -- the feature ----------------------------------------------------------------------------------
class News:
    def __init__(self, app, clock: Callable[[], float] | None = None):
        self.app = app
        self.config = app.config
        self.nc = app.config.news
        self.storage = app.storage
        self.brain = app.brain
        self.db = app.storage.db
        self.clock = clock or time.time
        self.tz = ZoneInfo(app.config.timezone)
        hour, minute = (int(x) for x in self.nc.daily_time.split(":"))
        self.triggers = {
            "daily": CronTrigger(hour=hour, minute=minute, timezone=self.tz),
            "weekly": CronTrigger(day_of_week=self.nc.weekly_day, hour=hour, minute=minute, timezone=self.tz),
        }
        folder = Path(self.nc.announcements_dir)
        self.folder = folder if folder.is_absolute() else Path(app.config.base_dir) / folder
        self._round_lock = threading.Lock()
        self._fetch_lock = threading.Lock()

    # -- set-up ---------------------------------------------------------------------------------
    def install(self) -> "News":
        self.storage.migrate_module("news", MIGRATIONS)
        now = self.clock()
        for rhythm in RHYTHMS:  # the schedule starts counting at the first install
            if self.storage.get(KV_BASELINE.format(rhythm=rhythm)) is None:
                self.storage.set(KV_BASELINE.format(rhythm=rhythm), repr(now))
        self._register_commands()
        self.brain.add_interceptor(self._intercept_confirmation, priority=50)
        self.brain.sent_hooks.append(self._on_sent)
        self.brain.failed_hooks.append(self._on_failed)
        self.brain.left_hooks.append(self.forget_room)
        self.brain.forgetters.append(Forgetter(self.count_held, self.forget_person))
        sched = self.app.scheduler
        start = dt.datetime.now(self.tz)
        sched.add_job(self.fetch_all, "interval", minutes=self.nc.fetch_interval_minutes, id="news-fetch",
                      next_run_time=start, replace_existing=True)
        for rhythm, trigger in self.triggers.items():
            sched.add_job(self.tick, trigger, id=f"news-{rhythm}", replace_existing=True)
        sched.add_job(self.tick, "interval", seconds=POLL_SECONDS, id="news-poll",
                      next_run_time=start + dt.timedelta(seconds=5), replace_existing=True)
        sched.add_job(self.purge_expired, "cron", hour=3, minute=23, id="news-retention", replace_existing=True)
        self.app.news = self
        return self

    def purge_expired(self, now: float | None = None) -> int:
        """GDPR retention: forget who received what, and old announcements (author, text).

        Delivery records are kept at least ``max_age_days`` + 1 day, the window in which an item
        could still be sent, so a purge never makes a digest repeat an item.
        """
        now = self.clock() if now is None else now
        cutoff = now - self.config.retention_days * 86400
        deliveries_cutoff = min(cutoff, now - (self.nc.max_age_days + 1) * 86400)
        with self.storage.transaction() as db:
            n = db.execute("DELETE FROM news_deliveries WHERE delivered_at < ?", (deliveries_cutoff,)).rowcount
            n += db.execute("DELETE FROM news_round_served WHERE served_at < ?", (deliveries_cutoff,)).rowcount
            old = [r[0] for r in db.execute(
                "SELECT id FROM news_announcements WHERE created_at < ?", (cutoff,))]
            for aid in old:
                db.execute("DELETE FROM news_announcement_messages WHERE announcement = ?", (aid,))
                db.execute("DELETE FROM news_announcements WHERE id = ?", (aid,))
        if n or old:
            log.info("retention: deleted %d news delivery record(s) and %d announcement(s)", n, len(old))
        return n + len(old)

    # -- items ----------------------------------------------------------------------------------
    def upsert(self, item: NewsItem, now: float) -> str:
        """Store an item: 'new', 'updated' (content hash changed) or 'same'."""
        h = item.content_hash()
        topics = json.dumps(item.topics, ensure_ascii=False)
        with self.storage.lock:
            row = self.db.execute("SELECT hash, version FROM news_items WHERE id = ?", (item.id,)).fetchone()
            if row is None:
                self.db.execute(
                    "INSERT INTO news_items (id, source, title, link, summary, body, published, topics, hash, version,"
                    " expires, urgent, first_seen, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)",
                    (item.id, item.source, item.title, item.link, item.summary, item.body, item.published, topics, h,
                     item.expires, int(item.urgent), now, now))
                return "new"
            if row["hash"] != h:
                self.db.execute(
                    "UPDATE news_items SET title = ?, link = ?, summary = ?, body = ?, published = ?, topics = ?,"
                    " hash = ?, version = version + 1, expires = ?, urgent = ?, announced = 0, state = 'active',"
                    " changed_at = ? WHERE id = ?",
                    (item.title, item.link, item.summary, item.body, item.published, topics, h, item.expires,
                     int(item.urgent), now, item.id))
                return "updated"
            self.db.execute("UPDATE news_items SET topics = ?, expires = ?, state = 'active' WHERE id = ?",
                            (topics, item.expires, item.id))
            return "same"

    def fetch_all(self, force: bool = False) -> dict[str, str]:
        """Fetch every source due now; returns {source: 'ok' | 'unchanged' | 'skipped' | error}."""
        with self._fetch_lock:
            report: dict[str, str] = {}
            for url in self.nc.feeds:
                report[url] = self._fetch_feed(url, force)
            report[FOLDER_PREFIX + str(self.folder)] = self._scan_folder()
            return report

    def _source(self, url: str) -> dict:
        with self.storage.lock:
            self.db.execute("INSERT OR IGNORE INTO news_sources (url) VALUES (?)", (url,))
            return dict(self.db.execute("SELECT * FROM news_sources WHERE url = ?", (url,)).fetchone())

    def _fetch_feed(self, url: str, force: bool) -> str:
        now = self.clock()
        state = self._source(url)
        if not force and state["next_retry"] > now:
            return "skipped"
        try:
            got = fetch_url(url, state["etag"], state["last_modified"], self.nc.fetch_timeout, self.nc.max_bytes)
            title, items = (None, []) if got is None else parse_feed(url, got[0], self.nc.topics)
        except FetchError as exc:
            failures = state["failures"] + 1
            delay = min(self.nc.fetch_interval_minutes * 60 * 2 ** (failures - 1), self.nc.retry_max_minutes * 60)
            with self.storage.lock:
                self.db.execute("UPDATE news_sources SET failures = ?, next_retry = ?, last_attempt = ?,"
                                " last_error = ? WHERE url = ?", (failures, now + delay, now, str(exc), url))
            log.error("news source %s failed (%s); retry in %d min", url, exc, delay // 60)
            self.brain.errors.append(f"actus : {url} : {exc}")
            return str(exc)
        with self.storage.transaction():
            counts = {"new": 0, "updated": 0, "same": 0}
            for item in items:
                counts[self.upsert(item, now)] += 1
            if got is not None:
                self.db.execute("UPDATE news_sources SET etag = ?, last_modified = ?, title = COALESCE(?, title),"
                                " items = ? WHERE url = ?", (got[1], got[2], title, len(items), url))
            self.db.execute("UPDATE news_sources SET failures = 0, next_retry = 0, last_attempt = ?, last_ok = ?,"
                            " last_error = NULL WHERE url = ?", (now, now, url))
        if got is None:
            return "unchanged"
        log.info("news source %s: %d new, %d updated", url, counts["new"], counts["updated"])
        return "ok"

    def _scan_folder(self) -> str:
        key = FOLDER_PREFIX + str(self.folder)
        self._source(key)
        now = self.clock()
        items, problems = load_announcements(self.folder, self.nc.topics, self.tz)
        for p in problems:
            log.warning("announcement: %s", p)
        with self.storage.transaction():
            for item in items:
                self.upsert(item, now)
            ids = [i.id for i in items]
            self.db.execute(f"UPDATE news_items SET state = 'removed' WHERE source = ? AND state = 'active'"
                            f" AND id NOT IN ({','.join('?' * len(ids))})", (key, *ids))
            self.db.execute("UPDATE news_sources SET last_attempt = ?, last_ok = ?, last_error = ?, items = ?"
                            " WHERE url = ?", (now, now, "; ".join(problems[:3]) or None, len(items), key))
        return "; ".join(problems) if problems else "ok"

    def sources(self) -> list[dict]:
        keys = [*self.nc.feeds, FOLDER_PREFIX + str(self.folder)]
        return [self._source(k) for k in keys]

    def known_topics(self) -> dict[str, str]:
        """Folded name or keyword -> topic name (configured topics, then categories seen)."""
        known: dict[str, str] = {}
        for row in self.db.execute("SELECT topics FROM news_items WHERE state = 'active'"):
            for t in json.loads(row[0]):
                known.setdefault(fold(t), t)
        for topic, keywords in self.nc.topics.items():
            for word in keywords:
                known[fold(word)] = topic
            known[fold(topic)] = topic
        return known

    def topic_names(self) -> list[str]:
        names = list(self.nc.topics)
        for t in sorted(set(self.known_topics().values()) - set(names)):
            names.append(t)
        return names

    # -- subscribers ----------------------------------------------------------------------------
    def subscriber(self, kind: str, target: str) -> dict | None:
        row = self.db.execute("SELECT * FROM news_subscribers WHERE kind = ? AND target = ?", (kind, target)).fetchone()
        return _sub(row) if row else None

    def subscribers(self, rhythm: str | None = None) -> list[dict]:
        rows = self.db.execute("SELECT * FROM news_subscribers ORDER BY id").fetchall()
        return [_sub(r) for r in rows if rhythm in (None, "all") or r["rhythm"] == rhythm]

    def find_subscriber(self, key: str) -> dict | None:
        row = self.db.execute("SELECT * FROM news_subscribers WHERE CAST(id AS TEXT) = ? OR target = ? OR room = ?"
                              " ORDER BY id LIMIT 1", (key, key, key)).fetchone()
        return _sub(row) if row else None

    def subscribe(self, kind: str, target: str, room: str, topics: list[str], rhythm: str | None,
                  by: str) -> dict:
        now = self.clock()
        with self.storage.transaction():
            current = self.subscriber(kind, target)
            if current is None:
                self.db.execute("INSERT INTO news_subscribers (kind, target, room, topics, rhythm, created_at,"
                                " created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (kind, target, room, json.dumps(topics, ensure_ascii=False), rhythm or "daily",
                                 now, by))
            else:
                merged = [] if not current["topics"] or not topics else \
                    current["topics"] + [t for t in topics if t not in current["topics"]]
                self.db.execute("UPDATE news_subscribers SET room = ?, topics = ?, rhythm = ? WHERE id = ?",
                                (room, json.dumps(merged, ensure_ascii=False), rhythm or current["rhythm"],
                                 current["id"]))
        return self.subscriber(kind, target)

    def unsubscribe(self, kind: str, target: str, topics: list[str]) -> tuple[str, dict | None]:
        """('removed' | 'narrowed' | 'all-topics' | 'not-subscribed', subscription after)."""
        with self.storage.transaction():
            current = self.subscriber(kind, target)
            if current is None:
                return "not-subscribed", None
            if topics and not current["topics"]:
                return "all-topics", current
            left = [t for t in current["topics"] if fold(t) not in {fold(x) for x in topics}] if topics else []
            if not left:
                self.db.execute("DELETE FROM news_deliveries WHERE subscriber = ?", (current["id"],))
                self.db.execute("DELETE FROM news_subscribers WHERE id = ?", (current["id"],))
                return "removed", None
            self.db.execute("UPDATE news_subscribers SET topics = ? WHERE id = ?",
                            (json.dumps(left, ensure_ascii=False), current["id"]))
        return "narrowed", self.subscriber(kind, target)

    # -- digests --------------------------------------------------------------------------------
    def _active_items(self, now: float) -> list[dict]:
        rows = self.db.execute("SELECT * FROM news_items WHERE state = 'active' AND (expires IS NULL OR expires > ?)",
                               (now,)).fetchall()
        return [{**dict(r), "topics": json.loads(r["topics"])} for r in rows]

    def pending_items(self, sub: dict) -> list[dict]:
        """Items this subscriber has not received (in their current version) and that match their
        topics, newest first, at most ``max_items``; each with ``updated`` (an earlier version was sent)."""
        now = self.clock()
        since = sub["created_at"] - self.nc.backlog_days * 86400
        oldest = now - self.nc.max_age_days * 86400
        wanted = {fold(t) for t in sub["topics"]}
        got: dict[str, set[str]] = {}
        for item, h in self.db.execute("SELECT item, hash FROM news_deliveries WHERE subscriber = ?", (sub["id"],)):
            got.setdefault(item, set()).add(h)
        out = []
        for item in self._active_items(now):
            if item["changed_at"] < since or item["hash"] in got.get(item["id"], ()):
                continue
            if wanted and not wanted & {fold(t) for t in item["topics"]}:
                continue
            if item["id"] not in got and item["published"] and item["published"] < oldest:
                continue
            out.append({**item, "updated": item["id"] in got})
        out.sort(key=lambda i: (i["published"] or i["changed_at"], i["changed_at"]), reverse=True)
        return out[: self.nc.max_items]

    def render_digest(self, sub: dict, items: list[dict], rhythm: str) -> str:
        wanted = [fold(t) for t in sub["topics"]]
        groups: dict[str, list] = {}
        for item in items:
            topics = item["topics"]
            label = next((t for t in topics if fold(t) in wanted), None) if wanted else None
            label = label or (topics[0] if topics else strings.NEWS_GROUP_OTHER)
            groups.setdefault(label, []).append(
                (md_text(item["title"]), safe_link(item["link"]), md_text(one_line(item["summary"], 160)),
                 item["updated"]))
        order = sorted(groups, key=lambda g: (g == strings.NEWS_GROUP_OTHER, g.lower()))
        today = dt.datetime.fromtimestamp(self.clock(), self.tz).date()
        return strings.news_digest(strings.french_date(today), rhythm, [(g, groups[g]) for g in order])

    def digest_for(self, sub: dict) -> tuple[str | None, list[dict]]:
        items = self.pending_items(sub)
        if not items:
            return None, []
        return self.render_digest(sub, items, sub["rhythm"]), items

    # -- rounds ---------------------------------------------------------------------------------
    def latest_due(self, rhythm: str, after: float, now: float) -> float | None:
        """The latest scheduled time of ``rhythm`` in (after, now], or None (coalesces missed runs)."""
        trigger = self.triggers[rhythm]
        t = trigger.get_next_fire_time(None, dt.datetime.fromtimestamp(after + 1, self.tz))
        latest = None
        while t is not None and t.timestamp() <= now:
            latest = t.timestamp()
            t = trigger.get_next_fire_time(t, t + dt.timedelta(seconds=1))
        return latest

    def request_round(self, rhythm: str = "all") -> None:
        """Ask the running bot for a round now (``pixbot news send-now``); kept until served."""
        self.storage.set(KV_REQUEST, json.dumps({"at": self.clock(), "rhythm": rhythm}))

    def tick(self) -> int:
        """Everything the schedule asks for, decided from the database. Returns digests sent."""
        if not self._round_lock.acquire(blocking=False):
            return 0
        try:
            if self.brain.outlet is None:
                return 0  # no adapter connected: the rounds wait (and are caught up) until one is
            self._announce_urgent_files()
            sent = 0
            for row in self.db.execute("SELECT * FROM news_rounds WHERE completed_at IS NULL ORDER BY id").fetchall():
                done, n = self._serve_round(dict(row))  # a round a crash interrupted
                sent += n
                if not done:
                    return sent
            request = self.storage.get(KV_REQUEST)
            if request:
                req = json.loads(request)
                self.fetch_all()
                round_ = self._open_round(req.get("rhythm", "all"), req["at"], manual=True,
                                          consume_request=request)
                if round_:
                    sent += self._serve_round(round_)[1]
            now = self.clock()
            fetched = bool(request)
            for rhythm in RHYTHMS:
                last = self.db.execute("SELECT MAX(scheduled_for) FROM news_rounds WHERE rhythm = ? AND manual = 0",
                                       (rhythm,)).fetchone()[0]
                if last is None:
                    last = float(self.storage.get(KV_BASELINE.format(rhythm=rhythm)) or now)
                due = self.latest_due(rhythm, last, now)
                if due is None:
                    continue
                if due < now - 60:
                    log.info("news: catching up the %s digest of %s", rhythm,
                             dt.datetime.fromtimestamp(due, self.tz).isoformat())
                if not fetched:  # fresh items for the digest (failing sources are skipped)
                    self.fetch_all()
                    fetched = True
                round_ = self._open_round(rhythm, due)
                if round_:
                    sent += self._serve_round(round_)[1]
            return sent
        finally:
            self._round_lock.release()

    def send_now(self, rhythm: str = "all") -> int:
        """Request a round and run it at once (bot running in this process)."""
        self.request_round(rhythm)
        return self.tick()

    def _open_round(self, rhythm: str, scheduled_for: float, manual: bool = False,
                    consume_request: str | None = None) -> dict | None:
        with self.storage.transaction():
            if consume_request is not None:
                if self.storage.get(KV_REQUEST) != consume_request:
                    return None
                self.db.execute("DELETE FROM kv WHERE key = ?", (KV_REQUEST,))
            self.db.execute("INSERT OR IGNORE INTO news_rounds (rhythm, scheduled_for, manual, started_at)"
                            " VALUES (?, ?, ?, ?)", (rhythm, scheduled_for, int(manual), self.clock()))
            row = self.db.execute("SELECT * FROM news_rounds WHERE rhythm = ? AND scheduled_for = ? AND manual = ?",
                                  (rhythm, scheduled_for, int(manual))).fetchone()
        return dict(row) if row and row["completed_at"] is None else None

    def _serve_round(self, round_: dict) -> tuple[bool, int]:
        """Send each subscriber of the round their digest, once. (finished, digests sent)."""
        rid = round_["id"]
        sent = 0
        for sub in self.subscribers(round_["rhythm"]):
            if self.db.execute("SELECT 1 FROM news_round_served WHERE round = ? AND subscriber = ?",
                               (rid, sub["id"])).fetchone():
                continue
            text, items = self.digest_for(sub)
            if text is None and self.nc.nothing_new_notice:
                text = strings.NEWS_NOTHING_NEW
            record = self._recorder(rid, sub["id"], items)
            if text is None:
                with self.storage.transaction():
                    record()
                continue
            reply = Reply(room=sub["room"], text=text, kind="info", payload={"news_round": rid, "news_subscriber": sub["id"]})
            if not self.brain.emit([reply], record=record):
                return False, sent
            sent += 1
        with self.storage.lock:
            self.db.execute("UPDATE news_rounds SET completed_at = ? WHERE id = ?", (self.clock(), rid))
        log.info("news round %s (%s) complete: %d digest(s)", rid, round_["rhythm"], sent)
        return True, sent

    def _recorder(self, rid: int, sub_id: int, items: list[dict]) -> Callable[[], None]:
        def record() -> None:  # runs inside the emit transaction
            now = self.clock()
            self.db.executemany(
                "INSERT OR IGNORE INTO news_deliveries (subscriber, item, hash, round, delivered_at)"
                " VALUES (?, ?, ?, ?, ?)", [(sub_id, i["id"], i["hash"], rid, now) for i in items])
            self.db.execute("INSERT OR IGNORE INTO news_round_served (round, subscriber, items, served_at)"
                            " VALUES (?, ?, ?, ?)", (rid, sub_id, len(items), now))
        return record

    # -- announcements --------------------------------------------------------------------------
    def recipients(self, topics: list[str]) -> list[dict]:
        """Subscribers an announcement reaches: everyone for no topics, else those whose filter
        (or "all topics") matches one of them; one per room."""
        wanted = {fold(t) for t in topics}
        out, rooms = [], set()
        for sub in self.subscribers():
            if wanted and sub["topics"] and not wanted & {fold(t) for t in sub["topics"]}:
                continue
            if sub["room"] not in rooms:
                rooms.add(sub["room"])
                out.append(sub)
        return out

    def create_draft(self, author: str | None, room: str, text: str, topics: list[str], item: dict | None = None,
                     ttl: float = DRAFT_TTL) -> int:
        now = self.clock()
        with self.storage.lock:
            self.db.execute("UPDATE news_announcements SET state = 'cancelled' WHERE state = 'draft' AND room = ?"
                            " AND author IS ?", (room, author))
            cur = self.db.execute(
                "INSERT INTO news_announcements (author, room, text, topics, item, item_hash, state, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?)",
                (author, room, text, json.dumps(topics, ensure_ascii=False), item and item["id"],
                 item and item["hash"], now, now + ttl))
            return cur.lastrowid

    def _draft_for(self, room: str, sender: str) -> dict | None:
        row = self.db.execute(
            "SELECT * FROM news_announcements WHERE state = 'draft' AND room = ? AND (author = ? OR author IS NULL)"
            " AND expires_at > ? ORDER BY id DESC LIMIT 1", (room, sender, self.clock())).fetchone()
        return {**dict(row), "topics": json.loads(row["topics"])} if row else None

    def send_announcement(self, draft: dict) -> int | None:
        """Broadcast a confirmed draft; returns the number of rooms, None without an adapter."""
        subs = self.recipients(draft["topics"])
        aid = draft["id"]
        text = strings.news_announcement(draft["text"])
        replies = [Reply(room=s["room"], text=text, kind="info",
                         payload={"news_announcement": aid, "news_subscriber": s["id"]}) for s in subs]

        def record() -> None:
            now = self.clock()
            self.db.execute("UPDATE news_announcements SET state = 'sent', sent_at = ?, recipients = ? WHERE id = ?",
                            (now, len(replies), aid))
            if draft["item"]:  # an announcement file: its recipients will not get it again in a digest
                self.db.executemany(
                    "INSERT OR IGNORE INTO news_deliveries (subscriber, item, hash, announcement, delivered_at)"
                    " VALUES (?, ?, ?, ?, ?)", [(s["id"], draft["item"], draft["item_hash"], aid, now) for s in subs])

        if not replies:
            with self.storage.lock:
                self.db.execute("UPDATE news_announcements SET state = 'cancelled' WHERE id = ?", (aid,))
            return 0
        if not self.brain.emit(replies, record=record):
            return None
        return len(replies)

    def recall(self, aid: int | None) -> tuple[str, int]:
        """('recalled' | 'unknown' | 'offline', messages taken back)."""
        if aid is None:
            row = self.db.execute("SELECT id FROM news_announcements WHERE state = 'sent' ORDER BY id DESC LIMIT 1"
                                  ).fetchone()
            aid = row[0] if row else None
        row = aid is not None and self.db.execute("SELECT * FROM news_announcements WHERE id = ? AND state IN"
                                                  " ('sent', 'recalled')", (aid,)).fetchone()
        if not row:
            return "unknown", 0
        if self.brain.redactor is None:
            return "offline", 0
        with self.storage.lock:
            self.db.execute("UPDATE news_announcements SET state = 'recalled' WHERE id = ?", (aid,))
            messages = self.db.execute("SELECT room, event_id FROM news_announcement_messages WHERE announcement = ?"
                                       " AND redacted = 0", (aid,)).fetchall()
            self.db.execute("UPDATE news_announcement_messages SET redacted = 1 WHERE announcement = ?", (aid,))
        for room, event_id in messages:
            self.brain.redactor(room, event_id, strings.NEWS_RECALL_REASON)
        return "recalled", len(messages)

    def _on_failed(self, reply: Reply, reason: str, room_gone: bool) -> None:
        """A digest or announcement refused for good was not delivered: its items are no longer
        counted as received (they come again in the next digest); a room the bot can no longer
        write in loses its subscriptions."""
        payload = reply.payload or {}
        sub = payload.get("news_subscriber")
        if sub is None:
            return
        with self.storage.transaction() as db:
            if payload.get("news_round") is not None:
                db.execute("DELETE FROM news_deliveries WHERE subscriber = ? AND round = ?", (sub, payload["news_round"]))
            if payload.get("news_announcement") is not None:
                db.execute("DELETE FROM news_deliveries WHERE subscriber = ? AND announcement = ?",
                           (sub, payload["news_announcement"]))
        if room_gone:
            self.forget_room(reply.room)

    def count_held(self, user: str) -> list[tuple[str, int]]:
        n = self.db.execute("SELECT COUNT(*) FROM news_subscribers WHERE kind = 'user' AND target = ?",
                            (user,)).fetchone()[0]
        return [(strings.FORGET_SUBSCRIPTIONS, n)]

    def forget_person(self, user: str) -> list[Reply]:
        """Their own subscriptions go, with what they received; a room they subscribed keeps its
        subscription (it is the room's) but no longer says who asked for it; announcements they
        wrote no longer name them."""
        with self.storage.transaction() as db:
            for (sub,) in db.execute("SELECT id FROM news_subscribers WHERE kind = 'user' AND target = ?",
                                     (user,)).fetchall():
                self._delete_subscriber(sub)
            db.execute("UPDATE news_subscribers SET created_by = NULL WHERE created_by = ?", (user,))
            db.execute("DELETE FROM news_announcements WHERE author = ? AND state = 'draft'", (user,))
            db.execute("UPDATE news_announcements SET author = NULL WHERE author = ?", (user,))
        return []

    def _delete_subscriber(self, sub: int) -> None:
        self.db.execute("DELETE FROM news_deliveries WHERE subscriber = ?", (sub,))
        self.db.execute("DELETE FROM news_round_served WHERE subscriber = ?", (sub,))
        self.db.execute("DELETE FROM news_subscribers WHERE id = ?", (sub,))

    def forget_room(self, room: str) -> int:
        """The bot left ``room`` (or was removed): its subscriptions go, with what they received."""
        with self.storage.transaction() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM news_subscribers WHERE room = ?", (room,))]
            for sub in ids:
                self._delete_subscriber(sub)
        if ids:
            log.info("no longer in %s: %d news subscription(s) removed", room, len(ids))
        return len(ids)

    def _on_sent(self, reply: Reply, event_id: str) -> None:
        aid = (reply.payload or {}).get("news_announcement")
        if aid is None or not event_id:
            return
        with self.storage.lock:
            self.db.execute("INSERT OR IGNORE INTO news_announcement_messages (announcement, room, event_id)"
                            " VALUES (?, ?, ?)", (aid, reply.room, event_id))
            state = self.db.execute("SELECT state FROM news_announcements WHERE id = ?", (aid,)).fetchone()
        if state and state[0] == "recalled" and self.brain.redactor is not None:  # recalled while being sent
            with self.storage.lock:
                self.db.execute("UPDATE news_announcement_messages SET redacted = 1 WHERE event_id = ?", (event_id,))
            self.brain.redactor(reply.room, event_id, strings.NEWS_RECALL_REASON)

    def _announce_urgent_files(self) -> None:
        """An urgent announcement file, new or edited: preview in the correspondents' room."""
        room = self.config.matrix.correspondents_room
        rows = self.db.execute("SELECT * FROM news_items WHERE urgent = 1 AND announced = 0 AND state = 'active'"
                               " AND (expires IS NULL OR expires > ?)", (self.clock(),)).fetchall()
        for row in rows:
            item = {**dict(row), "topics": json.loads(row["topics"])}
            if not room:
                log.warning("urgent announcement %s: no matrix.correspondents_room; it goes in the digests",
                            item["id"])
                with self.storage.lock:
                    self.db.execute("UPDATE news_items SET announced = 1 WHERE id = ?", (item["id"],))
                continue
            text = f"**{md_text(item['title'])}**\n\n{item['body']}"
            count = len(self.recipients(item["topics"]))
            preview = strings.news_announce_preview(text, item["topics"], count, urgent_file=item["id"])
            holder: dict = {}

            def record(item=item, text=text) -> None:
                holder["id"] = self.create_draft(None, room, text, item["topics"], item, URGENT_DRAFT_TTL)
                self.db.execute("UPDATE news_items SET announced = 1 WHERE id = ?", (item["id"],))

            self.brain.emit([Reply(room=room, text=preview, kind="info")], record=record)

    def _intercept_confirmation(self, msg: Incoming) -> list[Reply] | None:
        text = msg.text.strip()
        if text.lower().startswith(self.brain.prefix.lower()):
            text = text[len(self.brain.prefix):]
        folded = fold(text).strip(" .!")
        if folded not in ("envoyer", "envoyer a tous", "annuler") or not self.brain.is_correspondent(msg.sender):
            return None
        draft = self._draft_for(msg.room, msg.sender)
        if draft is None:
            return None
        reply = self.brain.reply
        if folded == "annuler":
            with self.storage.lock:
                self.db.execute("UPDATE news_announcements SET state = 'cancelled' WHERE id = ?", (draft["id"],))
            return [reply(msg, strings.NEWS_ANNOUNCE_CANCELLED)]
        if not draft["topics"] and folded != "envoyer a tous":
            return [reply(msg, strings.NEWS_ANNOUNCE_NEED_ALL)]
        count = self.send_announcement(draft)
        if count is None:
            return [reply(msg, strings.NEWS_NOT_CONNECTED, kind="error")]
        if count == 0:
            return [reply(msg, strings.NEWS_ANNOUNCE_NOBODY)]
        return [reply(msg, strings.NEWS_ANNOUNCE_SENT.format(number=draft["id"], count=count))]

    # -- commands -------------------------------------------------------------------------------
    def _who(self, msg: Incoming) -> tuple[str, str]:
        return ("user", msg.sender) if msg.is_direct else ("room", msg.room)

    def _register_commands(self) -> None:
        brain = self.brain
        reply = brain.reply

        def may_manage(msg: Incoming) -> bool:
            return msg.is_direct or msg.sender_is_moderator or brain.is_correspondent(msg.sender)

        def topics_or_error(msg: Incoming, args: str):
            topics, rhythm, unknown, everyone = parse_topic_args(args, self.known_topics())
            if unknown:
                return None, None, [reply(msg, strings.news_unknown_topics(unknown, self.topic_names()),
                                          kind="error")]
            return ([] if everyone else topics), rhythm, None

        @brain.command("abonner", strings.HELP_CMD_NEWS_SUBSCRIBE, takes_args=True,
                       aliases=("s'abonner", "abonnez-moi", "abonne-moi"), usage="abonner [thèmes] [hebdo]")
        def _subscribe(msg: Incoming, args: str) -> list[Reply]:
            if not may_manage(msg):
                return [reply(msg, strings.NEWS_ROOM_NOT_ALLOWED, kind="error")]
            topics, rhythm, error = topics_or_error(msg, args)
            if error:
                return error
            kind, target = self._who(msg)
            sub = self.subscribe(kind, target, msg.room, topics, rhythm, msg.sender)
            return [reply(msg, strings.news_subscribed(sub["topics"], sub["rhythm"], kind == "room",
                                                       self.nc.daily_time, self.nc.weekly_day))]

        @brain.command("désabonner", strings.HELP_CMD_NEWS_UNSUBSCRIBE, takes_args=True,
                       aliases=("se désabonner", "desinscrire"), usage="désabonner [thèmes]")
        def _unsubscribe(msg: Incoming, args: str) -> list[Reply]:
            if not may_manage(msg):
                return [reply(msg, strings.NEWS_ROOM_NOT_ALLOWED, kind="error")]
            topics, _, error = topics_or_error(msg, args)
            if error:
                return error
            kind, target = self._who(msg)
            outcome, sub = self.unsubscribe(kind, target, topics)
            if outcome == "not-subscribed":
                return [reply(msg, strings.NEWS_NOT_SUBSCRIBED)]
            if outcome == "all-topics":
                return [reply(msg, strings.NEWS_UNSUBSCRIBE_ALL_TOPICS)]
            if outcome == "removed":
                return [reply(msg, strings.NEWS_UNSUBSCRIBED)]
            return [reply(msg, strings.news_subscription(sub["topics"], sub["rhythm"], kind == "room"))]

        @brain.command("abonnements", strings.HELP_CMD_NEWS_SUBSCRIPTIONS, aliases=("mes abonnements",))
        def _subscriptions(msg: Incoming, args: str) -> list[Reply]:
            kind, target = self._who(msg)
            sub = self.subscriber(kind, target)
            if sub is None:
                text = strings.NEWS_NOT_SUBSCRIBED
            else:
                text = strings.news_subscription(sub["topics"], sub["rhythm"], kind == "room")
            return [reply(msg, text + "\n\n" + strings.news_topics_available(self.topic_names()))]

        @brain.command("actus", strings.HELP_CMD_NEWS_LATEST, takes_args=True,
                       aliases=("actualités", "actualites", "news"), usage="actus [thème]")
        def _latest(msg: Incoming, args: str) -> list[Reply]:
            topics, _, unknown, _ = parse_topic_args(args, self.known_topics())
            if unknown:
                return [reply(msg, strings.news_unknown_topics(unknown, self.topic_names()), kind="error")]
            wanted = {fold(t) for t in topics}
            items = [i for i in self._active_items(self.clock())
                     if not wanted or wanted & {fold(t) for t in i["topics"]}]
            items.sort(key=lambda i: (i["published"] or i["changed_at"]), reverse=True)
            items = items[: self.nc.latest_count]
            if not items:
                return [reply(msg, strings.NEWS_LATEST_NONE)]
            lines = [(md_text(i["title"]), safe_link(i["link"]), md_text(one_line(i["summary"], 160)),
                      self._date(i["published"] or i["changed_at"])) for i in items]
            return [reply(msg, strings.news_latest(lines))]

        @brain.command("actus sources", strings.HELP_CMD_NEWS_SOURCES, admin=True, aliases=("sources actus",))
        def _sources(msg: Incoming, args: str) -> list[Reply]:
            return [reply(msg, self.sources_text())]

        @brain.command("annonce", strings.HELP_CMD_NEWS_ANNOUNCE, admin=True, takes_args=True,
                       usage="annonce [thèmes :] texte")
        def _announce(msg: Incoming, args: str) -> list[Reply]:
            if not args.strip():
                return [reply(msg, strings.NEWS_ANNOUNCE_USAGE)]
            topics, text = [], args.strip()
            head, sep, rest = args.partition(":")
            if sep and rest.strip():
                found, _, unknown, everyone = parse_topic_args(head, self.known_topics())
                if everyone and not unknown:
                    text = rest.strip()
                elif found and not unknown:
                    topics, text = found, rest.strip()
            self.create_draft(msg.sender, msg.room, text, topics)
            count = len(self.recipients(topics))
            return [reply(msg, strings.news_announce_preview(text, topics, count))]

        @brain.command("rappeler", strings.HELP_CMD_NEWS_RECALL, admin=True, takes_args=True,
                       usage="rappeler [numéro]")
        def _recall(msg: Incoming, args: str) -> list[Reply]:
            number = re.search(r"\d+", args or "")
            outcome, count = self.recall(int(number.group()) if number else None)
            if outcome == "unknown":
                return [reply(msg, strings.NEWS_RECALL_UNKNOWN, kind="error")]
            if outcome == "offline":
                return [reply(msg, strings.NEWS_NOT_CONNECTED, kind="error")]
            return [reply(msg, strings.NEWS_RECALLED.format(count=count))]

    def _date(self, ts: float | None) -> str:
        if not ts:
            return ""
        return strings.french_date(dt.datetime.fromtimestamp(ts, self.tz).date())

    def _time(self, ts: float | None) -> str:
        return dt.datetime.fromtimestamp(ts, self.tz).strftime("%d/%m/%Y %H:%M") if ts else "—"

    def sources_text(self) -> str:
        rows = []
        for s in self.sources():
            name = s["title"] or s["url"]
            if s["url"].startswith(FOLDER_PREFIX):
                name = strings.NEWS_FOLDER_NAME.format(path=s["url"][len(FOLDER_PREFIX):])
            rows.append(strings.news_source_line(
                name=name, url=s["url"], ok=not s["failures"], failures=s["failures"], error=s["last_error"],
                last_ok=self._time(s["last_ok"]), next_retry=self._time(s["next_retry"]) if s["failures"] else None,
                items=s["items"]))
        return strings.news_sources(rows)


def _sub(row) -> dict:
    return {**dict(row), "topics": json.loads(row["topics"])}


def install(app, clock: Callable[[], float] | None = None) -> News:
    return News(app, clock).install()
