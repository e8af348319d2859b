"""The activity report's charts: PNG files drawn with matplotlib (Agg, no display, no network),
readable in black and white (greys, hatches and markers, never colour alone), French labels.

The months are the report's own keys ("YYYY-MM"), already counted in the configured time zone, so
the axis shows them as they are; a month all or partly before the retention limit is shaded.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: files only, never a window
import matplotlib.pyplot as plt  # noqa: E402

from ...core import strings  # noqa: E402
from ...core.reports import Chart  # noqa: E402

WIDTH, HEIGHT, DPI = 8.0, 3.4, 100  # inches, so 800 x 340 pixels
# fill, hatch, marker of the 1st, 2nd... series: distinct once printed in black and white
STYLES = [("#3a3a3a", "", "o"), ("#c8c8c8", "///", "s"), ("#ffffff", "xxx", "^"), ("#8c8c8c", "...", "D")]

plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "hatch.linewidth": 0.6,
                     "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "none"})


def month_label(key: str, first: bool) -> str:
    """« janv. », or « janv. 2026 » for the first month and every January."""
    year, month = key.split("-")
    name = strings.REPORT_MONTHS[int(month) - 1]
    return f"{name}\n{year}" if first or month == "01" else name


def _axes(months: list[str], title: str, ylabel: str, shaded: tuple[str, ...] = ()):
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.set_ylabel(ylabel)
    ax.set_xticks(range(len(months)), [month_label(m, i == 0) for i, m in enumerate(months)])
    ax.set_xlim(-0.6, len(months) - 0.4)
    ax.yaxis.grid(True, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.yaxis.get_major_locator().set_params(integer=True)
    for i, m in enumerate(months):
        if m in shaded:
            ax.axvspan(i - 0.5, i + 0.5, facecolor="#eeeeee", edgecolor="#bbbbbb", hatch="\\\\", linewidth=0,
                       label=strings.REPORT_SERIES_DELETED if i == months.index(shaded[0]) else None)
    return fig, ax


def _save(fig, ax, path: Path, order: list[str]) -> tuple[int, int]:
    """``order``: the legend's labels, in the order to show them."""
    if order:
        found = dict(zip(*reversed(ax.get_legend_handles_labels())))
        labels = [label for label in order if label in found]
        handles = [found[label] for label in labels]
        columns = len(labels) if len(labels) <= 4 else (len(labels) + 1) // 2  # two rows past four
        fig.legend(handles, labels, loc="outside lower center", ncol=columns, frameon=False, fontsize=8.5)
    ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1], 1))
    fig.savefig(path, format="png", dpi=DPI, metadata={"Software": None})
    width, height = (round(v) for v in fig.get_size_inches() * DPI)
    plt.close(fig)
    return width, height


def bars(path: Path, months: list[str], title: str, ylabel: str, series: list[tuple[str, dict]],
         stacked: bool = False, line: tuple[str, dict] | None = None, shaded: tuple[str, ...] = ()) -> tuple[int, int]:
    """Bars per month (stacked, or side by side), and optionally one line over them; returns the
    PNG's size in pixels."""
    fig, ax = _axes(months, title, ylabel, shaded)
    x = range(len(months))
    bottom = [0.0] * len(months)
    width = 0.7 if stacked else 0.8 / max(len(series), 1)
    for n, (label, values) in enumerate(series):
        fill, hatch, _ = STYLES[n % len(STYLES)]
        heights = [values.get(m, 0) for m in months]
        where = list(x) if stacked else [i - 0.4 + width * (n + 0.5) for i in x]
        ax.bar(where, heights, width, bottom=bottom if stacked else None, label=label, color=fill, hatch=hatch,
               edgecolor="#000000", linewidth=0.6)
        if stacked:
            bottom = [b + h for b, h in zip(bottom, heights)]
    if line is not None:
        label, values = line
        ax.plot(list(x), [values.get(m, 0) for m in months], color="#000000", linestyle="--", linewidth=1.4,
                marker="o", markersize=5, markerfacecolor="#ffffff", label=label)
    order = [label for label, _ in series] + ([line[0]] if line else []) + [strings.REPORT_SERIES_DELETED]
    return _save(fig, ax, path, order)


def steps(path: Path, months: list[str], title: str, ylabel: str, series: list[tuple[str, dict]]) -> tuple[int, int]:
    """Levels at the end of each month (subscribers), one line with its own marker and dash per series."""
    fig, ax = _axes(months, title, ylabel)
    dashes = ["-", "--", ":", "-."]
    for n, (label, values) in enumerate(series):
        ax.plot(range(len(months)), [values.get(m, 0) for m in months], color="#000000",
                linestyle=dashes[n % len(dashes)], linewidth=1.4, marker=STYLES[n % len(STYLES)][2], markersize=5,
                markerfacecolor="#ffffff" if n else "#000000", label=label)
    return _save(fig, ax, path, [label for label, _ in series])


def draw(chart: Chart, folder: Path, months: list[str]) -> tuple[Path, int, int]:
    """A chart (``reports.Chart``) over the report's months, as ``folder/chart.file``; returns
    the file and its size in pixels."""
    path = folder / chart.file
    if chart.kind == "steps":
        width, height = steps(path, months, chart.title, chart.ylabel, chart.series)
    else:
        width, height = bars(path, months, chart.title, chart.ylabel, chart.series, stacked=chart.kind == "stacked",
                             line=chart.line, shaded=chart.shaded)
    return path, width, height
