"""action_greet: greet the customer, by name when the channel gives one, and introduce the assistant."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.conversation import customer_name, greeting
from bot.persona import Persona
from bot.settings import Settings

PERSONA = Persona.load(Settings.from_env().assistant_file)


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        name = customer_name(tracker.events) or tracker.get_slot("customer_name")
        dispatcher.utter_message(text=greeting(PERSONA, name))
        return [SlotSet("customer_name", name)] if name else []
