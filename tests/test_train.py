"""Training pairs for `pixbot train` (the training run itself is exercised by the quality gate,
which trains the shipped model when it is missing)."""

from __future__ import annotations

from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

from bot.core.config import load_config
from bot.answers.evaluate import Case
from bot.answers.hygiene import check_content
from bot.answers.textnorm import fold_accents
from bot.answers.train import training_pairs, training_questions
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
    assert training_pairs(config, cases=[Case("question", "no-such-entry")]) == base


def test_training_folder_is_read_by_default(tmp_path, sample_sources):
    faq, docs = sample_sources
    config = make_config(tmp_path, faq, docs)
    config.training_dir = tmp_path / "training"
    config.training_dir.mkdir()
    (config.training_dir / "extra.yaml").write_text(
        "- question: mot de passe du surveillant introuvable\n  expected: session-password\n", encoding="utf-8")
    pairs = training_pairs(config)
    assert sum(a == "mot de passe du surveillant introuvable" for a, _ in pairs) == 2
    (config.training_dir / "stale.yaml").write_text("- question: ancienne entrée\n  expected: nope\n", encoding="utf-8")
    assert training_pairs(config) == pairs  # a removed entry's question is skipped, not fatal...
    problems = check_content(faq, docs, config.training_dir)  # ...and `pixbot check` names it
    assert problems == ["stale.yaml, ligne 1, entrée #1 : identifiant inconnu « nope » : question ignorée"]


def test_bundled_training_questions_stay_clear_of_the_evaluation_set():
    """Training on near-copies of evaluation questions would make the held-out figures lie."""
    root = Path(__file__).resolve().parent.parent
    config = load_config(root / "config.example.yaml")
    questions = [fold_accents(c.question.lower()) for c in training_questions(config)]
    assert len(questions) >= 1000
    for name in ("heldout.yaml", "tune.yaml"):
        for case in yaml.safe_load((root / "tests" / "eval" / name).read_text(encoding="utf-8")):
            match = process.extractOne(fold_accents(case["question"].lower()), questions, scorer=fuzz.ratio)
            assert match[1] < 75, f"training question too close to {name}: {case['question']!r} ~ {match[0]!r}"


def test_hard_negatives_are_the_closest_wrong_item_of_the_same_kind(tmp_path, sample_sources):
    faq, docs = sample_sources
    config = make_config(tmp_path, faq, docs)
    triplets = training_pairs(config, hard_negatives=True)
    assert len(triplets) == len(training_pairs(config)) and all(len(t) == 3 for t in triplets)
    by_anchor = [t for t in triplets if t[0] == "ajouter un membre à notre espace pix orga"]
    assert by_anchor and all(neg != pos for _, pos, neg in by_anchor)
    invite_texts = {"Comment inviter un collègue dans Pix Orga ?"}
    assert all(neg not in invite_texts and "usage unique" not in neg for _, _, neg in by_anchor)
    passages = [t for t in triplets if t[0].startswith("guide du surveillant")]
    assert passages and all(neg.startswith("Guide du surveillant") for _, _, neg in passages)  # doc vs doc


def test_check_lists_what_an_editor_must_fix(tmp_path, sample_sources):
    faq, docs = sample_sources
    (faq / "extra.yaml").write_text(
        "- id: lonely\n  question: Sans variante ?\n  answer: Voir [la page](htp:/mal).\n  varients: [oups]\n",
        encoding="utf-8")
    problems = check_content(faq, docs)
    assert "extra.yaml, ligne 1, entrée lonely : aucune variante de la question" in problems
    assert "extra.yaml, ligne 1, entrée lonely : lien mal formé « htp:/mal »" in problems
    assert "extra.yaml, ligne 1, entrée #1 (lonely) : clé inconnue « varients », ignorée" in problems
    assert len(problems) == 3


def test_prompts_prefix_anchors_questions_and_bodies(tmp_path, sample_sources):
    faq, docs = sample_sources
    config = make_config(tmp_path, faq, docs)
    plain = training_pairs(config, hard_negatives=True)
    prompted = training_pairs(config, hard_negatives=True, prompts={"query": "query: ", "passage": "passage: "})
    assert len(prompted) == len(plain)
    for (a, p, n), (pa, pp, pn) in zip(plain, prompted):
        assert pa == "query: " + a
        prefix = "passage: " if pp.startswith("passage: ") else "query: "
        assert pp == prefix + p and pn == prefix + n  # the negative is the same kind of text
    bodies = [t for t in prompted if "usage unique" in t[1]]
    assert bodies and all(t[1].startswith("passage: ") for t in bodies)


def test_excluded_entries_and_pages_leave_no_trace_in_training(tmp_path, sample_sources):
    faq, docs = sample_sources
    config = make_config(tmp_path, faq, docs)
    cases = [Case("comment je fais rentrer un prof ds notre orga", "orga-invite")]
    pairs = training_pairs(config, cases=cases, hard_negatives=True,
                           exclude=["orga-invite", "guides/surveillance.md"])
    texts = " ".join(" ".join(t) for t in pairs)
    assert "usage unique" not in texts and "Comment inviter un collègue" not in texts
    assert "prof ds notre orga" not in texts and "enseignant dans notre pix orga" not in texts
    assert "Guide du surveillant" not in texts
    assert pairs and len(pairs) < len(training_pairs(config, cases=cases))
