"""Escalation to the Pix correspondents ("tickets").

When the bot cannot answer, the asker's question becomes a ticket: a database row (the source of
truth) announced as a thread root in the correspondents' room. In that thread a correspondent's
plain messages are relayed to the asker's thread, signed with their display name, and the asker's
follow-ups are relayed back; thread commands (``prendre``, ``assigner``, ``note``, ``clore``,
``rouvrir``, ``faq``) manage the ticket. While a ticket is not closed the bot stays quiet in the
asker's thread (it does not talk over the human).

Crash safety: the ticket row and its announcement (written to the adapter's outbox through
``brain.outlet``) commit in one transaction; ticket creation is idempotent on the asker's
triggering event id, so a redelivered "oui" never creates a second ticket nor a second
announcement. Without an adapter connected, the announcement stays pending in the ticket row and
is delivered (once) as soon as one is.

States: open -> assigned -> answered -> closed (``rouvrir``, or the asker writing again in the
thread, reopens a closed ticket). Scheduled jobs: auto-close of answered tickets silent for
``tickets.auto_close_days`` days, and deletion of tickets older than ``retention_days``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import strings
from .brain import NO, YES, Forgetter, Incoming, Reply
from .render import literal
from .sources import LoadResult, SourceError, load_faq
from .storage import Storage
from .textnorm import fold_accents, slugify

log = logging.getLogger(__name__)

DAY = 86400.0

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
]

STATES = ("open", "assigned", "answered", "closed")
THREAD_COMMANDS = {"prendre", "assigner", "note", "clore", "rouvrir", "faq"}
_NUMBER = re.compile(r"^(?:n[°o]\s*|#)?(\d+)\b\s*(.*)$", re.S)
_USER_ID = re.compile(r"@[^\s:]+:[^\s]+")
_FAQ_KEYS = re.compile(r"(?:^|\||\n)\s*(question|variantes?|variants|r[ée]ponse|answer)\s*:\s*", re.I)
# natural ways of asking for a human (matched on lower-case text without accents)
_HUMAN_PATTERNS = [
    re.compile(r"\b(parler|discuter|echanger|contacter|joindre|ecrire|avoir affaire|etre mis en relation)\b"
               r"[^?.!]{0,30}\b(quelqu ?'? ?un|humain|humaine|vraie personne|personne reelle|correspondante?|"
               r"conseiller|conseillere|agent)\b"),
    re.compile(r"^(je veux |je voudrais |j'aimerais |je souhaite )?(un |une )?(etre )?(humain|vraie personne|"
               r"personne reelle)( svp| s'il vous plait| stp)?$"),
    re.compile(r"\b(passez|passer|transmettez|transmettre)[^?.!]{0,25}\b(a un humain|au correspondant|"
               r"a la correspondante|a quelqu ?'? ?un)\b"),
]


def wants_human(text: str) -> bool:
    folded = fold_accents(text.lower().replace("’", "'")).strip(" .!?")
    return any(p.search(folded) for p in _HUMAN_PATTERNS)


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


def list_tickets(storage: Storage, include_closed: bool = False, asker: str | None = None) -> list[Ticket]:
    sql, params = "SELECT * FROM tickets WHERE 1 = 1", []
    if not include_closed:
        sql += " AND state != 'closed'"
    if asker is not None:
        sql += " AND asker = ?"
        params.append(asker)
    return [Ticket.from_row(r) for r in storage.db.execute(sql + " ORDER BY id", params)]


def ticket_messages(storage: Storage, number: int) -> list[dict]:
    return [dict(r) for r in storage.db.execute("SELECT * FROM ticket_messages WHERE ticket = ? ORDER BY id",
                                                (number,))]


def parse_faq_args(text: str) -> dict:
    """``question: … | variantes: a; b | réponse: …`` -> {question, variants, answer} (keys present only)."""
    parts = _FAQ_KEYS.split(text.strip())
    out: dict = {}
    for key, value in zip(parts[1::2], parts[2::2]):
        key = fold_accents(key.lower())
        value = value.strip().rstrip("|").strip()
        if key.startswith("question"):
            out["question"] = value
        elif key.startswith("variant"):
            out["variants"] = [v.strip() for v in re.split(r"[;\n]", value) if v.strip()]
        else:
            out["answer"] = value
    return out


def faq_entry_id(number: int, question: str) -> str:
    slug = slugify(question)[:40].rstrip("-")
    return f"appris-{number}-{slug}" if slug else f"appris-{number}"


class _FaqDumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FaqDumper.add_representer(str, _str_presenter)


class LearnError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class Tickets:
    """The escalation object the brain calls (``brain.escalation``), plus its commands and jobs."""

    def __init__(self, app):
        self.app = app
        self.brain = app.brain
        self.storage: Storage = app.storage
        self.config = app.config
        self.clock = time.time  # tests replace it to move time
        self._retry_refused = True  # announcements the homeserver refused are tried again once per start

    # -- configuration --------------------------------------------------------------------------
    @property
    def corr_room(self) -> str | None:
        return self.config.matrix.correspondents_room or None

    def faq_path(self) -> Path:
        path = Path(os.path.expandvars(self.config.tickets.faq_file)).expanduser()
        return path if path.is_absolute() else Path(self.config.base_dir) / path

    # -- storage helpers ------------------------------------------------------------------------
    def get(self, number: int) -> Ticket | None:
        return get_ticket(self.storage, number)

    def _one(self, sql: str, params: tuple) -> Ticket | None:
        row = self.storage.db.execute(sql, params).fetchone()
        return Ticket.from_row(row) if row else None

    def by_source(self, event_id: str) -> Ticket | None:
        return self._one("SELECT * FROM tickets WHERE source_event = ?", (event_id,))

    def by_corr_thread(self, thread: str) -> Ticket | None:
        return self._one("SELECT * FROM tickets WHERE corr_thread = ? ORDER BY id DESC LIMIT 1", (thread,))

    def by_asker_thread(self, room: str, thread: str) -> Ticket | None:
        return self._one("SELECT * FROM tickets WHERE room = ? AND thread = ? ORDER BY id DESC LIMIT 1",
                         (room, thread))

    def _log(self, number: int, kind: str, msg: Incoming | None, text: str) -> None:
        with self.storage.lock:
            self.storage.db.execute(
                "INSERT OR IGNORE INTO ticket_messages (ticket, event_id, kind, author, author_name, text, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (number, msg.event_id if msg else None, kind, msg.sender if msg else None,
                 (msg.sender_name if msg else None), text, self.clock()))

    def _update(self, number: int, **fields) -> None:
        fields.setdefault("updated_at", self.clock())
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self.storage.lock:
            self.storage.db.execute(f"UPDATE tickets SET {cols} WHERE id = ?", (*fields.values(), number))

    # -- texts ------------------------------------------------------------------------------------
    def _guess_titles(self, ticket: Ticket) -> list[str]:
        titles = []
        for item_id in ticket.guesses:
            try:
                item = self.app.engine.item(item_id)
            except Exception:  # index unavailable: the ids still help
                item = None
            titles.append(item.title if item else item_id)
        return titles

    def announcement(self, ticket: Ticket) -> Reply:
        mentions = sorted(self.brain.correspondents)
        text = strings.ticket_announcement(ticket.id, ticket.who, ticket.asker, ticket.question,
                                           self._guess_titles(ticket), mentions)
        return Reply(room=self.corr_room, text=text, kind="info", asker=ticket.asker,
                     payload={"ticket": ticket.id, "ticket_role": "announce", "mentions": mentions})

    def _to_asker(self, ticket: Ticket, text: str) -> Reply:
        return Reply(room=ticket.room, text=text, thread=ticket.thread, kind="info", asker=ticket.asker,
                     payload={"ticket": ticket.id, "mentions": [ticket.asker]})

    def _to_corr(self, ticket: Ticket, text: str) -> Reply | None:
        room = ticket.corr_room or self.corr_room
        if not room:
            return None
        return Reply(room=room, text=text, thread=ticket.corr_thread, kind="info", payload={"ticket": ticket.id})

    # -- creation (called by the brain on the asker's "oui") ------------------------------------
    def create(self, msg: Incoming, question: str, guesses: list[str] | None = None) -> list[Reply]:
        if msg.event_id:
            existing = self.by_source(msg.event_id)
            if existing is not None:  # the same "oui" again (redelivery after a crash)
                return [self.brain.reply(msg, strings.ticket_created(existing.id, bool(self.corr_room)))]
        now = self.clock()
        corr = self.corr_room
        with self.storage.transaction() as db:
            cur = db.execute(
                "INSERT INTO tickets (source_event, asker, asker_name, room, thread, question, guesses, state, "
                "corr_room, created_at, updated_at, activity_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?)",
                (msg.event_id, msg.sender, msg.sender_name, msg.room, msg.thread or msg.event_id, question,
                 json.dumps(guesses or [], ensure_ascii=False), corr, now, now, now))
            number = cur.lastrowid
            db.execute("INSERT INTO ticket_messages (ticket, kind, author, author_name, text, created_at) "
                       "VALUES (?, 'question', ?, ?, ?, ?)", (number, msg.sender, msg.sender_name, question, now))
            ticket = self.get(number)
            if corr is None:
                log.info("ticket %d created; no matrix.correspondents_room configured, not announced", number)
            elif self.brain.outlet is not None:
                self.brain.outlet([self.announcement(ticket)])  # the outbox row commits with the ticket
            else:
                db.execute("UPDATE tickets SET announce_pending = 1 WHERE id = ?", (number,))
        return [self.brain.reply(msg, strings.ticket_created(number, bool(corr)))]

    def deliver_pending(self) -> int:
        """Announce tickets created while no adapter was connected; each exactly once. Those whose
        announcement the homeserver refused (``announce_pending = 2``: e.g. the bot had been
        removed from the correspondents' room) are tried again at the first call after a start."""
        if self.brain.outlet is None or not self.corr_room:
            return 0
        states = (1, 2) if self._retry_refused else (1, 1)
        self._retry_refused = False
        delivered = 0
        rows = self.storage.db.execute("SELECT id FROM tickets WHERE announce_pending IN (?, ?) ORDER BY id",
                                       states).fetchall()
        for (number,) in rows:
            with self.storage.transaction() as db:
                if db.execute("UPDATE tickets SET announce_pending = 0, corr_room = ? WHERE id = ? "
                              "AND announce_pending IN (?, ?)", (self.corr_room, number, *states)).rowcount:
                    self.brain.outlet([self.announcement(self.get(number))])
                    delivered += 1
        return delivered

    def on_sent(self, reply: Reply, event_id: str) -> None:
        payload = reply.payload or {}
        if payload.get("ticket_role") == "announce" and event_id:
            with self.storage.lock:
                self.storage.db.execute(
                    "UPDATE tickets SET corr_thread = ?, corr_room = ? WHERE id = ? AND corr_thread IS NULL",
                    (event_id, reply.room, payload["ticket"]))

    def on_failed(self, reply: Reply, reason: str, room_gone: bool) -> None:
        """An announcement refused for good: the ticket is marked unannounced (shown by
        ``tickets``, tried again after the next start), never taken for announced."""
        payload = reply.payload or {}
        if payload.get("ticket_role") != "announce":
            return
        with self.storage.transaction() as db:
            if db.execute("UPDATE tickets SET announce_pending = 2 WHERE id = ? AND corr_thread IS NULL",
                          (payload["ticket"],)).rowcount:
                db.execute("INSERT INTO ticket_messages (ticket, kind, text, created_at) VALUES (?, 'event', ?, ?)",
                           (payload["ticket"], f"annonce refusée par le serveur ({reason})", self.clock()))
        log.warning("the announcement of ticket %s was refused (%s); it will be tried again at the next start",
                    payload["ticket"], reason)

    # -- the interceptor ------------------------------------------------------------------------
    def intercept(self, msg: Incoming) -> list[Reply] | None:
        try:
            self.deliver_pending()
        except Exception:
            log.exception("delivering pending ticket announcements failed")
        if msg.event_id:
            done = self.by_source(msg.event_id)
            if done is not None:  # redelivered "oui": the ticket exists, just confirm again
                return [self.brain.reply(msg, strings.ticket_created(done.id, bool(self.corr_room)))]
        state, _ = self.storage.get_state(msg.room, msg.sender)
        if state and state.get("question") and state.get("type") in ("offer", "suggest"):
            self._remember_question(msg, state)  # so « je veux parler à quelqu'un » later needs no repeat
        if state and state.get("type") == "ticket_question":
            return self._question_for_human(msg)
        corr = self.corr_room
        if corr and msg.room == corr and msg.thread:
            ticket = self.by_corr_thread(msg.thread)
            if ticket is not None:
                return self._in_corr_thread(msg, ticket)
        if msg.thread:
            ticket = self.by_asker_thread(msg.room, msg.thread)
            if ticket is not None:
                return self._in_asker_thread(msg, ticket)
        if msg.is_direct or msg.addressed:
            if wants_human(msg.text):
                return self.ask_for_human(msg, "")
            return self._question_not_command(msg)
        return None

    def _question_not_command(self, msg: Incoming) -> list[Reply] | None:
        """A question that merely starts with a ticket command's word (« Note de certification… »,
        « Prendre rendez-vous… ») is a question, not a command refused to staff."""
        text = msg.text.strip()
        if not text or text.lower().startswith(("!", self.brain.prefix.lower())):
            return None
        cmd, args, _ = self._command_in(text)
        if cmd is None or cmd.name not in THREAD_COMMANDS | {"tickets"}:
            return None
        if not self._is_thread_command(cmd.name, args) or (
                cmd.name == "note" and not self.brain.is_correspondent(msg.sender)):
            return self.brain.answer_question(msg, text)
        return None  # the command itself (refused to non-correspondents by the brain)

    def _command_in(self, text: str):
        cmd, args, unknown = self.brain.parse_command(text)
        return cmd, args, unknown

    @staticmethod
    def _is_thread_command(name: str, args: str) -> bool:
        """Whether a message starting with a thread command's name is really that command (a
        correspondent may write « Prendre contact avec… » to the asker)."""
        args = args.strip()
        if name in ("prendre", "clore", "rouvrir"):
            return not args or bool(re.fullmatch(r"(?:n[°o]\s*|#)?\d+", args))
        if name == "assigner":
            return bool(_USER_ID.search(args)) or not args
        if name == "faq":
            return not args or bool(_FAQ_KEYS.search(args)) or bool(_NUMBER.fullmatch(args))
        if name == "tickets":
            return fold_accents(args.lower()) in ("", "tous", "toutes", "tout")
        return True  # note

    def _in_corr_thread(self, msg: Incoming, ticket: Ticket) -> list[Reply] | None:
        text = msg.text.strip()
        cmd, args, unknown = self._command_in(text)
        if cmd is not None and cmd.name in THREAD_COMMANDS and self._is_thread_command(cmd.name, args):
            if not self.brain.is_correspondent(msg.sender):
                return [self.brain.reply(msg, strings.NOT_ALLOWED, kind="error")]
            return cmd.handler(msg, args)
        if unknown is not None or (cmd is not None and cmd.name not in THREAD_COMMANDS):
            return None  # other commands (aide, tickets…): the brain's usual path
        if not text:
            return []
        if not self.brain.is_correspondent(msg.sender):
            # any member of the room may write here; only configured correspondents answer askers
            return [self.brain.reply(msg, strings.RELAY_NOT_CORRESPONDENT, kind="error")]
        return self._relay_to_asker(msg, ticket)

    def _relay_to_asker(self, msg: Incoming, ticket: Ticket) -> list[Reply]:
        text = msg.text.strip()
        now = self.clock()
        self._log(ticket.id, "correspondent", msg, text)
        fields = {"last_answer": text, "activity_at": now, "assignee": ticket.assignee or msg.sender}
        if ticket.state != "closed":
            fields["state"] = "answered"
        self._update(ticket.id, **fields)
        name = msg.sender_name or msg.sender
        return [self._to_asker(ticket, strings.relay_to_asker(name, text))]

    def _in_asker_thread(self, msg: Incoming, ticket: Ticket) -> list[Reply] | None:
        if msg.sender != ticket.asker:
            # someone else in the asker's thread: stay quiet while a human handles it
            return [] if ticket.state != "closed" else None
        text = msg.text.strip()
        cmd, args, unknown = self._command_in(text)
        if unknown is not None or (cmd is not None and cmd.name not in THREAD_COMMANDS):
            return None  # the asker's own commands (mes questions, aide…) still work
        if not text:
            return []
        reopened = ticket.state == "closed"
        self._log(ticket.id, "asker", msg, text)
        fields = {"activity_at": self.clock()}
        if ticket.state in ("closed", "answered"):
            fields["state"] = "assigned" if ticket.assignee else "open"
        if reopened:
            fields["closed_at"] = None
        self._update(ticket.id, **fields)
        replies = []
        relay = self._to_corr(ticket, strings.relay_to_corr(ticket.id, ticket.who, text, reopened))
        if relay is not None:
            replies.append(relay)
        if reopened:
            replies.append(self.brain.reply(msg, strings.TICKET_REOPENED_ASKER.format(n=ticket.id)))
        return replies

    # -- asking for a human -----------------------------------------------------------------------
    def _remember_question(self, msg: Incoming, state: dict) -> None:
        guesses = state.get("guesses") or state.get("choices") or []
        with self.storage.lock:
            self.storage.db.execute(
                "INSERT OR REPLACE INTO ticket_recent_questions (room, sender, question, guesses, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (msg.room, msg.sender, state["question"], json.dumps(guesses, ensure_ascii=False), self.clock()))

    def _last_question(self, msg: Incoming) -> tuple[str | None, list[str]]:
        """The asker's latest question in this room: pending offer or suggestion, else the newest of
        the last question the bot could not answer and the last one it answered."""
        state, _ = self.storage.get_state(msg.room, msg.sender)
        if state and state.get("question"):
            guesses = state.get("guesses") or state.get("choices") or []
            return state["question"], list(guesses)
        found: list[tuple[float, str, list[str]]] = []
        row = self.storage.db.execute(
            "SELECT question, guesses, updated_at FROM ticket_recent_questions WHERE room = ? AND sender = ?",
            (msg.room, msg.sender)).fetchone()
        if row:
            found.append((row[2], row[0], json.loads(row[1])))
        row = self.storage.db.execute(
            "SELECT payload, created_at FROM bot_messages WHERE room = ? AND asker = ? ORDER BY created_at DESC "
            "LIMIT 1", (msg.room, msg.sender)).fetchone()
        if row:
            payload = json.loads(row[0])
            if payload.get("question"):
                guesses = [payload["item"]] if payload.get("item") else payload.get("choices", [])
                found.append((row[1], payload["question"], list(guesses)))
        if not found:
            return None, []
        _, question, guesses = max(found, key=lambda f: f[0])
        return question, guesses

    def ask_for_human(self, msg: Incoming, args: str) -> list[Reply]:
        if msg.thread:
            ticket = self.by_asker_thread(msg.room, msg.thread)
            if ticket is not None and ticket.asker == msg.sender and ticket.state != "closed":
                return [self.brain.reply(msg, strings.TICKET_ALREADY.format(n=ticket.id))]
        question, guesses = (args.strip(), []) if args.strip() else self._last_question(msg)
        thread = msg.thread or msg.event_id
        if not question:
            self.storage.set_state(msg.room, msg.sender, {"type": "ticket_question"}, thread)
            return [self.brain.reply(msg, strings.TICKET_ASK_QUESTION)]
        return self._offer(msg, question, guesses)

    def _offer(self, msg: Incoming, question: str, guesses: list[str]) -> list[Reply]:
        self.storage.set_state(msg.room, msg.sender, {"type": "offer", "question": question, "guesses": guesses},
                               msg.thread or msg.event_id)
        return [self.brain.reply(msg, strings.ticket_offer(question), kind="none")]

    def _question_for_human(self, msg: Incoming) -> list[Reply] | None:
        self.storage.set_state(msg.room, msg.sender, None)
        text = msg.text.strip()
        cmd, _, unknown = self._command_in(text)
        if not text or cmd is not None or unknown is not None:
            return None
        if fold_accents(text.lower()).strip(" .!?") in NO:
            return [self.brain.reply(msg, strings.ESCALATION_DECLINED)]
        return self._offer(msg, text, [])

    # -- thread commands --------------------------------------------------------------------------
    def _target(self, msg: Incoming, args: str) -> tuple[Ticket | None, str]:
        """The ticket a thread command acts on: the ticket of the correspondents' thread it was
        written in, or (outside a thread, e.g. the terminal) the number given first."""
        if self.corr_room and msg.room == self.corr_room and msg.thread:
            ticket = self.by_corr_thread(msg.thread)
            if ticket is not None:
                return ticket, args
        match = _NUMBER.match(args.strip())
        if match:
            return self.get(int(match.group(1))), match.group(2)
        return None, args

    def _needs_ticket(self, msg: Incoming) -> list[Reply]:
        return [self.brain.reply(msg, strings.TICKET_THREAD_ONLY, kind="error")]

    def cmd_take(self, msg: Incoming, args: str) -> list[Reply]:
        ticket, _ = self._target(msg, args)
        if ticket is None:
            return self._needs_ticket(msg)
        return self._assign(msg, ticket, msg.sender, msg.sender_name or msg.sender)

    def cmd_assign(self, msg: Incoming, args: str) -> list[Reply]:
        ticket, rest = self._target(msg, args)
        if ticket is None:
            return self._needs_ticket(msg)
        match = _USER_ID.search(rest)
        if not match:
            return [self.brain.reply(msg, strings.TICKET_ASSIGN_USAGE, kind="error")]
        user = match.group(0).rstrip(".,;:!?")
        if self.brain.correspondents and user not in self.brain.correspondents:
            return [self.brain.reply(msg, strings.TICKET_NOT_CORRESPONDENT.format(user=literal(user)), kind="error")]
        return self._assign(msg, ticket, user, user)

    def _assign(self, msg: Incoming, ticket: Ticket, user: str, name: str) -> list[Reply]:
        if ticket.state == "closed":
            return [self.brain.reply(msg, strings.TICKET_IS_CLOSED.format(n=ticket.id), kind="error")]
        state = "assigned" if ticket.state == "open" else ticket.state
        self._update(ticket.id, assignee=user, state=state)
        self._log(ticket.id, "event", msg, f"assigné à {user}")
        reply = self.brain.reply(msg, strings.TICKET_ASSIGNED.format(n=ticket.id, name=literal(name)))
        reply.payload = {"mentions": [user]}
        return [reply, self._to_asker(ticket, strings.TICKET_TAKEN_ASKER.format(n=ticket.id))]

    def cmd_note(self, msg: Incoming, args: str) -> list[Reply]:
        ticket, rest = self._target(msg, args)
        if ticket is None:
            return self._needs_ticket(msg)
        if not rest.strip():
            return [self.brain.reply(msg, strings.TICKET_NOTE_USAGE, kind="error")]
        self._log(ticket.id, "note", msg, rest.strip())
        self._update(ticket.id)
        return [self.brain.reply(msg, strings.TICKET_NOTE_SAVED.format(n=ticket.id))]

    def cmd_close(self, msg: Incoming, args: str) -> list[Reply]:
        ticket, _ = self._target(msg, args)
        if ticket is None:
            return self._needs_ticket(msg)
        if ticket.state == "closed":
            return [self.brain.reply(msg, strings.TICKET_IS_CLOSED.format(n=ticket.id))]
        now = self.clock()
        self._update(ticket.id, state="closed", closed_at=now)
        self._log(ticket.id, "event", msg, "clos")
        return [self.brain.reply(msg, strings.TICKET_CLOSED_CORR.format(n=ticket.id)),
                self._to_asker(ticket, strings.TICKET_CLOSED_ASKER.format(n=ticket.id))]

    def cmd_reopen(self, msg: Incoming, args: str) -> list[Reply]:
        ticket, _ = self._target(msg, args)
        if ticket is None:
            return self._needs_ticket(msg)
        if ticket.state != "closed":
            return [self.brain.reply(msg, strings.TICKET_NOT_CLOSED.format(n=ticket.id))]
        self._update(ticket.id, state="assigned" if ticket.assignee else "open", closed_at=None,
                     activity_at=self.clock())
        self._log(ticket.id, "event", msg, "rouvert")
        return [self.brain.reply(msg, strings.TICKET_REOPENED_CORR.format(n=ticket.id))]

    def cmd_faq(self, msg: Incoming, args: str) -> list[Reply]:
        ticket, rest = self._target(msg, args)
        if ticket is None:
            return self._needs_ticket(msg)
        fields = parse_faq_args(rest)
        previous = self._learned_entry(ticket.learned_id) if ticket.learned_id else None
        question = fields.get("question") or (previous or {}).get("question") or ticket.question
        answer = fields.get("answer") or ticket.last_answer
        if not answer:
            return [self.brain.reply(msg, strings.FAQ_NO_ANSWER, kind="error")]
        if "variants" in fields:
            variants = fields["variants"]
        elif previous is not None:
            variants = list(previous.get("variants") or [])
        else:
            variants = [ticket.question] if question != ticket.question else []
        variants = [v for v in dict.fromkeys(variants) if v != question]
        entry_id = ticket.learned_id or self._free_id(faq_entry_id(ticket.id, question))
        entry = {"id": entry_id, "question": question}
        if variants:
            entry["variants"] = variants
        entry["answer"] = answer
        try:
            path = self.learn(entry)
        except LearnError as exc:
            details = "\n".join(f"- {literal(str(p))}" for p in exc.problems[:10])
            return [self.brain.reply(msg, strings.FAQ_REFUSED.format(errors=details), kind="error")]
        self._update(ticket.id, learned_id=entry_id)
        self._log(ticket.id, "event", msg, f"faq {entry_id}")
        text = strings.faq_learned(entry_id, path.name, question, variants, answer)
        try:
            self.app.engine.reload()
        except SourceError as exc:
            details = "\n".join(f"- {literal(str(p))}" for p in exc.problems[:10])
            text = strings.FAQ_NOT_INDEXED.format(id=entry_id, errors=details)
        else:
            if not self._indexed(path):
                text += "\n\n" + strings.FAQ_OUTSIDE_FAQ_DIR.format(file=str(path))
        return [self.brain.reply(msg, text)]

    def _indexed(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(Path(self.app.engine.faq_dir).resolve())
            return True
        except ValueError:
            return False

    def _free_id(self, wanted: str) -> str:
        taken = {i.id for i in self.app.engine.index.items}
        taken |= {e.get("id") for e in self._read_faq_file(self.faq_path())}
        candidate, n = wanted, 2
        while candidate in taken:
            candidate, n = f"{wanted}-{n}", n + 1
        return candidate

    # -- FAQ file ---------------------------------------------------------------------------------
    @staticmethod
    def _read_faq_file(path: Path) -> list[dict]:
        if not path.exists():
            return []
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise LearnError([f"{path.name} : {exc}"]) from None
        if data is None:
            return []
        if not isinstance(data, list):
            raise LearnError([f"{path.name} : {strings.SRC_FAQ_NOT_LIST}"])
        return data

    def _learned_entry(self, entry_id: str) -> dict | None:
        try:
            entries = self._read_faq_file(self.faq_path())
        except LearnError:
            return None
        return next((e for e in entries if isinstance(e, dict) and e.get("id") == entry_id), None)

    def learn(self, entry: dict) -> Path:
        """Add (or replace, same id) one entry in the learned-FAQ file; the file is validated as the
        FAQ loader sees it before it replaces the old one, so it is never left invalid."""
        path = self.faq_path()
        entries = [e for e in self._read_faq_file(path) if not (isinstance(e, dict) and e.get("id") == entry["id"])]
        entries.append(entry)
        return self._write_faq_file(path, entries)

    def _write_faq_file(self, path: Path, entries: list) -> Path:
        """Validate the entries as the FAQ loader sees them, then replace the file in one step."""
        text = strings.FAQ_FILE_HEADER + yaml.dump(entries, Dumper=_FaqDumper, allow_unicode=True, sort_keys=False,
                                                   width=100)
        faq_dir = Path(self.app.engine.faq_dir)
        try:
            rel = path.resolve().relative_to(faq_dir.resolve()).as_posix()
        except ValueError:
            rel = None
        seen = {i.id: i.origin for i in self.app.engine.index.items if i.kind == "faq" and i.origin != rel}
        result = LoadResult()
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / path.name).write_text(text, encoding="utf-8")
            load_faq(Path(tmp), result, seen)
        if result.errors:
            raise LearnError([str(p) for p in result.errors])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = path.with_name(f".{path.name}.tmp")
        tmp_path.write_text(text, encoding="utf-8")
        os.replace(tmp_path, path)
        return path

    # -- listings ---------------------------------------------------------------------------------
    def cmd_list(self, msg: Incoming, args: str) -> list[Reply]:
        everything = fold_accents(args.strip().lower()) in ("tous", "toutes", "tout")
        tickets = list_tickets(self.storage, include_closed=everything)[-30:]
        rows = [(t.id, t.state, t.who, t.assignee, t.question, t.created_at) for t in tickets]
        return [self.brain.reply(msg, strings.tickets_list(rows, everything, self.config.timezone))]

    def cmd_mine(self, msg: Incoming, args: str) -> list[Reply]:
        tickets = list_tickets(self.storage, include_closed=True, asker=msg.sender)[-30:]
        rows = [(t.id, t.state, t.question, t.created_at) for t in tickets]
        return [self.brain.reply(msg, strings.my_questions(rows, self.config.timezone))]

    # -- privacy ----------------------------------------------------------------------------------
    def count_held(self, user: str) -> list[tuple[str, int]]:
        return [(strings.FORGET_TICKETS, len(list_tickets(self.storage, include_closed=True, asker=user)))]

    def forget(self, user: str) -> list[Reply]:
        """Delete a person's tickets (with their messages), their messages in other tickets and
        their remembered questions; a learned FAQ entry that kept their question word for word
        loses it (the whole entry when it was its main question). Runs in the caller's
        transaction; returns notices for the correspondents."""
        notices = []
        with self.storage.transaction() as db:
            mine = list_tickets(self.storage, include_closed=True, asker=user)
            for ticket in mine:
                if ticket.corr_thread and ticket.state != "closed":
                    notice = self._to_corr(ticket, strings.TICKET_FORGOTTEN_CORR.format(n=ticket.id))
                    if notice is not None:
                        notices.append(notice)
            notices += self._forget_learned(mine)
            for ticket in mine:  # copies of their words elsewhere (e.g. a learned entry's title among the
                # leads of another ticket's announcement)
                db.execute("DELETE FROM outbox WHERE instr(payload, ?) > 0",
                           (json.dumps(ticket.question.strip(), ensure_ascii=False)[1:-1],))
            db.execute("DELETE FROM tickets WHERE asker = ?", (user,))
            db.execute("DELETE FROM ticket_messages WHERE author = ?", (user,))
            db.execute("DELETE FROM ticket_recent_questions WHERE sender = ?", (user,))
        return notices

    def _forget_learned(self, tickets: list[Ticket]) -> list[Reply]:
        """The learned-FAQ file holds the asker's question as the `faq` command copied it."""
        learned = {t.learned_id: t for t in tickets if t.learned_id}
        if not learned:
            return []
        path = self.faq_path()
        entries = self._read_faq_file(path)
        kept, notices = [], []
        for entry in entries:
            ticket = learned.get(entry.get("id")) if isinstance(entry, dict) else None
            if ticket is None:
                kept.append(entry)
                continue
            words = ticket.question.strip()
            if str(entry.get("question", "")).strip() == words:
                text = strings.TICKET_FORGOTTEN_LEARNED.format(id=entry["id"], n=ticket.id)
            else:
                entry["variants"] = [v for v in entry.get("variants") or [] if str(v).strip() != words]
                if not entry["variants"]:
                    del entry["variants"]
                kept.append(entry)
                text = strings.TICKET_FORGOTTEN_VARIANT.format(id=entry["id"], n=ticket.id)
            reply = self._to_corr(ticket, text)
            if reply is not None:
                notices.append(reply)
        if kept != entries or notices:
            self._write_faq_file(path, kept)
            self.storage.after_commit(self._reload_after_forget)
        return notices

    def _reload_after_forget(self) -> None:
        try:
            self.app.engine.reload()
        except SourceError as exc:
            log.warning("index not reloaded after forgetting a learned entry: %d problem(s)", len(exc.problems))

    # -- scheduled jobs -------------------------------------------------------------------------
    def auto_close(self, now: float | None = None) -> int:
        """Close answered tickets silent for ``tickets.auto_close_days`` days, telling the asker.
        Waits for an adapter (the notice must go out with the change)."""
        if self.brain.outlet is None:
            return 0
        now = self.clock() if now is None else now
        cutoff = now - self.config.tickets.auto_close_days * DAY
        rows = self.storage.db.execute(
            "SELECT * FROM tickets WHERE state = 'answered' AND activity_at < ? ORDER BY id", (cutoff,)).fetchall()
        closed = 0
        days = self.config.tickets.auto_close_days
        for row in rows:
            ticket = Ticket.from_row(row)
            replies = [self._to_asker(ticket, strings.TICKET_AUTO_CLOSED_ASKER.format(n=ticket.id, days=days))]
            corr = self._to_corr(ticket, strings.TICKET_AUTO_CLOSED_CORR.format(n=ticket.id, days=days))
            if corr is not None:
                replies.append(corr)
            with self.storage.transaction() as db:
                if db.execute("UPDATE tickets SET state = 'closed', closed_at = ?, updated_at = ? WHERE id = ? "
                              "AND state = 'answered' AND activity_at < ?", (now, now, ticket.id, cutoff)).rowcount:
                    db.execute("INSERT INTO ticket_messages (ticket, kind, text, created_at) VALUES (?, 'event', ?, ?)",
                               (ticket.id, "clos automatiquement", now))
                    self.brain.outlet(replies)
                    closed += 1
        if closed:
            log.info("auto-closed %d answered ticket(s)", closed)
        return closed

    def purge_expired(self, now: float | None = None) -> int:
        """Delete tickets older than the retention period (the core records are purged by App.purge)."""
        now = self.clock() if now is None else now
        cutoff = now - self.config.retention_days * DAY
        with self.storage.transaction() as db:
            deleted = db.execute("DELETE FROM tickets WHERE created_at < ?", (cutoff,)).rowcount
            db.execute("DELETE FROM ticket_recent_questions WHERE updated_at < ?", (cutoff,))
        if deleted:
            log.info("retention: deleted %d ticket(s) older than %d days", deleted, self.config.retention_days)
        return deleted


def install(app) -> Tickets:
    migrate(app.storage)
    tickets = Tickets(app)
    brain = app.brain
    brain.escalation = tickets
    brain.add_interceptor(tickets.intercept, priority=10)
    brain.sent_hooks.append(tickets.on_sent)
    brain.failed_hooks.append(tickets.on_failed)
    app.tickets = tickets

    brain.command("correspondant", strings.HELP_CMD_CORRESPONDANT, takes_args=True,
                  aliases=("correspondante", "humain"), usage="correspondant")(tickets.ask_for_human)
    brain.command("mes questions", strings.HELP_CMD_MY_QUESTIONS)(tickets.cmd_mine)
    brain.forgetters.append(Forgetter(tickets.count_held, tickets.forget))
    brain.command("tickets", strings.HELP_CMD_TICKETS, admin=True, takes_args=True,
                  usage="tickets [tous]")(tickets.cmd_list)
    # thread commands (in a ticket's thread of the correspondents' room; elsewhere: "N" first)
    brain.command("prendre", strings.HELP_CMD_TAKE, admin=True, takes_args=True)(tickets.cmd_take)
    brain.command("assigner", strings.HELP_CMD_ASSIGN, admin=True, takes_args=True,
                  usage="assigner @personne")(tickets.cmd_assign)
    brain.command("note", strings.HELP_CMD_NOTE, admin=True, takes_args=True, usage="note texte")(tickets.cmd_note)
    brain.command("clore", strings.HELP_CMD_CLOSE, admin=True, takes_args=True)(tickets.cmd_close)
    brain.command("rouvrir", strings.HELP_CMD_REOPEN, admin=True, takes_args=True)(tickets.cmd_reopen)
    brain.command("faq", strings.HELP_CMD_FAQ, admin=True, takes_args=True,
                  usage="faq [question: … | variantes: … ; … | réponse: …]")(tickets.cmd_faq)

    sched = app.scheduler
    sched.add_job(tickets.purge_expired, "cron", hour=3, minute=17, id="tickets-retention", replace_existing=True)
    sched.add_job(tickets.auto_close, "cron", hour=9, minute=5, id="tickets-auto-close", replace_existing=True)
    sched.add_job(tickets.deliver_pending, "interval", minutes=1, id="tickets-pending", replace_existing=True)
    return tickets
