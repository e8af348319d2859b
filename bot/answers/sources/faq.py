"""The FAQ: every ``*.yaml``/``*.yml`` file below the FAQ folder, a YAML list of entries
(``id``, ``question``, ``variants``, ``answer``, ``topics``, ``source``, and ``action``: what the
bot offers to do after the answer, e.g. ``demande-acces-orga``), placeholders rendered."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ...core import strings
from ..placeholders import Placeholders, line_in
from .items import URL_RE, Item, LoadResult, SourceProblem, as_str_list, read_yaml_list, yaml_files

FAQ_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FAQ_KEYS = {"id", "question", "variants", "answer", "topics", "source", "action"}


def load_faq(faq_dir: Path, result: LoadResult, seen: dict[str, str] | None = None,
             placeholders: Placeholders | None = None) -> None:
    """Load every ``*.yaml``/``*.yml`` file below ``faq_dir`` into ``result``, placeholders
    rendered (none known without ``placeholders``: each one is then an error)."""
    seen = {} if seen is None else seen
    placeholders = placeholders if placeholders is not None else Placeholders()
    for path in yaml_files(faq_dir):
        rel = path.relative_to(faq_dir).as_posix()
        entries = read_yaml_list(path, rel, f"faq:{rel}", result, strings.SRC_FAQ_NOT_LIST)
        for index, (line, raw_entry, node) in enumerate(entries or []):
            _load_faq_entry(rel, index, line, raw_entry, result, seen, node, placeholders)


def _scalar_first_line(node) -> int | None:
    """The line where a YAML scalar's text starts (block scalars: the line after « | »)."""
    if not isinstance(node, yaml.ScalarNode):
        return None
    return node.start_mark.line + 1 + (1 if node.style in ("|", ">") else 0)


def _field_nodes(node) -> dict[str, object]:
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _load_faq_entry(rel: str, index: int, line: int | None, raw, result: LoadResult, seen: dict[str, str],
                    node=None, placeholders: Placeholders | None = None) -> None:
    label = f"#{index + 1}"

    def error(message: str) -> None:
        result.errors.append(SourceProblem(rel, message, entry=label, line=line))

    if not isinstance(raw, dict):
        error(strings.SRC_ENTRY_NOT_MAPPING)
        return
    entry_id = raw.get("id")
    if isinstance(entry_id, str) and entry_id.strip():
        label = f"{label} ({entry_id.strip()})"
    errors_before = len(result.errors)
    for key in sorted(set(map(str, raw)) - FAQ_KEYS):
        result.warnings.append(SourceProblem(rel, strings.SRC_UNKNOWN_KEY.format(key=key), entry=label, line=line))
    for key in ("id", "question", "answer"):
        value = raw.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            error(strings.SRC_MISSING_FIELD.format(field=key))
        elif not isinstance(value, str):
            error(strings.SRC_NOT_TEXT.format(field=key))
    if isinstance(entry_id, str) and entry_id.strip():
        entry_id = entry_id.strip()
        if not FAQ_ID_RE.match(entry_id):
            error(strings.SRC_BAD_ID.format(id=entry_id))
        elif entry_id in seen:
            error(strings.SRC_DUPLICATE_ID.format(id=entry_id, other=seen[entry_id]))
        else:
            seen[entry_id] = rel
    variants, problem = as_str_list(raw.get("variants"), "variants")
    if problem:
        error(problem)
    topics, problem = as_str_list(raw.get("topics"), "topics")
    if problem:
        error(problem)
    source = raw.get("source")
    if source is not None and (not isinstance(source, str) or not URL_RE.match(source.strip())):
        error(strings.SRC_BAD_URL.format(value=source))
    action = raw.get("action")
    if action is not None and (not isinstance(action, str) or not FAQ_ID_RE.match(action.strip())):
        error(strings.SRC_BAD_ACTION.format(value=action))
    if len(result.errors) > errors_before:
        return
    placeholders = placeholders if placeholders is not None else Placeholders()
    nodes = _field_nodes(node)

    def render(text: str, text_node) -> str:
        rendered, unknown = placeholders.render(text)
        first = _scalar_first_line(text_node)
        for name, offset in unknown:
            result.errors.append(SourceProblem(rel, strings.SRC_UNKNOWN_PLACEHOLDER.format(
                name=name, known=", ".join(placeholders.known_names()) or "aucun"), entry=label,
                line=line_in(text, offset, first) or line))
        return rendered

    variant_nodes = nodes.get("variants")
    variant_nodes = variant_nodes.value if isinstance(variant_nodes, yaml.SequenceNode) else []
    question = render(raw["question"], nodes.get("question")).strip()
    variants = [render(v, variant_nodes[i] if i < len(variant_nodes) else None).strip() for i, v in enumerate(variants)]
    answer = render(raw["answer"], nodes.get("answer")).strip()
    if len(result.errors) > errors_before:
        return
    result.items.append(
        Item(
            id=entry_id,
            kind="faq",
            title=question,
            body=answer,
            phrasings=tuple(dict.fromkeys([question, *variants])),
            source=source.strip() if isinstance(source, str) else None,
            topics=tuple(t.lower() for t in topics),
            origin=rel,
            line=line,
            action=action.strip() if isinstance(action, str) else None,
        )
    )
