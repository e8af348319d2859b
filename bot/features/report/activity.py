"""The activity report's figures on questions and feedback, month by month, in the configured
time zone. Aggregates only: no name, no id, no question text. Months before the retention limit
are marked as deleted, never counted as empty activity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ...core import strings

OUTCOMES = ("answer", "suggest", "none")


@dataclass
class Month:
    key: str  # "2026-03"
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    thumbs_up: int = 0
    thumbs_down: int = 0
    deleted: bool = False  # starts before the retention limit: what came before it was deleted
    handed_on: int = 0  # questions handed on to a correspondent (tickets opened), from the tickets' part

    @property
    def questions(self) -> int:
        return sum(self.outcomes.values())


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from ``start``'s to ``end``'s, both included."""
    months, day = [], start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def monthly(questions: list[dict], feedback: list[dict], start: dt.date, end: dt.date, tz: str,
            retention_cutoff: float) -> list[Month]:
    """Questions by outcome and 👍/👎 per month, from ``start`` to ``end`` (dates in ``tz``,
    both included)."""
    zone = ZoneInfo(tz)
    months = {d.strftime("%Y-%m"): Month(d.strftime("%Y-%m")) for d in month_starts(start, end)}
    first = dt.datetime.combine(start, dt.time(), zone).timestamp()
    last = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).timestamp()

    def month_of(ts: float) -> Month | None:
        if not first <= ts < last:
            return None
        return months.get(dt.datetime.fromtimestamp(ts, zone).strftime("%Y-%m"))

    for q in questions:
        month = month_of(q["asked_at"])
        if month is not None and q["outcome"] in month.outcomes:
            month.outcomes[q["outcome"]] += 1
    for f in feedback:
        month = month_of(f["created_at"])
        if month is not None:
            if f["value"] > 0:
                month.thumbs_up += 1
            elif f["value"] < 0:
                month.thumbs_down += 1
    for key, month in months.items():
        month_start = dt.datetime.strptime(key + "-01", "%Y-%m-%d").replace(tzinfo=zone).timestamp()
        month.deleted = month_start < retention_cutoff  # all or part of it is past the retention limit
    return list(months.values())


def add_handed_on(months: list[Month], handed_on: dict[str, int]) -> None:
    """The tickets opened per month (``reports.HANDED_ON``), next to the bot's own outcomes."""
    for m in months:
        m.handed_on = handed_on.get(m.key, 0)


def csv_rows(months: list[Month]) -> list[list]:
    """One row per month, for a spreadsheet (header first, French)."""
    rows = [list(strings.REPORT_CSV_MONTHS)]
    for m in months:
        share = round(m.outcomes["answer"] / m.questions, 3) if m.questions else ""
        rows.append([m.key, m.questions, m.outcomes["answer"], m.outcomes["suggest"], m.outcomes["none"], share,
                     m.handed_on, m.thumbs_up, m.thumbs_down, strings.REPORT_YES if m.deleted else strings.REPORT_NO])
    return rows
