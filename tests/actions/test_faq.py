import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.faq import ActionAnswerFaq
from actions.greet import ActionGreet
from tests.actions.conftest import tracker

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def slot_events(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


async def run(action, t):
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, t, {})
    return dispatcher.messages, slot_events(events)


async def test_clear_question_is_answered_and_recorded() -> None:
    messages, slots = await run(ActionAnswerFaq(), tracker("asks_clear_question"))
    assert "Forgot password" in messages[0]["text"]
    assert slots == {"kb_decision": "answer", "kb_answered": "reset_password", "kb_offered": None}


async def test_sms_customers_get_the_short_variant() -> None:
    t = tracker("asks_clear_question")
    t.events[-1]["input_channel"] = "sms"
    messages, _ = await run(ActionAnswerFaq(), t)
    assert len(messages[0]["text"]) <= 320 and "**" not in messages[0]["text"]


async def test_second_choice_in_words_answers_the_second_offered_entry() -> None:
    _, slots = await run(ActionAnswerFaq(), tracker("picks_second_choice_in_words"))
    assert slots["kb_answered"] == "cancel_a_booking"


async def test_button_payload_entity_wins_over_words() -> None:
    t = tracker("picks_second_choice_in_words")
    t.latest_message["entities"] = [{"entity": "kb_entry", "value": "cancel_membership"}]
    _, slots = await run(ActionAnswerFaq(), t)
    assert slots["kb_answered"] == "cancel_membership"


async def test_greeting_uses_the_channel_name_and_stores_it() -> None:
    messages, slots = await run(ActionGreet(), tracker("asks_clear_question"))
    assert messages[0]["text"].startswith("Hi Ana!")
    assert slots == {"customer_name": "Ana"}
