"""The answer engine: sources -> index -> searcher, with hot reload that keeps the last good index."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from . import models
from ..core.config import Config
from .embedding import Embedder
from .index import IndexChanges, IndexStore, SearchIndex
from .placeholders import Placeholders
from .search import SearchOutcome, Searcher, SearchParams
from .sources import Item, LoadResult, SourceError

log = logging.getLogger(__name__)


class Engine:
    """Owns the model, the index store and the live searcher.

    ``faq_dir``/``docs_dir`` override the configured folders (the CLI's ``--faq``/``--docs``);
    each pair of folders keeps its own index cache.
    """

    def __init__(self, config: Config, faq_dir: Path | None = None, docs_dir: Path | None = None,
                 embedder: Embedder | None = None, params: SearchParams | None = None):
        self.config = config
        self.faq_dir = faq_dir if faq_dir is not None else config.faq_dir
        self.docs_dir = docs_dir if docs_dir is not None else config.docs_dir
        self.embedder = embedder or Embedder(models.prepare(config), cache_path=config.embedding_cache,
                                             runtime_dir=config.runtime_dir, backend=config.runtime,
                                             threads=config.threads)
        self.params = params or config.search
        # example questions name entries of the configured content: only used with it
        configured = (self.faq_dir, self.docs_dir) == (config.faq_dir, config.docs_dir)
        self.store = IndexStore(config.index_dir, self.faq_dir, self.docs_dir, self.embedder,
                                config.training_dir if configured else None,
                                placeholders=lambda: Placeholders.from_config(config))
        self._searcher: Searcher | None = None
        self._lock = threading.Lock()
        self.last_sources: LoadResult | None = None

    @property
    def searcher(self) -> Searcher:
        if self._searcher is None:
            self.load()
        return self._searcher

    @property
    def index(self) -> SearchIndex:
        return self.searcher.index

    def load(self, force: bool = False, progress_factory=None) -> IndexChanges:
        """Build or load the index. On source errors, keep (or load) the last good index and re-raise."""
        with self._lock:
            try:
                index, changes, sources = self.store.ensure(force=force, progress_factory=progress_factory)
            except SourceError:
                if self._searcher is None:
                    previous = self.store.load_current()
                    if previous is not None:
                        self._searcher = Searcher(previous, self.embedder, self.params)
                raise
            self.last_sources = sources
            self._searcher = Searcher(index, self.embedder, self.params)
            return changes

    def reload(self) -> IndexChanges:
        return self.load()

    def ask(self, question: str, limit: int = 5) -> SearchOutcome:
        return self.searcher.search(question, limit=limit)

    def item(self, item_id: str) -> Item | None:
        return self.index.item_by_id(item_id)
