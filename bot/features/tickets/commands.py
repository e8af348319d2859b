"""The ticket commands: the correspondents' thread commands (``prendre``, ``assigner``, ``note``,
``clore``, ``rouvrir``, ``faq``), the listings (``tickets``, ``mes questions``), and the rule
that tells such a command from a question or a reply that merely starts with its word.

A thread command acts on the ticket of the correspondents' thread it is written in, or, outside
a thread (e.g. the terminal), on the ticket whose number comes first (« clore 12 »).
"""

from __future__ import annotations

import functools
import re
from typing import Callable

from ...core import strings
from ...core.brain import Incoming, Reply
from ...core.render import literal
from ...answers.sources import SourceError
from ...answers.textnorm import fold_accents
from . import states
from .context import Context
from .learned import LearnedFaq, LearnError
from .store import Ticket

THREAD_COMMANDS = {"prendre", "assigner", "note", "clore", "rouvrir", "faq", "accepter", "refuser", "invité"}
_NUMBER = re.compile(r"^(?:n[°o]\s*|#)?(\d+)\b\s*(.*)$", re.S)
_FAQ_KEYS = re.compile(r"(?:^|\||\n)\s*(question|variantes?|variants|r[ée]ponse|answer)\s*:\s*", re.I)


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


def is_thread_command(name: str, args: str, find_user: Callable[[str], str | None]) -> bool:
    """Whether a message starting with a thread command's name is really that command (a
    correspondent may write « Prendre contact avec… » to the asker). ``find_user``: the
    platform's way of finding a person's id in text."""
    args = args.strip()
    if name in ("prendre", "clore", "rouvrir"):
        return not args or bool(re.fullmatch(r"(?:n[°o]\s*|#)?\d+", args))
    if name == "assigner":
        return bool(find_user(args)) or not args
    if name == "faq":
        return not args or bool(_FAQ_KEYS.search(args)) or bool(_NUMBER.fullmatch(args))
    if name == "tickets":
        return fold_accents(args.lower()) in ("", "tous", "toutes", "tout")
    if name in ("accepter", "invité"):  # « Accepter une invitation Pix Orga ? » is a question
        folded = fold_accents(args.lower())
        number = r"(?:(?:n[°o]\s*|#)?\d+)"
        if name == "accepter":
            return bool(re.fullmatch(rf"(?:{number}\s*)?(?:membre|administrateur|admin)?", folded))
        return bool(re.fullmatch(rf"{number}?", folded))
    return True  # note, refuser (free text)


def on_ticket(handler):
    """A thread command's opening: find the ticket it acts on, or refuse. The handler gets the
    ticket and the arguments that follow its number (all of them in a ticket's thread)."""

    @functools.wraps(handler)
    def run(self: "Commands", msg: Incoming, args: str) -> list[Reply]:
        ticket, rest = self._target(msg, args)
        if ticket is None:
            return [self.brain.reply(msg, strings.TICKET_THREAD_ONLY, kind="error")]
        return handler(self, msg, ticket, rest)

    return run


