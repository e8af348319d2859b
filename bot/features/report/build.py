"""The activity report put together: the figures (``gather``), then the files (``write``):
Markdown with its charts beside it, one self-contained HTML page, and CSV files of every table.

The questions' part and the content's part are computed here; the features add theirs through
``app.report_sections`` (tickets, news), and the tickets' part shares the questions handed on
per month (``reports.HANDED_ON``), shown with the bot's own outcomes.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from ...core import strings
from ...core.render import plain, to_html
from ...core.reports import HANDED_ON, Chart, Section
from . import charts
from .activity import Month, add_handed_on, csv_rows, month_starts, monthly
from .content import ContentFigures, content_figures

FORMATS = ("md", "html", "csv")
MAIN_CHART = "questions-par-mois.png"


@dataclass
class Report:
    start: dt.date
    end: dt.date
    tz: str
    retention_days: int
    months: list[Month]
    content: ContentFigures
    sections: list[Section] = field(default_factory=list)
    gaps: list | None = None  # the content gaps (``gaps.Gap``), when asked for (they need the model)

    @property
    def keys(self) -> list[str]:
        return [m.key for m in self.months]


def default_period(today: dt.date, start: dt.date | None = None, end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """``--from``/``--to`` as given; by default the last 12 months: from the first day of the month
    eleven months back, to today."""
    end = end or today
    return start or month_starts(end.replace(day=1) - dt.timedelta(days=330), end)[0], end


def bounds(start: dt.date, end: dt.date, tz: str) -> tuple[float, float]:
    """The period as timestamps: from ``start``'s midnight to the midnight after ``end``, in ``tz``."""
    zone = ZoneInfo(tz)
    return (dt.datetime.combine(start, dt.time(), zone).timestamp(),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).timestamp())


def gather(storage, sections: list, items: list, start: dt.date, end: dt.date, tz: str, retention_days: int,
           now: float, gaps: list | None = None) -> Report:
    """The report's figures. ``sections``: ``app.report_sections``; ``items``: the loaded sources;
    ``gaps``: the period's content gaps, if the report is to show them."""
    first, last = bounds(start, end, tz)
    db = storage.db
    questions = db.execute("SELECT asked_at, outcome, item FROM questions WHERE asked_at >= ? AND asked_at < ?",
                           (first, last)).fetchall()
    feedback = db.execute("SELECT created_at, value, item_id FROM feedback WHERE created_at >= ? AND created_at < ?",
                          (first, last)).fetchall()
    months = monthly(questions, feedback, start, end, tz, now - retention_days * 86400)
    answers: dict[str, int] = {}
    for q in questions:
        if q["outcome"] == "answer" and q["item"]:
            answers[q["item"]] = answers.get(q["item"], 0) + 1
    votes: dict[str, tuple[int, int]] = {}
    for f in feedback:
        if f["item_id"] and f["value"]:
            up, down = votes.get(f["item_id"], (0, 0))
            votes[f["item_id"]] = (up + (f["value"] > 0), down + (f["value"] < 0))
    parts = [section(first, last, tz) for section in sections]
    for part in parts:
        if HANDED_ON in part.monthly:
            add_handed_on(months, part.monthly[HANDED_ON])
    return Report(start, end, tz, retention_days, months, content_figures(answers, votes, items), parts, gaps)


def _date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _blocks(report: Report) -> list[tuple[str, object]]:
    """The report in order: ("md", Markdown) and ("chart", Chart) blocks."""
    deleted = tuple(m.key for m in report.months if m.deleted)
    questions = Chart(MAIN_CHART, strings.REPORT_CHART_QUESTIONS, strings.REPORT_AXIS_QUESTIONS,
                      [(strings.REPORT_SERIES_ANSWER, {m.key: m.outcomes["answer"] for m in report.months}),
                       (strings.REPORT_SERIES_SUGGEST, {m.key: m.outcomes["suggest"] for m in report.months}),
                       (strings.REPORT_SERIES_NONE, {m.key: m.outcomes["none"] for m in report.months})],
                      kind="stacked", line=(strings.REPORT_SERIES_HANDED_ON, {m.key: m.handed_on for m in report.months}),
                      shaded=deleted)
    feedback = Chart("avis-par-mois.png", strings.REPORT_CHART_FEEDBACK, strings.REPORT_AXIS_FEEDBACK,
                     [(strings.REPORT_SERIES_UP, {m.key: m.thumbs_up for m in report.months}),
                      (strings.REPORT_SERIES_DOWN, {m.key: m.thumbs_down for m in report.months})], shaded=deleted)
    out: list[tuple[str, object]] = []

    def part(title: str | None, markdown: str, chart: Chart | None = None) -> None:
        """A part of the report: its first paragraph (the summary), its chart, then the details."""
        head, _, rest = markdown.partition("\n\n")
        out.append(("md", f"## {title}\n\n{head}" if title else head))
        if chart is not None:
            out.append(("chart", chart))
        if rest:
            out.append(("md", rest))

    out.append(("md", f"# {strings.report_title(_date(report.start), _date(report.end))}"))
    part(strings.REPORT_QUESTIONS_TITLE, strings.report_questions(report.months, report.retention_days), questions)
    part(strings.REPORT_FEEDBACK_TITLE, strings.report_feedback(report.months, report.content.most_down), feedback)
    part(strings.REPORT_TOPICS_TITLE, strings.report_topics(report.content))
    part(strings.REPORT_CONTENT_TITLE, strings.report_content(report.content))
    if report.gaps is not None:
        part(strings.REPORT_GAPS_TITLE, strings.report_gaps(report.gaps))
    for s in report.sections:
        part(s.title, s.markdown, s.chart)
    out.append(("md", strings.REPORT_PRIVACY_NOTE))
    return out


