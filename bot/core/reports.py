"""One part of the activity report (``pixbot rapport``), contributed by the core or a feature through
``app.report_sections``: a title, a few sentences or a table in Markdown, the same figures as rows
for a CSV file, and optionally a chart (what to draw, not how: the report feature draws it) and
monthly figures other parts of the report use (``HANDED_ON``). Aggregates only."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# monthly figures a section may share with the rest of the report, by name
HANDED_ON = "handed_on"  # questions handed on to a correspondent (tickets opened), per month


@dataclass
class Chart:
    """A chart over the report's months: ``series`` are (label, {"YYYY-MM": value}); ``kind`` is
    "bars" (side by side), "stacked" (bars on top of each other) or "steps" (levels at the end
    of each month, e.g. subscribers: one line with markers per series); ``line``, one more series drawn as a line over the bars;
    ``shaded``, the months to shade (data deleted by the retention limit)."""

    file: str  # PNG file name, e.g. "tickets-par-mois.png"
    title: str
    ylabel: str
    series: list[tuple[str, dict[str, float]]]
    kind: str = "bars"
    line: tuple[str, dict[str, float]] | None = None
    shaded: tuple[str, ...] = ()


@dataclass
class Section:
    title: str
    markdown: str
    csv_name: str
    rows: list[list] = field(default_factory=list)  # header first
    chart: Chart | None = None
    monthly: dict[str, dict[str, int]] = field(default_factory=dict)  # shared figures (HANDED_ON)
    more_csv: dict[str, list[list]] = field(default_factory=dict)  # further tables: file name -> rows


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
