"""Twilio connectors: SMS at `/webhooks/sms/webhook`, WhatsApp at `/webhooks/whatsapp/webhook`.

In order: verify X-Twilio-Signature over PUBLIC_BASE_URL + path (403 if
missing or wrong, nothing reaches the assistant), parse the form into our
`TwilioTurn`, record status callbacks, write the message to the persistent
inbox (a retry, MessageSid seen before, is dropped there) and answer empty
TwiML at once; the inbox worker runs the turn in the background
(channels/background.py). Replies go to the persistent outbox; its worker
sends them with `messages.create_async` and retries (bot/vendors/twilio_api.py).
The inbox, outbox worker, sender and state are the process's (bot/ops/rasa_process.py).

Buttons become numbered options ("1. Cancel your membership"); a reply of
"1" or the option's words maps back to the button's payload (the options are
stored in the database, not in memory). SMS keywords: STOP/UNSUBSCRIBE end
all messages to that number until START (on WhatsApp too); HELP gets the team's contact details (SMS).
What the connector itself says is the catalogue's `channels.*` and `sms.*`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.config import TwilioSettings
from bot.handoff import HandoffDesk
from bot.messaging import InboxMessage, WhatsAppWindow
from bot.dialogue import chosen_payload, option_lines
from bot.ops import ChannelParts, RasaServices, rasa_services
from bot.responses import Responses, Voice
from bot.vendors import signature_is_valid, twilio_payloads
from channels.background import Inbound, Stopwatch, TurnReplies, give_turn, masked_text, note_for_agent, webhook_blueprint

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
STOP_WORDS = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
WHATSAPP_STOP_WORDS = {"stop", "stopall", "unsubscribe"}
START_WORDS = {"start", "unstop", "yes"}
HELP_WORDS = {"help", "info"}
DELIVERY_STATUSES = {"queued", "sending", "sent", "delivered", "undelivered", "failed", "read"}


@dataclass(frozen=True)
class TwilioTurn:
    message_sid: str
    sender: str  # "+316…" or "whatsapp:+316…"
    text: str
    profile_name: str | None
    media: tuple[dict[str, str], ...]  # [{"url", "content_type"}] and/or a location
    status: str | None = None  # set on status callbacks
    masked: tuple[str, ...] = ()  # what was masked out of `text` ("card number", "password")

    def stored(self) -> dict[str, Any]:
        """The inbox payload: secrets masked before anything is written."""
        return dict(asdict(self), media=list(self.media), **masked_text(self.text))

    @classmethod
    def from_stored(cls, payload: dict[str, Any]) -> TwilioTurn:
        return cls(payload["message_sid"], payload["sender"], payload["text"], payload.get("profile_name"),
                   tuple(payload.get("media") or ()), masked=tuple(payload.get("masked") or ()))


def parse_form(body: bytes) -> dict[str, list[str]]:
    """Parse an x-www-form-urlencoded body; ValueError with the reason if it is not one."""
    if len(body) > MAX_BODY_BYTES:
        raise OverflowError(f"body is larger than {MAX_BODY_BYTES} bytes")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("body is not UTF-8") from None
    return parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))


def to_turn(fields: dict[str, list[str]]) -> TwilioTurn:
    """Our view of a Twilio webhook; ValueError when required fields are missing."""
    one = {k: v[0] for k, v in fields.items()}
    sid = one.get("MessageSid") or one.get("SmsSid") or ""
    if not sid:
        raise ValueError("MessageSid is missing")
    status = one.get("MessageStatus")
    if status and status.lower() in DELIVERY_STATUSES and "Body" not in one:
        return TwilioTurn(sid, one.get("To", ""), "", None, (), status=status.lower())
    sender = one.get("From", "")
    if not sender:
        raise ValueError("From is missing")
    try:
        count = int(one.get("NumMedia") or 0)
    except ValueError:
        raise ValueError("NumMedia is not a number") from None
    media = [{"url": one.get(f"MediaUrl{i}", ""), "content_type": one.get(f"MediaContentType{i}", "")} for i in range(min(count, 10))]
    if one.get("Latitude") and one.get("Longitude"):
        media.append({"location": f"{one['Latitude']},{one['Longitude']}", "address": one.get("Address", "")})
    name = (one.get("ProfileName") or "").strip() or None
    return TwilioTurn(sid, sender, one.get("Body", ""), name, tuple(media))


def numbered(text: str, buttons: list[dict[str, Any]], prompt: str) -> str:
    """The text, the buttons as numbered options (a number scale as it is), and `prompt` (channels.choose_a_number)."""
    options = "\n".join(option_lines(buttons))
    return f"{text}\n\n{options}\n{prompt}"


class TwilioOutput(OutputChannel):
    """Writes replies to the outbox as Twilio message bodies (bot/vendors shapes them)."""

    def __init__(self, connector: TwilioInput, conversation_id: str, turn: str | None = None) -> None:
        self.connector = connector
        self.conversation_id = conversation_id
        self.replies = TurnReplies(turn)

    @classmethod
    def name(cls) -> str:
        return "twilio"

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.connector.enqueue(recipient_id, self.conversation_id, text,
                                     self.replies.next_key(kwargs.get("utter_action")))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        options = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons]
        await asyncio.to_thread(self.connector.state.put, recipient_id, "options", options)
        prompt = self.connector.voice(recipient_id).say("channels.choose_a_number")
        await self.connector.enqueue(recipient_id, self.conversation_id, numbered(text, buttons, prompt),
                                     self.replies.next_key(kwargs.get("utter_action")))


class TwilioInput(InputChannel):
    """Shared by SmsInput and WhatsAppInput: one Twilio number, one webhook path."""

    channel = ""

    def __init__(self, parts: ChannelParts, twilio: TwilioSettings, desk: HandoffDesk, responses: Responses,
                 window: WhatsAppWindow | None = None) -> None:
        self.auth_token = twilio.auth_token
        self.public_url = twilio.webhook_url(self.channel)
        self.box = parts.outbox
        self.state = parts.state
        self.worker = parts.worker
        self.inbound = Inbound(parts, self._run_turn, self._apologise)
        self.desk = desk
        self.window = window  # WhatsApp's 24-hour window (None on SMS)
        self.responses = responses  # what the connector itself says: channels.*, sms.*
        self.on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None

    @classmethod
    def name(cls) -> str:
        return cls.channel

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioInput:
        return cls.from_services(rasa_services())

    @classmethod
    def from_services(cls, services: RasaServices) -> TwilioInput:
        """The connector on the process's parts for this channel (ConfigError naming the variables it lacks)."""
        parts = services.channel(cls.channel)
        window = services.whatsapp_window if cls.channel == "whatsapp" else None
        return cls(parts, services.settings.twilio, services.desk, services.responses, window)

    def voice(self, conversation_id: str) -> Voice:
        """The responses catalogue on this channel (the `sms` variants on SMS), variants picked by conversation."""
        return self.responses.voice(self.channel, conversation_id)

    async def enqueue(self, recipient: str, conversation_id: str, text: str, turn_key: str | None = None) -> None:
        """Store a reply in the outbox as Twilio message bodies (bot.vendors.twilio_payloads: split within
        Twilio's 1,600 characters; SMS parts carry their encoding and billed segment count); `turn_key`: see
        `TurnReplies`."""
        payloads = twilio_payloads(self.channel, text)
        await asyncio.to_thread(self.box.enqueue, self.channel, recipient, conversation_id, payloads, turn_key)
        self.inbound.wake_outbox()

    def _refuse(self, status: int, reason: str) -> HTTPResponse:
        logger.info("%s webhook refused (%s): %s", self.channel, status, reason)
        return response.text(reason + "\n", status=status)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self.on_new_message = on_new_message
        hook = webhook_blueprint(self, self._refuse)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            watch = Stopwatch()
            if not (request.headers.get("content-type") or "").startswith("application/x-www-form-urlencoded"):
                return self._refuse(415, "Content-Type must be application/x-www-form-urlencoded")
            try:
                fields = parse_form(request.body or b"")
            except OverflowError as error:
                return self._refuse(413, str(error))
            except ValueError as error:
                return self._refuse(400, f"body is not a form ({error})")
            watch.lap("parse")
            url = self.public_url + (f"?{request.query_string}" if request.query_string else "")
            if not signature_is_valid(self.auth_token, url, fields, request.headers.get("X-Twilio-Signature", "")):
                return self._refuse(403, "missing or wrong X-Twilio-Signature")
            watch.lap("verify")
            try:
                turn = to_turn(fields)
            except ValueError as error:
                return self._refuse(400, str(error))
            if turn.status is not None:
                await asyncio.to_thread(self.box.record_status, turn.message_sid, turn.status)
                return response.text(EMPTY_TWIML, content_type="text/xml")
            await self.inbound.accept(turn.message_sid, turn.sender, turn.stored())  # False: a retry, already accepted
            watch.lap("store")
            return response.text(EMPTY_TWIML, content_type="text/xml", headers=watch.header())

        return hook

    async def _keyword(self, turn: TwilioTurn) -> bool:
        """Handle STOP/START/HELP; True when the message was one of them. On WhatsApp only STOP/UNSUBSCRIBE
        and START (a WhatsApp "cancel" or "help" is a question for the assistant)."""
        word = turn.text.strip().lower()
        if word in (STOP_WORDS if self.channel == "sms" else WHATSAPP_STOP_WORDS):
            await asyncio.to_thread(self.state.put, turn.sender, "opted_out", True)
            return True  # Twilio confirms the opt-out to the customer itself
        if word in START_WORDS and await asyncio.to_thread(self.state.get, turn.sender, "opted_out"):
            await asyncio.to_thread(self.state.put, turn.sender, "opted_out", None)
            await self.enqueue(turn.sender, turn.sender, self.voice(turn.sender).say("sms.subscribed_again"))
            return True
        if word in HELP_WORDS and self.channel == "sms":  # on WhatsApp "help" is a question for the assistant
            await self.enqueue(turn.sender, turn.sender, self.voice(turn.sender).say("sms.help"))
            return True
        return False

    async def _run_turn(self, message: InboxMessage) -> None:
        """The inbox worker's turn for one accepted message (raises to have it retried)."""
        turn = TwilioTurn.from_stored(message.payload)
        sender_id = turn.sender
        output = TwilioOutput(self, conversation_id=sender_id, turn=TurnReplies.turn_of(message))
        if await self._keyword(turn):  # STOP/START on SMS and WhatsApp, HELP on SMS
            return
        if await asyncio.to_thread(self.state.get, sender_id, "opted_out"):
            return
        if self.window is not None:  # WhatsApp's window is open again: what it held goes out now, before the reply
            released, cancelled = await asyncio.to_thread(self.window.customer_wrote, sender_id, message.received_at)
            if released or cancelled:
                logger.info("whatsapp: %s held message(s) released, %s cancelled", released, cancelled)
                self.inbound.wake_outbox()
        if turn.media and not turn.text.strip():
            await asyncio.to_thread(self.state.append, sender_id, "media", list(turn.media))
            described = ", ".join(m.get("content_type") or m.get("location") or "media" for m in turn.media)
            await note_for_agent(self.desk, sender_id, f"[sent {described}; kept with the conversation's media]")
            await output.send_text_message(sender_id, self.voice(sender_id).say("channels.media_twilio"))
            return
        self.inbound.check_ready()
        text = turn.text
        options = await asyncio.to_thread(self.state.get, sender_id, "options")
        if options:
            text = chosen_payload(text, options) or text
            await asyncio.to_thread(self.state.put, sender_id, "options", None)
        metadata = {"name": turn.profile_name} if turn.profile_name else {}
        if turn.media:
            metadata["media"] = list(turn.media)
        assert self.on_new_message is not None, "blueprint() was not called"
        await give_turn(self.desk, self.on_new_message, text, turn.masked, output, sender_id, self.channel, metadata,
                        message_id=turn.message_sid, agent=self.inbound.agent, received_at=message.received_at,
                        resumed=message.resumed)

    async def _apologise(self, message: InboxMessage) -> None:
        """The turn failed for good (logged by the inbox): tell the customer."""
        await self.enqueue(message.sender, message.sender, self.voice(message.sender).say("channels.apology"))


class SmsInput(TwilioInput):
    channel = "sms"


class WhatsAppInput(TwilioInput):
    channel = "whatsapp"
