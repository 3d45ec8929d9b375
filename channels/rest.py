"""The REST channel: `POST /webhooks/rest/webhook`, with strict input checks.

Body: `{"sender": str, "message": str, "metadata": {...}?}`; the reply is the
JSON list of bot messages. `GET /webhooks/rest/messages?sender=&since=` returns
what an agent sent the customer meanwhile (the web chat page polls it). `metadata.name` is the customer's first name and
`metadata.channel` (rest, webchat, telegram, sms, whatsapp) the channel whose
customer this plays: the turn's input channel, so testers can check e.g. the
SMS wording over REST. Bad input gets a 4xx with a one-line reason and
never reaches the assistant; a failure inside the assistant gets a 503 with
a reason instead of Rasa's silent empty list. Message text is never logged.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.background import hand_to_assistant, handoff_desk

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 4096
MAX_SENDER_CHARS = 128
PLAYABLE_CHANNELS = ("rest", "webchat", "telegram", "sms", "whatsapp")


class BadRequest(ValueError):
    """The request cannot be accepted; `status` is the HTTP status to answer."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class RestMessage:
    sender: str
    text: str
    metadata: dict[str, Any]
    channel: str = "rest"


def parse_body(body: bytes) -> RestMessage:
    """Parse and check a REST webhook body; raise BadRequest with the reason."""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"body is larger than {MAX_BODY_BYTES} bytes", status=413)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("body must be a JSON object with 'sender' and 'message'")
    sender, text, metadata = data.get("sender"), data.get("message"), data.get("metadata")
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest("'sender' must be a non-empty string")
    if len(sender) > MAX_SENDER_CHARS:
        raise BadRequest(f"'sender' is longer than {MAX_SENDER_CHARS} characters")
    if not isinstance(text, str):
        raise BadRequest("'message' must be a string")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(f"'message' is longer than {MAX_MESSAGE_CHARS} characters", status=413)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object")
    channel = metadata.get("channel", "rest")
    if channel not in PLAYABLE_CHANNELS:
        raise BadRequest(f"'metadata.channel' must be one of {', '.join(PLAYABLE_CHANNELS)}")
    if not isinstance(metadata.get("name", ""), str):
        raise BadRequest("'metadata.name' must be a string")
    return RestMessage(sender=sender.strip(), text=text, metadata=metadata, channel=channel)


class WholeMessageCollector(CollectingOutputChannel):
    """Collects replies without Rasa's default split of text at blank lines:
    one answer stays one message, as the customer's channel will show it."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))


def _error(reason: str, status: int) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


class RestInput(InputChannel):
    """REST input channel named `rest`, replacing Rasa's lenient one."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                message = parse_body(request.body or b"")
            except BadRequest as error:
                logger.info("rest webhook refused (%s): %s", error.status, error)
                return _error(str(error), error.status)
            collector = WholeMessageCollector()
            try:
                await hand_to_assistant(on_new_message, message.text, collector, message.sender, message.channel,
                                        message.metadata, agent=request.app.ctx.agent)
            except Exception as error:  # the assistant failed: say so, never a silent []
                logger.exception("rest webhook: handling the message for %s failed", message.sender)
                return _error(f"the assistant could not handle this message ({type(error).__name__}); try again", 503)
            return response.json(collector.messages)

        @hook.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            """What a person (or a Frontdesk notice) sent this customer outside a turn, after message `since`.
            Without `since`: no messages, only `last` to start polling from."""
            sender = (request.args.get("sender") or "").strip()
            if not sender or len(sender) > MAX_SENDER_CHARS:
                return _error("'sender' is required (the conversation's sender id)", 400)
            since = request.args.get("since")
            store = handoff_desk().store
            if since is None:
                return response.json({"messages": [], "last": await asyncio.to_thread(store.last_message_id)})
            if not since.isdigit():
                return _error("'since' must be a message number (the 'last' of the previous answer)", 400)
            found = await asyncio.to_thread(store.messages_for_customer, sender, int(since))
            last = found[-1].id if found else int(since)
            return response.json({"messages": [{"id": m.id, "text": m.text, "agent": m.agent, "author": m.author}
                                               for m in found], "last": last})

        @hook.route("/webhook", methods=["GET", "PUT", "DELETE", "PATCH"])
        async def wrong_method(request: Request) -> HTTPResponse:
            return _error("use POST with a JSON body", 405)

        return hook
