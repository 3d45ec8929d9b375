"""action_set_boundary: a calm boundary for abuse; the second abusive message ends the chat and flags it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.boundaries import abusive_messages, boundary_message


class ActionSetBoundary(Action):
    def name(self) -> str:
        return "action_set_boundary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        count = max(1, abusive_messages(tracker.events))  # this message counts even if only NLU saw it
        dispatcher.utter_message(text=boundary_message(tracker.sender_id, count))
        if count < 2:
            return []
        # The lead chains action_handoff after this, which reads handoff_reason and pauses the chat.
        return [SlotSet("abuse_flagged", True), SlotSet("handoff_reason", "abuse")]
