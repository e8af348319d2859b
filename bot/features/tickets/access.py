"""Access requests: a member of staff asks for access to Pix Orga or Pix Certif.

They are tickets of kind ``access``, so they get everything tickets have: a card announced once
in the correspondents' channel as a thread root (exactly once across a crash), the relay of
questions both ways in that thread, retention and « oublier mes données ». What is particular to
them lives here:

- how a request starts: ``accès orga``, ``accès certif``, ``demande d'accès``, or « oui » to the
  offer that follows an FAQ answer whose entry names the action ``demande-acces-orga`` /
  ``demande-acces-certif`` (the engine recognises the need, in the person's own words);
- the short dialogue (conversation state ``access``) that collects what the correspondent needs,
  each answer checked, « annuler » at any step, nothing kept half-filled: the state is the only
  draft, and the request exists only once confirmed;
- the correspondents' decisions in the card's thread: ``accepter [membre|administrateur]``,
  ``refuser [motif]``, then ``invité`` once they sent Pix's invitation (the bot never claims to
  invite anyone: Pix has no API for it here);
- the listings (``demandes``, ``mes demandes``) and the export of who was granted what.
"""

from __future__ import annotations

import csv
import re
from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from ...answers.textnorm import fold_accents
from ...core import strings
from ...core.brain import Incoming, Reply
from ...core.commands import DIRECT
from ...core.messages import yes_or_no
from . import states
from .commands import THREAD_COMMANDS, on_ticket
from .context import Context
from .store import Ticket

KIND = "access"
SPACES = ("orga", "certif")
ROLES = ("membre", "administrateur")
PENDING, ACCEPTED, INVITED, REFUSED = "pending", "accepted", "invited", "refused"
OPEN_STATUSES = (PENDING, ACCEPTED)
MAX_FIELD = 200  # characters of a free answer (composante, reason, purpose)
MAX_EMAIL = 254
EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)$")
ACTIONS = {"demande-acces-orga": "orga", "demande-acces-certif": "certif"}  # FAQ ``action`` -> space
STEPS = ("space", "email", "unit", "role", "reason", "purpose", "confirm")


def read_space(text: str) -> str | None:
    folded = fold_accents(text.lower()).strip(" .!?")
    folded = re.sub(r"^(pix\s*)", "", folded)
    if folded in ("orga", "pix orga", "organisation"):
        return "orga"
    if folded in ("certif", "certification", "pix certif"):
        return "certif"
    return None


def read_role(text: str) -> str | None:
    folded = fold_accents(text.lower()).strip(" .!?")
    if folded in ("membre", "member", "simple membre"):
        return "membre"
    if folded in ("administrateur", "administratrice", "admin", "administration"):
        return "administrateur"
    return None


def email_problem(text: str, domains: list[str]) -> str | None:
    """Why ``text`` is not an address the invitation may go to (None: it is)."""
    address = text.strip()
    match = EMAIL.match(address)
    if not match or len(address) > MAX_EMAIL or ".." in address:
        return strings.ACCESS_BAD_EMAIL.format(value=strings.literal(address[:80]),
                                               domain=domains[0] if domains else "universite.fr")
    domain = match.group(1).lower()
    if domains and not any(domain == d or domain.endswith("." + d) for d in domains):
        return strings.ACCESS_BAD_DOMAIN.format(domains=", ".join(domains))
    return None


