"""Whose data: a channel and a contact, read into the conversation id every record is filed under.

The conversation id (Rasa's sender id) is formed per channel (README, "How conversation
ids look per channel"): the number in E.164 for SMS, `whatsapp:` + the number for
WhatsApp, the chat id for Telegram, `webchat:<id>` and `rest:<id>` for visitors' sessions.
An id chosen by the operator's token (the conversation tests' `convtest-…`) is named with
`--conversation` instead. Bad input is a `PrivacyError` with a one-line reason.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from bot.errors import PrivacyError

CHANNELS = ("sms", "whatsapp", "telegram", "webchat", "rest")
E164 = re.compile(r"\+[1-9]\d{7,14}")
TELEGRAM_CHAT = re.compile(r"[1-9]\d{0,19}")
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,120}")
MAX_CONVERSATION_ID = 255


@dataclass(frozen=True)
class Subject:
    """One customer on one channel: the conversation id their records are filed under."""

    channel: str
    conversation_id: str

    @property
    def addresses(self) -> set[str]:
        """Every recipient our channel tables may hold for them (outbox, channel state)."""
        return {self.conversation_id, f"hubspot:{self.conversation_id}"}

    def shown(self) -> str:
        """The contact with all but its last 3 characters hidden, for prompts (never for logs)."""
        tail = self.conversation_id[-3:]
        return f"{self.channel} customer …{tail}"

    def contact_hash(self, salt: bytes) -> str:
        """HMAC-SHA256 of the conversation id under `salt`: finds earlier erasures of this contact without naming it."""
        return hmac.new(salt, self.conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()


def subject_for(channel: str, contact: str) -> Subject:
    """The subject for `--channel CHANNEL --contact CONTACT`; PrivacyError for an unknown channel or a contact
    in the wrong format (a phone number that is not E.164, a chat id that is not digits)."""
    contact = (contact or "").strip()
    if channel not in CHANNELS:
        raise PrivacyError(f"unknown channel {channel!r}: use one of {', '.join(CHANNELS)}")
    if channel in ("sms", "whatsapp"):
        number = contact.removeprefix("whatsapp:") if channel == "whatsapp" else contact
        if not E164.fullmatch(number):
            raise PrivacyError(f"{channel}: the contact must be a phone number in E.164, like +447700900123")
        return Subject(channel, number if channel == "sms" else f"whatsapp:{number}")
    if channel == "telegram":
        if not TELEGRAM_CHAT.fullmatch(contact):
            raise PrivacyError("telegram: the contact must be the customer's chat id (digits), like 123456789")
        return Subject(channel, contact)
    session = contact.removeprefix(f"{channel}:")
    if not SESSION_ID.fullmatch(session):
        raise PrivacyError(f"{channel}: the contact must be the visitor's conversation id, like {channel}:3q2-7wAAAAB_aZcdefGhiA")
    return Subject(channel, f"{channel}:{session}")


def subject_of_conversation(conversation_id: str, channel: str | None = None) -> Subject:
    """The subject for `--conversation ID` (any id, also one the operator chose); the channel from the id's form
    unless given (a bare id is a REST conversation's)."""
    conversation_id = (conversation_id or "").strip()
    if not conversation_id or len(conversation_id) > MAX_CONVERSATION_ID or any(ch.isspace() for ch in conversation_id):
        raise PrivacyError("the conversation id must be 1-255 characters without spaces")
    if channel is not None and channel not in CHANNELS:
        raise PrivacyError(f"unknown channel {channel!r}: use one of {', '.join(CHANNELS)}")
    if channel is None:
        if conversation_id.startswith("whatsapp:"):
            channel = "whatsapp"
        elif E164.fullmatch(conversation_id):
            channel = "sms"
        elif TELEGRAM_CHAT.fullmatch(conversation_id):
            channel = "telegram"
        elif conversation_id.startswith("webchat:"):
            channel = "webchat"
        else:
            channel = "rest"
    return Subject(channel, conversation_id)
