"""Accepting webhook messages into the inbox and running their turns after the acknowledgement.

Providers want a fast answer (Twilio times out at 15 s, Telegram retries).
A webhook only verifies, parses and writes the message to the persistent
inbox (bot/messaging/inbox.py: one insert, which is also the de-duplication), then
answers; nothing on that path awaits a turn. The inbox worker runs the turns
(NLU, tracker store, action calls), at most FRONTDESK_TURN_CONCURRENCY at
once and one per customer, so queued turns wait without using CPU and the loop
stays free for acknowledgements between them.

Settings (environment, read into `Settings.turns`, bot/config/channel_settings.py; the defaults are the
measured best, bench/README.md): FRONTDESK_TURN_CONCURRENCY (default 8); FRONTDESK_TURN_THREAD=1 runs
turns and sends on a second event loop in a background thread (measured slower on the shared 2 cores:
the server's thread then waits for the GIL on every socket and SQLite call); FRONTDESK_ACK_WRITE=thread
writes the inbox row in a worker thread instead of on the loop (measured slower: the hop costs more
than the ~0.4 ms insert). The inbox, the workers and the loop come from the process's root
(bot/ops/rasa_process.py); nothing here is built at import or kept in module state.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import uuid
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.errors import FrontdeskError, UnavailableError
from bot.handoff import HandoffDesk
from bot.handoff import rasa_tracker_writer
from bot.messaging import InboxMessage, InboxWorker
from bot.ops import ChannelParts
from bot.privacy import mask_secrets, warning

logger = logging.getLogger(__name__)


class AssistantNotReady(FrontdeskError):
    """The Rasa server has no model loaded yet; the turn is retried."""


class TurnReplies:
    """Numbers the replies of one inbox turn. Each reply's outbox key is "<channel>:<provider id>#<n>", and
    ":<response name>" when Rasa says which response it is (`utter_action`), so a turn that runs again (its
    instance died after storing some replies but before Rasa saved the turn, or an attempt raised) stores only
    the replies the earlier run did not: the customer gets each reply once, even when the run again picks
    another wording of it; and a run again that decides differently (another response at that place) is not
    taken for the first one and silenced."""

    def __init__(self, turn: str | None) -> None:
        self.turn = turn
        self.count = 0

    @staticmethod
    def turn_of(message: InboxMessage) -> str:
        return f"{message.channel}:{message.external_id}"

    def next_key(self, response: str | None = None) -> str | None:
        if self.turn is None:
            return None
        self.count += 1
        return f"{self.turn}#{self.count - 1}" + (f":{response[:60]}" if response else "")


class Inbound:
    """One connector's inbox, turn worker and outbox worker, from the parts the process gave it
    (bot/ops/rasa_process.py); the workers run on the process's background loop. The turn worker
    calls the connector's `run_turn` for each accepted message, and `apologise` when one failed for good."""

    def __init__(self, parts: ChannelParts, run_turn: Callable[[InboxMessage], Awaitable[None]],
                 apologise: Callable[[InboxMessage], Awaitable[None]]) -> None:
        self.channel = parts.channel
        self.inbox = parts.inbox
        self.outbox = parts.worker
        self.turns = InboxWorker(self.inbox, [parts.channel], run_turn, apologise,
                                 concurrency=parts.turns.concurrency, settle_s=parts.turns.settle_s)
        self.write_on_loop = parts.turns.write_on_loop
        self.background = parts.background
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


def worker_blueprint(connector: Any, start: Callable[[Any], None], stop: Callable[[], Awaitable[None]]) -> Blueprint:
    """A blueprint with no route for a background worker's connector: `start(app)` after the server starts,
    `await stop()` before it stops."""
    module = inspect.getmodule(connector)
    hook = Blueprint(f"custom_webhook_{type(connector).__name__}", module.__name__ if module else None)
    hook.listener("after_server_start")(lambda app, loop: start(app))

    @hook.listener("before_server_stop")
    async def stop_worker(app, loop) -> None:
        await stop()

    return hook


def webhook_blueprint(connector: Any, refuse: Callable[[int, str], HTTPResponse]) -> Blueprint:
    """The parts every messaging webhook shares: the inbox and outbox workers started and stopped
    with the server, `GET /` health, 405 for anything but POST on `/webhook`, and 503 (Retry-After) when
    the database cannot store the message.
    The connector adds its own `POST /webhook` route to the returned blueprint."""
    module = inspect.getmodule(connector)
    hook = Blueprint(f"custom_webhook_{type(connector).__name__}", module.__name__ if module else None)

    @hook.listener("after_server_start")
    async def start_workers(app, loop) -> None:
        connector.inbound.start(app)

    @hook.listener("before_server_stop")
    async def stop_workers(app, loop) -> None:
        await connector.inbound.stop()

    @hook.exception(UnavailableError)
    async def unavailable(request: Request, error: UnavailableError) -> HTTPResponse:
        """The database could not store the message: 503, so the provider sends it again later."""
        answer = refuse(503, f"cannot store messages right now: {error}")
        answer.headers["Retry-After"] = "5"
        return answer

    @hook.route("/", methods=["GET"])
    async def health(request: Request) -> HTTPResponse:
        return response.json({"status": "ok"})

    @hook.route("/webhook", methods=["GET", "PUT", "DELETE", "PATCH"])
    async def wrong_method(request: Request) -> HTTPResponse:
        return refuse(405, "use POST")

    return hook