class AccessRequests:
    def __init__(self, ctx: Context, dialogue, commands):
        self.ctx = ctx
        self.brain = ctx.brain
        self.store = ctx.store
        self.storage = ctx.store.storage
        self.dialogue = dialogue
        self._commands = commands
        dialogue.kinds[KIND] = self

    # -- registration -----------------------------------------------------------------------------
    def register(self) -> None:
        command = self.brain.command
        direct = frozenset({DIRECT})
        command("accès orga", strings.HELP_CMD_ACCESS_ORGA, where=direct)(partial(self.start, "orga"))
        command("accès certif", strings.HELP_CMD_ACCESS_CERTIF, where=direct)(partial(self.start, "certif"))
        command("demande d'accès", strings.HELP_CMD_ACCESS, where=direct,
                aliases=("demande d’accès", "demande acces", "demander un accès"))(partial(self.start, None))
        command("mes demandes", strings.HELP_CMD_MY_REQUESTS)(self.mine)
        command("demandes", strings.HELP_CMD_REQUESTS, admin=True, takes_args=True,
                usage="demandes [toutes]")(self.listing)
        command("accepter", strings.HELP_CMD_ACCEPT, admin=True, takes_args=True,
                usage="accepter [membre|administrateur]")(self.accept)
        command("refuser", strings.HELP_CMD_REFUSE, admin=True, takes_args=True, usage="refuser [motif]")(self.refuse)
        command("invité", strings.HELP_CMD_INVITED, admin=True, takes_args=True, aliases=("invitée",))(self.invited)
        # the dialogue's answers come before everything but the person's own commands: a state
        # handler would run after the commands, and a purpose such as « Prendre en charge les
        # campagnes » or « Note : … » would be taken for a ticket command
        self.brain.add_interceptor(self.intercept, priority=5)
        self.brain.on_state("access_offer")(self.on_offer)
        for action, space in ACTIONS.items():
            self.brain.actions[action] = partial(self.offer, space)

    # -- how a request starts ---------------------------------------------------------------------
    def start(self, space: str | None, msg: Incoming, args: str = "") -> list[Reply]:
        state = {"type": "access", "step": "email" if space else "space", "space": space}
        return self._ask(msg, state)

    def offer(self, space: str, msg: Incoming, item, reply: Reply) -> None:
        """After an answer about getting access (in a direct chat): offer to pass a request on."""
        if not msg.is_direct:
            return
        reply.text += strings.ACCESS_OFFER.format(space=strings.ACCESS_SPACES[space])
        self.storage.set_state(msg.room, msg.sender, {"type": "access_offer", "space": space}, reply.thread)

    def on_offer(self, msg: Incoming, state: dict, text: str) -> list[Reply] | None:
        answer = yes_or_no(text)
        if answer is None:
            return None  # another question: answered as usual
        self.storage.set_state(msg.room, msg.sender, None)
        if answer is False:
            return [self.brain.reply(msg, strings.ACCESS_OFFER_DECLINED)]
        return self.start(state["space"], msg)

    # -- the dialogue -----------------------------------------------------------------------------
    def _ask(self, msg: Incoming, state: dict) -> list[Reply]:
        thread = state.get("thread") or msg.thread or msg.event_id
        state["thread"] = thread
        self.storage.set_state(msg.room, msg.sender, state, thread)
        return [self._in_thread(msg, thread, self._question(state))]

    def _in_thread(self, msg: Incoming, thread: str | None, text: str, kind: str = "info") -> Reply:
        reply = self.brain.reply(msg, text, kind=kind)
        if thread:
            reply.thread = thread
        return reply

    def _question(self, state: dict) -> str:
        step = state["step"]
        if step == "space":
            return strings.ACCESS_ASK_SPACE
        if step == "email":
            return strings.ACCESS_ASK_EMAIL.format(space=strings.ACCESS_SPACES[state["space"]])
        if step == "unit":
            return strings.ACCESS_ASK_UNIT
        if step == "role":
            return strings.ACCESS_ASK_ROLE
        if step == "reason":
            return strings.ACCESS_ASK_REASON
        if step == "purpose":
            return strings.ACCESS_ASK_PURPOSE
        return strings.access_confirm(self._summary(state))

    @staticmethod
    def _summary(state: dict) -> str:
        return strings.access_summary(state["space"], state["email"], state["unit"], state["role"],
                                      state.get("reason"), state["purpose"])

    def intercept(self, msg: Incoming) -> list[Reply] | None:
        """A message of someone in the middle of the dialogue: their answer, unless it is one of
        their commands (« aide », « mes demandes »…: run as usual, the dialogue waits)."""
        if not (msg.is_direct or msg.addressed) or msg.reaction_to:
            return None
        state, _ = self.storage.get_state(msg.room, msg.sender)
        if not state or state.get("type") != "access":
            return None
        cmd, _, _ = self.brain.parse_command(msg.text)
        if cmd is not None and cmd.name not in THREAD_COMMANDS:
            return None
        return self.on_answer(msg, state, self.brain.registry.strip_prefix(msg.text)[1])

    def on_answer(self, msg: Incoming, state: dict, text: str) -> list[Reply]:
        """The next answer of the dialogue: checked, stored in the state, the next question asked."""
        text = text.strip()
        thread = state.get("thread")
        folded = fold_accents(text.lower()).strip(" .!")
        if folded in ("annuler", "abandonner", "stop", "laisse tomber"):
            self.storage.set_state(msg.room, msg.sender, None)
            return [self._in_thread(msg, thread, strings.ACCESS_CANCELLED)]
        step = state["step"]
        problem = None
        if step == "space":
            space = read_space(text)
            if space is None:
                problem = strings.ACCESS_BAD_SPACE
            else:
                state.update(space=space, step="email")
        elif step == "email":
            problem = email_problem(text, self.ctx.config.access.mail_domains)
            if problem is None:
                state.update(email=text.strip().lower(), step="unit")
        elif step in ("unit", "reason", "purpose"):
            if not text or len(text) > MAX_FIELD:
                problem = strings.ACCESS_BAD_TEXT.format(limit=MAX_FIELD)
            else:
                state[step] = text
                state["step"] = {"unit": "role", "reason": "purpose", "purpose": "confirm"}[step]
        elif step == "role":
            role = read_role(text)
            if role is None:
                problem = strings.ACCESS_BAD_ROLE
            else:
                state.update(role=role, step="reason" if role == "administrateur" else "purpose")
        elif step == "confirm":
            answer = yes_or_no(text)
            if answer is True:
                self.storage.set_state(msg.room, msg.sender, None)
                return self._create(msg, state)
            if answer is False:
                self.storage.set_state(msg.room, msg.sender, None)
                return [self._in_thread(msg, thread, strings.ACCESS_CANCELLED)]
            problem = strings.ACCESS_CONFIRM_AGAIN
        if problem is not None:  # asked again; the state stays as it was
            return [self._in_thread(msg, thread, problem, kind="error")]
        return self._ask(msg, state)

    def _create(self, msg: Incoming, state: dict) -> list[Reply]:
        details = {k: state.get(k) for k in ("space", "email", "unit", "role", "reason", "purpose")}
        title = f"Accès {strings.ACCESS_SPACES[details['space']]} ({details['role']}) pour {details['email']}"
        replies = self.dialogue.create(msg, title, [], kind=KIND, details=details)
        for reply in replies:
            reply.thread = state.get("thread") or reply.thread
        return replies

    # -- what the ticket machinery asks of a kind -------------------------------------------------
    def insert(self, number: int, details: dict) -> None:
        """Store a new request's details (in the ticket's creation transaction)."""
        self.storage.db.execute(
            "INSERT INTO access_requests (ticket, space, email, unit, role, role_reason, purpose) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (number, details["space"], details["email"], details["unit"], details["role"], details.get("reason"),
             details["purpose"]))

    def details(self, number: int) -> dict | None:
        row = self.storage.db.execute("SELECT * FROM access_requests WHERE ticket = ?", (number,)).fetchone()
        return dict(row) if row else None

    def card(self, ticket: Ticket, mentions: list[str]) -> str:
        d = self.details(ticket.id) or {}
        summary = strings.access_summary(d["space"], d["email"], d["unit"], d["role"], d.get("role_reason"),
                                         d["purpose"])
        return strings.access_card(ticket.id, ticket.who, self.brain.platform.mention(ticket.asker), summary,
                                   [self.brain.platform.mention(m) for m in mentions])

    def created(self, number: int, announced: bool) -> str:
        return strings.access_created(number, announced)

    # -- the correspondents' decisions ------------------------------------------------------------
    def _target(self, msg: Incoming, args: str):
        return self._commands._target(msg, args)

    def _request(self, msg: Incoming, ticket: Ticket, allowed: tuple[str, ...]) -> tuple[dict | None, list[Reply]]:
        """The request of ``ticket`` if its status is one of ``allowed``, else (None, the refusal)."""
        details = self.details(ticket.id) if ticket.kind == KIND else None
        if details is None:
            return None, [self.brain.reply(msg, strings.ACCESS_NOT_A_REQUEST.format(n=ticket.id), kind="error")]
        status = details["status"]
        if status in allowed:
            return details, []
        text = (strings.ACCESS_NOT_ACCEPTED.format(n=ticket.id) if status == PENDING
                else strings.ACCESS_ALREADY_DECIDED.format(n=ticket.id, status=strings.ACCESS_STATUSES[status]))
        return None, [self.brain.reply(msg, text, kind="error")]

    def _decide(self, ticket: Ticket, msg: Incoming, status: str, ticket_fields: dict, **fields) -> None:
        """Record a decision on the request and its ticket, logged (one transaction)."""
        now = self.store.clock()
        fields.update(status=status)
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self.storage.transaction() as db:
            db.execute(f"UPDATE access_requests SET {cols} WHERE ticket = ?", (*fields.values(), ticket.id))
            self.store.log(ticket.id, "event", msg, status)
            self.store.update(ticket.id, activity_at=now, **ticket_fields)

    @on_ticket
    def accept(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        request, refused = self._request(msg, ticket, (PENDING,))
        if request is None:
            return refused
        role = read_role(rest) if rest.strip() else request["role"]
        if role is None:
            return [self.brain.reply(msg, strings.ACCESS_BAD_GRANTED_ROLE, kind="error")]
        taken = {} if ticket.state == states.CLOSED else {"state": states.taken(ticket.state), "assignee": msg.sender}
        self._decide(ticket, msg, ACCEPTED, taken, granted_role=role, decided_by=msg.sender,
                     decided_at=self.store.clock())
        space, email = request["space"], request["email"]
        return [self.brain.reply(msg, strings.access_accepted_corr(ticket.id, space, role, email)),
                self.ctx.to_asker(ticket, strings.access_accepted_asker(ticket.id, space, role, email))]

    @on_ticket
    def refuse(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        request, refused = self._request(msg, ticket, OPEN_STATUSES)
        if request is None:
            return refused
        reason = rest.strip()[:MAX_FIELD * 5]
        now = self.store.clock()
        self._decide(ticket, msg, REFUSED, {"state": states.CLOSED, "closed_at": now}, refusal=reason or None,
                     decided_by=msg.sender, decided_at=now)
        return [self.brain.reply(msg, strings.access_refused_corr(ticket.id)),
                self.ctx.to_asker(ticket, strings.access_refused_asker(ticket.id, request["space"], reason))]

    @on_ticket
    def invited(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        request, refused = self._request(msg, ticket, (ACCEPTED,))
        if request is None:
            return refused
        now = self.store.clock()
        self._decide(ticket, msg, INVITED, {"state": states.CLOSED, "closed_at": now}, invited_at=now)
        return [self.brain.reply(msg, strings.access_invited_corr(ticket.id)),
                self.ctx.to_asker(ticket, strings.access_invited_asker(ticket.id, request["space"], request["email"]))]

    # -- listings ---------------------------------------------------------------------------------
    def _rows(self, asker: str | None = None, everything: bool = True) -> list[dict]:
        rows = requests(self.storage, asker=asker)
        return rows if everything else [r for r in rows if r["status"] in OPEN_STATUSES]

    def listing(self, msg: Incoming, args: str) -> list[Reply]:
        everything = fold_accents(args.strip().lower()) in ("toutes", "tous", "tout")
        rows = [listed(r) for r in self._rows(everything=everything)[-30:]]
        return [self.brain.reply(msg, strings.access_list(rows, everything, self.ctx.config.timezone))]

    def mine(self, msg: Incoming, args: str) -> list[Reply]:
        rows = [(r["id"], r["space"], r["status"], r["created_at"]) for r in self._rows(asker=msg.sender)[-30:]]
        return [self.brain.reply(msg, strings.my_access_requests(rows, self.ctx.config.timezone))]

    def count_held(self, user: str) -> int:
        return len(self._rows(asker=user))


def requests(storage, asker: str | None = None, status: str | None = None) -> list[dict]:
    """Access requests with their ticket's asker and date, by number (or by invitation date for
    ``status`` invited)."""
    sql = ("SELECT t.id, t.asker, t.asker_name, t.created_at, a.* FROM tickets t "
           "JOIN access_requests a ON a.ticket = t.id WHERE 1 = 1")
    params: list = []
    for column, value in (("t.asker", asker), ("a.status", status)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    order = " ORDER BY a.invited_at" if status == INVITED else " ORDER BY t.id"
    return [dict(r) for r in storage.db.execute(sql + order, params)]


def listed(row: dict) -> tuple:
    """A request as ``strings.access_list`` shows it."""
    return (row["id"], row["space"], row["role"], row["email"], row["unit"], row["status"], row["created_at"],
            row["asker_name"] or row["asker"])


def granted(storage, year: int | None, tz: str) -> list[dict]:
    """Requests whose invitation was sent (in ``year``, in the time zone ``tz``; None: all)."""
    rows = requests(storage, status=INVITED)
    if year is None:
        return rows
    return [r for r in rows if datetime.fromtimestamp(r["invited_at"], ZoneInfo(tz)).year == year]


def export_granted(storage, path: Path, year: int | None, tz: str) -> int:
    """Who was granted what, as a CSV a spreadsheet opens (UTF-8 with BOM, semicolons)."""
    def day(ts):
        return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m-%d") if ts else ""

    rows = granted(storage, year, tz)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, delimiter=";")
        writer.writerow(strings.ACCESS_CSV_HEADER)
        for r in rows:
            writer.writerow([r["id"], strings.ACCESS_SPACES[r["space"]], strings.ACCESS_ROLES[r["granted_role"] or r["role"]],
                             r["email"], r["unit"], r["purpose"], r["asker_name"] or r["asker"], day(r["created_at"]),
                             day(r["decided_at"]), day(r["invited_at"])])
    return len(rows)
