"""The search index on disk: items, their text units, dense vectors (FAISS) and a manifest.

Layout of an index folder (one per pair of source folders, so ``--faq``/``--docs`` keep their
own cache)::

    CURRENT            name of the live build, replaced atomically (os.replace)
    builds/<id>/       items.json, units.json, dense.faiss, manifest.json

A new build is written completely before ``CURRENT`` points at it, so a crash or a broken
source file never leaves a half-written index, and the last good one stays in service.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import faiss
import numpy as np

from .embedding import Embedder
from .lexical import LexicalIndex
from .placeholders import Placeholders
from .sources import Item, LoadResult, SourceError, load_sources

log = logging.getLogger(__name__)

FORMAT_VERSION = 6  # bump whenever build_units() or the stored layout changes
# unit kinds: "q" = a question-like text (FAQ question/variant, passage heading path, example
#                   question from sources.training_dir),
#             "a" = a body text (FAQ question + answer, passage title + text)


@dataclass
class Unit:
    item: int
    kind: str
    text: str


@dataclass
class IndexChanges:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded: int = 0
    cached: int = 0
    rebuilt: bool = False


def _plain(markdown_text: str) -> str:
    """Rough Markdown -> text for embedding (links keep their label)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", markdown_text)
    text = re.sub(r"[*_`>#|]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def build_units(items: list[Item]) -> list[Unit]:
    units: list[Unit] = []
    for i, item in enumerate(items):
        if item.kind == "faq":
            units.extend(Unit(i, "q", p) for p in item.phrasings)
            units.append(Unit(i, "a", f"{' '.join(item.phrasings)} {_plain(item.body)}"))
        else:
            units.append(Unit(i, "q", item.title.replace(" › ", ". ")))
            units.append(Unit(i, "a", f"{item.title.replace(' › ', '. ')}. {_plain(item.body)}"))
        units.extend(Unit(i, "q", e) for e in item.examples)
    return units


def index_key(*folders: Path | None) -> str:
    raw = "|".join(str(f.resolve()) if f else "" for f in folders)
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


class SearchIndex:
    """An index loaded in memory, ready for queries."""

    def __init__(self, items: list[Item], units: list[Unit], vectors: np.ndarray, manifest: dict):
        self.items = items
        self.units = units
        self.manifest = manifest
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.dense = faiss.IndexFlatIP(self.vectors.shape[1])
        if len(self.vectors):
            self.dense.add(self.vectors)
        self.lexical = LexicalIndex([u.text for u in units])
        self.unit_item = np.array([u.item for u in units], dtype=np.int64)
        self.unit_is_q = np.array([u.kind == "q" for u in units], dtype=bool)
        self.item_is_faq = np.array([it.kind == "faq" for it in items], dtype=bool)
        self.by_id: dict[str, list[int]] = {}
        for i, item in enumerate(items):
            self.by_id.setdefault(item.id, []).append(i)

    @property
    def faq_count(self) -> int:
        return int(self.item_is_faq.sum())

    @property
    def doc_count(self) -> int:
        return len({it.id for it in self.items if it.kind == "doc"})

    def item_by_id(self, item_id: str) -> Item | None:
        idx = self.by_id.get(item_id)
        return self.items[idx[0]] if idx else None


class IndexStore:
    """Builds, persists and loads the index for one pair of source folders."""

    def __init__(self, root: Path, faq_dir: Path | None, docs_dir: Path | None, embedder: Embedder,
                 examples_dir: Path | None = None, placeholders: Callable[[], Placeholders] | None = None):
        self.faq_dir = faq_dir
        self.docs_dir = docs_dir
        self.examples_dir = examples_dir
        # read again at every load, so that an edit of the local file is seen by `recharger`
        self.placeholders = placeholders
        self.embedder = embedder
        self.root = root / index_key(faq_dir, docs_dir, examples_dir)

    # -- persistence --------------------------------------------------------------------------
    def _current_dir(self) -> Path | None:
        pointer = self.root / "CURRENT"
        if not pointer.exists():
            return None
        path = self.root / "builds" / pointer.read_text().strip()
        return path if (path / "manifest.json").exists() else None

    def _current(self) -> tuple[Path, dict] | None:
        """The live build's folder and manifest (cheap: enough to tell whether a rebuild is needed)."""
        path = self._current_dir()
        if path is None:
            return None
        try:
            manifest = json.loads((path / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            log.warning("index at %s is unreadable (%s); it will be rebuilt", path, exc)
            return None
        return (path, manifest) if manifest.get("format") == FORMAT_VERSION else None

    def load_current(self) -> SearchIndex | None:
        current = self._current()
        return self._load_build(*current) if current else None

    @staticmethod
    def _load_build(path: Path, manifest: dict) -> SearchIndex | None:
        try:
            items = [Item(**{**d, "phrasings": tuple(d["phrasings"]), "topics": tuple(d["topics"]),
                             "examples": tuple(d["examples"])})
                     for d in json.loads((path / "items.json").read_text())]
            units = [Unit(*u) for u in json.loads((path / "units.json").read_text())]
            dense = faiss.read_index(str(path / "dense.faiss"))
            vectors = dense.reconstruct_n(0, dense.ntotal) if dense.ntotal else np.zeros((0, dense.d), np.float32)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            log.warning("index at %s is unreadable (%s); it will be rebuilt", path, exc)
            return None
        return SearchIndex(items, units, vectors, manifest)

    def _write(self, items: list[Item], units: list[Unit], vectors: np.ndarray, manifest: dict) -> None:
        builds = self.root / "builds"
        builds.mkdir(parents=True, exist_ok=True)
        build_id = f"{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:8]}"
        tmp = builds / f".tmp-{build_id}"
        tmp.mkdir()
        (tmp / "items.json").write_text(json.dumps([asdict(i) for i in items], ensure_ascii=False))
        (tmp / "units.json").write_text(json.dumps([[u.item, u.kind, u.text] for u in units], ensure_ascii=False))
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        faiss.write_index(index, str(tmp / "dense.faiss"))
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        os.replace(tmp, builds / build_id)
        pointer_tmp = self.root / f".CURRENT.{build_id}"
        pointer_tmp.write_text(build_id)
        os.replace(pointer_tmp, self.root / "CURRENT")
        for old in builds.iterdir():  # keep only the live build
            if old.name != build_id:
                shutil.rmtree(old, ignore_errors=True)

    # -- building -----------------------------------------------------------------------------
    def load_sources(self) -> LoadResult:
        return load_sources(self.faq_dir, self.docs_dir, self.examples_dir,
                            self.placeholders() if self.placeholders else None)

    def is_fresh(self, manifest: dict | None, sources: LoadResult) -> bool:
        return (
            manifest is not None
            and manifest.get("model") == self.embedder.fingerprint
            and manifest.get("files") == sources.files
        )

    def ensure(self, force: bool = False, progress_factory=None) -> tuple[SearchIndex, IndexChanges, LoadResult]:
        """Return an up-to-date index, rebuilding when sources or the model changed.

        Raises SourceError (leaving the previous build in place) when the sources hold errors.
        """
        sources = self.load_sources()
        if sources.errors:
            raise SourceError(sources.errors)
        live = self._current()
        manifest = live[1] if live else None
        if not force and self.is_fresh(manifest, sources):
            current = self._load_build(*live)
            if current is not None:
                return current, IndexChanges(), sources
        changes = self._diff(manifest, sources.items)
        units = build_units(sources.items)
        bar = progress_factory(len(units)) if progress_factory else None
        texts = [self.embedder.prompted(u.text, "query" if u.kind == "q" else "passage") for u in units]
        vectors, fresh = self.embedder.encode(texts, progress=bar)
        if bar is not None and hasattr(bar, "close"):
            bar.close()
        if len(vectors) == 0:
            vectors = np.zeros((0, self.embedder.dimension), dtype=np.float32)
        changes.embedded, changes.cached, changes.rebuilt = fresh, len(units) - fresh, True
        manifest = {
            "format": FORMAT_VERSION,
            "model": self.embedder.fingerprint,
            "model_spec": self.embedder.spec,
            "files": sources.files,
            "hashes": {it.id: h for it, h in self._item_hashes(sources.items)},
            "built_at": time.time(),
        }
        self._write(sources.items, units, vectors, manifest)
        return SearchIndex(sources.items, units, vectors, manifest), changes, sources

    @staticmethod
    def _item_hashes(items: list[Item]):
        combined: dict[str, hashlib._Hash] = {}
        order: list[Item] = []
        for it in items:
            if it.id not in combined:
                combined[it.id] = hashlib.sha256()
                order.append(it)
            combined[it.id].update(it.content_hash().encode())
        return [(it, combined[it.id].hexdigest()) for it in order]

    def _diff(self, manifest: dict | None, items: list[Item]) -> IndexChanges:
        old = manifest.get("hashes", {}) if manifest else {}
        new = {it.id: h for it, h in self._item_hashes(items)}
        return IndexChanges(
            added=sorted(set(new) - set(old)),
            changed=sorted(k for k in set(new) & set(old) if new[k] != old[k]),
            removed=sorted(set(old) - set(new)),
        )
