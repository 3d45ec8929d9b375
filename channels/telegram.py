"""Telegram connector: `POST /webhooks/telegram/webhook`, built on python-telegram-bot.

In order: verify (X-Telegram-Bot-Api-Secret-Token, content type, size), parse
(`Update.de_json`) into our `TelegramTurn`, write it to the persistent inbox
(a retry, update_id seen before, is dropped there), acknowledge with 200 at
once; the inbox worker runs the turn in the background (channels/background.py). Replies go to the persistent outbox and are sent by its worker
(bot/messaging/outbox.py) with retries, so a slow or failing Bot API never blocks the
webhook and never loses a reply. Start-up makes no network call.

Updates from the agents' group (TELEGRAM_AGENT_CHAT_ID) never reach Rasa: an
agent's reply to a handoff summary posted there is relayed to that customer.

Environment (read into Settings): TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, TELEGRAM_API_BASE
(optional, for tests), TELEGRAM_AGENT_CHAT_ID (optional), DATABASE_URL. The bot, inbox, outbox worker
and sender are the process's (bot/ops/rasa_process.py).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from dataclasses import asdict, dataclass
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Update

from bot.handoff import HandoffDesk
from bot.handoff import HandoffError
from bot.handoff import rasa_tracker_writer
from bot.messaging import InboxMessage
from bot.messaging import Outbox
from bot.ops import ChannelParts, RasaServices, rasa_services
from bot.responses import Responses
from bot.vendors import CALLBACK_DATA_LIMIT, telegram_payloads
from channels.background import Inbound, Stopwatch, TurnReplies, give_turn, masked_text, note_for_agent, webhook_blueprint

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_BODY_BYTES = 256 * 1024
CHOOSE_PREFIX = "/choose_entry"
# Message kinds a customer sends that carry no text we can read: they get channels.media_telegram.
MEDIA_KINDS = ("photo", "voice", "sticker", "document", "video", "audio", "animation", "video_note",
               "dice", "location", "contact", "venue", "poll")


def encode_callback(payload: str) -> str | None:
    """Button payload -> Telegram callback_data (at most 64 bytes), or None if it can't fit."""
    if payload.startswith(CHOOSE_PREFIX + "{"):
        try:
            payload = "e:" + json.loads(payload[len(CHOOSE_PREFIX):])["kb_entry"]
        except (ValueError, KeyError, TypeError):
            return None
    return payload if len(payload.encode()) <= CALLBACK_DATA_LIMIT else None


def decode_callback(data: str) -> str:
    if data.startswith("e:"):
        return f"{CHOOSE_PREFIX}{json.dumps({'kb_entry': data[2:]})}"
    return data


@dataclass(frozen=True)
class TelegramTurn:
    """What we take from an Update: who, what they said, and what to acknowledge."""

    update_id: int
    chat_id: int
    text: str | None  # None: nothing we can read (photo, voice, sticker, document ...)
    first_name: str | None
    callback_query_id: str | None = None
    reply_to_message_id: int | None = None  # the message this one answers (agents reply to a handoff post)
    masked: tuple[str, ...] = ()  # what was masked out of `text` ("card number", "password")

    def stored(self) -> dict[str, Any]:
        """The inbox payload: secrets masked before anything is written."""
        return dict(asdict(self), **(masked_text(self.text) if self.text is not None else {}))

    @classmethod
    def from_stored(cls, payload: dict[str, Any]) -> TelegramTurn:
        return cls(payload["update_id"], payload["chat_id"], payload.get("text"), payload.get("first_name"),
                   payload.get("callback_query_id"), payload.get("reply_to_message_id"),
                   masked=tuple(payload.get("masked") or ()))


