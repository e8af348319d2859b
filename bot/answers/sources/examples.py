"""Example questions (``sources.training_dir``): YAML lists of ``{question, expected}``, written
the way staff type them, attached to the items they expect as extra phrasings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ...core import strings
from .items import LoadResult, SourceProblem, read_yaml_list, yaml_files


def load_examples(examples_dir: Path, result: LoadResult) -> None:
    """Attach the example questions of ``examples_dir`` (YAML lists of ``{question, expected}``,
    written as staff type them) to the items they expect, as extra phrasings to match against.

    ``expected`` is an FAQ id, a passage id or a page path (its first passage). A question whose
    item no longer exists is only a warning (``pixbot check`` lists it); a broken file is an error.
    """
    first: dict[str, int] = {}
    for i, item in enumerate(result.items):
        first.setdefault(item.id, i)
        if item.kind == "doc":
            first.setdefault(item.id.split("#", 1)[0], i)
    found: dict[int, list[str]] = {}
    for path in yaml_files(examples_dir):
        rel = path.relative_to(examples_dir).as_posix()
        entries = read_yaml_list(path, rel, f"examples:{rel}", result, strings.SRC_EXAMPLES_NOT_LIST)
        for index, (line, raw, _) in enumerate(entries or []):
            label = f"#{index + 1}"
            question = raw.get("question") if isinstance(raw, dict) else None
            if not isinstance(raw, dict) or "expected" not in raw or not isinstance(question, str) \
                    or not question.strip():
                result.errors.append(SourceProblem(rel, strings.SRC_BAD_EXAMPLE, entry=label, line=line))
                continue
            expected = raw["expected"]
            if expected in (None, "", "null"):  # a question nothing answers: nothing to attach
                continue
            target = first.get(str(expected).strip())
            if target is None:
                result.warnings.append(SourceProblem(rel, strings.SRC_EXAMPLE_UNKNOWN_ID.format(id=expected),
                                                     entry=label, line=line))
                continue
            result.examples.append((question.strip(), str(expected).strip()))
            found.setdefault(target, []).append(question.strip())
    for i, questions in found.items():
        item = result.items[i]
        result.items[i] = replace(item, examples=tuple(q for q in dict.fromkeys(questions) if q not in item.phrasings))
