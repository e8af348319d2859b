"""Tickets (escalation to the correspondents), driven at the brain level with ``Incoming`` messages.

A small ``Chat`` plays the adapter: it collects the brain's replies and the ones it emits on its
own (``brain.outlet``), gives each sent reply an event id and reports it with ``brain.sent``.
"""

from __future__ import annotations

import dataclasses
import itertools
import subprocess
import sys
import time
import uuid

import pytest
import yaml

from bot.core import strings
from bot.core.app import App
from bot.core.brain import Incoming, Reply
from bot.answers.sources import LoadResult, load_faq
from bot.core.storage import Storage
from bot.features import tickets as tickets_mod

ADMIN = "@corr:univ.fr"
ADMIN2 = "@corr2:univ.fr"
STAFF = "@prof:univ.fr"
OTHER = "@autre:univ.fr"
CORR = "!correspondants"
DM = "!dm-prof"
UNANSWERABLE = "Où se gare-t-on sur le campus le samedi ?"
SECOND = "Quel est le menu du restaurant universitaire ce midi ?"
ANSWER = "Le parking P2 (bâtiment B) est ouvert le samedi de 8 h à 18 h, badge non nécessaire."


class Chat:
    def __init__(self, app: App):
        self.app = app
        self.brain = app.brain
        self.tickets = app.tickets
        self.emitted: list[Reply] = []
        self.brain.outlet = self.outlet
        self.sent: dict[str, Reply] = {}
        self.ids = itertools.count(1)

    def outlet(self, replies: list[Reply]) -> None:
        """What an adapter does with replies the brain emits on its own: record each in the
        outbox inside the caller's transaction, hand it on only once that commits."""
        storage = self.app.storage
        for reply in replies:
            storage.enqueue(reply.room, {"reply": dataclasses.asdict(reply)}, uuid.uuid4().hex)
            storage.after_commit(lambda reply=reply: self.emitted.append(reply))

    def deliver(self, replies: list[Reply]) -> list[tuple[str, Reply]]:
        out = []
        for reply in replies:
            event_id = f"$bot{next(self.ids)}"
            self.sent[event_id] = reply
            self.brain.sent(reply, event_id)
            out.append((event_id, reply))
        return out

    def say(self, text, sender=STAFF, room=DM, thread=None, event_id=None, name=None, direct=True,
            moderator=False) -> list[Reply]:
        event_id = event_id or f"$in{next(self.ids)}"
        replies = self.brain.handle(Incoming(sender=sender, room=room, text=text, event_id=event_id, thread=thread,
                                             is_direct=direct, sender_name=name, sender_is_moderator=moderator))
        emitted, self.emitted[:] = list(self.emitted), []
        delivered = self.deliver(emitted + replies)
        return [r for _, r in delivered]

    def open_ticket(self, question=UNANSWERABLE, sender=STAFF, room=DM, q_id="$q", yes_id="$yes"):
        [offer] = self.say(question, sender=sender, room=room, event_id=q_id, name="Paul Prof")
        assert offer.kind == "none"
        replies = self.say("oui", sender=sender, room=room, thread=q_id, event_id=yes_id, name="Paul Prof")
        ticket = self.tickets.by_source(yes_id)
        assert ticket is not None
        return ticket, replies

    def corr(self, ticket, text, sender=ADMIN, name="Claire Martin"):
        ticket = self.tickets.get(ticket.id)
        return self.say(text, sender=sender, room=CORR, thread=ticket.corr_thread, name=name, direct=False)


def to_room(replies, room):
    return [r for r in replies if r.room == room]


@pytest.fixture
def app(sample_engine, storage, sample_sources):
    faq, _ = sample_sources
    config = sample_engine.config
    config.correspondents = [ADMIN, ADMIN2]
    config.matrix.correspondents_room = CORR
    config.tickets.faq_file = str(faq / "appris.yaml")
    return App(config, sample_engine, storage, features=[tickets_mod.install])


@pytest.fixture
def chat(app):
    return Chat(app)


