"""Load the FAQ (``faq/*.yaml``) and documentation (``knowledge/**/*.md``) into searchable items.

Both formats are a public contract (see README): other people's files must load unchanged.
Every problem is collected with the file, the entry and the line where YAML gives it, so a
broken file can be fixed in one go; the caller refuses to index while any error remains.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ..core import strings
from .placeholders import PLACEHOLDER_RE, Placeholders, line_in
from .textnorm import slugify

log = logging.getLogger(__name__)

FAQ_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FAQ_KEYS = {"id", "question", "variants", "answer", "topics", "source"}
DOC_KEYS = {"title", "source", "topics"}
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
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

    def content_hash(self) -> str:
        h = hashlib.sha256()
        for part in (self.id, self.title, self.body, *self.phrasings, self.source or "", *self.topics,
                     *self.examples):
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


def _as_str_list(value, what: str) -> tuple[list[str], str | None]:
    if value is None:
        return [], None
    if isinstance(value, str):
        return [value], None
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v).strip() for v in value if str(v).strip()], None
    return [], strings.SRC_NOT_A_LIST.format(what=what)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def _read_yaml_list(path: Path, rel: str, key: str, result: LoadResult, not_a_list: str):
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
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        result.errors.append(
            SourceProblem(rel, strings.SRC_BAD_YAML.format(problem=problem), line=mark.line + 1 if mark else None)
        )
        return None
    if data is None:
        result.warnings.append(SourceProblem(rel, strings.SRC_EMPTY_FILE))
        return None
    if not isinstance(data, list):
        result.errors.append(SourceProblem(rel, not_a_list, line=1))
        return None
    return [(node.value[i].start_mark.line + 1, entry, node.value[i]) for i, entry in enumerate(data)]


def load_faq(faq_dir: Path, result: LoadResult, seen: dict[str, str] | None = None,
             placeholders: Placeholders | None = None) -> None:
    """Load every ``*.yaml``/``*.yml`` file below ``faq_dir`` into ``result``, placeholders
    rendered (none known without ``placeholders``: each one is then an error)."""
    seen = {} if seen is None else seen
    placeholders = placeholders if placeholders is not None else Placeholders()
    for path in _yaml_files(faq_dir):
        rel = path.relative_to(faq_dir).as_posix()
        entries = _read_yaml_list(path, rel, f"faq:{rel}", result, strings.SRC_FAQ_NOT_LIST)
        for index, (line, raw_entry, node) in enumerate(entries or []):
            _load_faq_entry(rel, index, line, raw_entry, result, seen, node, placeholders)


def _scalar_first_line(node) -> int | None:
    """The line where a YAML scalar's text starts (block scalars: the line after « | »)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    return node.start_mark.line + 1 + (1 if node.style in ("|", ">") else 0)


def _field_nodes(node) -> dict[str, object]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _load_faq_entry(rel: str, index: int, line: int | None, raw, result: LoadResult, seen: dict[str, str],
                    node=None, placeholders: Placeholders | None = None) -> None:
    label = f"#{index + 1}"

    def error(message: str) -> None:
        result.errors.append(SourceProblem(rel, message, entry=label, line=line))

    if not isinstance(raw, dict):
        error(strings.SRC_ENTRY_NOT_MAPPING)
        return
    entry_id = raw.get("id")
    if isinstance(entry_id, str) and entry_id.strip():
        label = f"{label} ({entry_id.strip()})"
    errors_before = len(result.errors)
    for key in sorted(set(map(str, raw)) - FAQ_KEYS):
        result.warnings.append(SourceProblem(rel, strings.SRC_UNKNOWN_KEY.format(key=key), entry=label, line=line))
    for key in ("id", "question", "answer"):
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            error(strings.SRC_MISSING_FIELD.format(field=key))
        elif not isinstance(value, str):
            error(strings.SRC_NOT_TEXT.format(field=key))
    if isinstance(entry_id, str) and entry_id.strip():
        entry_id = entry_id.strip()
        if not FAQ_ID_RE.match(entry_id):
            error(strings.SRC_BAD_ID.format(id=entry_id))
        elif entry_id in seen:
            error(strings.SRC_DUPLICATE_ID.format(id=entry_id, other=seen[entry_id]))
        else:
            seen[entry_id] = rel
    variants, problem = _as_str_list(raw.get("variants"), "variants")
    if problem:
        error(problem)
    topics, problem = _as_str_list(raw.get("topics"), "topics")
    if problem:
        error(problem)
    source = raw.get("source")
    if source is not None and (not isinstance(source, str) or not URL_RE.match(source.strip())):
        error(strings.SRC_BAD_URL.format(value=source))
    if len(result.errors) > errors_before:
        return
    placeholders = placeholders if placeholders is not None else Placeholders()
    nodes = _field_nodes(node)

    def render(text: str, text_node) -> str:
        rendered, unknown = placeholders.render(text)
        first = _scalar_first_line(text_node)
        for name, offset in unknown:
            result.errors.append(SourceProblem(rel, strings.SRC_UNKNOWN_PLACEHOLDER.format(
                name=name, known=", ".join(placeholders.known_names()) or "aucun"), entry=label,
                line=line_in(text, offset, first) or line))
        return rendered

    variant_nodes = nodes.get("variants")
    variant_nodes = variant_nodes.value if isinstance(variant_nodes, yaml.SequenceNode) else []
    question = render(raw["question"], nodes.get("question")).strip()
    variants = [render(v, variant_nodes[i] if i < len(variant_nodes) else None).strip() for i, v in enumerate(variants)]
    answer = render(raw["answer"], nodes.get("answer")).strip()
    if len(result.errors) > errors_before:
        return
    result.items.append(
        Item(
            id=entry_id,
            kind="faq",
            title=question,
            body=answer,
            phrasings=tuple(dict.fromkeys([question, *variants])),
            source=source.strip() if isinstance(source, str) else None,
            topics=tuple(t.lower() for t in topics),
            origin=rel,
            line=line,
        )
    )


