import json

import pytest

from bot.core import strings
from bot.core.brain import Brain, Incoming
from bot.core.messages import MAX_QUESTION_CHARS, MAX_REPLY_BYTES
from bot.answers.lexical import MAX_CORRECTIONS, LexicalIndex

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
    sample_engine.params.suggest_threshold = 0.0  # every result is worth offering: always three choices
    [reply] = say(brain, "surveillant mot de passe session", event_id="$q4")
    brain.sent(reply, "$bot1")
    choices = reply.payload["choices"]
    assert len(choices) == 3 and choices[0] == "session-password"
    assert reply.reactions == ["1️⃣", "2️⃣", "3️⃣"]
    [picked] = brain.handle(Incoming(sender=STAFF, room="!dm", text="2️⃣", reaction_to="$bot1", event_id="$r1"))
    assert picked.kind == "answer" and picked.payload["item"] == choices[1]
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
    assert reply.kind == "help"
    assert "bidule" in reply.text and "`aide`" in reply.text


def test_prefix_alone_gives_the_help(brain):
    [reply] = say(brain, "!pix")
    assert reply.kind == "help" and "`aide`" in reply.text


def test_a_question_after_the_prefix_is_answered(brain):
    [reply] = say(brain, "!pix comment ajouter un collègue dans pix orga ?")
    assert reply.kind == "answer" and reply.payload["item"] == "orga-invite"
    assert reply.payload["question"] == "comment ajouter un collègue dans pix orga ?"  # without the prefix
    [in_group] = brain.handle(Incoming(sender=STAFF, room="!group", is_direct=False,
                                       text="!pix comment inviter un collègue dans Pix Orga ?"))
    assert in_group.kind == "answer" and in_group.payload["item"] == "orga-invite"


def test_prefixed_choice_number_picks_the_suggestion_in_a_group_room(brain, sample_engine):
    sample_engine.params.answer_threshold = 1.5
    sample_engine.params.suggest_threshold = 0.0
    group = {"room": "!group", "is_direct": False}
    [offer] = brain.handle(Incoming(sender=STAFF, text="!pix code campagne étudiants", event_id="$g1", **group))
    assert offer.kind == "suggest" and len(offer.payload["choices"]) == 3
    [picked] = brain.handle(Incoming(sender=STAFF, text="!pix 2", event_id="$g2", **group))
    assert picked.kind == "answer" and picked.payload["item"] == offer.payload["choices"][1]


def _unknown_words(count: int) -> str:
    """Distinct made-up words of six letters, unknown to any corpus (typo correction candidates)."""
    letters = "bcdfghjklmnpqrstvwxz"
    return " ".join("zq" + "".join(letters[(i // 20 ** k) % 20] for k in range(4)) for i in range(count))


def test_an_oversized_question_is_read_up_to_the_cap_and_the_asker_is_told(brain, sample_engine, monkeypatch):
    question = "Comment inviter un collègue dans Pix Orga ? " + _unknown_words(9500)
    assert len(question) > 64_000
    asked, corrected = [], []
    ask, correct = sample_engine.ask, LexicalIndex.correct
    monkeypatch.setattr(sample_engine, "ask", lambda q, *a, **k: asked.append(q) or ask(q, *a, **k))
    monkeypatch.setattr(LexicalIndex, "correct", lambda self, w: corrected.append(w) or correct(self, w))
    [reply] = say(brain, question, event_id="$big")
    assert asked == [question[:MAX_QUESTION_CHARS]]  # the question was searched, on its beginning
    assert reply.text.startswith(strings.QUESTION_TOO_LONG.format(limit="2\u202f000") + "\n\n")
    assert 0 < len(corrected) <= MAX_CORRECTIONS  # typo correction stays bounded


@pytest.mark.parametrize("word", ["x" * 60_000, "<" * 60_000, "é" * 60_000, "😀" * 60_000])
def test_a_reply_echoing_a_huge_word_is_cut_to_a_safe_size(brain, word):
    from bot.adapters.matrix import reply_content

    @brain.command("répéter", "répète le texte donné", takes_args=True)
    def _echo(msg, args):
        return [brain.reply(msg, "Vous avez écrit : " + args)]

    [reply] = say(brain, "!pix répéter " + word)
    assert reply.text.startswith("Vous avez écrit : " + word[:1000]) and reply.text.endswith("…")
    assert len(json.dumps(reply.text)) - 2 <= MAX_REPLY_BYTES  # as the Matrix client encodes it
    content = reply_content(reply, threads=True)
    assert content["body"] == reply.text
    html = content["formatted_body"]
    assert len(json.dumps(html)) - 2 <= MAX_REPLY_BYTES
    assert html.startswith("<p>Vous avez écrit : ") and html.endswith("…</p>")
    assert len(json.dumps(content).encode()) < 65_536 // 2  # room to spare, even once encrypted


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

    from bot.core.app import App
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
