"""Configuration: every key is checked at load, with an error naming it."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from bot.core.config import ConfigError, load_config


@pytest.mark.parametrize("text, key", [
    ("matrix:\n  command_prefix: ''\n", "matrix.command_prefix"),
    ("matrix:\n  command_prefix: '! pix'\n", "matrix.command_prefix"),
    ("tickets:\n  auto_close_days: 0\n", "tickets.auto_close_days"),
    ("news:\n  max_age_days: 0\n", "news.max_age_days"),
    ("news:\n  backlog_days: -1\n", "news.backlog_days"),
    ("search:\n  candidates: 0\n", "search.candidates"),
    ("search:\n  max_suggestions: 0\n", "search.max_suggestions"),
    ("tickets:\n  faq_file: ../elsewhere/appris.yaml\n", "tickets.faq_file"),
    ("tickets:\n  faq_file: faq/appris.txt\n", "tickets.faq_file"),
])
def test_out_of_range_values_are_refused_by_name(tmp_path, text, key):
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_config(path)


def test_the_learned_faq_file_may_be_anywhere_inside_the_faq_folder(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("tickets:\n  faq_file: faq/appris/tickets.yaml\n", encoding="utf-8")
    assert load_config(path).tickets.faq_file == "faq/appris/tickets.yaml"


def test_what_the_bot_writes_is_private(tmp_path):
    """data/ (database, tokens, keys, index) is readable by the bot's user only."""
    (tmp_path / "config.yaml").write_text(
        f"data_dir: {tmp_path / 'data'}\nsearch:\n  model: minilm\n  trained_model: ''\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "bot.cli", "tickets", "list"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = [p for p in data.rglob("*") if p.is_file()]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files), \
        [(p.name, oct(stat.S_IMODE(p.stat().st_mode))) for p in files]
    assert os.access(data / "pixbot.sqlite", os.R_OK)