# -- creation -------------------------------------------------------------------------------------
def test_installed_by_default(sample_engine, storage):
    app = App(sample_engine.config, sample_engine, storage)
    assert app.brain.escalation is app.tickets
    assert "mes questions" in app.brain.commands and "oublier mes donnees" in app.brain.commands


def test_unanswerable_question_becomes_an_announced_ticket(chat, storage):
    ticket, replies = chat.open_ticket()
    [confirm] = to_room(replies, DM)
    [announce] = to_room(replies, CORR)
    assert confirm.thread == "$q" and f"n° {ticket.id}" in confirm.text and "transmise" in confirm.text
    assert announce.thread is None  # a thread root in the correspondents' room
    assert f"Ticket n° {ticket.id}" in announce.text and UNANSWERABLE in announce.text
    assert "Paul Prof" in announce.text and STAFF in announce.text
    assert announce.payload["mentions"] == sorted([ADMIN, ADMIN2])
    assert ADMIN in announce.text and ADMIN2 in announce.text
    ticket = chat.tickets.get(ticket.id)
    assert (ticket.asker, ticket.room, ticket.thread, ticket.question, ticket.state) == (
        STAFF, DM, "$q", UNANSWERABLE, "open")
    assert isinstance(ticket.guesses, list) and ticket.created_at > time.time() - 60
    announce_id = next(eid for eid, r in chat.sent.items() if r is announce)
    assert ticket.corr_thread == announce_id and ticket.announce_pending == 0
    assert storage.get_state(DM, STAFF) == (None, None)


def test_terminal_without_correspondents_room_still_creates_the_ticket(chat, app):
    app.config.matrix.correspondents_room = None
    ticket, replies = chat.open_ticket()
    assert [r.room for r in replies] == [DM]
    assert "mes questions" in replies[0].text
    assert ticket.state == "open" and ticket.announce_pending == 0 and ticket.corr_thread is None
    [mine] = chat.say("mes questions")
    assert UNANSWERABLE in mine.text and "ouvert" in mine.text


# -- relays ---------------------------------------------------------------------------------------
def test_correspondent_reply_is_relayed_to_the_asker_thread_signed(chat):
    ticket, _ = chat.open_ticket()
    replies = chat.corr(ticket, ANSWER)
    [relay] = replies
    assert relay.room == DM and relay.thread == "$q"
    assert "Claire Martin" in relay.text and ANSWER in relay.text
    assert relay.payload["mentions"] == [STAFF]
    ticket = chat.tickets.get(ticket.id)
    assert ticket.state == "answered" and ticket.assignee == ADMIN and ticket.last_answer == ANSWER


def test_only_configured_correspondents_are_relayed_to_the_asker(chat):
    """Any member of the correspondents' room may write in a ticket thread; only the configured
    correspondents answer the asker (no « correspondant Pix » signature for anyone else)."""
    ticket, _ = chat.open_ticket()
    [notice] = chat.corr(ticket, "Je vous réponds : passez me voir.", sender=OTHER, name="Quelqu'un d'autre")
    assert notice.room == CORR and notice.kind == "error"
    assert notice.text == strings.RELAY_NOT_CORRESPONDENT
    after = chat.tickets.get(ticket.id)
    assert (after.state, after.assignee, after.last_answer) == ("open", None, None)
    [relay] = chat.corr(ticket, ANSWER)  # a configured correspondent still is
    assert relay.room == DM and ANSWER in relay.text


def test_asker_follow_ups_are_relayed_and_the_bot_stays_quiet_in_the_thread(chat):
    ticket, _ = chat.open_ticket()
    chat.corr(ticket, ANSWER)
    # a question the FAQ knows, but asked in the ticket's thread: relayed, not answered
    replies = chat.say("Et comment inviter un collègue dans Pix Orga ?", thread="$q", name="Paul Prof")
    [relay] = replies
    ticket = chat.tickets.get(ticket.id)
    assert relay.room == CORR and relay.thread == ticket.corr_thread
    assert "inviter un collègue" in relay.text and "Paul Prof" in relay.text
    assert ticket.state == "assigned"  # the ball is back in the correspondent's court
    # someone else writing in that thread gets nothing from the bot either
    assert chat.say("Comment inviter un collègue dans Pix Orga ?", sender=OTHER, thread="$q") == []
    # outside the thread the bot answers as usual
    [answer] = chat.say("Comment inviter un collègue dans Pix Orga ?")
    assert answer.kind == "answer"


