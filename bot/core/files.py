"""Files and folders: paths as the configuration writes them, what a YAML error says, and folders
written whole (a model, an adapter or an export replaces the old one in one step, so a crash or an
error never leaves a half-written folder in its place)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml


def config_path(value: str, base: Path) -> Path:
    """A path as the configuration writes it: ``$VARIABLES`` and ``~`` expanded, and a relative
    path taken from ``base`` (the folder of the config file)."""
    path = Path(os.path.expandvars(value)).expanduser()
    return path if path.is_absolute() else base / path


def yaml_error(exc: yaml.YAMLError) -> tuple[str, int | None]:
    """What a YAML error says (its problem, or the whole message when it names none) and the line,
    counted from 1, where YAML found it (None when it does not say)."""
    mark = getattr(exc, "problem_mark", None)
    return getattr(exc, "problem", None) or str(exc), (mark.line + 1 if mark else None)


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """Yield a scratch folder beside ``target`` (same file system). What the block leaves in
    ``scratch / target.name`` replaces ``target`` when it ends without error; the scratch folder
    is removed in every case."""
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        yield work
        if target.exists():
            shutil.rmtree(target)
        os.replace(work / target.name, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
