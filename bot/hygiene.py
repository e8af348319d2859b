"""Content hygiene for the FAQ and documentation: ids unique, answers non-empty, links
well-formed, every FAQ entry with variants, every training question pointing at an existing
entry or passage. ``pixbot check`` prints the problems."""

from __future__ import annotations

import re
from pathlib import Path

from . import strings
from .sources import URL_RE, SourceProblem, load_sources

LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
BARE_URL_RE = re.compile(r"(?<![(<\w])https?://[^\s)>\]]+")


def check_content(faq_dir: Path | None, docs_dir: Path | None, training_dir: Path | None = None) -> list[str]:
    result = load_sources(faq_dir, docs_dir, training_dir)
    # warnings too: an unknown key is often a misspelt one, an example question a stale id
    problems = [str(p) for p in (*result.errors, *result.warnings)]
    for item in result.items:
        def problem(message: str, item=item) -> None:
            problems.append(str(SourceProblem(item.origin, message, entry=item.id, line=item.line)))

        if not item.body.strip():
            problem(strings.CHECK_EMPTY_TEXT)
        if item.kind == "faq" and len(item.phrasings) < 2:
            problem(strings.CHECK_NO_VARIANT)
        for label, url in LINK_RE.findall(item.body):
            if not label.strip():
                problem(strings.CHECK_LINK_NO_TEXT.format(url=url))
            if not URL_RE.match(url):
                problem(strings.CHECK_BAD_LINK.format(url=url))
        for url in BARE_URL_RE.findall(item.body):
            if not URL_RE.match(url.rstrip(".,;:")):
                problem(strings.CHECK_BAD_ADDRESS.format(url=url))
    return problems
