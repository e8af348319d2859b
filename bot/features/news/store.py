"""The news repository: its tables and every SQL statement on them.

Tables: ``news_items`` (one row per item, with its content hash and version), ``news_sources``
(each source's state: conditional-request headers, failures, next retry), ``news_subscribers``
(a person in a DM or a room, topics, rhythm), ``news_rounds`` and ``news_round_served`` (which
digest round reached whom), ``news_deliveries`` (which version of which item each subscriber
received), ``news_announcements`` and ``news_announcement_messages`` (what was announced, and
the messages to take back on « rappeler »). Methods that open no transaction of their own run
inside the caller's (``brain.emit``'s ``record``, or ``storage.transaction()``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ...core.storage import Storage
from .text import fold

if TYPE_CHECKING:
    from .fetch import NewsItem

KV_BASELINE = "news.baseline.{rhythm}"  # when the schedule started counting (no catch-up before)
KV_REQUEST = "news.send_now"  # a round requested by `pixbot news send-now`

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
    # 2: the number of subscribers over time, for the activity report: +1 / -1 per subscription
    # and its kind, with no id (what a subscriber was cannot be told from it), kept by triggers
    # so that every way in and out counts (subscribe, unsubscribe, a room left, « oublier »).
    # Subscriptions made before it count from their creation.
    """
    CREATE TABLE news_subscriber_counts (at REAL NOT NULL, kind TEXT NOT NULL, change INTEGER NOT NULL);
    CREATE INDEX news_subscriber_counts_at ON news_subscriber_counts (at);
    INSERT INTO news_subscriber_counts (at, kind, change) SELECT created_at, kind, 1 FROM news_subscribers;
    CREATE TRIGGER news_subscriber_added AFTER INSERT ON news_subscribers BEGIN
        INSERT INTO news_subscriber_counts (at, kind, change) VALUES (NEW.created_at, NEW.kind, 1);
    END;
    CREATE TRIGGER news_subscriber_removed AFTER DELETE ON news_subscribers BEGIN
        INSERT INTO news_subscriber_counts (at, kind, change)
        VALUES ((julianday('now') - 2440587.5) * 86400.0, OLD.kind, -1);
    END;
    """,
]


def _decoded(row) -> dict:
    """A row with its JSON ``topics`` column as a list."""
    return {**dict(row), "topics": json.loads(row["topics"])}


def _topics(topics: list[str]) -> str:
    return json.dumps(topics, ensure_ascii=False)


class NewsStore:
    def __init__(self, storage: Storage):
        self.storage = storage

    @property
    def db(self):
        return self.storage.db  # the calling thread's connection

    def migrate(self) -> None:
        self.storage.migrate_module("news", MIGRATIONS)

    def transaction(self):
        return self.storage.transaction()

    # -- items ----------------------------------------------------------------------------------
    def upsert(self, item: NewsItem, now: float) -> str:
        """Store an item: 'new', 'updated' (content hash changed) or 'same'."""
        h = item.content_hash()
        topics = _topics(item.topics)
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

    def active_items(self, now: float) -> list[dict]:
        rows = self.db.execute("SELECT * FROM news_items WHERE state = 'active' AND (expires IS NULL OR expires > ?)",
                               (now,)).fetchall()
        return [_decoded(r) for r in rows]

    def active_topics(self) -> list[list[str]]:
        """The topics of every active item (expired or not)."""
        return [json.loads(row[0]) for row in self.db.execute("SELECT topics FROM news_items WHERE state = 'active'")]

    def urgent_unannounced(self, now: float) -> list[dict]:
        rows = self.db.execute("SELECT * FROM news_items WHERE urgent = 1 AND announced = 0 AND state = 'active'"
                               " AND (expires IS NULL OR expires > ?)", (now,)).fetchall()
        return [_decoded(r) for r in rows]

    def mark_announced(self, item_id: str) -> None:
        with self.storage.lock:
            self.db.execute("UPDATE news_items SET announced = 1 WHERE id = ?", (item_id,))

    # -- sources --------------------------------------------------------------------------------
    def source(self, url: str) -> dict:
        with self.storage.lock:
            self.db.execute("INSERT OR IGNORE INTO news_sources (url) VALUES (?)", (url,))
            return dict(self.db.execute("SELECT * FROM news_sources WHERE url = ?", (url,)).fetchone())

    def source_failed(self, url: str, failures: int, next_retry: float, now: float, error: str) -> None:
        with self.storage.lock:
            self.db.execute("UPDATE news_sources SET failures = ?, next_retry = ?, last_attempt = ?,"
                            " last_error = ? WHERE url = ?", (failures, next_retry, now, error, url))

    def save_feed(self, url: str, items: list[NewsItem], now: float,
                  headers: tuple[str | None, str | None, str | None] | None) -> dict[str, int]:
        """A feed read (``headers``: etag, last-modified, title; None when not modified): its items
        and the source's state, in one transaction. Returns the counts of new/updated/same items."""
        with self.storage.transaction():
            counts = {"new": 0, "updated": 0, "same": 0}
            for item in items:
                counts[self.upsert(item, now)] += 1
            if headers is not None:
                etag, modified, title = headers
                self.db.execute("UPDATE news_sources SET etag = ?, last_modified = ?, title = COALESCE(?, title),"
                                " items = ? WHERE url = ?", (etag, modified, title, len(items), url))
            self.db.execute("UPDATE news_sources SET failures = 0, next_retry = 0, last_attempt = ?, last_ok = ?,"
                            " last_error = NULL WHERE url = ?", (now, now, url))
        return counts

    def save_folder(self, key: str, items: list[NewsItem], now: float, error: str | None) -> None:
        """The announcements folder read: its items; the ones whose file is gone are removed."""
        with self.storage.transaction():
            for item in items:
                self.upsert(item, now)
            ids = [i.id for i in items]
            self.db.execute(f"UPDATE news_items SET state = 'removed' WHERE source = ? AND state = 'active'"
                            f" AND id NOT IN ({','.join('?' * len(ids))})", (key, *ids))
            self.db.execute("UPDATE news_sources SET last_attempt = ?, last_ok = ?, last_error = ?, items = ?"
                            " WHERE url = ?", (now, now, error, len(items), key))

    # -- subscribers ----------------------------------------------------------------------------
    def subscriber(self, kind: str, target: str) -> dict | None:
        row = self.db.execute("SELECT * FROM news_subscribers WHERE kind = ? AND target = ?", (kind, target)).fetchone()
        return _decoded(row) if row else None

    def subscribers(self, rhythm: str | None = None) -> list[dict]:
        rows = self.db.execute("SELECT * FROM news_subscribers ORDER BY id").fetchall()
        return [_decoded(r) for r in rows if rhythm in (None, "all") or r["rhythm"] == rhythm]

    def find_subscriber(self, key: str) -> dict | None:
        row = self.db.execute("SELECT * FROM news_subscribers WHERE CAST(id AS TEXT) = ? OR target = ? OR room = ?"
                              " ORDER BY id LIMIT 1", (key, key, key)).fetchone()
        return _decoded(row) if row else None

    def subscribe(self, kind: str, target: str, room: str, topics: list[str], rhythm: str | None,
                  by: str, now: float) -> dict:
        with self.storage.transaction():
            current = self.subscriber(kind, target)
            if current is None:
                self.db.execute("INSERT INTO news_subscribers (kind, target, room, topics, rhythm, created_at,"
                                " created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (kind, target, room, _topics(topics), rhythm or "daily", now, by))
            else:
                merged = [] if not current["topics"] or not topics else \
                    current["topics"] + [t for t in topics if t not in current["topics"]]
                self.db.execute("UPDATE news_subscribers SET room = ?, topics = ?, rhythm = ? WHERE id = ?",
                                (room, _topics(merged), rhythm or current["rhythm"], current["id"]))
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
            self.db.execute("UPDATE news_subscribers SET topics = ? WHERE id = ?", (_topics(left), current["id"]))
        return "narrowed", self.subscriber(kind, target)

    def count_subscriptions(self, user: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM news_subscribers WHERE kind = 'user' AND target = ?",
                               (user,)).fetchone()[0]

    def _delete_subscriber(self, sub: int) -> None:
        self.db.execute("DELETE FROM news_deliveries WHERE subscriber = ?", (sub,))
        self.db.execute("DELETE FROM news_round_served WHERE subscriber = ?", (sub,))
        self.db.execute("DELETE FROM news_subscribers WHERE id = ?", (sub,))

    def forget_room(self, room: str) -> int:
        """The room's subscriptions go, with what they received. Returns how many."""
        with self.storage.transaction() as db:
            ids = [r[0] for r in db.execute("SELECT id FROM news_subscribers WHERE room = ?", (room,))]
            for sub in ids:
                self._delete_subscriber(sub)
        return len(ids)

    def forget_person(self, user: str) -> None:
        """Their own subscriptions go, with what they received; a room they subscribed keeps its
        subscription but no longer names them, nor do the announcements they wrote."""
        with self.storage.transaction() as db:
            for (sub,) in db.execute("SELECT id FROM news_subscribers WHERE kind = 'user' AND target = ?",
                                     (user,)).fetchall():
                self._delete_subscriber(sub)
            db.execute("UPDATE news_subscribers SET created_by = NULL WHERE created_by = ?", (user,))
            db.execute("DELETE FROM news_announcements WHERE author = ? AND state = 'draft'", (user,))
            db.execute("UPDATE news_announcements SET author = NULL WHERE author = ?", (user,))

    # -- deliveries and rounds ------------------------------------------------------------------
    def delivered(self, sub_id: int) -> dict[str, set[str]]:
        """Item id -> the content hashes of it this subscriber received."""
        got: dict[str, set[str]] = {}
        for item, h in self.db.execute("SELECT item, hash FROM news_deliveries WHERE subscriber = ?", (sub_id,)):
            got.setdefault(item, set()).add(h)
        return got

    def undeliver(self, sub: int, round_: int | None, announcement: int | None) -> None:
        """A digest or announcement was refused for good: its items no longer count as received."""
        with self.storage.transaction() as db:
            if round_ is not None:
                db.execute("DELETE FROM news_deliveries WHERE subscriber = ? AND round = ?", (sub, round_))
            if announcement is not None:
                db.execute("DELETE FROM news_deliveries WHERE subscriber = ? AND announcement = ?",
                           (sub, announcement))

    def baseline(self, rhythm: str) -> str | None:
        return self.storage.get(KV_BASELINE.format(rhythm=rhythm))

    def set_baseline(self, rhythm: str, when: float) -> None:
        self.storage.set(KV_BASELINE.format(rhythm=rhythm), repr(when))

    def request(self) -> str | None:
        return self.storage.get(KV_REQUEST)

    def set_request(self, value: str) -> None:
        self.storage.set(KV_REQUEST, value)

    def unfinished_rounds(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM news_rounds WHERE completed_at IS NULL ORDER BY id"
                                                 ).fetchall()]

    def last_scheduled(self, rhythm: str) -> float | None:
        return self.db.execute("SELECT MAX(scheduled_for) FROM news_rounds WHERE rhythm = ? AND manual = 0",
                               (rhythm,)).fetchone()[0]

    def open_round(self, rhythm: str, scheduled_for: float, manual: bool, now: float,
                   consume_request: str | None = None) -> dict | None:
        """The round, unless it was completed already (or the request it answers was taken)."""
        with self.storage.transaction():
            if consume_request is not None:
                if self.storage.get(KV_REQUEST) != consume_request:
                    return None
                self.db.execute("DELETE FROM kv WHERE key = ?", (KV_REQUEST,))
            self.db.execute("INSERT OR IGNORE INTO news_rounds (rhythm, scheduled_for, manual, started_at)"
                            " VALUES (?, ?, ?, ?)", (rhythm, scheduled_for, int(manual), now))
            row = self.db.execute("SELECT * FROM news_rounds WHERE rhythm = ? AND scheduled_for = ? AND manual = ?",
                                  (rhythm, scheduled_for, int(manual))).fetchone()
        return dict(row) if row and row["completed_at"] is None else None

    def served(self, rid: int, sub_id: int) -> bool:
        return self.db.execute("SELECT 1 FROM news_round_served WHERE round = ? AND subscriber = ?",
                               (rid, sub_id)).fetchone() is not None

    def record_served(self, rid: int, sub_id: int, items: list[dict], now: float) -> None:
        self.db.executemany(
            "INSERT OR IGNORE INTO news_deliveries (subscriber, item, hash, round, delivered_at)"
            " VALUES (?, ?, ?, ?, ?)", [(sub_id, i["id"], i["hash"], rid, now) for i in items])
        self.db.execute("INSERT OR IGNORE INTO news_round_served (round, subscriber, items, served_at)"
                        " VALUES (?, ?, ?, ?)", (rid, sub_id, len(items), now))

    def complete_round(self, rid: int, now: float) -> None:
        with self.storage.lock:
            self.db.execute("UPDATE news_rounds SET completed_at = ? WHERE id = ?", (now, rid))

    # -- announcements --------------------------------------------------------------------------
    def create_draft(self, author: str | None, room: str, text: str, topics: list[str], item: dict | None,
                     now: float, expires_at: float) -> int:
        """A new draft; the author's earlier draft in that room is cancelled."""
        with self.storage.lock:
            self.db.execute("UPDATE news_announcements SET state = 'cancelled' WHERE state = 'draft' AND room = ?"
                            " AND author IS ?", (room, author))
            cur = self.db.execute(
                "INSERT INTO news_announcements (author, room, text, topics, item, item_hash, state, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?, ?, 'draft', ?, ?)",
                (author, room, text, _topics(topics), item and item["id"], item and item["hash"], now, expires_at))
            return cur.lastrowid

    def draft_for(self, room: str, sender: str, now: float) -> dict | None:
        row = self.db.execute(
            "SELECT * FROM news_announcements WHERE state = 'draft' AND room = ? AND (author = ? OR author IS NULL)"
            " AND expires_at > ? ORDER BY id DESC LIMIT 1", (room, sender, now)).fetchone()
        return _decoded(row) if row else None

    def cancel_announcement(self, aid: int) -> None:
        with self.storage.lock:
            self.db.execute("UPDATE news_announcements SET state = 'cancelled' WHERE id = ?", (aid,))

    def record_sent(self, draft: dict, subs: list[dict], now: float) -> None:
        """Inside the send's transaction: the draft is sent; an announcement file's recipients will
        not get its item again in a digest."""
        self.db.execute("UPDATE news_announcements SET state = 'sent', sent_at = ?, recipients = ? WHERE id = ?",
                        (now, len(subs), draft["id"]))
        if draft["item"]:
            self.db.executemany(
                "INSERT OR IGNORE INTO news_deliveries (subscriber, item, hash, announcement, delivered_at)"
                " VALUES (?, ?, ?, ?, ?)", [(s["id"], draft["item"], draft["item_hash"], draft["id"], now)
                                            for s in subs])

    def latest_sent(self) -> int | None:
        row = self.db.execute("SELECT id FROM news_announcements WHERE state = 'sent' ORDER BY id DESC LIMIT 1"
                              ).fetchone()
        return row[0] if row else None

    def recallable(self, aid: int) -> bool:
        return self.db.execute("SELECT * FROM news_announcements WHERE id = ? AND state IN ('sent', 'recalled')",
                               (aid,)).fetchone() is not None

    def recall(self, aid: int) -> list[tuple[str, str]]:
        """Mark the announcement recalled; returns its (room, event id) messages not yet taken back."""
        with self.storage.lock:
            self.db.execute("UPDATE news_announcements SET state = 'recalled' WHERE id = ?", (aid,))
            messages = self.db.execute("SELECT room, event_id FROM news_announcement_messages WHERE announcement = ?"
                                       " AND redacted = 0", (aid,)).fetchall()
            self.db.execute("UPDATE news_announcement_messages SET redacted = 1 WHERE announcement = ?", (aid,))
        return [(room, event_id) for room, event_id in messages]

    def record_message(self, aid: int, room: str, event_id: str) -> str | None:
        """An announcement message was sent; returns the announcement's state."""
        with self.storage.lock:
            self.db.execute("INSERT OR IGNORE INTO news_announcement_messages (announcement, room, event_id)"
                            " VALUES (?, ?, ?)", (aid, room, event_id))
            state = self.db.execute("SELECT state FROM news_announcements WHERE id = ?", (aid,)).fetchone()
        return state[0] if state else None

    def mark_redacted(self, event_id: str) -> None:
        with self.storage.lock:
            self.db.execute("UPDATE news_announcement_messages SET redacted = 1 WHERE event_id = ?", (event_id,))

    # -- retention ------------------------------------------------------------------------------
    def purge(self, cutoff: float, deliveries_cutoff: float) -> tuple[int, int]:
        """(delivery records deleted, announcements deleted)."""
        with self.storage.transaction() as db:
            n = db.execute("DELETE FROM news_deliveries WHERE delivered_at < ?", (deliveries_cutoff,)).rowcount
            n += db.execute("DELETE FROM news_round_served WHERE served_at < ?", (deliveries_cutoff,)).rowcount
            old = [r[0] for r in db.execute(
                "SELECT id FROM news_announcements WHERE created_at < ?", (cutoff,))]
            for aid in old:
                db.execute("DELETE FROM news_announcement_messages WHERE announcement = ?", (aid,))
                db.execute("DELETE FROM news_announcements WHERE id = ?", (aid,))
        return n, len(old)