def test_internal_notes_are_never_relayed(chat, storage):
    ticket, _ = chat.open_ticket()
    replies = chat.corr(ticket, "note voir avec la DSI si le badge est exigé")
    assert to_room(replies, DM) == []
    [ack] = replies
    assert ack.room == CORR and "interne" in ack.text
    notes = [m for m in tickets_mod.ticket_messages(storage, ticket.id) if m["kind"] == "note"]
    assert [n["text"] for n in notes] == ["voir avec la DSI si le badge est exigé"]
    assert all("DSI" not in r.text for r in chat.sent.values() if r.room == DM)
    assert chat.tickets.get(ticket.id).state == "open"


# -- transitions ----------------------------------------------------------------------------------
def test_every_transition(chat):
    ticket, _ = chat.open_ticket()
    n = ticket.id
    # open -> assigned
    replies = chat.corr(ticket, "prendre")
    assert chat.tickets.get(n).state == "assigned" and chat.tickets.get(n).assignee == ADMIN
    assert "Claire Martin" in to_room(replies, CORR)[0].text
    assert "prise en charge" in to_room(replies, DM)[0].text
    # assigned to someone else (must be a correspondent)
    [refused] = chat.corr(ticket, "assigner @inconnu:univ.fr")
    assert refused.kind == "error" and chat.tickets.get(n).assignee == ADMIN
    replies = chat.corr(ticket, f"assigner {ADMIN2}")
    assert chat.tickets.get(n).assignee == ADMIN2 and chat.tickets.get(n).state == "assigned"
    assert to_room(replies, CORR)[0].payload["mentions"] == [ADMIN2]
    # assigned -> answered
    chat.corr(ticket, ANSWER, sender=ADMIN2, name="Jean Dupont")
    assert chat.tickets.get(n).state == "answered"
    # answered -> closed (the asker is told)
    replies = chat.corr(ticket, "clore", sender=ADMIN2)
    assert chat.tickets.get(n).state == "closed" and chat.tickets.get(n).closed_at
    [told] = to_room(replies, DM)
    assert told.thread == "$q" and "close" in told.text
    # closed -> reopened by a correspondent
    [reopened] = chat.corr(ticket, "rouvrir")
    assert "rouvert" in reopened.text and chat.tickets.get(n).state == "assigned"
    # closed again, then the asker writes in the thread: reopened, relayed, asker told
    chat.corr(ticket, "clore")
    replies = chat.say("Finalement le badge est refusé à l'entrée.", thread="$q", name="Paul Prof")
    assert chat.tickets.get(n).state == "assigned" and chat.tickets.get(n).closed_at is None
    [relay] = to_room(replies, CORR)
    assert "rouvert" in relay.text and "badge est refusé" in relay.text
    assert "rouverte" in to_room(replies, DM)[0].text


def test_thread_commands_are_for_correspondents_and_ticket_threads(chat):
    ticket, _ = chat.open_ticket()
    [refused] = chat.corr(ticket, "clore", sender=OTHER)
    assert refused.kind == "error" and chat.tickets.get(ticket.id).state == "open"
    [where] = chat.say("clore", sender=ADMIN)
    assert where.kind == "error" and "fil d'un ticket" in where.text
    chat.say(f"clore {ticket.id}", sender=ADMIN)  # by number, e.g. in the terminal
    assert chat.tickets.get(ticket.id).state == "closed"
    # a correspondent's sentence starting with a command word is a message to relay
    chat.corr(ticket, "rouvrir")
    [relay] = chat.corr(ticket, "Prendre contact avec le service scolarité, ils ont la réponse.")
    assert relay.room == DM and "Prendre contact" in relay.text
    # a staff question starting with a command word is a question, not a refused command
    [reply] = chat.say("Note de certification : où la voir ?")
    assert reply.kind in ("answer", "suggest", "none") and "réservée" not in reply.text


