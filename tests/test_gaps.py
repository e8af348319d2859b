"""Every question is logged with what the bot did (retention and forgetting apply), and the
content gaps group the ones it could not answer well (#16, first part)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bot.core import strings
from bot.core.app import App
from bot.core.brain import Incoming
from bot.core.render import plain
from bot.features import report
from bot.features.report.gaps import find_gaps, group

ADMIN = "@corr:univ.fr"
STAFF = "@prof:univ.fr"
PARKING = ["Où se gare-t-on sur le campus le samedi ?", "Où peut-on se garer au campus le samedi ?",
           "Le parking du campus est-il ouvert le samedi ?"]
CANTEEN = ["Quel est le menu du restaurant universitaire ?", "Que mange-t-on au restaurant universitaire ce midi ?"]


def test_grouping_follows_similarity_and_keeps_order():
    vectors = np.array([[1, 0, 0], [0.95, 0.05, 0], [0, 1, 0], [0.9, 0.1, 0], [0, 0.97, 0.03], [0, 0, 1]], float)
    assert group(vectors, threshold=0.9) == [[0, 1, 3], [2, 4], [5]]
    assert group(vectors, threshold=0.99999) == [[0], [1], [2], [3], [4], [5]]
    assert group(np.zeros((0, 3))) == []


@pytest.fixture
def app(sample_engine, storage):
    config = sample_engine.config
    config.correspondents = [ADMIN]
    return App(config, sample_engine, storage, features=[report.install])


def ask(app, text, sender=STAFF, direct=True):
    return app.brain.handle(Incoming(sender=sender, room="!dm", text=text, is_direct=direct, addressed=True))


def test_every_question_is_logged_with_its_outcome_and_forgotten_with_its_asker(app, storage):
    [answer] = ask(app, "Comment inviter un collègue dans Pix Orga ?")
    [none] = ask(app, PARKING[0])
    assert answer.kind == "answer" and none.kind == "none"
    logged = storage.questions()
    assert [(q["question"], q["outcome"], q["direct"]) for q in logged] == [
        ("Comment inviter un collègue dans Pix Orga ?", "answer", 1), (PARKING[0], "none", 1)]
    assert logged[0]["item"] == "orga-invite" and logged[0]["score"] > 0
    assert ask(app, "aide") and len(storage.questions()) == 2  # commands are not questions
    assert storage.purge_older_than(-1) >= 2 and storage.questions() == []  # retention
    ask(app, PARKING[1])
    held = dict(app.brain.privacy.held_about(STAFF))
    assert held[strings.FORGET_QUESTIONS] == 1
    app.brain.privacy.forget_person(STAFF)
    assert storage.questions() == []


def test_the_gaps_group_unanswered_questions_by_meaning(app, storage):
    for text in PARKING + CANTEEN:
        ask(app, text)
    ask(app, "Comment inviter un collègue dans Pix Orga ?")  # answered: not a gap
    gaps = find_gaps(storage, app.engine, since=0)
    assert sorted(g.size for g in gaps) == [2, 3]
    parking = next(g for g in gaps if g.size == 3)
    assert set(parking.questions) == set(PARKING) and parking.nearest_id is not None
    assert gaps[0] is parking  # largest first
    assert find_gaps(storage, app.engine, since=time.time() + 60) == []


def test_lacunes_is_for_correspondents_and_parses_its_days(app, storage):
    for text in PARKING:
        ask(app, text)
    [refused] = ask(app, "lacunes")
    assert refused.text == strings.NOT_ALLOWED
    [report_] = ask(app, "lacunes 30", sender=ADMIN)
    text = plain(report_.text)
    assert "Manques de contenu (30 derniers jours)" in text and "3 question(s)" in text
    assert "« Où se gare-t-on sur le campus le samedi ? »" in text
    [bad] = ask(app, "!pix lacunes demain", sender=ADMIN)
    assert bad.kind == "error" and "lacunes [jours]" in bad.text


# -- the activity report (questions and feedback per month) ------------------------------------
def paris(*args) -> float:
    import datetime as dt
    from zoneinfo import ZoneInfo

    return dt.datetime(*args, tzinfo=ZoneInfo("Europe/Paris")).timestamp()


def test_the_monthly_figures_follow_the_configured_time_zone_and_month_boundaries():
    import datetime as dt

    from bot.features.report.activity import csv_rows, monthly

    questions = [
        {"asked_at": paris(2026, 1, 31, 23, 30), "outcome": "answer"},  # 22:30 UTC: still January here
        {"asked_at": paris(2026, 2, 1, 0, 30), "outcome": "none"},  # 23:30 UTC on 31/01: February here
        {"asked_at": paris(2026, 2, 14, 12, 0), "outcome": "suggest"},
        {"asked_at": paris(2025, 12, 31, 23, 59), "outcome": "answer"},  # before the period
        {"asked_at": paris(2026, 4, 1, 0, 0), "outcome": "answer"},  # after it
    ]
    feedback = [{"created_at": paris(2026, 2, 2, 9, 0), "value": 1}, {"created_at": paris(2026, 2, 3, 9, 0), "value": -1}]
    months = monthly(questions, feedback, dt.date(2026, 1, 1), dt.date(2026, 3, 31), "Europe/Paris",
                     retention_cutoff=paris(2026, 2, 10, 0, 0))
    assert [(m.key, m.outcomes, m.thumbs_up, m.thumbs_down, m.deleted) for m in months] == [
        ("2026-01", {"answer": 1, "suggest": 0, "none": 0}, 0, 0, True),
        ("2026-02", {"answer": 0, "suggest": 1, "none": 1}, 1, 1, True),
        ("2026-03", {"answer": 0, "suggest": 0, "none": 0}, 0, 0, False),  # an empty month is there, at zero
    ]
    rows = csv_rows(months)
    assert rows[0][0] == "mois" and rows[1] == ["2026-01", 1, 1, 0, 0, 1.0, 0, 0, 0, "oui"]
    assert rows[3] == ["2026-03", 0, 0, 0, 0, "", 0, 0, 0, "non"]
    assert monthly([], [], dt.date(2026, 1, 15), dt.date(2026, 1, 20), "Europe/Paris", 0)[0].key == "2026-01"


def test_pixbot_rapport_writes_markdown_and_csv_without_names(tmp_path, sample_sources):
    import subprocess
    import sys

    from bot.core.storage import Storage

    faq, docs = sample_sources
    (tmp_path / "config.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\nsources:\n  faq_dir: {faq}\n  docs_dir: {docs}\n", encoding="utf-8")
    storage = Storage(tmp_path / "data" / "pixbot.sqlite")
    storage.record_question(STAFF, True, PARKING[0], "none", None, None)
    storage.record_question("@autre:univ.fr", False, "Comment inviter un collègue ?", "answer", "orga-invite", 0.9)
    storage.forget("@autre:univ.fr")  # a forgotten person is not counted
    storage.close()
    run = subprocess.run([sys.executable, "-m", "bot.cli", "rapport", "--out", str(tmp_path / "r")], cwd=tmp_path,
                         text=True, capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr
    report_md = (tmp_path / "r" / "rapport.md").read_text(encoding="utf-8")
    assert ("1 question(s), dont 0 avec une réponse directe (0 %), 0 avec des suggestions (0 %) et 1 sans réponse "
            "(100 %) ; 0 transmise(s) au correspondant (0 %).") in report_md
    assert STAFF not in report_md and PARKING[0] not in report_md
    table = (tmp_path / "r" / "questions-par-mois.csv").read_text(encoding="utf-8").splitlines()
    assert table[0].startswith("mois;questions;") and len(table) == 13  # header and 12 months
    assert table[-1].split(";")[1:5] == ["1", "0", "0", "1"]
    # the features' sections follow, each with its CSV
    assert "## Questions transmises au correspondant (tickets)" in report_md and "## Actualités Pix" in report_md
    assert "Abonnés aujourd'hui : 0 personne(s) et 0 salon(s)." in report_md
    assert (tmp_path / "r" / "tickets-par-mois.csv").read_text(encoding="utf-8").startswith("mois;tickets ouverts")
    assert (tmp_path / "r" / "actualites.csv").exists()
    assert report_md.rstrip().endswith("ni texte de question.")
    # --format: only what is asked for; an unknown format is refused before anything is written
    only_csv = subprocess.run([sys.executable, "-m", "bot.cli", "rapport", "--out", str(tmp_path / "c"), "--format",
                               "csv"], cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert only_csv.returncode == 0, only_csv.stderr
    assert {f.suffix for f in (tmp_path / "c").iterdir()} == {".csv"}
    wrong = subprocess.run([sys.executable, "-m", "bot.cli", "rapport", "--out", str(tmp_path / "p"), "--format",
                            "md,pdf"], cwd=tmp_path, text=True, capture_output=True, timeout=120)
    assert wrong.returncode == 2 and "formats possibles : md, html, csv" in wrong.stderr
    assert not (tmp_path / "p").exists()


def test_the_tickets_section_computes_response_times_exactly(storage):
    from bot.core.reports import quantile_hours
    from bot.features.tickets.report import tickets_section
    from bot.features.tickets.store import migrate

    migrate(storage)
    base = paris(2026, 3, 31, 22, 0)  # the first ticket is opened in March (Paris time), answered in April
    answers = [2, 4, 6, None]  # hours to the first correspondent's message; the last one is never answered
    with storage.transaction() as db:
        for n, hours in enumerate(answers, 1):
            created = base + (n - 1) * 86400
            closed = created + 10 * 3600 if n <= 2 else None
            db.execute("INSERT INTO tickets (id, asker, room, question, state, created_at, updated_at, activity_at, "
                       "closed_at) VALUES (?, ?, '!dm', 'q', ?, ?, ?, ?, ?)",
                       (n, STAFF, "closed" if closed else "open", created, created, created, closed))
            if hours is not None:
                db.execute("INSERT INTO ticket_messages (ticket, kind, author, text, created_at) VALUES "
                           "(?, 'asker', ?, 'précision', ?), (?, 'correspondent', ?, 'réponse', ?)",
                           (n, STAFF, created + 1800, n, ADMIN, created + hours * 3600))
    section = tickets_section(storage, paris(2026, 3, 1, 0, 0), paris(2026, 5, 1, 0, 0), "Europe/Paris")
    assert section.rows == [["mois", "tickets ouverts", "tickets clos"], ["2026-03", 1, 0], ["2026-04", 3, 2]]
    assert "4 ticket(s) ouvert(s) sur la période ; 2 clos, 2 ouverts." in section.markdown
    assert "première réponse d'un correspondant : médiane 4,0 h, 9 sur 10 en moins de 5,6 h" in section.markdown
    assert "clôture : médiane 10,0 h" in section.markdown
    assert quantile_hours([], 0.5) is None and quantile_hours([7200], 0.9) == 2.0
    empty = tickets_section(storage, paris(2025, 1, 1, 0, 0), paris(2025, 2, 1, 0, 0), "Europe/Paris")
    assert empty.markdown == "Aucun ticket ouvert sur la période." and empty.rows == [["mois", "tickets ouverts",
                                                                                        "tickets clos"]]


# -- questions handed on, and FAQ drafts from the answers given in tickets ---------------------
PARKING_ANSWER = "Le parking P2 est ouvert le samedi de 8 h à 18 h, badge du personnel à l'entrée."


def test_handed_on_questions_join_the_gaps_and_answered_groups_become_faq_drafts(sample_engine, storage, tmp_path):
    import subprocess
    import sys

    import yaml

    from bot.features import tickets
    from bot.features.report.drafts import DRAFTS_FILE, drafts_dir, make_drafts, read_drafts, write_drafts

    config = sample_engine.config
    config.correspondents = [ADMIN]
    app = App(config, sample_engine, storage, features=[tickets.install, report.install])
    ask(app, PARKING[1])  # asked, not answered
    ask(app, PARKING[2], sender="@autre:univ.fr")
    now = time.time()
    with storage.transaction() as db:
        for question, answer, learned in ((PARKING[0], PARKING_ANSWER, None), (CANTEEN[0], None, None),
                                          ("Comment réserver une salle ?", "Par l'intranet.", "appris-3-salle")):
            db.execute("INSERT INTO tickets (asker, room, question, state, last_answer, learned_id, created_at, "
                       "updated_at, activity_at) VALUES ('@x:univ.fr', '!dm', ?, 'answered', ?, ?, ?, ?, ?)",
                       (question, answer, learned, now, now, now))
    gaps = find_gaps(storage, app.engine, 0, app.handed_on)
    # the ticket made an FAQ entry already (learned) is not a gap; the others are, with the answer given
    assert sorted((g.size, sorted(g.answers.values())) for g in gaps) == [(1, []), (3, [PARKING_ANSWER])]
    assert "répondu dans un ticket" in strings.gaps_text(gaps, 90)
    drafts = make_drafts(gaps, {"brouillon-ou-se-gare-t-on-sur-le-campus-le-samedi"})  # the id is taken
    assert [entry for _, entry in drafts] == [{
        "id": "brouillon-ou-se-gare-t-on-sur-le-campus-le-samedi-2", "question": PARKING[0],
        "variants": [PARKING[2], PARKING[1]], "answer": PARKING_ANSWER}]
    folder = drafts_dir(config)
    path = write_drafts(folder, drafts)
    assert path == folder / DRAFTS_FILE and path.read_text(encoding="utf-8").startswith("# Brouillons d'entrées de FAQ")
    assert read_drafts(folder) == [entry for _, entry in drafts]
    assert not any(i.id.startswith("brouillon-") for i in app.engine.index.items)  # nothing published

    # pixbot check holds the drafts to the FAQ's rules
    (tmp_path / "config.yaml").write_text(
        f"data_dir: {config.data_dir}\nsources:\n  faq_dir: {config.faq_dir}\n  docs_dir: {config.docs_dir}\n",
        encoding="utf-8")

    def check():
        return subprocess.run([sys.executable, "-m", "bot.cli", "check"], cwd=tmp_path, text=True,
                              capture_output=True, timeout=120)

    assert "Brouillons de FAQ" not in check().stdout
    broken = [{"id": "brouillon-sans-reponse", "question": "Une question ?", "variants": ["Une autre ?"]}]
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    run = check()
    assert run.returncode == 1 and "Brouillons de FAQ : " in run.stdout and "brouillon-sans-reponse" in run.stdout

    # « oublier mes données »: the drafts quoting the person go, the others stay
    write_drafts(folder, drafts)
    held = dict(app.brain.privacy.held_about("@autre:univ.fr"))
    assert held[strings.FORGET_DRAFTS] == 1
    app.brain.privacy.forget_person("@autre:univ.fr")
    assert read_drafts(folder) == []
    assert dict(app.brain.privacy.held_about(STAFF)).get(strings.FORGET_DRAFTS) is None
