"""``pixbot train``: adapt the embedding model to our FAQ and documentation (French, Pix jargon).

Uses sentence-transformers' own training API (SentenceTransformerTrainer) with
MultipleNegativesRankingLoss on pairs drawn from the sources:

* each FAQ phrasing -> every other phrasing of the same entry (question-to-question matching);
* each FAQ phrasing -> the entry's question + answer text (the body unit of the index);
* each documentation passage's heading path -> its text;
* each training question (``sources.training_dir``, default ``training/``: YAML lists of
  ``{question, expected}`` written in staff chat style, plus any ``--cases`` file) -> the main
  question and the body of the entry or passage it expects, so the model also learns how staff
  actually type. The evaluation set's held-out half must never be given here.

Batches never hold the same text twice (NO_DUPLICATES), which keeps two pairs of one entry
from acting as each other's negatives. The model is saved to a local folder; the index uses it
when ``search.trained_model`` points at it (the default place is data/models/pixbot-minilm).
"""

from __future__ import annotations

import logging
import math
import random
import time
from pathlib import Path

from .config import Config
from .embedding import Embedder, resolve_model_path
from .evaluate import load_cases, matches
from .index import build_units
from .sources import SourceError, load_sources
from .textnorm import normalize_for_embedding

log = logging.getLogger(__name__)


def training_questions(config: Config) -> list:
    """The {question, expected} cases of every YAML file in ``sources.training_dir``."""
    folder = config.training_dir
    if folder is None or not folder.is_dir():
        return []
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        cases += load_cases(path)
    return cases


def training_pairs(config: Config, seed: int = 13, cases: list | None = None) -> list[tuple[str, str]]:
    sources = load_sources(config.faq_dir, config.docs_dir)
    if sources.errors:
        raise SourceError(sources.errors)
    units = build_units(sources.items)
    body = {u.item: u.text for u in units if u.kind == "a"}
    pairs: list[tuple[str, str]] = []
    for i, item in enumerate(sources.items):
        if item.kind == "faq":
            phrasings = list(item.phrasings)
            for a in phrasings:
                anchor = normalize_for_embedding(a)
                for b in phrasings:
                    if a != b:
                        pairs.append((anchor, b))
                pairs.append((anchor, body[i]))
        else:
            heading = next(u.text for u in units if u.item == i and u.kind == "q")
            pairs.append((normalize_for_embedding(heading), body[i]))
    for case in [*training_questions(config), *(cases or [])]:
        if case.expected is None:
            continue
        targets = [i for i, item in enumerate(sources.items) if matches(item.id, case.expected)]
        if not targets:  # an entry removed since: skip it (`pixbot check` lists these)
            log.warning("training question %r: unknown id %r, skipped", case.question, case.expected)
            continue
        anchor = normalize_for_embedding(case.question)
        for i in targets:
            item = sources.items[i]
            if item.kind == "faq":
                pairs.append((anchor, item.phrasings[0]))
            pairs.append((anchor, body[i]))
    random.Random(seed).shuffle(pairs)
    return pairs


def train(config: Config, output: Path, epochs: int = 3, base_model: str | None = None, seed: int = 13,
          batch_size: int = 32, cases: list | None = None) -> str:
    from datasets import Dataset
    from sentence_transformers import (SentenceTransformer, SentenceTransformerTrainer,
                                       SentenceTransformerTrainingArguments)
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    start = time.time()
    pairs = training_pairs(config, seed, cases)
    model_path = resolve_model_path(base_model or config.model)
    model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
    model.max_seq_length = 64
    dataset = Dataset.from_dict({"anchor": [a for a, _ in pairs], "positive": [p for _, p in pairs]})
    work = output.parent / f".{output.name}.work"
    args = SentenceTransformerTrainingArguments(
        output_dir=str(work),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        learning_rate=5e-5,
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
