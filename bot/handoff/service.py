"""What happens to a handoff: opened by the assistant, claimed and answered by an agent, resolved or released.

`HandoffDesk` is shared by the action (opening), the agent desk and API, the
Telegram agent group and the channels' edge (customer messages while
paused). Messages to the customer go out on the customer's own channel: the
persistent outbox for Telegram/SMS/WhatsApp, and the handoff's message list
for REST/web chat (which polls). Tracker writes go through an injected
`TrackerWriter`, so this module needs no Rasa server to be tested. What the
customer is told is the catalogue's `handoff.*` responses.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

from sqlalchemy.engine import Engine

from bot.dialogue import feedback
from bot.agents import AgentAccounts
from bot.handoff.followup import FollowUps
from bot.handoff.hours import TeamHours, describe_opening, describe_wait, estimate_wait_s
from bot.handoff.store import Handoff, HandoffError, HandoffMessage, HandoffStore, median_or_none
from bot.handoff.summary import summary_text
from bot.handoff.webhook import CHANNEL as WEBHOOK_CHANNEL
from bot.messaging import Outbox, WhatsAppWindow
from bot.config import AssistantConfig, HandoffSettings
from bot.responses import Responses, Voice, joined
from bot.vendors import text_payloads

# conversation id, event dicts (Rasa's JSON form) -> appended to that conversation's tracker
TrackerWriter = Callable[[str, list[dict[str, Any]]], Awaitable[None]]
POLLING_CHANNELS = ("rest", "webchat")  # customers' pages fetch agent messages (GET /webhooks/rest/messages)
# what a message to the customer is for, by its notice: chooses WhatsApp's template outside the 24-hour window
PURPOSE_OF_NOTICE = {"resolved": "survey", "claimed": "handoff_update", "released": "handoff_update",
                     "unclaimed": "handoff_update"}




class HandoffDesk:
    def __init__(self, engine: Engine, settings: HandoffSettings, hours: TeamHours, responses: Responses,
                 tracker: TrackerWriter | None = None, window: WhatsAppWindow | None = None,
                 follow_ups: FollowUps | None = None) -> None:
        self.store = HandoffStore(engine)
        self.outbox = Outbox(engine)
        self.settings = settings
        self.hours = hours
        self.responses = responses
        self.tracker = tracker
        self.window = window  # WhatsApp's window, for what the desk shows about held messages
        self.follow_ups = follow_ups  # the check after a resolve (bot/handoff/followup.py)

    @classmethod
    def configured(cls, engine: Engine, settings: HandoffSettings, config: AssistantConfig, responses: Responses,
                   tracker: TrackerWriter | None = None, window: WhatsAppWindow | None = None) -> HandoffDesk:
        """The desk on `engine` for the handoff settings of the environment, assistant.yml's team, and the
        process's responses catalogue (persona filled in), with follow-ups after a resolve (`follow_up:`)."""
        follow_ups = FollowUps(engine, config.follow_up, config.team.time_zone, responses, settings.follow_up_after_s)
        return cls(engine, settings, TeamHours.from_config(config.team), responses, tracker, window, follow_ups)

    def undelivered(self, handoff: Handoff) -> dict[str, Any] | None:
        """Messages of this handoff WhatsApp's window holds back, and why (bot/messaging/window.py); None if none."""
        if self.window is None or handoff.channel != "whatsapp":
            return None
        return self.window.held_notice(handoff.conversation_id, handoff.recipient, handoff.created_at)

    # --- the assistant hands over (action server) ---

    def reachable(self) -> bool:
        """True when some person can take a handoff: a route set in the environment (AGENT_TOKEN, Telegram
        group, webhook) or an active agent account in the database. Otherwise customers get contact details."""
        return self.settings.configured or AgentAccounts(self.store.engine).any_active()

    def expectation(self, handoff: Handoff, now: float) -> str:
        """What the customer is told: a person takes over, how long it may take or when the team is back."""
        voice = self._voice(handoff)
        if not self.hours.is_open(now):
            opening = self.hours.next_opening(now)
            back = voice.say("handoff.back_unknown")
            if opening:
                back = voice.say("handoff.back", opening=describe_opening(opening, now, voice), time_zone=self.hours.time_zone)
            return voice.say("handoff.away", back=back)
        ahead = self.store.waiting_before(handoff.created_at)
        wait = describe_wait(estimate_wait_s(ahead, median_or_none(self.store.recent_handling_times())), voice)
        queue = ("" if not ahead else voice.say("handoff.ahead_one") if ahead == 1
                 else voice.say("handoff.ahead_many", ahead=ahead))
        timing = voice.say("handoff.wait", wait=wait) if wait else voice.say("handoff.wait_unknown")
        return joined(voice.say("handoff.passing"), queue, timing, voice.say("handoff.kept"))

    def open(self, conversation_id: str, channel: str, recipient: str | None, customer_name: str | None,
             reason: str, summary: dict[str, Any], now: float | None = None) -> Handoff:
        """Store the handoff and tell the agents (Telegram group, webhook) through the outbox."""
        now = time.time() if now is None else now
        earlier = self.follow_ups.earlier_handoff(conversation_id, now) if self.follow_ups else None
        if earlier:  # the customer said the last one is not sorted: the person sees it
            summary = dict(summary, follow_up_of=earlier)
        handoff, new = self.store.create(conversation_id, channel, recipient, customer_name, reason, summary, now)
        if new and self.follow_ups:
            self.follow_ups.handoff_opened(conversation_id)
        if new and not summary.get("test"):  # a test conversation's handoff is stored, never sent to agents
            self.notify_agents(handoff)
        return handoff

    def notify_agents(self, handoff: Handoff) -> None:
        if self.settings.telegram_agent_chat_id is not None:
            group = str(self.settings.telegram_agent_chat_id)
            self.outbox.enqueue("telegram", group, handoff.conversation_id, [
                {"method": "sendMessage", "text": summary_text(handoff.summary), "handoff_id": handoff.id}])
        if self.settings.webhook_url:
            self.outbox.enqueue(WEBHOOK_CHANNEL, self.settings.webhook_url, handoff.conversation_id, [
                {"event": "handoff.created", "handoff_id": handoff.id, "status": handoff.status,
                 "reason": handoff.reason, "created_at": handoff.created_at, "summary": handoff.summary}])

    # --- the customer writes while a person owns the conversation (channels' edge) ---

    def customer_wrote(self, conversation_id: str, text: str, message_id: str | None,
                       received_at: float | None = None) -> HandoffMessage | None:
        """Store a message for the open handoff (see HandoffStore.customer_message) and pass it on to the
        agents' Telegram group, where replying to it answers the customer. None: no open handoff."""
        message = self.store.customer_message(conversation_id, text, message_id, received_at)
        if message is not None and self.settings.telegram_agent_chat_id is not None:
            handoff = self.store.get(message.handoff_id)
            who = handoff.customer_name or "The customer"
            self.outbox.enqueue("telegram", str(self.settings.telegram_agent_chat_id), conversation_id, [
                {"method": "sendMessage", "text": f"{who} ({handoff.channel}): {message.text}", "handoff_id": handoff.id}])
        return message

    # --- agents act (agent desk, API, Telegram group) ---

    async def claim(self, handoff_id: str, agent: str) -> Handoff:
        """Give a waiting handoff to `agent` and tell the customer they joined; 409 if someone else has it."""
        before = await asyncio.to_thread(self.store.get, handoff_id)
        handoff = await asyncio.to_thread(self.store.claim, handoff_id, agent)
        if before.status == "waiting":
            await self._joined(handoff, agent)
        return handoff

    async def assign(self, handoff_id: str, agent: str) -> tuple[Handoff, Handoff]:
        """Give an open handoff to `agent` (a lead's reassignment); the customer is told when the person changes.
        Returns (before, after); 409 when the handoff is closed."""
        before, handoff = await asyncio.to_thread(self.store.assign, handoff_id, agent)
        if before.agent != agent or before.status == "waiting":
            await self._joined(handoff, agent)
        return before, handoff

    def _voice(self, handoff: Handoff) -> Voice:
        """The catalogue on the customer's channel, variants picked by the conversation."""
        return self.responses.voice(handoff.channel, handoff.conversation_id)

    def _who(self, handoff: Handoff, by: str | None) -> str:
        """Who the customer is told acted: `by`, else the handoff's agent, else handoff.our_team."""
        return by or handoff.agent or self._voice(handoff).say("handoff.our_team")

    async def _joined(self, handoff: Handoff, agent: str) -> None:
        await self._to_customer(handoff, "system", self._voice(handoff).say("handoff.joined", agent=agent),
                                {"handoff_id": handoff.id, "notice": "claimed"})

    async def reply(self, handoff_id: str, text: str, agent: str | None = None, *, for_owner: bool = False) -> HandoffMessage:
        """Send an agent's message to the customer, recorded under `agent` (else the handoff's agent).

        A waiting handoff is claimed for `agent` first. 409 unless the handoff
        is claimed, and, when `agent` is named, claimed by them; `for_owner`
        lets a lead write into someone else's claimed handoff under their own name.
        """
        handoff = await asyncio.to_thread(self.store.get, handoff_id)
        if handoff.status == "waiting" and agent:
            handoff = await self.claim(handoff_id, agent)
        if handoff.status != "claimed":
            raise HandoffError("claim this handoff before replying" if handoff.status == "waiting"
                               else f"this handoff is {handoff.status}", 409)
        if agent and agent != handoff.agent and not for_owner:
            raise HandoffError(f"claimed by {handoff.agent}, not {agent}", 409)
        author = agent or handoff.agent
        message = await self._to_customer(handoff, "agent", text, {"agent": author, "handoff_id": handoff.id})
        await asyncio.to_thread(self.store.note_agent_reply, handoff.id)
        return message

    async def resolve(self, handoff_id: str, by: str | None = None) -> Handoff:
        """Close the handoff, give the conversation back to the bot, and start the feedback survey.

        The customer is told `by` (else the handoff's agent) resolved it. The
        survey is the same `feedback_form` the closing flow runs: the CSAT
        question is sent here and the form is made active in the tracker, so
        the customer's next message is read as their rating.
        """
        handoff = await asyncio.to_thread(self.store.close, handoff_id, "resolved")
        voice = self._voice(handoff)
        question = feedback.question("csat", voice)
        text = joined(voice.say("handoff.resolved", agent=self._who(handoff, by)), question["text"])
        await self._to_customer(handoff, "system", text, {"handoff_id": handoff.id, "notice": "resolved"}, resume=True,
                                then=feedback.survey_start_events("feedback_csat"), buttons=question.get("buttons"))
        if self.follow_ups is not None:
            await asyncio.to_thread(self.follow_ups.after_resolved, handoff)
        return handoff

    async def release(self, handoff_id: str, by: str | None = None) -> Handoff:
        """Close the handoff and give the conversation back to the bot; the customer is told `by` (else the
        handoff's agent) passed them back. 409 when it is already closed."""
        handoff = await asyncio.to_thread(self.store.close, handoff_id, "released")
        text = self._voice(handoff).say("handoff.released", agent=self._who(handoff, by))
        await self._to_customer(handoff, "system", text, {"handoff_id": handoff.id, "notice": "released"}, resume=True)
        return handoff

    async def send_unclaimed_updates(self, now: float | None = None) -> int:
        """Tell customers who have waited `unclaimed_update_after_s` without an agent, once, while the team is in."""
        now = time.time() if now is None else now
        if not self.hours.is_open(now):
            return 0
        due = await asyncio.to_thread(self.store.take_unclaimed_update, self.hours.unclaimed_update_after_s, now)
        for handoff in due:
            await self._to_customer(handoff, "system", self._voice(handoff).say("handoff.unclaimed"),
                                    {"handoff_id": handoff.id, "notice": "unclaimed"})
        return len(due)

    async def _to_customer(self, handoff: Handoff, author: str, text: str, metadata: dict[str, Any],
                           resume: bool = False, then: list[dict[str, Any]] | None = None,
                           buttons: list[dict[str, str]] | None = None) -> HandoffMessage:
        """Record the message (with the `buttons` it offers, for pages that poll), send it on the customer's
        channel (WhatsApp's template for its purpose when the window is closed), and write it (and a resume)
        to the tracker."""
        message = await asyncio.to_thread(self.store.append, handoff.id, author, text, metadata.get("agent"),
                                          buttons=buttons)
        purpose = "agent_reply" if author == "agent" else PURPOSE_OF_NOTICE.get(metadata.get("notice", ""), "handoff_update")
        fields = {"name": handoff.customer_name or "", "agent": metadata.get("agent") or handoff.agent or ""}
        payloads = text_payloads(handoff.channel, message.text, purpose, fields)
        for payload in payloads or ():
            payload["handoff_message_id"] = message.id
        if payloads and handoff.recipient:
            await asyncio.to_thread(self.outbox.enqueue, handoff.channel, handoff.recipient, handoff.conversation_id, payloads)
        if self.tracker is not None:
            events: list[dict[str, Any]] = [{"event": "bot", "text": message.text, "metadata": metadata,
                                             "timestamp": message.created_at}
                                            | ({"data": {"buttons": buttons}} if buttons else {})]
            if resume:
                events += [{"event": "slot", "name": "handoff_id", "value": None},
                           {"event": "resume"}]
            events += (then or []) + ([{"event": "action", "name": "action_listen"}] if resume else [])
            await self.tracker(handoff.conversation_id, events)
        return message

    def handoff_for_group_post(self, chat_id: int, message_id: int) -> str | None:
        """The handoff whose summary we posted as `message_id` in the agents' Telegram group."""
        payload = self.outbox.sent_payload("telegram", str(chat_id), str(message_id))
        return (payload or {}).get("handoff_id")