# -- asking for a human ---------------------------------------------------------------------------
def test_asking_for_a_human_after_a_declined_offer(chat):
    chat.say(UNANSWERABLE, event_id="$q1")
    [declined] = chat.say("non", thread="$q1")
    assert declined.text == strings.ESCALATION_DECLINED
    [offer] = chat.say("je veux parler à quelqu'un", thread="$q1")
    assert UNANSWERABLE in offer.text and "oui" in offer.text  # not asked to repeat the question
    chat.say("oui", thread="$q1", event_id="$yes1")
    assert chat.tickets.by_source("$yes1").question == UNANSWERABLE


def test_correspondant_command_without_a_question_asks_for_it(chat):
    [ask] = chat.say("correspondant")
    assert ask.text == strings.TICKET_ASK_QUESTION
    [offer] = chat.say("Mon espace Pix Orga a disparu depuis hier")
    assert "Pix Orga a disparu" in offer.text
    chat.say("oui", event_id="$yes2")
    assert chat.tickets.by_source("$yes2").question == "Mon espace Pix Orga a disparu depuis hier"


def test_natural_phrasings_are_detected():
    for text in ("Je veux parler à quelqu'un", "je voudrais parler à un humain", "un humain svp",
                 "Pouvez-vous me mettre en relation ? je souhaite contacter le correspondant",
                 "transmettez au correspondant"):
        assert tickets_mod.wants_human(text), text
    for text in ("Comment inviter un collègue ?", "Où trouver le code d'une campagne ?"):
        assert not tickets_mod.wants_human(text), text


def test_rejected_suggestions_lead_to_a_ticket(chat, sample_engine):
    sample_engine.params.answer_threshold = 1.5  # force suggestions
    [suggest] = chat.say("code campagne étudiants", event_id="$q3")
    assert suggest.kind == "suggest"
    [offer] = chat.say("aucune", thread="$q3")
    assert offer.kind == "none"
    replies = chat.say("oui", thread="$q3", event_id="$yes3")
    ticket = chat.tickets.by_source("$yes3")
    assert ticket.question == "code campagne étudiants" and to_room(replies, CORR)


# -- auto-close -----------------------------------------------------------------------------------
def test_answered_tickets_silent_for_n_days_close_themselves(chat, app):
    days = app.config.tickets.auto_close_days
    answered, _ = chat.open_ticket()
    chat.corr(answered, ANSWER)
    waiting, _ = chat.open_ticket(question=SECOND, q_id="$q9",
                                  yes_id="$yes9")
    chat.corr(waiting, "prendre")
    chat.emitted.clear()
    now = time.time()
    assert chat.tickets.auto_close(now=now + (days - 1) * 86400) == 0
    assert chat.emitted == []
    assert chat.tickets.auto_close(now=now + (days + 1) * 86400) == 1
    assert chat.tickets.get(answered.id).state == "closed"
    assert chat.tickets.get(waiting.id).state == "assigned"  # not answered: stays open
    [asker] = to_room(chat.emitted, DM)
    assert asker.thread == "$q" and f"n° {answered.id}" in asker.text and f"{days} jours" in asker.text
    assert to_room(chat.emitted, CORR)[0].thread == chat.tickets.get(answered.id).corr_thread
    assert chat.tickets.auto_close(now=now + (days + 2) * 86400) == 0  # once


# -- FAQ learning ---------------------------------------------------------------------------------
def test_faq_command_learns_and_the_bot_then_answers(chat, sample_sources, sample_engine):
    faq, _ = sample_sources
    assert sample_engine.ask(UNANSWERABLE).decision == "none"
    ticket, _ = chat.open_ticket()
    chat.corr(ticket, ANSWER)
    [done] = chat.corr(ticket, "faq")
    entry_id = tickets_mod.faq_entry_id(ticket.id, UNANSWERABLE)
    assert entry_id.startswith(f"appris-{ticket.id}-ou-se-gare") and entry_id in done.text
    path = faq / "appris.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#")
    [entry] = yaml.safe_load(text)
    assert entry == {"id": entry_id, "question": UNANSWERABLE, "answer": ANSWER}
    result = LoadResult()
    load_faq(faq, result)
    assert result.errors == []
    # indexed at once: another colleague asking the same gets the answer from the bot
    [answer] = chat.say(UNANSWERABLE, sender=OTHER, room="!dm-autre")
    assert answer.kind == "answer" and answer.payload["item"] == entry_id and "parking P2" in answer.text
    assert chat.tickets.get(ticket.id).learned_id == entry_id


