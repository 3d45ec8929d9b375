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

from bot.conversation import customer_name
from bot.handoff.service import open_desk
from bot.handoff.store import REASONS
from bot.handoff.summary import build_summary
from bot.kb.decide import DecisionConfig
from bot.kb.entries import load_entries
from bot.settings import Settings

SETTINGS = Settings.from_env()
DESK = open_desk(SETTINGS)

def SCORER(text: str) -> float:  # noqa: N802 - the summary's per-message frustration score (text -> 0..1)
    from actions.runtime import SCORER as scorer  # the shared model, loaded once per action server

    return scorer.score(text).score


def knowledge_base_entries() -> dict[str, dict[str, Any]]:
    """Entry id -> title and paraphrase (what the assistant understood), read from the markdown files."""
    folder = SETTINGS.project_dir / DecisionConfig.from_file(SETTINGS.assistant_file).folder
    return {e.id: {"title": e.title, "paraphrase": e.paraphrase} for e in load_entries(folder).entries}


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
    entries = await asyncio.to_thread(knowledge_base_entries)
    summary = build_summary(tracker.events, conversation_id=tracker.sender_id, channel=channel,
                            recipient=tracker.sender_id, customer_name=name, reason=reason, handed_over_at=now,
                            scorer=SCORER, entry_info=entries.get, answer_helped=tracker.get_slot("answer_helped"))
    handoff = await asyncio.to_thread(DESK.open, tracker.sender_id, channel, tracker.sender_id, name, reason, summary, now)
    dispatcher.utter_message(text=await asyncio.to_thread(DESK.expectation, handoff, now))
    return [SlotSet("handoff_id", handoff.id), SlotSet("handoff_reason", None), ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await hand_over(dispatcher, tracker, tracker.get_slot("handoff_reason") or "request")