def parse_update(data: Any, bot) -> TelegramTurn | None:
    """Our view of an Update; None for kinds we ignore (reactions, chat members, unknown kinds)."""
    update = Update.de_json(data, bot)
    if update is None:
        return None
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        return TelegramTurn(update.update_id, chat.id if chat else query.from_user.id, decode_callback(query.data or ""),
                            query.from_user.first_name, callback_query_id=query.id)
    message = update.message or update.edited_message
    if message is None or message.chat is None:
        return None
    if message.text is None and not any(getattr(message, kind, None) for kind in MEDIA_KINDS):
        return None  # service messages: pinned, members joining, ...
    name = message.from_user.first_name if message.from_user else None
    reply_to = message.reply_to_message.message_id if message.reply_to_message is not None else None
    return TelegramTurn(update.update_id, message.chat.id, message.text, name, reply_to_message_id=reply_to)


class TelegramOutput(OutputChannel):
    """Writes replies to the outbox (never calls Telegram itself); `wake` tells the outbox worker (from any thread)."""

    def __init__(self, box: Outbox, wake: Callable[[], None], conversation_id: str, turn: str | None = None) -> None:
        self.box = box
        self.wake = wake
        self.conversation_id = conversation_id
        self.replies = TurnReplies(turn)

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def _enqueue(self, recipient_id: str, payloads: list[dict[str, Any]], response: str | None = None) -> None:
        await asyncio.to_thread(self.box.enqueue, CHANNEL, recipient_id, self.conversation_id, payloads,
                                self.replies.next_key(response))
        self.wake()

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._enqueue(recipient_id, telegram_payloads(text), kwargs.get("utter_action"))

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        keyboard = []
        for button in buttons:
            data = encode_callback(button.get("payload", ""))
            if data is None:
                logger.warning("telegram: button %r has a payload too long for Telegram; left out", button.get("title"))
                continue
            keyboard.append({"title": button.get("title", ""), "callback_data": data})
        await self._enqueue(recipient_id, telegram_payloads(text, keyboard), kwargs.get("utter_action"))


