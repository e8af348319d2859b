"""Reading a calendar file: Pix Certif's mass-session CSV, or a simple YAML.

Everything is checked before anything is stored, and every problem is reported with the file,
line and column it was found at (``ImportProblem``); one problem refuses the whole file, so the
calendar in the database is replaced only by a file that is entirely valid.

The CSV is the template Pix Certif gives in « Créer/éditer plusieurs sessions »: semicolons,
one line per candidate (or one line for a session without candidates), the session's columns
repeated on each line. The bot reads the session columns only (number, site, room, date, time,
invigilators, notes) and counts the candidates; the « * Surveillant(s) » cell must hold Matrix
ids or e-mail addresses (separated by commas), so the bot knows whom to remind.

The YAML is a list of sessions (or a ``sessions:`` key holding it)::

    - date: 2027-01-14          # or 14/01/2027
      heure: "09:00"
      site: Campus Nord
      salle: B204
      candidats: 18             # optional
      numero: 123456            # optional: the Pix Certif session number
      observations: ...         # optional
      surveillants: ["@jdupont:univ.fr", marie.martin@univ.fr]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from ...core import strings
from .store import EMAIL, MATRIX, Invigilator, SessionEntry

# Pix Certif's template (api: sessions-import headers), the current labels first, then older ones
PIX_NUMBER = ("Numéro de session préexistante", "N° de session")
PIX_SITE = ("* Nom du site",)
PIX_ROOM = ("* Nom de la salle",)
PIX_DATE = ("* Date de début (format: JJ/MM/AAAA)", "* Date de début")
PIX_TIME = ("* Heure de début (heure locale format: HH:MM)", "* Heure de début (heure locale)")
PIX_INVIGILATORS = ("* Surveillant(s)",)
PIX_NOTES = ("Observations (optionnel)",)
PIX_CANDIDATE = ("* Nom de naissance",)
REQUIRED = (PIX_SITE, PIX_ROOM, PIX_DATE, PIX_TIME, PIX_INVIGILATORS)

YAML_KEYS = ("date", "heure", "site", "salle", "candidats", "numero", "observations", "surveillants")

MATRIX_ID = re.compile(r"@[a-z0-9._=\-/+]+:[A-Za-z0-9.\-]+(?::\d+)?")
EMAIL_RE = re.compile(r"[^@\s,;<>]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


@dataclass
class ImportProblem:
    file: str
    line: int
    column: int | str | None
    message: str

    def __str__(self) -> str:
        where = (strings.IMPORT_WHERE.format(file=self.file, line=self.line, column=self.column)
                 if self.column is not None else strings.IMPORT_WHERE_LINE.format(file=self.file, line=self.line))
        return f"{where} : {self.message}"


class CalendarError(Exception):
    def __init__(self, problems: list[ImportProblem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class Checker:
    """Turns cells into values, collecting problems: the rules of both formats."""

    def __init__(self, name: str, now: float, tz: ZoneInfo, allowed_servers: list[str], allowed_users: list[str],
                 own_server: str | None):
        self.name = name
        self.now = now
        self.tz = tz
        self.allowed_servers = allowed_servers
        self.allowed_users = allowed_users
        self.own_server = own_server
        self.problems: list[ImportProblem] = []

    def problem(self, line: int, column, message: str) -> None:
        self.problems.append(ImportProblem(self.name, line, column, message))

    def day(self, value: str, line: int, column) -> dt.date | None:
        text = value.strip()
        for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        self.problem(line, column, strings.IMPORT_BAD_DATE.format(value=literal_cell(text)))
        return None

    def time(self, value: str, line: int, column) -> str | None:
        match = re.fullmatch(r"([01]?\d|2[0-3])[:hH]([0-5]\d)(?::00)?", value.strip())
        if not match:
            self.problem(line, column, strings.IMPORT_BAD_TIME.format(value=literal_cell(value.strip())))
            return None
        return f"{int(match.group(1)):02d}:{match.group(2)}"

    def start(self, day: dt.date, time: str, line: int, column) -> float | None:
        hour, minute = (int(x) for x in time.split(":"))
        starts = dt.datetime.combine(day, dt.time(hour, minute), self.tz).timestamp()
        if starts <= self.now:
            self.problem(line, column, strings.IMPORT_PAST.format(value=f"{day.strftime('%d/%m/%Y')} {time}"))
            return None
        return starts

    def person(self, value: str, line: int, column) -> Invigilator | None:
        text = value.strip()
        if MATRIX_ID.fullmatch(text):
            server = text.split(":", 1)[1]
            allowed = (text in self.allowed_users or server in self.allowed_servers
                       or (not self.allowed_servers and not self.allowed_users
                           and (self.own_server is None or server == self.own_server)))
            if not allowed:
                self.problem(line, column, strings.IMPORT_SERVER_NOT_ALLOWED.format(value=literal_cell(text),
                                                                                  server=literal_cell(server)))
                return None
            return Invigilator(text, MATRIX)
        if EMAIL_RE.fullmatch(text):
            return Invigilator(text.lower(), EMAIL)
        self.problem(line, column, strings.IMPORT_UNKNOWN_INVIGILATOR.format(value=literal_cell(text)))
        return None

    def people(self, value: str, line: int, column) -> list[Invigilator] | None:
        names = []
        for part in re.split(r"[,;\n]+|\s+et\s+", value):
            words = part.split()
            # « @a:x @b:y » is two people; « Jean Dupont » is one (unknown) name
            if len(words) > 1 and all(MATRIX_ID.fullmatch(w) or EMAIL_RE.fullmatch(w) for w in words):
                names += words
            elif part.strip():
                names.append(part.strip())
        people = [self.person(p, line, column) for p in names]
        if any(p is None for p in people):
            return None
        unique: dict[str, Invigilator] = {}
        for p in people:
            unique.setdefault(p.person, p)
        return list(unique.values())

    def pix_number(self, value: str, line: int, column) -> str | None:
        text = value.strip()
        if not text:
            return None
        if not text.isdigit():
            self.problem(line, column, strings.IMPORT_BAD_SESSION_NUMBER.format(value=literal_cell(text)))
            return None
        return str(int(text))

    def count(self, value: str, line: int, column) -> int | None:
        text = value.strip()
        if not text.isdigit():
            self.problem(line, column, strings.IMPORT_BAD_NUMBER.format(value=literal_cell(text)))
            return None
        return int(text)


def literal_cell(text: str) -> str:
    """A cell quoted in an error message: shown as written, cut when long."""
    text = text.replace("\n", " ")
    return strings.literal(text if len(text) <= 80 else text[:79] + "…")


def session_key(pix_number: str | None, site: str, room: str, day: dt.date, time: str) -> str:
    """Stable across imports: the Pix session number when known, else where and when."""
    if pix_number:
        return f"pix:{pix_number}"
    fold = lambda s: " ".join(s.lower().split())  # noqa: E731
    return f"{fold(site)}|{fold(room)}|{day.isoformat()}|{time}"


def read_calendar(path: Path, now: float, tz: ZoneInfo, allowed_servers: list[str] | None = None,
                  allowed_users: list[str] | None = None, own_server: str | None = None) -> list[SessionEntry]:
    """The sessions of ``path`` (.csv: Pix Certif's template; .yaml/.yml), all checked; raises
    ``CalendarError`` with every problem found."""
    name = path.name
    checker = Checker(name, now, tz, allowed_servers or [], allowed_users or [], own_server)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CalendarError([ImportProblem(name, 1, None, strings.IMPORT_UNREADABLE.format(
            problem=literal_cell(exc.strerror or str(exc))))]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise CalendarError([ImportProblem(name, line, None, strings.IMPORT_NOT_UTF8)]) from None
    suffix = path.suffix.lower()
    if suffix == ".csv":
        entries = _read_csv(text, checker)
    elif suffix in (".yaml", ".yml"):
        entries = _read_yaml(text, checker)
    else:
        raise CalendarError([ImportProblem(name, 1, None, strings.IMPORT_UNKNOWN_FORMAT)])
    if checker.problems:
        raise CalendarError(sorted(checker.problems, key=lambda p: p.line))
    return entries


# -- CSV -----------------------------------------------------------------------------------------
def _read_csv(text: str, checker: Checker) -> list[SessionEntry]:
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        checker.problem(1, None, strings.IMPORT_EMPTY)
        return []
    header_line = lines[0]
    if ";" not in header_line:
        found = max((",", "\t", "|"), key=header_line.count)
        if header_line.count(found):
            checker.problem(1, 1, strings.IMPORT_WRONG_SEPARATOR.format(found="tabulation" if found == "\t" else found))
            return []
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    # csv may join physical lines (a quoted cell with a line break): track where each row starts
    starts, reader = [], csv.reader(io.StringIO(text), delimiter=";")
    line_no = 1
    for _ in reader:
        starts.append(line_no)
        line_no = reader.line_num + 1
    header = [h.strip() for h in rows[0]]
    index: dict[tuple, int] = {}
    for labels in (PIX_NUMBER, PIX_SITE, PIX_ROOM, PIX_DATE, PIX_TIME, PIX_INVIGILATORS, PIX_NOTES, PIX_CANDIDATE):
        for label in labels:
            if label in header:
                index[labels] = header.index(label)
                break
    missing = [labels[0] for labels in REQUIRED if labels not in index]
    for label in missing:
        checker.problem(1, None, strings.IMPORT_MISSING_COLUMN.format(column=label))
    if missing:
        return []

    def cell(row: list[str], labels: tuple) -> tuple[str, str | None]:
        i = index.get(labels)
        if i is None:
            return "", None
        return (row[i] if i < len(row) else ""), f"{i + 1} ({header[i]})"

    sessions: dict[str, SessionEntry] = {}
    first_line: dict[str, int] = {}
    for row, line in zip(rows[1:], starts[1:]):
        if not any(c.strip() for c in row):
            continue
        values = {}
        ok = True
        for labels in REQUIRED:
            value, col = cell(row, labels)
            if not value.strip():
                checker.problem(line, col, strings.IMPORT_REQUIRED.format(column=labels[0]))
                ok = False
            values[labels] = (value, col)
        number_value, number_col = cell(row, PIX_NUMBER)
        pix_number = checker.pix_number(number_value, line, number_col)
        if not ok:
            continue
        day = checker.day(values[PIX_DATE][0], line, values[PIX_DATE][1])
        time = checker.time(values[PIX_TIME][0], line, values[PIX_TIME][1])
        people = checker.people(values[PIX_INVIGILATORS][0], line, values[PIX_INVIGILATORS][1])
        if day is None or time is None:
            continue
        if people is None:
            checker.start(day, time, line, values[PIX_DATE][1])
            continue
        site, room = values[PIX_SITE][0].strip(), values[PIX_ROOM][0].strip()
        key = session_key(pix_number, site, room, day, time)
        candidate = cell(row, PIX_CANDIDATE)[0].strip()
        notes = cell(row, PIX_NOTES)[0].strip() or None
        entry = sessions.get(key)
        if entry is None:
            starts_at = checker.start(day, time, line, values[PIX_DATE][1])
            if starts_at is None:
                continue
            sessions[key] = SessionEntry(key=key, day=day.isoformat(), time=time, starts_at=starts_at, site=site,
                                         room=room, candidates=1 if candidate else 0, pix_number=pix_number,
                                         notes=notes, invigilators=people, line=line,
                                         place_key=session_key(None, site, room, day, time))
            first_line[key] = line
            continue
        # another line of the same session (one line per candidate): it must agree
        for label, mine, theirs, col in (
                (PIX_SITE, site, entry.site, values[PIX_SITE][1]), (PIX_ROOM, room, entry.room, values[PIX_ROOM][1]),
                (PIX_DATE, day.isoformat(), entry.day, values[PIX_DATE][1]),
                (PIX_TIME, time, entry.time, values[PIX_TIME][1]),
                (PIX_INVIGILATORS, [p.person for p in people], [p.person for p in entry.invigilators],
                 values[PIX_INVIGILATORS][1])):
            if mine != theirs:
                checker.problem(line, col, strings.IMPORT_CONFLICT.format(key=literal_cell(_shown_key(entry)),
                                                                          first=first_line[key], column=label[0]))
                break
        else:
            if candidate:
                entry.candidates = (entry.candidates or 0) + 1
    return list(sessions.values())


def _shown_key(entry: SessionEntry) -> str:
    if entry.pix_number:
        return entry.pix_number
    return f"{entry.site}, {entry.room}, {entry.day} {entry.time}"


# -- YAML ----------------------------------------------------------------------------------------
def _read_yaml(text: str, checker: Checker) -> list[SessionEntry]:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        checker.problem(mark.line + 1 if mark else 1, mark.column + 1 if mark else None,
                        strings.IMPORT_BAD_YAML.format(problem=literal_cell(getattr(exc, "problem", None) or str(exc))))
        return []
    if root is None:
        checker.problem(1, None, strings.IMPORT_EMPTY)
        return []
    if isinstance(root, yaml.MappingNode):
        found = [v for k, v in root.value if isinstance(k, yaml.ScalarNode) and k.value == "sessions"]
        root = found[0] if found else root
    if not isinstance(root, yaml.SequenceNode):
        checker.problem(root.start_mark.line + 1, root.start_mark.column + 1, strings.IMPORT_NOT_LIST)
        return []
    entries: list[SessionEntry] = []
    first_line: dict[str, int] = {}
    for node in root.value:
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        if not isinstance(node, yaml.MappingNode):
            checker.problem(line, col, strings.IMPORT_NOT_MAPPING)
            continue
        fields: dict[str, yaml.Node] = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else ""
            if key not in YAML_KEYS:
                checker.problem(k.start_mark.line + 1, k.start_mark.column + 1, strings.IMPORT_UNKNOWN_KEY.format(
                    key=literal_cell(str(key)), allowed=", ".join(YAML_KEYS)))
                continue
            fields[key] = v

        def scalar(key: str, required: bool = True) -> tuple[str | None, int, int]:
            v = fields.get(key)
            if v is None:
                if required:
                    checker.problem(line, col, strings.IMPORT_REQUIRED.format(column=key))
                return None, line, col
            where = (v.start_mark.line + 1, v.start_mark.column + 1)
            if not isinstance(v, yaml.ScalarNode) or (v.tag.endswith(":null") and required):
                checker.problem(*where, strings.IMPORT_NOT_TEXT.format(key=key))
                return None, *where
            value = str(v.value).strip()
            if required and not value:
                checker.problem(*where, strings.IMPORT_REQUIRED.format(column=key))
                return None, *where
            return value, *where

        day_text, dl, dc = scalar("date")
        time_text, tl, tc = scalar("heure")
        site, _, _ = scalar("site")
        room, _, _ = scalar("salle")
        count_text, cl, cc = scalar("candidats", required=False)
        number_text, nl, nc = scalar("numero", required=False)
        notes, _, _ = scalar("observations", required=False)
        day = checker.day(day_text, dl, dc) if day_text else None
        time = checker.time(time_text, tl, tc) if time_text else None
        candidates = checker.count(count_text, cl, cc) if count_text else None
        pix_number = checker.pix_number(number_text, nl, nc) if number_text else None
        people = _yaml_people(fields.get("surveillants"), checker, line, col)
        starts_at = checker.start(day, time, dl, dc) if day and time else None
        if None in (starts_at, site, room, people) or (count_text and candidates is None) \
                or (number_text and pix_number is None):
            continue
        key = session_key(pix_number, site, room, day, time)
        if key in first_line:
            checker.problem(line, col, strings.IMPORT_DUPLICATE.format(key=literal_cell(pix_number or f"{site}, {room}, "
                                                                                        f"{day.isoformat()} {time}"),
                                                                       first=first_line[key]))
            continue
        first_line[key] = line
        entries.append(SessionEntry(key=key, day=day.isoformat(), time=time, starts_at=starts_at, site=site,
                                    room=room, candidates=candidates, pix_number=pix_number, notes=notes or None,
                                    invigilators=people, line=line, place_key=session_key(None, site, room, day, time)))
    return entries


def _yaml_people(node, checker: Checker, line: int, col: int) -> list[Invigilator] | None:
    if node is None:
        checker.problem(line, col, strings.IMPORT_REQUIRED.format(column="surveillants"))
        return None
    if isinstance(node, yaml.ScalarNode):
        return checker.people(str(node.value), node.start_mark.line + 1, node.start_mark.column + 1)
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        checker.problem(node.start_mark.line + 1, node.start_mark.column + 1,
                        strings.IMPORT_REQUIRED.format(column="surveillants"))
        return None
    people: list[Invigilator] = []
    ok = True
    for item in node.value:
        where = (item.start_mark.line + 1, item.start_mark.column + 1)
        if not isinstance(item, yaml.ScalarNode):
            checker.problem(*where, strings.IMPORT_NOT_TEXT.format(key="surveillants"))
            ok = False
            continue
        person = checker.person(str(item.value), *where)
        if person is None:
            ok = False
        elif all(p.person != person.person for p in people):
            people.append(person)
    return people if ok else None
