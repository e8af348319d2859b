"""The command registry: every command the bot understands, declared once.

A command declares its names (the first is shown in the help, the others are aliases), its
help line, who may run it (everyone, correspondents, or room moderators and correspondents),
where (a direct chat, a group room) and, when it takes arguments, an optional parser that
turns them into what the handler receives or refuses them with a French message. The help is
generated from the registry; parsing a message finds the command whatever its accents or case.
Features register their commands through ``Brain.command``; nothing reads the table directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from . import strings
from ..answers.textnorm import fold_accents

EVERYONE, CORRESPONDENTS, MODERATORS = "everyone", "correspondents", "moderators"
DIRECT, ROOM = "direct", "room"


class ArgumentError(ValueError):
    """Raised by a command's argument parser: its message (French) is shown with the usage."""


@dataclass
class Command:
    name: str
    help: str
    handler: Callable
    who: str = EVERYONE
    where: frozenset[str] = frozenset({DIRECT, ROOM})
    takes_args: bool = False
    aliases: tuple[str, ...] = ()
    usage: str = ""
    parse: Callable[[str], Any] | None = None  # arguments -> what the handler gets (ArgumentError: refused)

    @property
    def admin(self) -> bool:
        return self.who == CORRESPONDENTS


@dataclass
class Registry:
    prefix: str = "!pix"
    commands: dict[str, Command] = field(default_factory=dict)  # folded name or alias -> command

    def add(self, cmd: Command) -> None:
        for key in (cmd.name, *cmd.aliases):
            self.commands[fold_accents(key.lower())] = cmd

    def get(self, name: str) -> Command | None:
        return self.commands.get(fold_accents(name.lower()))

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def strip_prefix(self, text: str) -> tuple[bool, str]:
        """(whether the message starts with the command prefix or "!", the text after it)."""
        stripped = text.strip()
        for prefix in (self.prefix, "!"):
            if prefix and stripped[:len(prefix)].lower() == prefix.lower():
                return True, stripped[len(prefix):].strip()
        return False, stripped

    def parse(self, text: str) -> tuple[Command | None, str, str | None]:
        """Return (command, args, unknown name). A prefixed message is a command attempt (the
        unknown name is its first word when no command matches; the brain may still take it as
        a question); an unprefixed one is a command when its first word is a command name (and,
        for commands without arguments, nothing follows)."""
        prefixed, stripped = self.strip_prefix(text)
        if not stripped:
            return (self.get("aide"), "", None) if prefixed else (None, "", None)
        # command names are short: match on the beginning only, whatever the message's length
        longest = max(map(len, self.commands), default=0)
        folded = fold_accents(stripped[:longest + 1].lower())
        # longest command name first, so "mes questions" wins over "mes"
        for key in sorted(self.commands, key=len, reverse=True):
            if folded == key or folded.startswith(key + " "):
                cmd = self.commands[key]
                args = stripped[len(key):].strip()
                if args and not cmd.takes_args and not prefixed:
                    return None, "", None
                return cmd, args, None
        if prefixed:
            return None, "", stripped.split()[0]
        return None, "", None

    def refusal(self, cmd: Command, is_direct: bool, is_correspondent: bool, is_moderator: bool) -> str | None:
        """Why this person may not run this command here (French), or None."""
        if cmd.who == CORRESPONDENTS and not is_correspondent:
            return strings.NOT_ALLOWED
        if cmd.who == MODERATORS and not (is_correspondent or is_moderator):
            return strings.NOT_ALLOWED_MODERATORS
        if (DIRECT if is_direct else ROOM) not in cmd.where:
            return strings.ONLY_IN_DIRECT if DIRECT in cmd.where else strings.ONLY_IN_ROOM
        return None

    def unique(self) -> list[Command]:
        seen: dict[str, Command] = {}
        for cmd in self.commands.values():
            seen.setdefault(cmd.name, cmd)
        return list(seen.values())

    def help_text(self, is_correspondent: bool) -> str:
        public = [f"- `{c.usage}` : {c.help}" for c in self.unique() if c.who != CORRESPONDENTS]
        admin = [f"- `{c.usage}` : {c.help}" for c in self.unique() if c.who == CORRESPONDENTS]
        lines = [strings.HELP_INTRO, "", *public]
        if admin and is_correspondent:
            lines += ["", strings.HELP_ADMIN, *admin]
        lines += ["", strings.HELP_GROUP_ROOM.format(prefix=self.prefix)]
        return "\n".join(lines)
