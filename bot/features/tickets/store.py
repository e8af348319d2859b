"""The tickets' repository: their tables, the ``Ticket`` row, and every SQL statement on them.

Tables: ``tickets`` (one row per question handed on: the source of truth), ``ticket_messages``
(its log: the question, relays both ways, internal notes, events) and
``ticket_recent_questions`` (each person's last unanswered question, so « je veux parler à
quelqu'un » later needs no repeat). Writes that must go together with something else (a ticket
and its announcement) run inside the caller's ``storage.transaction()``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

from ...core.brain import Incoming
from ...core.storage import Storage
from . import states

MIGRATIONS: list[str] = [
    # 1: tickets and their message log (questions, relays both ways, internal notes, events)
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source_event TEXT UNIQUE,
        asker TEXT NOT NULL, asker_name TEXT,
        room TEXT NOT NULL, thread TEXT,
        question TEXT NOT NULL, guesses TEXT NOT NULL DEFAULT '[]',
        state TEXT NOT NULL DEFAULT 'open',
        assignee TEXT,
        corr_room TEXT, corr_thread TEXT,
        announce_pending INTEGER NOT NULL DEFAULT 0,
        last_answer TEXT, learned_id TEXT,
        created_at REAL NOT NULL, updated_at REAL NOT NULL, activity_at REAL NOT NULL, closed_at REAL
    );
    CREATE INDEX tickets_asker ON tickets (asker);
    CREATE INDEX tickets_asker_thread ON tickets (room, thread);
    CREATE INDEX tickets_corr_thread ON tickets (corr_thread);
    CREATE INDEX tickets_pending ON tickets (announce_pending) WHERE announce_pending = 1;
    CREATE TABLE ticket_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
        event_id TEXT UNIQUE, kind TEXT NOT NULL, author TEXT, author_name TEXT,
        text TEXT NOT NULL, created_at REAL NOT NULL
    );
    CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket);
    CREATE TABLE ticket_recent_questions (
        room TEXT NOT NULL, sender TEXT NOT NULL, question TEXT NOT NULL, guesses TEXT NOT NULL,
        updated_at REAL NOT NULL, PRIMARY KEY (room, sender)
    );
    """,
    # 2: kinds of tickets (a question, or an access request with its details), and the details of
    # access requests (one row per such ticket, deleted with it)
    """
    ALTER TABLE tickets ADD COLUMN kind TEXT NOT NULL DEFAULT 'question';
    CREATE TABLE access_requests (
        ticket INTEGER PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE,
        space TEXT NOT NULL, email TEXT NOT NULL, unit TEXT NOT NULL,
        role TEXT NOT NULL, role_reason TEXT, purpose TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        granted_role TEXT, decided_by TEXT, decided_at REAL, invited_at REAL, refusal TEXT
    );
    CREATE INDEX access_requests_status ON access_requests (status);
    """,
]

# ``announce_pending``: 0 announced (or no correspondents' room), 1 created while no adapter was
# connected, 2 refused by the homeserver (tried again once per start)
PENDING, REFUSED = 1, 2


def migrate(storage: Storage) -> None:
    storage.migrate_module("tickets", MIGRATIONS)


@dataclass
class Ticket:
    id: int
    source_event: str | None
    asker: str
    asker_name: str | None
    room: str
    thread: str | None
    question: str
    guesses: list[str]
    state: str
    assignee: str | None
    corr_room: str | None
    corr_thread: str | None
    announce_pending: int
    last_answer: str | None
    learned_id: str | None
    created_at: float
    updated_at: float
    activity_at: float
    closed_at: float | None
    kind: str = "question"  # or "access" (an access request: details in access_requests)

    @classmethod
    def from_row(cls, row) -> "Ticket":
        data = dict(row)
        data["guesses"] = json.loads(data["guesses"] or "[]")
        return cls(**data)

    @property
    def who(self) -> str:
        return self.asker_name or self.asker


# -- read helpers (also used by `pixbot tickets`) ------------------------------------------------
def get_ticket(storage: Storage, number: int) -> Ticket | None:
    row = storage.db.execute("SELECT * FROM tickets WHERE id = ?", (number,)).fetchone()
    return Ticket.from_row(row) if row else None


def list_tickets(storage: Storage, include_closed: bool = False, asker: str | None = None,
                 kind: str | None = "question") -> list[Ticket]:
    """Tickets by number; ``kind`` None: questions and access requests alike."""
    sql, params = "SELECT * FROM tickets WHERE 1 = 1", []
    if kind is not None:
        sql += " AND kind = ?"
        params.append(kind)
    if not include_closed:
        sql += " AND state != 'closed'"
    if asker is not None:
        sql += " AND asker = ?"
        params.append(asker)
    return [Ticket.from_row(r) for r in storage.db.execute(sql + " ORDER BY id", params)]


