"""Following up after a person resolved a handoff: "Hi Ana, following up on <topic>: is everything sorted now?"

When an agent resolves a handoff, one follow-up is scheduled `follow_up.after_resolved_s` later (assistant.yml;
FOLLOW_UP_AFTER_S overrides it) in the durable schedule (bot/messaging/schedule.py), on the customer's own
channel, moved to the morning when it falls outside `follow_up.send_between` in the team's time zone. The
`FollowUpWorker` (one per Rasa server, any number of instances: leases) sends it with Yes/No (buttons on
Telegram, numbered on SMS and WhatsApp, WhatsApp's `follow_up` template outside its 24-hour window, a message in
the page for web chat and REST), unless it is no longer relevant: the customer wrote again after the survey, opted
out, or has a newer handoff (then it is cancelled with the reason). The customer's answer is read at the channels'
edge (`FollowUps.read_answer`): yes closes it (confirmed resolved, counted in the report); no, or a problem told in
words, brings a person back: the "Talk to a person" button is offered, and the new handoff links the earlier one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from typing import Any, Callable
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from bot.config import FollowUpConfig, opening_hours
from bot.dialogue import feedback, option_lines
from bot.handoff.store import Handoff, HandoffError, HandoffStore
from bot.messaging import ChannelState, Outbox, PeriodicTask, Schedule, Scheduled
from bot.responses import Responses, Voice
from bot.vendors import telegram_payloads, twilio_payloads

logger = logging.getLogger(__name__)

KIND = "follow_up"
YES_PAYLOAD, NO_PAYLOAD, PERSON_PAYLOAD = "/affirm", "/deny", "/request_human"
YES_WORDS = {"yes", "y", "yeah", "yep", "yup", "sorted", "all sorted", "it is", "yes thanks", "yes thank you", "all good",
             "fine", "ok", "okay", "👍"}
NO_WORDS = {"no", "n", "nope", "not yet", "no it isn't", "no it is not", "not really", "👎"}
SURVEY_GRACE_S = 600.0  # messages this soon after the resolve answer its survey; later ones make the follow-up moot
ANSWER_WITHIN_S = 7 * 86400.0  # a follow-up unanswered for longer is no longer waited for
TOPIC_CHARS = 60
MESSAGING = ("telegram", "sms", "whatsapp")


def answer_kind(text: str) -> str:
    """yes, no or problem: how a customer's reply answers "is everything sorted now?"."""
    words = text.strip().lower().rstrip(".!").strip()
    if words == YES_PAYLOAD or words in YES_WORDS:
        return "yes"
    if words == NO_PAYLOAD or words in NO_WORDS:
        return "no"
    return "problem"


def topic_of(summary: dict[str, Any]) -> str | None:
    """What the handoff was about, in the customer's words (quoted, shortened), or None."""
    triggers = set(summary.get("trigger_messages") or []) if summary.get("reason") == "request" else set()
    words = [m for m in summary.get("key_messages") or [] if m not in triggers]
    if not words:
        return None
    text = " ".join(words[0].split())
    # plain quotes: curly ones would make an SMS UCS-2 (70 characters a segment instead of 160)
    return '"' + (text if len(text) <= TOPIC_CHARS else text[:TOPIC_CHARS - 3].rstrip() + "...") + '"'


