"""Helpers shared by test modules (a plain module, so it can be imported from any test folder:
each test folder has its own conftest.py, and "conftest" is not a unique module name)."""

from __future__ import annotations

from pathlib import Path

from bot.core.config import load_config
from bot.answers.search import SearchParams


def make_config(data_dir: Path, faq_dir: Path, docs_dir: Path | None):
    config = load_config(None)
    config.data_dir = data_dir
    config.faq_dir = faq_dir
    config.docs_dir = docs_dir
    config.training_dir = None
    config.model = "minilm"  # small and fast: these tests are about behaviour, not ranking quality
    config.trained_model = None
    config.search = SearchParams()  # not the shipped model's calibration (read from its manifest)
    config.database = data_dir / "pixbot.sqlite"
    return config
