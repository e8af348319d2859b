"""« oublier mes données »: what the bot keeps about a person, and forgetting all of it.

Every part of the bot that keeps something about people registers a ``Forgetter`` on the brain
(``brain.forgetters``): the core's own records (feedback, the bot's messages to them, pending
conversations, outbox rows addressed to them or naming them) are registered here; tickets and
news register theirs at install. The command lists what is kept, asks for confirmation, and
forgets everything in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from . import strings
from .messages import Incoming, Reply, yes_or_no

if TYPE_CHECKING:
    from .brain import Brain


@dataclass
class Forgetter:
    """What one part of the bot keeps about a person. ``count`` says what it holds ((label from
    strings, how many) pairs, for the confirmation); ``forget`` deletes all of it inside the
    caller's transaction and returns notices to send (e.g. to the correspondents, about a
    ticket thread that will no longer be relayed)."""

    count: Callable[[str], list[tuple[str, int]]]
    forget: Callable[[str], list[Reply]]


class Privacy:
    def __init__(self, brain: Brain):
        self.brain = brain
        self.storage = brain.storage
        brain.forgetters.insert(0, Forgetter(self._core_count, self.storage.forget))
        brain.command("oublier mes données", strings.HELP_CMD_FORGET, aliases=("oublier mes donnees",))(self.ask)
        brain.on_state("forget")(self.confirm)

    def held_about(self, user: str) -> list[tuple[str, int]]:
        """What the bot keeps about ``user``, part by part (label, count), counts above zero."""
        return [(label, n) for f in self.brain.forgetters for label, n in f.count(user) if n]

    def forget_person(self, user: str) -> list[Reply]:
        """Remove every trace of ``user`` (one transaction); returns notices to send."""
        notices: list[Reply] = []
        with self.storage.transaction():
            for forgetter in self.brain.forgetters:
                notices += forgetter.forget(user) or []
        return notices

    def ask(self, msg: Incoming, args: str) -> list[Reply]:
        held = self.held_about(msg.sender)
        self.storage.set_state(msg.room, msg.sender, {"type": "forget"}, msg.thread or msg.event_id)
        return [self.brain.reply(msg, strings.forget_confirm(held))]

    def confirm(self, msg: Incoming, state: dict, text: str) -> list[Reply] | None:
        answer = yes_or_no(text)
        self.storage.set_state(msg.room, msg.sender, None)
        if answer is True:
            held = self.held_about(msg.sender)
            notices = self.forget_person(msg.sender)
            return [*notices, self.brain.reply(msg, strings.forget_done(held))]
        if answer is False:
            return [self.brain.reply(msg, strings.FORGET_CANCELLED)]
        return None  # something else: the request lapses, the message is handled as usual

    def _core_count(self, user: str) -> list[tuple[str, int]]:
        return [(strings.FORGET_QUESTIONS, self.storage.count_questions(user)),
                (strings.FORGET_FEEDBACK, self.storage.count_feedback(user))]
