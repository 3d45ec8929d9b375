"""What every action shares in one action-server process: settings, responses catalogue, knowledge base, database,
frustration scorer."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.detect import DetectionConfig, FrustrationScorer
from bot.dialogue import Context, Turn
from bot.kb import open_knowledge_base
from bot.config import Settings
from bot.messaging import open_database
from bot.responses import open_responses

SETTINGS = Settings.from_env()
RESPONSES = open_responses(SETTINGS)  # what the assistant says, with assistant.yml's persona filled in
KNOWLEDGE_BASE = open_knowledge_base(SETTINGS, watch=True)  # built when the action server starts
DATABASE = open_database(SETTINGS.database_url)
SCORER = FrustrationScorer.load(KNOWLEDGE_BASE.encoder)  # shares the knowledge base's sentence model
DETECTION = DetectionConfig.from_file(SETTINGS.assistant_file)


def context(tracker: Tracker) -> Context:
    return Context(
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel(),
        text=tracker.latest_message.get("text") or "",
        events=tracker.events,
        slots=tracker.current_slot_values(),
        responses=RESPONSES,
    )


def dispatch(dispatcher: CollectingDispatcher, turn: Turn) -> list[dict[str, Any]]:
    """Send the turn's messages; return its slot events."""
    for message in turn.messages:
        dispatcher.utter_message(**message)
    return [SlotSet(name, value) for name, value in turn.slots.items()]