async def already_in_tracker(agent: Any, sender_id: str, message_id: str) -> bool:
    """True when the conversation's tracker holds a user event with `message_id`: the turn of an inbox message
    whose instance died (or whose attempt failed) after Rasa saved it, which must not run twice."""
    tracker = await agent.tracker_store.retrieve(sender_id)
    return tracker is not None and any(getattr(event, "message_id", None) == message_id and type(event).__name__ ==
                                       "UserUttered" for event in tracker.events)


async def give_turn(desk: HandoffDesk, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str,
                    masked: list[str] | tuple[str, ...], output: OutputChannel, sender_id: str, input_channel: str,
                    metadata: dict[str, Any], message_id: str | None = None, agent: Any = None,
                    received_at: float | None = None, resumed: bool = False) -> None:
    """Give Rasa a turn whose text is already masked; warn the customer first if something was removed
    (privacy.warning, from the desk's responses catalogue: the process's one). An empty or
    whitespace-only text never reaches Rasa: the customer is asked what they need
    (channels.empty_message), on every channel, and nothing is stored.

    The secret never reaches the tracker store, an agent or a log; `metadata["masked"]`
    says what was removed. `metadata["received_at"]` is when the message reached the
    server (`received_at`, Unix seconds: the webhook's acceptance into the inbox, the
    REST request's arrival; now if not given): Rasa stamps the user event only after
    the inbox's queue and NLU, so the report measures response times from this.

    A `resumed` inbox message (an earlier attempt may have run) whose `message_id` the tracker already holds
    is not given again: its turn ran before its instance died.

    While a person owns the conversation (an open handoff) the message goes to the
    handoff for the agent and, with the Rasa `agent` given, into the tracker as a user
    event without a turn: Rasa predicts nothing, even when the session has expired
    meanwhile (a new session would otherwise un-pause the bot) or the text is a
    command like /restart. A handoff opened by a turn that held the conversation's
    lock meanwhile is caught after the turn (Rasa was paused for it); stored once.
    """
    if resumed and message_id and agent is not None and await already_in_tracker(agent, sender_id, message_id):
        logger.warning("turn for message %s (conversation %s) already ran before its instance stopped: not again",
                       message_id, sender_id)
        return
    if not text.strip():  # nothing to read: Rasa's featurizers cannot take an empty text (a 503 before)
        await output.send_text_message(sender_id, desk.responses.voice(input_channel, sender_id).say("channels.empty_message"))
        return
    received = time.time() if received_at is None else received_at
    metadata = dict(metadata, received_at=received)
    if masked:
        await output.send_text_message(sender_id, warning(masked, desk.responses.voice(input_channel, sender_id)))
        metadata["masked"] = list(masked)
    message_id = message_id or uuid.uuid4().hex
    if desk.follow_ups is not None and await follow_up_answered(desk, text, output, sender_id, input_channel, metadata,
                                                                message_id, agent, received):
        return
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


async def follow_up_answered(desk: HandoffDesk, text: str, output: OutputChannel, sender_id: str, input_channel: str,
                             metadata: dict[str, Any], message_id: str, agent: Any, received: float) -> bool:
    """Read the customer's message against the follow-up after a resolve (bot/handoff/followup.py): a message long
    after the resolve makes a pending one moot; an answer to one sent is recorded. Yes is thanked; no gets the offer
    of a person (follow_up.not_sorted and the "Talk to a person" button). True when the turn is done (yes or no, both
    recorded in the tracker without a Rasa turn); a problem told in words goes on to Rasa, and the offer follows."""
    follow_ups = desk.follow_ups
    await asyncio.to_thread(follow_ups.customer_wrote, sender_id, received)
    answered = await asyncio.to_thread(follow_ups.read_answer, sender_id, text, received)
    if answered is None:
        return False
    kind, _ = answered
    voice = desk.responses.voice(input_channel, sender_id)
    if kind == "problem":
        await on_problem_offer(output, sender_id, voice)
        return False
    reply = voice.say("follow_up.glad") if kind == "yes" else voice.say("follow_up.not_sorted")
    if kind == "yes":
        await output.send_text_message(sender_id, reply)
    else:
        await output.send_text_with_buttons(sender_id, reply, [voice.button("buttons.talk_to_a_person", "/request_human")])
    if agent is not None:
        parse_data = await agent.parse_message(text)
        await rasa_tracker_writer(agent)(sender_id, [
            {"event": "user", "text": text, "parse_data": parse_data, "input_channel": input_channel,
             "message_id": message_id, "metadata": dict(metadata, follow_up_answer=kind), "timestamp": received},
            {"event": "bot", "text": reply, "metadata": {"follow_up_answer": kind}, "timestamp": time.time()}])
    return True


async def on_problem_offer(output: OutputChannel, sender_id: str, voice: Any) -> None:
    """A problem told instead of yes or no: a person is offered (the new handoff links the earlier one)."""
    await output.send_text_with_buttons(sender_id, voice.say("follow_up.not_sorted"),
                                        [voice.button("buttons.talk_to_a_person", "/request_human")])


async def hand_to_assistant(desk: HandoffDesk, on_new_message: Callable[[UserMessage], Awaitable[Any]], text: str,
                            output: OutputChannel, sender_id: str, input_channel: str, metadata: dict[str, Any],
                            agent: Any = None, received_at: float | None = None) -> None:
    """Mask card numbers and passwords, then give the turn to Rasa (see `give_turn`)."""
    masked = mask_secrets(text)
    await give_turn(desk, on_new_message, masked.text, masked.found, output, sender_id, input_channel, metadata,
                    agent=agent, received_at=received_at)


async def note_for_agent(desk: HandoffDesk, sender_id: str, text: str) -> None:
    """Add what the customer sent that Rasa never sees (a photo, a voice note) to their open handoff, if any."""
    await asyncio.to_thread(desk.customer_wrote, sender_id, text, None)
