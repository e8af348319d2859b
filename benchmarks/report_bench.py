"""How long the activity report takes over a year of activity: 100,000 stored questions (with
their feedback and about 6,500 tickets, see seed_report.py), `pixbot rapport` run as the
correspondent runs it (a new process: imports, the sources loaded, every figure, four charts, the
HTML page and the CSV files).

    .venv/bin/python benchmarks/report_bench.py [--questions 100000] [--runs 3]

Figures are printed, not asserted: the target (under 10 s) lives in the README.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seed_report import seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        config = seed(folder, args.questions, dt.date(2026, 11, 30))
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        import sqlite3

        db = sqlite3.connect(folder / "data" / "pixbot.sqlite")
        counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("questions", "feedback", "tickets", "ticket_messages", "news_subscribers")}
        db.close()
        print("stored:", ", ".join(f"{n:,} {t}" for t, n in counts.items()))
        for formats in ("md,html,csv", "csv"):
            times = []
            for run in range(args.runs):
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config), "rapport",
                                "--from", "2025-12-01", "--to", "2026-11-30", "--out", str(folder / f"r{run}"),
                                "--format", formats], check=True, capture_output=True, cwd=Path(__file__).parent.parent)
                times.append(time.perf_counter() - started)
            print(f"pixbot rapport --format {formats}: median {statistics.median(times):.2f} s "
                  f"(runs: {', '.join(f'{t:.2f}' for t in times)})")


if __name__ == "__main__":
    main()
