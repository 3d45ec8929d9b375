"""Accepting webhook messages into the inbox and running their turns after the acknowledgement.

Providers want a fast answer (Twilio times out at 15 s, Telegram retries).
A webhook only verifies, parses and writes the message to the persistent
inbox (bot/messaging/inbox.py: one insert, which is also the de-duplication), then
answers; nothing on that path awaits a turn. The inbox worker runs the turns
(NLU, tracker store, action calls), at most FRONTDESK_TURN_CONCURRENCY at
once, so queued turns wait without using CPU and the loop stays free for
acknowledgements between them.

Settings (environment; the defaults are the measured best, bench/README.md):
FRONTDESK_TURN_CONCURRENCY (default 2); FRONTDESK_TURN_THREAD=1 runs turns
and sends on a second event loop in a background thread (measured slower on
the shared 2 cores: the server's thread then waits for the GIL on every
socket and SQLite call); FRONTDESK_ACK_WRITE=thread writes the inbox row in
a worker thread instead of on the loop (measured slower: the hop costs more
than the ~0.4 ms insert).
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import os
import threading
import time
import uuid
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.engine import Engine

from bot.errors import FrontdeskError
from bot.handoff import HandoffDesk, open_desk
from bot.handoff import rasa_tracker_writer
from bot.messaging import Inbox, InboxMessage, InboxWorker
from bot.messaging import OutboxWorker
from bot.privacy import mask_secrets, warning
from bot.config import Settings

logger = logging.getLogger(__name__)


def _setting(name: str, default: str) -> str:
    return (os.environ.get(name) or default).strip().lower()


class AssistantNotReady(FrontdeskError):
    """The Rasa server has no model loaded yet; the turn is retried."""


class BackgroundLoop:
    """The event loop where turns and sends run: the server's loop, or with FRONTDESK_TURN_THREAD=1
    a daemon thread's own loop. One per process, shared by every connector."""

    _shared: BackgroundLoop | None = None
    _lock = threading.Lock()

    def __init__(self, threaded: bool) -> None:
        self.threaded = threaded
        self.loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def shared(cls) -> BackgroundLoop:
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls(threaded=_setting("FRONTDESK_TURN_THREAD", "0") in {"1", "true", "yes"})
            return cls._shared

    def start(self) -> None:
        """Start the thread (or adopt the running server loop); call from the server's loop."""
        with self._lock:
            if self.loop is not None:
                return
            if not self.threaded:
                self.loop = asyncio.get_running_loop()
                return
            self.loop = asyncio.new_event_loop()
            threading.Thread(target=self.loop.run_forever, name="frontdesk-turns", daemon=True).start()

    def call(self, callback: Callable[[], Any]) -> None:
        """Run `callback` on the background loop soon; safe from any thread."""
        assert self.loop is not None, "BackgroundLoop.start() first"
        self.loop.call_soon_threadsafe(callback)

    async def run(self, coroutine: Awaitable[Any]) -> Any:
        """Await `coroutine` on the background loop from the server's loop."""
        assert self.loop is not None, "BackgroundLoop.start() first"
        if self.loop is asyncio.get_running_loop():
            return await coroutine
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coroutine, self.loop))


class Inbound:
    """One connector's inbox, turn worker and outbox worker; the workers run on the background loop."""

    def __init__(self, engine: Engine, channel: str, run_turn: Callable[[InboxMessage], Awaitable[None]],
                 apologise: Callable[[InboxMessage], Awaitable[None]], outbox: OutboxWorker) -> None:
        self.channel = channel
        self.inbox = Inbox(engine)
        self.outbox = outbox
        self.turns = InboxWorker(self.inbox, [channel], run_turn, apologise,
                                 concurrency=max(1, int(_setting("FRONTDESK_TURN_CONCURRENCY", "2"))),
                                 settle_s=max(0.0, float(_setting("FRONTDESK_TURN_SETTLE_MS", "100"))) / 1000)
        self.write_on_loop = _setting("FRONTDESK_ACK_WRITE", "loop") != "thread"
        self.background = BackgroundLoop.shared()
        self.app: Any = None
        self._started = False

    def start(self, app: Any) -> None:
        """Start both workers (the turn worker first resumes what a previous process left)."""
        self.app = app
        if self._started:
            return
        self._started = True
        self.background.start()
        self.background.call(self.turns.start)
        self.background.call(self.outbox.start)

    async def stop(self) -> None:
        """Give running turns back to the inbox for the next start, and stop sending."""
        if self._started:
            await self.background.run(self.turns.stop())
            await self.background.run(self.outbox.stop())

    async def accept(self, external_id: str, sender: str, payload: dict[str, Any]) -> bool:
        """Store the message (one short insert); False for a provider's retry of one already accepted."""
        if self.write_on_loop:
            new = self.inbox.accept(self.channel, external_id, sender, payload)
        else:
            new = await asyncio.to_thread(self.inbox.accept, self.channel, external_id, sender, payload)
        if new:
            self.turns.last_accept = time.monotonic()
            self.background.call(self.turns.wake)
        return new

    def wake_outbox(self) -> None:
        """Call after enqueueing (from any thread), so messages go out without waiting for the next poll."""
        if self._started:
            self.background.call(self.outbox.wake)

    @property
    def agent(self) -> Any:
        """The Rasa server's agent (None before the server started)."""
        return getattr(getattr(self.app, "ctx", None), "agent", None)

    def check_ready(self) -> None:
        """Raise AssistantNotReady when Rasa has no model loaded (the turn is retried rather than dropped)."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if self.app is not None and (agent is None or not agent.is_ready()):
            raise AssistantNotReady("the Rasa server has no model loaded")


def masked_text(text: str) -> dict[str, Any]:
    """Payload fields for a customer's text with card numbers and passwords masked before it is stored."""
    masked = mask_secrets(text)
    return {"text": masked.text, "masked": list(masked.found)}


