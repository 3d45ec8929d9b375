"""action_answer_faq: answer from the knowledge base, paraphrase first, offer choices, or admit not knowing.

Every question is first read for the customer's mood (bot/detect): a request for a person
hands over, high or rising frustration offers a person, mild frustration gets empathy first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_over
from actions.runtime import DATABASE, DETECTION, KNOWLEDGE_BASE, PERSONA, SCORER, context, dispatch
from bot import conversation, dialogue
from bot.detect import Assessment, assess
from bot.detect.requests import mentions_person
from bot.kb import replies


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return await self.respond(dispatcher, tracker, await asyncio.to_thread(assess, tracker.events, SCORER, DETECTION))

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, mood: Assessment) -> list[dict[str, Any]]:
        """Answer the latest question, given the customer's mood (already assessed by the caller)."""
        now = context(tracker)
        # "this is useless, get me a person": NLU routed it here as a question, but it names a person to talk
        # to. (Close wording alone is not enough here: "I want to cancel" is near "I want to talk to someone
        # about cancelling".)
        if mood.action == "handover" and mentions_person(now.text):
            return await hand_over(dispatcher, tracker, "request")
        chosen = KNOWLEDGE_BASE.snapshot.by_id.get(self._chosen_entry(tracker) or "")
        if mood.action == "offer_person" and mood.failures < DETECTION.max_failures:
            turn = dialogue.frustrated_offer(now)  # high or rising frustration: a person, before anything else
        elif chosen is not None:
            turn = dialogue.chosen(chosen, now)
        else:
            turn = await asyncio.to_thread(dialogue.question, KNOWLEDGE_BASE, now, PERSONA)
        if mood.action == "empathise":
            turn = dialogue.with_empathy(turn, now)
        if conversation.is_first_turn(tracker.events):  # introduce the assistant before the first answer
            turn = dialogue.introduced(await asyncio.to_thread(dialogue.welcome, now, PERSONA, DATABASE, True), turn)
        return dispatch(dispatcher, turn)

    @staticmethod
    def _chosen_entry(tracker: Tracker) -> str | None:
        """The entry the customer picked: a button's `kb_entry`, or 'the second one' among those offered."""
        if (tracker.latest_message.get("intent") or {}).get("name") != replies.CHOOSE_INTENT:
            return None
        picked = next(tracker.get_latest_entity_values("kb_entry"), None)
        if picked:
            return picked
        return replies.ordinal_choice(tracker.latest_message.get("text") or "", tracker.get_slot("kb_offered") or [])
