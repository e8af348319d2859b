"""FAQ drafts from the content gaps: for each group of questions of which at least one was
answered by a correspondent in a ticket, an FAQ entry to review (the question answered, the
group's other questions as variants, the correspondent's answer).

They go to a review file, ``<data_dir>/brouillons/brouillons.yaml``, outside the FAQ folder:
nothing there is indexed or shown to anyone. The correspondent reads it, edits an entry and
copies it into ``faq/`` (or uses ``faq`` in the ticket's thread); ``pixbot check`` holds the file
to the FAQ's rules. ``pixbot lacunes --brouillons`` rewrites it from the current gaps. The file
quotes people's questions: « oublier mes données » removes the drafts that quote the person.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ...answers.textnorm import slugify
from ...core import strings

DRAFTS_FILE = "brouillons.yaml"
MAX_VARIANTS = 8


def drafts_dir(config) -> Path:
    return config.data_dir / "brouillons"


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def make_drafts(gaps: list, taken: set[str]) -> list[tuple[object, dict]]:
    """(gap, FAQ entry) for each gap with a correspondent's answer; ids unique against ``taken``
    (the loaded entries' ids) and each other."""
    out = []
    for gap in gaps:
        if not gap.answers:
            continue
        question = next(q for q in gap.questions if q in gap.answers)  # the most recent one answered
        base = "brouillon-" + (slugify(question)[:40].rstrip("-") or "question")
        entry_id, n = base, 2
        while entry_id in taken:
            entry_id, n = f"{base}-{n}", n + 1
        taken.add(entry_id)
        entry = {"id": entry_id, "question": question}
        variants = [q for q in gap.questions if q != question][:MAX_VARIANTS]
        if variants:
            entry["variants"] = variants
        entry["answer"] = gap.answers[question]
        out.append((gap, entry))
    return out


def write_drafts(folder: Path, drafts: list[tuple[object, dict]]) -> Path:
    """Replace the review file with ``drafts`` (in one step: never half written)."""
    folder.mkdir(parents=True, exist_ok=True)
    parts = ["\n".join(f"# {line}" for line in strings.DRAFTS_HEADER.splitlines())]
    for gap, entry in drafts:
        parts.append(f"# {strings.draft_comment(gap.size, gap.nearest_id, gap.score)}\n"
                     + yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, width=100))
    path = folder / DRAFTS_FILE
    partial = folder / (DRAFTS_FILE + ".tmp")
    partial.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def read_drafts(folder: Path) -> list[dict]:
    path = folder / DRAFTS_FILE
    if not path.exists():
        return []
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _quoted(entry: dict) -> set[str]:
    return {_fold(str(q)) for q in [entry.get("question", ""), *(entry.get("variants") or [])]}


def quoting(folder: Path, texts: list[str]) -> int:
    """How many drafts quote one of ``texts`` (as question or variant)."""
    folded = {_fold(t) for t in texts}
    return sum(1 for e in read_drafts(folder) if folded & _quoted(e))


def remove_quoting(folder: Path, texts: list[str]) -> int:
    """Remove the drafts quoting one of ``texts``, keep the others (the file is written again,
    without the comments)."""
    folded = {_fold(t) for t in texts}
    entries = read_drafts(folder)
    kept = [e for e in entries if not folded & _quoted(e)]
    if len(kept) == len(entries):
        return 0
    header = "\n".join(f"# {line}" for line in strings.DRAFTS_HEADER.splitlines())
    body = yaml.safe_dump(kept, allow_unicode=True, sort_keys=False, width=100) if kept else "[]\n"
    partial = folder / (DRAFTS_FILE + ".tmp")
    partial.write_text(f"{header}\n\n{body}", encoding="utf-8")
    partial.replace(folder / DRAFTS_FILE)
    return len(entries) - len(kept)
