"""Certification sessions and their invigilators.

The parts:

- ``importer``: a calendar file (Pix Certif's mass-session CSV, or a simple YAML) -> checked
  ``SessionEntry``s, or every problem with its file, line and column;
- ``store``: the repository (the calendar, invigilators and their answers, reminders sent);
- this module: ``Sessions``, the feature of one app: importing (the upcoming calendar replaced in
  one transaction), the reminders (``tick``), the answers « ok » / « empêché », the chat
  commands ``sessions`` and ``convocations N``, retention and forgetting;
- ``cli``: ``pixbot sessions import FILE`` and ``pixbot sessions list``.

Reminders are decided from the database at each ``tick(now)`` (the scheduler calls it every
minute): for each invigilator with a Matrix id, the reminder of the latest offset due
(``sessions.reminder_days`` before, at ``sessions.reminder_time``) goes out with ``brain.emit``,
its record in the same transaction as its outbox row, so a crash or a restart never doubles nor
drops one. A reminder is keyed by the session's start: a session moved by an import is reminded
again for its new date, one left unchanged never twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
from pathlib import Path
from typing import Callable
from zoneinfo import ZoneInfo

from ...core import strings
from ...core.brain import Forgetter, Incoming, Reply
from ...core.render import literal
from ...answers.textnorm import fold_accents
from .importer import CalendarError, ImportProblem, read_calendar
from .store import EMAIL, OK, UNAVAILABLE, ImportResult, SessionEntry, SessionsStore

__all__ = ["CalendarError", "ImportProblem", "ImportResult", "SessionEntry", "Sessions", "install",
           "read_calendar"]

log = logging.getLogger(__name__)

TICK_SECONDS = 60
ANSWER = re.compile(r"(ok|oui ok|empeche|empechee|empeche\(e\)|je suis empeche|je suis empechee)"
                    r"(?:\s+(?:pour\s+)?(?:la\s+)?(?:session\s+)?(?:n[°o]?\s*)?(\d{1,6}))?")


class Sessions:
    def __init__(self, app, clock: Callable[[], float] | None = None):
        self.app = app
        self.config = app.config
        self.sc = app.config.sessions
        self.brain = app.brain
        self.clock = clock or time.time
        self.tz = ZoneInfo(app.config.timezone)
        self.store = SessionsStore(app.storage)
        self._lock = threading.Lock()
        self.guide_questions = self._guide_questions()

    def install(self) -> "Sessions":
        self.store.migrate()
        brain = self.brain

        @brain.command("sessions", strings.HELP_CMD_SESSIONS, admin=True,
                       aliases=("sessions de certification", "calendrier des sessions"))
        def _sessions(msg: Incoming, args: str) -> list[Reply]:
            return [brain.reply(msg, self.sessions_text())]

        @brain.command("convocations", strings.HELP_CMD_CONVOCATIONS, admin=True, takes_args=True,
                       aliases=("convocation",), usage="convocations N", parse=_session_number)
        def _convocations(msg: Incoming, number: int) -> list[Reply]:
            return [brain.reply(msg, self.convocation_text(number))]

        brain.add_interceptor(self.intercept_answer, priority=60)
        brain.forgetters.append(Forgetter(self.count_held, self.forget_person))
        sched = self.app.scheduler
        sched.add_job(self.tick, "interval", seconds=TICK_SECONDS, id="sessions-reminders",
                      next_run_time=dt.datetime.now(self.tz) + dt.timedelta(seconds=10), replace_existing=True)
        sched.add_job(self.purge_expired, "cron", hour=3, minute=29, id="sessions-retention", replace_existing=True)
        self.app.sessions = self
        return self

    # -- importing ------------------------------------------------------------------------------
    def read(self, path: Path, now: float | None = None) -> list[SessionEntry]:
        """The sessions of a calendar file, checked (``CalendarError`` lists every problem)."""
        mc = self.config.matrix
        own = mc.user_id.split(":", 1)[1] if mc.user_id and ":" in mc.user_id else None
        return read_calendar(path, self.clock() if now is None else now, self.tz, mc.allowed_servers,
                             mc.allowed_users, own)

    def import_file(self, path: Path, now: float | None = None) -> tuple[ImportResult, list[SessionEntry]]:
        """Read ``path`` and make it the calendar of upcoming sessions, in one transaction; on
        any problem nothing changes (``CalendarError``)."""
        now = self.clock() if now is None else now
        entries = self.read(path, now)
        return self.store.replace_upcoming(entries, now), entries

    # -- rendering ------------------------------------------------------------------------------
    def when(self, session: dict) -> str:
        return strings.session_when(dt.date.fromisoformat(session["day"]), session["time"])

    @staticmethod
    def place(session: dict) -> str:
        return strings.session_place(session["site"], session["room"])

    def sessions_text(self) -> str:
        upcoming = self.store.sessions(since=self.clock())
        if not upcoming:
            return strings.SESSIONS_NONE
        lines = []
        for s in upcoming:
            lines.append("- " + strings.session_line(s["id"], self.when(s), self.place(s), s["candidates"],
                                                     s["pix_number"]))
            people = [f"{_mark(i)} {literal(i['person'])}" for i in s["invigilators"]]
            lines.append("  " + (" · ".join(people) if people else strings.SESSIONS_NO_INVIGILATOR))
        return strings.sessions_list(lines)

    def convocation_text(self, number: int) -> str:
        s = self.store.session(number)
        if s is None or s["starts_at"] <= self.clock():
            return strings.SESSIONS_UNKNOWN_NUMBER.format(number=number)
        day = dt.date.fromisoformat(s["day"])
        fields = {"date": strings.french_day(day), "heure": s["time"].replace(":", "h"), "site": s["site"],
                  "salle": s["room"], "numero": s["pix_number"] or str(s["id"]),
                  "candidats": "" if s["candidates"] is None else str(s["candidates"])}
        text = self.sc.convocation_template.format_map(fields)
        return strings.CONVOCATION_INTRO.format(number=number, when=self.when(s)) + "\n\n" + \
            "\n".join("> " + line if line else ">" for line in literal(text).split("\n"))

    def reminder_for(self, session: dict, days: int) -> str:
        guide = strings.reminder_guide(self.sc.guide_url, self.guide_questions)
        return strings.reminder_text(days, session["id"], self.when(session), self.place(session),
                                     session["candidates"], guide)

    def _guide_questions(self) -> list[str]:
        """Questions the bundled invigilator guide answers (its headings that are questions)."""
        docs = self.config.docs_dir
        if docs is None:
            return []
        path = Path(docs) / self.sc.guide_file
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            log.warning("sessions: invigilator guide %s not found", path)
            return []
        heads = [m.group(1).strip() for m in re.finditer(r"^##\s+(.+)$", text, re.M)]
        return [h for h in heads if h.endswith("?")][:3]

    # -- reminders ------------------------------------------------------------------------------
    def due_at(self, day: str, days: int) -> float:
        hour, minute = (int(x) for x in self.sc.reminder_time.split(":"))
        when = dt.date.fromisoformat(day) - dt.timedelta(days=days)
        return dt.datetime.combine(when, dt.time(hour, minute), self.tz).timestamp()

    def tick(self, now: float | None = None) -> int:
        """Send every reminder due at ``now`` (the clock's time by default). Returns how many
        messages went out. Each one's record commits with its outbox row."""
        if not self._lock.acquire(blocking=False):
            return 0
        try:
            if self.brain.outlet is None:
                return 0  # no adapter connected: reminders wait until one is
            now = self.clock() if now is None else now
            sent = 0
            for target in self.store.reminder_targets(now):
                due = [d for d in self.sc.reminder_days if self.due_at(target["day"], d) <= now]
                if not due:
                    continue
                days = min(due)  # the latest reminder due; earlier ones missed are not sent late
                if self.store.reminded(target["id"], target["person"], days, target["starts_at"]):
                    continue
                reply = Reply(room=self.brain.platform.direct(target["person"]), text=self.reminder_for(target, days),
                              kind="info", payload={"sessions_reminder": target["id"]})
                record = _recorder(self.store.record_reminder, target["id"], target["person"], days,
                                   target["starts_at"], now)
                if not self.brain.emit([reply], record=record):
                    return sent
                sent += 1
            cutoff = now - self.sc.finalise_after_hours * 3600
            room = self.brain.platform.correspondents_channel()
            for session in self.store.to_finalise(cutoff):
                if room is None:
                    break
                text = strings.FINALISE_REMINDER.format(number=session["id"], when=self.when(session),
                                                        place=self.place(session))
                record = _recorder(self.store.record_finalise, session["id"], now)
                if not self.brain.emit([Reply(room=room, text=text, kind="info")], record=record):
                    return sent
                sent += 1
            return sent
        finally:
            self._lock.release()

    # -- answers --------------------------------------------------------------------------------
    def intercept_answer(self, msg: Incoming) -> list[Reply] | None:
        """« ok » / « empêché » (optionally with a session number) from an invigilator in a
        direct chat: recorded; « empêché » alerts the correspondents at once."""
        if not msg.is_direct:
            return None
        folded = fold_accents(msg.text.lower()).strip(" .!")
        match = ANSWER.fullmatch(folded)
        if not match:
            return None
        now = self.clock()
        word, number = match.group(1), match.group(2)
        if number is None:
            session = self.store.awaiting_answer(msg.sender, now)
            if session is None:
                return None
            # « ok » answers whichever came last: the reminder, or a question the bot asked in
            # this chat since (a confirmation, an offer), which then takes it
            asked_at = self.brain.storage.state_since(msg.room, msg.sender)
            if asked_at is not None and asked_at > session["reminded_at"]:
                return None
        else:
            if not self.store.count_person(msg.sender)[0]:
                return None  # not an invigilator: « ok 2 » means something else
            session = self.store.session(int(number))
            if session is None or self.store.invigilator(session["id"], msg.sender) is None:
                return [self.brain.reply(msg, strings.REMINDER_NOT_YOURS.format(number=number), kind="error")]
            if session["starts_at"] <= now:
                return [self.brain.reply(msg, strings.REMINDER_ALREADY_STARTED.format(number=number), kind="error")]
        answer = OK if word.startswith("ok") or word == "oui ok" else UNAVAILABLE
        self.store.answer(session["id"], msg.sender, answer, now)
        fields = {"number": session["id"], "when": self.when(session)}
        if answer == OK:
            return [self.brain.reply(msg, strings.REMINDER_ACK.format(**fields))]
        replies = [self.brain.reply(msg, strings.REMINDER_UNAVAILABLE.format(**fields))]
        room = self.brain.platform.correspondents_channel()
        if room is not None:
            replies.append(Reply(room=room, text=strings.ALERT_UNAVAILABLE.format(
                who=self.brain.platform.mention(msg.sender), place=self.place(session), **fields), kind="info"))
        else:
            log.warning("sessions: %s cannot invigilate session %s, but no correspondents' channel is configured",
                        msg.sender, session["id"])
        return replies

    # -- retention, forgetting ------------------------------------------------------------------
    def purge_expired(self, now: float | None = None) -> int:
        """GDPR retention: sessions that started longer ago than ``retention_days`` go, with
        their invigilators, answers and reminders."""
        now = self.clock() if now is None else now
        n = self.store.purge(now - self.config.retention_days * 86400)
        if n:
            log.info("retention: deleted %d past certification session(s)", n)
        return n

    def count_held(self, user: str) -> list[tuple[str, int]]:
        named, reminders, answers = self.store.count_person(user)
        return [(strings.FORGET_SESSIONS, named), (strings.FORGET_REMINDERS, reminders),
                (strings.FORGET_ANSWERS, answers)]

    def forget_person(self, user: str) -> list[Reply]:
        """Their name leaves the calendar, with their reminders and answers; the correspondents
        learn which upcoming sessions lost an invigilator."""
        upcoming = self.store.forget_person(user, self.clock())
        room = self.brain.platform.correspondents_channel()
        if not upcoming or room is None:
            return []
        numbers = ", ".join(str(n) for n in upcoming)
        return [Reply(room=room, text=strings.FORGET_NOTICE.format(numbers=numbers), kind="info")]


def _mark(invigilator: dict) -> str:
    if invigilator["kind"] == EMAIL:
        return "✉️"
    return {OK: "✅", UNAVAILABLE: "⛔"}.get(invigilator["answer"], "❓")


def _session_number(args: str) -> int:
    from ...core.commands import ArgumentError

    match = re.fullmatch(r"(?:n[°o]?\s*)?(\d{1,6})", args.strip())
    if not match:
        raise ArgumentError(strings.SESSIONS_NUMBER_NEEDED)
    return int(match.group(1))


def _recorder(func, *args) -> Callable[[], None]:
    return lambda: func(*args)


def install(app, clock: Callable[[], float] | None = None) -> Sessions:
    return Sessions(app, clock).install()

