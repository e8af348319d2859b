"""The bot's Matrix session: one login per bot lifetime.

The access token lives in its own private file in the data folder (not in the database with
people's data), the device and user ids in the storage kv, the keys in nio's store under
``data_dir/matrix-store``. Later starts restore the session (checked with whoami) and only log
in again when the homeserver says the token is gone (``M_UNKNOWN_TOKEN``) or when the key store
is gone (its keys with it): that device is then logged out and a new one made.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import ClientError
from nio import LoginResponse, LogoutResponse, WhoamiResponse

from ...core.config import ConfigError
from .sender import short

if TYPE_CHECKING:
    from .bot import MatrixBot

log = logging.getLogger(__name__)

KV_USER = "matrix.user_id"
KV_DEVICE = "matrix.device_id"
KV_TOKEN = "matrix.access_token"  # where versions before 2026-12 kept the token (moved to TOKEN_FILE)
TOKEN_FILE = "matrix-access-token"


class Session:
    logins = 0  # password logins performed by this process (tests count them)

    def __init__(self, bot: MatrixBot, password: str | None, env_token: str | None):
        self.bot = bot
        self.password = password
        self.env_token = env_token

    async def login(self) -> None:
        c = self.bot.client
        token, device, user = (self._read_token(), self.bot.storage.get(KV_DEVICE), self.bot.storage.get(KV_USER))
        stored = bool(token and device and user == self.bot.mc.user_id)
        if stored and self._keys_lost(user, device):
            # the device's keys went with the store: it can no longer read encrypted rooms and
            # cannot publish new keys, so retire it and log in as a new device (needs the password)
            if self.password:
                log.warning("encryption store of device %s missing from %s; logging in as a new device",
                            device, self.bot.store_path)
                await self._retire_device(device, token)
                stored = False
            else:
                log.warning("encryption store of device %s missing from %s: encrypted rooms will fail; "
                            "set $%s to log in as a new device", device, self.bot.store_path, self.bot.mc.password_env)
        if stored:
            c.restore_login(user, device, token)
            try:
                who = await c.whoami()
            except Exception as exc:  # homeserver down: keep the session, the sync loop will retry
                log.warning("whoami failed (%s); keeping the stored session", short(exc))
                return
            if isinstance(who, WhoamiResponse) or getattr(who, "status_code", None) != "M_UNKNOWN_TOKEN":
                log.info("session restored for %s (device %s)", user, device)
                return
            log.warning("stored access token refused by the homeserver; logging in again")
        if self.env_token and not self.password:
            c.access_token = self.env_token
            who = await c.whoami()
            if not isinstance(who, WhoamiResponse) or not who.device_id:
                raise ConfigError(f"the access token in ${self.bot.mc.access_token_env} was refused ({short(who)})")
            c.restore_login(who.user_id, who.device_id, self.env_token)
            self._save_session(who.user_id, who.device_id, self.env_token)
            return
        if not self.password:
            raise ConfigError(f"no Matrix password: set ${self.bot.mc.password_env} (or ${self.bot.mc.access_token_env})")
        backoff = self.bot.backoff_min
        while True:  # homeserver unreachable at first start: wait for it, do not crash
            try:
                resp = await c.login(self.password, device_name=self.bot.mc.device_name)
                break
            except (OSError, asyncio.TimeoutError, ClientError) as exc:
                log.warning("login failed (%s); retrying in %.0f s", short(exc), backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.bot.backoff_max)
        if not isinstance(resp, LoginResponse):
            raise ConfigError(f"Matrix login failed for {self.bot.mc.user_id}: {short(resp)}")
        Session.logins += 1
        log.info("logged in as %s (new device %s)", resp.user_id, resp.device_id)
        self._save_session(resp.user_id, resp.device_id, resp.access_token)

    def _keys_lost(self, user: str, device: str) -> bool:
        """True when encryption is on and nio's store for this device (its keys) is gone."""
        return self.bot.mc.encryption and not (self.bot.store_path / f"{user}_{device}.db").exists()

    async def _retire_device(self, device: str, token: str) -> None:
        """Log the stored device out (best effort: the homeserver may be down or the token dead)."""
        c = self.bot.client
        c.access_token = token  # not restore_login: it would open a new, empty store for the device
        try:
            resp = await c.logout()
            if not isinstance(resp, LogoutResponse):
                log.warning("could not log out device %s (%s)", device, short(resp))
        except Exception as exc:
            log.warning("could not log out device %s (%s)", device, short(exc))
        c.access_token = ""

    def _save_session(self, user: str, device: str, token: str) -> None:
        self.bot.storage.set(KV_USER, user)
        self.bot.storage.set(KV_DEVICE, device)
        self.write_token(token)

    # The access token is a secret: it lives in its own private file in the data folder (outside
    # nio's key store, which may be deleted on its own), not in the database with people's data (a copy of the database for a report, a support request
    # or a GDPR export then never carries it). Older versions kept it in the database: moved here.
    @property
    def token_path(self) -> Path:
        return self.bot.store_path.parent / TOKEN_FILE

    def _read_token(self) -> str | None:
        legacy = self.bot.storage.get(KV_TOKEN)
        if legacy is not None:
            if legacy:
                self.write_token(legacy)
            with self.bot.storage.lock:
                self.bot.storage.db.execute("DELETE FROM kv WHERE key = ?", (KV_TOKEN,))
        try:
            return self.token_path.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def write_token(self, token: str) -> None:
        self.token_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.token_path.with_name(TOKEN_FILE + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.token_path)

    async def keep_keys(self) -> None:
        """After each sync: upload, query and claim encryption keys as nio asks."""
        c = self.bot.client
        if not c.olm:
            return
        try:
            if c.should_upload_keys:
                await c.keys_upload()
            if c.should_query_keys:
                await c.keys_query()
            if c.should_claim_keys:
                await c.keys_claim(c.get_users_for_key_claiming())
            await c.send_to_device_messages()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("key maintenance failed (%s)", short(exc))
