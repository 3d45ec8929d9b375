"""The closing, survey and boundary actions, run in-process on trackers built from JSON.

The survey writes to the real SQLite database of the test's services
(a temporary state folder, see tests/actions/conftest.py).
"""

from dataclasses import replace

import pytest
import sqlalchemy as sa
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.boundaries import ActionSetBoundary
from actions.closing import ActionCloseConversation
from actions.feedback import ActionAskFeedbackNps, ValidateFeedbackForm
from bot.config import FeedbackConfig
from bot.messaging.store import surveys
from tests.actions.conftest import tracker
from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.anyio
DOMAIN = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text())


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def slot_events(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def run(action, t, domain=None):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, domain or {})
    return dispatcher.messages, slot_events(events)


def survey_rows(services, conversation_id: str) -> list[tuple]:
    with services.engine.connect() as db:
        query = sa.select(surveys.c.channel, surveys.c.kind, surveys.c.score).where(surveys.c.conversation_id == conversation_id)
        return [tuple(r) for r in db.execute(query.order_by(surveys.c.id))]


async def test_closing_recaps_answers_thanks_by_name_and_gives_contact_details(services) -> None:
    messages, slots = await run(ActionCloseConversation(services), tracker("asked_two_questions_then_says_goodbye"))
    text = messages[0]["text"]
    assert text.startswith("To recap, we covered how to cancel a booking and how to reset your password.")
    assert "Thank you for contacting S-Club, Ana!" in text and "+44 20 7946 0000" in text
    # a new session: last session's survey answers are cleared so the survey is asked again
    assert slots["conversation_closed"] is True and slots["feedback_csat"] is None and slots["csat"] is None


async def test_closing_a_second_time_in_a_session_keeps_the_survey_answered(services) -> None:
    t = tracker("asked_two_questions_then_says_goodbye")
    t.events[-1:-1] = [{"event": "active_loop", "name": "feedback_form"}, {"event": "active_loop", "name": None}]
    _, slots = await run(ActionCloseConversation(services), t)
    assert slots == {"conversation_closed": True}


async def test_a_typed_rating_is_stored_and_sets_csat(services) -> None:
    _, slots = await run(ValidateFeedbackForm(services), tracker("rates_four_in_the_survey"), DOMAIN)
    assert slots["feedback_csat"] == "rated" and slots["csat"] == 4
    assert survey_rows(services, "ana-survey") == [("whatsapp", "csat", 4)]


async def test_an_unclear_rating_is_asked_again_once_then_skipped(services) -> None:
    t = tracker("rates_four_in_the_survey", sender_id="unclear-rating")
    t.slots["feedback_csat"] = t.events[-1]["value"] = "banana"
    messages, slots = await run(ValidateFeedbackForm(services), t, DOMAIN)
    assert slots["feedback_csat"] is None and slots["feedback_retries"] == 1 and messages == []
    assert survey_rows(services, "unclear-rating") == []

    t = tracker("rates_four_in_the_survey", sender_id="unclear-rating")  # the next reply is no better
    t.slots["feedback_csat"] = t.events[-1]["value"] = "purple"
    t.slots["feedback_retries"] = 1
    messages, slots = await run(ValidateFeedbackForm(services), t, DOMAIN)
    assert slots["feedback_csat"] == "skipped" and slots["csat"] is None
    assert messages[0]["text"] == "No problem, let's move on."
    assert survey_rows(services, "unclear-rating") == [("whatsapp", "csat", None)]


async def test_goodbye_during_the_survey_skips_the_remaining_questions(services) -> None:
    t = tracker("rates_four_in_the_survey", sender_id="leaves-early")
    t.slots["feedback_csat"] = t.events[-1]["value"] = "bye"
    _, slots = await run(ValidateFeedbackForm(services), t, DOMAIN)
    assert slots["feedback_csat"] == slots["feedback_comment"] == "skipped"
    assert survey_rows(services, "leaves-early") == [("whatsapp", "csat", None)]


async def test_nps_is_a_required_question_only_for_sampled_conversations(services) -> None:
    slots = ["feedback_csat", "feedback_nps", "feedback_comment"]
    for rate, expected in ((1.0, slots), (0.0, ["feedback_csat", "feedback_comment"])):
        config = replace(services.config, feedback=FeedbackConfig(nps_rate=rate))
        form = ValidateFeedbackForm(replace(services, config=config))
        assert await form.required_slots(slots, CollectingDispatcher(), tracker("rates_four_in_the_survey"), DOMAIN) == expected


async def test_whatsapp_gets_the_nps_scale_in_words_not_buttons(services) -> None:
    messages, _ = await run(ActionAskFeedbackNps(services), tracker("rates_four_in_the_survey"))
    assert "buttons" not in messages[0] or not messages[0]["buttons"]
    assert "0 to 10" in messages[0]["text"]


async def test_second_abusive_message_ends_the_chat_and_flags_it(services) -> None:
    messages, slots = await run(ActionSetBoundary(services), tracker("is_rude_a_second_time"))
    assert "end our chat here" in messages[0]["text"]
    # Flagged and handed to a person; with no agent channel configured (as here) the customer gets the contact details.
    assert slots == {"abuse_flagged": True, "handoff_reason": None}
    assert any("You can reach S-Club's team by phone on +44 20 7946 0000" in m.get("text", "") for m in messages)


async def test_first_abusive_message_gets_a_calm_boundary(services) -> None:
    t = tracker("is_rude_a_second_time")
    del t.events[3:]
    messages, slots = await run(ActionSetBoundary(services), t)
    assert "keep our conversation respectful" in messages[0]["text"] and slots == {}


async def test_a_new_question_instead_of_a_rating_ends_the_survey(services) -> None:
    t = tracker("rates_four_in_the_survey", sender_id="asks-instead")
    t.slots["feedback_csat"] = t.events[-1]["value"] = t.latest_message["text"] = "how do I freeze my membership?"
    t.latest_message["intent"] = {"name": "faq", "confidence": 0.97}
    messages, slots = await run(ValidateFeedbackForm(services), t, DOMAIN)
    assert slots["feedback_csat"] == slots["feedback_comment"] == "skipped" and messages == []
    assert survey_rows(services, "asks-instead") == [("whatsapp", "csat", None)]


async def comment_reply(services, text: str, sender: str) -> dict:
    t = tracker("rates_four_in_the_survey", sender_id=sender)
    t.latest_message["text"] = text
    t.latest_message["intent"] = {"name": "faq", "confidence": 0.95}
    return await ValidateFeedbackForm(services).validate_feedback_comment(text, CollectingDispatcher(), t, DOMAIN)


async def test_a_question_at_the_comment_is_answered_not_stored_as_feedback(services) -> None:
    assert await comment_reply(services, "Is there parking at the gym?", "comment-asks") == {"feedback_comment": "skipped"}
    assert all(kind != "comment" for _, kind, _ in survey_rows(services, "comment-asks"))


async def test_a_complaint_at_the_comment_is_still_feedback(services) -> None:
    reply = await comment_reply(services, "you charged my card twice", "comment-complains")
    assert reply == {"feedback_comment": "commented"}
