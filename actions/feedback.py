"""The feedback survey after closing: CSAT 1-5, NPS 0-10 for a share of conversations, an optional comment.

`feedback_form` asks; `validate_feedback_form` reads each reply with
bot.dialogue.feedback, stores it in frontdesk_surveys and sets the slots `csat` /
`nps`. A reply it cannot read is asked again once, then skipped, so a wrong
input never traps the customer in the survey; "skip" skips, "bye" ends it. A new
question at any of the three questions (the comment too) ends the survey and is
answered; it is never stored as feedback.
"""

from __future__ import annotations

import abc
import asyncio
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.boundaries import ActionSetBoundary
from actions.faq import ActionAnswerFaq
from actions.runtime import Served, context
from bot.dialogue import feedback
from bot.dialogue import abusive_message

QUESTIONS = {"feedback_csat": "csat", "feedback_nps": "nps", "feedback_comment": "comment"}
SKIPPED, RATED, COMMENTED = "skipped", "rated", "commented"


def _already_handled(value: Any, tracker: Tracker) -> bool:
    """True for a slot cleared by the closing action, or holding this survey's outcome marker.

    Rasa validates slots that are already filled when the form activates (a
    second goodbye in the same session): those were stored the first time.
    """
    if value is None:
        return True
    return value in (SKIPPED, RATED, COMMENTED) and value != (tracker.latest_message or {}).get("text")


class ValidateFeedbackForm(Served, FormValidationAction):
    def name(self) -> str:
        return "validate_feedback_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        if feedback.nps_due(tracker.sender_id, self.services.config.feedback.nps_rate):
            return domain_slots
        return [slot for slot in domain_slots if slot != "feedback_nps"]

    async def _rating(self, kind: str, reading: feedback.Reading, dispatcher: CollectingDispatcher,
                      tracker: Tracker) -> dict[str, Any]:
        slot = f"feedback_{kind}"
        if feedback.interrupts_survey(tracker.latest_message):  # a new question or abuse, not an answer:
            reading = feedback.Reading("stop")  # end the survey here (action_feedback_done replies to it)
        if reading.outcome == "unclear" and not tracker.get_slot("feedback_retries"):
            return {slot: None, "feedback_retries": 1}  # action_ask_<slot> asks again, saying why
        score = reading.score if reading.outcome == "score" else None
        await asyncio.to_thread(feedback.record_answer, self.services.engine, tracker.sender_id,
                                tracker.get_latest_input_channel(), kind, score, tracker.get_slot("handoff_id"))
        values: dict[str, Any] = {slot: RATED if score is not None else SKIPPED, kind: score, "feedback_retries": None}
        if reading.outcome == "unclear":
            dispatcher.utter_message(text=context(tracker, self.services.responses).voice.say("survey.move_on"))
        if reading.outcome == "stop":  # leaving, asking something new, or abuse: ask nothing more
            values.update({s: SKIPPED for s in QUESTIONS if tracker.get_slot(s) is None and s != slot})
        return values

    async def validate_feedback_csat(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        if _already_handled(value, tracker):
            return {}
        return await self._rating("csat", feedback.parse_csat(str(value)), dispatcher, tracker)

    async def validate_feedback_nps(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if _already_handled(value, tracker):
            return {}
        return await self._rating("nps", feedback.parse_nps(str(value)), dispatcher, tracker)

    async def validate_feedback_comment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        if _already_handled(value, tracker):
            return {}
        reading = feedback.parse_comment(str(value))
        latest = tracker.latest_message or {}
        if reading.outcome != "score" or feedback.asks_a_question(latest) or abusive_message(latest.get("text") or "", latest.get("intent")):
            return {"feedback_comment": SKIPPED}  # a new question (answered by action_feedback_done) or abuse: not feedback
        await asyncio.to_thread(feedback.record_comment, self.services.engine, tracker.sender_id, str(value))
        return {"feedback_comment": COMMENTED}


class _AskFeedback(Served, Action, abc.ABC):
    """Asks the form's requested question (abstract, so the action server registers only the three below)."""

    @property
    @abc.abstractmethod
    def slot(self) -> str:
        """The form slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        retry = bool(tracker.get_slot("feedback_retries"))
        dispatcher.utter_message(**feedback.question(QUESTIONS[self.slot], context(tracker, self.services.responses).voice, retry))
        return []


class ActionAskFeedbackCsat(_AskFeedback):
    slot = "feedback_csat"


class ActionAskFeedbackNps(_AskFeedback):
    slot = "feedback_nps"


class ActionAskFeedbackComment(_AskFeedback):
    slot = "feedback_comment"


class ActionFeedbackDone(ActionAnswerFaq):
    """Thank the customer once the survey is over (silent if it was already done this session).

    A customer who asked a new question instead of answering gets it answered; abuse gets the boundary.
    """

    def name(self) -> str:
        return "action_feedback_done"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        events = tracker.events
        started = max((i for i, e in enumerate(events) if e.get("event") == "active_loop"
                       and e.get("name") == "feedback_form"), default=-1)
        if not any(e.get("event") == "user" for e in events[started + 1:]):
            return []
        if feedback.interrupts_survey(tracker.latest_message) and tracker.get_slot("feedback_comment") == SKIPPED:
            if feedback.is_new_question(tracker.latest_message):
                return await super().run(dispatcher, tracker, domain)
            return await ActionSetBoundary(self.services).run(dispatcher, tracker, domain)
        answered = (tracker.get_slot("csat") is not None or tracker.get_slot("nps") is not None
                    or tracker.get_slot("feedback_comment") == COMMENTED)
        dispatcher.utter_message(text=context(tracker, self.services.responses).voice.say("survey.thanks_rated" if answered else "survey.thanks_skipped"))
        return []
