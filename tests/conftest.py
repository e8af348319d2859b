"""Shared fixtures: the real embedding model (loaded once per session) and engines over the
small test FAQ (tests/fixtures) or the bundled content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.config import load_config
from bot.embedding import Embedder
from bot.engine import Engine
from bot.storage import Storage
from pixbot_testing import make_config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def embedder(tmp_path_factory) -> Embedder:
    """The packaged default model as production runs it (exported to ONNX), with an embedding
    cache shared by the whole session."""
    folder = tmp_path_factory.mktemp("embcache")
    return Embedder("default", cache_path=folder / "embeddings.sqlite", runtime_dir=folder / "onnx")


@pytest.fixture
def sample_sources(tmp_path) -> tuple[Path, Path]:
    """A writable copy of the small test FAQ and docs."""
    faq = tmp_path / "faq"
    docs = tmp_path / "docs"
    shutil.copytree(FIXTURES / "faq", faq)
    shutil.copytree(FIXTURES / "docs", docs)
    return faq, docs


@pytest.fixture
def sample_engine(tmp_path, sample_sources, embedder) -> Engine:
    faq, docs = sample_sources
    engine = Engine(make_config(tmp_path / "data", faq, docs), embedder=embedder)
    engine.load()
    return engine


@pytest.fixture(scope="session")
def bundled_engine(tmp_path_factory) -> Engine:
    """The engine as shipped: bundled FAQ and documentation, config.example.yaml, and the model
    fine-tuned by `pixbot train` (trained here, at its default place, if `make` has not yet)."""
    shipped = load_config(ROOT / "config.example.yaml")
    if not (shipped.trained_model / "config.json").exists():
        from bot.train import train

        train(shipped, shipped.trained_model)
    data = tmp_path_factory.mktemp("bundled")
    config = make_config(data, ROOT / "faq", ROOT / "knowledge")
    config.search = shipped.search
    config.training_dir = shipped.training_dir  # the example questions are part of what ships
    engine = Engine(config, embedder=Embedder(shipped.model_spec(), cache_path=data / "embeddings.sqlite",
                                              runtime_dir=data / "onnx"))
    engine.load()
    return engine


@pytest.fixture
def storage(tmp_path) -> Storage:
    db = Storage(tmp_path / "state.sqlite")
    yield db
    db.close()
