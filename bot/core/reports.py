"""One part of the activity report (``pixbot rapport``), contributed by the core or a feature through
``app.report_sections``: a title, a few sentences or a table in Markdown, and the same figures as
rows for a CSV file. Aggregates only."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass
class Section:
    title: str
    markdown: str
    csv_name: str
    rows: list[list] = field(default_factory=list)  # header first


def month_key(ts: float, tz: str) -> str:
    return dt.datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%Y-%m")


def quantile_hours(seconds: list[float], q: float) -> float | None:
    """The ``q`` quantile (0.5: median) of durations, in hours, one decimal; None without any."""
    if not seconds:
        return None
    if len(seconds) == 1:
        return round(seconds[0] / 3600, 1)
    cuts = statistics.quantiles(sorted(seconds), n=100, method="inclusive")
    return round(cuts[round(q * 100) - 1] / 3600, 1)
