"""A small BM25 retriever over French search tokens, with typo tolerance.

Written here rather than taken from ``rank-bm25`` because the engine needs two things that
library does not give: an inverted index (a query touches only the postings of its own terms,
so 10k entries cost about as much as 1k), and a score on a fixed scale. The score of a unit is
its BM25 divided by the query's total IDF mass, so it reads as "how much of what the query
says, weighted by rarity, this unit covers" and thresholds mean the same for any query length.
A query word unknown to the corpus counts in that mass, which is what makes out-of-scope
questions score low. Typos are mapped to the nearest corpus word with rapidfuzz.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz, process

from . import textnorm

# Typo correction compares a word with the whole vocabulary: only the first MAX_CORRECTIONS
# unknown words of a query are corrected, so a very long message costs a bounded amount of work;
# the other unknown words are still searched for as they are. Words longer than
# MAX_CORRECTED_LENGTH letters are never corrected (they are not typos of a real word, and
# comparing them costs the most).
MAX_CORRECTIONS = 12
MAX_CORRECTED_LENGTH = 40


def _correctable(word: str) -> bool:
    return 5 <= len(word) <= MAX_CORRECTED_LENGTH


@lru_cache(maxsize=65536)
def _analyse(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(folded surface words of 4+ letters, search tokens) of one indexed text; memoised so a
    rebuild after an edit re-tokenises only the texts that changed."""
    words = tuple(textnorm.fold_accents(w) for w in textnorm.words(text) if len(w) >= 4)
    return words, tuple(textnorm.tokens(text))


class LexicalIndex:
    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.5):
        self.k1 = k1
        self.b = b
        self.n = len(texts)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self.lengths = np.zeros(self.n, dtype=np.float32)
        surface: set[str] = set()
        for i, text in enumerate(texts):
            words, toks = _analyse(text)
            surface.update(words)
            self.lengths[i] = len(toks)
            for tok, tf in Counter(toks).items():
                self.postings[tok].append((i, tf))
        self.avgdl = float(self.lengths.mean()) if self.n else 1.0
        self.idf = {
            tok: math.log(1.0 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for tok, p in self.postings.items()
        }
        self.unknown_idf = math.log(1.0 + (self.n + 0.5) / 0.5)
        self.vocabulary = sorted(surface)
        self._norm = self.k1 * (1 - self.b + self.b * self.lengths / max(self.avgdl, 1e-9))
        self._postings_arrays = {
            tok: (np.fromiter((d for d, _ in p), dtype=np.int64, count=len(p)),
                  np.fromiter((tf for _, tf in p), dtype=np.float32, count=len(p)))
            for tok, p in self.postings.items()
        }

    def correct(self, word: str) -> str:
        """Map an unknown folded word of 5+ letters to the closest corpus word, if close enough."""
        if not _correctable(word) or not self.vocabulary:
            return word
        match = process.extractOne(word, self.vocabulary, scorer=fuzz.ratio, score_cutoff=84)
        return match[0] if match else word

    def query_tokens(self, text: str) -> list[str]:
        out = []
        corrections_left = MAX_CORRECTIONS
        for word in textnorm.words(text):
            bare = textnorm._ELISION_RE.sub("", word)
            folded = textnorm.fold_accents(bare)
            if not bare or bare in textnorm.STOP_WORDS or folded in textnorm.STOP_WORDS:
                continue
            if len(bare) == 1 and not bare.isdigit():
                continue
            tok = textnorm.stem(bare)
            if tok not in self.postings and corrections_left > 0 and _correctable(folded):
                corrections_left -= 1
                fixed = self.correct(folded)
                if fixed != folded:
                    tok = textnorm.stem(fixed)
            out.append(tok)
        return out

    def scores(self, text: str) -> np.ndarray:
        """Normalised BM25 of every unit for the query (0 where nothing matches)."""
        result = np.zeros(self.n, dtype=np.float32)
        toks = self.query_tokens(text)
        if not toks or self.n == 0:
            return result
        mass = 0.0
        for tok, qtf in Counter(toks).items():
            idf = self.idf.get(tok, self.unknown_idf)
            mass += idf * qtf
            arrays = self._postings_arrays.get(tok)
            if arrays is None:
                continue
            docs, tfs = arrays
            result[docs] += qtf * idf * tfs * (self.k1 + 1) / (tfs + self._norm[docs])
        if mass > 0:
            result /= mass * (self.k1 + 1) / (1 + self.k1)
        return result
