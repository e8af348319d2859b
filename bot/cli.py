"""``pixbot``: the command-line tool (ask, eval, index, train, check, chat, run).

The features add their own subcommands: ``pixbot news`` (``bot/features/news/cli.py``),
``pixbot tickets`` (``bot/features/tickets/cli.py``) and ``pixbot sessions``
(``bot/features/sessions/cli.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .core import strings
from .core.config import Config, ConfigError, load_config
from .core.storage import SchemaTooNewError
from .features.news import cli as news_cli
from .features.report import cli as report_cli
from .features.sessions import cli as sessions_cli
from .features.tickets import cli as tickets_cli

EXIT_SOURCE_ERROR = 2
log = logging.getLogger("pixbot")


def _config(args) -> Config:
    path = Path(args.config) if args.config else (Path("config.yaml") if Path("config.yaml").exists() else None)
    config = load_config(path)
    if config.data_dir.is_dir():  # made by an earlier version, or by hand
        config.data_dir.chmod(0o700)
    logging.basicConfig(level=getattr(logging, config.log_level, logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("sentence_transformers", "transformers", "httpx", "urllib3", "filelock", "faiss", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return config


def _engine(args, config: Config):
    from .answers.engine import Engine

    faq = Path(args.faq) if getattr(args, "faq", None) else None
    docs = Path(args.docs) if getattr(args, "docs", None) else None
    return Engine(config, faq_dir=faq, docs_dir=docs)


def _print_problems(problems) -> None:
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def _load_engine(args, config: Config, progress: bool = False):
    """Engine with an up-to-date index; exits 2 on source errors (the last good index stays)."""
    from .answers.sources import SourceError

    engine = _engine(args, config)
    try:
        engine.load(progress_factory=_progress_factory() if progress else None)
    except SourceError as exc:
        print(strings.INDEX_REFUSED.format(count=len(exc.problems)), file=sys.stderr)
        _print_problems(exc.problems)
        sys.exit(EXIT_SOURCE_ERROR)
    if engine.last_sources:
        for warning in engine.last_sources.warnings:
            log.warning("%s", warning)
    return engine


def _progress_factory():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    def factory(total: int):
        progress = Progress(TextColumn("Encodage"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            transient=True)
        progress.start()
        task = progress.add_task("embed", total=total)

        class Bar:
            def __call__(self, advance: int) -> None:
                progress.advance(task, advance)

            def close(self) -> None:
                progress.stop()

        return Bar()

    return factory


# --- commands ------------------------------------------------------------------------------------

def cmd_ask(args) -> int:
    from .core.brain import outcome_text

    config = _config(args)
    engine = _load_engine(args, config)

    def one(question: str) -> None:
        outcome = engine.ask(question)
        suggestions = engine.searcher.suggestions(outcome) if outcome.decision == "suggest" else []
        text = outcome_text(outcome, suggestions)
        results = [
            {"id": r.id, "kind": r.item.kind, "score": round(r.score, 4), "title": r.item.title,
             "source": r.item.source}
            for r in outcome.results
        ]
        if args.json:
            print(json.dumps({"question": question, "decision": outcome.decision, "results": results,
                              "text": text}, ensure_ascii=False), flush=True)
        else:
            print(f"[{outcome.decision}] {question}")
            for i, r in enumerate(results, 1):
                print(f"  {i}. {r['score']:.3f}  {r['id']}  ({r['title']})")
            print()
            print(text)
            print("-" * 60, flush=True)

    if args.question:
        one(" ".join(args.question))
    else:
        for line in sys.stdin:
            line = line.strip()
            if line:
                one(line)
    return 0


def cmd_eval(args) -> int:
    from .answers.evaluate import CasesError, calibrate, evaluate, format_report, load_cases
    from .answers.search import CALIBRATED

    config = _config(args)
    engine = _load_engine(args, config)
    try:
        cases = load_cases(Path(args.cases))
    except CasesError as exc:
        print(exc, file=sys.stderr)
        return EXIT_SOURCE_ERROR
    searcher = engine.searcher
    if args.calibrate:
        params, metrics = calibrate(searcher, cases)
        values = {k: getattr(params, k) for k in CALIBRATED}
        if args.json:
            print(json.dumps({"params": values, "metrics": metrics}, ensure_ascii=False))
        else:
            print("Calibrated search parameters (put them in the config's search: section):")
            for k, v in values.items():
                print(f"  {k}: {round(v, 3)}")
            print(format_report(metrics))
        return 0
    metrics, results = evaluate(searcher, cases)
    if args.json:
        print(json.dumps(metrics, ensure_ascii=False))
    else:
        print(format_report(metrics))
        if args.verbose:
            for r in results:
                ok = (r.rank == 1 and r.outcome.decision == "answer") if r.case.expected else r.outcome.decision != "answer"
                if not ok:
                    top = r.outcome.results[0] if r.outcome.results else None
                    print(f"  [{r.outcome.decision}] {r.case.question!r} expected={r.case.expected} "
                          f"got={top.id if top else None} ({top.score if top else 0:.3f}) rank={r.rank}")
    return 0


def cmd_index(args) -> int:
    config = _config(args)
    engine = _engine(args, config)
    from .answers.sources import SourceError

    try:
        changes = engine.load(force=args.force, progress_factory=_progress_factory())
    except SourceError as exc:
        print(strings.INDEX_REFUSED.format(count=len(exc.problems)), file=sys.stderr)
        _print_problems(exc.problems)
        return EXIT_SOURCE_ERROR
    idx = engine.index
    for warning in engine.last_sources.warnings:
        print(f"  {warning}", file=sys.stderr)
    if not changes.rebuilt:
        print(strings.INDEX_UP_TO_DATE.format(items=len(idx.items)))
        return 0
    print(strings.INDEX_BUILT.format(items=len(idx.items), faq=idx.faq_count, docs=len(idx.items) - idx.faq_count))
    print(strings.INDEX_CHANGES.format(added=len(changes.added), changed=len(changes.changed),
                                       removed=len(changes.removed)))
    for label, ids in (("+", changes.added), ("~", changes.changed), ("-", changes.removed)):
        for item_id in ids[:50]:
            print(f"  {label} {item_id}")
        if len(ids) > 50:
            print(f"  {label} … ({len(ids) - 50} de plus)")
    print(strings.INDEX_EMBEDDED.format(new=changes.embedded, cached=changes.cached))
    return 0


def cmd_train(args) -> int:
    from .answers.evaluate import CasesError, load_cases
    from .answers.models import is_adapter
    from .answers.train import LEARNING_RATE, LORA_RANK, recalibrate, train

    config = _config(args)
    output = Path(args.output) if args.output else config.trained_model
    if output is None:
        print("search.trained_model is disabled in the config; pass --output", file=sys.stderr)
        return EXIT_SOURCE_ERROR
    try:
        cases = [case for path in args.cases for case in load_cases(Path(path))]
        tune = load_cases(Path(args.tune)) if args.tune else None
        heldout = load_cases(Path(args.heldout)) if args.heldout else None
        if args.calibrate_only:
            if not is_adapter(output):
                print(strings.CLI_NO_ADAPTER.format(folder=output), file=sys.stderr)
                return EXIT_SOURCE_ERROR
            print(recalibrate(config, output, tune, heldout))
            return 0
        report = train(config, output, epochs=args.epochs, base_model=args.base_model, seed=args.seed,
                       cases=cases, hard_negatives=args.hard_negatives,
                       learning_rate=args.learning_rate or LEARNING_RATE, rank=args.rank or LORA_RANK,
                       tune=tune, heldout=heldout, command=" ".join(["pixbot", *sys.argv[1:]]))
    except CasesError as exc:
        print(exc, file=sys.stderr)
        return EXIT_SOURCE_ERROR
    print(report)
    return 0


def cmd_check(args) -> int:
    from .answers.hygiene import check_content, local_notices
    from .answers.placeholders import Placeholders

    config = _config(args)
    placeholders = Placeholders.from_config(config)
    problems = check_content(Path(args.faq) if args.faq else config.faq_dir,
                             Path(args.docs) if args.docs else config.docs_dir,
                             None if args.faq or args.docs else config.training_dir,
                             placeholders, config.glossary_dir)
    if not (args.faq or args.docs):
        problems += report_cli.check_drafts(config, placeholders)  # the FAQ drafts of `pixbot lacunes --brouillons`
    for p in problems:
        print(p)
    print(strings.CHECK_PROBLEMS.format(count=len(problems)) if problems else strings.CHECK_CLEAN)
    for notice in local_notices(placeholders):  # to fill in: not a problem, the answers say it is missing
        print(notice)
    if not (args.faq or args.docs):
        from .answers.models import trained_on_other_content

        if trained_on_other_content(config):
            print(strings.CHECK_MODEL_STALE.format(folder=config.trained_model))
    return 1 if problems else 0


def cmd_chat(args) -> int:
    from .adapters.chat import run_chat

    config = _config(args)
    return run_chat(config, engine=_load_engine(args, config))


def cmd_run(args) -> int:
    config = _config(args)
    if not config.matrix.homeserver:
        log.info("no Matrix homeserver configured: starting the terminal chat")
        return cmd_chat(args)
    import asyncio
    import signal

    from .core.app import App
    from .adapters.matrix import run_matrix
    from .core.storage import Storage

    engine = _load_engine(args, config)
    storage = Storage(config.database)
    app = App(config, engine, storage)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        app.start()
        await run_matrix(config, app.brain, storage, stop)

    try:
        asyncio.run(main())
    finally:
        app.stop()
        storage.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pixbot", description="Assistant Pix pour les personnels d'université.")
    parser.add_argument("--config", help="config file (default: ./config.yaml if present)")
    sub = parser.add_subparsers(dest="command", required=True)

    def sources(p):
        p.add_argument("--faq", help="FAQ folder (replaces the configured one)")
        p.add_argument("--docs", help="documentation folder (replaces the configured one; empty = FAQ only)")

    p = sub.add_parser("ask", help="answer one question, or one per line from stdin")
    sources(p)
    p.add_argument("--json", action="store_true", help="one JSON object per answer")
    p.add_argument("question", nargs="*")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("eval", help="evaluate on a YAML list of {question, expected}")
    sources(p)
    p.add_argument("--cases", required=True)
    p.add_argument("--json", action="store_true")
    p.add_argument("--calibrate", action="store_true", help="grid-search weights and thresholds on these cases")
    p.add_argument("-v", "--verbose", action="store_true", help="list the cases that went wrong")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("index", help="rebuild the index if sources changed, and print what changed")
    sources(p)
    p.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    p.set_defaults(func=cmd_index)

    p = sub.add_parser("train", help="fine-tune the embedding model (a LoRA adapter) on the FAQ and docs, "
                       "calibrate the search for it and record its figures")
    p.add_argument("--output", help="folder for the adapter (default: search.trained_model)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--base-model", default=None, help="model to start from (default: search.model)")
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--learning-rate", type=float, default=None,
                   help="peak learning rate (default: LEARNING_RATE in bot/train.py)")
    p.add_argument("--rank", type=int, default=None, help="LoRA rank (default: LORA_RANK in bot/train.py)")
    p.add_argument("--tune", default="tests/eval/tune.yaml",
                   help="cases to calibrate the search parameters on ('' to skip)")
    p.add_argument("--heldout", default="tests/eval/heldout.yaml",
                   help="cases the manifest's figures are measured on ('' to skip)")
    p.add_argument("--calibrate-only", action="store_true",
                   help="do not train: calibrate the search for the existing adapter and measure it again "
                        "(its manifest is updated)")
    p.add_argument("--no-hard-negatives", dest="hard_negatives", action="store_false",
                   help="train on (question, answer) pairs only, without the closest wrong item")
    p.add_argument("--cases", nargs="+", default=[], help="more {question, expected} files to learn from, "
                   "besides sources.training_dir (never the held-out evaluation half)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("check", help="check content hygiene (ids, answers, links, variants, glossary rules)")
    sources(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("chat", help="terminal chat on the same brain as the Matrix bot")
    sources(p)
    p.set_defaults(func=cmd_chat)

    news_cli.add_parser(sub, _config)  # pixbot news …
    tickets_cli.add_parser(sub, _config)  # pixbot tickets …
    sessions_cli.add_parser(sub, _config)  # pixbot sessions …
    tickets_cli.add_access_parser(sub, _config)  # pixbot demandes …
    report_cli.add_parser(sub, _config)  # pixbot lacunes
    report_cli.add_report_parser(sub, _config)  # pixbot rapport

    p = sub.add_parser("run", help="run the bot (Matrix if configured, else the terminal chat)")
    sources(p)
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # everything the bot writes (database, access token, encryption keys, index) is private to
    # its user: folders 0700, files 0600
    os.umask(0o077)
    try:
        return args.func(args) or 0
    except ConfigError as exc:
        print(strings.CLI_CONFIG_ERROR.format(error=exc), file=sys.stderr)
        return EXIT_SOURCE_ERROR
    except SchemaTooNewError as exc:  # a database written by a newer pixbot: refused, untouched
        print(exc, file=sys.stderr)
        return EXIT_SOURCE_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
