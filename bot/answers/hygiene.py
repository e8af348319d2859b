"""Content hygiene for the FAQ and documentation: ids unique, answers non-empty, links
well-formed, every FAQ entry with variants, every training question pointing at an existing
entry or passage, and content rules held to the glossary (``sources.glossary_dir``: see
``glossary`` for its data and ``content_rules`` for the rules). ``pixbot check`` prints the
problems.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core import strings
from .content_rules import LINK_RE, content_rule_problems
from .glossary import load_glossary
from .placeholders import LOCAL_PREFIX, Placeholders
from .sources import URL_RE, SourceProblem, load_sources

BARE_URL_RE = re.compile(r"(?<![(<\w])https?://[^\s)>\]]+")


def check_content(faq_dir: Path | None, docs_dir: Path | None, training_dir: Path | None = None,
                  placeholders: Placeholders | None = None, glossary_dir: Path | None = None) -> list[str]:
    result = load_sources(faq_dir, docs_dir, training_dir, placeholders)
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
    glossary = load_glossary(glossary_dir)
    if glossary is not None:
        problems += glossary.problems
        problems += [str(p) for p in content_rule_problems(result.items, glossary)]
    return problems


def local_notices(placeholders: Placeholders) -> list[str]:
    """What the correspondent still has to fill in (not problems: the answers say it is missing)."""
    if placeholders.local_file is None:
        return []
    if not placeholders.local_found:
        if not any(name.startswith(LOCAL_PREFIX) for name in placeholders.used):
            return []
        return [strings.CHECK_LOCAL_MISSING.format(file=placeholders.local_file)]
    return [strings.CHECK_UNSET_LOCAL.format(file=placeholders.local_file, line=line, key=key)
            for key, line in placeholders.unset()]