def split_front_matter(text: str) -> tuple[str | None, str, int]:
    """Return (front matter text or None, body, line number where the body starts)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.startswith("---"):
        return None, text, 1
    lines = text.split("\n")
    if lines[0].strip() != "---":
        return None, text, 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return "\n".join(lines[1:]), "", len(lines) + 1


def split_words(text: str, max_words: int, overlap: int) -> list[str]:
    """Split a long text into chunks of at most ``max_words`` words with ``overlap`` words shared."""
    words = text.split()
    if len(words) <= max_words:
        return [text]
    step = max(1, max_words - overlap)
    chunks = []
    for start in range(0, len(words), step):
        chunks.append(" ".join(words[start : start + max_words]))
        if start + max_words >= len(words):
            break
    return chunks


def load_docs(docs_dir: Path, result: LoadResult, max_words: int = 220, overlap: int = 40,
              placeholders: Placeholders | None = None) -> None:
    """Load every Markdown page below ``docs_dir``, split into passages at headings, placeholders
    rendered (none known without ``placeholders``: each one is then an error)."""
    placeholders = placeholders if placeholders is not None else Placeholders()
    files = sorted(p for p in docs_dir.rglob("*.md") if p.is_file())
    for path in files:
        rel = path.relative_to(docs_dir).as_posix()
        raw = path.read_bytes()
        result.files[f"doc:{rel}"] = hashlib.sha256(raw).hexdigest()
        try:
            text = raw.decode("utf-8").replace("\r\n", "\n")
        except UnicodeDecodeError as exc:
            result.errors.append(SourceProblem(rel, strings.SRC_NOT_UTF8.format(pos=exc.start)))
            continue
        front, body, body_line = split_front_matter(text)
        meta: dict = {}
        if front is not None:
            try:
                meta = yaml.safe_load(front) or {}
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                problem = getattr(exc, "problem", None) or str(exc)
                result.errors.append(
                    SourceProblem(rel, strings.SRC_BAD_FRONT_MATTER.format(problem=problem),
                                  line=mark.line + 2 if mark else 1)
                )
                continue
            if not isinstance(meta, dict):
                result.errors.append(SourceProblem(rel, strings.SRC_FRONT_MATTER_NOT_MAPPING, line=1))
                continue
        for key in sorted(set(map(str, meta)) - DOC_KEYS):
            result.warnings.append(SourceProblem(rel, strings.SRC_UNKNOWN_KEY.format(key=key), line=1))
        topics, problem = _as_str_list(meta.get("topics"), "topics")
        source = meta.get("source")
        if problem:
            result.errors.append(SourceProblem(rel, problem, line=1))
            continue
        if source is not None and (not isinstance(source, str) or not URL_RE.match(source.strip())):
            result.errors.append(SourceProblem(rel, strings.SRC_BAD_URL.format(value=source), line=1))
            continue
        _add_passages(rel, meta, body, body_line, topics, source, result, max_words, overlap, placeholders)


def _add_passages(rel, meta, body, body_line, topics, source, result, max_words, overlap,
                  placeholders: Placeholders) -> None:
    sections: list[tuple[int, str | None, int, list[str]]] = []  # (level, heading, line, lines)
    current: tuple[int, str | None, int, list[str]] = (0, None, body_line, [])
    in_code = False
    for offset, line in enumerate(body.split("\n")):
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else HEADING_RE.match(line)
        if match:
            sections.append(current)
            current = (len(match.group(1)), match.group(2).strip(), body_line + offset, [])
        else:
            current[3].append(line)
    sections.append(current)

    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        h1 = next((s for s in sections if s[0] == 1 and s[1]), None)
        title = h1[1] if h1 else Path(rel).stem.replace("-", " ").capitalize()
    title = title.strip()
    for level, heading, line, _ in sections:  # titles make ids and slugs: never rendered
        if PLACEHOLDER_RE.search(heading or ""):
            result.errors.append(SourceProblem(rel, strings.SRC_PLACEHOLDER_IN_TITLE, line=line))
    if PLACEHOLDER_RE.search(title):
        result.errors.append(SourceProblem(rel, strings.SRC_PLACEHOLDER_IN_TITLE, line=1))

    used: dict[str, int] = {}
    trail: dict[int, str] = {}
    count = 0
    for level, heading, line, lines in sections:
        if heading is not None:
            trail = {lvl: h for lvl, h in trail.items() if lvl < level}
            trail[level] = heading
        raw_text = "\n".join(lines)
        text, unknown = placeholders.render(raw_text)
        for name, offset in unknown:
            result.errors.append(SourceProblem(rel, strings.SRC_UNKNOWN_PLACEHOLDER.format(
                name=name, known=", ".join(placeholders.known_names()) or "aucun"),
                line=line_in(raw_text, offset, line if heading is None else line + 1)))
        if unknown:
            continue
        text = text.strip()
        if not text:
            continue
        if heading is None or (level == 1 and heading == title):
            section_name, slug = None, "introduction"
        else:
            section_name, slug = heading, slugify(heading) or "section"
        if slug in used:
            used[slug] += 1
            slug = f"{slug}-{used[slug]}"
        else:
            used[slug] = 0
        headings = [h for lvl, h in sorted(trail.items()) if lvl > 1 or h != title] if heading else []
        display = f"{title} › {section_name}" if section_name else title
        for chunk in split_words(text, max_words, overlap):
            count += 1
            result.items.append(
                Item(
                    id=f"{rel}#{slug}",
                    kind="doc",
                    title=display,
                    body=chunk,
                    phrasings=tuple(dict.fromkeys([title, *headings])),
                    source=source.strip() if isinstance(source, str) else None,
                    topics=tuple(t.lower() for t in topics),
                    origin=rel,
                    line=line,
                )
            )
    if count == 0:
        result.warnings.append(SourceProblem(rel, strings.SRC_EMPTY_FILE))


def load_examples(examples_dir: Path, result: LoadResult) -> None:
    """Attach the example questions of ``examples_dir`` (YAML lists of ``{question, expected}``,
    written as staff type them) to the items they expect, as extra phrasings to match against.

    ``expected`` is an FAQ id, a passage id or a page path (its first passage). A question whose
    item no longer exists is only a warning (``pixbot check`` lists it); a broken file is an error.
    """
    first: dict[str, int] = {}
    for i, item in enumerate(result.items):
        first.setdefault(item.id, i)
        if item.kind == "doc":
            first.setdefault(item.id.split("#", 1)[0], i)
    found: dict[int, list[str]] = {}
    for path in _yaml_files(examples_dir):
        rel = path.relative_to(examples_dir).as_posix()
        entries = _read_yaml_list(path, rel, f"examples:{rel}", result, strings.SRC_EXAMPLES_NOT_LIST)
        for index, (line, raw, _) in enumerate(entries or []):
            label = f"#{index + 1}"
            question = raw.get("question") if isinstance(raw, dict) else None
            if not isinstance(raw, dict) or "expected" not in raw or not isinstance(question, str) \
                    or not question.strip():
                result.errors.append(SourceProblem(rel, strings.SRC_BAD_EXAMPLE, entry=label, line=line))
                continue
            expected = raw["expected"]
            if expected in (None, "", "null"):  # a question nothing answers: nothing to attach
                continue
            target = first.get(str(expected).strip())
            if target is None:
                result.warnings.append(SourceProblem(rel, strings.SRC_EXAMPLE_UNKNOWN_ID.format(id=expected),
                                                     entry=label, line=line))
                continue
            result.examples.append((question.strip(), str(expected).strip()))
            found.setdefault(target, []).append(question.strip())
    for i, questions in found.items():
        item = result.items[i]
        result.items[i] = replace(item, examples=tuple(q for q in dict.fromkeys(questions) if q not in item.phrasings))


def load_sources(faq_dir: Path | None, docs_dir: Path | None, examples_dir: Path | None = None,
                 placeholders: Placeholders | None = None) -> LoadResult:
    """Load FAQ, documentation and example questions. Missing folders count as empty.

    ``placeholders`` (``Placeholders.from_config(config)``) resolves the ``{{ … }}`` of the
    content; without it, any placeholder is an error. Its fingerprint is one of the hashes in
    ``files``: a change of the config or of the local file makes the index stale."""
    result = LoadResult()
    placeholders = placeholders if placeholders is not None else Placeholders()
    for problem in placeholders.problems:
        result.errors.append(SourceProblem(placeholders.local_file or "?", problem.message, entry=problem.key,
                                           line=problem.line))
    result.files["placeholders"] = placeholders.fingerprint()
    if faq_dir is not None and faq_dir.is_dir():
        load_faq(faq_dir, result, placeholders=placeholders)
    if docs_dir is not None and docs_dir.is_dir():
        load_docs(docs_dir, result, placeholders=placeholders)
    if examples_dir is not None and examples_dir.is_dir():
        load_examples(examples_dir, result)
    return result
