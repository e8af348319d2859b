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
