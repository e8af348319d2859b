"""The command registry (#15): names and aliases whatever the accents, who may run a command,
where, its argument parser, and the help generated from it."""

from __future__ import annotations

import pytest

from bot.core import strings
from bot.core.brain import Brain, Incoming
from bot.core.commands import DIRECT, MODERATORS, ROOM, ArgumentError

ADMIN = "@corr:univ.fr"
STAFF = "@prof:univ.fr"


@pytest.fixture
def brain(sample_engine, storage):
    brain = Brain(sample_engine, storage, correspondents=[ADMIN])

    def number(args: str) -> int:
        if not args.strip().isdigit():
            raise ArgumentError("Indiquez un numéro.")
        return int(args)

    @brain.command("relancer", "relance une demande", takes_args=True, usage="relancer N", parse=number,
                   aliases=("rélancer",))
    def _relaunch(msg, n):
        return [brain.reply(msg, f"relance {n + 1}")]

    @brain.command("épingler", "épingle un message", who=MODERATORS, where=frozenset({ROOM}))
    def _pin(msg, args):
        return [brain.reply(msg, "épinglé")]

    @brain.command("purger", "purge", admin=True, where=frozenset({DIRECT}))
    def _purge(msg, args):
        return [brain.reply(msg, "purgé")]

    return brain


def say(brain, text, sender=STAFF, direct=True, moderator=False):
    return brain.handle(Incoming(sender=sender, room="!r", text=text, is_direct=direct, addressed=True,
                                 sender_is_moderator=moderator))


def test_the_argument_parser_feeds_the_handler_or_refuses_with_the_usage(brain):
    [ok] = say(brain, "Relancer 41")  # case and accents do not matter, the parsed value reaches the handler
    assert ok.text == "relance 42"
    [ok] = say(brain, "rélancer 1")
    assert ok.text == "relance 2"
    [refused] = say(brain, "!pix relancer demain")
    assert refused.kind == "error" and refused.text == "Indiquez un numéro. Utilisation : `relancer N`."


def test_who_may_run_a_command(brain):
    [refused] = say(brain, "!pix épingler", direct=False)
    assert refused.text == strings.NOT_ALLOWED_MODERATORS
    assert say(brain, "!pix épingler", direct=False, moderator=True)[0].text == "épinglé"
    assert say(brain, "!pix épingler", sender=ADMIN, direct=False)[0].text == "épinglé"
    assert say(brain, "purger")[0].text == strings.NOT_ALLOWED


def test_where_a_command_may_run(brain):
    assert say(brain, "épingler", moderator=True)[0].text == strings.ONLY_IN_ROOM
    assert say(brain, "!pix purger", sender=ADMIN, direct=False)[0].text == strings.ONLY_IN_DIRECT
    assert say(brain, "purger", sender=ADMIN)[0].text == "purgé"


def test_the_help_is_generated_from_the_registry(brain):
    staff = brain.help_text(STAFF)
    assert "- `relancer N` : relance une demande" in staff and "- `épingler` : épingle un message" in staff
    assert "purger" not in staff and strings.HELP_ADMIN not in staff
    admin = brain.help_text(ADMIN)
    assert strings.HELP_ADMIN in admin and "- `purger` : purge" in admin
    assert admin.count("`relancer N`") == 1  # an alias is not a second line
