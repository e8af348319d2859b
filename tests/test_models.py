"""The fine-tuned artifact: a LoRA adapter trained by `pixbot train`, shipped with its manifest,
merged into the base model at load, its calibrated search parameters used by default."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from bot.answers import models
from bot.core.config import load_config
from bot.answers.embedding import Embedder
from bot.answers.evaluate import Case
from bot.answers.search import SearchParams
from bot.answers.train import train
from pixbot_testing import make_config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A real (tiny) training run: LoRA over MiniLM on the test FAQ, calibrated and measured."""
    root = tmp_path_factory.mktemp("trained")
    shutil.copytree(FIXTURES / "faq", root / "faq")
    shutil.copytree(FIXTURES / "docs", root / "docs")
    config = make_config(root / "data", root / "faq", root / "docs")
    cases = [Case("comment faire entrer un collègue dans notre espace orga", "orga-invite"),
             Case("le surveillant n'a pas le mot de passe", "session-password"),
             Case("où se garer sur le campus ?", None)]
    report = train(config, root / "adapter", rank=4, tune=cases, heldout=cases, command="pixbot train (test)")
    return config, root / "adapter", report


def test_training_writes_a_small_half_precision_adapter_and_its_manifest(trained):
    config, adapter, report = trained
    assert sorted(p.name for p in adapter.iterdir()) == ["adapter_config.json", "adapter_model.safetensors",
                                                          "manifest.json"]
    tensors = load_file(str(adapter / "adapter_model.safetensors"))
    assert tensors and all(t.dtype == np.float16 for t in tensors.values())
    assert not any("pooler" in name for name in tensors)
    assert (adapter / "adapter_model.safetensors").stat().st_size < 1_000_000
    manifest = models.read_manifest(adapter)
    assert manifest["base"] == "minilm" and manifest["command"] == "pixbot train (test)"
    assert manifest["training_data_sha256"] == models.training_data_hash(config)
    assert manifest["parameters"]["lora_rank"] == 4 and manifest["pairs"] > 0
    assert set(manifest["search"]) == {"w_dense", "w_lexical", "body_offset", "body_lexical", "doc_bias",
                                       "answer_threshold", "suggest_threshold", "margin"}
    assert manifest["evaluation"]["heldout"]["in_scope"] == 2
    assert "Adaptateur entraîné" in report and "Moitié réservée" in report


def test_the_adapter_is_merged_at_load_and_changes_the_vectors(trained, tmp_path):
    config, adapter, _ = trained
    merged_config = make_config(tmp_path / "data", config.faq_dir, config.docs_dir)
    merged_config.trained_model = adapter
    folder = models.prepare(merged_config)
    assert Path(folder).name.startswith("merged-") and (Path(folder) / "config.json").exists()
    assert models.prepare(merged_config) == folder  # merged once, then reused
    base = Embedder("minilm", backend="torch").encode_query("mot de passe de session")
    tuned = Embedder(folder, backend="torch").encode_query("mot de passe de session")
    assert 0.5 < float(base[0] @ tuned[0]) < 0.9999


def test_manifest_parameters_are_the_defaults_and_the_config_overrides_them(trained, tmp_path):
    _, adapter, _ = trained
    calibrated = models.read_manifest(adapter)["search"]
    path = tmp_path / "config.yaml"
    path.write_text(f"search:\n  model: minilm\n  trained_model: {adapter}\n", encoding="utf-8")
    config = load_config(path)
    assert {k: getattr(config.search, k) for k in calibrated} == pytest.approx(calibrated)
    path.write_text(f"search:\n  model: minilm\n  trained_model: {adapter}\n  margin: 0.42\n", encoding="utf-8")
    assert load_config(path).search.margin == 0.42
    path.write_text(f"search:\n  model: e5\n  trained_model: {adapter}\n", encoding="utf-8")
    assert load_config(path).search == SearchParams()  # an adapter for MiniLM means nothing to e5
    assert models.artifact_manifest("e5", adapter) is None


def test_an_adapter_for_another_base_is_not_merged(trained, tmp_path, caplog):
    _, adapter, _ = trained
    config = make_config(tmp_path / "data", FIXTURES / "faq", FIXTURES / "docs")
    config.trained_model = adapter
    config.model = str(Path(models.base_path("minilm", tmp_path)).resolve())  # same weights, other name
    with caplog.at_level(logging.WARNING, logger="bot.answers.models"):
        assert models.prepare(config) == config.model
    assert "no adapter for the base model" in caplog.text


def test_check_warns_when_the_content_changed_since_training(trained):
    config, adapter, _ = trained
    config.trained_model = adapter
    assert not models.trained_on_other_content(config)
    faq_file = next(config.faq_dir.glob("*.yaml"))
    original = faq_file.read_text(encoding="utf-8")
    faq_file.write_text(original.replace("Pix Orga", "Pix  Orga", 1), encoding="utf-8")
    try:
        assert models.trained_on_other_content(config)
    finally:
        faq_file.write_text(original, encoding="utf-8")


def test_shipped_manifest_records_how_to_reproduce_the_artifact():
    folder = ROOT / "models" / "pixbot-e5"
    manifest = models.read_manifest(folder)
    assert models.is_adapter(folder)
    assert manifest["base"] == "e5" and manifest["command"].startswith("pixbot")
    assert manifest["parameters"]["epochs"] >= 1 and manifest["parameters"]["prompts"]["query"] == "query: "
    assert set(manifest["evaluation"]) == {"tune", "heldout"}
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size < 10 * 2**20  # small enough for git, as the issue requires
    assert json.loads((folder / "adapter_config.json").read_text())["base_model_name_or_path"] == "e5"
