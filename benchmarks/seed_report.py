"""A year of made-up activity for the activity report: questions with the bot's outcomes,
feedback, tickets with correspondents' answers, news subscribers, digests and announcements.
Used for the README's sample report (docs/rapport-exemple.png) and by report_bench.py.

    .venv/bin/python benchmarks/seed_report.py DIR [--questions 2400] [--end 2026-11-30]
    .venv/bin/pixbot --config DIR/config.yaml rapport --out DIR/rapport

DIR gets a config.yaml (the repository's FAQ and documentation, data in DIR/data) and the
database. Every figure is drawn from a seeded generator: the same arguments give the same
database. The entries answered are the repository's own, the more popular ones far more often.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.config import load_config  # noqa: E402
from bot.core.storage import Storage  # noqa: E402
from bot.features.news.store import MIGRATIONS as NEWS_MIGRATIONS  # noqa: E402
from bot.features.report.content import load_items  # noqa: E402
from bot.features.tickets.store import MIGRATIONS as TICKET_MIGRATIONS  # noqa: E402

TZ = ZoneInfo("Europe/Paris")
# relative activity per month of the academic year (September: the certification campaign starts)
SEASON = {1: 1.1, 2: 1.0, 3: 1.2, 4: 1.0, 5: 1.3, 6: 1.1, 7: 0.4, 8: 0.15, 9: 1.6, 10: 1.4, 11: 1.2, 12: 0.7}
HOUR = 3600.0


def months_back(end: dt.date, count: int = 12) -> list[dt.date]:
    first = end.replace(day=1)
    out = [first]
    for _ in range(count - 1):
        out.insert(0, (out[0] - dt.timedelta(days=1)).replace(day=1))
    return out


def moment(rng: random.Random, month: dt.date, end: dt.date) -> float:
    """A working-hours moment in ``month`` (Paris time), not after ``end``."""
    last = min((month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1), end)
    day = month + dt.timedelta(days=rng.randrange((last - month).days + 1))
    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 18), rng.randrange(60), tzinfo=TZ).timestamp()


def seed(folder: Path, questions: int, end: dt.date, seed_value: int = 16) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    config_file = folder / "config.yaml"
    config_file.write_text(f"data_dir: {folder / 'data'}\nsources:\n  faq_dir: {ROOT / 'faq'}\n"
                           f"  docs_dir: {ROOT / 'knowledge'}\nstorage:\n  retention_days: 365\n"
                           f"correspondents: ['@corr1:univ.example', '@corr2:univ.example', '@corr3:univ.example']\n",
                           encoding="utf-8")
    config = load_config(config_file)
    if config.database.exists():
        config.database.unlink()
    rng = random.Random(seed_value)
    items = sorted({i.id: i for i in load_items(config)}.values(), key=lambda i: i.id)
    rng.shuffle(items)
    popularity = [1 / (rank + 1) ** 1.1 for rank in range(len(items))]  # a few entries answer most
    popular = items[: int(len(items) * 0.8)]  # the rest is never used
    weights = popularity[: len(popular)]
    disliked = {i.id for i in rng.sample(popular[:40], 4)}  # answers people often find unhelpful
    months = months_back(end)
    total_weight = sum(SEASON[m.month] for m in months)
    storage = Storage(config.database)
    storage.migrate_module("tickets", TICKET_MIGRATIONS)
    storage.migrate_module("news", NEWS_MIGRATIONS)
    now = time.time()
    q_rows, f_rows, tickets = [], [], []
    for month in months:
        for _ in range(round(questions * SEASON[month.month] / total_weight)):
            at = moment(rng, month, end)
            asker = f"@personne{rng.randrange(max(questions // 8, 10))}:univ.example"
            roll = rng.random()
            item = rng.choices(popular, weights)[0]
            if roll < 0.64:
                outcome, score = "answer", rng.uniform(0.8, 0.97)
            elif roll < 0.86:
                outcome, score = "suggest", rng.uniform(0.6, 0.8)
            else:
                outcome, score = "none", rng.uniform(0.3, 0.6)
            q_rows.append((at, asker, int(rng.random() < 0.7), "question", outcome, item.id, round(score, 4)))
            if outcome == "answer" and rng.random() < 0.12:
                down = rng.random() < (0.55 if item.id in disliked else 0.08)
                f_rows.append((f"$ev{len(f_rows)}", asker, item.id, "question", -1 if down else 1, at + 120))
            if outcome == "none" and rng.random() < 0.45:
                tickets.append((at + 60, asker))
    with storage.transaction() as db:
        db.executemany("INSERT INTO questions (asked_at, sender, direct, question, outcome, item, score) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", q_rows)
        db.executemany("INSERT INTO feedback (event_id, sender, item_id, question, value, created_at) "
                       "VALUES (?, ?, ?, ?, ?, ?)", f_rows)
        corr_weights = [0.55, 0.3, 0.15]
        for n, (at, asker) in enumerate(sorted(tickets), 1):
            answer_after = rng.lognormvariate(1.2, 0.9) * HOUR  # median about 3 h
            answered = at + answer_after < now and rng.random() < 0.93
            closed = at + answer_after + rng.lognormvariate(3.0, 0.8) * HOUR if answered else None
            closed = closed if closed is not None and closed < now - HOUR else None
            state = "closed" if closed else ("answered" if answered else rng.choice(["open", "taken"]))
            assignee = (rng.choices(["@corr1:univ.example", "@corr2:univ.example", "@corr3:univ.example"],
                                    corr_weights)[0] if state != "open" else None)
            db.execute("INSERT INTO tickets (id, asker, room, question, state, assignee, created_at, updated_at, "
                       "activity_at, closed_at) VALUES (?, ?, '!dm', 'question', ?, ?, ?, ?, ?, ?)",
                       (n, asker, state, assignee, at, at, at, closed))
            if answered:
                db.execute("INSERT INTO ticket_messages (ticket, kind, author, text, created_at) "
                           "VALUES (?, 'correspondent', ?, 'réponse', ?)", (n, assignee, at + answer_after))
        # subscribers: people join through the year, a few leave; rooms come more slowly
        for n in range(max(questions // 40, 12)):
            kind = "room" if n % 7 == 0 else "user"
            at = moment(rng, rng.choice(months), end)
            db.execute("INSERT INTO news_subscribers (kind, target, room, topics, rhythm, created_at) "
                       "VALUES (?, ?, '!r', '[]', 'weekly', ?)", (kind, f"{kind}{n}", at))
            if rng.random() < 0.12:
                db.execute("DELETE FROM news_subscribers WHERE target = ?", (f"{kind}{n}",))
                db.execute("UPDATE news_subscriber_counts SET at = ? WHERE rowid = (SELECT MAX(rowid) FROM "
                           "news_subscriber_counts)", (min(at + rng.uniform(20, 120) * 24 * HOUR, now),))
        for n, month in enumerate(months):
            for week in range(4):
                served = moment(rng, month, end)
                db.execute("INSERT INTO news_rounds (id, rhythm, scheduled_for, started_at, completed_at) "
                           "VALUES (?, 'weekly', ?, ?, ?)", (n * 4 + week + 1, served, served, served))
                db.execute("INSERT INTO news_round_served (round, subscriber, items, served_at) VALUES (?, 1, 3, ?)",
                           (n * 4 + week + 1, served))
            if month.month in (9, 10, 1, 5):
                sent = moment(rng, month, end)
                db.execute("INSERT INTO news_announcements (room, text, topics, state, created_at, expires_at, "
                           "sent_at, recipients) VALUES ('!corr', 'annonce', '[]', ?, ?, ?, ?, 40)",
                           ("recalled" if month.month == 10 else "sent", sent, sent + 86400, sent))
    storage.close()
    return config_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--questions", type=int, default=2400)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=dt.date.today())
    args = parser.parse_args()
    print(seed(args.folder, args.questions, args.end))


if __name__ == "__main__":
    main()
