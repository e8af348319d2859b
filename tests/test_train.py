"""Training pairs for `pixbot train` (the training run itself is exercised by the quality gate,
which trains the shipped model when it is missing)."""

from __future__ import annotations

import pytest

from bot.evaluate import Case
from bot.train import training_pairs
from pixbot_testing import make_config


def test_pairs_cover_phrasings_answers_and_passages(tmp_path, sample_sources):
    faq, docs = sample_sources
    pairs = training_pairs(make_config(tmp_path, faq, docs))
    anchors = {a for a, _ in pairs}
    assert "ajouter un membre à notre espace pix orga" in anchors  # a variant, normalised
    positives = [p for a, p in pairs if a == "ajouter un membre à notre espace pix orga"]
    assert "Comment inviter un collègue dans Pix Orga ?" in positives
    assert any("usage unique" in p for p in positives)  # the entry's body


def test_tuning_cases_add_staff_phrasings(tmp_path, sample_sources):
    faq, docs = sample_sources
    config = make_config(tmp_path, faq, docs)
    base = training_pairs(config)
    cases = [Case("comment je fais rentrer un prof ds notre orga", "orga-invite"),
             Case("il fait beau à la cafét ?", None)]
    pairs = training_pairs(config, cases=cases)
    added = [p for p in pairs if p not in base]
    assert [a for a, _ in added] == ["comment je fais rentrer un enseignant dans notre pix orga"] * 2
    assert {p for _, p in added} >= {"Comment inviter un collègue dans Pix Orga ?"}
    with pytest.raises(ValueError, match="unknown expected id"):
        training_pairs(config, cases=[Case("question", "no-such-entry")])
