"""The learned-FAQ file: where the ``faq`` thread command writes a ticket's answer as a FAQ entry
(``tickets.faq_file``, a YAML file inside the FAQ folder), and how « oublier mes données »
removes an asker's words from it.

The file is validated as the FAQ loader sees it before it replaces the old one (in one step), so
it is never left invalid.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

import yaml

from ...core import strings
from ...core.brain import Reply
from ...core.files import config_path
from ...answers.sources import LoadResult, SourceError, load_faq
from ...answers.textnorm import slugify
from .context import Context
from .store import Ticket

log = logging.getLogger(__name__)


def faq_entry_id(number: int, question: str) -> str:
    slug = slugify(question)[:40].rstrip("-")
    return f"appris-{number}-{slug}" if slug else f"appris-{number}"


class _FaqDumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FaqDumper.add_representer(str, _str_presenter)


class LearnError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class LearnedFaq:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    def path(self) -> Path:
        """``tickets.faq_file`` (read each time), relative to the configuration's folder."""
        config = self.ctx.config
        return config_path(config.tickets.faq_file, Path(config.base_dir))

    # -- the entry the `faq` command writes -------------------------------------------------------
    def entry_for(self, ticket: Ticket, fields: dict) -> dict | None:
        """The FAQ entry for ``ticket``: ``fields`` (question, variants, answer: each optional)
        over the entry written before for this ticket, over the ticket's question and last
        answer. None when there is no answer to write."""
        previous = self._entry(ticket.learned_id) if ticket.learned_id else None
        question = fields.get("question") or (previous or {}).get("question") or ticket.question
        answer = fields.get("answer") or ticket.last_answer
        if not answer:
            return None
        if "variants" in fields:
            variants = fields["variants"]
        elif previous is not None:
            variants = list(previous.get("variants") or [])
        else:
            variants = [ticket.question] if question != ticket.question else []
        variants = [v for v in dict.fromkeys(variants) if v != question]
        entry = {"id": ticket.learned_id or self._free_id(faq_entry_id(ticket.id, question)), "question": question}
        if variants:
            entry["variants"] = variants
        entry["answer"] = answer
        return entry

    def _entry(self, entry_id: str) -> dict | None:
        try:
            entries = self._read(self.path())
        except LearnError:
            return None
        return next((e for e in entries if isinstance(e, dict) and e.get("id") == entry_id), None)

    def _free_id(self, wanted: str) -> str:
        taken = {i.id for i in self.ctx.engine.index.items}
        taken |= {e.get("id") for e in self._read(self.path())}
        candidate, n = wanted, 2
        while candidate in taken:
            candidate, n = f"{wanted}-{n}", n + 1
        return candidate

    def indexed(self, path: Path) -> bool:
        """Whether ``path`` lies in the FAQ folder (so the index sees what is written there)."""
        try:
            path.resolve().relative_to(Path(self.ctx.engine.faq_dir).resolve())
            return True
        except ValueError:
            return False

    # -- the file ---------------------------------------------------------------------------------
    @staticmethod
    def _read(path: Path) -> list[dict]:
        if not path.exists():
            return []
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise LearnError([f"{path.name} : {exc}"]) from None
        if data is None:
            return []
        if not isinstance(data, list):
            raise LearnError([f"{path.name} : {strings.SRC_FAQ_NOT_LIST}"])
        return data

    def learn(self, entry: dict) -> Path:
        """Add (or replace, same id) one entry in the learned-FAQ file."""
        path = self.path()
        entries = [e for e in self._read(path) if not (isinstance(e, dict) and e.get("id") == entry["id"])]
        entries.append(entry)
        return self._write(path, entries)

    def _write(self, path: Path, entries: list) -> Path:
        """Validate the entries as the FAQ loader sees them, then replace the file in one step."""
        text = strings.FAQ_FILE_HEADER + yaml.dump(entries, Dumper=_FaqDumper, allow_unicode=True, sort_keys=False,
                                                   width=100)
        engine = self.ctx.engine
        faq_dir = Path(engine.faq_dir)
        try:
            rel = path.resolve().relative_to(faq_dir.resolve()).as_posix()
        except ValueError:
            rel = None
        seen = {i.id: i.origin for i in engine.index.items if i.kind == "faq" and i.origin != rel}
        result = LoadResult()
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / path.name).write_text(text, encoding="utf-8")
            load_faq(Path(tmp), result, seen)
        if result.errors:
            raise LearnError([str(p) for p in result.errors])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = path.with_name(f".{path.name}.tmp")
        tmp_path.write_text(text, encoding="utf-8")
        os.replace(tmp_path, path)
        return path

    # -- privacy ----------------------------------------------------------------------------------
    def forget(self, tickets: list[Ticket]) -> list[Reply]:
        """The learned-FAQ file holds the asker's question as the `faq` command copied it: an entry
        that kept it word for word loses it (the whole entry when it was its main question).
        Returns notices for the correspondents; the index is reloaded once the caller commits."""
        learned = {t.learned_id: t for t in tickets if t.learned_id}
        if not learned:
            return []
        path = self.path()
        entries = self._read(path)
        kept, notices = [], []
        for entry in entries:
            ticket = learned.get(entry.get("id")) if isinstance(entry, dict) else None
            if ticket is None:
                kept.append(entry)
                continue
            words = ticket.question.strip()
            if str(entry.get("question", "")).strip() == words:
                text = strings.TICKET_FORGOTTEN_LEARNED.format(id=entry["id"], n=ticket.id)
            else:
                entry["variants"] = [v for v in entry.get("variants") or [] if str(v).strip() != words]
                if not entry["variants"]:
                    del entry["variants"]
                kept.append(entry)
                text = strings.TICKET_FORGOTTEN_VARIANT.format(id=entry["id"], n=ticket.id)
            reply = self.ctx.to_corr(ticket, text)
            if reply is not None:
                notices.append(reply)
        if kept != entries or notices:
            self._write(path, kept)
            self.ctx.store.storage.after_commit(self._reload_after_forget)
        return notices

    def _reload_after_forget(self) -> None:
        try:
            self.ctx.engine.reload()
        except SourceError as exc:
            log.warning("index not reloaded after forgetting a learned entry: %d problem(s)", len(exc.problems))