class TelegramInput(InputChannel):
    """Telegram webhook input channel (named `telegram`)."""

    def __init__(self, parts: ChannelParts, bot: Any, secret: str, desk: HandoffDesk, responses: Responses,
                 agent_chat_id: int | None = None) -> None:
        self.secret = secret
        self.bot = bot  # python-telegram-bot's Bot: Update.de_json needs it
        self.responses = responses  # what the connector itself says: channels.media_telegram, channels.apology
        self.box = parts.outbox
        self.worker = parts.worker
        self.state = parts.state  # `opted_out`: the customer blocked the bot (Telegram answered 403)
        self.agent_chat_id = agent_chat_id  # TELEGRAM_AGENT_CHAT_ID: the agents' group, not a customer
        self.desk = desk
        self.inbound = Inbound(parts, self._run_turn, self._apologise)
        self.on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        return cls.from_services(rasa_services())

    @classmethod
    def from_services(cls, services: RasaServices) -> TelegramInput:
        """The connector on the process's Telegram parts and responses catalogue (ConfigError without
        TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET)."""
        parts = services.channel(CHANNEL)
        return cls(parts, services.telegram_bot, services.settings.telegram.webhook_secret, services.desk,
                   services.responses, services.settings.handoff.telegram_agent_chat_id)

    def _refuse(self, status: int, reason: str) -> HTTPResponse:
        logger.info("telegram webhook refused (%s): %s", status, reason)
        return response.json({"ok": False, "error": reason}, status=status)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        self.on_new_message = on_new_message
        hook = webhook_blueprint(self, self._refuse)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            watch = Stopwatch()
            given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                return self._refuse(403, "missing or wrong X-Telegram-Bot-Api-Secret-Token")
            if not (request.headers.get("content-type") or "").startswith("application/json"):
                return self._refuse(415, "Content-Type must be application/json")
            watch.lap("verify")
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return self._refuse(413, f"body is larger than {MAX_BODY_BYTES} bytes")
            try:
                data = json.loads(body.decode("utf-8"))
                if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                    raise ValueError("not an Update")
            except (UnicodeDecodeError, ValueError) as error:
                return self._refuse(400, f"body is not a Telegram Update ({type(error).__name__})")
            try:
                turn = parse_update(data, self.bot)
            except (ValueError, TypeError, KeyError, AttributeError) as error:
                # Signed by Telegram, but python-telegram-bot cannot read it (a newer or unusual shape).
                # Telegram retries anything but 2xx, so acknowledge it rather than loop on it.
                logger.warning("telegram update %s acknowledged but not handled: python-telegram-bot could not "
                               "parse it (%s)", data["update_id"], type(error).__name__)
                return response.json({"ok": True, "ignored": "unparseable"})
            if turn is None:
                return response.json({"ok": True, "ignored": True})
            watch.lap("parse")
            new = await self.inbound.accept(str(turn.update_id), str(turn.chat_id), turn.stored())
            watch.lap("store")
            return response.json({"ok": True} if new else {"ok": True, "duplicate": True}, headers=watch.header())

        return hook

    async def _from_agents(self, turn: TelegramTurn, agent: Any) -> None:
        """A message in the agents' group: a reply to a handoff post goes to that customer (`/resolve` or
        `/release` as the reply closes it); the rest is the agents' own chat."""
        if turn.reply_to_message_id is None or not turn.text:
            return
        handoff_id = await asyncio.to_thread(self.desk.handoff_for_group_post, turn.chat_id, turn.reply_to_message_id)
        if handoff_id is None:
            return
        group = TelegramOutput(self.box, self.inbound.wake_outbox, conversation_id=str(turn.chat_id))
        self.desk.tracker = rasa_tracker_writer(agent)
        command = turn.text.strip().split("@")[0].lower()
        try:
            if command == "/resolve":
                await self.desk.resolve(handoff_id)
            elif command == "/release":
                await self.desk.release(handoff_id)
            else:
                await self.desk.reply(handoff_id, turn.text, agent=turn.first_name or "Agent")
        except HandoffError as error:
            await group.send_text_message(str(turn.chat_id), f"Not sent to the customer: {error}.")

    async def _run_turn(self, message: InboxMessage) -> None:
        """The inbox worker's turn for one accepted update (raises to have it retried)."""
        turn = TelegramTurn.from_stored(message.payload)
        if self.agent_chat_id is not None and turn.chat_id == self.agent_chat_id:
            return await self._from_agents(turn, self.inbound.agent)
        sender_id = str(turn.chat_id)
        output = TelegramOutput(self.box, self.inbound.wake_outbox, conversation_id=sender_id,
                                turn=TurnReplies.turn_of(message))
        if await asyncio.to_thread(self.state.get, sender_id, "opted_out"):  # they blocked the bot, and now write again
            await asyncio.to_thread(self.state.put, sender_id, "opted_out", None)
        if turn.callback_query_id:  # once: a turn run again finds it stored (TurnReplies)
            await output._enqueue(sender_id, [{"method": "answerCallbackQuery", "callback_query_id": turn.callback_query_id}])
        if turn.text is None:
            await note_for_agent(self.desk, sender_id, "[sent a photo, voice note, sticker or file, which can't be shown here]")
            await output.send_text_message(sender_id, self.responses.say("channels.media_telegram", seed=sender_id))
            return
        self.inbound.check_ready()
        metadata = {"name": turn.first_name} if turn.first_name else {}
        assert self.on_new_message is not None, "blueprint() was not called"
        await give_turn(self.desk, self.on_new_message, turn.text, turn.masked, output, sender_id, CHANNEL, metadata,
                        message_id=f"telegram-{turn.update_id}", agent=self.inbound.agent, received_at=message.received_at,
                        resumed=message.resumed)

    async def _apologise(self, message: InboxMessage) -> None:
        """The turn failed for good (logged by the inbox): tell the customer."""
        output = TelegramOutput(self.box, self.inbound.wake_outbox, conversation_id=message.sender)
        await output.send_text_message(message.sender, self.responses.say("channels.apology", seed=message.sender))
