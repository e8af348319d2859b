"""Placeholders in content text, resolved when the FAQ and documentation are loaded.

Content (FAQ questions, variants and answers; documentation passages) may contain
``{{ name }}``: a name between double braces, spaces allowed around it. Known names:

- ``themes``: the news themes the bot offers, i.e. the keys of ``news.topics`` in the config,
  written as a French list (or an honest "none configured yet");
- ``etablissement.<key>``: a value of the institution's local file (``sources.local_file``,
  by default ``local/etablissement.yaml``), which the Pix correspondent fills in. A key left
  empty renders as an honest French sentence (not filled in yet, ask with ``correspondant``)
  and ``pixbot check`` lists it.

Any other name is a load error naming the file, the entry and the line, like every other source
error. The rendered text is what the index, the content hashes and the answers see, and
``fingerprint()`` enters the sources' file hashes, so a change to the config or to the local
file rebuilds the index.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..core import strings
from ..core.files import yaml_error

PLACEHOLDER_RE = re.compile(r"\{\{\s*(.*?)\s*\}\}", re.S)
LOCAL_PREFIX = "etablissement."
LOCAL_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
THEMES = "themes"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class LocalProblem:
    """A problem in the local file (file shown as given, key, line)."""

    message: str
    key: str | None = None
    line: int | None = None


@dataclass
class Placeholders:
    """The values the content's placeholders resolve to.

    ``values`` maps a name to its text (None: a local value not filled in yet). When the
    configured local file is missing, every ``etablissement.*`` name renders as not filled in
    (nobody can tell a typo from a key the file would hold; ``pixbot check`` says the file is
    missing). ``Placeholders()`` knows no name at all: every placeholder is an error."""

    values: dict[str, str | None] = field(default_factory=dict)
    local_file: str | None = None  # the local file as shown in messages
    local_found: bool = False
    local_lines: dict[str, int] = field(default_factory=dict)  # key -> line in the local file
    problems: list[LocalProblem] = field(default_factory=list)  # errors in the local file
    used: set[str] = field(default_factory=set)  # names met while rendering

    # -- building -----------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config) -> "Placeholders":
        local = getattr(config, "local_file", None)
        shown = None
        if local is not None:
            try:
                shown = Path(local).relative_to(config.base_dir).as_posix()
            except ValueError:
                shown = str(local)
        return cls.build(list(config.news.topics), local, shown)

    @classmethod
    def build(cls, themes: list[str], local_file: Path | None = None, shown: str | None = None) -> "Placeholders":
        ph = cls(values={THEMES: strings.placeholder_themes(themes)})
        if local_file is None:
            return ph
        ph.local_file = shown or str(local_file)
        if not Path(local_file).is_file():
            return ph
        ph.local_found = True
        ph._read_local(Path(local_file))
        return ph

    def _read_local(self, path: Path) -> None:
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems.append(LocalProblem(strings.SRC_NOT_UTF8.format(pos=exc.start)))
            return
        try:
            node = yaml.compose(text, Loader=_LOADER)
        except yaml.YAMLError as exc:
            problem, line = yaml_error(exc)
            self.problems.append(LocalProblem(strings.SRC_BAD_YAML.format(problem=problem), line=line))
            return
        if node is None:
            return
        if not isinstance(node, yaml.MappingNode):
            self.problems.append(LocalProblem(strings.LOCAL_NOT_MAPPING, line=node.start_mark.line + 1))
            return
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            line = key_node.start_mark.line + 1
            if not isinstance(key, str) or not LOCAL_KEY_RE.match(key):
                self.problems.append(LocalProblem(strings.LOCAL_BAD_KEY.format(key=key), line=line))
                continue
            if not isinstance(value_node, yaml.ScalarNode):
                self.problems.append(LocalProblem(strings.LOCAL_NOT_TEXT, key=key, line=line))
                continue
            value = _LOADER("").construct_object(value_node)
            if isinstance(value, bool) or (value is not None and not isinstance(value, (str, int, float))):
                self.problems.append(LocalProblem(strings.LOCAL_NOT_TEXT, key=key, line=line))
                continue
            text_value = None if value is None else str(value).strip()
            self.values[LOCAL_PREFIX + key] = text_value or None
            self.local_lines[key] = line

    # -- rendering ----------------------------------------------------------------------------
    def render(self, text: str) -> tuple[str, list[tuple[str, int]]]:
        """``text`` with every known placeholder replaced, and the unknown ones as
        (name, offset in ``text``)."""
        unknown: list[tuple[str, int]] = []

        def value(match: re.Match) -> str:
            name = match.group(1)
            if name in self.values:
                self.used.add(name)
                found = self.values[name]
                return found if found is not None else strings.PLACEHOLDER_UNSET
            if (name.startswith(LOCAL_PREFIX) and self.local_file is not None and not self.local_found
                    and LOCAL_KEY_RE.match(name[len(LOCAL_PREFIX):])):
                self.used.add(name)
                return strings.PLACEHOLDER_UNSET
            unknown.append((name, match.start()))
            return match.group(0)

        if "{{" not in text:
            return text, unknown
        return PLACEHOLDER_RE.sub(value, text), unknown

    def fingerprint(self) -> str:
        """Changes whenever a rendered text may change."""
        raw = json.dumps([sorted(self.values.items(), key=lambda kv: kv[0]), self.local_found],
                         ensure_ascii=False)
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def known_names(self) -> list[str]:
        return sorted(self.values)

    def unset(self) -> list[tuple[str, int | None]]:
        """Local keys not filled in yet, with their line in the local file."""
        prefix = len(LOCAL_PREFIX)
        return [(name[prefix:], self.local_lines.get(name[prefix:]))
                for name, value in sorted(self.values.items(), key=lambda kv: self.local_lines.get(kv[0][prefix:], 0))
                if name.startswith(LOCAL_PREFIX) and value is None]


def line_in(text: str, offset: int, first_line: int | None) -> int | None:
    """The line of ``offset`` in ``text`` when ``text`` starts on ``first_line``."""
    return None if first_line is None else first_line + text.count("\n", 0, offset)
