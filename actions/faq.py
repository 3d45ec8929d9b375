"""action_answer_faq: answer from the knowledge base, paraphrase first, offer choices, or admit not knowing.

Every message the NLU takes for a question or a request for a person comes here, and is first
read for the customer's mood (bot/detect): a request for a person hands over, high or rising
frustration offers a person, mild frustration gets empathy first, a reported problem an
acknowledgement first.
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import hand_over
from actions.runtime import FrontdeskAction, context, dispatch
from bot.dialogue import conversation
from bot.dialogue import turns as dialogue
from bot.detect import Assessment, assess
from bot.detect import INTENT as REQUEST_INTENT, mentions_person
from bot.kb import replies


class ActionAnswerFaq(FrontdeskAction):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        services = self.services
        mood = await asyncio.to_thread(assess, tracker.events, services.scorer, services.config.detection)
        return await self.respond(dispatcher, tracker, mood)

    async def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, mood: Assessment) -> list[dict[str, Any]]:
        """Answer the latest question, given the customer's mood (already assessed by the caller)."""
        services = self.services
        now = context(tracker, services.responses)
        knowledge_base = services.knowledge_base
        reason = self._handover_reason(tracker, mood, now.text, services.config.detection.frustrated)
        if reason:
            return await hand_over(services, dispatcher, tracker, reason)
        chosen = knowledge_base.snapshot.by_id.get(self._chosen_entry(tracker) or "")
        if mood.action == "offer_person" and mood.failures < services.config.detection.max_failures:
            turn = dialogue.frustrated_offer(now)  # high or rising frustration: a person, before anything else
        elif chosen is not None:
            turn = dialogue.chosen(chosen, now)
            if services.learning is not None:  # a wording confirmed by the customer's pick
                await asyncio.to_thread(services.learning.chosen, tracker.events, tracker.sender_id, chosen.id,
                                        len(tracker.get_slot("kb_offered") or []))
        else:
            turn = await asyncio.to_thread(dialogue.question, knowledge_base, now)
        if mood.action == "empathise":
            turn = dialogue.with_empathy(turn, now)
        elif mood.action == "acknowledge":  # a reported problem: acknowledged before the answer
            turn = dialogue.with_empathy(turn, now, "person.acknowledge")
        if conversation.is_first_turn(tracker.events):  # introduce the assistant before the first answer
            turn = dialogue.introduced(await asyncio.to_thread(dialogue.welcome, now, services.engine, True), turn)
        return dispatch(dispatcher, turn)

    @staticmethod
    def _handover_reason(tracker: Tracker, mood: Assessment, text: str, frustrated: float) -> str | None:
        """Why to hand over now (`request`, or the reason of the person just offered), or None.

        The rule sends every confident `request_human` here, as any other question. The NLU alone
        also says request_human for messages unlike any request ("Can I mail in a check to top
        up?"), so the wording is checked too (bot/detect: `mood.action == "handover"`, which also
        covers the "Talk to a person" button). Below the rule's confidence the NLU called it a
        question: then it must also name a person ("this is useless, get me a person"), since close
        wording alone is not enough there ("I want to cancel" is near "I want to talk to someone
        about cancelling"). After the assistant offered a person (slot `handoff_reason` set), a
        request is the customer taking the offer, for the offer's reason; but a calm request in
        their own words after an offer made for frustration is a `request` ("Can I just talk to a
        real person please" is not labelled frustration when the message itself is not frustrated).
        """
        requested = (tracker.latest_message.get("intent") or {}).get("name") == REQUEST_INTENT
        offered = tracker.get_slot("handoff_reason")
        if requested and offered == "frustration" and mentions_person(text) and mood.level < frustrated:
            return "request"
        if requested and offered:
            return offered
        if mood.action == "handover" and (requested or mentions_person(text)):
            return "request"
        return None

    @staticmethod
    def _chosen_entry(tracker: Tracker) -> str | None:
        """The entry the customer picked: a button's `kb_entry`, or 'the second one' among those offered."""
        if (tracker.latest_message.get("intent") or {}).get("name") != replies.CHOOSE_INTENT:
            return None
        picked = next(tracker.get_latest_entity_values("kb_entry"), None)
        if picked:
            return picked
        return replies.ordinal_choice(tracker.latest_message.get("text") or "", tracker.get_slot("kb_offered") or [])
