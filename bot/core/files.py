"""Folders written whole: a model, an adapter or an export replaces the old one in one step, so a
crash or an error never leaves a half-written folder in its place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


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
