"""Load the FAQ (``faq/*.yaml``) and documentation (``knowledge/**/*.md``) into searchable items.

Both formats are a public contract (see README): other people's files must load unchanged.
Every problem is collected with the file, the entry and the line where YAML gives it, so a
broken file can be fixed in one go; the caller refuses to index while any error remains.

The parts: ``items`` (what loading produces: items, problems, the result; reading a YAML list
file), ``faq`` (FAQ entries), ``docs`` (pages split into passages), ``examples`` (example
questions attached to the items they expect); ``load_sources`` below runs them in turn.
"""

from __future__ import annotations

from pathlib import Path

from ..placeholders import Placeholders
from .docs import load_docs, split_front_matter, split_words
from .examples import load_examples
from .faq import load_faq
from .items import URL_RE, Item, LoadResult, SourceError, SourceProblem

__all__ = ["URL_RE", "Item", "LoadResult", "SourceError", "SourceProblem", "load_docs", "load_examples",
           "load_faq", "load_sources", "split_front_matter", "split_words"]


def load_sources(faq_dir: Path | None, docs_dir: Path | None, examples_dir: Path | None = None,
                 placeholders: Placeholders | None = None) -> LoadResult:
    """Load FAQ, documentation and example questions. Missing folders count as empty.

    ``placeholders`` (``Placeholders.from_config(config)``) resolves the ``{{ … }}`` of the
    content; without it, any placeholder is an error. Its fingerprint is one of the hashes in
    ``files``: a change of the config or of the local file makes the index stale."""
    result = LoadResult()
    placeholders = placeholders if placeholders is not None else Placeholders()
    for problem in placeholders.problems:
        result.errors.append(SourceProblem(placeholders.local_file or "?", problem.message, entry=problem.key,
                                           line=problem.line))
    result.files["placeholders"] = placeholders.fingerprint()
    if faq_dir is not None and faq_dir.is_dir():
        load_faq(faq_dir, result, placeholders=placeholders)
    if docs_dir is not None and docs_dir.is_dir():
        load_docs(docs_dir, result, placeholders=placeholders)
    if examples_dir is not None and examples_dir.is_dir():
        load_examples(examples_dir, result)
    return result
