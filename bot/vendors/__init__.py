"""The vendors' APIs, one module each, and the only place (with channels/) that imports their SDKs:
Twilio (twilio_api), Telegram (telegram_api), HubSpot (hubspot_api). Their errors are translated here, and
each vendor's message shape is made here (text_payloads picks by channel).
"""

from __future__ import annotations

from bot import surface

# public name -> the module that defines it (imported on first use, so importing the room stays cheap)
_EXPORTS = {
    "CALLBACK_DATA_LIMIT": "bot.vendors.telegram_api",
    "ConflictError": "bot.vendors.hubspot_api",
    "HubSpotClient": "bot.vendors.hubspot_api",
    "NOTE_TO_CONTACT": "bot.vendors.hubspot_api",
    "NotFoundError": "bot.vendors.hubspot_api",
    "OptOutAware": "bot.vendors.twilio_api",
    "TICKET_TO_CONTACT": "bot.vendors.hubspot_api",
    "TWILIO_BODY_LIMIT": "bot.vendors.twilio_api",
    "TelegramSender": "bot.vendors.telegram_api",
    "TwilioSender": "bot.vendors.twilio_api",
    "association": "bot.vendors.hubspot_api",
    "make_bot": "bot.vendors.telegram_api",
    "register_webhook": "bot.vendors.telegram_api",
    "segments": "bot.vendors.twilio_api",
    "signature_is_valid": "bot.vendors.twilio_api",
    "split_text": "bot.vendors.text",
    "telegram_payloads": "bot.vendors.telegram_api",
    "text_payloads": "bot.vendors.payloads",
    "twilio_payloads": "bot.vendors.twilio_api",
}
# public modules: none
_MODULES = ()

__all__, __getattr__ = surface(__name__, _EXPORTS, _MODULES)
