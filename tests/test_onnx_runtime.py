"""The ONNX runtime path: same vectors as PyTorch, chosen automatically, refused safely."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from bot.answers import onnx_runtime
from bot.core.config import ConfigError, load_config
from bot.answers.embedding import Embedder

TEXTS = [
    "Comment récupérer les résultats d'une campagne Pix Orga ?",
    "mdp oublié",
    "surveillant",
    " ".join(["Un candidat a perdu la connexion pendant le test de certification."] * 15),  # truncated
]


def test_onnx_vectors_match_pytorch(embedder, tmp_path):
    assert embedder.encode_query("bonjour").shape == (1, 384)
    assert embedder.backend == "onnx"
    torch_only = Embedder("minilm", runtime_dir=tmp_path / "onnx", backend="torch")
    reference = torch_only.model.encode(TEXTS, normalize_embeddings=True, show_progress_bar=False)
    batch = embedder._choose_encoder()(TEXTS)  # padded batch
    singles = np.vstack([embedder.encode_query(t) for t in TEXTS])
    assert np.max(np.abs(batch - reference)) < 1e-4
    assert np.max(np.abs(singles - reference)) < 1e-4
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert torch_only.encode_query("mdp oublié").shape == (1, 384)
    assert torch_only.backend == "torch"
    assert not (tmp_path / "onnx").exists()  # runtime "torch": nothing exported


def test_export_is_reused_and_named_by_fingerprint(embedder):
    embedder.warm_up()
    folders = [p for p in embedder.runtime_dir.iterdir() if not p.name.startswith(".")]
    assert len(folders) == 1 and (folders[0] / "model.onnx").exists()
    again = Embedder("minilm", runtime_dir=embedder.runtime_dir)
    again.warm_up()
    assert again.backend == "onnx" and again._model is None  # loaded without PyTorch


def test_refused_export_falls_back_to_pytorch(tmp_path, monkeypatch, caplog):
    def refuse(model, folder):
        raise onnx_runtime.ExportUnsupported("ONNX and PyTorch embeddings differ by 1.0e-01")

    monkeypatch.setattr(onnx_runtime, "export", refuse)
    fallback = Embedder("minilm", runtime_dir=tmp_path / "onnx")
    with caplog.at_level(logging.WARNING, logger="bot.answers.embedding"):
        vector = fallback.encode_query("inscrire des candidats")
    assert fallback.backend == "torch" and vector.shape == (1, 384)
    assert "ONNX runtime not used" in caplog.text and "differ" in caplog.text


def test_unsupported_module_chain_is_refused():
    class Transformer: ...
    class Dense: ...

    with pytest.raises(onnx_runtime.ExportUnsupported, match="module chain"):
        onnx_runtime._pooling_mode([Transformer(), Dense()])


def test_runtime_config_key_is_validated(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("search:\n  runtime: gpu\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="search.runtime"):
        load_config(path)
    path.write_text("search:\n  runtime: torch\n  threads: 1\n", encoding="utf-8")
    assert (load_config(path).runtime, load_config(path).threads) == ("torch", 1)
    path.write_text("search:\n  threads: -2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="search.threads"):
        load_config(path)


def test_an_export_in_an_older_format_is_made_again(tmp_path):
    import json

    Embedder("minilm", runtime_dir=tmp_path / "onnx").warm_up()
    [folder] = [p for p in (tmp_path / "onnx").iterdir() if not p.name.startswith(".")]
    meta = json.loads((folder / "meta.json").read_text())
    (folder / "meta.json").write_text(json.dumps({**meta, "format": onnx_runtime.FORMAT - 1}))
    again = Embedder("minilm", runtime_dir=tmp_path / "onnx")
    again.warm_up()
    assert again.backend == "onnx"  # not PyTorch for ever after an upgrade
    assert json.loads((folder / "meta.json").read_text())["format"] == onnx_runtime.FORMAT
    assert (folder / "model.onnx.data").stat().st_size > (folder / "model.onnx").stat().st_size  # weights apart
