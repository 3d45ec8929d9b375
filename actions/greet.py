"""action_greet: greet the customer (by name when the channel gives one; welcome back a returning one) and introduce the assistant."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.runtime import FrontdeskAction, context, dispatch
from bot.dialogue import turns as dialogue


class ActionGreet(FrontdeskAction):
    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        services = self.services
        return dispatch(dispatcher, await asyncio.to_thread(dialogue.greet, context(tracker, services.responses),
                                                            services.engine))
