"""Terminal chat: the same brain as the Matrix bot, one person at a keyboard."""

from __future__ import annotations

import getpass
import sys

from ..core import strings
from ..core.app import App
from ..core.brain import Incoming
from ..core.config import Config
from ..core.render import plain
from ..core.storage import Storage

QUIT_WORDS = {"quitter", "quit", "exit", "sortir", "bye", "au revoir"}


def run_chat(config: Config, engine, stdin=None, stdout=None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    storage = Storage(config.database)
    user = f"@{getpass.getuser()}:terminal"
    app = App(config, engine, storage)
    brain = app.brain
    brain.correspondents.add(user)  # at the keyboard of the bot's machine you are a correspondent
    def show(reply) -> None:
        to = strings.CHAT_TO_PERSON.format(user=reply.room) if reply.room.startswith("@") and reply.room != user else ""
        text = plain(reply.text)
        if reply.attachment:
            text = f"{text}\n{strings.CHAT_ATTACHMENT.format(path=reply.attachment['path'])}".strip()
        print(f"\npixbot> {to}{text}", file=stdout, flush=True)

    def outlet(replies):  # what the brain says on its own, shown once the caller's transaction commits
        storage.after_commit(lambda: [show(r) for r in replies])

    brain.outlet = outlet
    interactive = stdin.isatty()
    print(strings.CHAT_WELCOME, file=stdout, flush=True)
    counter = 0
    app.start()
    try:
        while True:
            if interactive:
                print("\nvous> ", end="", file=stdout, flush=True)
            line = stdin.readline()
            if not line:
                break
            text = line.strip()
            if text.lower() in QUIT_WORDS:
                break
            counter += 1
            for reply in brain.handle(Incoming(sender=user, room="terminal", text=text)):
                brain.sent(reply, f"terminal-{counter}")
                show(reply)
    finally:
        app.stop()
        print(strings.CHAT_BYE, file=stdout, flush=True)
        storage.close()
    return 0
