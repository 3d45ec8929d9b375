"""What every action shares: the action server's services (settings, responses catalogue, knowledge base, database,
frustration scorer, handoff desk: (bot/ops/action_process.py), the turn's facts, dispatching.

Importing this module loads and reads nothing: an action gets its services when it runs, from the
action server's start-up (`action_services()`), or from the caller that made it (tests:
`ActionAnswerFaq(services)`).
"""

from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.dialogue import Context, Turn
from bot.ops import ActionServices, action_services
from bot.responses import Responses


class Served:
    """Gives an action `self.services`: the ones it was made with, else the action server's."""

    def __init__(self, services: ActionServices | None = None) -> None:
        self._services = services

    @property
    def services(self) -> ActionServices:
        return self._services if self._services is not None else action_services()


class FrontdeskAction(Served, Action, abc.ABC):
    """An action with the action server's services (abstract, so the action server registers only real actions)."""

    @abc.abstractmethod
    def name(self) -> str:
        """The action's name in domain.yml."""


def context(tracker: Tracker, responses: Responses) -> Context:
    """The turn's facts, said with `responses` (the action's services' catalogue)."""
    return Context(
        conversation_id=tracker.sender_id,
        channel=tracker.get_latest_input_channel(),
        text=tracker.latest_message.get("text") or "",
        events=tracker.events,
        slots=tracker.current_slot_values(),
        responses=responses,
    )


def dispatch(dispatcher: CollectingDispatcher, turn: Turn) -> list[dict[str, Any]]:
    """Send the turn's messages; return its slot events."""
    for message in turn.messages:
        dispatcher.utter_message(**message)
    return [SlotSet(name, value) for name, value in turn.slots.items()]