def ticket_messages(storage: Storage, number: int) -> list[dict]:
    return [dict(r) for r in storage.db.execute("SELECT * FROM ticket_messages WHERE ticket = ? ORDER BY id",
                                                (number,))]


class TicketStore:
    """The ticket tables of one ``Storage``. ``clock`` stamps what it writes (tests move it)."""

    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time):
        self.storage = storage
        self.clock = clock

    # -- reading ----------------------------------------------------------------------------------
    def get(self, number: int) -> Ticket | None:
        return get_ticket(self.storage, number)

    def _one(self, sql: str, params: tuple) -> Ticket | None:
        row = self.storage.db.execute(sql, params).fetchone()
        return Ticket.from_row(row) if row else None

    def by_source(self, event_id: str) -> Ticket | None:
        """The ticket created by the asker's « oui » with this event id."""
        return self._one("SELECT * FROM tickets WHERE source_event = ?", (event_id,))

    def by_corr_thread(self, thread: str) -> Ticket | None:
        return self._one("SELECT * FROM tickets WHERE corr_thread = ? ORDER BY id DESC LIMIT 1", (thread,))

    def by_asker_thread(self, room: str, thread: str) -> Ticket | None:
        return self._one("SELECT * FROM tickets WHERE room = ? AND thread = ? ORDER BY id DESC LIMIT 1",
                         (room, thread))

    def tickets(self, include_closed: bool = False, asker: str | None = None,
                kind: str | None = "question") -> list[Ticket]:
        return list_tickets(self.storage, include_closed, asker, kind)

    # -- writing ----------------------------------------------------------------------------------
    def log(self, number: int, kind: str, msg: Incoming | None, text: str) -> None:
        """Add to a ticket's log (``kind``: question, asker, correspondent, note, event)."""
        with self.storage.lock:
            self.storage.db.execute(
                "INSERT OR IGNORE INTO ticket_messages (ticket, event_id, kind, author, author_name, text, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (number, msg.event_id if msg else None, kind, msg.sender if msg else None,
                 (msg.sender_name if msg else None), text, self.clock()))

    def update(self, number: int, **fields) -> None:
        fields.setdefault("updated_at", self.clock())
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self.storage.lock:
            self.storage.db.execute(f"UPDATE tickets SET {cols} WHERE id = ?", (*fields.values(), number))

    def insert(self, msg: Incoming, question: str, guesses: list[str], corr_room: str | None, now: float,
               kind: str = "question") -> int:
        """A new open ticket for ``msg``'s sender, its question logged (in the caller's transaction)."""
        db = self.storage.db
        cur = db.execute(
            "INSERT INTO tickets (source_event, asker, asker_name, room, thread, question, guesses, state, "
            "corr_room, created_at, updated_at, activity_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (msg.event_id, msg.sender, msg.sender_name, msg.room, msg.thread or msg.event_id, question,
             json.dumps(guesses, ensure_ascii=False), states.OPEN, corr_room, now, now, now, kind))
        number = cur.lastrowid
        db.execute("INSERT INTO ticket_messages (ticket, kind, author, author_name, text, created_at) "
                   "VALUES (?, 'question', ?, ?, ?, ?)", (number, msg.sender, msg.sender_name, question, now))
        return number

    # -- announcements ----------------------------------------------------------------------------
    def mark_pending(self, number: int) -> None:
        self.storage.db.execute("UPDATE tickets SET announce_pending = ? WHERE id = ?", (PENDING, number))

    def pending(self, marks: tuple[int, int]) -> list[int]:
        """Numbers of the tickets whose ``announce_pending`` is one of ``marks``, oldest first."""
        rows = self.storage.db.execute("SELECT id FROM tickets WHERE announce_pending IN (?, ?) ORDER BY id",
                                       marks).fetchall()
        return [number for (number,) in rows]

    def claim_pending(self, number: int, corr_room: str, marks: tuple[int, int]) -> bool:
        """Mark a pending ticket announced to ``corr_room`` (in the caller's transaction); False
        when another caller got there first."""
        return bool(self.storage.db.execute(
            "UPDATE tickets SET announce_pending = 0, corr_room = ? WHERE id = ? AND announce_pending IN (?, ?)",
            (corr_room, number, *marks)).rowcount)

    def announced(self, number: int, corr_room: str, corr_thread: str) -> None:
        """The announcement went out: its event is the root of the correspondents' thread."""
        with self.storage.lock:
            self.storage.db.execute(
                "UPDATE tickets SET corr_thread = ?, corr_room = ? WHERE id = ? AND corr_thread IS NULL",
                (corr_thread, corr_room, number))

    def refused(self, number: int, reason: str) -> None:
        """The homeserver refused the announcement for good: marked, and logged, unless it went
        out after all."""
        with self.storage.transaction() as db:
            if db.execute("UPDATE tickets SET announce_pending = ? WHERE id = ? AND corr_thread IS NULL",
                          (REFUSED, number)).rowcount:
                db.execute("INSERT INTO ticket_messages (ticket, kind, text, created_at) VALUES (?, 'event', ?, ?)",
                           (number, f"annonce refusée par le serveur ({reason})", self.clock()))

    # -- the asker's last questions ---------------------------------------------------------------
    def remember_question(self, room: str, sender: str, question: str, guesses: list[str]) -> None:
        with self.storage.lock:
            self.storage.db.execute(
                "INSERT OR REPLACE INTO ticket_recent_questions (room, sender, question, guesses, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (room, sender, question, json.dumps(guesses, ensure_ascii=False), self.clock()))

    def recent_questions(self, room: str, sender: str) -> list[tuple[float, str, list[str]]]:
        """(when, question, guesses) of the last question the bot could not answer for ``sender``
        in ``room`` and of the last one it answered (from the core's record of its messages)."""
        found: list[tuple[float, str, list[str]]] = []
        row = self.storage.db.execute(
            "SELECT question, guesses, updated_at FROM ticket_recent_questions WHERE room = ? AND sender = ?",
            (room, sender)).fetchone()
        if row:
            found.append((row[2], row[0], json.loads(row[1])))
        row = self.storage.db.execute(
            "SELECT payload, created_at FROM bot_messages WHERE room = ? AND asker = ? ORDER BY created_at DESC "
            "LIMIT 1", (room, sender)).fetchone()
        if row:
            payload = json.loads(row[0])
            if payload.get("question"):
                guesses = [payload["item"]] if payload.get("item") else payload.get("choices", [])
                found.append((row[1], payload["question"], list(guesses)))
        return found

    # -- scheduled jobs ---------------------------------------------------------------------------
    def silent_answered(self, cutoff: float) -> list[Ticket]:
        """Answered tickets with no activity since ``cutoff`` (auto-close candidates)."""
        rows = self.storage.db.execute("SELECT * FROM tickets WHERE state = ? AND activity_at < ? ORDER BY id",
                                       (states.ANSWERED, cutoff)).fetchall()
        return [Ticket.from_row(row) for row in rows]

    def auto_close(self, number: int, cutoff: float, now: float) -> bool:
        """Close a ticket still answered and silent since ``cutoff``, logged (in the caller's
        transaction); False when it moved meanwhile."""
        db = self.storage.db
        if not db.execute("UPDATE tickets SET state = ?, closed_at = ?, updated_at = ? WHERE id = ? "
                          "AND state = ? AND activity_at < ?",
                          (states.CLOSED, now, now, number, states.ANSWERED, cutoff)).rowcount:
            return False
        db.execute("INSERT INTO ticket_messages (ticket, kind, text, created_at) VALUES (?, 'event', ?, ?)",
                   (number, "clos automatiquement", now))
        return True

    def purge(self, cutoff: float) -> int:
        """Delete tickets created before ``cutoff`` and remembered questions not updated since."""
        with self.storage.transaction() as db:
            deleted = db.execute("DELETE FROM tickets WHERE created_at < ?", (cutoff,)).rowcount
            db.execute("DELETE FROM ticket_recent_questions WHERE updated_at < ?", (cutoff,))
        return deleted

    def forget(self, user: str, questions: list[str]) -> None:
        """Delete ``user``'s tickets, their messages in other tickets, their remembered questions,
        and unsent replies quoting one of ``questions`` (in the caller's transaction)."""
        db = self.storage.db
        for question in questions:  # copies of their words elsewhere (e.g. a learned entry's title among
            # the leads of another ticket's announcement)
            db.execute("DELETE FROM outbox WHERE instr(payload, ?) > 0",
                       (json.dumps(question.strip(), ensure_ascii=False)[1:-1],))
        db.execute("DELETE FROM tickets WHERE asker = ?", (user,))
        db.execute("DELETE FROM ticket_messages WHERE author = ?", (user,))
        db.execute("DELETE FROM ticket_recent_questions WHERE sender = ?", (user,))
