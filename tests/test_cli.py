"""The CLI is a public contract: run it as a user would, in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def pixbot(*args, cwd, stdin=None):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, input=stdin, text=True,
                          capture_output=True, timeout=300)


@pytest.fixture
def workdir(tmp_path, sample_sources):
    faq, docs = sample_sources
    (tmp_path / "config.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\nsources:\n  faq_dir: {faq}\n  docs_dir: {docs}\n"
        "search:\n  model: minilm\n  trained_model: ''\n", encoding="utf-8")
    return tmp_path


def test_ask_json_contract_and_stdin_mode_in_order(workdir):
    questions = ["Comment inviter un collègue dans Pix Orga ?", "Où se gare-t-on le samedi ?",
                 "un candidat a fermé son navigateur, peut-il reprendre ?"]
    run = pixbot("ask", "--json", cwd=workdir, stdin="\n".join(questions) + "\n")
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [obj["question"] for obj in lines] == questions
    first = lines[0]
    assert set(first) == {"question", "decision", "results", "text"}
    assert first["decision"] == "answer"
    assert first["results"][0] == {"id": "orga-invite", "kind": "faq", "score": first["results"][0]["score"],
                                   "title": "Comment inviter un collègue dans Pix Orga ?",
                                   "source": "https://orga.pix.fr/"}
    assert len(first["results"]) >= 3
    scores = [r["score"] for r in first["results"]]
    assert scores == sorted(scores, reverse=True)
    assert lines[1]["decision"] == "none"
    doc = lines[2]["results"][0]
    assert doc["kind"] == "doc" and doc["title"] == "Guide du surveillant › Un candidat a fermé sa fenêtre"


def test_faq_and_docs_flags_replace_configured_folders(workdir, tmp_path):
    other = tmp_path / "other-faq"
    other.mkdir()
    (other / "x.yaml").write_text("- id: only-one\n  question: Quelle est la couleur du logo ?\n"
                                  "  answer: Bleu.\n", encoding="utf-8")
    run = pixbot("ask", "--json", "--faq", str(other), "--docs", str(tmp_path / "nope"),
                 "Quelle est la couleur du logo ?", cwd=workdir)
    assert run.returncode == 0, run.stderr
    obj = json.loads(run.stdout)
    assert [r["id"] for r in obj["results"]] == ["only-one"]


def test_index_reports_changes_and_refuses_broken_sources_with_exit_2(workdir, sample_sources):
    faq, _ = sample_sources
    first = pixbot("index", cwd=workdir)
    assert first.returncode == 0, first.stderr
    assert "Index reconstruit" in first.stdout and "+ orga-invite" in first.stdout
    again = pixbot("index", cwd=workdir)
    assert "Index à jour" in again.stdout
    (faq / "broken.yaml").write_text("- id: Bad Id\n  question: Q ?\n  answer: R.\n", encoding="utf-8")
    broken = pixbot("index", cwd=workdir)
    assert broken.returncode == 2
    assert "broken.yaml" in broken.stderr and "Bad Id" in broken.stderr
    still = pixbot("ask", "--json", "Comment inviter un collègue dans Pix Orga ?", cwd=workdir)
    assert still.returncode == 2  # asking also refuses to index broken sources...
    (faq / "broken.yaml").unlink()
    ok = pixbot("ask", "--json", "Comment inviter un collègue dans Pix Orga ?", cwd=workdir)
    assert json.loads(ok.stdout)["results"][0]["id"] == "orga-invite"


def test_eval_prints_all_metrics(workdir):
    cases = workdir / "cases.yaml"
    cases.write_text(
        "- question: Comment inviter un collègue dans Pix Orga ?\n  expected: orga-invite\n"
        "- question: un candidat a fermé son navigateur\n  expected: guides/surveillance.md\n"
        "- question: Où se gare-t-on le samedi ?\n  expected: null\n", encoding="utf-8")
    run = pixbot("eval", "--cases", str(cases), "--json", cwd=workdir)
    assert run.returncode == 0, run.stderr
    m = json.loads(run.stdout)
    for key in ("top1", "top3", "mrr", "answered_correct", "answered_precision", "null_not_answered",
                "latency_p50_ms", "latency_p95_ms"):
        assert key in m
    assert m["in_scope"] == 2 and m["null_cases"] == 1
    assert m["top1"] == 1.0 and m["null_not_answered"] == 1.0
    text = pixbot("eval", "--cases", str(cases), cwd=workdir)
    assert "top-1" in text.stdout and "p95" in text.stdout


def test_chat_answers_suggests_and_helps(workdir):
    run = pixbot("chat", cwd=workdir, stdin="aide\nComment inviter un collègue dans Pix Orga ?\nquitter\n")
    assert run.returncode == 0, run.stderr
    assert "`aide`" in run.stdout
    assert "Source : https://orga.pix.fr/" in run.stdout
    assert "Au revoir" in run.stdout


def test_run_without_homeserver_falls_back_to_terminal_chat(workdir):
    run = pixbot("run", cwd=workdir, stdin="Comment vérifier un certificat Pix ?\n")
    assert run.returncode == 0, run.stderr
    assert "verification-certificat" in run.stdout


def test_bad_config_is_a_clear_error(workdir):
    (workdir / "config.yaml").write_text("search:\n  answer_threshold: high\n", encoding="utf-8")
    run = pixbot("ask", "x", cwd=workdir)
    assert run.returncode == 2
    assert "answer_threshold" in run.stderr


def test_check_passes_on_bundled_content():
    root = Path(__file__).resolve().parent.parent
    run = pixbot("check", cwd=root)
    assert run.returncode == 0, run.stdout + run.stderr


def test_a_database_from_a_newer_pixbot_is_a_clear_error(workdir):
    import sqlite3

    (workdir / "data").mkdir()
    raw = sqlite3.connect(workdir / "data" / "pixbot.sqlite")
    raw.execute("PRAGMA user_version = 999")
    raw.close()
    run = pixbot("tickets", "list", cwd=workdir)
    assert run.returncode == 2
    assert "version plus récente" in run.stderr and "Traceback" not in run.stderr


def test_lacunes_lists_the_unanswered_questions_grouped(workdir):
    from bot.core.storage import Storage

    storage = Storage(workdir / "data" / "pixbot.sqlite")
    for text in ("Où se gare-t-on sur le campus le samedi ?", "Où peut-on se garer au campus le samedi ?"):
        storage.record_question("@prof:univ.fr", True, text, "none", None, None)
    storage.record_question("@prof:univ.fr", True, "Comment inviter un collègue ?", "answer", "orga-invite", 0.9)
    storage.close()
    run = pixbot("lacunes", "--days", "7", cwd=workdir)
    assert run.returncode == 0, run.stderr
    assert "Manques de contenu (7 derniers jours)** : 2 question(s)" in run.stdout
    assert "1. **2 question(s)** : « Où peut-on se garer au campus le samedi ? » ; « Où se gare-t-on" in run.stdout
    assert "inviter" not in run.stdout
