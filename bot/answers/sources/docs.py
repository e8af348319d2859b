"""The documentation: every Markdown page below the documentation folder (optional YAML front
matter: ``title``, ``source``, ``topics``), split into passages at its headings and into chunks
of a bounded number of words, placeholders rendered."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from ...core import strings
from ...core.files import yaml_error
from ..placeholders import PLACEHOLDER_RE, Placeholders, line_in
from ..textnorm import slugify
from .items import URL_RE, Item, LoadResult, SourceProblem, as_str_list

DOC_KEYS = {"title", "source", "topics"}
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


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
                problem, line = yaml_error(exc)  # a line of the front matter, which starts on line 2
                result.errors.append(SourceProblem(rel, strings.SRC_BAD_FRONT_MATTER.format(problem=problem),
                                                   line=line + 1 if line is not None else 1))
                continue
            if not isinstance(meta, dict):
                result.errors.append(SourceProblem(rel, strings.SRC_FRONT_MATTER_NOT_MAPPING, line=1))
                continue
        for key in sorted(set(map(str, meta)) - DOC_KEYS):
            result.warnings.append(SourceProblem(rel, strings.SRC_UNKNOWN_KEY.format(key=key), line=1))
        topics, problem = as_str_list(meta.get("topics"), "topics")
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
