"""The content rules of ``pixbot check``, held to the glossary (``glossary.py``, read from
``sources.glossary_dir``). Each is a plain text rule a person can apply by hand (see the
comments of the glossary files for their data):

1. Field status (``glossaire.yaml``, ``fields``): a sentence of an FAQ answer or of a
   documentation section (heading included) that names a field of the candidate file and says
   it is optional when the glossary says mandatory, or the reverse, is flagged. A sentence says
   a status with « obligatoire », « requis », « exigé », « indispensable » (mandatory; optional
   when negated: « pas obligatoire », « non obligatoire ») or « facultatif », « optionnel »
   (optional); a field takes the status word nearest to it in its sentence. A line that ends
   with « : » and holds a status word gives its status (its last status word) to the fields of
   the list items that follow it and state none of their own.
2. Interface labels (``libelles-pix.yaml``): a « quoted » name right after « bouton », « menu »,
   « onglet », « rubrique », « action », « case » (singular or plural; « le », « la », « l' »,
   « du », « des », « sur », « intitulé »… may come between) or after « cliquez / cliquer /
   clique / cliquent / cliquant / clic / appuyez / appuyer sur » (and each « quoted » name
   chained to it by « , », « et », « ou ») must be one of the listed labels (case, spaces,
   apostrophes and Markdown emphasis ignored; accents count).
3. Points to verify (``glossaire.yaml``, ``to_verify``): a sentence of an FAQ answer or of a
   documentation section (headings excepted) that mentions a point (a word of each of its
   groups) needs a caveat (a phrase of ``caveats``) in its paragraph, or in another paragraph
   of the same answer or section that names the point's subject or whose caveat sentence
   points back to it with « ce / cet / cette / ces … » (see ``uncaveated_points``).
"""

from __future__ import annotations

import re

from ..core import strings
from .glossary import (GLOSSARY_FILE, LABELS_FILE, MANDATORY, OPTIONAL, Glossary, GlossaryField, VerifyPoint, fold,
                       label_key)
from .sources import Item, SourceProblem

LINK_RE = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")


# -- text helpers ---------------------------------------------------------------------------------

def plain(markdown_text: str) -> str:
    """Markdown -> text for the rules: links keep their label; emphasis and code marks go."""
    text = LINK_RE.sub(r"\1", markdown_text)
    text = re.sub(r"(\*\*|__|`)", "", text)
    text = re.sub(r"(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])", "", text)
    return text.replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")


SENTENCE_RE = re.compile(r"[^.!?;\n]+[.!?;]*")
LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def sentences(text: str) -> list[str]:
    return [m.group(0).strip() for m in SENTENCE_RE.finditer(text) if m.group(0).strip()]


def excerpt(text: str, limit: int = 90) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# -- the words the rules look for ------------------------------------------------------------------

NEGATION = r"(?:pas|plus|non|jamais)\s+(?:(?:du\s+tout|forcement|toujours|encore)\s+)?"
STATUS_PATTERNS = [  # negated forms first: their words must not count again as plain ones
    (re.compile(r"(?<!\w)" + NEGATION + r"(?:obligatoire|requis|exige|indispensable)\w*"), OPTIONAL),
    (re.compile(r"(?<!\w)" + NEGATION + r"(?:facultati|optionnel)\w*"), MANDATORY),
    (re.compile(r"(?<!\w)(?:obligatoire|requis|exige|indispensable)\w*"), MANDATORY),
    (re.compile(r"(?<!\w)(?:facultati|optionnel)\w*"), OPTIONAL),
]
# a status word right after one of these nouns qualifies the group, not a field named beside it
GROUP_NOUN_BEFORE_RE = re.compile(r"(?<!\w)(?:champs?|informations?|donnees?|mentions?|colonnes?|rubriques?)"
                                  r"(?:\s+(?:sont|est|restent|reste|aussi|donc|toujours))*\s*$")
# « <field> est un champ facultatif »: what may stand between a field and a generic status word
COPULA_RE = re.compile(r"\s*\)?\s*,?\s*(?:est|sont|reste|restent|devient|deviennent)\s+(?:aussi\s+|donc\s+)?"
                       r"(?:un|une|des|le|la|les)?\s*(?:champs?|informations?|donnees?|mentions?)\s*")
# after a generic status word, a field listed after « : » or « ( » or a verb such as « permettent
# d'ajouter » is one of the group (« champs facultatifs : identifiant externe, … »)
GENERIC_LEADS_RE = re.compile(r"[:(]|(?<!\w)(?:permet\w*|comme|notamment|dont|tels?|telles?|ajouter|renseigner"
                              r"|indiquer|saisir|preciser)(?!\w)")
