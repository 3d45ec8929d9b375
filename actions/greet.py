"""action_greet: greet the customer (by name when the channel gives one; welcome back a returning one) and introduce the assistant."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import DATABASE, context, dispatch
from bot.dialogue import turns as dialogue


class ActionGreet(Action):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return dispatch(dispatcher, await asyncio.to_thread(dialogue.greet, context(tracker), DATABASE))
