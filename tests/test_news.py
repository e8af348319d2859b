"""Pix news: real feeds over loopback HTTP, subscriptions, rounds driven by a controllable clock
(and one real short cron), restart in the middle of a round, missed runs, announcements."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from bot.features import news as news_mod
from bot.core import strings
from bot.core.render import plain
from bot.core.app import App
from bot.core.brain import Incoming
from bot.core.config import load_config
from bot.adapters.matrix import render_html
from bot.core.storage import Storage
from news_server import NEWS_FIXTURES, FeedServer, oversized_feed
from pixbot_testing import Clock, Crash, Outlet, PARIS, at

ADMIN = "@corr:univ.fr"
STAFF = "@prof:univ.fr"
OTHER = "@autre:univ.fr"
TOPICS = {
    "certif": ["certification", "certificat", "session", "surveillant"],
    "orga": ["pix orga", "campagne", "campagnes"],
    "pix+": ["pix+", "pix plus"],
    "enseignement supérieur": ["enseignement supérieur", "université", "universités"],
}


@pytest.fixture(scope="module")
def server():
    s = FeedServer().start()
    yield s
    s.stop()


def make_app(tmp_path, clock, feeds=(), connect=True, **news) -> App:
    config = load_config(None)
    config.base_dir = tmp_path
    config.data_dir = tmp_path / "data"
    config.database = tmp_path / "data" / "pixbot.sqlite"
    config.correspondents = [ADMIN]
    config.matrix.correspondents_room = "!corr"
    nc = config.news
    nc.feeds = list(feeds)
    nc.topics = TOPICS
    nc.fetch_timeout = 1.0
    nc.max_bytes = 50_000
    nc.announcements_dir = str(tmp_path / "annonces")
    for key, value in news.items():
        setattr(nc, key, value)
    app = App(config, None, Storage(config.database), features=[lambda a: news_mod.install(a, clock=clock)])
    if connect:
        app.brain.outlet = Outlet(app.storage)
    return app


def say(app, text, sender=STAFF, room=None, is_direct=True, **kw):
    room = room or f"!dm-{sender.split(':')[0][1:]}"
    return app.brain.handle(Incoming(sender=sender, room=room, text=text, is_direct=is_direct, **kw))


def titles(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("- ")]


@pytest.fixture
def clock():
    return Clock(at(2025, 6, 2, 7, 0))  # a Monday, before the 08:30 digests


@pytest.fixture
def feeds(server):
    return [server.serve("/rss.xml", "rss.xml"),
            server.serve("/atom.xml", "atom.xml", content_type="application/atom+xml")]


@pytest.fixture
def announcements(tmp_path):
    shutil.copytree(NEWS_FIXTURES / "annonces", tmp_path / "annonces")
    return tmp_path / "annonces"


# -- sources --------------------------------------------------------------------------------------
def test_parse_topic_args_understands_names_keywords_rhythm_and_unknown_words():
    known = {"certif": "certif", "certification": "certif", "orga": "orga", "pix+": "pix+",
             "enseignement superieur": "enseignement supérieur"}
    assert news_mod.parse_topic_args("certif, Enseignement Supérieur hebdo", known) == (
        ["certif", "enseignement supérieur"], "weekly", [], False)
    assert news_mod.parse_topic_args("pix+ et orga", known)[0] == ["pix+", "orga"]
    assert news_mod.parse_topic_args("aux thèmes certification", known)[:3] == (["certif"], None, [])
    assert news_mod.parse_topic_args("astronomie quotidien", known) == ([], "daily", ["astronomie"], False)
    assert news_mod.parse_topic_args("tous", known) == ([], None, [], True)


def test_feeds_and_folder_give_items_with_topics_from_categories_and_keywords(tmp_path, clock, feeds,
                                                                              announcements, caplog):
    app = make_app(tmp_path, clock, feeds)
    report = app.news.fetch_all()
    assert report[feeds[0]] == "ok" and report[feeds[1]] == "ok"
    assert "cassee.md" in caplog.text  # a file without a title is reported, the others load
    rows = {r["title"]: r for r in app.storage.db.execute("SELECT * FROM news_items")}
    topics = {t: json.loads(r["topics"]) for t, r in rows.items()}
    assert topics["Ouverture des sessions de juin"] == ["certif"]  # category "Certification" -> certif
    assert topics["Préparer les campagnes de rentrée"] == ["orga"]  # keyword in the summary
    assert topics["Webinaire de présentation"] == []
    assert set(topics["Pix+ Droit : nouvelle certification"]) == {"pix+", "certif"}  # category + keyword
    assert topics["Bilan de l'année dans les universités"] == ["enseignement supérieur"]
    assert topics["Réunion des correspondants Pix"] == ["enseignement supérieur"]  # front matter
    assert rows["Ouverture des sessions de juin"]["summary"] == (
        "Les centres peuvent programmer leurs sessions de juin dès maintenant.")  # HTML stripped
    assert rows["Annonce expirée"]["expires"] < clock()
    # same ids and hashes on the next fetch: nothing new, nothing duplicated
    app.news.fetch_all(force=True)
    assert app.storage.db.execute("SELECT COUNT(*), MAX(version) FROM news_items").fetchone()[:] == (7, 1)


def test_conditional_requests_send_etag_and_last_modified(tmp_path, clock, server):
    url = server.serve("/cond.xml", "rss.xml")
    app = make_app(tmp_path, clock, [url])
    assert app.news.fetch_all()[url] == "ok"
    assert app.news.fetch_all(force=True)[url] == "unchanged"  # 304 Not Modified
    first, second = server.hits("/cond.xml")
    assert "If-None-Match" not in first
    assert second["If-None-Match"].startswith('"') and second["If-Modified-Since"] == "Sun, 01 Jun 2025 08:00:00 GMT"
    assert app.storage.db.execute("SELECT COUNT(*) FROM news_items").fetchone()[0] == 3


def test_failing_sources_are_skipped_logged_backed_off_and_shown(tmp_path, clock, server, feeds, caplog):
    bad = {
        "malformed": server.serve("/malformed.xml", "malformed.xml"),
        "slow": server.serve("/slow.xml", "rss.xml", delay=3.0),
        "huge": server.serve("/huge.xml", body=oversized_feed(200_000)),
        "stream": server.serve("/huge-stream.xml", body=oversized_feed(200_000), send_length=False),
        "down": server.serve("/down.xml", "rss.xml", status=503),
    }
    app = make_app(tmp_path, clock, [feeds[0], *bad.values()])
    say(app, "abonner")
    started = time.monotonic()
    report = app.news.fetch_all()
    assert time.monotonic() - started < 2.5, "a slow source must not hold the others beyond its timeout"
    assert report[feeds[0]] == "ok"
    assert "RSS/Atom" in report[bad["malformed"]]
    assert "1 s" in report[bad["slow"]]
    assert "trop volumineux" in report[bad["huge"]] and "trop volumineux" in report[bad["stream"]]
    assert "503" in report[bad["down"]]
    for url in bad.values():
        assert f"news source {url} failed" in caplog.text
    state = {s["url"]: s for s in app.news.sources()}
    assert all(state[u]["failures"] == 1 and state[u]["next_retry"] > clock() for u in bad.values())
    server.requests.clear()
    clock.advance(minutes=10)
    assert set(app.news.fetch_all().values()) == {"unchanged", "skipped", "ok"}  # in backoff: not asked again
    assert server.hits("/malformed.xml") == [] and server.hits("/down.xml") == []
    # the digest goes out with the good source (the failing ones are retried and fail again)
    clock.set(at(2025, 6, 2, 8, 31))
    assert app.news.tick() == 1
    digest = app.brain.outlet.replies[0].text
    assert "Ouverture des sessions de juin" in digest
    state = {s["url"]: s for s in app.news.sources()}
    assert state[bad["down"]]["failures"] == 2
    assert state[bad["down"]]["next_retry"] - clock() == 60 * 60  # backoff doubled
    # correspondents see the state; staff may not
    text = plain(say(app, "actus sources", sender=ADMIN)[0].text)
    assert "❌" in text and "503" in text and "trop volumineux" in text and "✅ Actualités Pix (test)" in text
    assert say(app, "actus sources")[0].kind == "error"
    # once the source is healthy again its state resets
    server.serve("/down.xml", "rss.xml")
    clock.advance(hours=1)
    assert app.news.fetch_all()[bad["down"]] in ("ok", "unchanged")
    assert {s["url"]: s for s in app.news.sources()}[bad["down"]]["failures"] == 0


# -- subscriptions --------------------------------------------------------------------------------
def test_subscriptions_in_dm_and_rooms_with_permissions(tmp_path, clock, feeds):
    app = make_app(tmp_path, clock, feeds)
    app.news.fetch_all()
    [r] = say(app, "abonner certif, pix+ hebdo")
    assert "chaque semaine" in r.text and "certif, pix+" in r.text and "lundi à 08:30" in r.text
    sub = app.news.subscriber("user", STAFF)
    assert sub["room"] == "!dm-prof" and sub["topics"] == ["certif", "pix+"] and sub["rhythm"] == "weekly"
    say(app, "abonner orga quotidien")
    assert app.news.subscriber("user", STAFF)["topics"] == ["certif", "pix+", "orga"]
    assert "chaque jour" in say(app, "abonnements")[0].text
    [unknown] = say(app, "abonner astronomie")
    assert "« astronomie »" in plain(unknown.text) and "enseignement supérieur" in unknown.text
    assert "certif" not in say(app, "désabonner certif")[0].text.split("thèmes :")[1]
    assert say(app, "désabonner")[0].text == strings.NEWS_UNSUBSCRIBED
    assert app.news.subscriber("user", STAFF) is None
    # a group room: moderators and correspondents may subscribe it, others may not
    group = dict(room="!salon", is_direct=False, addressed=True)
    assert say(app, "abonner", **group)[0].text == strings.NEWS_ROOM_NOT_ALLOWED
    assert app.news.subscriber("room", "!salon") is None
    say(app, "abonner orga", sender=OTHER, sender_is_moderator=True, **group)
    assert app.news.subscriber("room", "!salon")["topics"] == ["orga"]
    say(app, "abonner certif", sender=ADMIN, **group)
    assert app.news.subscriber("room", "!salon")["topics"] == ["orga", "certif"]
    assert "Ce salon reçoit" in say(app, "abonnements", **group)[0].text
    assert "`abonner [thèmes] [hebdo]`" in say(app, "aide")[0].text


def test_actus_shows_the_latest_items_on_demand(tmp_path, clock, feeds):
    app = make_app(tmp_path, clock, feeds, latest_count=3)
    assert say(app, "actus")[0].text == strings.NEWS_LATEST_NONE
    app.news.fetch_all()
    [r] = say(app, "actus")
    lines = titles(plain(r.text))  # newest first, with their date
    assert len(lines) == 3 and lines[0].startswith("- 1 juin 2025 : [Pix+ Droit : nouvelle certification]")
    assert "Ouverture des sessions de juin" in lines[1]
    [certif] = say(app, "actus certif")
    assert [line.split("[")[1].split("]")[0] for line in titles(plain(certif.text))] == [
        "Pix+ Droit : nouvelle certification", "Ouverture des sessions de juin"]
    assert app.storage.db.execute("SELECT COUNT(*) FROM news_deliveries").fetchone()[0] == 0  # not a digest


# -- digests and rounds ---------------------------------------------------------------------------
def test_each_subscriber_gets_one_digest_with_their_topics(tmp_path, clock, feeds, announcements):
    app = make_app(tmp_path, clock, feeds)
    say(app, "abonner certif")
    say(app, "abonner orga", sender=OTHER)
    say(app, "abonner hebdo", sender=ADMIN)  # all topics, weekly (Monday)
    outlet = app.brain.outlet
    assert app.news.tick() == 0 and outlet.replies == []  # 07:00: nothing due yet
    clock.set(at(2025, 6, 2, 8, 30, 5))
    assert app.news.tick() == 3
    certif = plain(outlet.to("!dm-prof")[0].text)
    assert "Ouverture des sessions de juin" in certif and "Pix+ Droit" in certif
    assert "campagnes" not in certif and "Webinaire" not in certif
    assert "**Certif**" in certif and "[Ouverture des sessions de juin](https://pix.fr/actualites/sessions-juin)" in certif
    assert "Les centres peuvent programmer leurs sessions de juin dès maintenant." in certif  # one-line summary
    orga = plain(outlet.to("!dm-autre")[0].text)
    assert titles(orga) == ["- [Préparer les campagnes de rentrée](https://pix.fr/actualites/campagnes-rentree)"
                            " — Trois conseils pour créer vos campagnes dans Pix Orga avant septembre."]
    weekly = plain(outlet.to("!dm-corr")[0].text)
    assert weekly.startswith("**Actualités Pix de la semaine — 2 juin 2025**")
    assert len(titles(weekly)) == 6 and "Annonce expirée" not in weekly and "Réunion des correspondants" in weekly
    html_body = render_html(certif)  # what the Matrix adapter sends as formatted_body
    assert '<a href="https://pix.fr/actualites/sessions-juin">Ouverture des sessions de juin</a>' in html_body
    # the delivery records and the outbox rows were written together
    assert app.storage.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 3
    assert app.storage.db.execute("SELECT COUNT(*) FROM news_deliveries").fetchone()[0] == 2 + 1 + 6
    # the next day: nothing new, nothing sent
    clock.set(at(2025, 6, 3, 8, 31))
    assert app.news.tick() == 0 and len(outlet.replies) == 3


def test_nothing_new_notice_is_configurable(tmp_path, clock):
    app = make_app(tmp_path, clock, nothing_new_notice=True)
    say(app, "abonner")
    clock.set(at(2025, 6, 2, 8, 31))
    assert app.news.tick() == 1
    assert app.brain.outlet.replies[0].text == strings.NEWS_NOTHING_NEW
    clock.set(at(2025, 6, 2, 9, 0))
    assert app.news.tick() == 0  # once per round


def test_edited_item_is_sent_again_marked_updated_not_duplicated(tmp_path, clock, server):
    url = server.serve("/edited.xml", "edited_v1.xml")
    app = make_app(tmp_path, clock, [url])
    say(app, "abonner certif")
    clock.set(at(2025, 6, 2, 8, 31))
    app.news.tick()
    [first] = app.brain.outlet.replies
    assert "Calendrier des certifications 2025" in first.text and strings.NEWS_UPDATED not in first.text
    server.serve("/edited.xml", "edited_v2.xml")
    clock.set(at(2025, 6, 3, 8, 31))
    app.news.tick()
    [_, second] = app.brain.outlet.replies
    [line] = titles(plain(second.text))
    assert line.startswith(f"- *({strings.NEWS_UPDATED})* [Calendrier des certifications 2025 (dates corrigées)]")
    assert "du 2 au 27 juin" in line
    row = app.storage.db.execute("SELECT COUNT(*), MAX(version) FROM news_items").fetchone()
    assert tuple(row) == (1, 2)  # one item, second version
    clock.set(at(2025, 6, 4, 8, 31))
    assert app.news.tick() == 0 and len(app.brain.outlet.replies) == 2


def test_restart_in_the_middle_of_a_round_sends_nothing_twice(tmp_path, clock, feeds):
    app = make_app(tmp_path, clock, feeds)
    for user in (STAFF, OTHER, ADMIN):
        say(app, "abonner", sender=user)
    app.news.fetch_all()
    app.brain.outlet = Outlet(app.storage, crash_after=1)
    clock.set(at(2025, 6, 2, 8, 31))
    with pytest.raises(Crash):
        app.news.tick()  # the process dies after the first digest
    first = app.brain.outlet.replies
    assert len(first) == 1
    app.storage.close()

    again = make_app(tmp_path, clock, feeds)  # a new process on the same database
    clock.advance(minutes=2)
    assert again.news.tick() == 2
    rooms = [r.room for r in first + again.brain.outlet.replies]
    assert sorted(rooms) == ["!dm-autre", "!dm-corr", "!dm-prof"]  # each subscriber exactly once
    assert again.storage.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 3
    assert again.storage.db.execute("SELECT COUNT(*) FROM news_rounds WHERE completed_at IS NULL").fetchone()[0] == 0
    clock.advance(minutes=30)
    assert again.news.tick() == 0


def test_missed_run_goes_out_once_when_the_bot_returns(tmp_path, clock, feeds):
    app = make_app(tmp_path, clock, feeds)
    say(app, "abonner certif")
    app.storage.close()
    clock.set(at(2025, 6, 4, 11, 0))  # down from Monday 07:00 to Wednesday 11:00: three 08:30 runs missed
    back = make_app(tmp_path, clock, feeds, connect=False)
    assert back.news.tick() == 0  # no adapter connected yet: nothing is lost, it waits
    back.brain.outlet = Outlet(back.storage)
    assert back.news.tick() == 1  # coalesced: one digest
    assert back.news.tick() == 0
    [row] = back.storage.db.execute("SELECT scheduled_for FROM news_rounds WHERE rhythm = 'daily'").fetchall()
    assert row[0] == at(2025, 6, 4, 8, 30).timestamp()  # recorded as the latest missed run
    back.storage.close()
    again = make_app(tmp_path, clock, feeds)  # and a restart does not send it again
    assert again.news.tick() == 0


def test_jobs_use_cron_triggers_in_the_configured_timezone(tmp_path, clock):
    app = make_app(tmp_path, clock)
    daily, weekly = app.scheduler.get_job("news-daily"), app.scheduler.get_job("news-weekly")
    assert str(daily.trigger.timezone) == "Europe/Paris" and "hour='8', minute='30'" in str(daily.trigger)
    assert "day_of_week='mon'" in str(weekly.trigger)
    assert app.scheduler.get_job("news-fetch") and app.scheduler.get_job("news-poll")
    assert app.scheduler._job_defaults["coalesce"] is True and app.scheduler._job_defaults["misfire_grace_time"]


def test_a_real_short_cron_triggers_a_round(tmp_path, server, feeds):
    """The scheduler itself, with a cron every second standing for 08:30."""
    from apscheduler.triggers.cron import CronTrigger

    app = make_app(tmp_path, time.time, feeds, max_age_days=100_000)  # real clock, fixtures from 2025
    say(app, "abonner pix+")
    trigger = CronTrigger(second="*", timezone=PARIS)
    app.news.triggers["daily"] = trigger
    app.scheduler.reschedule_job("news-daily", trigger=trigger)
    for job in ("news-poll", "news-fetch"):
        app.scheduler.remove_job(job)
    app.start()
    try:
        for _ in range(100):
            if app.brain.outlet.replies:
                break
            time.sleep(0.05)
    finally:
        app.stop()
    [digest] = app.brain.outlet.replies
    assert "Pix+ Droit" in digest.text and digest.room == "!dm-prof"


# -- announcements --------------------------------------------------------------------------------
def test_announcement_preview_confirmation_broadcast_and_recall(tmp_path, clock, feeds):
    app = make_app(tmp_path, clock, feeds)
    app.news.fetch_all()
    say(app, "abonner certif")
    say(app, "abonner orga", sender=OTHER)
    say(app, "abonner", sender="@tous:univ.fr")
    outlet = app.brain.outlet
    assert say(app, "annonce certif : Les convocations partent demain.")[0].kind == "error"  # staff: refused
    [preview] = say(app, "annonce certif : Les convocations partent demain.", sender=ADMIN)
    assert "> Les convocations partent demain." in preview.text and "« envoyer »" in preview.text
    assert "certif (2 salon(s))" in preview.text and outlet.replies == []
    [sent] = say(app, "envoyer", sender=ADMIN)
    assert "Annonce n° 1" in sent.text and "rappeler 1" in sent.text
    assert sorted(r.room for r in outlet.replies) == ["!dm-prof", "!dm-tous"]
    assert all("Les convocations partent demain." in r.text for r in outlet.replies)
    assert say(app, "envoyer", sender=ADMIN)[0].kind != "info" or outlet.replies[2:] == []  # no draft left
    for i, r in enumerate(outlet.replies):  # the adapter reports the sent event ids
        app.brain.sent(r, f"$ann{i}")
    redacted = []
    app.brain.redactor = lambda room, event, reason: redacted.append((room, event))
    [recalled] = say(app, "rappeler 1", sender=ADMIN)
    assert "2 message(s)" in recalled.text
    assert sorted(redacted) == [("!dm-prof", "$ann0"), ("!dm-tous", "$ann1")]

    # to everyone: « envoyer » is not enough, « envoyer à tous » is
    [preview] = say(app, "annonce Attention : maintenance ce soir.", sender=ADMIN)
    assert "**tous les abonnés**" in preview.text and "« envoyer à tous »" in preview.text
    assert say(app, "envoyer", sender=ADMIN)[0].text == strings.NEWS_ANNOUNCE_NEED_ALL
    assert len(outlet.replies) == 2
    say(app, "envoyer à tous", sender=ADMIN)
    assert sorted(r.room for r in outlet.replies[2:]) == ["!dm-autre", "!dm-prof", "!dm-tous"]
    assert "Attention : maintenance ce soir." in outlet.replies[2].text
    # cancelled drafts send nothing
    say(app, "annonce orga : brouillon", sender=ADMIN)
    assert say(app, "annuler", sender=ADMIN)[0].text == strings.NEWS_ANNOUNCE_CANCELLED
    assert len(outlet.replies) == 5


def test_urgent_announcement_file_is_previewed_to_correspondents_then_sent(tmp_path, clock, announcements):
    (announcements / "urgent.md").write_text(
        "---\ntitle: Panne de la plateforme\ndate: 2025-06-02\ntopics: [certif]\nurgent: true\n---\n"
        "Les sessions de ce matin sont reportées.\n", encoding="utf-8")
    app = make_app(tmp_path, clock)
    say(app, "abonner certif")
    say(app, "abonner orga", sender=OTHER)
    app.news.fetch_all()
    app.news.tick()
    outlet = app.brain.outlet
    [preview] = outlet.replies
    assert preview.room == "!corr" and "Panne de la plateforme" in preview.text and "« envoyer »" in preview.text
    # a correspondent confirms in the correspondents' room, without addressing the bot
    [ok] = say(app, "envoyer", sender=ADMIN, room="!corr", is_direct=False)
    assert "1 salon(s)" in ok.text
    assert [r.room for r in outlet.replies[1:]] == ["!dm-prof"]
    assert "Les sessions de ce matin sont reportées." in outlet.replies[1].text
    app.news.tick()
    assert len(outlet.replies) == 2  # no second preview
    clock.set(at(2025, 6, 2, 8, 31))
    app.news.tick()  # the digest does not repeat what the announcement already said
    assert all("Panne" not in r.text for r in outlet.replies[2:])


# -- command line ---------------------------------------------------------------------------------
def test_cli_preview_and_send_now(tmp_path, server, feeds):
    (tmp_path / "config.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\nnews:\n  feeds: [{feeds[0]}]\n  announcements_dir: {tmp_path / 'none'}\n"
        "  max_age_days: 100000\n  topics:\n    certif: [certification]\n", encoding="utf-8")
    app = make_app(tmp_path, time.time, connect=False, max_age_days=100_000)  # same database as the config above
    say(app, "abonner certif")

    def pixbot(*args):
        return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=tmp_path, text=True,
                              capture_output=True, timeout=60)

    listing = pixbot("news", "preview")
    assert listing.returncode == 0 and STAFF in listing.stdout
    run = pixbot("news", "preview", "--subscriber", STAFF, "--fetch")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("**Actualités Pix") and "Ouverture des sessions de juin" in run.stdout
    assert "campagnes" not in run.stdout
    assert pixbot("news", "preview", "--subscriber", "@nobody:x").returncode == 1
    run = pixbot("news", "send-now")
    assert run.returncode == 0 and "Tournée d'actualités demandée" in run.stdout
    assert app.news.tick() == 0  # no adapter: the request waits
    app.brain.outlet = Outlet(app.storage)
    assert app.news.tick() == 1  # the running bot honours the request, once
    assert app.news.tick() == 0
    assert "Ouverture des sessions de juin" in app.brain.outlet.replies[0].text
    sources = pixbot("news", "sources")
    assert "✅ Actualités Pix (test)" in sources.stdout


def test_retention_forgets_deliveries_and_announcements_without_resending(tmp_path, clock, feeds):
    app = make_app(tmp_path, clock, feeds)
    app.config.retention_days = 10  # shorter than max_age_days (30): deliveries must outlive it
    say(app, "abonner certif")
    say(app, "annonce certif : Les convocations partent demain.", sender=ADMIN)
    say(app, "envoyer", sender=ADMIN)
    clock.set(at(2025, 6, 2, 8, 30, 5))
    assert app.news.tick() == 1
    db = app.storage.db
    count = lambda table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: E731
    delivered = count("news_deliveries")
    assert delivered > 0 and count("news_announcements") == 1

    clock.set(at(2025, 6, 20, 9, 0))  # past retention, inside the sending window: records kept
    assert app.news.purge_expired() == 1 and count("news_announcements") == 0
    assert count("news_deliveries") == delivered
    clock.set(at(2025, 6, 21, 8, 30, 5))
    assert app.news.tick() == 0 and len(app.brain.outlet.to("!dm-prof")) == 2  # nothing repeated

    clock.set(at(2025, 8, 1, 9, 0))  # past max_age_days + 1: nothing could be sent again
    assert app.news.purge_expired() >= delivered
    assert count("news_deliveries") == 0 and count("news_round_served") == 0
    assert "news-retention" in {job.id for job in app.scheduler.get_jobs()}
