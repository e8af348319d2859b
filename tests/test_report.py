"""The activity report over a seeded database (#16): every figure exact (time zone, month
boundaries, empty months, forgotten people, the retention limit), the charts drawn and not blank,
the HTML page whole in itself, and opened in headless Chromium without an error."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from PIL import Image

from bot.core.app import App
from bot.features.news.store import MIGRATIONS as NEWS_MIGRATIONS
from bot.features.report.build import gather, write
from bot.features.report.content import load_items
from bot.features.tickets.store import MIGRATIONS as TICKET_MIGRATIONS
from pixbot_testing import make_config

ADMIN, OTHER_CORR, STAFF, GONE = "@corr:univ.fr", "@corr2:univ.fr", "@prof:univ.fr", "@parti:univ.fr"
CHART_SIZE = (800, 340)
BAR_GREY = (58, 58, 58)  # the fill of the first series of every bar chart (#3a3a3a), nowhere else in the page


def paris(*args) -> float:
    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Paris")).timestamp()


def seed(storage) -> None:
    """One quarter of activity, with what must not be counted around it."""
    storage.migrate_module("tickets", TICKET_MIGRATIONS)
    storage.migrate_module("news", NEWS_MIGRATIONS)
    questions = [
        (paris(2025, 12, 31, 23, 59), STAFF, "answer", "export-results"),  # before the period
        (paris(2026, 1, 31, 23, 30), STAFF, "answer", "orga-invite"),  # 22:30 UTC: January in Paris
        (paris(2026, 2, 1, 0, 30), STAFF, "answer", "orga-invite"),  # 23:30 UTC on 31/01: February in Paris
        (paris(2026, 2, 14, 10, 0), STAFF, "answer", "session-password"),
        (paris(2026, 2, 15, 10, 0), STAFF, "answer", "guides/surveillance.md#introduction"),
        (paris(2026, 2, 16, 10, 0), STAFF, "answer", "gone-entry"),  # an entry removed from the sources since
        (paris(2026, 2, 20, 10, 0), STAFF, "none", None),
        (paris(2026, 3, 10, 10, 0), STAFF, "suggest", "campaign-code"),
        (paris(2026, 3, 11, 10, 0), GONE, "answer", "verify-certificate"),  # forgotten below
        (paris(2026, 4, 1, 0, 0), STAFF, "answer", "extra-time"),  # after the period
    ]
    feedback = [(paris(2026, 2, 2, 9, 0), STAFF, "orga-invite", 1),
                (paris(2026, 2, 3, 9, 0), STAFF, "session-password", -1),
                (paris(2026, 2, 4, 9, 0), STAFF, "session-password", -1),
                (paris(2026, 3, 1, 9, 0), STAFF, "orga-invite", -1),
                (paris(2026, 3, 12, 9, 0), GONE, "verify-certificate", -1)]
    tickets = [(paris(2026, 2, 20, 10, 1), ADMIN), (paris(2026, 3, 3, 10, 0), ADMIN),
               (paris(2026, 3, 5, 10, 0), OTHER_CORR), (paris(2026, 3, 6, 10, 0), None)]
    with storage.transaction() as db:
        db.executemany("INSERT INTO questions (asked_at, sender, direct, question, outcome, item, score) "
                       "VALUES (?, ?, 1, 'Où se gare-t-on le samedi ?', ?, ?, 0.9)", questions)
        db.executemany("INSERT INTO feedback (event_id, sender, item_id, question, value, created_at) "
                       "VALUES ('$' || ?, ?, ?, 'q', ?, ?)", [(at, who, item, v, at) for at, who, item, v in feedback])
        for n, (at, assignee) in enumerate(tickets, 1):
            db.execute("INSERT INTO tickets (asker, room, question, state, assignee, created_at, updated_at, "
                       "activity_at) VALUES (?, '!dm', 'q', 'open', ?, ?, ?, ?)", (STAFF, assignee, at, at, at))
        # subscribers: two people in January, one leaves on 10 February; a room from 2 March
        for kind, target, at in (("user", STAFF, paris(2026, 1, 5, 9, 0)), ("user", GONE, paris(2026, 1, 10, 9, 0)),
                                 ("room", "!salle", paris(2026, 3, 2, 9, 0))):
            db.execute("INSERT INTO news_subscribers (kind, target, room, topics, rhythm, created_at) "
                       "VALUES (?, ?, '!r', '[]', 'weekly', ?)", (kind, target, at))
        db.execute("DELETE FROM news_subscribers WHERE target = ?", (GONE,))
        db.execute("UPDATE news_subscriber_counts SET at = ? WHERE change = -1", (paris(2026, 2, 10, 9, 0),))
    storage.forget(GONE)  # their question and their feedback are no longer counted


@pytest.fixture
def report(tmp_path, sample_sources, storage):
    seed(storage)
    config = make_config(tmp_path / "data", *sample_sources)
    config.retention_days = 90
    app = App(config, None, storage)
    return gather(storage, app.report_sections, load_items(config), dt.date(2026, 1, 1), dt.date(2026, 3, 31),
                  "Europe/Paris", 90, now=paris(2026, 4, 15, 0, 0))


def test_every_figure_of_the_report_is_exact(report):
    assert [(m.key, m.outcomes, m.handed_on, m.thumbs_up, m.thumbs_down, m.deleted) for m in report.months] == [
        ("2026-01", {"answer": 1, "suggest": 0, "none": 0}, 0, 0, 0, True),  # 90 days before 15/04: deleted
        ("2026-02", {"answer": 4, "suggest": 0, "none": 1}, 1, 1, 2, False),
        ("2026-03", {"answer": 0, "suggest": 1, "none": 0}, 3, 0, 1, False),
    ]
    c = report.content
    assert c.answered == 5
    assert c.by_topic == [("certif", 2), ("orga", 2), (None, 1)]  # None: the entry is gone from the sources
    assert [(u.id, u.answers, u.up, u.down, u.kind) for u in c.top_entries] == [
        ("orga-invite", 2, 1, 1, "faq"), ("gone-entry", 1, 0, 0, None),
        ("guides/surveillance.md#introduction", 1, 0, 0, "doc"), ("session-password", 1, 0, 2, "faq")]
    assert c.top_pages == [("Guide du surveillant", 1)]
    assert [(u.id, u.down) for u in c.most_down] == [("session-password", 2), ("orga-invite", 1)]
    # used: answered or rated in the period; the forgotten person's entry and the one asked before count as unused
    assert c.unused_faq == ["campaign-code", "export-results", "extra-time", "verify-certificate"]
    assert (c.faq_total, c.unused_pages, c.pages_total) == (6, [], 1)
    tickets, = [s for s in report.sections if s.csv_name == "tickets-par-mois.csv"]
    assert tickets.more_csv["tickets-par-correspondant.csv"] == [
        ["correspondant", "tickets pris en charge"], ["correspondant 1", 2], ["correspondant 2", 1],
        ["non pris en charge", 1]]
    news, = [s for s in report.sections if s.csv_name == "actualites.csv"]
    assert news.more_csv["abonnes-par-mois.csv"] == [
        ["mois", "abonnés en fin de mois (personnes)", "abonnés en fin de mois (salons)"],
        ["2026-01", 2, 0], ["2026-02", 1, 0], ["2026-03", 1, 1]]


def test_subscriptions_made_before_the_counts_count_from_their_creation(storage):
    storage.migrate_module("news", NEWS_MIGRATIONS[:1])
    with storage.transaction() as db:
        db.execute("INSERT INTO news_subscribers (kind, target, room, topics, rhythm, created_at) "
                   "VALUES ('user', ?, '!r', '[]', 'daily', ?)", (STAFF, paris(2025, 6, 1, 9, 0)))
    storage.migrate_module("news", NEWS_MIGRATIONS)
    storage.db.execute("DELETE FROM news_subscribers")  # unsubscribing: counted, without the id
    rows = storage.db.execute("SELECT kind, change, at FROM news_subscriber_counts ORDER BY rowid").fetchall()
    assert [(r["kind"], r["change"]) for r in rows] == [("user", 1), ("user", -1)]
    assert rows[0]["at"] == paris(2025, 6, 1, 9, 0) and rows[1]["at"] > paris(2026, 1, 1, 0, 0)
    assert [c[1] for c in storage.db.execute("PRAGMA table_info(news_subscriber_counts)")] == ["at", "kind", "change"]


def written(report, folder: Path) -> dict[str, Path]:
    files = write(report, folder, generated="15/04/2026 à 09:00")
    return {f.name: f for f in files}


def test_the_files_hold_aggregates_only_and_charts_that_are_drawn(report, tmp_path):
    files = written(report, tmp_path / "rapport")
    assert sorted(files) == sorted([
        "rapport.md", "rapport.html", "questions-par-mois.png", "avis-par-mois.png", "abonnes.png",
        "tickets-par-mois.png", "questions-par-mois.csv", "questions-par-theme.csv", "entrees-les-plus-utilisees.csv",
        "pages-les-plus-utilisees.csv", "entrees-avec-le-plus-d-avis-negatifs.csv", "contenu-jamais-utilise.csv",
        "actualites.csv", "abonnes-par-mois.csv", "tickets-par-mois.csv", "tickets-par-correspondant.csv",
        "demandes-acces-par-mois.csv"])
    for name in ("questions-par-mois.png", "avis-par-mois.png", "abonnes.png", "tickets-par-mois.png"):
        with Image.open(files[name]) as png:
            pixels = np.asarray(png.convert("RGB"))
            assert png.format == "PNG" and png.size == CHART_SIZE
            dark = int((pixels.max(axis=2) < 100).sum())  # text, axes, bars, lines
            assert dark > 2000, name
    markdown = files["rapport.md"].read_text(encoding="utf-8")
    assert "![Questions par mois](questions-par-mois.png)" in markdown
    assert "| certif | 2 | 40 % |" in markdown and "| entrée retirée depuis | 1 | 20 % |" in markdown
    assert "`session-password` : Où trouver le mot de passe de session" in markdown
    assert "| correspondant 1 | 2 |" in markdown
    assert ("Jamais utilisées sur la période (ni réponse directe, ni avis) : 4 entrée(s) de FAQ sur 6 et 0 page(s) "
            "de documentation sur 1.") in markdown
    assert "\\* Mois en tout ou partie antérieurs à la durée de conservation (90 jours)" in markdown
    csv = files["questions-par-mois.csv"].read_text(encoding="utf-8").splitlines()
    assert csv[1:] == ["2026-01;1;1;0;0;1.0;0;0;0;oui", "2026-02;5;4;0;1;0.8;1;1;2;non",
                       "2026-03;1;0;1;0;0.0;3;0;1;non"]
    page = files["rapport.html"].read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 4 and page.count("<img ") == 4
    assert "<script" not in page and not re.search(r"(src|href)=\"(?!data:)", page)  # nothing to load, no JS
    for f in files.values():
        if f.suffix != ".png":
            text = f.read_text(encoding="utf-8")
            for secret in (ADMIN, OTHER_CORR, STAFF, GONE, "univ.fr", "Où se gare-t-on"):
                assert secret not in text, (f.name, secret)


def test_an_empty_period_gives_a_report_at_zero(tmp_path, sample_sources, storage):
    config = make_config(tmp_path / "data", *sample_sources)
    app = App(config, None, storage)
    report = gather(storage, app.report_sections, load_items(config), dt.date(2026, 5, 1), dt.date(2026, 6, 30),
                    "Europe/Paris", 365, now=paris(2026, 7, 1, 0, 0))
    assert [(m.key, m.questions, m.handed_on, m.deleted) for m in report.months] == [
        ("2026-05", 0, 0, False), ("2026-06", 0, 0, False)]
    files = written(report, tmp_path / "vide")
    markdown = files["rapport.md"].read_text(encoding="utf-8")
    assert "Aucune question sur la période." in markdown and "Aucun avis sur la période." in markdown
    assert "Jamais utilisées sur la période (ni réponse directe, ni avis) : 6 entrée(s) de FAQ sur 6" in markdown
    with Image.open(files["questions-par-mois.png"]) as png:
        assert png.size == CHART_SIZE  # axes and labels, no bar


CHROMIUM = "/usr/bin/chromium"


def test_the_html_report_opens_in_headless_chromium_with_its_charts(report, tmp_path):
    assert shutil.which(CHROMIUM), "Chromium is needed for this test: `make test` installs it (Debian: chromium)"
    page = written(report, tmp_path / "rapport")["rapport.html"]
    shot = tmp_path / "page.png"
    run = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars", "--window-size=1000,5000",
         # the shot waits for the load event, and a data: image is decoded before it; no
         # --virtual-time-budget: nothing runs on the page, and that flag is known to hang at times
         "--run-all-compositor-stages-before-draw",
         "--enable-logging=stderr", "--v=0", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    # the page said nothing in the console, and nothing failed to load or was refused (CSP)
    problems = [line for line in run.stderr.splitlines()
                if re.search(r"CONSOLE|net::ERR_|Refused to|Failed to load|Uncaught", line)]
    assert problems == []
    with Image.open(shot) as png:
        pixels = np.asarray(png.convert("RGB"))
        assert png.size == (1000, 5000)
        # the bars' grey is painted only by the decoded charts: one per chart with bars (questions, feedback, tickets)
        painted = int((pixels == BAR_GREY).all(axis=2).sum())
        assert painted > 20000  # measured: about 75,000 with the charts, about 350 (text edges) with broken images


# -- « rapport » in chat ---------------------------------------------------------------------
def test_the_period_of_the_chat_report():
    from bot.core.commands import ArgumentError
    from bot.features.report import period_argument

    today = dt.date(2026, 3, 15)
    assert period_argument("", today) == (dt.date(2025, 4, 1), today)  # the last 12 months
    assert period_argument("1", today) == (dt.date(2026, 3, 1), today)
    assert period_argument("3", today) == (dt.date(2026, 1, 1), today)
    assert period_argument("2025", today) == (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert period_argument("2026", today) == (dt.date(2026, 1, 1), today)  # never past today
    assert period_argument("2026-02", today) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    for wrong in ("0", "37", "2026-13", "2027", "demain"):
        with pytest.raises(ArgumentError):
            period_argument(wrong, today)


def test_rapport_in_chat_posts_a_summary_with_the_chart_then_the_page(sample_engine, storage):
    from bot.core import strings
    from bot.core.brain import Incoming
    from bot.features import report, tickets

    config = sample_engine.config
    config.correspondents = [ADMIN]
    app = App(config, sample_engine, storage, features=[tickets.install, report.install])
    seed(storage)

    def ask(text, sender):
        return app.brain.handle(Incoming(sender=sender, room="!dm", text=text, is_direct=True, addressed=True))

    [refused] = ask("rapport", STAFF)
    assert refused.text == strings.NOT_ALLOWED and refused.attachment is None
    [bad] = ask("rapport 99", ADMIN)
    assert bad.kind == "error" and "rapport [période]" in bad.text
    summary, page = ask("rapport 2026", ADMIN)  # 2026 so far: the seeded quarter, and the one question of April
    assert summary.text.startswith("**Rapport d'activité de l'assistant Pix — du 01/01/2026 au ")
    assert ("- 8 question(s) : 75 % de réponses directes, 12 % de suggestions, 12 % sans réponse ; 4 transmise(s) "
            "au correspondant.") in summary.text
    assert "- Avis : 1 positif(s), 3 négatif(s)." in summary.text  # the forgotten person's 👎 is gone
    chart = summary.attachment
    assert chart["mimetype"] == "image/png" and chart["name"] == "questions-par-mois.png"
    assert (chart["width"], chart["height"]) == CHART_SIZE
    assert Path(chart["path"]).is_absolute() and Path(chart["path"]).is_relative_to(config.data_dir / "rapports")
    with Image.open(chart["path"]) as png:
        assert png.size == CHART_SIZE
    assert page.attachment["mimetype"] == "text/html" and page.attachment["name"].startswith("rapport-2026-01-01-")
    html = Path(page.attachment["path"]).read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 3  # questions, feedback, tickets (no news feature here)
    for secret in (ADMIN, STAFF, GONE, "Où se gare-t-on"):
        assert secret not in summary.text and secret not in html


def test_the_content_gaps_in_the_report_give_sizes_and_nearest_entries_never_the_questions(report, tmp_path):
    from bot.features.report.gaps import Gap

    report.gaps = [Gap(["Où se gare-t-on ?", "Le parking est-il ouvert ?"], "orga-invite",
                       "Comment inviter un collègue dans Pix Orga ?", 0.523, {"Où se gare-t-on ?": "Parking P2."}),
                   Gap(["Quel est le menu ?"], None, None, None)]
    files = {f.name: f for f in write(report, tmp_path / "r", ("md", "csv"))}
    markdown = files["rapport.md"].read_text(encoding="utf-8")
    assert "## Manques de contenu\n\n3 question(s) sans bonne réponse" in markdown
    assert "| 1 | 2 | `orga-invite` : Comment inviter un collègue dans Pix Orga ? | 0,52 | oui |" in markdown
    assert "| 2 | 1 | aucune | — | non |" in markdown
    assert files["manques-de-contenu.csv"].read_text(encoding="utf-8").splitlines()[1:] == [
        "1;2;orga-invite;Comment inviter un collègue dans Pix Orga ?;0.523;oui", "2;1;;;;non"]
    for f in files.values():
        if f.suffix != ".png":
            text = f.read_text(encoding="utf-8")
            assert "gare-t-on" not in text and "menu" not in text and "Parking P2" not in text
