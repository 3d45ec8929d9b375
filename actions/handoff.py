"""action_handoff: hand the conversation to a person, tell the customer what happens next, and pause the bot.

The reason comes from slot `handoff_reason` (request, frustration, failures,
abuse; default request), so other features can set it and chain here. When
no agent channel is configured (AGENT_TOKEN, TELEGRAM_AGENT_CHAT_ID or
HANDOFF_WEBHOOK_URL), nobody would answer: the customer gets S-Club's
contact details instead and the bot keeps talking.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import DETECTION, KNOWLEDGE_BASE, SCORER
from bot.conversation import customer_name
from bot.detect import assess
from bot.handoff.service import open_desk
from bot.handoff.store import REASONS
from bot.handoff.summary import build_summary
from bot.settings import Settings

SETTINGS = Settings.from_env()
DESK = open_desk(SETTINGS)


def frustration(text: str) -> float:
    """The summary's per-message mood score (0..1), from the action server's shared frustration model."""
    return SCORER.score(text).score


def entry_info(entry_id: str) -> dict[str, Any] | None:
    """Title and paraphrase of an entry (what the assistant understood), from the live knowledge base."""
    entry = KNOWLEDGE_BASE.snapshot.by_id.get(entry_id)
    return {"title": entry.title, "paraphrase": entry.paraphrase} if entry else None


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[dict[str, Any]]:
    """Store the handoff with its summary, tell the customer what happens next, and pause the bot.

    Other actions call this to chain a handover (after "yes, connect me", repeated abuse,
    or detected frustration) in the same turn.
    """
    if reason not in REASONS:
        reason = "request"
    if not SETTINGS.handoff.enabled:
        dispatcher.utter_message(response="utter_human_contact")
        return [SlotSet("handoff_reason", None)]
    channel = tracker.get_latest_input_channel() or "rest"
    name = tracker.get_slot("customer_name") or customer_name(tracker.events)
    now = time.time()
    summary = build_summary(tracker.events, conversation_id=tracker.sender_id, channel=channel,
                            recipient=tracker.sender_id, customer_name=name, reason=reason, handed_over_at=now,
                            scorer=frustration, entry_info=entry_info, answer_helped=tracker.get_slot("answer_helped"))
    handoff = await asyncio.to_thread(DESK.open, tracker.sender_id, channel, tracker.sender_id, name, reason, summary, now)
    dispatcher.utter_message(text=await asyncio.to_thread(DESK.expectation, handoff, now))
    return [SlotSet("handoff_id", handoff.id), SlotSet("handoff_reason", None), ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        reason = tracker.get_slot("handoff_reason") or "request"
        text = (tracker.latest_message or {}).get("text") or ""
        if reason == "request" and not text.lstrip().startswith("/"):
            # The rule sends every confident request_human here; the NLU alone also says so for messages
            # unlike any request ("Can I mail in a check to top up?"), so the wording is checked as for any
            # message (bot/detect), and what is not a request is answered as a question.
            mood = await asyncio.to_thread(assess, tracker.events, SCORER, DETECTION)
            if mood.action != "handover":
                from actions.faq import ActionAnswerFaq  # actions.faq imports this module

                return await ActionAnswerFaq().respond(dispatcher, tracker, mood)
        return await hand_over(dispatcher, tracker, reason)
