"""``pixbot train``: adapt the embedding model to our FAQ and documentation (French, Pix jargon).

Uses sentence-transformers' own training API (SentenceTransformerTrainer) with
MultipleNegativesRankingLoss on pairs drawn from the sources:

* each FAQ phrasing -> every other phrasing of the same entry (question-to-question matching);
* each FAQ phrasing -> the entry's question + answer text (the body unit of the index);
* each documentation passage's heading path -> its text;
* each example question (``sources.training_dir``, default ``training/``: YAML lists of
  ``{question, expected}`` written in staff chat style, plus any ``--cases`` file) -> the main
  question and the body of the entry or passage it expects, so the model also learns how staff
  actually type. The index also matches queries against these questions (see sources.py). The
  evaluation set's held-out half must never be given here.

Each pair also gets a hard negative (see ``training_pairs``): the wrong item of the same kind
that BM25 ranks first for the anchor, so the model learns to tell close neighbours apart (the
usual mistake was the right topic, wrong entry). Batches never hold the same text twice
(NO_DUPLICATES), which keeps two pairs of one entry from acting as each other's negatives.
The model is saved to a local folder; the index uses it when ``search.trained_model`` points
at it (the default place is data/models/pixbot-minilm).
"""

from __future__ import annotations

import functools
import logging
import math
import random
import time
from pathlib import Path

import numpy as np

from .config import Config
from .embedding import Embedder, resolve_model_path
from .evaluate import Case, matches
from .index import build_units
from .lexical import LexicalIndex
from .sources import SourceError, load_sources
from .textnorm import normalize_for_embedding

log = logging.getLogger(__name__)

LEARNING_RATE = 1e-4  # peak, after a 10 % linear warm-up (5e-5 and 2e-4 measured: see README)


def training_questions(config: Config) -> list[Case]:
    """The example questions of ``sources.training_dir`` whose entry or passage exists."""
    sources = load_sources(config.faq_dir, config.docs_dir, config.training_dir)
    return [Case(q, expected) for q, expected in sources.examples]


def training_pairs(config: Config, seed: int = 13, cases: list | None = None,
                   hard_negatives: bool = False) -> list[tuple[str, ...]]:
    """(anchor, positive) pairs, or (anchor, positive, negative) triplets with ``hard_negatives``:
    the negative is the same kind of text (question or body) of the item that BM25 ranks first
    for the anchor among the items of the same kind (FAQ or passage) that do not answer it, i.e.
    the neighbour most easily confused. Across kinds, the nearest item is often the FAQ entry's
    own longer twin in the documentation, which is no mistake to learn from."""
    sources = load_sources(config.faq_dir, config.docs_dir, config.training_dir)
    if sources.errors:
        raise SourceError(sources.errors)
    for problem in sources.warnings:  # e.g. an example question whose entry was removed since
        log.warning("%s", problem)
    items = sources.items
    units = build_units(items)
    body = {u.item: u.text for u in units if u.kind == "a"}
    question = {}
    for u in units:
        if u.kind == "q":
            question.setdefault(u.item, u.text)
    lexical = LexicalIndex([u.text for u in units]) if hard_negatives else None
    unit_item = np.array([u.item for u in units])
    kind = np.array([it.kind for it in items])
    ids = np.array([it.id for it in items])

    @functools.cache
    def nearest_wrong(anchor: str, targets: tuple[int, ...]) -> int:
        """Same anchor, same targets: one BM25 pass, whatever the positive."""
        best = np.full(len(items), -1.0)
        np.maximum.at(best, unit_item, lexical.scores(anchor))
        best[kind != items[targets[0]].kind] = -np.inf
        best[np.isin(ids, [items[t].id for t in targets])] = -np.inf
        return int(np.argmax(best))

    def add(anchor: str, positive: str, targets: list[int], text_of: dict) -> None:
        if lexical is None:
            pairs.append((anchor, positive))
        else:
            pairs.append((anchor, positive, text_of[nearest_wrong(anchor, tuple(targets))]))

    pairs: list[tuple[str, ...]] = []
    for i, item in enumerate(items):
        if item.kind == "faq":
            phrasings = list(item.phrasings)
            for a in phrasings:
                anchor = normalize_for_embedding(a)
                for b in phrasings:
                    if a != b:
                        add(anchor, b, [i], question)
                add(anchor, body[i], [i], body)
        else:
            add(normalize_for_embedding(question[i]), body[i], [i], body)
    examples = [Case(q, expected) for q, expected in sources.examples]
    for case in [*examples, *(cases or [])]:
        if case.expected is None:
            continue
        targets = [i for i, item in enumerate(items) if matches(item.id, case.expected)]
        if not targets:  # an entry removed since: skip it (`pixbot check` lists these)
            log.warning("training question %r: unknown id %r, skipped", case.question, case.expected)
            continue
        anchor = normalize_for_embedding(case.question)
        for i in targets:
            if items[i].kind == "faq":
                add(anchor, items[i].phrasings[0], targets, question)
            add(anchor, body[i], targets, body)
    random.Random(seed).shuffle(pairs)
    return pairs


def train(config: Config, output: Path, epochs: int = 1, base_model: str | None = None, seed: int = 13,
          batch_size: int = 32, cases: list | None = None, hard_negatives: bool = True,
          learning_rate: float = LEARNING_RATE) -> str:
    from datasets import Dataset
    from sentence_transformers import (SentenceTransformer, SentenceTransformerTrainer,
                                       SentenceTransformerTrainingArguments)
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    start = time.time()
    pairs = training_pairs(config, seed, cases, hard_negatives)
    model_path = resolve_model_path(base_model or config.model)
    model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
    model.max_seq_length = 64
    columns = ["anchor", "positive", "negative"][: len(pairs[0])]
    dataset = Dataset.from_dict({name: [p[k] for p in pairs] for k, name in enumerate(columns)})
    work = output.parent / f".{output.name}.work"
    args = SentenceTransformerTrainingArguments(
        output_dir=str(work),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        # 10 % warm-up, as a step count (``warmup_ratio`` is deprecated with Transformers 5)
        warmup_steps=math.ceil(math.ceil(len(pairs) / batch_size) * epochs * 0.1),
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        seed=seed,
        save_strategy="no",
        logging_steps=50,
        report_to=[],
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=False,
    )
    trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset,
                                         loss=MultipleNegativesRankingLoss(model))
    trainer.train()
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.parent / f".{output.name}.tmp"
    model.save(str(tmp))
    import shutil

    if output.exists():
        shutil.rmtree(output)
    tmp.rename(output)
    shutil.rmtree(work, ignore_errors=True)
    # check the saved model loads offline, as the index will load it
    Embedder(str(output)).dimension
    return (f"Modèle entraîné sur {len(pairs)} paires ({epochs} époque(s)) en {time.time() - start:.0f} s, "
            f"enregistré dans {output}.")