LABEL_TRIGGER_RE = re.compile(
    r"(?<!\w)(?P<trigger>boutons?|menus?|onglets?|rubriques?|actions?|cases?"
    r"|(?:cliquez|cliquer|clique|cliquent|cliquant|clic|appuyez|appuyer)\s+sur)"
    r"(?:\s+(?:le|la|les|du|de\s+la|des|sur|intitule\w*|nomme\w*|libelle\w*)(?!\w)|\s+l')*"
    r"\s*«\s*(?P<label>[^»]+?)\s*»")
LABEL_CHAIN_RE = re.compile(r"\s*(?:,|(?<!\w)et(?!\w)|(?<!\w)ou(?!\w))\s*«\s*(?P<label>[^»]+?)\s*»")


# -- the rules --------------------------------------------------------------------------------------

def _statuses(folded: str) -> list[tuple[int, int, str, bool]]:
    """(start, end, status, generic) of the status words of a folded sentence; a generic one
    qualifies a group (« champs facultatifs », « informations obligatoires »)."""
    found: list[tuple[int, int, str, bool]] = []
    for pattern, status in STATUS_PATTERNS:
        for m in pattern.finditer(folded):
            if not any(s < m.end() and m.start() < e for s, e, _, _ in found):
                generic = bool(GROUP_NOUN_BEFORE_RE.search(folded, 0, m.start()))
                found.append((m.start(), m.end(), status, generic))
    return sorted(found)


def _status_of(folded: str, start: int, end: int, statuses) -> str | None:
    """The status a sentence gives the field at [start, end): the nearest status word that is
    about it. A generic status word (« champs facultatifs ») is about the fields after it
    (« … champs facultatifs : identifiant externe, … ») or before it through a copula
    (« le temps majoré est un champ facultatif »), not about other fields listed beside it
    (« l'identité, la date de naissance, les champs facultatifs utiles »)."""
    def is_about(status) -> bool:
        s_start, s_end, _, generic = status
        if not generic:
            return True
        if s_start >= end:  # after the field: only through a copula
            return bool(COPULA_RE.fullmatch(folded, end, s_start))
        return bool(GENERIC_LEADS_RE.search(folded, s_end, start))

    about = [s for s in statuses if is_about(s)]
    if not about:
        return None
    return min(about, key=lambda s: min(abs(s[0] - end), abs(start - s[1])))[2]


def _fields_in(folded: str, fields: list[GlossaryField]) -> list[tuple[int, int, GlossaryField]]:
    spans: list[tuple[int, int, GlossaryField]] = []
    for f in sorted(fields, key=lambda f: -len(f.name)):
        for m in f.pattern.finditer(folded):
            if not any(s < m.end() and m.start() < e for s, e, _ in spans):
                spans.append((m.start(), m.end(), f))
    return spans


def field_status_claims(text: str, fields: list[GlossaryField]) -> list[tuple[GlossaryField, str, str]]:
    """(field, status said, sentence) for every field a text gives a status (rule 1)."""
    claims: list[tuple[GlossaryField, str, str]] = []
    header: str | None = None  # status given by a « … : » line to the list below it
    items_seen = False
    for line in plain(text).split("\n"):
        is_item = bool(LIST_ITEM_RE.match(line))
        if not line.strip():
            if items_seen:
                header, items_seen = None, False
            continue
        if is_item:
            items_seen = True
        elif header is not None:
            header, items_seen = None, False
        for sentence in sentences(LIST_ITEM_RE.sub("", line)):
            folded = fold(sentence)
            statuses = _statuses(folded)
            for start, end, f in _fields_in(folded, fields):
                status = _status_of(folded, start, end, statuses)
                if status is not None:
                    claims.append((f, status, sentence))
                elif is_item and header is not None and not statuses:
                    claims.append((f, header, sentence))
        if not is_item:
            statuses = _statuses(fold(line))
            if line.rstrip().endswith(":") and statuses:
                header, items_seen = statuses[-1][2], False
    return claims


def ui_labels(text: str) -> list[tuple[str, str]]:
    """(trigger word, label) of every « quoted » name the text presents as an interface element
    (rule 2), in the text's own spelling."""
    source = plain(text)
    folded = fold(source)
    found: list[tuple[str, str]] = []
    for m in LABEL_TRIGGER_RE.finditer(folded):
        trigger = source[m.start("trigger"):m.end("trigger")]
        found.append((trigger, source[m.start("label"):m.end("label")]))
        end = m.end()
        while chained := LABEL_CHAIN_RE.match(folded, end):
            found.append((trigger, source[chained.start("label"):chained.end("label")]))
            end = chained.end()
    return found


