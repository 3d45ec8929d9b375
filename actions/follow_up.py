"""action_follow_up: the customer's yes, no or "something else" to the assistant's last question."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_over
from actions.runtime import KNOWLEDGE_BASE, RESPONSES, context, dispatch
from bot.dialogue import turns as dialogue
from bot.dialogue import asked_anything_else


class ActionFollowUp(Action):
    def name(self) -> str:
        return "action_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        now = context(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "affirm" and now.slots.get("awaiting_reply") == "offer_person":
            # "Yes, connect me": hand over now, for the reason the offer was made.
            reason = now.slots.get("handoff_reason") or "failures"
            return [SlotSet("awaiting_reply", None)] + await hand_over(dispatcher, tracker, reason)
        if intent == "affirm":
            turn = dialogue.affirm(KNOWLEDGE_BASE, now)
        elif intent == "deny":
            # "No" to "Is there anything else I can help with?" closes the conversation
            # (data/rules/closing.yml runs the survey after action_close_conversation).
            if not now.slots.get("awaiting_reply") and asked_anything_else(tracker.events, RESPONSES):
                return [FollowupAction("action_close_conversation")]
            turn = dialogue.deny(KNOWLEDGE_BASE, now)
        else:
            turn = dialogue.something_else(KNOWLEDGE_BASE, now)
        return dispatch(dispatcher, turn)
