"""Content gaps: the questions the bot could not answer well, grouped by meaning, so the
correspondent sees what to write next.

A question counts when the bot found no answer (« none »), only offered suggestions, when its
answer got a 👎, or when it was handed on to a correspondent (a ticket not yet made an FAQ entry;
the tickets feature gives them through ``app.handed_on``, with the correspondent's answer). They are embedded with the model the bot already uses and grouped greedily:
each question joins the group whose centre is nearest if it is close enough, else starts its
own. Each group is listed with its size, three example questions, and the nearest existing
entry with its score (how far the content is from covering it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# cosine similarity to a group's centre for a question to join it. Measured on 9 staff questions
# (3 + 2 paraphrases of two needs, 4 unrelated): with the shipped e5 model, paraphrases 0.71-0.90
# and unrelated pairs at most 0.49; with MiniLM 0.72-0.90 and at most 0.64. A small sample: the
# figure to revisit once real questions are logged.
THRESHOLD = 0.65


@dataclass
class Gap:
    questions: list[str]  # most recent first
    nearest_id: str | None
    nearest_title: str | None
    score: float | None
    answers: dict[str, str] = field(default_factory=dict)  # question -> a correspondent's answer to it

    @property
    def size(self) -> int:
        return len(self.questions)


def group(vectors: np.ndarray, threshold: float = THRESHOLD) -> list[list[int]]:
    """Indices grouped greedily by cosine similarity to each group's centre (vectors need not be
    normalised); groups in order of creation, members in input order."""
    groups: list[list[int]] = []
    sums: list[np.ndarray] = []
    for i, vector in enumerate(vectors):
        v = vector / (np.linalg.norm(vector) or 1.0)
        best, best_sim = -1, threshold
        for g, total in enumerate(sums):
            sim = float(v @ (total / (np.linalg.norm(total) or 1.0)))
            if sim >= best_sim:
                best, best_sim = g, sim
        if best < 0:
            groups.append([i])
            sums.append(v.copy())
        else:
            groups[best].append(i)
            sums[best] += v
    return groups


def gap_questions(storage, since: float, handed_on: list | tuple = (),
                  until: float | None = None) -> tuple[list[str], dict[str, str]]:
    """The questions that went unanswered, answered only by suggestions, got a 👎 or were handed
    on from ``since`` (to ``until``, excluded), newest first, each once (case and spacing
    ignored); and the answers a correspondent gave to those handed on. ``handed_on``: ``app.handed_on``."""
    rows = [(q["asked_at"], q["question"], None) for q in storage.questions(since, outcomes=("none", "suggest"))]
    rows += [(f["created_at"], f["question"], None) for f in storage.feedback()
             if f["value"] < 0 and f["question"] and f["created_at"] >= since]
    for source in handed_on:
        rows += source(since)
    if until is not None:
        rows = [r for r in rows if r[0] < until]
    answers: dict[str, str] = {}
    for _, text, answer in rows:
        if answer:
            answers.setdefault(" ".join(text.casefold().split()), answer)
    seen, out = set(), []
    for _, text, _ in sorted(rows, key=lambda r: r[0], reverse=True):
        key = " ".join(text.casefold().split())
        if key and key not in seen:
            seen.add(key)
            out.append(text)
    return out, {q: answers[" ".join(q.casefold().split())] for q in out if " ".join(q.casefold().split()) in answers}


def find_gaps(storage, engine, since: float, handed_on: list | tuple = (), threshold: float = THRESHOLD,
              until: float | None = None) -> list[Gap]:
    """The gaps from ``since`` (to ``until``), largest first."""
    questions, answers = gap_questions(storage, since, handed_on, until)
    if not questions:
        return []
    embedder = engine.embedder  # one batched call, through the embedding cache, with the query prompt
    vectors, _ = embedder.encode([embedder.prompted(q, "query") for q in questions])
    gaps = []
    for members in group(vectors, threshold):
        texts = [questions[i] for i in members]
        best = engine.ask(texts[0]).best
        gaps.append(Gap(texts, best.item.id if best else None, best.item.title if best else None,
                        round(best.score, 3) if best else None, {q: answers[q] for q in texts if q in answers}))
    return sorted(gaps, key=lambda g: -g.size)
