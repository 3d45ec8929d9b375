"""Handing the conversation to a person: store the summary, tell the customer what happens next, pause the bot.

`hand_over` is called by the actions that decide a person should take over:
action_answer_faq (a request for a person, in words or with the "Talk to a
person" button), action_follow_up ("yes, connect me" after an offer) and
action_set_boundary (repeated abuse). The reason is one of request,
frustration, failures, abuse. When no person could answer (no agent account
in the database, no AGENT_TOKEN, TELEGRAM_AGENT_CHAT_ID or HANDOFF_WEBHOOK_URL),
the customer gets the team's contact details instead (handoff.nobody_available) and the bot keeps talking.
"""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import context
from bot.dialogue import customer_name
from bot.handoff import REASONS
from bot.handoff import build_summary
from bot.kb import KnowledgeBase
from bot.ops import ActionServices


def is_test_conversation(events: list[dict[str, Any]]) -> bool:
    """Whether the latest customer message came from the conversation-test runner (`metadata.test`)."""
    latest = next((e for e in reversed(events) if e.get("event") == "user"), None)
    return bool(((latest or {}).get("metadata") or {}).get("test"))


def entry_info(knowledge_base: KnowledgeBase, entry_id: str) -> dict[str, Any] | None:
    """Title and paraphrase of an entry (what the assistant understood), from the live knowledge base."""
    entry = knowledge_base.snapshot.by_id.get(entry_id)
    return {"title": entry.title, "paraphrase": entry.paraphrase} if entry else None


async def hand_over(services: ActionServices, dispatcher: CollectingDispatcher, tracker: Tracker,
                    reason: str) -> list[dict[str, Any]]:
    """Store the handoff with its summary, tell the customer what happens next, and pause the bot.

    Called in the turn that decided it, with the action's services; an unknown reason is recorded as a request.
    """
    desk = services.desk
    if reason not in REASONS:
        reason = "request"
    if not await asyncio.to_thread(desk.reachable):
        dispatcher.utter_message(text=context(tracker, services.responses).voice.say("handoff.nobody_available"))
        return [SlotSet("handoff_reason", None)]
    channel = tracker.get_latest_input_channel() or "rest"
    name = tracker.get_slot("customer_name") or customer_name(tracker.events)
    now = time.time()
    mood = services.scorer  # the summary's per-message mood score (0..1), from the shared frustration model
    summary = build_summary(tracker.events, conversation_id=tracker.sender_id, channel=channel,
                            recipient=tracker.sender_id, customer_name=name, reason=reason, handed_over_at=now,
                            scorer=lambda text: mood.score(text).score,
                            entry_info=functools.partial(entry_info, services.knowledge_base),
                            answer_helped=tracker.get_slot("answer_helped"))
    if is_test_conversation(tracker.events):
        summary["test"] = True  # played by `frontdesk test-conversations`: no agent is told, the queue leaves it out
    handoff = await asyncio.to_thread(desk.open, tracker.sender_id, channel, tracker.sender_id, name, reason, summary, now)
    dispatcher.utter_message(text=await asyncio.to_thread(desk.expectation, handoff, now))
    return [SlotSet("handoff_id", handoff.id), SlotSet("handoff_reason", None), ConversationPaused()]
