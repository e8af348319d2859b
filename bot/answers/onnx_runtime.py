"""Fast CPU inference for the embedding model: the sentence-transformers model exported once to
ONNX and run with onnxruntime.

On two cores a short query takes about 4 ms this way against about 18 ms through PyTorch, and a
process that finds an exported model never imports torch or sentence-transformers (faster cold
start, less memory). Only the architecture our models have is exported: a Hugging Face encoder
followed by mean or CLS pooling (and optionally a normalisation layer). The export is checked
against the PyTorch model on probe sentences (padding, truncation, accents) and refused when the
two disagree, in which case the caller keeps using PyTorch.
"""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from ..core.files import replacing

log = logging.getLogger(__name__)

FORMAT = 2  # 2: weights in a separate file (model.onnx.data), memory-mapped by onnxruntime
SUPPORTED_POOLING = ("mean", "cls")
# Probe sentences for the export check: short, long (beyond max_seq_length), accents, mixed lengths.
PROBES = [
    "mdp oublié",
    "Comment inscrire mes étudiants à une session de certification Pix ?",
    "c quoi le code campagne svp",
    " ".join(["La session de certification se déroule dans une salle surveillée."] * 20),
]
TOLERANCE = 1e-4


class ExportUnsupported(Exception):
    pass


def available() -> bool:
    try:
        import onnxruntime
    except ImportError:
        return False
    return onnxruntime is not None  # (a use of the name, so pyflakes does not call the import unused)


def _pooling_mode(st_model) -> tuple[str, bool]:
    """(pooling mode, normalises) for a Transformer -> Pooling [-> Normalize] model, else refuse."""
    modules = list(st_model)
    names = [type(m).__name__ for m in modules]
    if len(modules) not in (2, 3) or names[0] != "Transformer" or names[1] != "Pooling" or \
            (len(modules) == 3 and names[2] != "Normalize"):
        raise ExportUnsupported(f"unsupported module chain {names}")
    pooling = modules[1]
    mode = getattr(pooling, "pooling_mode", None)
    if mode is None:  # older sentence-transformers: one boolean per mode
        flags = {"mean": getattr(pooling, "pooling_mode_mean_tokens", False),
                 "cls": getattr(pooling, "pooling_mode_cls_token", False)}
        chosen = [k for k, v in flags.items() if v]
        mode = chosen[0] if len(chosen) == 1 else "other"
    mode = str(mode)
    if mode not in SUPPORTED_POOLING:
        raise ExportUnsupported(f"unsupported pooling {mode!r}")
    return mode, len(modules) == 3


def export(st_model, folder: Path) -> None:
    """Export ``st_model`` (a loaded SentenceTransformer) into ``folder`` atomically, checked."""
    import torch

    mode, _ = _pooling_mode(st_model)
    transformer = st_model[0]
    hf_model = transformer.auto_model.eval()
    tokenizer = st_model.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise ExportUnsupported("the tokenizer has no fast (tokenizer.json) version")
    max_len = int(st_model.max_seq_length or 512)
    sample = tokenizer(["exemple de phrase"], return_tensors="pt")
    inputs = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in sample]

    class Encoder(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, *args):
            return self.model(**dict(zip(inputs, args))).last_hidden_state

    with replacing(folder) as work:
        tmp = work / folder.name
        tmp.mkdir()
        axes = {name: {0: "batch", 1: "tokens"} for name in [*inputs, "hidden"]}
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about constant shapes: checked below instead
            torch.onnx.export(Encoder(hf_model), tuple(sample[k] for k in inputs), str(tmp / "model.onnx"),
                              input_names=inputs, output_names=["hidden"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        _weights_apart(tmp / "model.onnx")
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        meta = {"format": FORMAT, "pooling": mode, "max_seq_length": max_len, "inputs": inputs,
                "dimension": int(st_model.get_embedding_dimension()),
                "pad_id": int(tokenizer.pad_token_id or 0), "pad_token": str(tokenizer.pad_token or "[PAD]")}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        reference = st_model.encode(PROBES, normalize_embeddings=True, show_progress_bar=False)
        got = OnnxEncoder(tmp).encode(PROBES)
        worst = float(np.max(np.abs(np.asarray(reference) - got)))
        if worst > TOLERANCE:
            raise ExportUnsupported(f"ONNX and PyTorch embeddings differ by {worst:.2e}")


def is_current(folder: Path) -> bool:
    """Whether ``folder`` holds an export in this code's format."""
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError):
        return False


def _weights_apart(path: Path) -> None:
    """Move the weights out of the graph into ``model.onnx.data``: onnxruntime maps that file
    into memory instead of copying it, so rows of the (large) word-embedding matrix that no
    text uses are never read (about 200 MB less resident memory for e5)."""
    import onnx

    model = onnx.load(str(path))
    onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=1024)


class OnnxEncoder:
    """Tokenizer (``tokenizers``) + onnxruntime session + pooling + L2 normalisation."""

    def __init__(self, folder: Path, threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        folder = Path(folder)
        self.meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if self.meta.get("format") != FORMAT:
            raise ExportUnsupported(f"{folder}: export format {self.meta.get('format')} is not {FORMAT}")
        self.dimension = int(self.meta["dimension"])
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=int(self.meta["max_seq_length"]))
        self.tokenizer.enable_padding(pad_id=int(self.meta["pad_id"]), pad_token=self.meta["pad_token"])
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # no busy-waiting between operators: the bot shares its cores with the Matrix client
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(folder / "model.onnx"), options,
                                            providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.meta["inputs"]:
            feeds["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
        hidden = self.session.run(None, feeds)[0]
        if self.meta["pooling"] == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