def test_faq_command_with_edits_replaces_the_same_entry(chat, sample_sources):
    faq, _ = sample_sources
    ticket, _ = chat.open_ticket()
    [missing] = chat.corr(ticket, "faq")  # nothing answered yet
    assert missing.kind == "error" and not (faq / "appris.yaml").exists()
    chat.corr(ticket, "faq question: Où se garer sur le campus le week-end ? | variantes: parking samedi; "
                      "stationnement week-end | réponse: Au parking P2, ouvert le samedi.")
    chat.corr(ticket, "faq réponse: Au parking P2, ouvert le samedi et le dimanche.")  # follow-up edit
    entries = yaml.safe_load((faq / "appris.yaml").read_text(encoding="utf-8"))
    assert len(entries) == 1
    [entry] = entries
    assert entry["question"] == "Où se garer sur le campus le week-end ?"
    assert entry["variants"] == ["parking samedi", "stationnement week-end"]
    assert entry["answer"] == "Au parking P2, ouvert le samedi et le dimanche."
    [answer] = chat.say("Où se garer sur le campus le week-end ?", sender=OTHER, room="!dm-autre")
    assert answer.kind == "answer" and "dimanche" in answer.text


def test_faq_refuses_to_break_the_file(chat, sample_sources):
    faq, _ = sample_sources
    path = faq / "appris.yaml"
    ticket, _ = chat.open_ticket()
    chat.corr(ticket, ANSWER)
    path.write_text("- id: Pas Valide\n  question: Q ?\n  answer: R.\n", encoding="utf-8")
    before = path.read_bytes()
    [refused] = chat.corr(ticket, "faq")
    assert refused.kind == "error" and "Pas Valide" in refused.text
    assert path.read_bytes() == before
    assert chat.tickets.get(ticket.id).learned_id is None


# -- listings -------------------------------------------------------------------------------------
def test_tickets_and_mes_questions(chat):
    first, _ = chat.open_ticket()
    second, _ = chat.open_ticket(question=SECOND, sender=OTHER,
                                 room="!dm-autre", q_id="$q7", yes_id="$yes7")
    chat.corr(first, "clore")
    [refused] = chat.say("tickets")
    assert "réservée" in refused.text
    [listing] = chat.say("tickets", sender=ADMIN)
    assert f"n° {second.id}" in listing.text and f"n° {first.id}" not in listing.text
    [everything] = chat.say("tickets tous", sender=ADMIN)
    assert f"n° {first.id}" in everything.text and "clos" in everything.text
    [mine] = chat.say("mes questions")
    assert UNANSWERABLE in mine.text and "clos" in mine.text and "restaurant universitaire" not in mine.text


# -- privacy --------------------------------------------------------------------------------------
def test_retention_deletes_old_tickets(chat, app, storage):
    old, _ = chat.open_ticket()
    chat.corr(old, "note ancienne")
    recent, _ = chat.open_ticket(question=SECOND, q_id="$q8",
                                 yes_id="$yes8")
    storage.db.execute("UPDATE tickets SET created_at = ? WHERE id = ?",
                       (time.time() - (app.config.retention_days + 1) * 86400, old.id))
    assert chat.tickets.purge_expired() == 1
    assert chat.tickets.get(old.id) is None and tickets_mod.ticket_messages(storage, old.id) == []
    assert chat.tickets.get(recent.id) is not None
    # and with a controllable "now", the recent one goes too once it is old enough
    assert chat.tickets.purge_expired(now=time.time() + (app.config.retention_days + 1) * 86400) == 1
    assert chat.tickets.get(recent.id) is None
    jobs = {job.id for job in app.scheduler.get_jobs()}
    assert {"tickets-retention", "tickets-auto-close"} <= jobs


