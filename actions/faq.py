"""action_answer_faq: answer from the knowledge base, offer choices, or admit not knowing."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.kb import replies
from bot.kb.service import open_knowledge_base
from bot.persona import Persona
from bot.settings import Settings

SETTINGS = Settings.from_env()
PERSONA = Persona.load(SETTINGS.assistant_file)
KNOWLEDGE_BASE = open_knowledge_base(SETTINGS, watch=True)  # built when the action server starts


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        channel = tracker.get_latest_input_channel()
        snapshot = KNOWLEDGE_BASE.snapshot
        chosen = self._chosen_entry(tracker)
        if chosen in snapshot.by_id:
            entry = snapshot.by_id[chosen]
            dispatcher.utter_message(**replies.answer_message(entry, channel))
            return [SlotSet("kb_decision", "answer"), SlotSet("kb_answered", entry.id), SlotSet("kb_offered", None)]

        text = tracker.latest_message.get("text") or ""
        result = await asyncio.to_thread(KNOWLEDGE_BASE.ask, text)
        decision = result.decision
        if decision.kind == "answer":
            entry = decision.top.entry
            dispatcher.utter_message(**replies.answer_message(entry, channel))
            return [SlotSet("kb_decision", "answer"), SlotSet("kb_answered", entry.id), SlotSet("kb_offered", None)]
        if decision.kind == "clarify":
            choices = [c.entry for c in decision.candidates]
            dispatcher.utter_message(**replies.clarify_message(choices))
            return [SlotSet("kb_decision", "clarify"), SlotSet("kb_answered", None), SlotSet("kb_offered", [c.id for c in choices])]
        dispatcher.utter_message(**replies.fallback_message(PERSONA))
        return [SlotSet("kb_decision", "fallback"), SlotSet("kb_answered", None), SlotSet("kb_offered", None)]

    @staticmethod
    def _chosen_entry(tracker: Tracker) -> str | None:
        """The entry the customer picked: a button's `kb_entry`, or 'the second one' among those offered."""
        if (tracker.latest_message.get("intent") or {}).get("name") != replies.CHOOSE_INTENT:
            return None
        picked = next(tracker.get_latest_entity_values("kb_entry"), None)
        if picked:
            return picked
        return replies.ordinal_choice(tracker.latest_message.get("text") or "", tracker.get_slot("kb_offered") or [])
