"""Sending SMS and WhatsApp messages through Twilio's REST API, asynchronously.

`TwilioSender` is the outbox's sender for the `sms` and `whatsapp` channels:
`messages.create_async` on twilio's aiohttp client (never the blocking one).
Errors: 429 and 5xx, timeouts and connection errors -> retry; WhatsApp's
window and template errors (63016 ...) -> WindowClosedError (held, not
retried); other 4xx -> permanent. A payload with `content_sid` is sent as that
template with `ContentVariables` (JSON) and no Body. `segments()` counts SMS
segments the way carriers bill them.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from bot.vendors.text import split_text

TWILIO_BODY_LIMIT = 1600  # characters per message, Twilio's limit
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")  # count as two septets
# Twilio's errors for a WhatsApp message it will not deliver now: outside the 24-hour window (63016), and a
# template that does not exist, is not approved or whose variables do not fit (63027, 63028, 63030, 21656)
WINDOW_ERRORS = {63016: "twilio_63016", 63027: "twilio_63027", 63028: "twilio_63028", 63030: "twilio_63030",
                 21656: "twilio_21656"}


def segments(text: str) -> tuple[str, int]:
    """('GSM-7' or 'UCS-2', number of SMS segments) for `text`."""
    if all(c in GSM7 or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        return "GSM-7", 1 if units <= 160 else -(-units // 153)
    units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)  # UTF-16 code units
    return "UCS-2", 1 if units <= 70 else -(-units // 67)


def twilio_payloads(channel: str, text: str, purpose: str | None = None,
                    fields: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Outbox payloads for `text` on `channel` (sms or whatsapp), split within Twilio's 1,600 characters; SMS
    parts carry their encoding and billed segment count (GSM-7: 160/153 per segment, UCS-2: 70/67). WhatsApp
    parts carry their `purpose` and the `fields` its template is filled from outside the window."""
    payloads = []
    for part in split_text(text, TWILIO_BODY_LIMIT):
        payload: dict[str, Any] = {"text": part}
        if channel == "sms":
            payload["encoding"], payload["segments"] = segments(part)
        if channel == "whatsapp" and purpose:
            payload["purpose"] = purpose
            if fields:
                payload["fields"] = dict(fields)
        payloads.append(payload)
    return payloads


class FormFields(dict):
    """Form fields as {name: [values]}, with the `getlist` twilio's validator uses for repeated names."""

    def getlist(self, name: str) -> list[str]:
        return list(self[name])


def signature_is_valid(auth_token: str, url: str, params: dict[str, list[str]] | str, signature: str) -> bool:
    """Twilio's X-Twilio-Signature check: HMAC-SHA1 over the URL and the sorted form fields
    (`params` as {name: [values]}), or over the URL with bodySHA256 for a JSON body (`params` as the body)."""
    if not signature:
        return False
    if isinstance(params, dict):
        params = FormFields({k: v if isinstance(v, list) else [v] for k, v in params.items()})
    return RequestValidator(auth_token).validate(url, params, signature)


def make_client(account_sid: str, auth_token: str, api_base: str | None = None) -> Client:
    """A Twilio client on the async HTTP client; `api_base` (TWILIO_API_BASE) points it elsewhere."""
    client = Client(account_sid, auth_token, http_client=AsyncTwilioHttpClient(timeout=10))
    if api_base:
        client.api.base_url = api_base.rstrip("/")
    return client


class OptOutAware:
    """Wraps a sender: messages to a customer who opted out (`opted_out` in the channel's state: STOP on SMS or
    WhatsApp, a Telegram chat that blocked the bot) are not sent (marked failed, not retried), and a
    RecipientBlockedError from the sender records the opt-out."""

    def __init__(self, sender: Any, state: Any) -> None:
        self.sender = sender
        self.state = state

    async def send(self, recipient: str, payload: dict[str, Any]) -> str | None:
        from bot.messaging import PermanentSendError, RecipientBlockedError

        if await asyncio.to_thread(self.state.get, recipient, "opted_out"):
            raise PermanentSendError("the customer opted out (STOP, or blocked the bot)")
        try:
            return await self.sender.send(recipient, payload)
        except RecipientBlockedError:
            await asyncio.to_thread(self.state.put, recipient, "opted_out", True)
            raise


class TwilioSender:
    """Outbox sender for one Twilio number (`whatsapp:+1…` for WhatsApp).

    The client is made on the first send: twilio's aiohttp client needs the
    running event loop.
    """

    def __init__(self, account_sid: str, auth_token: str, from_number: str,
                 api_base: str | None = None, status_callback: str | None = None) -> None:
        self._credentials = (account_sid, auth_token, api_base)
        self._client: Client | None = None
        self.from_number = from_number
        self.status_callback = status_callback

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = make_client(*self._credentials)
        return self._client

    async def send(self, recipient: str, payload: dict[str, Any]) -> str | None:
        from bot.messaging import PermanentSendError, RetryableSendError, WindowClosedError

        extra = {"status_callback": self.status_callback} if self.status_callback else {}
        if payload.get("content_sid"):
            extra |= {"content_sid": payload["content_sid"],
                      "content_variables": json.dumps(payload.get("content_variables") or {}, ensure_ascii=False)}
        else:
            extra["body"] = payload["text"]
        try:
            message = await self.client.messages.create_async(to=recipient, from_=self.from_number, **extra)
            return message.sid
        except TwilioRestException as error:
            if error.status == 429 or error.status >= 500:
                raise RetryableSendError(f"Twilio answered {error.status}: {error.msg}") from None
            if error.code in WINDOW_ERRORS:
                raise WindowClosedError(WINDOW_ERRORS[error.code], f"Twilio refused it ({error.code}): {error.msg}") from None
            raise PermanentSendError(f"Twilio refused the message ({error.status} {error.code}): {error.msg}") from None
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise RetryableSendError(f"cannot reach Twilio: {type(error).__name__}") from None
