"""The REST channel: sessions, messages, agent replies and history, with strict input checks.

- `POST /webhooks/rest/session` (optional body `{"channel": "rest" | "webchat"}`):
  201 `{"conversation_id", "session", "header"}`, a new visitor conversation
  (bot/messaging/sessions.py). Needs no credential and writes nothing.
- `POST /webhooks/rest/webhook` `{"message": str, "sender": str?, "metadata": {...}?}`:
  the JSON list of the assistant's replies. `metadata.name` is the customer's
  first name. With a session (`X-Frontdesk-Session`) the conversation is the
  session's and `sender` may be left out. `metadata.channel` (telegram, sms,
  whatsapp) plays that channel's customer, so testers can check e.g. the SMS
  wording over REST; that, and a `sender` without a session, need
  `Authorization: Bearer <RASA_API_TOKEN>` (channels/rest_auth.py).
- `GET /webhooks/rest/messages?since=`: what an agent (or a Frontdesk notice)
  sent the conversation outside a turn, after message `since` (the web chat
  page polls it), with the buttons a notice offers.
- `GET /webhooks/rest/history`: the conversation's messages as text, for a
  page that reloads, with the buttons of a question not answered yet.

The assistant's messages (replies, notices, history) also carry `html`: their
markdown as a safe HTML fragment (bot/messaging/markup.py) for pages to show;
customers' and agents' text never has one.

Every request but the first needs a credential: 401 without one, 403 with a
wrong one or one that does not allow the request; nothing is written or read
then. Bad input gets a 4xx with a one-line reason and never reaches the
assistant; a failure inside the assistant gets a 503 with a reason instead of
Rasa's silent empty list. Message text is never logged.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.dialogue import transcript
from bot.handoff import HandoffDesk
from bot.messaging import HEADER, SESSION_CHANNELS, SessionSigner, message_html
from bot.ops import RasaServices, rasa_services
from channels.background import hand_to_assistant
from channels.rest_auth import Caller, Refused, RestGate

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
MAX_MESSAGE_CHARS = 4096
MAX_SENDER_CHARS = 128
PLAYABLE_CHANNELS = ("rest", "webchat", "telegram", "sms", "whatsapp")
VISITOR_METADATA = ("name",)  # what a visitor's metadata may pass to the assistant; the operator's passes whole


class BadRequest(Refused):
    """The input cannot be accepted; `status` is the HTTP status to answer (400 unless said)."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason, status)


@dataclass(frozen=True)
class RestMessage:
    sender: str | None  # None: the session's conversation
    text: str
    metadata: dict[str, Any]
    channel: str | None = None  # None: the session's channel, else rest


