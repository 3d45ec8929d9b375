"""Web chat and REST visitors' sessions: a random conversation id signed with the server's key.

A session is issued once (`POST /webhooks/rest/session`) and proves, on every
later request, which conversation the visitor may write to and read. It is
stateless: the credential is `<conversation id>.<signature>`, where the id is
`rest:` or `webchat:` and 128 random bits (base64url, 22 characters) and the
signature is HMAC-SHA256 over the id with the session key (base64url, 43
characters). Nothing is stored per session, so sessions survive a restart and
work across instances that share the key.

These ids live in their own namespace: a `rest:`/`webchat:` id can never be a
phone number (SMS, `+44…`), a WhatsApp address (`whatsapp:+44…`) or a Telegram
chat id (digits), so no visitor can land in another channel's conversation.

The key is FRONTDESK_SESSION_KEY (at least 32 characters) when set, else the
file `<state>/session.key`, created once with 0600 permissions. Rotating the
key ends every visitor's session (their pages start new conversations).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError
from bot.config import Settings

SESSION_CHANNELS = ("rest", "webchat")
HEADER = "X-Frontdesk-Session"
KEY_FILE = "session.key"
ID_BYTES = 16  # 128 random bits
_CREDENTIAL = re.compile(r"(?P<id>(?P<channel>rest|webchat):[A-Za-z0-9_-]{22})\.(?P<signature>[A-Za-z0-9_-]{43})")
_DOMAIN = b"frontdesk-session-v1\x00"  # the signature covers this purpose, not only the id


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Session:
    """One visitor's conversation: `conversation_id` is the tracker's sender id, `channel` rest or webchat."""

    conversation_id: str
    channel: str
    credential: str = field(repr=False)


class SessionSigner:
    """Issues and verifies sessions with one key (bytes, at least 32)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the session key must be at least 32 bytes")
        self._key = key

    def _signature(self, conversation_id: str) -> str:
        return _b64(hmac.new(self._key, _DOMAIN + conversation_id.encode("ascii"), hashlib.sha256).digest())

    def issue(self, channel: str = "rest") -> Session:
        """A new session with a fresh random conversation id; ValueError for a channel other than rest/webchat."""
        if channel not in SESSION_CHANNELS:
            raise ValueError(f"sessions are for {' and '.join(SESSION_CHANNELS)} visitors, not {channel!r}")
        conversation_id = f"{channel}:{_b64(secrets.token_bytes(ID_BYTES))}"
        return Session(conversation_id, channel, f"{conversation_id}.{self._signature(conversation_id)}")

    def verify(self, credential: str) -> Session | None:
        """The session a credential proves; None when it is malformed or its signature is not ours."""
        match = _CREDENTIAL.fullmatch(credential.strip()) if len(credential) <= 128 else None
        if match is None:
            return None
        if not hmac.compare_digest(match["signature"], self._signature(match["id"])):
            return None
        return Session(match["id"], match["channel"], credential.strip())


def session_key(settings: Settings) -> bytes:
    """The key from FRONTDESK_SESSION_KEY, else `<state>/session.key` (created with 0600 on first use).

    Raises ConfigError when the file can be read by others than its owner or is too short.
    """
    if settings.session_key:
        return settings.session_key.encode()
    return _key_file(settings.state_dir / KEY_FILE)


def _key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} can be read by other users: chmod 600 it (or set FRONTDESK_SESSION_KEY)")
    key = path.read_text().strip()
    if len(key) < 32:
        raise ConfigError(f"{path} holds a key shorter than 32 characters: delete it to have a new one made")
    return key.encode()
