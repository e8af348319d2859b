"""Query the index and decide: answer, suggest or none.

Scoring (all parts on fixed scales, so thresholds mean the same for every query):

* dense: cosine similarity (normalised vectors, inner product) between the query and each text
  unit; per item, the best question-like unit, or the body unit lowered by ``body_offset``;
* lexical: normalised BM25 (see lexical.py), per item the best question-like unit, or the
  body unit weighted by ``body_lexical``;
* score = w_dense * dense + w_lexical * min(lexical, 1) + (doc_bias for documentation passages).

The decision uses two thresholds and a margin between the best item and the runner-up (the
margin required shrinks linearly to zero as the best score nears 1.0, an exact match); all
values come from calibration on the tuning half of the evaluation set (``pixbot eval
--calibrate``) and live in the config (``search:`` section).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .embedding import Embedder
from .index import SearchIndex
from .sources import Item
from .textnorm import normalize_for_embedding


@dataclass
class SearchParams:
    w_dense: float = 0.7
    w_lexical: float = 0.3
    body_offset: float = 0.05
    body_lexical: float = 0.5
    doc_bias: float = -0.08
    answer_threshold: float = 0.5
    suggest_threshold: float = 0.5
    margin: float = 0.2
    max_suggestions: int = 3
    candidates: int = 256


# the parameters `pixbot eval --calibrate` sets (recorded in the model's manifest by `pixbot train`)
CALIBRATED = ("w_dense", "w_lexical", "body_offset", "body_lexical", "doc_bias", "answer_threshold",
              "suggest_threshold", "margin")


@dataclass
class Result:
    item: Item
    score: float
    dense: float
    lexical: float

    @property
    def id(self) -> str:
        return self.item.id


@dataclass
class SearchOutcome:
    question: str
    decision: str  # "answer" | "suggest" | "none"
    results: list[Result] = field(default_factory=list)
    elapsed_ms: float = 0.0

    @property
    def best(self) -> Result | None:
        return self.results[0] if self.results else None


class Searcher:
    def __init__(self, index: SearchIndex, embedder: Embedder, params: SearchParams | None = None):
        self.index = index
        self.embedder = embedder
        self.params = params or SearchParams()
        self.memo: dict[str, tuple[np.ndarray, np.ndarray]] | None = None  # set to {} to reuse query features

    def query_features(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """(query vector, lexical score of every unit); memoised when ``memo`` is a dict."""
        if self.memo is not None and question in self.memo:
            return self.memo[question]
        qvec = self.embedder.encode_query(normalize_for_embedding(question) or question)
        lex = self.index.lexical.scores(question)
        if self.memo is not None:
            self.memo[question] = (qvec, lex)
        return qvec, lex

    def item_scores(self, question: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per-item (candidate ids, score, dense, lexical) arrays, unsorted."""
        p = self.params
        idx = self.index
        n_units = len(idx.units)
        if n_units == 0:
            empty = np.zeros(0)
            return empty.astype(np.int64), empty, empty, empty
        qvec, lex = self.query_features(question)
        k = min(p.candidates, n_units)
        _, dense_top = idx.dense.search(qvec, k)
        lex_top = np.argpartition(-lex, k - 1)[:k] if k < n_units else np.arange(n_units)
        lex_top = lex_top[lex[lex_top] > 0]
        cand_units = np.unique(np.concatenate([dense_top[0][dense_top[0] >= 0], lex_top]))
        cand_items = np.unique(idx.unit_item[cand_units])
        # every unit of every candidate item, so an item's score never depends on the cut-off
        mask = np.isin(idx.unit_item, cand_items)
        units = np.nonzero(mask)[0]
        dense_u = idx.vectors[units] @ qvec[0]
        lex_u = np.minimum(lex[units], 1.0)
        is_q = idx.unit_is_q[units]
        dense_u = np.where(is_q, dense_u, dense_u - p.body_offset)
        lex_u = np.where(is_q, lex_u, lex_u * p.body_lexical)
        pos = np.searchsorted(cand_items, idx.unit_item[units])
        dense_i = np.full(len(cand_items), -1.0, dtype=np.float32)
        lex_i = np.zeros(len(cand_items), dtype=np.float32)
        np.maximum.at(dense_i, pos, dense_u)
        np.maximum.at(lex_i, pos, lex_u)
        score = p.w_dense * dense_i + p.w_lexical * lex_i
        score = score + np.where(idx.item_is_faq[cand_items], 0.0, p.doc_bias)
        return cand_items, score, dense_i, lex_i

    def search(self, question: str, limit: int = 5) -> SearchOutcome:
        start = time.perf_counter()
        items, score, dense, lex = self.item_scores(question)
        order = np.argsort(-score, kind="stable")
        results: list[Result] = []
        seen: set[str] = set()
        for j in order:
            item = self.index.items[items[j]]
            if item.id in seen:  # chunks of one section share an id: keep the best
                continue
            seen.add(item.id)
            results.append(Result(item, float(score[j]), float(dense[j]), float(lex[j])))
            if len(results) >= max(limit, self.params.max_suggestions + 1):
                break
        outcome = SearchOutcome(question, self.decide(results), results)
        outcome.elapsed_ms = (time.perf_counter() - start) * 1000
        return outcome

    def decide(self, results: list[Result]) -> str:
        p = self.params
        if not results:
            return "none"
        top = results[0].score
        second = results[1].score if len(results) > 1 else -1.0
        # the margin required over the runner-up shrinks as the best score nears an exact
        # match (1.0): full `margin` at the answer threshold, none at 1.0
        required = p.margin * max(0.0, 1.0 - top) / max(1e-6, 1.0 - p.answer_threshold)
        if top >= p.answer_threshold and top - second >= required:
            return "answer"
        if top >= p.suggest_threshold:
            return "suggest"
        return "none"

    def suggestions(self, outcome: SearchOutcome) -> list[Result]:
        """Results worth offering as "vouliez-vous dire" choices (best first)."""
        p = self.params
        return [r for r in outcome.results[: p.max_suggestions] if r.score >= p.suggest_threshold] or outcome.results[:1]
