"""A text as outbox payloads for a customer's channel: each vendor's shape lives in its module
(telegram_api.telegram_payloads, twilio_api.twilio_payloads); this picks by channel."""

from __future__ import annotations

from typing import Any

from bot.vendors.telegram_api import telegram_payloads
from bot.vendors.twilio_api import twilio_payloads

TWILIO_CHANNELS = ("sms", "whatsapp")


def text_payloads(channel: str, text: str, purpose: str | None = None,
                  fields: dict[str, Any] | None = None) -> list[dict[str, Any]] | None:
    """Outbox payloads for `text` in `channel`'s format; None for channels that poll instead (rest, webchat).
    `purpose` (agent_reply, handoff_update, survey, follow_up) and `fields` choose and fill WhatsApp's template
    outside its 24-hour window (bot/messaging/window.py)."""
    if channel == "telegram":
        return telegram_payloads(text)
    if channel in TWILIO_CHANNELS:
        return twilio_payloads(channel, text, purpose, fields)
    return None
