"""The sessions repository: its tables and every SQL statement on them.

Tables:

- ``sessions_sessions``: the calendar, one row per certification session. ``key`` is stable
  across imports (the Pix session number when the file gives one, else site + room + date +
  time) and ``id`` is the number people use (« convocations 3 »): a session that keeps its
  key keeps its number. ``finalise_sent_at`` records the correspondents' « pensez à finaliser ».
- ``sessions_invigilators``: who invigilates which session (a Matrix id or an e-mail), and their
  answer to the reminders (``ok`` / ``empeche``).
- ``sessions_reminders``: each reminder sent, by (session, person, days before, the session's
  start it was computed for): a session moved by an import gets new reminders, one left
  unchanged never gets the same one again.

Methods that open no transaction of their own run inside the caller's (``brain.emit``'s
``record``, ``brain.handle``, or ``storage.transaction()``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ...core.storage import Storage

MIGRATIONS = [
    """
    CREATE TABLE sessions_sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, pix_number TEXT,
        day TEXT NOT NULL, time TEXT NOT NULL, starts_at REAL NOT NULL, site TEXT NOT NULL, room TEXT NOT NULL,
        candidates INTEGER, notes TEXT, imported_at REAL NOT NULL, finalise_sent_at REAL
    );
    CREATE INDEX sessions_sessions_start ON sessions_sessions (starts_at);
    CREATE TABLE sessions_invigilators (
        session INTEGER NOT NULL REFERENCES sessions_sessions (id) ON DELETE CASCADE,
        person TEXT NOT NULL, kind TEXT NOT NULL, position INTEGER NOT NULL,
        answer TEXT, answered_at REAL,
        PRIMARY KEY (session, person)
    );
    CREATE INDEX sessions_invigilators_person ON sessions_invigilators (person);
    CREATE TABLE sessions_reminders (
        session INTEGER NOT NULL REFERENCES sessions_sessions (id) ON DELETE CASCADE,
        person TEXT NOT NULL, days INTEGER NOT NULL, starts_at REAL NOT NULL, sent_at REAL NOT NULL,
        PRIMARY KEY (session, person, days, starts_at)
    );
    CREATE INDEX sessions_reminders_person ON sessions_reminders (person, sent_at);
    """,
]

MATRIX, EMAIL = "matrix", "email"
OK, UNAVAILABLE = "ok", "empeche"


@dataclass
class Invigilator:
    person: str  # a Matrix id or an e-mail address, as written in the file
    kind: str  # MATRIX or EMAIL


@dataclass
class SessionEntry:
    """One session as read from an import file (validated)."""

    key: str
    day: str  # ISO date
    time: str  # HH:MM
    starts_at: float
    site: str
    room: str
    candidates: int | None = None
    pix_number: str | None = None
    notes: str | None = None
    invigilators: list[Invigilator] = field(default_factory=list)
    line: int = 0  # where it starts in the file
    place_key: str = ""  # site + room + date + time: finds the session imported before Pix numbered it


@dataclass
class ImportResult:
    added: int = 0
    moved: int = 0
    removed: int = 0
    kept: int = 0


class SessionsStore:
    def __init__(self, storage: Storage):
        self.storage = storage

    @property
    def db(self):
        return self.storage.db

    def migrate(self) -> None:
        self.storage.migrate_module("sessions", MIGRATIONS)

    def transaction(self):
        return self.storage.transaction()

    # -- the calendar ---------------------------------------------------------------------------
    def replace_upcoming(self, entries: list[SessionEntry], now: float) -> ImportResult:
        """The calendar's upcoming sessions become ``entries``, in one transaction. A session
        whose key is kept keeps its number, its reminders and the answers of invigilators still
        named; moved (another start), its answers and unsent reminders start over; an upcoming
        session missing from ``entries`` goes, with its reminders. Past sessions stay (their
        finalisation reminder, until the retention period). A session first imported without
        a Pix session number and now given one (same site, room, date and time) is the same."""
        result = ImportResult()
        with self.storage.transaction():
            current = {r["key"]: dict(r) for r in self.db.execute(
                "SELECT * FROM sessions_sessions WHERE starts_at > ?", (now,))}
            wanted = {e.key for e in entries}
            for entry in entries:  # imported before Pix numbered it: the same session, now numbered
                if entry.pix_number and entry.key not in current and entry.place_key not in wanted:
                    earlier = current.get(entry.place_key)
                    if earlier is not None and earlier["pix_number"] is None:
                        self.db.execute("UPDATE sessions_sessions SET key = ? WHERE id = ?", (entry.key, earlier["id"]))
                        current[entry.key] = current.pop(entry.place_key)
            for key, row in current.items():
                if key not in wanted:
                    self.db.execute("DELETE FROM sessions_sessions WHERE id = ?", (row["id"],))
                    result.removed += 1
            for entry in entries:
                row = current.get(entry.key)
                if row is None:
                    past = self.db.execute("SELECT id FROM sessions_sessions WHERE key = ?", (entry.key,)).fetchone()
                    if past is not None:  # a past session of that key: this is a new one
                        self.db.execute("UPDATE sessions_sessions SET key = key || '#' || id WHERE id = ?",
                                        (past["id"],))
                    sid = self.db.execute(
                        "INSERT INTO sessions_sessions (key, pix_number, day, time, starts_at, site, room, candidates,"
                        " notes, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (entry.key, entry.pix_number, entry.day, entry.time, entry.starts_at, entry.site, entry.room,
                         entry.candidates, entry.notes, now)).lastrowid
                    result.added += 1
                else:
                    sid = row["id"]
                    moved = row["starts_at"] != entry.starts_at
                    self.db.execute(
                        "UPDATE sessions_sessions SET pix_number = ?, day = ?, time = ?, starts_at = ?, site = ?,"
                        " room = ?, candidates = ?, notes = ?, imported_at = ? WHERE id = ?",
                        (entry.pix_number, entry.day, entry.time, entry.starts_at, entry.site, entry.room,
                         entry.candidates, entry.notes, now, sid))
                    if moved:  # answers were for the old date
                        self.db.execute("UPDATE sessions_invigilators SET answer = NULL, answered_at = NULL"
                                        " WHERE session = ?", (sid,))
                        result.moved += 1
                    else:
                        result.kept += 1
                names = [i.person for i in entry.invigilators]
                self.db.execute(f"DELETE FROM sessions_invigilators WHERE session = ?"
                                f" AND person NOT IN ({','.join('?' * len(names))})", (sid, *names))
                self.db.execute(f"DELETE FROM sessions_reminders WHERE session = ?"
                                f" AND person NOT IN ({','.join('?' * len(names))})", (sid, *names))
                for position, inv in enumerate(entry.invigilators):
                    self.db.execute(
                        "INSERT INTO sessions_invigilators (session, person, kind, position) VALUES (?, ?, ?, ?)"
                        " ON CONFLICT (session, person) DO UPDATE SET kind = excluded.kind,"
                        " position = excluded.position", (sid, inv.person, inv.kind, position))
        return result

    def sessions(self, since: float | None = None) -> list[dict]:
        """Sessions starting after ``since`` (all when None), by start, each with its invigilators."""
        rows = self.db.execute("SELECT * FROM sessions_sessions WHERE starts_at > ? ORDER BY starts_at, id",
                               (float("-inf") if since is None else since,)).fetchall()
        out = [dict(r) for r in rows]
        for s in out:
            s["invigilators"] = self.invigilators(s["id"])
        return out

    def session(self, sid: int) -> dict | None:
        row = self.db.execute("SELECT * FROM sessions_sessions WHERE id = ?", (sid,)).fetchone()
        if row is None:
            return None
        s = dict(row)
        s["invigilators"] = self.invigilators(sid)
        return s

    def invigilators(self, sid: int) -> list[dict]:
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM sessions_invigilators WHERE session = ? ORDER BY position", (sid,))]

    # -- reminders ------------------------------------------------------------------------------
    def reminder_targets(self, now: float) -> list[dict]:
        """(session, invigilator) pairs that may still need a reminder: a session not started,
        an invigilator with a Matrix id who has not said they cannot come."""
        return [dict(r) for r in self.db.execute(
            "SELECT s.*, i.person, i.answer FROM sessions_sessions s JOIN sessions_invigilators i ON i.session = s.id"
            " WHERE s.starts_at > ? AND i.kind = 'matrix' AND (i.answer IS NULL OR i.answer != 'empeche')"
            " ORDER BY s.starts_at, s.id, i.position", (now,))]

    def reminded(self, sid: int, person: str, days: int, starts_at: float) -> bool:
        return self.db.execute("SELECT 1 FROM sessions_reminders WHERE session = ? AND person = ? AND days = ?"
                               " AND starts_at = ?", (sid, person, days, starts_at)).fetchone() is not None

    def record_reminder(self, sid: int, person: str, days: int, starts_at: float, now: float) -> None:
        with self.storage.lock:
            self.db.execute("INSERT INTO sessions_reminders (session, person, days, starts_at, sent_at)"
                            " VALUES (?, ?, ?, ?, ?)", (sid, person, days, starts_at, now))

    def to_finalise(self, cutoff: float) -> list[dict]:
        """Sessions started before ``cutoff`` whose finalisation reminder has not been sent."""
        return [dict(r) for r in self.db.execute(
            "SELECT * FROM sessions_sessions WHERE starts_at <= ? AND finalise_sent_at IS NULL ORDER BY starts_at, id",
            (cutoff,))]

    def record_finalise(self, sid: int, now: float) -> None:
        with self.storage.lock:
            self.db.execute("UPDATE sessions_sessions SET finalise_sent_at = ? WHERE id = ?", (now, sid))

    # -- answers --------------------------------------------------------------------------------
    def awaiting_answer(self, person: str, now: float) -> dict | None:
        """The session ``person`` was reminded of most recently, not started, still unanswered,
        with ``reminded_at``: when that reminder went out."""
        row = self.db.execute(
            "SELECT s.id, r.sent_at FROM sessions_reminders r JOIN sessions_sessions s ON s.id = r.session"
            " JOIN sessions_invigilators i ON i.session = s.id AND i.person = r.person"
            " WHERE r.person = ? AND r.starts_at = s.starts_at AND s.starts_at > ? AND i.answer IS NULL"
            " ORDER BY r.sent_at DESC, s.starts_at LIMIT 1", (person, now)).fetchone()
        if row is None:
            return None
        session = self.session(row["id"])
        return {**session, "reminded_at": row["sent_at"]} if session is not None else None

    def invigilator(self, sid: int, person: str) -> dict | None:
        row = self.db.execute("SELECT * FROM sessions_invigilators WHERE session = ? AND person = ?",
                              (sid, person)).fetchone()
        return dict(row) if row else None

    def answer(self, sid: int, person: str, answer: str, now: float) -> None:
        with self.storage.lock:
            self.db.execute("UPDATE sessions_invigilators SET answer = ?, answered_at = ? WHERE session = ?"
                            " AND person = ?", (answer, now, sid, person))

    # -- privacy --------------------------------------------------------------------------------
    def count_person(self, person: str) -> tuple[int, int, int]:
        """(sessions naming them, reminders they received, answers they gave)."""
        named = self.db.execute("SELECT COUNT(*) FROM sessions_invigilators WHERE person = ?", (person,)).fetchone()[0]
        reminders = self.db.execute("SELECT COUNT(*) FROM sessions_reminders WHERE person = ?",
                                    (person,)).fetchone()[0]
        answers = self.db.execute("SELECT COUNT(*) FROM sessions_invigilators WHERE person = ? AND answer IS NOT NULL",
                                  (person,)).fetchone()[0]
        return named, reminders, answers

    def forget_person(self, person: str, now: float) -> list[int]:
        """Remove ``person`` from the calendar, with their reminders and answers; returns the
        numbers of the upcoming sessions they were named in."""
        with self.storage.lock:
            upcoming = [r[0] for r in self.db.execute(
                "SELECT s.id FROM sessions_invigilators i JOIN sessions_sessions s ON s.id = i.session"
                " WHERE i.person = ? AND s.starts_at > ? ORDER BY s.starts_at, s.id", (person, now))]
            self.db.execute("DELETE FROM sessions_reminders WHERE person = ?", (person,))
            self.db.execute("DELETE FROM sessions_invigilators WHERE person = ?", (person,))
            return upcoming

    def purge(self, cutoff: float) -> int:
        """Sessions that started before ``cutoff`` go, with their invigilators and reminders."""
        with self.storage.transaction():
            return self.db.execute("DELETE FROM sessions_sessions WHERE starts_at < ?", (cutoff,)).rowcount