def test_forget_me_after_confirmation(chat, storage):
    mine, _ = chat.open_ticket()
    theirs, _ = chat.open_ticket(question=SECOND, sender=OTHER,
                                 room="!dm-autre", q_id="$q6", yes_id="$yes6")
    [answer] = chat.say("Comment inviter un collègue dans Pix Orga ?")
    answer_id = next(eid for eid, r in chat.sent.items() if r is answer)
    chat.brain.handle(Incoming(sender=STAFF, room=DM, text="👍", reaction_to=answer_id, event_id="$r1"))
    assert len(storage.feedback()) == 1
    [confirm] = chat.say("oublier mes données")
    assert "1 question" in confirm.text and "1 avis" in confirm.text
    [cancelled] = chat.say("non")
    assert cancelled.text == strings.FORGET_CANCELLED and chat.tickets.get(mine.id) is not None
    chat.say("oublier mes données")
    replies = chat.say("oui")
    assert "supprimés" in to_room(replies, DM)[0].text
    assert chat.tickets.get(mine.id) is None and storage.feedback() == []
    assert chat.tickets.get(theirs.id) is not None  # someone else's stays
    [notice] = to_room(replies, CORR)
    assert f"n° {mine.id}" in notice.text
    assert storage.db.execute("SELECT COUNT(*) FROM bot_messages WHERE asker = ?", (STAFF,)).fetchone()[0] == 0