def tables(report: Report) -> dict[str, list[list]]:
    """Every table of the report, by CSV file name."""
    c = report.content
    removed = strings.REPORT_REMOVED_ENTRY
    out = {
        "questions-par-mois.csv": csv_rows(report.months),
        "questions-par-theme.csv": [list(strings.REPORT_CSV_TOPICS)]
        + [[strings.topic_name(t), n] for t, n in c.by_topic],
        "entrees-les-plus-utilisees.csv": [list(strings.REPORT_CSV_TOP_ENTRIES)]
        + [[u.id, u.title if u.title is not None else removed, u.answers, u.up, u.down] for u in c.top_entries],
        "pages-les-plus-utilisees.csv": [list(strings.REPORT_CSV_TOP_PAGES)] + [list(p) for p in c.top_pages],
        "entrees-avec-le-plus-d-avis-negatifs.csv": [list(strings.REPORT_CSV_MOST_DOWN)]
        + [[u.id, u.title if u.title is not None else removed, u.down, u.up, u.answers] for u in c.most_down],
        "contenu-jamais-utilise.csv": [list(strings.REPORT_CSV_UNUSED)]
        + [[strings.REPORT_CSV_KIND_FAQ, i] for i in c.unused_faq]
        + [[strings.REPORT_CSV_KIND_DOC, t] for t in c.unused_pages],
    }
    if report.gaps is not None:
        out["manques-de-contenu.csv"] = [list(strings.REPORT_CSV_GAPS)] + [
            [n, g.size, g.nearest_id or "", g.nearest_title or "", g.score if g.score is not None else "",
             strings.REPORT_YES if g.answers else strings.REPORT_NO] for n, g in enumerate(report.gaps, 1)]
    for s in report.sections:
        out[s.csv_name] = s.rows
        out.update(s.more_csv)
    return out


# the HTML page's allow-list: the Markdown the report's text uses, nothing else
_TAGS = {"h1", "h2", "h3", "p", "ul", "ol", "li", "strong", "em", "code", "table", "thead", "tbody", "tr", "th", "td",
         "br", "blockquote"}
_CSS = """
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; color: #111; background: #fff; margin: 0 auto;
       max-width: 60rem; padding: 1.5rem 2rem 3rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.6rem; border-bottom: 2px solid #111; padding-bottom: .4rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #999; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .92rem; }
th, td { border: 1px solid #999; padding: .25rem .6rem; text-align: left; }
td:not(:first-child) { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child { min-width: 5em; }
th { background: #eee; }
code { font-size: .9em; background: #f2f2f2; padding: 0 .2em; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
footer { margin-top: 3rem; color: #555; font-size: .85rem; }
@media print { body { max-width: none; padding: 0; } figure, table { break-inside: avoid; } }
"""


def _html(report: Report, blocks: list, drawn: dict[str, tuple[Path, int, int]], generated: str) -> str:
    title = strings.report_title(_date(report.start), _date(report.end))
    body = []
    for kind, value in blocks:
        if kind == "md":
            body.append(to_html(value, _TAGS, {}, set()))
        else:
            path, width, height = drawn[value.file]
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            body.append(f'<figure><img src="data:image/png;base64,{data}" width="{width}" height="{height}" '
                        f'alt="{html.escape(value.title)}"></figure>')
    return ("<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            # nothing may load from anywhere: the page is whole as it is (and stays so offline)
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
            "style-src 'unsafe-inline'\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body)
            + f"\n<footer>{html.escape(strings.REPORT_HTML_GENERATED.format(date=generated))}</footer>\n</body>\n</html>\n")


def write(report: Report, out: Path, formats: tuple[str, ...] = FORMATS, generated: str = "") -> list[Path]:
    """Write the report's files into ``out``; returns them in order. The charts (PNG) are written
    with the Markdown (which shows them) and the HTML (which embeds them)."""
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    blocks = _blocks(report)
    drawn: dict[str, tuple[Path, int, int]] = {}
    if "md" in formats or "html" in formats:
        for kind, value in blocks:
            if kind == "chart":
                drawn[value.file] = charts.draw(value, out, report.keys)
    if "md" in formats:
        # the Markdown file as written: the marks of ``literal`` only matter to the HTML renderer
        parts = [plain(value) if kind == "md" else f"![{value.title}]({value.file})" for kind, value in blocks]
        (out / "rapport.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
        files.append(out / "rapport.md")
        files += [path for path, _, _ in drawn.values()]
    if "html" in formats:
        (out / "rapport.html").write_text(_html(report, blocks, drawn, generated), encoding="utf-8")
        files.append(out / "rapport.html")
    if "csv" in formats:
        for name, rows in tables(report).items():
            with open(out / name, "w", newline="", encoding="utf-8") as f:
                csv.writer(f, delimiter=";").writerows(rows)
            files.append(out / name)
    return files