class Commands:
    def __init__(self, ctx: Context, learned: LearnedFaq):
        self.ctx = ctx
        self.brain = ctx.brain
        self.store = ctx.store
        self.learned = learned

    def register(self, ask_for_human) -> None:
        """Register the commands on the brain (in the order the help lists them)."""
        command = self.brain.command
        command("correspondant", strings.HELP_CMD_CORRESPONDANT, takes_args=True,
                aliases=("correspondante", "humain"), usage="correspondant")(ask_for_human)
        command("mes questions", strings.HELP_CMD_MY_QUESTIONS)(self.mine)
        command("tickets", strings.HELP_CMD_TICKETS, admin=True, takes_args=True, usage="tickets [tous]")(self.listing)
        # thread commands (in a ticket's thread of the correspondents' room; elsewhere: "N" first)
        command("prendre", strings.HELP_CMD_TAKE, admin=True, takes_args=True)(self.take)
        command("assigner", strings.HELP_CMD_ASSIGN, admin=True, takes_args=True,
                usage="assigner @personne")(self.assign)
        command("note", strings.HELP_CMD_NOTE, admin=True, takes_args=True, usage="note texte")(self.note)
        command("clore", strings.HELP_CMD_CLOSE, admin=True, takes_args=True)(self.close)
        command("rouvrir", strings.HELP_CMD_REOPEN, admin=True, takes_args=True)(self.reopen)
        command("faq", strings.HELP_CMD_FAQ, admin=True, takes_args=True,
                usage="faq [question: … | variantes: … ; … | réponse: …]")(self.faq)

    def question_not_command(self, msg: Incoming) -> list[Reply] | None:
        """A question that merely starts with a ticket command's word (« Note de certification… »,
        « Prendre rendez-vous… ») is a question, not a command refused to staff."""
        text = msg.text.strip()
        if not text or text.lower().startswith(("!", self.brain.prefix.lower())):
            return None
        cmd, args, _ = self.brain.parse_command(text)
        if cmd is None or cmd.name not in THREAD_COMMANDS | {"tickets"}:
            return None
        if not is_thread_command(cmd.name, args, self.brain.platform.find_user) or (
                cmd.name in ("note", "refuser") and not self.brain.is_correspondent(msg.sender)):
            return self.brain.answer_question(msg, text)
        return None  # the command itself (refused to non-correspondents by the brain)

    # -- thread commands --------------------------------------------------------------------------
    def _target(self, msg: Incoming, args: str) -> tuple[Ticket | None, str]:
        """The ticket a thread command acts on: the ticket of the correspondents' thread it was
        written in, or (outside a thread, e.g. the terminal) the number given first."""
        ticket = self.ctx.corr_thread_ticket(msg)
        if ticket is not None:
            return ticket, args
        match = _NUMBER.match(args.strip())
        if match:
            return self.store.get(int(match.group(1))), match.group(2)
        return None, args

    @on_ticket
    def take(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        return self._assign(msg, ticket, msg.sender, msg.sender_name or msg.sender)

    @on_ticket
    def assign(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        user = self.brain.platform.find_user(rest)
        if not user:
            return [self.brain.reply(msg, strings.TICKET_ASSIGN_USAGE, kind="error")]
        if self.brain.correspondents and user not in self.brain.correspondents:
            return [self.brain.reply(msg, strings.TICKET_NOT_CORRESPONDENT.format(user=literal(user)), kind="error")]
        return self._assign(msg, ticket, user, user)

    def _assign(self, msg: Incoming, ticket: Ticket, user: str, name: str) -> list[Reply]:
        try:
            state = states.taken(ticket.state)
        except states.TransitionRefused:
            return [self.brain.reply(msg, strings.TICKET_IS_CLOSED.format(n=ticket.id), kind="error")]
        self.store.update(ticket.id, assignee=user, state=state)
        self.store.log(ticket.id, "event", msg, f"assigné à {user}")
        reply = self.brain.reply(msg, strings.TICKET_ASSIGNED.format(n=ticket.id, name=literal(name)))
        reply.payload = {"mentions": [user]}
        return [reply, self.ctx.to_asker(ticket, strings.TICKET_TAKEN_ASKER.format(n=ticket.id))]

    @on_ticket
    def note(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        if not rest.strip():
            return [self.brain.reply(msg, strings.TICKET_NOTE_USAGE, kind="error")]
        self.store.log(ticket.id, "note", msg, rest.strip())
        self.store.update(ticket.id)
        return [self.brain.reply(msg, strings.TICKET_NOTE_SAVED.format(n=ticket.id))]

    @on_ticket
    def close(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        try:
            state = states.closed(ticket.state)
        except states.TransitionRefused:
            return [self.brain.reply(msg, strings.TICKET_IS_CLOSED.format(n=ticket.id))]
        self.store.update(ticket.id, state=state, closed_at=self.store.clock())
        self.store.log(ticket.id, "event", msg, "clos")
        return [self.brain.reply(msg, strings.TICKET_CLOSED_CORR.format(n=ticket.id)),
                self.ctx.to_asker(ticket, strings.TICKET_CLOSED_ASKER.format(n=ticket.id))]

    @on_ticket
    def reopen(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        try:
            state = states.reopened(ticket.state, assigned=bool(ticket.assignee))
        except states.TransitionRefused:
            return [self.brain.reply(msg, strings.TICKET_NOT_CLOSED.format(n=ticket.id))]
        self.store.update(ticket.id, state=state, closed_at=None, activity_at=self.store.clock())
        self.store.log(ticket.id, "event", msg, "rouvert")
        return [self.brain.reply(msg, strings.TICKET_REOPENED_CORR.format(n=ticket.id))]

    @on_ticket
    def faq(self, msg: Incoming, ticket: Ticket, rest: str) -> list[Reply]:
        entry = self.learned.entry_for(ticket, parse_faq_args(rest))
        if entry is None:
            return [self.brain.reply(msg, strings.FAQ_NO_ANSWER, kind="error")]
        try:
            path = self.learned.learn(entry)
        except LearnError as exc:
            return [self.brain.reply(msg, strings.FAQ_REFUSED.format(errors=_problems(exc)), kind="error")]
        entry_id = entry["id"]
        self.store.update(ticket.id, learned_id=entry_id)
        self.store.log(ticket.id, "event", msg, f"faq {entry_id}")
        text = strings.faq_learned(entry_id, path.name, entry["question"], entry.get("variants", []), entry["answer"])
        try:
            self.ctx.engine.reload()
        except SourceError as exc:
            text = strings.FAQ_NOT_INDEXED.format(id=entry_id, errors=_problems(exc))
        else:
            if not self.learned.indexed(path):
                text += "\n\n" + strings.FAQ_OUTSIDE_FAQ_DIR.format(file=str(path))
        return [self.brain.reply(msg, text)]

    # -- listings ---------------------------------------------------------------------------------
    def listing(self, msg: Incoming, args: str) -> list[Reply]:
        everything = fold_accents(args.strip().lower()) in ("tous", "toutes", "tout")
        tickets = self.store.tickets(include_closed=everything)[-30:]
        rows = [(t.id, t.state, t.who, t.assignee, t.question, t.created_at) for t in tickets]
        return [self.brain.reply(msg, strings.tickets_list(rows, everything, self.ctx.config.timezone))]

    def mine(self, msg: Incoming, args: str) -> list[Reply]:
        tickets = self.store.tickets(include_closed=True, asker=msg.sender)[-30:]
        rows = [(t.id, t.state, t.question, t.created_at) for t in tickets]
        return [self.brain.reply(msg, strings.my_questions(rows, self.ctx.config.timezone))]


def _problems(exc: LearnError | SourceError) -> str:
    """The first problems of a refused file, one per line, shown as written."""
    return "\n".join(f"- {literal(str(p))}" for p in exc.problems[:10])
