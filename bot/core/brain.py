"""The platform-agnostic brain: plain ``Incoming`` messages in, ``Reply`` objects out.

Adapters (terminal chat, Matrix) translate their events into ``Incoming`` and send the
``Reply`` objects back, then call ``Brain.sent`` with the platform's id of each message so
reactions on it (suggestion numbers, 👍/👎 feedback) can be resolved later. The brain never
imports a chat library.
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from typing import Callable

from . import strings
from .platform import Platform
from .commands import CORRESPONDENTS, DIRECT, EVERYONE, ROOM, ArgumentError, Command, Registry
from ..answers.engine import Engine
from .privacy import Forgetter, Privacy  # noqa: F401  (features register Forgetters)
from .messages import (MAX_QUESTION_CHARS, NONE_OF_THEM, NUMBER_REACTIONS, THUMBS, Incoming, Reply, clip_text,
                       yes_or_no)
from .render import literal
from ..answers.search import SearchOutcome
from ..answers.sources import SourceError
from .storage import Storage
from ..answers.textnorm import fold_accents

log = logging.getLogger(__name__)

class Brain:
    def __init__(self, engine: Engine, storage: Storage, correspondents: list[str] | None = None,
                 command_prefix: str = "!pix", escalation=None):
        self.engine = engine
        self.storage = storage
        self.correspondents = set(correspondents or [])
        self.prefix = command_prefix
        self.escalation = escalation  # object with offer()/create(); None: no hand-over configured
        self.started = time.time()
        self.errors: deque[str] = deque(maxlen=5)
        self.platform = Platform()  # the adapter's (bot/core/platform.py)
        self.registry = Registry(prefix=command_prefix)
        # Extension points for feature modules (tickets, news):
        # - interceptors see every text message first (even unaddressed ones in group rooms) and
        #   may return replies to take it over, or None to let the brain go on;
        # - sent_hooks learn the platform id of each reply the adapter sent;
        # - outlet is set by the adapter: it delivers replies the brain emits on its own
        #   (scheduled digests, relays); it is called inside a storage transaction and must only
        #   record them (e.g. in the outbox), not block on the network.
        self._interceptors: list[tuple[int, int, Callable[[Incoming], list[Reply] | None]]] = []
        # - state handlers answer a person's next message while a conversation state of their
        #   kind is pending (registered with ``on_state``; the core's: suggest, offer, forget)
        self.state_handlers: dict[str, Callable[[Incoming, dict, str], list[Reply] | None]] = {}
        self.sent_hooks: list[Callable[[Reply, str], None]] = []
        # - failed_hooks learn that a reply was refused for good (reply, reason, whether the bot
        #   can no longer write in that room) and kept aside as a dead letter; left_hooks that the
        #   bot is no longer in a room (it left or was removed)
        self.failed_hooks: list[Callable[[Reply, str, bool], None]] = []
        self.left_hooks: list[Callable[[str], None]] = []
        # - forgetters: every part that keeps something about a person registers one, so that
        #   « oublier mes données » removes every trace (the core's own records come first)
        self.forgetters: list[Forgetter] = []
        # - actions: what a feature offers after answering an FAQ entry that names it
        #   (``action: demande-acces-orga``): handler(msg, item, reply) may add to the reply and
        #   set the person's conversation state (inside the message's transaction)
        self.actions: dict[str, Callable[[Incoming, object, Reply], None]] = {}
        self.outlet: Callable[[list[Reply]], None] | None = None
        # - redactor is set by an adapter that can take back a message it sent (room, event id,
        #   reason); callable from any thread, it only queues the redaction
        self.redactor: Callable[[str, str, str | None], None] | None = None
        self._register_builtin()
        self._register_dialogues()
        self.privacy = Privacy(self)

    # -- commands -------------------------------------------------------------------------------
    def command(self, name: str, help: str, admin: bool = False, takes_args: bool = False,
                aliases: tuple[str, ...] = (), usage: str = "", who: str | None = None,
                where: frozenset[str] | None = None, parse: Callable[[str], object] | None = None):
        """Decorator registering a command in the registry (``bot/commands.py``): its names, help
        line, who may run it (``admin=True`` is ``who="correspondents"``), where, its argument
        parser. The handler gets ``(msg, args)``, args parsed when a parser is given."""

        def register(func):
            self.registry.add(Command(name, help, func, who or (CORRESPONDENTS if admin else EVERYONE),
                                      where or frozenset({DIRECT, ROOM}), takes_args, aliases, usage or name, parse))
            return func

        return register

    @property
    def commands(self) -> dict[str, Command]:
        """Every command by folded name and alias (read-only use: register with ``command``)."""
        return self.registry.commands

    def add_interceptor(self, func: Callable[[Incoming], list[Reply] | None], priority: int) -> None:
        """See every text message first, lowest ``priority`` first (ties: in the order added).
        Conversations in a feature's own threads come first (tickets: 10), pending confirmations
        after (news: 50)."""
        self._interceptors.append((priority, len(self._interceptors), func))
        self._interceptors.sort(key=lambda entry: entry[:2])

    def on_state(self, kind: str):
        """Decorator: ``handler(msg, state, text)`` answers the next message of someone whose
        pending conversation state has type ``kind``; None lets the message be handled as usual."""

        def register(func):
            self.state_handlers[kind] = func
            return func

        return register

    def _register_builtin(self) -> None:
        @self.command("aide", strings.HELP_CMD_AIDE, aliases=("help", "?", "aidez-moi"))
        def _help(msg: Incoming, args: str) -> list[Reply]:
            return [self.reply(msg, self.help_text(msg.sender), kind="help")]

        @self.command("recharger", strings.HELP_CMD_RELOAD, admin=True, aliases=("reload",))
        def _reload(msg: Incoming, args: str) -> list[Reply]:
            try:
                self.engine.reload()
            except SourceError as exc:
                self.errors.append(f"rechargement : {len(exc.problems)} erreur(s) dans les sources")
                details = "\n".join(f"- {literal(str(p))}" for p in exc.problems[:10])
                return [self.reply(msg, strings.RELOAD_FAILED.format(errors=details), kind="error")]
            idx = self.engine.index
            return [self.reply(msg, strings.RELOAD_OK.format(items=len(idx.items), faq=idx.faq_count,
                                                              docs=len(idx.items) - idx.faq_count))]

        @self.command("statut", strings.HELP_CMD_STATUS, admin=True, aliases=("status", "etat"))
        def _status(msg: Incoming, args: str) -> list[Reply]:
            idx = self.engine.index
            uptime = _format_duration(time.time() - self.started)
            undelivered, latest = self.storage.dead_letters()
            text = strings.status_text(uptime, self.platform.rooms_count(), len(idx.items), idx.faq_count,
                                       len(idx.items) - idx.faq_count, list(self.errors), undelivered,
                                       [(d["room"], d["error"] or "") for d in latest])
            return [self.reply(msg, text)]

    def deliver(self, replies: list[Reply]) -> None:
        """Hand replies the brain sends on its own to the adapter's ``outlet``. Only inside a
        storage transaction: the adapter records them with it and sends them once it commits,
        so nothing leaves for a change that rolls back."""
        if not self.storage.in_transaction():
            raise RuntimeError("brain.deliver is only called inside a storage transaction")
        self.outlet(replies)

    def is_correspondent(self, user: str) -> bool:
        return user in self.correspondents

    def help_text(self, user: str) -> str:
        return self.registry.help_text(self.is_correspondent(user))

    def parse_command(self, text: str) -> tuple[Command | None, str, str | None]:
        """(command, args, unknown name): see ``Registry.parse``."""
        return self.registry.parse(text)

    # -- entry points ---------------------------------------------------------------------------
    def handle(self, msg: Incoming, persist: Callable[[list[Reply]], None] | None = None) -> list[Reply]:
        """Process one incoming message or reaction; never raises.

        Everything the message causes commits in one database transaction: the conversation
        state it consumes (a pending offer, a suggestion, a confirmation), what features write
        (a ticket and its announcement, a deletion), the event marked as handled and the replies
        recorded by ``persist`` (the adapter's outbox writer). A crash before that commit leaves
        no trace and the event is handled again at restart; a crash after it means the replies
        are sent from the outbox. Either way the message is answered exactly once, and an
        answer such as « oui » is never consumed without its effect.
        """
        with self.storage.transaction():
            if msg.event_id and self.storage.is_processed(msg.event_id):
                return []  # already handled (redelivery after a restart)
            try:
                with self.storage.transaction():  # a bug rolls back its half-done work, not the claim
                    replies = self._handle_reaction(msg) if msg.reaction_to else self._handle_text(msg)
            except Exception as exc:  # a bug must not silence the bot
                log.exception("error while handling %s", msg.event_id)
                self.errors.append(f"{type(exc).__name__}: {exc}")
                replies = [self.reply(msg, strings.INTERNAL_ERROR, kind="error")]
            _clip_replies(replies)
            if msg.event_id:
                self.storage.claim_event(msg.event_id)
            if persist is not None:
                persist(replies)
        return replies

    def sent(self, reply: Reply, event_id: str) -> None:
        """The adapter tells which platform id a reply got (for reactions on it)."""
        if reply.kind in ("answer", "suggest") and event_id:
            self.storage.remember_message(event_id, reply.room, reply.thread, reply.asker, reply.kind, reply.payload)
        for hook in self.sent_hooks:
            hook(reply, event_id)

    def failed(self, reply: Reply, reason: str, room_gone: bool = False) -> None:
        """The adapter tells that a reply was refused for good (kept as a dead letter);
        ``room_gone``: the bot may no longer write in that room at all."""
        for hook in self.failed_hooks:
            try:
                hook(reply, reason, room_gone)
            except Exception:
                log.exception("a failed-reply hook failed for %s", reply.room)

    def left(self, room: str) -> None:
        """The adapter tells that the bot is no longer in ``room`` (it left or was removed)."""
        for hook in self.left_hooks:
            try:
                hook(room)
            except Exception:
                log.exception("a left-room hook failed for %s", room)

    def emit(self, replies: list[Reply], record: Callable[[], None] | None = None) -> bool:
        """Deliver replies the brain sends on its own (not in answer to a message).

        ``record`` (e.g. "mark this digest as delivered") runs in the same transaction as the
        outlet, so a crash cannot deliver without recording or record without delivering.
        Returns False when no adapter is connected."""
        if self.outlet is None:
            return False
        _clip_replies(replies)
        with self.storage.transaction():
            if record is not None:
                record()
            self.deliver(replies)
        return True

    # -- internals ------------------------------------------------------------------------------
    def run_command(self, cmd: Command, msg: Incoming, args: str) -> list[Reply]:
        """Run a command after the registry's checks (who, where) and its argument parser."""
        refused = self.registry.refusal(cmd, msg.is_direct, self.is_correspondent(msg.sender),
                                        msg.sender_is_moderator)
        if refused:
            return [self.reply(msg, refused, kind="error")]
        if cmd.parse is not None:
            try:
                args = cmd.parse(args)
            except ArgumentError as exc:
                return [self.reply(msg, strings.ARGUMENTS_REFUSED.format(problem=exc, usage=cmd.usage), kind="error")]
        return cmd.handler(msg, args)

    def reply(self, msg: Incoming, text: str, kind: str = "info", **kw) -> Reply:
        thread = msg.thread or msg.event_id
        return Reply(room=msg.room, text=text, thread=thread, reply_to=msg.event_id, kind=kind,
                     asker=msg.sender, **kw)

    def _handle_text(self, msg: Incoming) -> list[Reply]:
        for _, _, intercept in self._interceptors:
            taken = intercept(msg)
            if taken is not None:
                return taken
        if not msg.is_direct and not msg.addressed and not msg.text.strip().lower().startswith(self.prefix.lower()):
            return []
        text = msg.text.strip()
        cmd, args, unknown = self.parse_command(text)
        if cmd is not None:
            return self.run_command(cmd, msg, args)
        if unknown is not None:
            # "!pix" then something that is no command: a question (or a choice number, « oui »…)
            # like any other; a single unknown word alone (not asked as a question: no "?") is
            # taken for a mistyped command and gets the help
            text = self.registry.strip_prefix(text)[1]
        if not text:
            return [self.reply(msg, strings.EMPTY_QUESTION)]
        too_long = len(text) > MAX_QUESTION_CHARS
        text = text[:MAX_QUESTION_CHARS]
        mistyped = unknown is not None and len(text.split(None, 1)) == 1 and not text.endswith("?")
        replies = self._question(msg, text, mistyped_command=mistyped)
        if too_long and replies:
            notice = strings.QUESTION_TOO_LONG.format(limit=f"{MAX_QUESTION_CHARS:,}".replace(",", "\u202f"))
            replies[0].text = notice + "\n\n" + replies[0].text
        return replies

    def _question(self, msg: Incoming, text: str, mistyped_command: bool = False) -> list[Reply]:
        state, _ = self.storage.get_state(msg.room, msg.sender)
        if state:
            replies = self._follow_up(msg, state, text)
            if replies is not None:
                return replies
        if mistyped_command:
            name = text.split()[0]
            return [self.reply(msg, strings.UNKNOWN_COMMAND.format(name=literal(name)) + "\n\n" + self.help_text(msg.sender),
                                kind="help")]
        return self.answer_question(msg, text)

    def _follow_up(self, msg: Incoming, state: dict, text: str) -> list[Reply] | None:
        """Handle an answer to a pending choice; None means 'not a follow-up, treat as a question'."""
        handler = self.state_handlers.get(state.get("type"))
        return handler(msg, state, text) if handler is not None else None

    def _register_dialogues(self) -> None:
        @self.on_state("suggest")
        def _choice(msg: Incoming, state: dict, text: str) -> list[Reply] | None:
            folded = fold_accents(text.lower()).strip(" .!?")
            choices = state["choices"]
            match = re.fullmatch(r"(?:n[°o]?\s*|numero\s*|la\s+)?(\d{1,2})", folded)
            if match:
                number = int(match.group(1))
                if 1 <= number <= len(choices):
                    return self._pick(msg, state, number)
                return [self.reply(msg, strings.CHOICE_OUT_OF_RANGE.format(count=len(choices)))]
            if folded in NONE_OF_THEM:
                return self._offer_escalation(msg, state["question"])
            return None

        @self.on_state("offer")
        def _offer(msg: Incoming, state: dict, text: str) -> list[Reply] | None:
            answer = yes_or_no(text)
            if answer is True:
                self.storage.set_state(msg.room, msg.sender, None)
                return self._escalate(msg, state["question"], state.get("guesses", []))
            if answer is False:
                self.storage.set_state(msg.room, msg.sender, None)
                return [self.reply(msg, strings.ESCALATION_DECLINED)]
            return None

    def _pick(self, msg: Incoming, state: dict, number: int) -> list[Reply]:
        item_id = state["choices"][number - 1]
        self.storage.set_state(msg.room, msg.sender, None)
        item = self.engine.item(item_id)
        if item is None:  # removed from the sources since
            return self.answer_question(msg, state["question"])
        reply = self._answer_reply(msg, item, state["question"])
        if state.get("thread"):
            reply.thread = state["thread"]
        return [reply]

    def _answer_reply(self, msg: Incoming, item, question: str) -> Reply:
        text = strings.answer_text(item.title, item.body, item.kind, item.source)
        reply = self.reply(msg, text, kind="answer", reactions=["👍", "👎"],
                           payload={"item": item.id, "question": question})
        action = self.actions.get(getattr(item, "action", None) or "")
        if action is not None:
            action(msg, item, reply)
        return reply

    def answer_question(self, msg: Incoming, question: str) -> list[Reply]:
        outcome: SearchOutcome = self.engine.ask(question)
        best = outcome.best
        self.storage.record_question(msg.sender, msg.is_direct, question, outcome.decision,
                                     best.item.id if best else None, round(best.score, 4) if best else None)
        if outcome.decision == "answer":
            self.storage.set_state(msg.room, msg.sender, None)
            return [self._answer_reply(msg, outcome.best.item, question)]
        if outcome.decision == "suggest":
            choices = self.engine.searcher.suggestions(outcome)
            ids = [r.item.id for r in choices]
            thread = msg.thread or msg.event_id
            self.storage.set_state(msg.room, msg.sender,
                                   {"type": "suggest", "choices": ids, "question": question, "thread": thread},
                                   thread)
            reactions = list(NUMBER_REACTIONS)[: len(ids)]
            return [self.reply(msg, strings.suggestion_text([r.item.title for r in choices]), kind="suggest",
                                reactions=reactions, payload={"choices": ids, "question": question})]
        return self._offer_escalation(msg, question, [r.item.id for r in outcome.results[:3]])

    def _offer_escalation(self, msg: Incoming, question: str, guesses: list[str] | None = None) -> list[Reply]:
        if self.escalation is None:
            self.storage.set_state(msg.room, msg.sender, None)
            return [self.reply(msg, strings.NONE_TEXT_NO_ESCALATION, kind="none")]
        self.storage.set_state(msg.room, msg.sender,
                               {"type": "offer", "question": question, "guesses": guesses or []},
                               msg.thread or msg.event_id)
        return [self.reply(msg, strings.NONE_TEXT, kind="none")]

    def _escalate(self, msg: Incoming, question: str, guesses: list[str]) -> list[Reply]:
        return self.escalation.create(msg, question, guesses)

    def _handle_reaction(self, msg: Incoming) -> list[Reply]:
        target = self.storage.bot_message(msg.reaction_to)
        if target is None or (target["asker"] and target["asker"] != msg.sender):
            return []
        key = msg.text.strip()
        if target["kind"] == "suggest" and key in NUMBER_REACTIONS:
            choices = target["payload"]["choices"]
            number = NUMBER_REACTIONS[key]
            if number > len(choices):
                return []
            state = {"type": "suggest", "choices": choices, "question": target["payload"]["question"],
                     "thread": target["thread"]}
            ctx = Incoming(sender=msg.sender, room=msg.room, thread=target["thread"], event_id=msg.event_id,
                           is_direct=msg.is_direct)
            return self._pick(ctx, state, number)
        if target["kind"] == "answer" and key in THUMBS:
            self.storage.record_feedback(msg.reaction_to, msg.sender, target["payload"].get("item"),
                                         target["payload"].get("question"), THUMBS[key])
            return []
        return []


def outcome_text(outcome: SearchOutcome, suggestions: list, escalation: bool = True) -> str:
    """What the bot says for a search outcome (used by the CLI's ``text`` field)."""
    if outcome.decision == "answer":
        item = outcome.best.item
        return strings.answer_text(item.title, item.body, item.kind, item.source)
    if outcome.decision == "suggest":
        return strings.suggestion_text([r.item.title for r in suggestions])
    return strings.NONE_TEXT if escalation else strings.NONE_TEXT_NO_ESCALATION


def _clip_replies(replies: list[Reply]) -> None:
    for reply in replies:
        reply.text = clip_text(reply.text)


def _format_duration(seconds: float) -> str:
    minutes, _ = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} j {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
