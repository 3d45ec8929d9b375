"""action_set_boundary and action_out_of_scope: abuse gets a calm boundary (twice: the chat ends, flagged);
questions outside the company's services are admitted as such."""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from actions.handoff import hand_over
from actions.runtime import context, dispatch
from bot.dialogue import conversation
from bot.dialogue import turns as dialogue
from bot.dialogue import (abusive_message, abusive_messages, boundary_message, knowledge_base_first, out_of_scope_message)
from bot.detect import assess


class ActionSetBoundary(ActionAnswerFaq):
    """NLU said `insult`; if neither the lexicon nor a confident NLU agrees, it is just a question."""

    def name(self) -> str:
        return "action_set_boundary"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        latest = tracker.latest_message or {}
        if not abusive_message(latest.get("text") or "", latest.get("intent")):
            return await super().run(dispatcher, tracker, domain)
        count = max(1, abusive_messages(tracker.events))
        dispatcher.utter_message(text=boundary_message(self.services.responses, tracker.sender_id, count))
        if count < 2:
            return []
        # The second time: the automated conversation ends and is flagged for a person.
        return [SlotSet("abuse_flagged", True)] + await hand_over(self.services, dispatcher, tracker, "abuse")


class ActionOutOfScope(ActionAnswerFaq):
    """NLU said `out_of_scope`; a question the knowledge base can answer (or narrow down) is answered instead."""

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        latest, services = tracker.latest_message or {}, self.services
        mood = await asyncio.to_thread(assess, tracker.events, services.scorer, services.config.detection)
        if mood.action in ("handover", "offer_person"):  # a request or strong frustration, not small talk
            return await self.respond(dispatcher, tracker, mood)
        result = await asyncio.to_thread(services.knowledge_base.ask, latest.get("text") or "")
        if knowledge_base_first(result.decision.kind, float((latest.get("intent") or {}).get("confidence") or 0.0)):
            return await super().run(dispatcher, tracker, domain)
        now = context(tracker, services.responses)
        # A miss like any unanswered question: the second in a row offers a person.
        turn = dialogue.missed(now, out_of_scope_message(now.voice), now.voice.say("boundaries.out_of_scope_again"))
        turn.slots.update(kb_decision="fallback", kb_answered=None, kb_offered=None, kb_next=None)
        if conversation.is_first_turn(tracker.events):  # introduce the assistant first, as for any first reply
            turn = dialogue.introduced(await asyncio.to_thread(dialogue.welcome, now, services.engine, True), turn)
        return dispatch(dispatcher, turn)