class FollowUps:
    """Scheduling, relevance and answers of follow-ups after a resolve (the database is the only state)."""

    def __init__(self, engine: Engine, config: FollowUpConfig, time_zone: str, responses: Responses,
                 after_s: float | None = None) -> None:
        self.schedule = Schedule(engine)
        self.store = HandoffStore(engine)
        self.outbox = Outbox(engine)
        self.engine = engine
        self.config = config
        self.zone = ZoneInfo(time_zone)
        self.responses = responses
        self.after_s = after_s if after_s is not None else config.after_resolved_s
        self.opens, self.closes = opening_hours(config.send_between)

    def send_time(self, at: float) -> float:
        """`at`, or the next start of `send_between` in the team's time zone when `at` falls outside it."""
        local = dt.datetime.fromtimestamp(at, self.zone)
        if self.opens <= local.time() < self.closes:
            return at
        day = local.date() if local.time() < self.opens else local.date() + dt.timedelta(days=1)
        return dt.datetime.combine(day, self.opens, tzinfo=self.zone).timestamp()

    def after_resolved(self, handoff: Handoff, now: float | None = None) -> int | None:
        """Schedule the follow-up of a resolved handoff (once); None for test conversations."""
        if handoff.summary.get("test"):
            return None
        now = time.time() if now is None else now
        detail = {"name": handoff.customer_name, "topic": topic_of(handoff.summary)}
        return self.schedule.add(KIND, handoff.conversation_id, handoff.channel, handoff.recipient,
                                 self.send_time(now + self.after_s), detail, handoff.id, now)

    def customer_wrote(self, conversation_id: str, at: float) -> int:
        """A message from the customer: pending follow-ups of handoffs resolved more than SURVEY_GRACE_S before it
        are moot (the customer is talking to us again). Returns how many were cancelled."""
        cancelled = 0
        for item in self.schedule.pending_for(conversation_id, KIND):
            if at > item.created_at + SURVEY_GRACE_S and self.schedule.cancel(item.id, "customer_wrote"):
                cancelled += 1
        return cancelled

    def awaiting(self, conversation_id: str, now: float) -> Scheduled | None:
        return self.schedule.awaiting_answer(conversation_id, KIND, now - ANSWER_WITHIN_S)

    def read_answer(self, conversation_id: str, text: str, now: float) -> tuple[str, Scheduled] | None:
        """(yes|no|problem, the follow-up) when `text` answers a follow-up sent to this conversation; else None."""
        item = self.awaiting(conversation_id, now)
        if item is None or self.store.open_for(conversation_id) is not None:  # a person has it: their message
            return None
        kind = answer_kind(text)
        return (kind, item) if self.schedule.answer(item.id, kind, now) else None

    def earlier_handoff(self, conversation_id: str, now: float) -> str | None:
        """The handoff whose follow-up this customer answered no (or with a problem) in the last week, to link."""
        item = self.schedule.latest_answered(conversation_id, KIND, ("no", "problem"), now - ANSWER_WITHIN_S)
        return item.handoff_id if item is not None else None

    def handoff_opened(self, conversation_id: str) -> int:
        """A new handoff: follow-ups still pending for this conversation are moot."""
        return self.schedule.cancel_pending(conversation_id, "handoff_reopened")

    def moot(self, item: Scheduled) -> str | None:
        """Why a due follow-up should not be sent any more (cancel reason), or None."""
        opted_out = item.channel in MESSAGING and (
            not item.recipient or ChannelState(self.engine, item.channel).get(item.recipient, "opted_out"))
        if item.kind != KIND:  # a new answer (bot/handoff/new_answers.py) is about no handoff
            return "opted_out" if opted_out else None
        handoff = self.store.open_for(item.conversation_id)
        if handoff is not None:
            return "handoff_reopened"
        try:
            self.store.get(item.handoff_id or "")
        except HandoffError:  # the customer was erased meanwhile
            return "erased"
        return "opted_out" if opted_out else None

    def message(self, item: Scheduled) -> tuple[str, list[dict[str, str]], Voice]:
        voice = self.responses.voice(item.channel, item.conversation_id)
        if item.kind != KIND:  # a new answer: no question to answer back
            return voice.say("follow_up.new_answer", question=item.detail.get("question", ""),
                             answer=item.detail.get("answer", "")), [], voice
        topic = item.detail.get("topic") or voice.say("follow_up.general_topic")
        name = item.detail.get("name")
        text = (voice.say("follow_up.after_resolved", name=name, topic=topic) if name
                else voice.say("follow_up.after_resolved_no_name", topic=topic))
        return text, [voice.button("buttons.yes", YES_PAYLOAD), voice.button("buttons.no", NO_PAYLOAD)], voice

    def deliver(self, item: Scheduled) -> str:
        """Put the follow-up on the customer's channel; returns its text (for the tracker)."""
        text, buttons, voice = self.message(item)
        if item.channel == "telegram":
            keyboard = [{"title": b["title"], "callback_data": b["payload"]} for b in buttons]
            self.outbox.enqueue("telegram", item.recipient or "", item.conversation_id,
                                telegram_payloads(text, keyboard or None))
        elif item.channel in ("sms", "whatsapp"):
            full = text
            if buttons:
                ChannelState(self.engine, item.channel).put(item.recipient or "", "options", buttons)
                full = f"{text}\n\n" + "\n".join(option_lines(buttons)) + "\n" + voice.say("channels.choose_a_number")
            fields = {"name": item.detail.get("name") or "",
                      "topic": item.detail.get("topic") or item.detail.get("question") or ""}
            self.outbox.enqueue(item.channel, item.recipient or "", item.conversation_id,
                                twilio_payloads(item.channel, full, "follow_up", fields))
            text = full
        else:  # web chat and REST poll the conversation's handoff messages
            self.store.append(item.handoff_id or "", "system", text)
        return text


TrackerFor = Callable[[], Any]  # -> a TrackerWriter for the running Rasa server, or None before it started


class FollowUpWorker(PeriodicTask):
    """Sends due follow-ups (claimed with a lease, so several instances send each once), until stopped."""

    def __init__(self, follow_ups: FollowUps, wake_outbox: Callable[[str], None] | None = None,
                 tracker_for: TrackerFor | None = None, poll_s: float = 1.0) -> None:
        self.follow_ups = follow_ups
        self.wake_outbox = wake_outbox or (lambda channel: None)
        self.tracker_for = tracker_for or (lambda: None)
        self.poll_s = poll_s

    async def run_once(self, now: float | None = None) -> int:
        """Send (or cancel, or postpone) what is due; returns how many were sent."""
        now = time.time() if now is None else now
        schedule = self.follow_ups.schedule
        sent = 0
        for item in await asyncio.to_thread(schedule.claim_due, now):
            reason = await asyncio.to_thread(self.follow_ups.moot, item)
            if reason:
                await asyncio.to_thread(schedule.cancel, item.id, reason)
                continue
            later = self.follow_ups.send_time(now)
            if later > now:  # quiet hours: wait for the morning
                await asyncio.to_thread(schedule.postpone, item.id, later)
                continue
            text = await asyncio.to_thread(self.follow_ups.deliver, item)
            await asyncio.to_thread(schedule.mark_sent, item.id, now)
            self.wake_outbox(item.channel)
            sent += 1
            writer = self.tracker_for()
            if writer is not None:
                await writer(item.conversation_id, feedback.survey_stop_events() + [
                    {"event": "bot", "text": text, "timestamp": now,
                     "metadata": {"follow_up": item.id, "handoff_id": item.handoff_id}},
                    {"event": "action", "name": "action_listen"}])
        return sent

    async def _run(self) -> None:
        await self.repeat(self.run_once, self.poll_s, "follow-ups", logger=logger)
