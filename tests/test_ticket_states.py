"""The ticket state machine alone (bot/features/tickets/states.py): no storage, no brain.

Each allowed transition is listed with the state it must lead to, and each refused one must
raise; the table in the module's docstring says the same.
"""

from __future__ import annotations

import pytest

from bot.features.tickets import states
from bot.features.tickets.states import ANSWERED, ASSIGNED, CLOSED, OPEN, TransitionRefused

DAY = 86400.0


def test_the_four_states():
    assert states.STATES == ("open", "assigned", "answered", "closed")


# -- prendre / assigner ---------------------------------------------------------------------------
@pytest.mark.parametrize("before, after", [(OPEN, ASSIGNED), (ASSIGNED, ASSIGNED), (ANSWERED, ANSWERED)])
def test_taking_a_ticket(before, after):
    assert states.taken(before) == after


def test_a_closed_ticket_cannot_be_taken():
    with pytest.raises(TransitionRefused) as refused:
        states.taken(CLOSED)
    assert refused.value.state == CLOSED and refused.value.event == "take"


# -- a correspondent's message relayed to the asker -------------------------------------------------
@pytest.mark.parametrize("before, after", [(OPEN, ANSWERED), (ASSIGNED, ANSWERED), (ANSWERED, ANSWERED),
                                           (CLOSED, CLOSED)])
def test_a_correspondent_answers(before, after):
    assert states.answered(before) == after


# -- the asker writes again in their thread ---------------------------------------------------------
@pytest.mark.parametrize("before, assigned, after", [
    (OPEN, False, OPEN),
    (ASSIGNED, True, ASSIGNED),
    (ANSWERED, True, ASSIGNED),
    (ANSWERED, False, OPEN),
    (CLOSED, True, ASSIGNED),
    (CLOSED, False, OPEN),
])
def test_the_asker_follows_up(before, assigned, after):
    assert states.followed_up(before, assigned=assigned) == after


# -- clore ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("before", [OPEN, ASSIGNED, ANSWERED])
def test_closing(before):
    assert states.closed(before) == CLOSED


def test_a_closed_ticket_cannot_be_closed_again():
    with pytest.raises(TransitionRefused):
        states.closed(CLOSED)


# -- rouvrir ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("assigned, after", [(True, ASSIGNED), (False, OPEN)])
def test_reopening_a_closed_ticket(assigned, after):
    assert states.reopened(CLOSED, assigned=assigned) == after


@pytest.mark.parametrize("before", [OPEN, ASSIGNED, ANSWERED])
def test_only_a_closed_ticket_can_be_reopened(before):
    with pytest.raises(TransitionRefused) as refused:
        states.reopened(before, assigned=True)
    assert refused.value.state == before and refused.value.event == "reopen"


# -- auto-close -------------------------------------------------------------------------------------
def test_auto_close_cutoff():
    assert states.auto_close_cutoff(now=100 * DAY, days=7) == 93 * DAY


@pytest.mark.parametrize("state, silent_days, due", [
    (ANSWERED, 8, True),
    (ANSWERED, 7.5, True),
    (ANSWERED, 6, False),  # not silent long enough
    (OPEN, 30, False),  # still waiting for an answer: never closed for silence
    (ASSIGNED, 30, False),
    (CLOSED, 30, False),  # already closed
])
def test_auto_close_rule(state, silent_days, due):
    now = 1000 * DAY
    assert states.auto_close_due(state, activity_at=now - silent_days * DAY, now=now, days=7) is due


def test_auto_close_is_strict_at_the_cutoff():
    now = 1000 * DAY
    assert not states.auto_close_due(ANSWERED, activity_at=now - 7 * DAY, now=now, days=7)
