"""Handing webhook turns to the assistant after the webhook has been acknowledged.

Providers want a fast answer (Twilio times out at 15 s, Telegram retries);
the assistant's work for a message (NLU, tracker store, actions) runs on the
same event loop and partly blocks it. Running at most `limit` turns at once
keeps the loop free between them, so new webhooks are acknowledged quickly
even under a burst, while the queued turns wait without using CPU.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import time
import uuid
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.handoff.service import HandoffDesk, open_desk
from bot.handoff.tracker import rasa_tracker_writer
from bot.privacy import mask_secrets
from bot.settings import Settings

DEFAULT_CONCURRENCY = 2  # measured best of 1, 2, 4 on 2 cores (bench/README.md)


class BackgroundTurns:
    def __init__(self, limit: int = DEFAULT_CONCURRENCY) -> None:
        self.limit = limit
        self._semaphore: asyncio.Semaphore | None = None
        self._tasks: set[asyncio.Task] = set()

    def start(self, turn: Awaitable[None]) -> None:
        """Run `turn` in the background (keeping a reference so it is not garbage-collected)."""
        task = asyncio.get_running_loop().create_task(self._bounded(turn))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _bounded(self, turn: Awaitable[None]) -> None:
        if self._semaphore is None:  # created on the server's loop
            self._semaphore = asyncio.Semaphore(self.limit)
        async with self._semaphore:
            await turn

    @property
    def pending(self) -> int:
        return len(self._tasks)


def webhook_blueprint(connector: Any, refuse: Callable[[int, str], HTTPResponse]) -> Blueprint:
    """The parts every messaging webhook shares: the outbox worker started with the
    server, `GET /` health, and 405 for anything but POST on `/webhook`.
    The connector adds its own `POST /webhook` route to the returned blueprint."""
    module = inspect.getmodule(connector)
    hook = Blueprint(f"custom_webhook_{type(connector).__name__}", module.__name__ if module else None)

    @hook.listener("after_server_start")
    async def start_worker(app, loop) -> None:
        connector.worker.start()

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


async def hand_to_assistant(on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str, output: OutputChannel,
                            sender_id: str, input_channel: str, metadata: dict[str, Any], agent: Any = None) -> None:
    """Mask card numbers and passwords, warn the customer if there were any, then give the turn to Rasa.

    The secret never reaches the tracker store, an agent or a log; `metadata["masked"]`
    says what was removed.

    While a person owns the conversation (an open handoff) the message goes to the
    handoff for the agent and, with the Rasa `agent` given, into the tracker as a user
    event without a turn: Rasa predicts nothing, even when the session has expired
    meanwhile (a new session would otherwise un-pause the bot) or the text is a
    command like /restart. A handoff opened by a turn that held the conversation's
    lock meanwhile is caught after the turn (Rasa was paused for it); stored once.
    """
    masked = mask_secrets(text)
    if masked.found:
        await output.send_text_message(sender_id, masked.warning)
        metadata = dict(metadata, masked=list(masked.found))
    message_id, received = uuid.uuid4().hex, time.time()
    desk = handoff_desk()
    stored = await asyncio.to_thread(desk.customer_wrote, sender_id, masked.text, message_id, received)
    if stored is not None and agent is not None:
        parse_data = await agent.parse_message(masked.text)
        event = {"event": "user", "text": masked.text, "parse_data": parse_data, "input_channel": input_channel,
                 "message_id": message_id, "metadata": metadata, "timestamp": received}
        await rasa_tracker_writer(agent)(sender_id, [event])
        return
    await on_new_message(UserMessage(masked.text, output, sender_id, input_channel=input_channel, metadata=metadata,
                                     message_id=message_id))
    if stored is None:
        await asyncio.to_thread(desk.customer_wrote, sender_id, masked.text, message_id, received)


async def note_for_agent(sender_id: str, text: str) -> None:
    """Add what the customer sent that Rasa never sees (a photo, a voice note) to their open handoff, if any."""
    await asyncio.to_thread(handoff_desk().customer_wrote, sender_id, text, None)
