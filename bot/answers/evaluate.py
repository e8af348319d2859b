"""Evaluation of the answer engine on a YAML list of ``{question, expected}`` cases, and the
calibration of the search parameters on a tuning set.

``expected`` is an FAQ id, a passage id (``path.md#slug``), a document path (any of its
passages counts) or null (the question must not be answered).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

from .search import SearchOutcome, Searcher, SearchParams


class CasesError(Exception):
    pass


@dataclass
class Case:
    question: str
    expected: str | None


def load_cases(path: Path) -> list[Case]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CasesError(f"{path}: {exc}") from None
    if not isinstance(data, list):
        raise CasesError(f"{path}: expected a YAML list of {{question, expected}}")
    cases = []
    for i, raw in enumerate(data, 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("question"), str) or "expected" not in raw:
            raise CasesError(f"{path}: case #{i} needs 'question' (text) and 'expected' (id or null)")
        expected = raw["expected"]
        cases.append(Case(raw["question"], None if expected in (None, "", "null") else str(expected)))
    return cases


def matches(result_id: str, expected: str) -> bool:
    if result_id == expected:
        return True
    # a document path: any of its passages counts
    return "#" not in expected and result_id.split("#", 1)[0] == expected


@dataclass
class CaseResult:
    case: Case
    outcome: SearchOutcome

    @property
    def rank(self) -> int | None:
        if self.case.expected is None:
            return None
        for i, r in enumerate(self.outcome.results, 1):
            if matches(r.id, self.case.expected):
                return i
        return None


def metrics(results: list[CaseResult]) -> dict:
    scope = [r for r in results if r.case.expected is not None]
    nulls = [r for r in results if r.case.expected is None]
    answered = [r for r in results if r.outcome.decision == "answer"]
    answered_right = [r for r in answered if r.rank == 1]
    latencies = np.array([r.outcome.elapsed_ms for r in results]) if results else np.zeros(1)
    n = max(len(scope), 1)
    return {
        "cases": len(results),
        "in_scope": len(scope),
        "null_cases": len(nulls),
        "top1": sum(1 for r in scope if r.rank == 1) / n,
        "top3": sum(1 for r in scope if r.rank is not None and r.rank <= 3) / n,
        "mrr": sum(1.0 / r.rank for r in scope if r.rank) / n,
        "answered_correct": sum(1 for r in scope if r.outcome.decision == "answer" and r.rank == 1) / n,
        "suggested_with_right_choice": sum(
            1 for r in scope if r.outcome.decision == "suggest" and r.rank is not None and r.rank <= 3) / n,
        "answered_precision": len(answered_right) / len(answered) if answered else 1.0,
        "null_not_answered": sum(1 for r in nulls if r.outcome.decision != "answer") / max(len(nulls), 1),
        "null_none": sum(1 for r in nulls if r.outcome.decision == "none") / max(len(nulls), 1),
        "scope_none": sum(1 for r in scope if r.outcome.decision == "none") / n,
        "latency_p50_ms": float(np.percentile(latencies, 50)),
        "latency_p95_ms": float(np.percentile(latencies, 95)),
    }


def evaluate(searcher: Searcher, cases: list[Case]) -> tuple[dict, list[CaseResult]]:
    results = [CaseResult(c, searcher.search(c.question)) for c in cases]
    return metrics(results), results


# --- calibration ---------------------------------------------------------------------------------

def _objective(m: dict) -> float:
    """What calibration maximises: the value of the bot's replies to a staff member.

    A right answer is worth 1, a wrong one costs 4 (a confident wrong answer about an exam is
    the worst outcome); suggestions holding the right entry are worth 0.4 (one more click), a
    plain "no answer" to an out-of-scope question 0.5, to an in-scope one -0.2.
    Expressed per case so it does not depend on the size of the set.
    """
    n_scope, n_null = max(m["in_scope"], 1), max(m["null_cases"], 1)
    scope_share = n_scope / (n_scope + n_null)
    answered = m["answered_correct"] * n_scope
    precision = m["answered_precision"]
    wrong = answered / precision - answered if precision > 0 else 0.0
    wrong += (1 - m["null_not_answered"]) * n_null
    value = (answered - 4 * wrong + 0.4 * m["suggested_with_right_choice"] * n_scope
             + 0.5 * m["null_none"] * n_null - 0.2 * m.get("scope_none", 0.0) * n_scope)
    return value / (n_scope + n_null) + 0.01 * m["mrr"] * scope_share


# the quality targets: thresholds are only chosen among those that meet them on the tuning
# half (when none does, the best objective wins anyway)
MIN_ANSWERED_PRECISION = 0.97
MIN_NULL_NOT_ANSWERED = 0.90


def calibrate(searcher: Searcher, cases: list[Case], progress=None) -> tuple[SearchParams, dict]:
    """Grid-search weights, then thresholds, on ``cases``. Returns (best params, their metrics).

    Query embeddings and lexical scores are computed once; each grid point only re-mixes them.
    Among the thresholds keeping answered precision and unanswered nulls at or above the targets,
    the ones answering the most questions outright (and right) win, ``_objective`` breaking ties:
    a direct answer is what staff want, as long as it is almost always right. (Maximising the
    objective alone answered one tuning question fewer and one held-out question fewer.)
    """
    base = searcher.params
    grid_weights = list(itertools.product(
        [0.4, 0.5, 0.6, 0.7, 0.8],  # w_dense (w_lexical = 1 - w_dense)
        [0.0, 0.05, 0.1, 0.15],  # body_offset
        [0.5, 0.7, 0.9],  # body_lexical
        [-0.08, -0.04, 0.0],  # doc_bias
    ))
    best = None
    total = len(grid_weights)
    searcher.memo = {}
    for step, (wd, bo, bl, db) in enumerate(grid_weights, 1):
        params = replace(base, w_dense=wd, w_lexical=round(1 - wd, 3), body_offset=bo, body_lexical=bl,
                         doc_bias=db)
        searcher.params = params
        m, results = evaluate(searcher, cases)
        key = (m["top1"], m["mrr"])
        if best is None or key > best[0]:
            best = (key, params, results)
        if progress:
            progress(step, total)
    searcher.memo = None
    _, params, results = best
    # thresholds: reuse the ranked results, only the decision changes
    best_t = None
    for answer_t in np.arange(0.40, 1.005, 0.01):
        for margin in (0.0, 0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3):
            for suggest_t in np.arange(0.30, answer_t + 0.001, 0.04):
                trial = replace(params, answer_threshold=round(float(answer_t), 3),
                                suggest_threshold=round(float(suggest_t), 3), margin=margin)
                probe = Searcher(searcher.index, searcher.embedder, trial)
                for r in results:
                    r.outcome.decision = probe.decide(r.outcome.results)
                m = metrics(results)
                meets = (m["answered_precision"] >= MIN_ANSWERED_PRECISION
                         and m["null_not_answered"] >= MIN_NULL_NOT_ANSWERED)
                score = (meets, round(m["answered_correct"], 9), _objective(m))
                if best_t is None or score > best_t[0]:
                    best_t = (score, trial, m)
    _, params, m = best_t
    searcher.params = params
    for r in results:
        r.outcome.decision = searcher.decide(r.outcome.results)
    return params, metrics(results)


def format_report(m: dict) -> str:
    def pct(x: float) -> str:
        return f"{x:.3f}" if not math.isnan(x) else "n/a"

    return "\n".join([
        f"cases: {m['cases']} ({m['in_scope']} in scope, {m['null_cases']} null)",
        f"top-1: {pct(m['top1'])}   top-3: {pct(m['top3'])}   MRR: {pct(m['mrr'])}",
        f"answered correctly: {pct(m['answered_correct'])}   right choice among suggestions: "
        f"{pct(m['suggested_with_right_choice'])}",
        f"answered precision: {pct(m['answered_precision'])}",
        f"null cases not answered: {pct(m['null_not_answered'])}   (decision 'none': {pct(m['null_none'])})",
        f"latency per question: p50 {m['latency_p50_ms']:.1f} ms, p95 {m['latency_p95_ms']:.1f} ms",
    ])