def _json_object(body: bytes, what: str) -> dict[str, Any]:
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"body is larger than {MAX_BODY_BYTES} bytes", status=413)
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadRequest("body is not valid UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(f"body must be a JSON object with {what}")
    return data


def _sender(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("'sender' must be a non-empty string (or left out with a session)")
    if len(value) > MAX_SENDER_CHARS:
        raise BadRequest(f"'sender' is longer than {MAX_SENDER_CHARS} characters")
    return value.strip()


def parse_body(body: bytes) -> RestMessage:
    """Parse and check a REST webhook body; raise BadRequest with the reason."""
    data = _json_object(body, "'message'")
    sender, text, metadata = _sender(data.get("sender")), data.get("message"), data.get("metadata")
    if not isinstance(text, str):
        raise BadRequest("'message' must be a string")
    if len(text) > MAX_MESSAGE_CHARS:
        raise BadRequest(f"'message' is longer than {MAX_MESSAGE_CHARS} characters", status=413)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise BadRequest("'metadata' must be a JSON object")
    channel = metadata.get("channel")
    if channel is not None and channel not in PLAYABLE_CHANNELS:
        raise BadRequest(f"'metadata.channel' must be one of {', '.join(PLAYABLE_CHANNELS)}")
    if not isinstance(metadata.get("name", ""), str):
        raise BadRequest("'metadata.name' must be a string")
    return RestMessage(sender=sender, text=text, metadata=metadata, channel=channel)


def parse_session_body(body: bytes) -> str:
    """The channel a new session is for (rest when the body is empty); BadRequest otherwise."""
    if not body.strip():
        return "rest"
    channel = _json_object(body, "'channel'").get("channel", "rest")
    if channel not in SESSION_CHANNELS:
        raise BadRequest(f"'channel' must be one of {', '.join(SESSION_CHANNELS)}")
    return channel


def parse_since(value: str | None) -> int | None:
    """The `since` query value: None when absent; BadRequest unless a message number."""
    if value is None:
        return None
    if not value.isdigit():
        raise BadRequest("'since' must be a message number (the 'last' of the previous answer)")
    return int(value)


class WholeMessageCollector(CollectingOutputChannel):
    """Collects replies without Rasa's default split of text at blank lines:
    one answer stays one message, as the customer's channel will show it."""

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._persist_message(self._message(recipient_id, text=text.strip()))


def _error(reason: str, status: int) -> HTTPResponse:
    return response.json({"error": reason}, status=status)


def _refuse(route: str, error: Refused) -> HTTPResponse:
    logger.info("rest %s refused (%s): %s", route, error.status, error)
    return _error(str(error), error.status)


def with_html(message: dict[str, Any]) -> dict[str, Any]:
    """An assistant's or a notice's message with `html` (its markdown, made safe); others unchanged."""
    text = message.get("text")
    if not isinstance(text, str) or message.get("author", "assistant") not in ("assistant", "system"):
        return message
    return message | {"html": message_html(text)}


async def _tracker_events(agent: Any, conversation_id: str) -> list[dict[str, Any]]:
    """Every event of the conversation (all sessions), as Rasa's JSON dicts; [] for an unknown one."""
    store = agent.tracker_store
    tracker = await store.retrieve_full_tracker(conversation_id)
    return [] if tracker is None else [event.as_dict() for event in tracker.events]


class RestInput(InputChannel):
    """REST input channel named `rest`, replacing Rasa's lenient one."""

    def __init__(self, gate: RestGate, desk: HandoffDesk) -> None:
        self.gate = gate
        self.desk = desk

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> RestInput:
        return cls.from_services(rasa_services())

    @classmethod
    def from_services(cls, services: RasaServices) -> RestInput:
        """Checks sessions with the process's session key and operators with RASA_API_TOKEN (off when it was
        generated for this run: a token nobody knows)."""
        token = services.settings.operator_token
        if not token:
            logger.warning("rest: RASA_API_TOKEN is not set, so no request can play another channel or pick a sender")
        return cls(RestGate(SessionSigner(services.session_key), token), services.desk)

    def _caller(self, request: Request) -> Caller | None:
        return self.gate.caller(request.headers.get(HEADER), request.headers.get("Authorization"))

    def _reader(self, request: Request) -> str:
        """The conversation a poll or history request may read (Refused/BadRequest otherwise)."""
        return self.gate.for_reading(self._caller(request), _sender(request.args.get("sender")))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/session", methods=["POST"])
        async def new_session(request: Request) -> HTTPResponse:
            """201 with a new conversation id and its credential; 400/413 for a bad body. Stores nothing."""
            try:
                session = self.gate.signer.issue(parse_session_body(request.body or b""))
            except Refused as error:
                return _refuse("session", error)
            return response.json({"conversation_id": session.conversation_id, "session": session.credential,
                                  "header": HEADER}, status=201)

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            """200 with the replies; 4xx (nothing written) for bad input or credentials; 503 if the assistant failed."""
            received_at = time.time()
            try:
                message = parse_body(request.body or b"")
                caller = self._caller(request)
                sender, channel = self.gate.for_message(caller, message.sender, message.channel)
            except Refused as error:
                return _refuse("webhook", error)
            metadata = message.metadata if caller is not None and caller.operator else {
                key: message.metadata[key] for key in VISITOR_METADATA if key in message.metadata}
            collector = WholeMessageCollector()
            try:
                await hand_to_assistant(self.desk, on_new_message, message.text, collector, sender, channel, metadata,
                                        agent=request.app.ctx.agent, received_at=received_at)
            except Exception as error:  # the assistant failed: say so, never a silent []
                logger.exception("rest webhook: handling the message for %s failed", sender)
                return _error(f"the assistant could not handle this message ({type(error).__name__}); try again", 503)
            return response.json([with_html(m) for m in collector.messages])

        @hook.route("/messages", methods=["GET"])
        async def messages(request: Request) -> HTTPResponse:
            """What a person (or a Frontdesk notice) sent this conversation outside a turn, after message `since`.
            Without `since`: no messages, only `last` to start polling from. 4xx for bad credentials or query."""
            try:
                sender = self._reader(request)
                since = parse_since(request.args.get("since"))
            except Refused as error:
                return _refuse("messages", error)
            store = self.desk.store
            if since is None:
                return response.json({"messages": [], "last": await asyncio.to_thread(store.last_message_id)})
            found = await asyncio.to_thread(store.messages_for_customer, sender, since)
            last = found[-1].id if found else since
            return response.json({"messages": [with_html({"id": m.id, "text": m.text, "agent": m.agent, "author": m.author}
                                                         | ({"buttons": m.buttons} if m.buttons else {}))
                                               for m in found], "last": last})

        @hook.route("/history", methods=["GET"])
        async def history(request: Request) -> HTTPResponse:
            """The conversation's customer, assistant and agent messages as text (bot.dialogue.conversation.transcript),
            the buttons of a question not answered yet, and `last` to poll /messages from. 4xx for bad credentials."""
            try:
                sender = self._reader(request)
            except Refused as error:
                return _refuse("history", error)
            last = await asyncio.to_thread(self.desk.store.last_message_id)  # before the tracker: none missed
            events = await _tracker_events(request.app.ctx.agent, sender)
            messages = [with_html(m) for m in transcript(events, pending=True)]
            return response.json({"conversation_id": sender, "messages": messages, "last": last})

        @hook.route("/webhook", methods=["GET", "PUT", "DELETE", "PATCH"])
        async def wrong_method(request: Request) -> HTTPResponse:
            return _error("use POST with a JSON body", 405)

        return hook
