"""French text normalisation for search.

Chat French is informal: abbreviations (``certif``, ``mdp``), missing accents, typos, SMS
spellings. The dense model is English, so most of the French robustness of the engine comes
from here: every text (sources and queries) goes through the same pipeline

    lowercase -> expand chat abbreviations -> tokenise -> drop stop words
    -> Snowball French stem -> fold accents

so that "résultats", "resultat" and "RESULTATS" meet on one token. ``normalize_for_embedding``
applies only the abbreviation step (the model sees natural text).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("french")

# Chat abbreviations and spellings seen in staff messages -> the words the sources use.
# Keys are matched as whole words on lowercased, accent-folded text.
ABBREVIATIONS: dict[str, str] = {
    "certif": "certification",
    "certifs": "certifications",
    "mdp": "mot de passe",
    "pwd": "mot de passe",
    "orga": "pix orga",
    "svp": "",
    "stp": "",
    "jsp": "",
    "pb": "problème",
    "pbs": "problèmes",
    "pbm": "problème",
    "pblm": "problème",
    "prob": "problème",
    "qd": "quand",
    "qq": "quelques",
    "qqn": "quelqu'un",
    "qqun": "quelqu'un",
    "qqch": "quelque chose",
    "bcp": "beaucoup",
    "tps": "temps",
    "dc": "donc",
    "pr": "pour",
    "ds": "dans",
    "ac": "avec",
    "avc": "avec",
    "cmt": "comment",
    "cmnt": "comment",
    "koi": "quoi",
    "kan": "quand",
    "ki": "qui",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "pkoi": "pourquoi",
    "etu": "étudiant",
    "etus": "étudiants",
    "etud": "étudiant",
    "etuds": "étudiants",
    "etudiant.e.s": "étudiants",
    "exam": "examen",
    "exams": "examens",
    "num": "numéro",
    "n°": "numéro",
    "no": "numéro",
    "prof": "enseignant",
    "profs": "enseignants",
    "fac": "université",
    "univ": "université",
    "convoc": "convocation",
    "convocs": "convocations",
    "dispo": "disponible",
    "info": "information",
    "infos": "informations",
    "appli": "application",
    "ordi": "ordinateur",
    "ordis": "ordinateurs",
    "resa": "réservation",
    "tt": "tout",
    "ts": "tous",
    "mtn": "maintenant",
    "auj": "aujourd'hui",
    "rdv": "rendez-vous",
    "sem": "semaine",
    "msg": "message",
    "tel": "téléphone",
    "tél": "téléphone",
    "nav": "navigateur",
    "navig": "navigateur",
    "surv": "surveillant",
    "tiers-temps": "tiers temps",
    "1/3": "tiers",
    "secu": "sécurité sociale",
    "sécu": "sécurité sociale",
    "rgpd": "rgpd données personnelles",
    "pv": "procès-verbal pv",
    "ok": "",
    "bjr": "",
    "bonjour": "",
    "merci": "",
    "mrc": "",
    "slt": "",
    "salut": "",
    "coucou": "",
    "stv": "",
}

# French function words and chat filler: they carry no topic.
STOP_WORDS = frozenset(
    """
    a à ai aie aient aies ait alors as au aucun aussi autre aux avais avait avant avec avez avoir
    avons ayant bah ben bien bon c ça ca car ce ceci cela celle celles celui cependant certain ces cet
    cette ceux chaque chez ci comme comment d dans de des deja déjà donc dont du e elle elles en encore
    es est et etaient étaient etais étais etait était etant étant ete été etes êtes etre être eu eux fait
    faire faut fois font hors i ici il ils j je jusqu l la là le les leur leurs lui m ma mais me meme même
    mes moi mon n ne ni non nos notre nous o on ont ou où par parce pas peu peut peuvent peux plus pour
    pourquoi pourrait pouvez pouvons puis qu quand que quel quelle quelles quels qui quoi s sa sans se
    sera seront ses si sien soi soit son sont sous suis sur t ta te tes toi ton tous tout toute toutes
    tres très tu un une unes uns v va vais vas vers voici voila voilà vont vos votre vous vu y
    hello merci svp stp bonjour bonsoir salut coucou cordialement please euh hein ok okay
    est-ce qu'il qu'elle qu'on c'est j'ai n'est l'on d'un d'une
    """.split()
)

_WORD_RE = re.compile(r"[a-z0-9àâäçéèêëîïôöùûüÿœæ]+(?:[-'][a-z0-9àâäçéèêëîïôöùûüÿœæ]+)*")
_ELISION_RE = re.compile(r"^(?:[ldjmntsc]|qu|jusqu|lorsqu|puisqu)'")
# question inversion: "saisissent-ils", "peut-on", "a-t-il", "pouvez-vous" -> verb + pronoun
_INVERSION_RE = re.compile(r"^(.+?)-(?:t-)?(il|ils|elle|elles|on|je|tu|ce|nous|vous)$")
_NOT_INVERSIONS = frozenset({"rendez-vous"})


@lru_cache(maxsize=131072)  # called once per word of every indexed text: most are repeats
def fold_accents(text: str) -> str:
    """Remove diacritics: 'Élève à' -> 'Eleve a'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("œ", "oe").replace("æ", "ae")


def slugify(text: str) -> str:
    """Heading -> anchor slug: lowercase, accents folded, runs of other characters -> '-'."""
    return re.sub(r"[^a-z0-9]+", "-", fold_accents(text.lower())).strip("-")


def _expand(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        repl = ABBREVIATIONS.get(word)
        if repl is None:
            repl = ABBREVIATIONS.get(fold_accents(word))
        if repl is None:
            out.append(word)
        elif repl:
            parts = repl.split()
            if out and len(parts) > 1 and out[-1] == parts[0]:  # "pix orga" stays "pix orga"
                parts = parts[1:]
            out.extend(parts)
    return out


# Multi-word spellings that must become one word before tokenising ("Pix+" is not "Pix").
PHRASES = [
    (re.compile(r"\bpix\s*(?:\+|plus\b)"), " pixplus "),
    (re.compile(r"\bc\s*(?:'|’)?\s*(?:est|koi)\s+(?:quoi|koi)\b|\bc\s+koi\b"), " qu'est-ce que "),
]


def words(text: str) -> list[str]:
    """Lowercased word tokens with chat abbreviations expanded (accents kept)."""
    text = text.lower().replace("’", "'").replace("`", "'")
    for pattern, repl in PHRASES:
        text = pattern.sub(repl, text)
    raw: list[str] = []
    for word in _WORD_RE.findall(text):
        inverted = None if word in _NOT_INVERSIONS else _INVERSION_RE.match(word)
        raw.extend(inverted.groups() if inverted else (word,))
    return _expand(raw)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Stem a lowercase word, then fold accents, so accented and bare spellings meet."""
    word = _ELISION_RE.sub("", word)
    return fold_accents(_STEMMER.stemWord(word))


def tokens(text: str) -> list[str]:
    """Search tokens: expanded, stop words removed, stemmed, accent-folded."""
    out: list[str] = []
    for word in words(text):
        bare = _ELISION_RE.sub("", word)
        if not bare or bare in STOP_WORDS or fold_accents(bare) in STOP_WORDS:
            continue
        if len(bare) == 1 and not bare.isdigit():
            continue
        out.append(stem(bare))
    return out


def normalize_for_embedding(text: str) -> str:
    """Natural text for the dense model: abbreviations expanded, whitespace tidied."""
    return " ".join(words(text)) if text.strip() else ""
