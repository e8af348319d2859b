"""The tickets' part of the activity report: opened and closed per month, time to the first
answer of a correspondent and to closing (median and 90th percentile), tickets by state and by
correspondent (numbered by how many they took, never named). The tickets opened per month are the
questions handed on, which the questions' part shows next to the bot's own outcomes."""

from __future__ import annotations

from ...core import strings
from ...core.reports import HANDED_ON, Chart, Section, month_key, quantile_hours


def tickets_section(storage, start: float, end: float, tz: str) -> Section:
    db = storage.db
    rows = db.execute(
        "SELECT t.id, t.state, t.assignee, t.created_at, t.closed_at, "
        "(SELECT MIN(m.created_at) FROM ticket_messages m WHERE m.ticket = t.id AND m.kind = 'correspondent') "
        "AS first_answer FROM tickets t WHERE t.kind = 'question' AND t.created_at >= ? AND t.created_at < ? "
        "ORDER BY t.id",
        (start, end)).fetchall()
    opened: dict[str, int] = {}
    closed: dict[str, int] = {}
    states: dict[str, int] = {}
    to_answer, to_close = [], []
    taken: dict[str, int] = {}
    for r in rows:
        if r["assignee"]:
            taken[r["assignee"]] = taken.get(r["assignee"], 0) + 1
        opened[month_key(r["created_at"], tz)] = opened.get(month_key(r["created_at"], tz), 0) + 1
        states[r["state"]] = states.get(r["state"], 0) + 1
        if r["first_answer"] is not None:
            to_answer.append(r["first_answer"] - r["created_at"])
        if r["closed_at"] is not None:
            to_close.append(r["closed_at"] - r["created_at"])
            if start <= r["closed_at"] < end:
                closed[month_key(r["closed_at"], tz)] = closed.get(month_key(r["closed_at"], tz), 0) + 1
    figures = {
        "answer_median": quantile_hours(to_answer, 0.5), "answer_p90": quantile_hours(to_answer, 0.9),
        "close_median": quantile_hours(to_close, 0.5), "close_p90": quantile_hours(to_close, 0.9),
    }
    months = sorted(set(opened) | set(closed))
    csv = [list(strings.REPORT_CSV_TICKETS)] + [[m, opened.get(m, 0), closed.get(m, 0)] for m in months]
    # by correspondent: counts only, largest first, numbered (« correspondant 1 »), no name or id
    by_correspondent = sorted(taken.values(), reverse=True)
    unassigned = len(rows) - sum(by_correspondent)
    per_corr = [list(strings.REPORT_CSV_BY_CORRESPONDENT)] + [
        [strings.report_correspondent(n), count] for n, count in enumerate(by_correspondent, 1)]
    if unassigned:
        per_corr.append([strings.REPORT_UNASSIGNED, unassigned])
    chart = Chart("tickets-par-mois.png", strings.REPORT_CHART_TICKETS, strings.REPORT_AXIS_TICKETS,
                  [(strings.REPORT_SERIES_OPENED, opened), (strings.REPORT_SERIES_CLOSED, closed)])
    return Section(strings.REPORT_TICKETS_TITLE,
                   strings.report_tickets(len(rows), opened, closed, states, figures, by_correspondent, unassigned),
                   "tickets-par-mois.csv", csv, chart=chart, monthly={HANDED_ON: opened},
                   more_csv={"tickets-par-correspondant.csv": per_corr})


def handed_on_questions(storage, since: float) -> list[tuple[float, str, str | None]]:
    """The questions handed on since ``since`` and not yet made an FAQ entry (``faq``), with the
    correspondents' last answer: what the content gaps group, and draft FAQ entries from."""
    rows = storage.db.execute("SELECT created_at, question, last_answer FROM tickets WHERE kind = 'question' "
                              "AND created_at >= ? AND learned_id IS NULL ORDER BY id", (since,)).fetchall()
    return [(r["created_at"], r["question"], r["last_answer"]) for r in rows]


def access_section(storage, start: float, end: float, tz: str) -> Section:
    """Access requests (tickets of kind access): asked and granted per month, by space and
    outcome, and the time from the request to the invitation sent. Counts only."""
    rows = storage.db.execute(
        "SELECT t.created_at, a.space, a.status, a.invited_at FROM tickets t JOIN access_requests a "
        "ON a.ticket = t.id WHERE t.created_at >= ? AND t.created_at < ? ORDER BY t.id", (start, end)).fetchall()
    asked: dict[str, int] = {}
    granted: dict[str, int] = {}
    by_space_status: dict[tuple[str, str], int] = {}
    to_invite = []
    for r in rows:
        month = month_key(r["created_at"], tz)
        asked[month] = asked.get(month, 0) + 1
        key = (r["space"], r["status"])
        by_space_status[key] = by_space_status.get(key, 0) + 1
        if r["invited_at"] is not None:
            granted[month_key(r["invited_at"], tz)] = granted.get(month_key(r["invited_at"], tz), 0) + 1
            to_invite.append(r["invited_at"] - r["created_at"])
    months = sorted(set(asked) | set(granted))
    csv = [list(strings.REPORT_CSV_ACCESS)] + [[m, asked.get(m, 0), granted.get(m, 0)] for m in months]
    text = strings.report_access(len(rows), by_space_status, quantile_hours(to_invite, 0.5),
                                 quantile_hours(to_invite, 0.9))
    return Section(strings.REPORT_ACCESS_TITLE, text, "demandes-acces-par-mois.csv", csv)
