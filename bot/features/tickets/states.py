"""The life of a ticket, without storage: its states and what each event does to them.

A new ticket is ``open``. What each event does, state by state (``*``: ``assigned`` when someone had taken the ticket,
else ``open``)::

    state     prendre/assigner  correspondent writes  asker writes  clore    rouvrir  silent N days
    open      assigned          answered              open          closed   refused  -
    assigned  assigned          answered              assigned      closed   refused  -
    answered  answered          answered              *             closed   refused  closed
    closed    refused           closed (relayed)      * (reopened)  refused  *        -

Each function takes the current state (and what it needs to know) and returns the next one, or
raises ``TransitionRefused`` when the event is not allowed there; the caller writes the result.
Nothing here reads or writes the database, so the rules can be tested alone
(tests/test_ticket_states.py).
"""

from __future__ import annotations

OPEN, ASSIGNED, ANSWERED, CLOSED = "open", "assigned", "answered", "closed"
STATES = (OPEN, ASSIGNED, ANSWERED, CLOSED)
DAY = 86400.0


class TransitionRefused(Exception):
    """``event`` is not allowed for a ticket in ``state`` (e.g. taking a closed ticket)."""

    def __init__(self, state: str, event: str):
        super().__init__(f"{event} refused: the ticket is {state}")
        self.state, self.event = state, event


def _waiting(assigned: bool) -> str:
    """Back with the correspondents: with whoever had it, else with nobody yet."""
    return ASSIGNED if assigned else OPEN


def taken(state: str) -> str:
    """``prendre`` or ``assigner``: an open ticket becomes assigned; an assigned or answered one
    keeps its state (only its assignee changes); a closed one is refused."""
    if state == CLOSED:
        raise TransitionRefused(state, "take")
    return ASSIGNED if state == OPEN else state


def answered(state: str) -> str:
    """A correspondent's message is relayed to the asker: the ticket is answered. A closed ticket
    stays closed (the message is relayed all the same)."""
    return CLOSED if state == CLOSED else ANSWERED


def followed_up(state: str, assigned: bool) -> str:
    """The asker writes again in their thread: an answered or closed ticket goes back to the
    correspondents; one still waiting (open, assigned) keeps its state."""
    if state in (ANSWERED, CLOSED):
        return _waiting(assigned)
    return state


def closed(state: str) -> str:
    """``clore``: any ticket not closed yet."""
    if state == CLOSED:
        raise TransitionRefused(state, "close")
    return CLOSED


def reopened(state: str, assigned: bool) -> str:
    """``rouvrir``: only a closed ticket, back to the correspondents."""
    if state != CLOSED:
        raise TransitionRefused(state, "reopen")
    return _waiting(assigned)


def auto_close_cutoff(now: float, days: float) -> float:
    """Answered tickets whose last activity is older than this close themselves."""
    return now - days * DAY


def auto_close_due(state: str, activity_at: float, now: float, days: float) -> bool:
    """The auto-close rule: an answered ticket silent for ``days`` days (neither the asker nor a
    correspondent wrote since) closes; a ticket still waiting for an answer never does."""
    return state == ANSWERED and activity_at < auto_close_cutoff(now, days)