def points_mentioned(text: str, points: list[VerifyPoint]) -> list[tuple[VerifyPoint, str]]:
    """(point, sentence) for every point to verify a text mentions (rule 3), once per point."""
    found: dict[str, tuple[VerifyPoint, str]] = {}
    for sentence in sentences(plain(text)):
        folded = fold(sentence)
        for point in points:
            if point.id in found or (point.unless and point.unless.search(folded)):
                continue
            if all(group is not None and group.search(folded) for group in point.mentions):
                found[point.id] = (point, sentence)
    return list(found.values())


def has_caveat(text: str, glossary: Glossary) -> bool:
    return glossary.caveats is not None and bool(glossary.caveats.search(fold(plain(text))))


PARAGRAPH_RE = re.compile(r"\n\s*\n")


DEMONSTRATIVE_RE = re.compile(r"(?<!\w)(?:ce|cet|cette|ces)\s+\w+")


def uncaveated_points(text: str, glossary: Glossary) -> list[tuple[VerifyPoint, str]]:
    """(point, sentence) for every point to verify that the text mentions without a caveat
    about it, once per point (rule 3). The caveat must be in the paragraph of the mention, or in
    another paragraph that is about the point: one that names its subject (``subject`` in the
    glossary, by default the words of its first group), or one whose caveat sentence points
    back with « ce / cet / cette / ces … » (« Ces règles évoluent : en cas de doute… »).
    « Renseignez-vous … sur l'organisation possible », about another matter, does not count.
    A list and the line that introduces it make one paragraph."""
    paragraphs = [p for p in PARAGRAPH_RE.split(_join_lists(text)) if p.strip()]
    caveat_sentences = [[fold(x) for x in sentences(plain(p)) if has_caveat(x, glossary)] for p in paragraphs]
    found: dict[str, tuple[VerifyPoint, str]] = {}
    for index, paragraph in enumerate(paragraphs):
        if caveat_sentences[index]:
            continue
        for point, sentence in points_mentioned(paragraph, glossary.points):
            if any(caveats and (point.subject.search(fold(plain(paragraphs[other])))
                                or any(DEMONSTRATIVE_RE.search(c) for c in caveats))
                   for other, caveats in enumerate(caveat_sentences)):
                continue
            found.setdefault(point.id, (point, sentence))
    return list(found.values())


def _join_lists(text: str) -> str:
    """The blank lines between a line ending with « : » and its list, or between list items,
    removed: the list and its introduction make one paragraph."""
    lines = text.split("\n")
    out: list[str] = []
    for i, line in enumerate(lines):
        if not line.strip() and out and (out[-1].rstrip().endswith(":") or LIST_ITEM_RE.match(out[-1])):
            following = next((n for n in lines[i + 1:] if n.strip()), "")
            if LIST_ITEM_RE.match(following):
                continue
        out.append(line)
    return "\n".join(out)


def _rule_texts(items: list[Item]) -> list[tuple[Item, str, str]]:
    """(item, heading, text) per FAQ answer and per documentation section (its chunks joined):
    what the rules read. Chunks of a long section share words at their edges; the rules only
    look for presence, so the repeat is harmless."""
    texts: dict[str, tuple[Item, str, list[str]]] = {}
    for item in items:
        if item.id not in texts:
            heading = item.title.split(" › ", 1)[1] if item.kind == "doc" and " › " in item.title else ""
            texts[item.id] = (item, heading, [])
        texts[item.id][2].append(item.body)
    return [(item, heading, "\n\n".join(parts)) for item, heading, parts in texts.values()]


def content_rule_problems(items: list[Item], glossary: Glossary) -> list[SourceProblem]:
    problems: list[SourceProblem] = []
    where = f"{glossary.folder}/"
    for item, heading, body in _rule_texts(items):
        text = f"{heading}\n\n{body}" if heading else body
        def problem(message: str, item=item) -> None:
            problems.append(SourceProblem(item.origin, message, entry=item.id, line=item.line))

        seen: set[tuple[str, str]] = set()
        for f, said, sentence in field_status_claims(text, glossary.fields):
            if said != f.status and (f.name, said) not in seen:
                seen.add((f.name, said))
                problem(strings.CHECK_STATUS_CONTRADICTION.format(
                    field=f.name, said=strings.STATUS_WORDS[said], excerpt=excerpt(sentence),
                    glossary=where + GLOSSARY_FILE, status=strings.STATUS_WORDS[f.status]))
        for trigger, label in ui_labels(text) if glossary.labels is not None else ():
            if label_key(label) not in glossary.labels:
                problem(strings.CHECK_UNKNOWN_LABEL.format(label=label, trigger=trigger,
                                                           glossary=where + LABELS_FILE))
        for point, sentence in uncaveated_points(body, glossary):
            problem(strings.CHECK_UNCAVEATED.format(point=point.label, excerpt=excerpt(sentence)))
    return problems
