"""Access requests to Pix Orga / Pix Certif (tickets of kind ``access``), driven at the brain level
with the tickets tests' ``Chat`` (it plays the adapter: outbox, sent ids)."""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest
import yaml

from bot.core import strings
from bot.core.app import App
from bot.core.render import plain
from bot.features import tickets as tickets_mod
from bot.features.tickets.access import email_problem, read_role, read_space
from bot.features.tickets.commands import is_thread_command
from test_tickets import ADMIN, CORR, DM, OTHER, STAFF, Chat, to_room

EMAIL = "paul.prof@univ-exemple.fr"


@pytest.fixture
def app(sample_engine, storage, sample_sources):
    faq, _ = sample_sources
    # an FAQ entry about getting access that names the action (as faq/orga.yaml does)
    entries = yaml.safe_load((faq / "sample.yaml").read_text(encoding="utf-8"))
    entries.append({"id": "orga-acces", "question": "Comment obtenir un accès à Pix Orga ?",
                    "variants": ["J'ai besoin d'accéder à Pix Orga pour ma promo"],
                    "answer": "Pix Orga n'est ouvert qu'aux membres invités par un administrateur.",
                    "topics": ["orga"], "action": "demande-acces-orga"})
    (faq / "sample.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    sample_engine.reload()
    config = sample_engine.config
    config.correspondents = [ADMIN]
    config.matrix.correspondents_room = CORR
    config.access.mail_domains = ["univ-exemple.fr"]
    config.tickets.faq_file = str(faq / "appris.yaml")
    return App(config, sample_engine, storage, features=[tickets_mod.install])


@pytest.fixture
def chat(app):
    return Chat(app)


def fill(chat, answers, sender=STAFF, room=DM, thread="$start"):
    """Say each answer in turn in the dialogue's thread; returns the replies to the last one."""
    replies = []
    for text in answers:
        replies = chat.say(text, sender=sender, room=room, thread=thread, name="Paul Prof")
    return replies


def request(chat, space="orga", role="membre", yes_id="$yes", sender=STAFF):
    start = "$start" + yes_id  # each request in its own thread (the command's)
    chat.say(f"accès {space}", sender=sender, event_id=start, name="Paul Prof")
    answers = [EMAIL, "UFR Sciences", role] + (["J'organise les sessions du centre"] if role == "administrateur" else [])
    fill(chat, answers + ["Suivre les campagnes de mes cours"], sender=sender, thread=start)
    replies = chat.say("oui", sender=sender, thread=start, event_id=yes_id, name="Paul Prof")
    ticket = chat.tickets.by_source(yes_id)
    assert ticket is not None
    return ticket, replies


def test_the_readers_of_each_answer():
    assert read_space("Orga") == "orga" and read_space("pix certif") == "certif" and read_space("les deux") is None
    assert read_role("Admin") == "administrateur" and read_role("membre.") == "membre" and read_role("chef") is None
    domains = ["univ-exemple.fr"]
    assert email_problem("paul@univ-exemple.fr", domains) is None
    assert email_problem("paul@lab.univ-exemple.fr", domains) is None  # a subdomain
    assert email_problem("paul@gmail.com", domains) == strings.ACCESS_BAD_DOMAIN.format(domains="univ-exemple.fr")
    for bad in ("paul", "paul@", "paul@univ", "pa ul@univ-exemple.fr", "paul..x@univ-exemple.fr", "a" * 250 + "@univ-exemple.fr"):
        assert email_problem(bad, domains).startswith("« "), bad
    assert email_problem("x@anything.org", []) is None
    # « Accepter une invitation Pix Orga ? » is a question, « accepter membre » a command
    assert is_thread_command("accepter", "", str) and is_thread_command("accepter", "membre", str)
    assert is_thread_command("accepter", "12 administrateur", str)
    assert not is_thread_command("accepter", "une invitation Pix Orga ?", str)
    assert is_thread_command("invité", "", str) and not is_thread_command("invité", "par qui ?", str)


def test_a_request_from_first_message_to_the_card(chat, storage):
    [ask] = chat.say("accès orga", event_id="$start", name="Paul Prof")
    assert ask.text == strings.ACCESS_ASK_EMAIL.format(space="Pix Orga") and ask.thread == "$start"
    [again] = fill(chat, ["paul@gmail.com"])
    assert again.kind == "error" and "univ-exemple.fr" in again.text
    [unit] = fill(chat, [EMAIL])
    assert unit.text == strings.ACCESS_ASK_UNIT
    [role] = fill(chat, ["UFR Sciences"])
    assert role.text == strings.ACCESS_ASK_ROLE
    [again] = fill(chat, ["chef"])
    assert again.text == strings.ACCESS_BAD_ROLE
    [purpose] = fill(chat, ["membre"])
    assert purpose.text == strings.ACCESS_ASK_PURPOSE
    [confirm] = fill(chat, ["Suivre les campagnes de mes cours"])
    assert EMAIL in confirm.text and "UFR Sciences" in confirm.text and "Membre" in confirm.text
    assert storage.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0  # nothing before « oui »
    replies = chat.say("oui", thread="$start", event_id="$yes", name="Paul Prof")
    ticket = chat.tickets.by_source("$yes")
    assert ticket.kind == "access" and ticket.asker == STAFF
    [card] = to_room(replies, CORR)
    assert card.text.startswith(f"🔑 **Demande d'accès n° {ticket.id}**") and EMAIL in card.text
    assert "UFR Sciences" in card.text and card.payload["ticket_role"] == "announce"
    [created] = to_room(replies, DM)
    assert created.text == strings.access_created(ticket.id, True) and created.thread == "$start"
    assert chat.tickets.get(ticket.id).corr_thread  # the card is the thread root
    row = dict(storage.db.execute("SELECT * FROM access_requests WHERE ticket = ?", (ticket.id,)).fetchone())
    assert (row["space"], row["email"], row["unit"], row["role"], row["purpose"], row["status"]) == (
        "orga", EMAIL, "UFR Sciences", "membre", "Suivre les campagnes de mes cours", "pending")
    # the same « oui » delivered again: handled once, no second request, no second card
    assert chat.say("oui", thread="$start", event_id="$yes", name="Paul Prof") == []
    assert storage.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1


def test_an_administrator_role_needs_a_reason_and_certif_is_asked_for(chat, storage):
    chat.say("demande d'accès", event_id="$start")
    [bad] = fill(chat, ["les deux"])
    assert bad.text == strings.ACCESS_BAD_SPACE
    [email] = fill(chat, ["certif"])
    assert email.text == strings.ACCESS_ASK_EMAIL.format(space="Pix Certif")
    [reason] = fill(chat, [EMAIL, "Scolarité", "administrateur"])
    assert reason.text == strings.ACCESS_ASK_REASON
    [confirm] = fill(chat, ["Je remplace la référente pendant son congé", "Organiser les sessions"])
    assert "Administrateur (motif : Je remplace la référente pendant son congé)" in plain(confirm.text)
    chat.say("oui", thread="$start", event_id="$yes")
    row = storage.db.execute("SELECT space, role, role_reason FROM access_requests").fetchone()
    assert tuple(row) == ("certif", "administrateur", "Je remplace la référente pendant son congé")


def test_answers_that_start_like_a_command_are_answers_and_commands_still_work(chat, storage):
    chat.say("accès orga", event_id="$start")
    [unit] = fill(chat, [EMAIL])
    [help_text] = fill(chat, ["aide"])  # a command of the person's: answered, the dialogue waits
    assert help_text.kind == "help"
    [role] = fill(chat, ["Note : je suis à l'UFR de chimie"])
    assert role.text == strings.ACCESS_ASK_ROLE
    fill(chat, ["membre"])
    [confirm] = fill(chat, ["Prendre en charge les campagnes de L1"])
    assert "Prendre en charge les campagnes de L1" in plain(confirm.text)
    assert "Note : je suis à l'UFR de chimie" in plain(confirm.text)


def test_cancel_at_any_step_leaves_nothing(chat, storage):
    for n, steps in enumerate(([], [EMAIL], [EMAIL, "UFR"], [EMAIL, "UFR", "membre", "Cours"])):
        chat.say("accès orga", event_id=f"$start{n}")
        fill(chat, steps)
        [cancelled] = fill(chat, ["annuler"])
        assert cancelled.text == strings.ACCESS_CANCELLED
        assert storage.get_state(DM, STAFF)[0] is None
    assert storage.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
    assert storage.db.execute("SELECT COUNT(*) FROM access_requests").fetchone()[0] == 0


def test_the_engine_recognises_the_need_and_offers_the_request(chat):
    [answer] = chat.say("j'ai besoin d'accéder à Pix Orga pour ma promo", event_id="$start")
    assert answer.kind == "answer" and answer.payload["item"] == "orga-acces"
    assert answer.text.endswith(strings.ACCESS_OFFER.format(space="Pix Orga"))
    [ask] = chat.say("oui", thread="$start")
    assert ask.text == strings.ACCESS_ASK_EMAIL.format(space="Pix Orga")
    # declined: nothing pending
    chat.say("annuler", thread="$start")
    chat.say("Comment obtenir un accès à Pix Orga ?", event_id="$again")
    [declined] = chat.say("non", thread="$again")
    assert declined.text == strings.ACCESS_OFFER_DECLINED
    # in a group room the answer comes without the offer (the dialogue asks for an e-mail)
    [in_room] = chat.say("!pix Comment obtenir un accès à Pix Orga ?", room="!salon", direct=False, event_id="$r")
    assert strings.ACCESS_OFFER.format(space="Pix Orga") not in in_room.text
    [refused] = chat.say("!pix accès orga", room="!salon", direct=False)
    assert refused.text == strings.ONLY_IN_DIRECT


def test_accept_then_invited_tells_the_asker_each_step(chat, storage):
    ticket, _ = request(chat)
    [question] = chat.corr(ticket, "Pour quelle promotion exactement ?")  # relayed like any ticket
    assert question.room == DM and "Pour quelle promotion exactement ?" in question.text
    early = chat.corr(ticket, "invité")
    assert early[0].text == strings.ACCESS_NOT_ACCEPTED.format(n=ticket.id)
    replies = chat.corr(ticket, "accepter")
    [to_asker] = to_room(replies, DM)
    assert to_asker.text == strings.access_accepted_asker(ticket.id, "orga", "membre", EMAIL)
    assert "lien à usage unique" in to_asker.text and to_asker.thread == ticket.thread
    [in_thread] = to_room(replies, CORR)
    assert in_thread.text == strings.access_accepted_corr(ticket.id, "orga", "membre", EMAIL)
    twice = chat.corr(ticket, "accepter administrateur")
    assert twice[0].text == strings.ACCESS_ALREADY_DECIDED.format(n=ticket.id, status=strings.ACCESS_STATUSES["accepted"])
    replies = chat.corr(ticket, "invité")
    assert to_room(replies, DM)[0].text == strings.access_invited_asker(ticket.id, "orga", EMAIL)
    row = storage.db.execute("SELECT status, granted_role, decided_by FROM access_requests").fetchone()
    assert tuple(row) == ("invited", "membre", ADMIN)
    assert chat.tickets.get(ticket.id).state == "closed"


def test_accept_with_another_role_and_refuse_with_a_reason(chat, storage):
    first, _ = request(chat, role="administrateur", yes_id="$y1")
    chat.corr(first, "accepter membre")
    assert storage.db.execute("SELECT granted_role FROM access_requests WHERE ticket = ?",
                              (first.id,)).fetchone()[0] == "membre"
    second, _ = request(chat, space="certif", yes_id="$y2")
    replies = chat.corr(second, "refuser Les accès Pix Certif sont réservés aux surveillants **désignés**.")
    [to_asker] = to_room(replies, DM)
    assert to_asker.text == strings.access_refused_asker(
        second.id, "certif", "Les accès Pix Certif sont réservés aux surveillants **désignés**.")
    assert "**désignés**" in strings.access_refused_asker(second.id, "certif", "**désignés**")  # shown as written
    assert chat.tickets.get(second.id).state == "closed"


def test_decisions_are_for_correspondents_and_for_access_requests(chat):
    ticket, _ = request(chat)
    [refused] = chat.say("accepter", sender=OTHER, room=CORR, thread=chat.tickets.get(ticket.id).corr_thread,
                         direct=False)
    assert refused.text == strings.NOT_ALLOWED
    question, _ = chat.open_ticket(q_id="$q2", yes_id="$yes2")
    [wrong] = chat.corr(question, "accepter")
    assert wrong.text == strings.ACCESS_NOT_A_REQUEST.format(n=question.id)
    # a colleague's question that starts with the word is answered as a question
    [answer] = chat.say("Accepter une invitation Pix Orga, comment faire ?", event_id="$qq")
    assert answer.kind in ("answer", "suggest", "none")


def test_listings_forget_and_retention(chat, app, storage):
    mine, _ = request(chat, yes_id="$y1")
    other, _ = request(chat, sender=OTHER, yes_id="$y2", space="certif")
    chat.corr(other, "refuser")
    [listing] = chat.say("demandes", sender=ADMIN, room="!admin-dm")
    assert f"n° {mine.id}" in listing.text and f"n° {other.id}" not in listing.text  # open ones
    [everything] = chat.say("demandes toutes", sender=ADMIN, room="!admin-dm")
    assert f"n° {other.id}" in everything.text and "refusée" in everything.text
    [own] = chat.say("mes demandes")
    assert f"n° {mine.id}" in own.text and f"n° {other.id}" not in own.text and "en attente" in own.text
    [not_mine] = chat.say("demandes")
    assert not_mine.text == strings.NOT_ALLOWED
    # « tickets » lists questions only
    [tickets] = chat.say("tickets tous", sender=ADMIN, room="!admin-dm")
    assert f"n° {mine.id}" not in tickets.text
    # forgetting the asker removes their requests and details
    [confirm] = chat.say("oublier mes données")
    assert strings.FORGET_ACCESS in confirm.text
    chat.say("oui")
    assert storage.db.execute("SELECT COUNT(*) FROM access_requests WHERE ticket = ?", (mine.id,)).fetchone()[0] == 0
    assert storage.db.execute("SELECT COUNT(*) FROM access_requests").fetchone()[0] == 1
    dump = "\n".join(str(tuple(r)) for r in storage.db.execute("SELECT * FROM tickets"))
    assert STAFF not in dump and EMAIL.replace("paul", "x") not in dump
    # retention: requests go with their tickets
    chat.tickets.purge_expired(now=app.storage.db.execute("SELECT MAX(created_at) FROM tickets").fetchone()[0]
                               + app.config.retention_days * 86400 + 1)
    assert storage.db.execute("SELECT COUNT(*) FROM access_requests").fetchone()[0] == 0


def test_pixbot_demandes_exports_who_was_granted_what(tmp_path, sample_sources, sample_engine):
    faq, docs = sample_sources
    work = tmp_path / "work"
    work.mkdir()
    (work / "config.yaml").write_text(yaml.safe_dump({
        "data_dir": str(work / "data"), "sources": {"faq_dir": str(faq), "docs_dir": str(docs)},
        "correspondents": [ADMIN], "matrix": {"correspondents_room": CORR}}), encoding="utf-8")
    from bot.core.config import load_config
    from bot.core.storage import Storage

    config = load_config(work / "config.yaml")
    storage = Storage(config.database)
    chat = Chat(App(config, sample_engine, storage, features=[tickets_mod.install]))
    granted, _ = request(chat, yes_id="$y1")
    chat.corr(granted, "accepter")
    chat.corr(granted, "invité")
    pending, _ = request(chat, yes_id="$y2", space="certif")
    storage.close()

    def pixbot(*args):
        return subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(work / "config.yaml"), *args],
                              cwd=work, text=True, capture_output=True, timeout=120)

    listed = pixbot("demandes", "--toutes")
    assert listed.returncode == 0, listed.stderr
    assert f"n° {granted.id}" in listed.stdout and f"n° {pending.id}" in listed.stdout
    out = work / "acces.csv"
    run = pixbot("demandes", "--export", str(out))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == strings.CLI_ACCESS_EXPORTED.format(count=1, path=out)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == strings.ACCESS_CSV_HEADER
    assert rows[1][:6] == [str(granted.id), "Pix Orga", "Membre", EMAIL, "UFR Sciences", "Suivre les campagnes de mes cours"]
    assert len(rows) == 2
    none = pixbot("demandes", "--export", str(out), "--annee", "1999")
    assert none.returncode == 0 and none.stdout.strip() == strings.CLI_ACCESS_EXPORTED.format(count=0, path=out)


def test_the_activity_report_counts_requests_apart_from_questions(chat, app, storage):
    from bot.features.tickets.report import access_section, tickets_section

    start = 1_767_222_000.0  # 2026-01-01 00:00 in Paris
    clock = [start + 86400 * 40]  # 2026-02-10
    chat.tickets.clock = lambda: clock[0]
    granted, _ = request(chat, yes_id="$y1")
    chat.corr(granted, "accepter")
    clock[0] += 30 * 3600
    chat.corr(granted, "invité")
    request(chat, yes_id="$y2", space="certif")
    end = start + 86400 * 365
    section = access_section(storage, start, end, "Europe/Paris")
    assert section.rows == [list(strings.REPORT_CSV_ACCESS), ["2026-02", 2, 1]]
    assert section.markdown.startswith("2 demande(s) d'accès sur la période.")
    assert "| Pix Orga | 0 | 0 | 1 | 0 |" in section.markdown and "| Pix Certif | 1 | 0 | 0 | 0 |" in section.markdown
    assert "médiane 30,0 h" in section.markdown
    assert STAFF not in section.markdown and EMAIL not in section.markdown  # counts only
    assert tickets_section(storage, start, end, "Europe/Paris").rows[1:] == []  # no question handed on
