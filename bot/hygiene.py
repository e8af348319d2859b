"""Content hygiene for the FAQ and documentation: ids unique, answers non-empty, links
well-formed, every FAQ entry with variants, every training question pointing at an existing
entry or passage. ``pixbot check`` prints the problems."""

from __future__ import annotations

import re
from pathlib import Path

from .evaluate import CasesError, load_cases
from .sources import URL_RE, load_sources

LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
BARE_URL_RE = re.compile(r"(?<![(<\w])https?://[^\s)>\]]+")


def check_content(faq_dir: Path | None, docs_dir: Path | None, training_dir: Path | None = None) -> list[str]:
    result = load_sources(faq_dir, docs_dir)
    problems = [str(p) for p in result.errors]
    for item in result.items:
        where = f"{item.origin}, ligne {item.line}, {item.id}" if item.line else f"{item.origin}, {item.id}"
        if not item.body.strip():
            problems.append(f"{where} : texte vide")
        if item.kind == "faq" and len(item.phrasings) < 2:
            problems.append(f"{where} : aucune variante de la question")
        for label, url in LINK_RE.findall(item.body):
            if not label.strip():
                problems.append(f"{where} : lien sans texte ({url})")
            if not URL_RE.match(url):
                problems.append(f"{where} : lien mal formé « {url} »")
        for url in BARE_URL_RE.findall(item.body):
            if not URL_RE.match(url.rstrip(".,;:")):
                problems.append(f"{where} : adresse mal formée « {url} »")
    ids = {item.id for item in result.items} | {item.id.split("#", 1)[0] for item in result.items}
    for path in sorted(training_dir.glob("*.yaml")) if training_dir and training_dir.is_dir() else []:
        try:
            cases = load_cases(path)
        except CasesError as exc:
            problems.append(str(exc))
            continue
        for case in cases:
            if case.expected is not None and case.expected not in ids:
                problems.append(f"{path.name} : question « {case.question} » : identifiant inconnu « {case.expected} »")
    return problems