class Stopwatch:
    """Times the steps of a webhook; `header()` is a Server-Timing header (the load benchmark reads it)."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now

    def header(self) -> dict[str, str]:
        parts = [f"{name};dur={seconds * 1000:.2f}" for name, seconds in self.laps]
        parts.append(f"total;dur={(time.perf_counter() - self.started) * 1000:.2f}")
        return {"Server-Timing": ", ".join(parts)}


def webhook_blueprint(connector: Any, refuse: Callable[[int, str], HTTPResponse]) -> Blueprint:
    """The parts every messaging webhook shares: the inbox and outbox workers started and stopped
    with the server, `GET /` health, and 405 for anything but POST on `/webhook`.
    The connector adds its own `POST /webhook` route to the returned blueprint."""
    module = inspect.getmodule(connector)
    hook = Blueprint(f"custom_webhook_{type(connector).__name__}", module.__name__ if module else None)

    @hook.listener("after_server_start")
    async def start_workers(app, loop) -> None:
        connector.inbound.start(app)

    @hook.listener("before_server_stop")
    async def stop_workers(app, loop) -> None:
        await connector.inbound.stop()

    @hook.route("/", methods=["GET"])
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @hook.route("/webhook", methods=["GET", "PUT", "DELETE", "PATCH"])
    async def wrong_method(request: Request) -> HTTPResponse:
        return refuse(405, "use POST")

    return hook


@functools.lru_cache(maxsize=None)
def handoff_desk() -> HandoffDesk:
    """The handoff desk of this process's environment (one database engine per process)."""
    return open_desk(Settings.from_env())


async def give_turn(on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, masked: list[str] | tuple[str, ...],
                    output: OutputChannel, sender_id: str, input_channel: str, metadata: dict[str, Any],
                    message_id: str | None = None, agent: Any = None, received_at: float | None = None) -> None:
    """Give Rasa a turn whose text is already masked; warn the customer first if something was removed
    (privacy.warning, from the desk's responses catalogue: one per process). An empty or
    whitespace-only text never reaches Rasa: the customer is asked what they need
    (channels.empty_message), on every channel, and nothing is stored.

    The secret never reaches the tracker store, an agent or a log; `metadata["masked"]`
    says what was removed. `metadata["received_at"]` is when the message reached the
    server (`received_at`, Unix seconds: the webhook's acceptance into the inbox, the
    REST request's arrival; now if not given): Rasa stamps the user event only after
    the inbox's queue and NLU, so the report measures response times from this.

    While a person owns the conversation (an open handoff) the message goes to the
    handoff for the agent and, with the Rasa `agent` given, into the tracker as a user
    event without a turn: Rasa predicts nothing, even when the session has expired
    meanwhile (a new session would otherwise un-pause the bot) or the text is a
    command like /restart. A handoff opened by a turn that held the conversation's
    lock meanwhile is caught after the turn (Rasa was paused for it); stored once.
    """
    desk = handoff_desk()
    if not text.strip():  # nothing to read: Rasa's featurizers cannot take an empty text (a 503 before)
        await output.send_text_message(sender_id, desk.responses.voice(input_channel, sender_id).say("channels.empty_message"))
        return
    received = time.time() if received_at is None else received_at
    metadata = dict(metadata, received_at=received)
    if masked:
        await output.send_text_message(sender_id, warning(masked, desk.responses.voice(input_channel, sender_id)))
        metadata["masked"] = list(masked)
    message_id = message_id or uuid.uuid4().hex
    stored = await asyncio.to_thread(desk.customer_wrote, sender_id, text, message_id, received)
    if stored is not None and agent is not None:
        parse_data = await agent.parse_message(text)
        event = {"event": "user", "text": text, "parse_data": parse_data, "input_channel": input_channel,
                 "message_id": message_id, "metadata": metadata, "timestamp": received}
        await rasa_tracker_writer(agent)(sender_id, [event])
        return
    await on_new_message(UserMessage(text, output, sender_id, input_channel=input_channel, metadata=metadata,
                                     message_id=message_id))
    if stored is None:
        await asyncio.to_thread(desk.customer_wrote, sender_id, text, message_id, received)


async def hand_to_assistant(on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, output: OutputChannel,
                            sender_id: str, input_channel: str, metadata: dict[str, Any], agent: Any = None,
                            received_at: float | None = None) -> None:
    """Mask card numbers and passwords, then give the turn to Rasa (see `give_turn`)."""
    masked = mask_secrets(text)
    await give_turn(on_new_message, masked.text, masked.found, output, sender_id, input_channel, metadata, agent=agent,
                    received_at=received_at)


async def note_for_agent(sender_id: str, text: str) -> None:
    """Add what the customer sent that Rasa never sees (a photo, a voice note) to their open handoff, if any."""
    await asyncio.to_thread(handoff_desk().customer_wrote, sender_id, text, None)
