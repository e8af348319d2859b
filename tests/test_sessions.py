"""Certification sessions and invigilators: the calendar files (Pix Certif's CSV, YAML) and their
errors, the atomic replacement, reminders driven by a controllable clock (exactly once, across a
crash), « ok » / « empêché », the finalisation reminder, the chat commands, forgetting, retention
and `pixbot sessions` in a real subprocess."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bot.core import strings
from bot.core.app import App
from bot.core.brain import Incoming
from bot.core.config import ConfigError, load_config
from bot.core.render import literal, plain
from bot.core.storage import Storage
from bot.features import sessions as sessions_mod
from bot.features.sessions import CalendarError
from pixbot_testing import PARIS, Clock, Crash, Outlet, at

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "@corr:univ.fr"
ALICE = "@alice:univ.fr"
BOB = "@bob:univ.fr"
CORR_ROOM = "!corr"
HEADER = ("Numéro de session préexistante;* Nom du site;* Nom de la salle;* Date de début (format: JJ/MM/AAAA);"
          "* Heure de début (heure locale format: HH:MM);* Surveillant(s);Observations (optionnel);"
          "* Nom de naissance;* Prénom;* Date de naissance (format: JJ/MM/AAAA);* Sexe (M ou F);"
          "Code INSEE de la commune de naissance;Code postal de la commune de naissance;"
          "Nom de la commune de naissance;* Pays de naissance;"
          "E-mail du destinataire des résultats (formateur, enseignant…);E-mail de convocation;Identifiant externe;"
          "Temps majoré ? (exemple format: 33%);* Tarification part Pix (Gratuite, Prépayée ou Payante);"
          "Code de prépaiement (si Tarification part Pix Prépayée)")


def make_app(tmp_path, clock, connect=True, **sessions) -> App:
    config = load_config(None)
    config.base_dir = tmp_path
    config.data_dir = tmp_path / "data"
    config.database = tmp_path / "data" / "pixbot.sqlite"
    config.docs_dir = ROOT / "knowledge"
    config.correspondents = [ADMIN]
    config.matrix.correspondents_room = CORR_ROOM
    config.matrix.allowed_servers = ["univ.fr"]
    for key, value in sessions.items():
        setattr(config.sessions, key, value)
    app = App(config, None, Storage(config.database), features=[lambda a: sessions_mod.install(a, clock=clock)])
    if connect:
        app.brain.outlet = Outlet(app.storage)
    return app


def say(app, text, sender=ALICE, room=None, is_direct=True, **kw):
    room = room or f"!dm-{sender.split(':')[0][1:]}"
    return app.brain.handle(Incoming(sender=sender, room=room, text=text, is_direct=is_direct,
                                     event_id=uuid.uuid4().hex, **kw))


def write(tmp_path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def calendar_yaml(*sessions: str) -> str:
    return "sessions:\n" + "".join(sessions)


def session_yaml(date="2025-06-12", time="09:00", site="Campus Nord", room="B204", people=(ALICE, BOB),
                 extra="") -> str:
    listed = ", ".join(f'"{p}"' for p in people)
    return (f"  - date: {date}\n    heure: \"{time}\"\n    site: {site}\n    salle: {room}\n"
            f"    candidats: 18\n    surveillants: [{listed}]\n{extra}")


@pytest.fixture
def clock():
    return Clock(at(2025, 6, 2, 8, 0))  # a Monday; sessions on Thursday 12 June 09:00


@pytest.fixture
def app(tmp_path, clock):
    a = make_app(tmp_path, clock)
    yield a
    a.storage.close()


def calendar(app) -> list[tuple]:
    return [(s["id"], s["day"], s["time"], s["site"], s["room"], [(i["person"], i["answer"]) for i in s["invigilators"]])
            for s in app.sessions.store.sessions()]


# -- reading the files ----------------------------------------------------------------------------
def test_pix_certif_csv_one_line_per_candidate_gives_one_session_with_its_count(app, tmp_path):
    path = write(tmp_path, "sessions.csv", "\ufeff" + HEADER + "\n"
                 f";Campus Nord;B204;12/06/2025;09:00;{ALICE}, marie@univ.fr;;Durand;Léa;02/03/2005;F;75056;;;FRANCE;;;;;"
                 "Gratuite;\n"
                 f";Campus Nord;B204;12/06/2025;09:00;{ALICE}, marie@univ.fr;;Martin;Hugo;11/07/2004;M;69123;;;FRANCE;;;;;"
                 "Gratuite;\n"
                 f"4567;Campus Sud;A12;13/06/2025;14:30;{BOB};;;;;;;;;;;;;;;\n")
    entries = app.sessions.read(path)
    assert [(e.key, e.day, e.time, e.site, e.room, e.candidates, e.pix_number) for e in entries] == [
        ("campus nord|b204|2025-06-12|09:00", "2025-06-12", "09:00", "Campus Nord", "B204", 2, None),
        ("pix:4567", "2025-06-13", "14:30", "Campus Sud", "A12", 0, "4567")]
    assert [(i.person, i.kind) for i in entries[0].invigilators] == [(ALICE, "matrix"), ("marie@univ.fr", "email")]
    assert entries[0].starts_at == at(2025, 6, 12, 9, 0).timestamp()


def test_the_shipped_examples_are_valid(tmp_path):
    clock = Clock(at(2026, 12, 1, 8, 0))
    app = make_app(tmp_path, clock)
    app.config.matrix.allowed_servers = ["univ-exemple.fr"]
    assert len(app.sessions.read(ROOT / "examples" / "sessions.yaml")) == 2
    assert len(app.sessions.read(ROOT / "examples" / "sessions.csv")) == 2


def problems(app, path) -> list[str]:
    with pytest.raises(CalendarError) as err:
        app.sessions.read(path)
    return [plain(str(p)) for p in err.value.problems]


def test_csv_with_commas_is_refused_naming_the_separator(app, tmp_path):
    path = write(tmp_path, "virgules.csv", HEADER.replace(";", ",") + "\n,Campus,B1,12/06/2025,09:00,@alice:univ.fr\n")
    assert problems(app, path) == [
        "virgules.csv, ligne 1, colonne 1 : séparateur incorrect : le modèle de Pix Certif sépare les colonnes par "
        "des points-virgules (« ; »), ce fichier semble utiliser « , »"]


def test_csv_missing_columns_are_each_named(app, tmp_path):
    header = HEADER.replace("* Nom de la salle;", "").replace("* Surveillant(s);", "")
    path = write(tmp_path, "colonnes.csv", header + "\n;Campus;12/06/2025;09:00;;\n")
    assert problems(app, path) == ["colonnes.csv, ligne 1 : colonne obligatoire absente : « * Nom de la salle »",
                                   "colonnes.csv, ligne 1 : colonne obligatoire absente : « * Surveillant(s) »"]


def test_csv_every_bad_cell_is_listed_with_its_line_and_column(app, tmp_path):
    path = write(tmp_path, "erreurs.csv", HEADER + "\n"
                 f";Campus;B1;31/02/2025;09:00;{ALICE};;;;;;;;;;;;;;;\n"  # no 31 February
                 f";Campus;B1;01/06/2025;09:00;{ALICE};;;;;;;;;;;;;;;\n"  # yesterday
                 ";Campus;B1;12/06/2025;9h75;Jean Dupont;;;;;;;;;;;;;;;\n"  # bad time and a name
                 f";Campus;B1;12/06/2025;10:00;@eve:ailleurs.org;;;;;;;;;;;;;;;\n"
                 f";;B1;12/06/2025;10:00;{ALICE};;;;;;;;;;;;;;;\n"
                 f"12a;Campus;B1;12/06/2025;11:00;{ALICE};;;;;;;;;;;;;;;\n")
    assert problems(app, path) == [
        "erreurs.csv, ligne 2, colonne 4 (* Date de début (format: JJ/MM/AAAA)) : date invalide « 31/02/2025 » "
        "(attendu JJ/MM/AAAA ou AAAA-MM-JJ)",
        "erreurs.csv, ligne 3, colonne 4 (* Date de début (format: JJ/MM/AAAA)) : la session du 01/06/2025 09:00 "
        "est déjà passée",
        "erreurs.csv, ligne 4, colonne 5 (* Heure de début (heure locale format: HH:MM)) : heure invalide « 9h75 » "
        "(attendu HH:MM)",
        "erreurs.csv, ligne 4, colonne 6 (* Surveillant(s)) : surveillant inconnu « Jean Dupont » : indiquez un "
        "identifiant Matrix (@nom:serveur) d'un serveur autorisé ou une adresse e-mail",
        "erreurs.csv, ligne 5, colonne 6 (* Surveillant(s)) : surveillant « @eve:ailleurs.org » : le serveur "
        "« ailleurs.org » n'est pas autorisé dans la configuration",
        "erreurs.csv, ligne 6, colonne 2 (* Nom du site) : valeur obligatoire manquante (* Nom du site)",
        "erreurs.csv, ligne 7, colonne 1 (Numéro de session préexistante) : numéro de session invalide « 12a » "
        "(attendu le numéro Pix Certif, en chiffres)"]


def test_csv_lines_of_one_session_must_agree(app, tmp_path):
    path = write(tmp_path, "desaccord.csv", HEADER + "\n"
                 f"77;Campus;B1;12/06/2025;09:00;{ALICE};;Durand;Léa;;;;;;;;;;;;\n"
                 f"77;Campus;B2;12/06/2025;09:00;{ALICE};;Martin;Hugo;;;;;;;;;;;;\n")
    assert problems(app, path) == [
        "desaccord.csv, ligne 3, colonne 3 (* Nom de la salle) : la session « 77 » apparaît déjà ligne 2 avec "
        "d'autres informations (* Nom de la salle)"]


def test_yaml_problems_name_their_line_and_column(app, tmp_path):
    path = write(tmp_path, "cal.yaml", calendar_yaml(
        session_yaml(),
        session_yaml(time="25:00"),
        session_yaml(date="2025-05-30", people=("bob",)),
        "  - date: 2025-06-20\n    heure: \"10:00\"\n    site: Campus\n    salle: C3\n    surveillant: [\"@a:univ.fr\"]\n",
        session_yaml(),
    ))
    assert problems(app, path) == [
        "cal.yaml, ligne 9, colonne 12 : heure invalide « 25:00 » (attendu HH:MM)",
        "cal.yaml, ligne 14, colonne 11 : la session du 30/05/2025 09:00 est déjà passée",
        "cal.yaml, ligne 19, colonne 20 : surveillant inconnu « bob » : indiquez un identifiant Matrix (@nom:serveur) "
        "d'un serveur autorisé ou une adresse e-mail",
        "cal.yaml, ligne 20, colonne 5 : valeur obligatoire manquante (surveillants)",
        "cal.yaml, ligne 24, colonne 5 : clé inconnue « surveillant » (clés possibles : date, heure, site, salle, "
        "candidats, numero, observations, surveillants)",
        "cal.yaml, ligne 25, colonne 5 : la session « Campus Nord, B204, 2025-06-12 09:00 » apparaît deux fois "
        "(déjà ligne 2)"]


def test_yaml_past_date_and_not_a_list(app, tmp_path):
    assert problems(app, write(tmp_path, "passe.yaml", calendar_yaml(session_yaml(date="01/06/2025")))) == [
        "passe.yaml, ligne 2, colonne 11 : la session du 01/06/2025 09:00 est déjà passée"]
    assert problems(app, write(tmp_path, "texte.yaml", "bonjour\n")) == [
        "texte.yaml, ligne 1, colonne 1 : il faut une liste de sessions (ou une clé « sessions » contenant la liste)"]
    assert problems(app, write(tmp_path, "cal.txt", "x")) == [
        "cal.txt, ligne 1 : format inconnu : il faut un fichier .csv (modèle Pix Certif) ou .yaml"]


# -- replacing the calendar -----------------------------------------------------------------------
def test_a_bad_file_leaves_the_previous_calendar(app, tmp_path):
    good = write(tmp_path, "bon.yaml", calendar_yaml(session_yaml()))
    app.sessions.import_file(good)
    before = calendar(app)
    bad = write(tmp_path, "mauvais.yaml", calendar_yaml(session_yaml(room="C1"), session_yaml(time="7h99")))
    with pytest.raises(CalendarError):
        app.sessions.import_file(bad)
    assert calendar(app) == before


def test_the_replacement_is_one_transaction(app, tmp_path):
    app.sessions.import_file(write(tmp_path, "bon.yaml", calendar_yaml(session_yaml())))
    before = calendar(app)
    # the database refuses the second session's invigilators midway through the replacement
    app.storage.db.execute("CREATE TEMP TRIGGER boom BEFORE INSERT ON sessions_invigilators"
                           " WHEN NEW.person = '@crash:univ.fr' BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    entries = app.sessions.read(write(tmp_path, "neuf.yaml", calendar_yaml(
        session_yaml(room="C1"), session_yaml(room="C2", people=("@crash:univ.fr",)))))
    with pytest.raises(Exception, match="disk full"):
        app.sessions.store.replace_upcoming(entries, app.sessions.clock())
    assert calendar(app) == before


def test_reimport_keeps_numbers_and_moves_or_removes_sessions(app, tmp_path):
    app.sessions.import_file(write(tmp_path, "v1.yaml", calendar_yaml(
        session_yaml(extra="    numero: 111\n"), session_yaml(room="C1"), session_yaml(room="C2"))))
    [(n1, *_), (n2, *_), (n3, *_)] = calendar(app)
    result, _ = app.sessions.import_file(write(tmp_path, "v2.yaml", calendar_yaml(
        session_yaml(date="2025-06-19", extra="    numero: 111\n"),  # moved (same Pix number)
        session_yaml(room="C1"),  # unchanged
        session_yaml(room="C9"))))  # C2 gone, C9 new
    assert (result.added, result.moved, result.removed, result.kept) == (1, 1, 1, 1)
    rows = calendar(app)
    assert [(r[0], r[1], r[4]) for r in rows] == [(n2, "2025-06-12", "C1"), (n3 + 1, "2025-06-12", "C9"),
                                                  (n1, "2025-06-19", "B204")]


def test_a_session_numbered_by_pix_since_the_last_import_stays_the_same_session(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "v1.yaml", calendar_yaml(session_yaml(people=(ALICE,)))))
    clock.set(at(2025, 6, 5, 9, 0))
    assert app.sessions.tick() == 1
    say(app, "ok", sender=ALICE)
    result, _ = app.sessions.import_file(write(tmp_path, "v2.yaml", calendar_yaml(
        session_yaml(people=(ALICE,), extra="    numero: 98765\n"))))
    assert (result.added, result.removed, result.kept) == (0, 0, 1)
    assert calendar(app)[0][0] == 1 and calendar(app)[0][5] == [(ALICE, "ok")]
    assert app.sessions.store.session(1)["pix_number"] == "98765"
    assert app.sessions.tick() == 0  # its reminder is not sent again


# -- reminders ------------------------------------------------------------------------------------
def dms(app, person) -> list[str]:
    return [plain(r.text) for r in app.brain.outlet.to(app.brain.platform.direct(person))]


def test_reminders_go_out_once_at_the_configured_times(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(
        session_yaml(people=(ALICE, "marie@univ.fr")))))
    clock.set(at(2025, 6, 5, 8, 59))
    assert app.sessions.tick() == 0  # J-7 is at 09:00
    clock.set(at(2025, 6, 5, 9, 0))
    assert app.sessions.tick() == 1
    [text] = dms(app, ALICE)
    assert "Rappel : vous surveillez une session de certification Pix dans 7 jours." in text
    assert "Session n° 1 : jeudi 12 juin 2025 à 09h00, Campus Nord, salle B204, 18 candidat(s)." in text
    for needed in ("matériel vérifié au moins 2 jours ouvrés avant", "mot de passe de session",
                   "administrateur Pix Certif", "code d'accès", "confirmation de présence", "PV d'incident",
                   "« Comment accéder à l'espace surveillant ? »", "« **ok** »", "« **empêché** »"):
        assert needed in text
    clock.set(at(2025, 6, 5, 9, 1))
    assert app.sessions.tick() == 0  # once
    clock.set(at(2025, 6, 11, 9, 0))
    assert app.sessions.tick() == 1
    assert "dans 7 jours" in dms(app, ALICE)[0] and "demain" in dms(app, ALICE)[1]
    clock.set(at(2025, 6, 11, 18, 0))
    assert app.sessions.tick() == 0
    assert dms(app, "marie@univ.fr") == []  # e-mail only: no DM
    assert [r.room for r in app.brain.outlet.replies] == [ALICE, ALICE]


def test_a_bot_down_at_reminder_time_sends_only_the_latest_reminder_late(tmp_path, clock):
    app = make_app(tmp_path, clock, connect=False)
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(people=(ALICE,)))))
    clock.set(at(2025, 6, 11, 12, 0))
    assert app.sessions.tick() == 0  # no adapter connected: nothing is lost, it waits
    app.brain.outlet = Outlet(app.storage)
    assert app.sessions.tick() == 1
    [text] = dms(app, ALICE)
    assert "demain" in text  # the 7-day reminder missed is not sent on top of it


def test_a_crash_while_sending_neither_doubles_nor_drops_a_reminder(tmp_path, clock):
    app = make_app(tmp_path, clock)
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(
        session_yaml(people=(ALICE, BOB, "@carol:univ.fr")))))
    app.brain.outlet = Outlet(app.storage, crash_after=1)
    clock.set(at(2025, 6, 5, 9, 0))
    with pytest.raises(Crash):
        app.sessions.tick()  # the process dies after the first reminder
    first = app.brain.outlet.replies
    app.storage.close()

    again = make_app(tmp_path, clock)  # a new process on the same database
    again.brain.outlet = Outlet(again.storage, crash_after_write=True)
    with pytest.raises(Crash):
        again.sessions.tick()  # dies between writing the outbox row and committing: rolled back
    assert again.storage.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1
    again.storage.close()

    third = make_app(tmp_path, clock)
    assert third.sessions.tick() == 2
    rooms = [r.room for r in first + third.brain.outlet.replies]
    assert sorted(rooms) == sorted([ALICE, BOB, "@carol:univ.fr"])  # each invigilator exactly once
    assert third.storage.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 3
    assert third.storage.db.execute("SELECT COUNT(*) FROM sessions_reminders").fetchone()[0] == 3
    assert third.sessions.tick() == 0


def test_a_moved_session_is_reminded_again_an_unchanged_one_never(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "v1.yaml", calendar_yaml(
        session_yaml(people=(ALICE,)), session_yaml(room="C1", people=(BOB,)))))
    clock.set(at(2025, 6, 5, 9, 0))
    assert app.sessions.tick() == 2
    say(app, "ok", sender=ALICE)
    app.sessions.import_file(write(tmp_path, "v2.yaml", calendar_yaml(
        session_yaml(date="2025-06-10", people=(ALICE,)),  # moved earlier: its 7-day reminder is due again
        session_yaml(room="C1", people=(BOB,)))))  # unchanged
    assert calendar(app)[0][5] == [(ALICE, None)]  # the answer was for the old date
    assert app.sessions.tick() == 1
    assert "mardi 10 juin 2025" in dms(app, ALICE)[1]
    assert len(dms(app, BOB)) == 1


def test_a_removed_session_cancels_its_reminders(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "v1.yaml", calendar_yaml(
        session_yaml(people=(ALICE,)), session_yaml(room="C1", people=(BOB,)))))
    app.sessions.import_file(write(tmp_path, "v2.yaml", calendar_yaml(session_yaml(people=(ALICE,)))))
    clock.set(at(2025, 6, 11, 9, 0))
    assert app.sessions.tick() == 1
    assert dms(app, BOB) == [] and len(dms(app, ALICE)) == 1


# -- answers --------------------------------------------------------------------------------------
def test_ok_and_empeche_are_recorded_and_the_correspondents_alerted(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(people=(ALICE, BOB)))))
    clock.set(at(2025, 6, 5, 9, 0))
    app.sessions.tick()
    [ack] = say(app, "OK !", sender=ALICE, room="!some-dm-room")
    assert ack.room == "!some-dm-room"
    assert plain(ack.text) == "Merci, c'est noté : vous surveillez la session n° 1 (jeudi 12 juin 2025 à 09h00). Bonne session !"
    mine, alert = say(app, "Empêchée", sender=BOB)
    assert "Le correspondant Pix est prévenu" in mine.text
    assert alert.room == CORR_ROOM
    assert plain(alert.text) == ("⛔ **Surveillant empêché** : @bob:univ.fr ne pourra pas surveiller la session n° 1 "
                                 "(jeudi 12 juin 2025 à 09h00, Campus Nord, salle B204).")
    assert calendar(app)[0][5] == [(ALICE, "ok"), (BOB, "empeche")]
    clock.set(at(2025, 6, 11, 9, 0))
    assert app.sessions.tick() == 1  # no more reminders for who cannot come
    assert len(dms(app, BOB)) == 1 and len(dms(app, ALICE)) == 2


def test_ok_with_a_number_and_ok_from_someone_else(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(
        session_yaml(people=(ALICE,)), session_yaml(room="C1", people=(ALICE,)))))
    [reply] = say(app, "ok 2", sender=ALICE)  # before any reminder, by number
    assert "session n° 2" in reply.text
    reply, alert = say(app, "empêché pour la session 1", sender=ALICE)
    assert "empêché pour la session n° 1" in reply.text and alert.room == CORR_ROOM
    assert calendar(app)[0][5] == [(ALICE, "empeche")] and calendar(app)[1][5] == [(ALICE, "ok")]
    [reply] = say(app, "ok 3", sender=ALICE)
    assert reply.text == strings.REMINDER_NOT_YOURS.format(number=3)
    # not an invigilator at all, or no reminder waiting for an answer: the message is not taken
    # (it goes on to the commands and the questions)
    intercept = app.sessions.intercept_answer
    assert intercept(Incoming(sender=BOB, room="!dm-bob", text="ok 2")) is None
    assert intercept(Incoming(sender=ALICE, room="!dm-alice", text="ok")) is None


def test_a_bare_ok_answers_whichever_came_last_the_reminder_or_the_bots_question(tmp_path):
    import datetime as dt
    import time as clock_time

    now = dt.datetime.fromtimestamp(clock_time.time(), PARIS).replace(microsecond=0)
    # the reminder came after the bot's last question in that chat: « ok » acknowledges it
    clock = Clock(now + dt.timedelta(hours=1))
    app = make_app(tmp_path / "a", clock)
    app.storage.set_state("!dm-alice", ALICE, {"type": "offer", "question": "Q", "guesses": []})
    day = (now + dt.timedelta(days=3)).date().isoformat()
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(date=day, people=(ALICE,)))))
    assert app.sessions.tick() == 1
    [ack] = say(app, "ok", sender=ALICE, room="!dm-alice")
    assert "vous surveillez la session n° 1" in plain(ack.text)
    app.storage.close()
    # the bot asked something after the reminder: « ok » is the answer to that question
    clock = Clock(now - dt.timedelta(days=1))
    app = make_app(tmp_path / "b", clock)
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(date=day, people=(ALICE,)))))
    assert app.sessions.tick() == 1
    app.storage.set_state("!dm-alice", ALICE, {"type": "offer", "question": "Q", "guesses": []})
    assert app.sessions.intercept_answer(Incoming(sender=ALICE, room="!dm-alice", text="ok")) is None
    assert calendar(app)[0][5] == [(ALICE, None)]
    app.storage.close()


def test_ok_in_a_group_room_is_not_an_answer(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(people=(ALICE,)))))
    clock.set(at(2025, 6, 5, 9, 0))
    app.sessions.tick()
    assert say(app, "ok", sender=ALICE, room="!group", is_direct=False) == []
    assert calendar(app)[0][5] == [(ALICE, None)]


# -- finalisation, commands -----------------------------------------------------------------------
def test_the_correspondents_are_reminded_to_finalise_once(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(people=("marie@univ.fr",)))))
    clock.set(at(2025, 6, 12, 11, 59))
    assert app.sessions.tick() == 0
    clock.set(at(2025, 6, 12, 12, 0))  # three hours after the start
    assert app.sessions.tick() == 1
    [reply] = app.brain.outlet.to(CORR_ROOM)
    assert plain(reply.text).startswith("📝 **Pensez à finaliser la session n° 1** (jeudi 12 juin 2025 à 09h00, "
                                        "Campus Nord, salle B204) dans Pix Certif")
    clock.set(at(2025, 6, 13, 12, 0))
    assert app.sessions.tick() == 0


def test_sessions_lists_answers_and_convocations_prints_the_template(app, tmp_path, clock):
    assert say(app, "sessions", sender=ADMIN)[0].text == strings.SESSIONS_NONE
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(
        session_yaml(people=(ALICE, BOB, "marie@univ.fr", "@dan:univ.fr"), extra="    numero: 4242\n"))))
    clock.set(at(2025, 6, 5, 9, 0))
    app.sessions.tick()
    say(app, "ok", sender=ALICE)
    say(app, "empêché", sender=BOB)
    [listing] = say(app, "sessions", sender=ADMIN, room=CORR_ROOM, is_direct=False, addressed=True)
    text = plain(listing.text)
    assert ("- **n° 1** · jeudi 12 juin 2025 à 09h00 · Campus Nord, salle B204 (18 candidat(s), session Pix 4242)\n"
            "  ✅ @alice:univ.fr · ⛔ @bob:univ.fr · ✉️ marie@univ.fr · ❓ @dan:univ.fr") in text
    assert strings.SESSIONS_LEGEND in text
    assert say(app, "sessions", sender=ALICE)[0].text == strings.NOT_ALLOWED
    [conv] = say(app, "convocations 1", sender=ADMIN)
    text = plain(conv.text)
    assert text.startswith("Texte de convocation pour la session n° 1 (jeudi 12 juin 2025 à 09h00)")
    assert "> Vous êtes convoqué(e) à une session de certification Pix le jeudi 12 juin 2025 à 09h00, Campus Nord, " \
           "salle B204." in text
    assert say(app, "convocations 9", sender=ADMIN)[0].text == strings.SESSIONS_UNKNOWN_NUMBER.format(number=9)
    assert "indiquez le numéro de la session" in say(app, "convocations demain", sender=ADMIN)[0].text


def test_the_convocation_template_comes_from_the_config(tmp_path, clock):
    app = make_app(tmp_path, clock, convocation_template="RDV {date} {heure} — {site} / {salle} — n° {numero}")
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(site="Site *gras*"))))
    [conv] = say(app, "convocation 1", sender=ADMIN)
    # the configured text is shown as written (its Markdown characters are not read as formatting)
    assert conv.text.endswith("> " + literal("RDV jeudi 12 juin 2025 09h00 — Site *gras* / B204 — n° 1"))


# -- privacy --------------------------------------------------------------------------------------
def test_forgetting_an_invigilator_removes_them_and_tells_the_correspondents(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(people=(ALICE, BOB)))))
    clock.set(at(2025, 6, 5, 9, 0))
    app.sessions.tick()
    say(app, "ok", sender=ALICE)
    held = dict(app.brain.privacy.held_about(ALICE))
    assert (held[strings.FORGET_SESSIONS], held[strings.FORGET_REMINDERS], held[strings.FORGET_ANSWERS]) == (1, 1, 1)
    notices = app.brain.privacy.forget_person(ALICE)
    assert [(n.room, n.text) for n in notices] == [(CORR_ROOM, strings.FORGET_NOTICE.format(numbers="1"))]
    assert dict(app.brain.privacy.held_about(ALICE)).get(strings.FORGET_SESSIONS) is None
    assert calendar(app)[0][5] == [(BOB, None)]
    assert app.storage.db.execute("SELECT COUNT(*) FROM sessions_reminders WHERE person = ?",
                                  (ALICE,)).fetchone()[0] == 0


def test_retention_deletes_old_sessions_with_their_reminders(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(people=(ALICE,)))))
    clock.set(at(2025, 6, 11, 9, 0))
    app.sessions.tick()
    clock.set(at(2025, 6, 12, 9, 0) + dt.timedelta(days=365, hours=-1))
    assert app.sessions.purge_expired() == 0
    clock.set(at(2025, 6, 12, 9, 0) + dt.timedelta(days=365, hours=1))
    assert app.sessions.purge_expired() == 1
    db = app.storage.db
    assert [db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("sessions_sessions", "sessions_invigilators", "sessions_reminders")] == [0, 0, 0]


def test_a_past_session_survives_a_reimport_until_retention(app, tmp_path, clock):
    app.sessions.import_file(write(tmp_path, "cal.yaml", calendar_yaml(session_yaml(people=(ALICE,)))))
    clock.set(at(2025, 6, 12, 10, 0))  # started an hour ago
    app.sessions.import_file(write(tmp_path, "next.yaml", calendar_yaml(session_yaml(date="2025-07-01"))))
    clock.set(at(2025, 6, 12, 12, 0))
    assert app.sessions.tick() == 1  # its finalisation reminder still comes
    assert [r[1] for r in calendar(app)] == ["2025-06-12", "2025-07-01"]


# -- configuration --------------------------------------------------------------------------------
@pytest.mark.parametrize("section, message", [
    ("reminder_days: 7", "sessions.reminder_days must be a list"),
    ("reminder_days: [7, -1]", "sessions.reminder_days must be a list"),
    ("reminder_time: '9h'", "sessions.reminder_time must be HH:MM"),
    ("convocation_template: 'Le {jour}'", "unknown field(s) jour"),
    ("guide_url: 'guide.pdf'", "sessions.guide_url must be an http(s) address"),
    ("rappels: 1", "unknown key(s) in sessions: rappels"),
])
def test_bad_sessions_config_is_refused(tmp_path, section, message):
    path = write(tmp_path, "config.yaml", f"sessions:\n  {section}\n")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_config(path)


def test_sessions_config_defaults_and_values(tmp_path):
    assert (load_config(None).sessions.reminder_days, load_config(None).sessions.reminder_time) == ([7, 1], "09:00")
    config = load_config(write(tmp_path, "config.yaml", "sessions:\n  reminder_days: [1, 14, 3]\n"
                                                        "  reminder_time: '08:15'\n  guide_url: https://intra.univ.fr/g\n"))
    assert (config.sessions.reminder_days, config.sessions.reminder_time, config.sessions.guide_url) == (
        [14, 3, 1], "08:15", "https://intra.univ.fr/g")


# -- pixbot sessions ------------------------------------------------------------------------------
def test_cli_import_refuses_a_bad_file_then_imports_and_lists(tmp_path):
    write(tmp_path, "config.yaml", "data_dir: data\nsources:\n  faq_dir: faq\n  docs_dir: docs\n"
                                   "matrix:\n  allowed_servers: [univ.fr]\n")
    (tmp_path / "faq").mkdir()
    (tmp_path / "docs").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def pixbot(*args):
        return subprocess.run([sys.executable, "-m", "bot.cli", "--config", "config.yaml", "sessions", *args],
                              cwd=tmp_path, text=True, capture_output=True, env=env, timeout=120)

    future = (dt.date.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    write(tmp_path, "bon.csv", HEADER + f"\n;Campus;B1;{future};09:00;{ALICE}, marie@univ.fr;;;;;;;;;;;;;;;\n")
    write(tmp_path, "mauvais.csv", HEADER + f"\n;Campus;B1;{future};09:00;Jean;;;;;;;;;;;;;;;\n"
                                            f";Campus;B2;01/01/2020;09:00;{ALICE};;;;;;;;;;;;;;;\n")
    done = pixbot("import", "bon.csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "Calendrier importé : 1 session(s) à venir (1 nouvelle(s), 0 déplacée(s), 0 retirée(s)). Rappels aux "
        "surveillants : 1 personne(s) avec un identifiant Matrix.",
        "Sans identifiant Matrix, pas de rappel pour : marie@univ.fr."]
    refused = pixbot("import", "mauvais.csv")
    assert refused.returncode == 1
    assert refused.stderr.splitlines()[-3:] == [
        "Calendrier refusé : 2 problème(s). Le calendrier précédent est conservé.",
        "  mauvais.csv, ligne 2, colonne 6 (* Surveillant(s)) : surveillant inconnu « Jean » : indiquez un identifiant "
        "Matrix (@nom:serveur) d'un serveur autorisé ou une adresse e-mail",
        "  mauvais.csv, ligne 3, colonne 4 (* Date de début (format: JJ/MM/AAAA)) : la session du 01/01/2020 09:00 "
        "est déjà passée"]
    listing = pixbot("list")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.splitlines() == ["n°\tdate\theure\tlieu\tcandidats\tsurveillants",
                                           f"1\t{future}\t09:00\tCampus, B1\t0\t❓ {ALICE}, ✉️ marie@univ.fr"]
