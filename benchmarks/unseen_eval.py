"""Content the model never saw: how the bot does on FAQ entries and documentation pages written
after its training (the correspondent keeps adding them).

Whole FAQ entries and whole documentation pages are held out: they, and their example questions
in ``training/``, are left out of training (an adapter is trained without them, same recipe as
the shipped one), and their example questions are left out of the index too (new content has
none yet). The entries and pages themselves are indexed, as new content would be. Then every
evaluation question (tune and held-out halves) about them is asked, and so is every example
question of ``training/`` about them (left out of training and of the index, they are unseen
questions too, and many more of them: the evaluation set asks few documentation questions).

Rows: the base e5 without fine-tuning, the adapter trained without them, and the shipped adapter
(which saw them: a ceiling, not a claim), each with the shipped calibration; MiniLM (the
previous base) for reference. Run from the repository root (about 40 minutes on 2 cores, most
of it training; ``--adapter DIR`` reuses an adapter trained by an earlier run):

    .venv/bin/python benchmarks/unseen_eval.py [--share 5] [--adapter DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.config import load_config  # noqa: E402
from bot.answers.engine import Engine  # noqa: E402
from bot.answers.evaluate import Case, evaluate, load_cases  # noqa: E402
from bot.answers.search import SearchParams  # noqa: E402
from bot.answers.placeholders import Placeholders  # noqa: E402
from bot.answers.sources import load_sources  # noqa: E402
from bot.answers.train import train  # noqa: E402


def held_out(cases, share: int) -> set[str]:
    """One FAQ entry or page in ``share`` among those the evaluation asks about, chosen by a hash
    of its id (stable, independent of the files' order)."""
    keys = {c.expected.split("#", 1)[0] for c in cases if c.expected}
    return {k for k in keys if int(hashlib.sha256(k.encode()).hexdigest(), 16) % share == 0}


def unseen(item_id: str, held: set[str]) -> bool:
    return item_id.split("#", 1)[0] in held


def filtered_training(source: Path, target: Path, held: set[str]) -> list[Case]:
    """Copy of ``training/`` without the example questions of held-out content; returns those
    (never trained on nor indexed, they are more questions about unseen content)."""
    target.mkdir(parents=True, exist_ok=True)
    dropped: list[Case] = []
    for path in sorted(source.glob("*.yaml")):
        cases = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        kept = [c for c in cases if not unseen(str(c.get("expected") or ""), held)]
        dropped += [Case(c["question"], c["expected"]) for c in cases if c not in kept]
        (target / path.name).write_text(yaml.safe_dump(kept, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return dropped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--share", type=int, default=5, help="hold out one entry or page in N (default 5)")
    parser.add_argument("--adapter", help="an adapter already trained without the held-out content")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()

    shipped = load_config(ROOT / "config.example.yaml")
    cases = load_cases(ROOT / "tests/eval/tune.yaml") + load_cases(ROOT / "tests/eval/heldout.yaml")
    held = held_out(cases, args.share)
    work = Path(tempfile.mkdtemp(prefix="unseen-"))
    base = dataclasses.replace(shipped, data_dir=work / "data", training_dir=work / "training")
    dropped = filtered_training(shipped.training_dir, base.training_dir, held)
    faq_ids = {it.id for it in load_sources(base.faq_dir, None, placeholders=Placeholders.from_config(base)).items}
    about = [c for c in cases if c.expected and unseen(c.expected, held)]
    asked = {"FAQ, evaluation set": [c for c in about if c.expected in faq_ids],
             "documentation, evaluation set": [c for c in about if c.expected not in faq_ids],
             "FAQ, training/ examples": [c for c in dropped if c.expected in faq_ids],
             "documentation, training/ examples": [c for c in dropped if c.expected not in faq_ids]}
    print(f"held out: {sum(k in faq_ids for k in held)} FAQ entries, {sum(k not in faq_ids for k in held)} pages; "
          + ", ".join(f"{kind}: {len(subset)} questions" for kind, subset in asked.items()), flush=True)

    adapter = Path(args.adapter) if args.adapter else work / "adapter"
    if not args.adapter:
        start = time.time()
        print(train(base, adapter, exclude=sorted(held), command="benchmarks/unseen_eval.py"), flush=True)
        print(f"trained in {time.time() - start:.0f} s", flush=True)

    params = shipped.search
    rows = [
        ("MiniLM (previous base), not fine-tuned", dataclasses.replace(base, model="minilm", trained_model=None),
         SearchParams()),
        ("e5 base, not fine-tuned", dataclasses.replace(base, trained_model=None), params),
        ("e5 + adapter trained without this content", dataclasses.replace(base, trained_model=adapter), params),
        ("e5 + shipped adapter (saw this content: ceiling)", base, params),
    ]
    figures = {}
    print("\n| model | " + " | ".join(f"{kind} (n={len(subset)}): top-1 / top-3" for kind, subset in asked.items())
          + " |\n" + "|---" * (len(asked) + 1) + "|")
    for name, config, search in rows:
        engine = Engine(dataclasses.replace(config, search=search))
        engine.load()
        row = {}
        for kind, subset in asked.items():
            m, _ = evaluate(engine.searcher, subset)
            row[kind] = {"top1": round(m["top1"], 3), "top3": round(m["top3"], 3), "n": m["in_scope"]}
        figures[name] = row
        print(f"| {name} | " + " | ".join(f"{row[kind]['top1']:.3f} / {row[kind]['top3']:.3f}" for kind in asked)
              + " |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"held_out": sorted(held), "figures": figures}, indent=1,
                                              ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