def test_forgetting_a_person_leaves_no_trace_in_any_table_or_file(app, storage, sample_sources):
    """#14 item 8: tickets, their messages, feedback, conversations, the outbox (payloads quote
    the question), news subscriptions, and the learned FAQ entry that copied the question."""
    from bot.features import news as news_mod

    faq, _ = sample_sources
    app.config.news.topics = {"certif": ["certification"]}
    news_mod.install(app)
    chat = Chat(app)
    ticket, _ = chat.open_ticket()
    chat.corr(ticket, ANSWER)
    chat.corr(ticket, "faq")  # the learned entry's question is the asker's own words
    assert UNANSWERABLE in (faq / "appris.yaml").read_text(encoding="utf-8")
    theirs, _ = chat.open_ticket(question=SECOND, sender=OTHER, room="!dm-autre", q_id="$q7", yes_id="$yes7")
    [answer] = chat.say("Comment inviter un collègue dans Pix Orga ?")
    answer_id = next(eid for eid, r in chat.sent.items() if r is answer)
    chat.brain.handle(Incoming(sender=STAFF, room=DM, text="👍", reaction_to=answer_id, event_id="$r9"))
    chat.say("abonner certif")  # a personal subscription (direct chat)
    [made] = chat.say("!pix abonner certif", room="!groupe", direct=False, moderator=True)  # a room's, made by them
    assert "Ce salon reçoit" in made.text
    app.engine.params.answer_threshold = 1.5
    chat.say("campagne", room="!groupe2", direct=False)  # a pending choice, in a room where it was not addressed
    chat.say("!pix code campagne")  # a pending choice
    held = dict((label, n) for label, n in chat.brain.privacy.held_about(STAFF))
    assert held[strings.FORGET_TICKETS] == 1 and held[strings.FORGET_FEEDBACK] == 1
    assert held[strings.FORGET_SUBSCRIPTIONS] == 1

    [confirm] = chat.say("oublier mes données")
    assert "1 question(s) transmise(s)" in confirm.text and "1 abonnement(s)" in confirm.text
    replies = chat.say("oui")
    assert "C'est fait" in to_room(replies, DM)[0].text

    def traces(needle: str) -> list[str]:
        found = []
        tables = [r[0] for r in storage.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for row in storage.db.execute(f"SELECT * FROM {table}"):
                if any(needle in str(value) for value in tuple(row)):
                    found.append(f"{table}: {tuple(row)}")
        return found

    # the only thing left is the confirmation just sent to them (the outbox of this test's adapter)
    assert [t for t in traces(STAFF) if "C'est fait" not in t] == []
    assert traces(UNANSWERABLE) == []
    assert UNANSWERABLE not in (faq / "appris.yaml").read_text(encoding="utf-8")
    assert app.engine.ask(UNANSWERABLE).decision == "none"  # the index no longer has the learned entry
    # someone else's records stay
    assert chat.tickets.get(theirs.id) is not None and traces(OTHER)
    [subscription] = app.news.subscribers()
    assert subscription["room"] == "!groupe" and subscription["created_by"] is None


# -- crash safety ---------------------------------------------------------------------------------
def test_ticket_created_without_adapter_is_announced_once_when_one_connects(chat):
    chat.brain.outlet = None  # no adapter connected when the ticket is created
    ticket, replies = chat.open_ticket()
    assert to_room(replies, CORR) == [] and chat.tickets.get(ticket.id).announce_pending == 1
    chat.brain.outlet = chat.outlet
    assert chat.tickets.deliver_pending() == 1
    [announce] = chat.emitted
    assert announce.room == CORR and f"Ticket n° {ticket.id}" in announce.text
    assert chat.tickets.deliver_pending() == 0
    chat.emitted.clear()
    replies = chat.say("Comment inviter un collègue dans Pix Orga ?")  # each message also tries delivery
    assert to_room(replies, CORR) == []


def test_pending_announcement_is_delivered_by_the_next_message(chat):
    chat.brain.outlet = None
    ticket, _ = chat.open_ticket()
    chat.brain.outlet = chat.outlet
    replies = chat.say("Comment inviter un collègue dans Pix Orga ?")
    [announce] = to_room(replies, CORR)
    assert f"Ticket n° {ticket.id}" in announce.text
    assert chat.tickets.get(ticket.id).corr_thread is not None  # the sent hook saw its event id
    assert to_room(chat.say("Comment inviter un collègue dans Pix Orga ?"), CORR) == []


def _outbox(storage, room):
    return storage.db.execute("SELECT COUNT(*) FROM outbox WHERE room = ?", (room,)).fetchone()[0]


def _restart(chat, tmp_path) -> Chat:
    """What a restart after a kill finds: a new process, a new connection to the same file
    (only what was committed survives)."""
    storage = Storage(tmp_path / "state.sqlite")
    return Chat(App(chat.app.config, chat.app.engine, storage, features=[tickets_mod.install]))


def killed(*args, **kwargs):
    raise SystemExit("killed")  # not an Exception: nothing in the bot catches it, like a kill


def test_killed_before_the_event_is_claimed_nothing_was_committed(chat, storage, tmp_path, monkeypatch):
    """Killed after the ticket and its announcement were written but before the « oui » event
    was claimed: nothing of it committed; at restart the event comes again and is handled once."""
    chat.say(UNANSWERABLE, event_id="$qc", name="Paul Prof")
    monkeypatch.setattr(storage, "claim_event", killed)
    with pytest.raises(SystemExit):
        chat.brain.handle(Incoming(sender=STAFF, room=DM, text="oui", event_id="$yc", thread="$qc"))
    assert chat.emitted == []  # nothing handed to the sender: the transaction never committed

    after = _restart(chat, tmp_path)
    assert after.app.storage.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0
    assert _outbox(after.app.storage, CORR) == 0
    again = after.say("oui", event_id="$yc", thread="$qc")
    [told] = to_room(again, DM)
    assert "transmise" in told.text and len(to_room(again, CORR)) == 1
    assert _outbox(after.app.storage, CORR) == 1
    assert after.app.storage.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 1
    assert after.brain.handle(Incoming(sender=STAFF, room=DM, text="oui", event_id="$yc", thread="$qc")) == []


@pytest.mark.parametrize("case", ["offer", "suggestion", "forget"])
def test_an_answer_is_never_consumed_without_its_effect(chat, storage, tmp_path, monkeypatch, case):
    """#14 item 5: killed between consuming a conversation state (the hand-over offer, a list of
    suggestions, the « oublier mes données » confirmation) and writing its effect, the bot
    restarts with the state still there, and the same answer, delivered again, is handled."""
    if case == "offer":
        chat.say(UNANSWERABLE, event_id="$q5")
        answer = "oui"
        monkeypatch.setattr(chat.tickets, "clock", killed)  # the ticket was about to be written
    elif case == "suggestion":
        chat.app.engine.params.answer_threshold = 1.5  # this question gets suggestions
        [suggest] = chat.say("Comment inviter un collègue dans Pix Orga ?", event_id="$q5")
        assert suggest.kind == "suggest"
        answer = "1"
        monkeypatch.setattr(chat.brain, "_answer_reply", killed)  # the chosen answer was about to be written
    else:
        chat.say("oublier mes données", event_id="$q5")
        answer = "oui"
        monkeypatch.setattr(chat.brain.privacy, "forget_person", killed)  # the deletion was about to run
    with pytest.raises(SystemExit):
        chat.brain.handle(Incoming(sender=STAFF, room=DM, text=answer, event_id="$a5", thread="$q5", is_direct=True))

    after = _restart(chat, tmp_path)
    state, _ = after.app.storage.get_state(DM, STAFF)
    assert state is not None and state["type"] == {"offer": "offer", "suggestion": "suggest", "forget": "forget"}[case]
    replies = after.say(answer, event_id="$a5", thread="$q5")
    [reply] = to_room(replies, DM)
    if case == "offer":
        assert "transmise" in reply.text and len(to_room(replies, CORR)) == 1
    elif case == "suggestion":
        assert reply.kind == "answer"
    else:
        assert reply.text.startswith("C'est fait")
    assert after.app.storage.get_state(DM, STAFF) == (None, None)


def test_announcement_rolls_back_with_the_ticket(chat, storage):
    """If recording the announcement fails, the ticket is not half-created."""
    chat.say(UNANSWERABLE, event_id="$qr")

    def broken(replies):
        raise RuntimeError("outbox unavailable")

    chat.brain.outlet = broken
    [error] = chat.say("oui", thread="$qr", event_id="$yr")
    assert error.kind == "error"
    assert storage.db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0


# -- command line ---------------------------------------------------------------------------------
def test_pixbot_tickets_lists_and_shows(tmp_path, sample_sources, sample_engine):
    faq, docs = sample_sources
    work = tmp_path / "cli"
    work.mkdir()
    (work / "config.yaml").write_text(
        f"data_dir: {work / 'data'}\nsources:\n  faq_dir: {faq}\n  docs_dir: {docs}\n", encoding="utf-8")
    storage = Storage(work / "data" / "pixbot.sqlite")
    try:
        config = sample_engine.config
        config.matrix.correspondents_room = None  # the terminal: no correspondents' room
        config.correspondents = [ADMIN]
        app = App(config, sample_engine, storage, features=[tickets_mod.install])
        chat = Chat(app)
        ticket, _ = chat.open_ticket()
        chat.say(f"note {ticket.id} rappeler le service logistique", sender=ADMIN)
    finally:
        storage.close()

    def pixbot(*args):
        return subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(work / "config.yaml"), *args],
                              cwd=work, text=True, capture_output=True, timeout=120,
                              env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})

    listing = pixbot("tickets")
    assert listing.returncode == 0, listing.stderr
    assert "Où se gare-t-on" in listing.stdout and "ouvert" in listing.stdout and "Paul Prof" in listing.stdout
    shown = pixbot("tickets", "show", str(ticket.id))
    assert shown.returncode == 0, shown.stderr
    assert "rappeler le service logistique" in shown.stdout and "note interne" in shown.stdout
    missing = pixbot("tickets", "show", "999")
    assert missing.returncode == 1 and "introuvable" in missing.stderr


def test_dates_in_listings_are_in_the_configured_time_zone(chat, app):
    import datetime as dt
    from zoneinfo import ZoneInfo

    app.config.timezone = "Pacific/Auckland"  # 11 to 13 hours from the machine's UTC
    ticket, _ = chat.open_ticket()
    local = dt.datetime.fromtimestamp(ticket.created_at, ZoneInfo("Pacific/Auckland")).strftime("%d/%m/%Y %H:%M")
    utc = dt.datetime.fromtimestamp(ticket.created_at, dt.timezone.utc).strftime("%d/%m/%Y %H:%M")
    [mine] = chat.say("mes questions")
    [listing] = chat.say("tickets", sender=ADMIN, room="!dm-corr")
    for text in (mine.text, listing.text):
        assert local in text and utc not in text
