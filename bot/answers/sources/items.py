"""What loading the content produces (items, the problems found, the result) and what the FAQ,
documentation and example loaders share: the URL rule, list fields, and reading a YAML list file
with the line of each entry."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ...core import strings
from ...core.files import yaml_error

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster
URL_RE = re.compile(r"^(https?://[^\s/$.?#][^\s]*|mailto:[^\s@]+@[^\s@]+\.[^\s@]+)$")


@dataclass(frozen=True)
class Item:
    """One answerable unit: an FAQ entry or a documentation passage."""

    id: str
    kind: str  # "faq" | "doc"
    title: str  # the FAQ question, or "Page title › Section heading"
    body: str  # Markdown answer, or passage text
    phrasings: tuple[str, ...]  # FAQ question + variants; for a passage, its headings
    source: str | None = None
    topics: tuple[str, ...] = ()
    origin: str = ""  # file the item comes from, relative to its root folder
    line: int | None = None
    examples: tuple[str, ...] = ()  # example questions from sources.training_dir (first chunk only)
    action: str | None = None  # FAQ: what the bot offers to do after this answer (a feature's name for it)

    def content_hash(self) -> str:
        h = hashlib.sha256()
        for part in (self.id, self.title, self.body, *self.phrasings, self.source or "", *self.topics,
                     *self.examples, *([f"action:{self.action}"] if self.action else [])):
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        return h.hexdigest()


@dataclass
class SourceProblem:
    file: str
    message: str
    entry: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        return strings.source_problem(self.file, self.message, self.entry, self.line)


@dataclass
class LoadResult:
    items: list[Item] = field(default_factory=list)
    errors: list[SourceProblem] = field(default_factory=list)
    warnings: list[SourceProblem] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # origin -> sha256 of file bytes
    examples: list[tuple[str, str]] = field(default_factory=list)  # (example question, item id)


class SourceError(Exception):
    """Raised when sources hold errors; carries every problem found."""

    def __init__(self, problems: list[SourceProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def as_str_list(value, what: str) -> tuple[list[str], str | None]:
    if value is None:
        return [], None
    if isinstance(value, str):
        return [value], None
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()], None
    return [], strings.SRC_NOT_A_LIST.format(what=what)


def yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def read_yaml_list(path: Path, rel: str, key: str, result: LoadResult, not_a_list: str):
    """The entries of one YAML list file as (line, raw entry, node), recording the file's hash
    under ``key`` and any problem in ``result``; None when the file cannot be used."""
    raw = path.read_bytes()
    result.files[key] = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        result.errors.append(SourceProblem(rel, strings.SRC_NOT_UTF8.format(pos=exc.start)))
        return None
    try:
        node = yaml.compose(text, Loader=_LOADER)
        data = _LOADER("").construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        problem, line = yaml_error(exc)
        result.errors.append(SourceProblem(rel, strings.SRC_BAD_YAML.format(problem=problem), line=line))
        return None
    if data is None:
        result.warnings.append(SourceProblem(rel, strings.SRC_EMPTY_FILE))
        return None
    if not isinstance(data, list):
        result.errors.append(SourceProblem(rel, not_a_list, line=1))
        return None
    return [(node.value[i].start_mark.line + 1, entry, node.value[i]) for i, entry in enumerate(data)]
