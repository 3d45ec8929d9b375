"""action_follow_up: the customer's yes, no or "something else" to the assistant's last question.

A "no" when the assistant asked nothing may be a complaint the NLU read as a no ("Five days and
still no refund. Great."): when detection finds anger, or a problem at COMPLAINT_PROBLEM or more,
it is answered as a question (acknowledged first), not with "No problem".
"""

from __future__ import annotations

import asyncio
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from actions.handoff import hand_over
from actions.runtime import FrontdeskAction, context, dispatch
from bot.dialogue import turns as dialogue
from bot.dialogue import asked_anything_else
from bot.detect import assess

# A short "No, that was actually fine" scores about 0.5 on the problem signal; a complaint read as a
# "no" scores near 1 ("Five days and still no refund. Great."), so only that is taken for one here.
COMPLAINT_PROBLEM = 0.9


class ActionFollowUp(FrontdeskAction):
    def name(self) -> str:
        return "action_follow_up"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        services = self.services
        now, knowledge_base = context(tracker, services.responses), services.knowledge_base
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent == "affirm" and now.slots.get("awaiting_reply") == "offer_person":
            # "Yes, connect me": hand over now, for the reason the offer was made.
            reason = now.slots.get("handoff_reason") or "failures"
            return [SlotSet("awaiting_reply", None)] + await hand_over(self.services, dispatcher, tracker, reason)
        await self._learn(intent, now.slots, tracker)
        if intent == "affirm":
            turn = dialogue.affirm(knowledge_base, now)
        elif intent == "deny":
            if not now.slots.get("awaiting_reply"):
                mood = await asyncio.to_thread(assess, tracker.events, services.scorer, services.config.detection)
                detection = services.config.detection
                if mood.action != "handover" and (mood.level >= detection.frustrated
                                                  or mood.problem >= max(COMPLAINT_PROBLEM, detection.problem)):
                    return await ActionAnswerFaq(services).respond(dispatcher, tracker, mood)
            # "No" to "Is there anything else I can help with?" closes the conversation
            # (data/rules/closing.yml runs the survey after action_close_conversation).
            if not now.slots.get("awaiting_reply") and asked_anything_else(tracker.events, services.responses):
                return [FollowupAction("action_close_conversation")]
            turn = dialogue.deny(knowledge_base, now)
        else:
            turn = dialogue.something_else(knowledge_base, now)
        return dispatch(dispatcher, turn)

    async def _learn(self, intent: str | None, slots: dict[str, Any], tracker: Tracker) -> None:
        """A yes to a paraphrase or to "did that help" confirms the customer's wording (bot/learn); a no (or
        "something else") to "did that help" withdraws what the conversation suggested for that entry."""
        learning, awaiting = self.services.learning, slots.get("awaiting_reply")
        if learning is None:
            return
        if intent == "affirm" and awaiting == "paraphrase" and slots.get("kb_pending"):
            await asyncio.to_thread(learning.paraphrase_confirmed, tracker.events, tracker.sender_id, slots["kb_pending"])
        elif intent == "affirm" and awaiting == "helped" and slots.get("kb_answered"):
            await asyncio.to_thread(learning.helped, tracker.events, tracker.sender_id, slots["kb_answered"])
        elif intent != "affirm" and awaiting == "helped":
            await asyncio.to_thread(learning.not_helped, tracker.sender_id, slots.get("kb_answered"))
