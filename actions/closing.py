"""action_close_conversation: recap what was covered, thank the customer, leave the team's contact details."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import FrontdeskAction, context
from bot.dialogue import closing_message, covered
from bot.dialogue import customer_name

SURVEY_SLOTS = ("feedback_csat", "feedback_nps", "feedback_comment")


def surveyed_this_session(events: list[dict[str, Any]]) -> bool:
    """Whether the feedback form already ran since the session started (it is asked once per session)."""
    for event in reversed(events):
        if event.get("event") in ("session_started", "restart"):
            return False
        if event.get("event") == "active_loop" and event.get("name") == "feedback_form":
            return True
    return False


class ActionCloseConversation(FrontdeskAction):
    def name(self) -> str:
        return "action_close_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        services = self.services
        entries = services.knowledge_base.snapshot.by_id  # the live entries: titles may have changed since they were answered
        name = tracker.get_slot("customer_name") or customer_name(tracker.events)
        done = covered(tracker.events)
        dispatcher.utter_message(text=closing_message(context(tracker, services.responses).voice, done, entries, name))
        events = [SlotSet("conversation_closed", True)]
        if not surveyed_this_session(tracker.events):
            # A new survey: clear answers carried over from an earlier session so the form asks again.
            events += [SlotSet(slot, None) for slot in SURVEY_SLOTS + ("feedback_retries", "csat", "nps")]
        return events
