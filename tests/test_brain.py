import pytest

from bot.brain import Brain, Incoming

ADMIN = "@corr:univ.fr"
STAFF = "@prof:univ.fr"


@pytest.fixture
def brain(sample_engine, storage):
    return Brain(sample_engine, storage, correspondents=[ADMIN])


def say(brain, text, sender=STAFF, event_id=None, **kw):
    return brain.handle(Incoming(sender=sender, room="!dm", text=text, event_id=event_id, **kw))


def test_question_gets_answer_with_source_in_a_thread_and_feedback_reactions(brain):
    [reply] = say(brain, "Comment inviter un collègue dans Pix Orga ?", event_id="$q1")
    assert reply.kind == "answer"
    assert "administrateur" in reply.text
    assert "Source : https://orga.pix.fr/" in reply.text
    assert reply.thread == "$q1"
    assert reply.reactions == ["👍", "👎"]
    assert reply.payload["item"] == "orga-invite"


def test_suggestions_then_pick_by_number_returns_that_entry_without_new_search(brain, sample_engine, monkeypatch):
    sample_engine.params.answer_threshold = 1.5  # force the suggestion path for this test
    [reply] = say(brain, "code campagne étudiants", event_id="$q2")
    assert reply.kind == "suggest"
    choices = reply.payload["choices"]
    assert choices[0] == "campaign-code" and 1 <= len(choices) <= 3
    assert "1. Où trouver le code d'une campagne ?" in reply.text
    calls = []
    monkeypatch.setattr(sample_engine, "ask", lambda *a, **k: calls.append(a))
    [picked] = say(brain, "1", event_id="$q3")
    assert calls == []  # no new search
    assert picked.kind == "answer" and picked.payload["item"] == "campaign-code"
    assert picked.thread == "$q2"


def test_suggestion_picked_by_reaction(brain, sample_engine):
    sample_engine.params.answer_threshold = 1.5
    [reply] = say(brain, "surveillant mot de passe session", event_id="$q4")
    brain.sent(reply, "$bot1")
    second = reply.payload["choices"][1] if len(reply.payload["choices"]) > 1 else reply.payload["choices"][0]
    key = "2️⃣" if len(reply.payload["choices"]) > 1 else "1️⃣"
    [picked] = brain.handle(Incoming(sender=STAFF, room="!dm", text=key, reaction_to="$bot1", event_id="$r1"))
    assert picked.payload["item"] == second
    # a reaction from someone else on that suggestion is ignored
    assert brain.handle(Incoming(sender="@other:univ.fr", room="!dm", text="1️⃣", reaction_to="$bot1",
                                 event_id="$r2")) == []


def test_thumbs_reaction_records_feedback(brain, storage):
    [reply] = say(brain, "Comment inviter un collègue dans Pix Orga ?", event_id="$q5")
    brain.sent(reply, "$bot2")
    assert brain.handle(Incoming(sender=STAFF, room="!dm", text="👎", reaction_to="$bot2", event_id="$r3")) == []
    [row] = storage.feedback()
    assert row["value"] == -1 and row["item_id"] == "orga-invite" and row["sender"] == STAFF


def test_no_answer_says_so_plainly(brain):
    [reply] = say(brain, "Où se gare-t-on sur le campus le samedi ?", event_id="$q6")
    assert reply.kind == "none"
    assert "pas trouvé" in reply.text


def test_same_event_is_never_answered_twice(brain):
    assert len(say(brain, "Comment inviter un collègue dans Pix Orga ?", event_id="$dup")) == 1
    assert say(brain, "Comment inviter un collègue dans Pix Orga ?", event_id="$dup") == []


def test_help_lists_commands_and_hides_admin_ones_from_staff(brain):
    [staff_help] = say(brain, "aide")
    assert "`aide`" in staff_help.text and "`statut`" not in staff_help.text
    [admin_help] = say(brain, "aide", sender=ADMIN)
    assert "`statut`" in admin_help.text and "`recharger`" in admin_help.text


def test_unknown_prefixed_command_gets_the_help(brain):
    [reply] = say(brain, "!pix bidule")
    assert "bidule" in reply.text and "`aide`" in reply.text


def test_admin_commands_are_refused_to_staff_and_work_for_correspondents(brain):
    [refused] = say(brain, "statut")
    assert refused.kind == "error" and "réservée" in refused.text
    [status] = say(brain, "statut", sender=ADMIN)
    assert "Index" in status.text and "entrées de FAQ" in status.text
    [reloaded] = say(brain, "recharger", sender=ADMIN)
    assert "rechargé" in reloaded.text


def test_a_question_starting_with_a_command_word_is_still_a_question(brain):
    [reply] = say(brain, "aide moi à inviter un collègue dans Pix Orga")
    assert reply.kind in ("answer", "suggest")


def test_group_room_needs_a_mention_or_the_prefix(brain):
    q = "Comment inviter un collègue dans Pix Orga ?"
    assert brain.handle(Incoming(sender=STAFF, room="!group", text=q, is_direct=False)) == []
    [mentioned] = brain.handle(Incoming(sender=STAFF, room="!group", text=q, is_direct=False, addressed=True))
    assert mentioned.kind == "answer"
    [prefixed] = brain.handle(Incoming(sender=STAFF, room="!group", text="!pix aide", is_direct=False))
    assert prefixed.kind == "help"


def test_reload_refusal_keeps_index_and_reports_the_file(brain, sample_sources):
    faq, _ = sample_sources
    (faq / "broken.yaml").write_text("- id: x\n  answer: R.\n", encoding="utf-8")
    [reply] = say(brain, "recharger", sender=ADMIN)
    assert "broken.yaml" in reply.text and "refusé" in reply.text
    [answer] = say(brain, "Comment inviter un collègue dans Pix Orga ?")
    assert answer.kind == "answer"


def test_retention_deletes_old_feedback_and_state(brain, storage):
    import time

    from bot.app import App
    from pixbot_testing import make_config

    [reply] = say(brain, "Comment inviter un collègue dans Pix Orga ?", event_id="$old")
    brain.sent(reply, "$bot-old")
    brain.handle(Incoming(sender=STAFF, room="!dm", text="👍", reaction_to="$bot-old", event_id="$r-old"))
    assert len(storage.feedback()) == 1
    storage.db.execute("UPDATE feedback SET created_at = ?", (time.time() - 400 * 86400,))
    storage.db.execute("UPDATE bot_messages SET created_at = ?", (time.time() - 400 * 86400,))
    app = App(make_config(storage.path.parent, brain.engine.faq_dir, None), brain.engine, storage, features=[])
    assert app.purge() >= 2
    assert storage.feedback() == []
    assert storage.bot_message("$bot-old") is None
