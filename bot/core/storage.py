"""One SQLite file for everything the bot must remember, with versioned migrations.

Tables: conversation state (pending suggestions / escalation offers), the bot's own messages
(so a reaction on one can be resolved), feedback, processed incoming events (never answer
twice), an outbox of replies waiting to be sent, and a key/value table (sync token, session).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from . import strings

# Each migration is one SQL script (statements separated by ';'), run whole by sqlite3's
# executescript, never split by hand: a ';' may sit inside a string or a trigger.
MIGRATIONS: list[str] = [
    # 1: base schema
    """
    CREATE TABLE conversations (
        room TEXT NOT NULL, sender TEXT NOT NULL, state TEXT NOT NULL, thread TEXT,
        updated_at REAL NOT NULL, PRIMARY KEY (room, sender)
    );
    CREATE TABLE bot_messages (
        event_id TEXT PRIMARY KEY, room TEXT NOT NULL, thread TEXT, asker TEXT,
        kind TEXT NOT NULL, payload TEXT NOT NULL, created_at REAL NOT NULL
    );
    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, sender TEXT NOT NULL,
        item_id TEXT, question TEXT, value INTEGER NOT NULL, created_at REAL NOT NULL,
        UNIQUE (event_id, sender)
    );
    CREATE TABLE processed_events (event_id TEXT PRIMARY KEY, processed_at REAL NOT NULL);
    CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    # 2: outbox of replies (sent in order, at most once per transaction id)
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, txn_id TEXT NOT NULL UNIQUE, room TEXT NOT NULL,
        payload TEXT NOT NULL, created_at REAL NOT NULL, sent_event_id TEXT, sent_at REAL
    );
    CREATE INDEX outbox_pending ON outbox (sent_at) WHERE sent_at IS NULL;
    """,
    # 3: dead letters: a reply the homeserver refused for good is kept aside with the reason,
    # never sent again and never in the way of the next ones
    """
    ALTER TABLE outbox ADD COLUMN failed_at REAL;
    ALTER TABLE outbox ADD COLUMN error TEXT;
    """,
    # 4: every question asked and what the bot did with it (the activity report, the content
    # gaps); deleted with the retention period, and with the person who asked
    """
    CREATE TABLE questions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, asked_at REAL NOT NULL, sender TEXT NOT NULL,
        direct INTEGER NOT NULL, question TEXT NOT NULL, outcome TEXT NOT NULL, item TEXT, score REAL
    );
    CREATE INDEX questions_asked ON questions (asked_at);
    """,
]


class SchemaTooNewError(Exception):
    """The database was written by a newer pixbot (a schema version this code does not know);
    it is refused before anything is written to it."""

    def __init__(self, path: str, found: int, known: int, module: str | None = None):
        super().__init__(strings.storage_schema_too_new(path, found, known, module))
        self.path, self.found, self.known, self.module = path, found, known, module


class Storage:
    """The bot's database. The storage model, enforced here rather than by convention:

    - one connection per thread (the event loop, the brain's thread, the scheduler's): a
      thread's reads see only what other threads committed, never their half-done
      transactions;
    - one writer at a time: every write and every transaction holds ``lock`` (re-entrant), so
      threads never fight over SQLite's write lock;
    - ``transaction()`` is atomic; one opened inside another is a savepoint;
    - what must reach the outside world only if a transaction commits (a reply handed to the
      sender) is registered with ``after_commit``; ``in_transaction()`` lets a caller insist on
      being inside one (the brain's outlet does).
    """

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._memory = str(path) == ":memory:"  # one in-memory database: one shared connection
        if not self._memory:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        first = self._connect()
        try:  # before anything (even the journal mode) is written to a newer database
            self._refuse_newer(first.execute("PRAGMA user_version").fetchone()[0], len(MIGRATIONS))
        except SchemaTooNewError:
            self.close()
            raise
        first.execute("PRAGMA journal_mode=WAL")
        self._pending: list[list] = []  # after-commit callbacks, one list per open transaction level
        self._owner: int | None = None  # thread inside the open transaction
        self.migrate()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path) if not self._memory else ":memory:", check_same_thread=False,
                               isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        with self._connections_lock:
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        if self._memory:
            return self._connections[0]
        conn = getattr(self._local, "conn", None)
        return conn if conn is not None else self._connect()

    def in_transaction(self) -> bool:
        """Whether the calling thread is inside ``transaction()``."""
        return bool(self._pending) and self._owner == threading.get_ident()

    def migrate(self) -> int:
        """The core schema, versioned with SQLite's user_version."""
        with self.lock:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            self._refuse_newer(version, len(MIGRATIONS))
            self._apply(MIGRATIONS, version, lambda n: self.db.execute(f"PRAGMA user_version = {n}"))
            return len(MIGRATIONS)

    def migrate_module(self, module: str, migrations: list[str]) -> int:
        """Versioned migrations owned by a feature module (tickets, news...): each module keeps
        its own schema version in ``schema_versions`` so modules can evolve independently."""
        with self.lock:
            self.db.execute("CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY, version INTEGER NOT NULL)")
            row = self.db.execute("SELECT version FROM schema_versions WHERE module = ?", (module,)).fetchone()
            version = row[0] if row else 0
            self._refuse_newer(version, len(migrations), module)
            self._apply(migrations, version, lambda n: self.db.execute(
                "INSERT OR REPLACE INTO schema_versions (module, version) VALUES (?, ?)", (module, n)))
            return len(migrations)

    def _refuse_newer(self, version: int, known: int, module: str | None = None) -> None:
        if version > known:
            raise SchemaTooNewError(str(self.path), version, known, module)

    def _apply(self, migrations: list[str], version: int, record) -> None:
        """Run the migrations after ``version``, each in its own transaction with its version."""
        for number, script in enumerate(migrations[version:], start=version + 1):
            try:
                # executescript runs the whole script in the transaction it opens (it would
                # commit one opened before it); the version is recorded in the same transaction
                self.db.executescript(f"BEGIN;\n{script}\n;")
                record(number)
                self.db.execute("COMMIT")
            except Exception:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise

    def transaction(self):
        return _Transaction(self)

    def after_commit(self, callback) -> None:
        """Run ``callback`` once the enclosing transaction commits (never if it rolls back); at
        once when none is open. E.g. hand an outbox row to the sender only once it is stored."""
        with self.lock:
            if self._pending:
                self._pending[-1].append(callback)
                return
        callback()

    def close(self) -> None:
        with self.lock:  # not while another thread is in a transaction
            with self._connections_lock:
                for conn in self._connections:
                    conn.close()
                self._connections.clear()

    # -- key/value ------------------------------------------------------------------------------
    def get(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)", (key, value))

    # -- processed events -----------------------------------------------------------------------
    def is_processed(self, event_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM processed_events WHERE event_id = ?", (event_id,)).fetchone() is not None

    def claim_event(self, event_id: str) -> bool:
        """True the first time an incoming event id is seen, False afterwards."""
        with self.lock:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO processed_events (event_id, processed_at) VALUES (?, ?)",
                (event_id, time.time()),
            )
            return cur.rowcount == 1

    # -- conversation state ---------------------------------------------------------------------
    def get_state(self, room: str, sender: str) -> tuple[dict | None, str | None]:
        row = self.db.execute(
            "SELECT state, thread FROM conversations WHERE room = ? AND sender = ?", (room, sender)
        ).fetchone()
        return (json.loads(row[0]), row[1]) if row else (None, None)

    def state_since(self, room: str, sender: str) -> float | None:
        """When the person's pending conversation state in ``room`` was set (None: there is none)."""
        row = self.db.execute("SELECT updated_at FROM conversations WHERE room = ? AND sender = ?",
                              (room, sender)).fetchone()
        return row[0] if row else None

    def set_state(self, room: str, sender: str, state: dict | None, thread: str | None = None) -> None:
        with self.lock:
            if state is None:
                self.db.execute("DELETE FROM conversations WHERE room = ? AND sender = ?", (room, sender))
            else:
                self.db.execute(
                    "INSERT OR REPLACE INTO conversations (room, sender, state, thread, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (room, sender, json.dumps(state, ensure_ascii=False), thread, time.time()),
                )

    # -- the bot's own messages -----------------------------------------------------------------
    def remember_message(self, event_id: str, room: str, thread: str | None, asker: str | None,
                         kind: str, payload: dict) -> None:
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO bot_messages (event_id, room, thread, asker, kind, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (event_id, room, thread, asker, kind, json.dumps(payload, ensure_ascii=False), time.time()),
            )

    def bot_message(self, event_id: str) -> dict | None:
        row = self.db.execute("SELECT * FROM bot_messages WHERE event_id = ?", (event_id,)).fetchone()
        if not row:
            return None
        out = dict(row)
        out["payload"] = json.loads(out["payload"])
        return out

    # -- feedback -------------------------------------------------------------------------------
    def record_feedback(self, event_id: str, sender: str, item_id: str | None, question: str | None,
                        value: int) -> None:
        with self.lock:
            self.db.execute(
                "INSERT OR REPLACE INTO feedback (event_id, sender, item_id, question, value, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (event_id, sender, item_id, question, value, time.time()),
            )

    def feedback(self) -> list[dict]:
        return [dict(r) for r in self.db.execute("SELECT * FROM feedback ORDER BY id")]

    # -- questions ------------------------------------------------------------------------------
    def record_question(self, sender: str, direct: bool, question: str, outcome: str, item: str | None,
                        score: float | None) -> None:
        with self.lock:
            self.db.execute("INSERT INTO questions (asked_at, sender, direct, question, outcome, item, score) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (time.time(), sender, int(direct), question, outcome, item, score))

    def questions(self, since: float = 0.0, outcomes: tuple[str, ...] | None = None) -> list[dict]:
        sql, params = "SELECT * FROM questions WHERE asked_at >= ?", [since]
        if outcomes:
            sql += f" AND outcome IN ({', '.join('?' * len(outcomes))})"
            params += list(outcomes)
        return [dict(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def count_questions(self, user: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM questions WHERE sender = ?", (user,)).fetchone()[0]

    def count_feedback(self, user: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM feedback WHERE sender = ?", (user,)).fetchone()[0]

    # -- forgetting a person --------------------------------------------------------------------
    def forget(self, user: str) -> None:
        """Delete what the core keeps about ``user``: feedback, the bot's messages to them,
        pending conversations, and every outbox row addressed to them or carrying their id (the
        text of a reply quotes their question; an announcement names them)."""
        with self.lock, self.transaction():
            self.db.execute("DELETE FROM feedback WHERE sender = ?", (user,))
            self.db.execute("DELETE FROM questions WHERE sender = ?", (user,))
            self.db.execute("DELETE FROM bot_messages WHERE asker = ?", (user,))
            self.db.execute("DELETE FROM conversations WHERE sender = ?", (user,))
            self.db.execute("DELETE FROM outbox WHERE json_extract(payload, '$.reply.asker') = ? "
                            "OR instr(payload, ?) > 0", (user, json.dumps(user)[1:-1]))

    # -- outbox ---------------------------------------------------------------------------------
    def enqueue(self, room: str, payload: dict, txn_id: str) -> int:
        with self.lock:
            cur = self.db.execute(
                "INSERT OR IGNORE INTO outbox (txn_id, room, payload, created_at) VALUES (?, ?, ?, ?)",
                (txn_id, room, json.dumps(payload, ensure_ascii=False), time.time()),
            )
            return cur.lastrowid

    def pending_outbox(self) -> list[dict]:
        rows = self.db.execute("SELECT * FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY id").fetchall()
        return [{**dict(r), "payload": json.loads(r["payload"])} for r in rows]

    def mark_failed(self, outbox_id: int, error: str) -> None:
        """A reply refused for good: kept as a dead letter (shown by ``statut``), never re-sent."""
        with self.lock:
            self.db.execute("UPDATE outbox SET failed_at = ?, error = ? WHERE id = ?",
                            (time.time(), error[:300], outbox_id))

    def dead_letters(self, limit: int = 5) -> tuple[int, list[dict]]:
        """How many replies were refused for good, and the latest few (room, error, time)."""
        count = self.db.execute("SELECT COUNT(*) FROM outbox WHERE failed_at IS NOT NULL").fetchone()[0]
        rows = self.db.execute("SELECT room, error, failed_at FROM outbox WHERE failed_at IS NOT NULL "
                               "ORDER BY failed_at DESC LIMIT ?", (limit,)).fetchall()
        return count, [dict(r) for r in rows]

    def mark_sent(self, outbox_id: int, event_id: str) -> None:
        with self.lock:
            self.db.execute(
                "UPDATE outbox SET sent_event_id = ?, sent_at = ? WHERE id = ?", (event_id, time.time(), outbox_id)
            )

    # -- retention ------------------------------------------------------------------------------
    def purge_older_than(self, seconds: float) -> int:
        """Delete stored questions, feedback and bookkeeping older than the retention period."""
        cutoff = time.time() - seconds
        with self.lock, self.transaction():
            n = self.db.execute("DELETE FROM feedback WHERE created_at < ?", (cutoff,)).rowcount
            n += self.db.execute("DELETE FROM questions WHERE asked_at < ?", (cutoff,)).rowcount
            n += self.db.execute("DELETE FROM bot_messages WHERE created_at < ?", (cutoff,)).rowcount
            n += self.db.execute("DELETE FROM conversations WHERE updated_at < ?", (cutoff,)).rowcount
            n += self.db.execute("DELETE FROM outbox WHERE COALESCE(sent_at, failed_at) < ?", (cutoff,)).rowcount
            self.db.execute("DELETE FROM processed_events WHERE processed_at < ?", (cutoff,))
        return n


class _Transaction:
    """``with storage.transaction():`` one atomic unit. The outermost one is a ``BEGIN IMMEDIATE``
    ... ``COMMIT``; one opened inside it (same thread: the lock is re-entrant) is a savepoint, so
    a feature can roll back its own part without undoing the enclosing work. Callbacks given to
    ``storage.after_commit`` inside run once the outermost transaction commits, and are dropped
    with the part that rolls back."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self.savepoint: str | None = None

    def __enter__(self):
        storage = self.storage
        storage.lock.acquire()
        try:
            if storage._pending:  # nested: a savepoint inside the enclosing transaction
                self.savepoint = f"sp{len(storage._pending)}"
                storage.db.execute(f"SAVEPOINT {self.savepoint}")
            else:
                storage.db.execute("BEGIN IMMEDIATE")
                storage._owner = threading.get_ident()
            storage._pending.append([])
        except BaseException:
            storage.lock.release()
            raise
        return storage.db

    def __exit__(self, exc_type, exc, tb):
        storage = self.storage
        callbacks = storage._pending.pop()
        try:
            if self.savepoint:
                if exc_type:
                    storage.db.execute(f"ROLLBACK TO {self.savepoint}")
                else:
                    storage._pending[-1].extend(callbacks)
                storage.db.execute(f"RELEASE {self.savepoint}")
            else:
                storage._owner = None
                storage.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            storage.lock.release()
        if not exc_type and not self.savepoint:
            for callback in callbacks:
                callback()
        return False
