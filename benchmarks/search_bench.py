"""Search benchmarks: latency per question, index build throughput, re-index after one edit,
cold start and peak memory, with 1k and 10k synthetic FAQ entries.

    .venv/bin/python benchmarks/search_bench.py [--sizes 1000 10000] [--queries 300]

Synthetic entries are made from the vocabulary of the bundled FAQ (so tokens and lengths look
like the real thing); each has a question, two variants and an answer. Figures are printed, not
asserted: targets live in the README.
"""

from __future__ import annotations

import argparse
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def vocabulary() -> list[str]:
    words: list[str] = []
    for path in sorted((ROOT / "faq").glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")):
            words += [w for w in (entry["question"] + " " + entry["answer"]).split() if w.isalpha()]
    return words


def sentence(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choice(words) for _ in range(n))


def make_faq(folder: Path, size: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    words = vocabulary()
    entries = []
    for i in range(size):
        entries.append({
            "id": f"synth-{i}",
            "question": sentence(rng, words, rng.randint(6, 12)) + " ?",
            "variants": [sentence(rng, words, rng.randint(4, 10)) for _ in range(2)],
            "answer": sentence(rng, words, rng.randint(30, 70)) + ".",
        })
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "synth.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return entries


def percentile(values, q) -> float:
    return float(np.percentile(np.array(values), q))


def bench_size(size: int, queries: int, work: Path) -> dict:
    from bot.core.config import load_config
    from bot.answers.engine import Engine

    faq = work / f"faq-{size}"
    entries = make_faq(faq, size)
    config = load_config(None)
    config.data_dir = work / f"data-{size}"
    engine = Engine(config, faq_dir=faq, docs_dir=work / "no-docs")
    engine.embedder.warm_up()  # load (and export) the model before timing the build
    start = time.perf_counter()
    changes = engine.load()
    build_s = time.perf_counter() - start
    units = len(engine.index.units)

    rng = random.Random(3)
    words = vocabulary()
    qs = [rng.choice(entries)["question"] if i % 2 else sentence(rng, words, rng.randint(3, 12))
          for i in range(queries)]
    for q in qs[:10]:  # warm-up
        engine.ask(q)
    latencies = []
    for q in qs:
        t = time.perf_counter()
        engine.ask(q)
        latencies.append((time.perf_counter() - t) * 1000)

    path = faq / "synth.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data[size // 2]["answer"] = "Une réponse modifiée pour le banc d'essai."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    t = time.perf_counter()
    edit = engine.reload()
    reindex_s = time.perf_counter() - t
    return {
        "entries": size, "units": units, "build_s": build_s, "units_per_s": changes.embedded / build_s,
        "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99), "reindex_one_edit_s": reindex_s, "reembedded": edit.embedded,
    }


def cold_start(work: Path) -> tuple[float, float]:
    """Time and peak RSS of a fresh process answering one question over the bundled content
    (index already on disk, as at a bot restart)."""
    code = (
        "import time,sys,resource; t=time.perf_counter(); sys.path.insert(0, %r)\n"
        "from bot.config import load_config; from bot.engine import Engine\n"
        "c=load_config(None); c.data_dir=__import__('pathlib').Path(%r)\n"
        "e=Engine(c); e.load(); e.ask('comment inviter un collègue sur pix orga')\n"
        "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)\n"
    ) % (str(ROOT), str(work / "cold"))
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True)  # builds the index
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
    seconds, mb = out.stdout.split()
    return float(seconds), float(mb)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        seconds, mb = cold_start(work)
        print(f"cold start (import, model load, index from disk, first answer): {seconds:.1f} s, "
              f"peak RSS {mb:.0f} MB")
        for size in args.sizes:
            r = bench_size(size, args.queries, work)
            print(f"{r['entries']:>6} entries ({r['units']} units): build {r['build_s']:.1f} s "
                  f"({r['units_per_s']:.0f} units/s) | per question p50 {r['p50_ms']:.1f} ms, "
                  f"p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms | re-index after one edit "
                  f"{r['reindex_one_edit_s']:.2f} s ({r['reembedded']} unit re-embedded)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of this benchmark process: {peak:.0f} MB")


if __name__ == "__main__":
    main()
