"""The glossary ``pixbot check`` holds the content to (``sources.glossary_dir``): the fields of
the candidate file with their status and the points to verify with the caveats they need
(``glossaire.yaml``), and the Pix interface labels (``libelles-pix.yaml``). The comments of those
files describe their data; ``content_rules`` applies it. Words and phrases of the glossary match
over folded text (``fold``): lowercase, accents removed."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core import strings
from ..core.files import yaml_error
from .sources import SourceProblem

GLOSSARY_FILE = "glossaire.yaml"
LABELS_FILE = "libelles-pix.yaml"

MANDATORY, OPTIONAL = "mandatory", "optional"
STATUS_NAMES = {"obligatoire": MANDATORY, "facultatif": OPTIONAL}


def fold(text: str) -> str:
    """Lowercase, accents removed, typographic apostrophes straightened, one character for one
    (offsets in the folded text are offsets in the original)."""
    return "".join(unicodedata.normalize("NFD", ch)[0] for ch in text.lower().replace("’", "'"))


def term_pattern(term: str) -> str:
    """A glossary word or phrase as a regex over folded text: whole words, any spaces, and a
    trailing * for any ending; « re: » starts a regular expression (over folded text)."""
    if term.startswith("re:"):
        return "(?:" + term[3:] + ")"
    term = fold(term.strip())
    stem = term.endswith("*")
    words = [re.escape(w) for w in term.rstrip("*").split()]
    body = r"\s+".join(words) + (r"\w*" if stem else "")
    return r"(?<!\w)" + body + r"(?!\w)"


def compile_terms(terms) -> re.Pattern | None:
    terms = [str(t) for t in (terms or []) if str(t).strip()]
    if not terms:
        return None
    return re.compile("|".join(term_pattern(t) for t in sorted(terms, key=len, reverse=True)))


def label_key(label: str) -> str:
    """How labels compare: case, spaces, apostrophes and emphasis ignored; accents kept."""
    label = re.sub(r"[*_`]", "", label).replace("’", "'")
    return re.sub(r"\s+", " ", label).strip().casefold()


@dataclass
class GlossaryField:
    name: str
    status: str  # MANDATORY | OPTIONAL
    pattern: re.Pattern


@dataclass
class VerifyPoint:
    id: str
    label: str
    mentions: list[re.Pattern]
    unless: re.Pattern | None = None
    subject: re.Pattern | None = None  # words that make a caveat paragraph about this point

    def __post_init__(self):
        self.subject = self.subject or self.mentions[0]


@dataclass
class Glossary:
    folder: str = ""
    fields: list[GlossaryField] = field(default_factory=list)
    labels: set[str] | None = None  # None: no label list, rule 2 is off
    points: list[VerifyPoint] = field(default_factory=list)
    caveats: re.Pattern | None = None
    problems: list[str] = field(default_factory=list)

    def add_problem(self, file: str, message: str, line: int | None = None) -> None:
        self.problems.append(str(SourceProblem(file, strings.CHECK_GLOSSARY_PROBLEM.format(message=message),
                                               line=line)))


def _read_mapping(path: Path, glossary: Glossary) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        glossary.add_problem(path.name, str(exc))
        return {}
    except yaml.YAMLError as exc:
        problem, line = yaml_error(exc)
        glossary.add_problem(path.name, strings.SRC_BAD_YAML.format(problem=problem), line=line)
        return {}
    if data is None:
        return {}
    if not isinstance(data, dict):
        glossary.add_problem(path.name, strings.GLOSSARY_NOT_MAPPING)
        return {}
    return data


def load_glossary(folder: Path | None) -> Glossary | None:
    """The glossary and the label list of ``folder``; None when there is no such folder."""
    if folder is None or not folder.is_dir():
        return None
    glossary = Glossary(folder=folder.name)
    path = folder / GLOSSARY_FILE
    data = _read_mapping(path, glossary) if path.exists() else {}
    for i, raw in enumerate(data.get("fields") or []):
        status = STATUS_NAMES.get(str((raw or {}).get("status", "")).strip()) if isinstance(raw, dict) else None
        name = raw.get("name") if isinstance(raw, dict) else None
        if not isinstance(name, str) or status is None:
            glossary.add_problem(GLOSSARY_FILE, strings.GLOSSARY_BAD_FIELD.format(index=i + 1))
            continue
        aliases = [str(a) for a in raw.get("aliases") or []]
        glossary.fields.append(GlossaryField(name, status, compile_terms([name, *aliases])))
    for i, raw in enumerate(data.get("to_verify") or []):
        groups = raw.get("mentions") if isinstance(raw, dict) else None
        if not isinstance(groups, list) or not groups or not all(isinstance(g, list) and g for g in groups):
            glossary.add_problem(GLOSSARY_FILE, strings.GLOSSARY_BAD_POINT.format(index=i + 1))
            continue
        glossary.points.append(VerifyPoint(str(raw.get("id") or f"#{i + 1}"), str(raw.get("label") or raw.get("id")),
                                           [compile_terms(g) for g in groups], compile_terms(raw.get("unless")),
                                           compile_terms(raw.get("subject"))))
    glossary.caveats = compile_terms(data.get("caveats"))
    if glossary.points and glossary.caveats is None:
        glossary.add_problem(GLOSSARY_FILE, strings.GLOSSARY_NO_CAVEATS)
    path = folder / LABELS_FILE
    data = _read_mapping(path, glossary) if path.exists() else {}
    if path.exists():
        glossary.labels = set()
    for i, raw in enumerate(data.get("labels") or []):
        label = raw.get("label") if isinstance(raw, dict) else raw
        if not isinstance(label, str) or not label.strip():
            glossary.add_problem(LABELS_FILE, strings.GLOSSARY_BAD_LABEL.format(index=i + 1))
            continue
        glossary.labels.add(label_key(label))
    return glossary
